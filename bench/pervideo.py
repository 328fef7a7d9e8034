"""Per-video rows: export (stream copy and transcode), thumbnail set, platform metadata, total per video.

These call storyexport's media and metadata API in this process (no doit), the way a build task does.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from clips import bare_transcode, ensure_clip, full_decode, keyframe_decode, naive_frame_times, naive_thumbnails
from settings import Settings
from table import Baseline, Row, Target
from timing import Measured, median_of, paired_medians, time_call

from storyexport.config.model import Story, ThumbnailOptions, VideoOptions
from storyexport.layout import thumbnail_set_paths
from storyexport.media.export import export_video
from storyexport.media.probe import probe
from storyexport.media.spec import TargetSpec, target_spec
from storyexport.media.thumbnails import build_thumbnail_set
from storyexport.metadata.platform import PlatformExporter
from storyexport.metadata.rules import load_platform_rules
from storyexport.resources import builtin_platforms_dir

PLATFORMS = ("youtube", "tiktok", "instagram")


def export_spec() -> TargetSpec:
    rules = load_platform_rules(builtin_platforms_dir())
    return target_spec(VideoOptions(), {name: rules[name]["video"] for name in PLATFORMS})


def per_video_rows(settings: Settings, log: list[str]) -> list[Row]:
    work = settings.work_dir / "per-video"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    clip = ensure_clip(settings.media_dir, settings.vertical)
    thumbs, decode = _thumbnail_row(settings, clip, work, log, long=False)
    export = _export_row(settings, clip, decode, work)
    transcode = _transcode_row(settings, work, log)
    long_thumbs, _ = _thumbnail_row(settings, ensure_clip(settings.media_dir, settings.long), work, log, long=True)
    metadata = _metadata_row(settings)
    total = _total_row(settings, export, thumbs, metadata, decode)
    return [export, transcode, thumbs, long_thumbs, metadata, total]


def _export_row(settings: Settings, clip: Path, decode: Measured, work: Path) -> Row:
    spec = export_spec()
    modes: list[str] = []

    def once() -> Measured:
        return time_call(lambda: modes.append(export_video(clip, work / "copy.mp4", spec).mode))

    measured = median_of(once, settings.fast_runs)
    label = f"Standard export, conforming {settings.vertical.duration:g} s 1080x1920 clip"
    return Row(label, measured.seconds, cpu=measured.cpu_seconds, seed="2-5 s",
               note=f"mode: {', '.join(sorted(set(modes)))}",
               baselines=[Baseline("full decode", decode.seconds), Baseline("seed low end", 2.0, quoted=True)],
               target=Target(0.2, "issue 7"))


def _transcode_row(settings: Settings, work: Path, log: list[str]) -> Row:
    clip = ensure_clip(settings.media_dir, settings.landscape)
    spec = export_spec()
    decode = full_decode(clip, 1)
    result: list[str] = []
    measured = time_call(lambda: result.append(export_video(clip, work / "transcoded.mp4", spec).mode))
    bare = bare_transcode(clip, work / "bare.mp4")
    log.append(f"transcode of {clip.name}: storyexport {measured.seconds:.2f} s, bare ffmpeg {bare.seconds:.2f} s "
               f"({bare.cpu_seconds:.1f} s CPU)")
    label = f"Standard export, transcoded {settings.landscape.duration:g} s 1280x720 clip"
    return Row(label, measured.seconds, cpu=measured.cpu_seconds, seed="2-5 s",
               note=f"mode: {result[0]}; blur-pad to 1080x1920, x264 veryfast, loudnorm",
               baselines=[Baseline("bare ffmpeg transcode", bare.seconds), Baseline("full decode", decode.seconds)])


def _thumbnail_row(settings: Settings, clip: Path, work: Path, log: list[str], long: bool) -> tuple[Row, Measured]:
    """The thumbnail set and one full decode of the same clip, measured alternately (same background load)."""
    options = ThumbnailOptions()
    duration = probe(clip).duration
    folder = work / ("thumbs-long" if long else "thumbs")

    def thumbnails() -> Measured:
        return time_call(lambda: build_thumbnail_set(clip, thumbnail_set_paths(folder, "bench", options), options))

    measured, decode = paired_medians(thumbnails, lambda: full_decode(clip, 1), 1 if long else settings.media_runs)
    log.append(f"{clip.name}: thumbnail set {measured.seconds:.2f} s wall / {measured.cpu_seconds:.2f} s CPU; "
               f"full decode {decode.seconds:.2f} s wall / {decode.cpu_seconds:.2f} s CPU")
    keyframes = keyframe_decode(clip, settings.fast_runs)
    log.append(f"{clip.name}: keyframes-only decode {keyframes.seconds:.2f} s wall / {keyframes.cpu_seconds:.2f} s CPU")
    naive, naive_note = _naive_set(settings, clip, duration, work / "naive", long)
    log.append(f"naive thumbnails of {clip.name}: {naive.seconds:.1f} s ({naive_note})")
    spec = settings.long if long else settings.vertical
    target = Target(3.0, "issue 7") if long else Target(1.3 * decode.seconds, "1.3 × full decode")
    row = Row(f"+ thumbnail set, {spec.duration:g} s clip", measured.seconds, cpu=measured.cpu_seconds,
              seed="+2-3 s", note="5 options of 30 candidates, 4 timestamps, 3x3 grid, best frame, scores",
              baselines=[Baseline("full decode", decode.seconds), Baseline("keyframes-only decode", keyframes.seconds),
                         Baseline(f"naive ({naive_note})", naive.seconds)],
              target=target)
    return row, decode


def _naive_set(settings: Settings, clip: Path, duration: float, out: Path, long: bool) -> tuple[Measured, str]:
    """The original guide's set. When only ``count`` frames are extracted (the long clip: its full naive set takes
    minutes), they are spread evenly over the set's frames and the time is scaled up to the whole set."""
    options = ThumbnailOptions()
    timestamps = [0.5, 0.25 * duration, 0.5 * duration, 0.75 * duration]
    times = sorted(naive_frame_times(duration, options.num_candidates, timestamps, options.grid[0] * options.grid[1]))
    count = settings.naive_long_frames if long else settings.naive_frames
    if count is None or count >= len(times):
        return naive_thumbnails(clip, out, times), f"{len(times)} ffmpeg runs"
    step = len(times) / count
    subset = [times[int(step * (i + 0.5))] for i in range(count)]
    measured = naive_thumbnails(clip, out, subset)
    scale = len(times) / len(subset)
    scaled = Measured(measured.seconds * scale, measured.cpu_seconds * scale, measured.max_rss_mb)
    return scaled, f"{len(times)} ffmpeg runs, est. from {len(subset)}"


def _metadata_row(settings: Settings) -> Row:
    story = Story(id="bench-story", title="The 5 AM run that changed my life 🏃‍♀️", segment="women",
                  age_group="18-23", source=Path("bench.mp4"),
                  description="She hated mornings. Then one run at sunrise changed everything. Watch till the end!",
                  theme="motivation", tone="uplifting", hashtags=("running", "morningroutine", "selfimprovement"))
    first = time_call(lambda: PlatformExporter().generate_all_platforms(story))
    warm = median_of(lambda: time_call(lambda: PlatformExporter().generate_all_platforms(story)), settings.fast_runs)
    return Row("+ platform metadata, 3 platforms", first.seconds, cpu=first.cpu_seconds, seed="+1 s",
               note=f"first call (loads and compiles the rules); later calls {warm.seconds * 1000:.1f} ms",
               baselines=[Baseline("seed", 1.0, quoted=True)])


def _total_row(settings: Settings, export: Row, thumbs: Row, metadata: Row, decode: Measured) -> Row:
    parts = [row.value or 0.0 for row in (export, thumbs, metadata)]
    cpu = sum(row.cpu or 0.0 for row in (export, thumbs, metadata))
    return Row(f"Total per video ({settings.vertical.duration:g} s conforming clip)", sum(parts), cpu=cpu,
               seed="5-10 s",
               note="sum of the three rows above",
               baselines=[Baseline("full decode", decode.seconds), Baseline("seed low end", 5.0, quoted=True)])
