"""Thumbnail quality on real footage: storyexport's methods and peer tools, judged against every decoded frame.

    python bench/quality.py                      # fetch the set if needed, measure, write bench/QUALITY.md
    python bench/quality.py --only vtest-gop25s  # one clip (repeatable); writes bench/out/QUALITY-partial.md
    python bench/quality.py --footage DIR        # the set's folder (default: $STORYEXPORT_FOOTAGE or ~/.cache/...)

For each clip: every frame is decoded once and measured (``truth.py``); storyexport's ``find_best_frame``
(``combined``, ``sharpness``), ``generate_multiple_options`` and ``build_thumbnail_set`` run, and so do the peers
(``peers.py``); each pick is judged. Times are ratios to one full decode of the same clip measured alternately
with the method in the same run (the speed clips: medians of ``--runs`` pairs).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clips import full_decode
from evaluate import Judged, run_methods, run_set
from footage import default_dest, fetch, load_set
from peers import Pick, ffmpeg_thumbnail, frame_at_half, vcsi_available, vcsi_picks
from quality_report import render
from settings import BENCH_DIR, OUT_DIR
from timing import paired_medians, time_call
from truth import Frames, decode_frames
from variants import SPEED

from storyexport.media.probe import probe


@dataclass
class ClipResult:
    """One clip: storyexport's judged methods, the peers' judged picks, the decode baseline."""

    entry: dict[str, Any]
    frames: int
    spread: float
    decode: float
    methods: dict[str, Judged]
    peers: dict[str, Judged] = field(default_factory=dict)
    set_seconds: float | None = None  # median thumbnail-set time of the speed runs
    set_decode: float | None = None   # median full decode paired with it
    peer_notes: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.entry["name"]

    def ratio(self, seconds: float) -> float:
        return seconds / self.decode if self.decode else float("inf")


def _peer_judged(name: str, pick: Pick, frames: Frames, events: list[dict[str, Any]]) -> Judged:
    judged = Judged(name, pick.seconds, best=pick.times[0] if pick.times else None, best_paths=pick.paths,
                    options=pick.options, option_paths=pick.option_paths)
    return judged.judge(frames, events)


def _run_peers(clip: Path, entry: dict[str, Any], frames: Frames, work: Path) -> tuple[dict[str, Judged],
                                                                                      dict[str, str]]:
    info = probe(clip)
    runs = {"ffmpeg thumbnail": lambda: ffmpeg_thumbnail(clip, work / "ffmpeg-thumbnail.jpg"),
            "frame at 50 %": lambda: frame_at_half(clip, info, work / "half.jpg")}
    missing = vcsi_available()
    if not missing:
        runs["vcsi"] = lambda: vcsi_picks(clip, work)
        runs["vcsi (defaults)"] = lambda: vcsi_picks(clip, work, samples=None)
    judged, notes = {}, {} if not missing else {"vcsi": missing}
    for name, run in runs.items():
        started = time.perf_counter()
        try:
            pick = run()
        except Exception as exc:  # a peer failing on a clip is a result, not a crash of the benchmark
            notes[name] = f"failed on {entry['name']}: {str(exc).strip().splitlines()[-1][:120]}"
            continue
        pick.seconds = time.perf_counter() - started
        judged[name] = _peer_judged(name, pick, frames, entry["events"])
        notes.setdefault(name, pick.note)
    return judged, notes


def measure_clip(root: Path, entry: dict[str, Any], work: Path, runs: int) -> ClipResult:
    clip = root / entry["file"]
    frames = decode_frames(clip, entry["picture"])
    before = full_decode(clip, 1).seconds
    methods = run_methods(clip, entry, work / entry["name"], frames)
    after = full_decode(clip, 1).seconds
    result = ClipResult(entry, len(frames.times), frames.spread(), statistics.median([before, after]), methods)
    result.peers, result.peer_notes = _run_peers(clip, entry, frames, work / entry["name"])
    if SPEED in entry["groups"]:
        folder = work / entry["name"] / "speed"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        timed_set, decode = paired_medians(lambda: time_call(lambda: run_set(clip, folder)),
                                           lambda: full_decode(clip, 1), runs)
        result.set_seconds, result.set_decode = timed_set.seconds, decode.seconds
    return result


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Thumbnail quality on the real-footage set.")
    parser.add_argument("--footage", type=Path, default=None, help="the set's folder (fetched there if missing)")
    parser.add_argument("--only", action="append", help="only this clip (repeatable)")
    parser.add_argument("--runs", type=int, default=3, help="thumbnail-set/decode pairs per speed clip (median)")
    parser.add_argument("--output", type=Path, default=None,
                        help="markdown to write (default: bench/QUALITY.md, or bench/out/QUALITY-partial.md)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    root = args.footage or default_dest()
    described = load_set(root) or fetch(root, log=lambda line: print(line, file=sys.stderr))
    clips = [c for c in described["clips"] if not args.only or c["name"] in args.only]
    if not clips:
        print(f"quality: no clip named {', '.join(args.only or [])} in {root}", file=sys.stderr)
        return 1
    work = OUT_DIR / "quality"
    started, load = time.perf_counter(), os.getloadavg()[0]
    results = []
    for entry in clips:
        print(f"== {entry['name']}", file=sys.stderr, flush=True)
        results.append(measure_clip(root, entry, work, args.runs))
    document = render(results, time.perf_counter() - started, load, partial=bool(args.only))
    output = args.output or (OUT_DIR / "QUALITY-partial.md" if args.only else BENCH_DIR / "QUALITY.md")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(document, encoding="utf-8")
    print(document)
    print(f"written to {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
