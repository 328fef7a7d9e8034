"""The guide's ``BatchExporter`` and ``VideoCompositor.export_with_enhancements``, on doit rather than beside it.

A batch is written as a manifest under ``{output_dir}/.storyexport/`` and built by doit like any other, so a batch
gets the same incremental rebuilds, parallelism, failure isolation and registry events as ``doit -n 4``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypedDict

import yaml

from storyexport.build.doit_types import BuildEvent
from storyexport.build.loader import build_namespace
from storyexport.build.lock import LOCK_NAME, project_lock
from storyexport.build.reporter import BuildReporter
from storyexport.build.runner import doit_argv, run_doit
from storyexport.build.tasks import BuildOptions
from storyexport.config.manifest import load_for_build
from storyexport.config.model import ALL_PLATFORMS_DEFAULT, Manifest, Story, StoryIdea
from storyexport.fsutil import write_text_atomic
from storyexport.layout import base_metadata_path, platform_metadata_path, story_thumbnail_paths, video_path
from storyexport.sources import is_url

ProgressCallback = Callable[[int, int, str, str], None]
STORY_KEYS = ("id", "title", "segment", "age_group", "source", "description", "theme", "tone", "hashtags",
              "platforms", "video", "thumbnails", "metadata")
# A story of the batch's manifest as YAML will hold it (validation then checks every value, naming the line).
ManifestEntry = dict[str, object]


class TaskError(TypedDict):
    task: str
    reason: str


class ThumbnailFiles(TypedDict):
    best: str
    options: list[str]
    grid: str | None


class MetadataFiles(TypedDict):
    base: str
    platforms: dict[str, str]


class StoryResult(TypedDict):
    """One story of a batch: its outputs and the one-line reason of every failed task."""

    story_id: str
    title: str
    success: bool
    errors: list[TaskError]
    video_path: str
    thumbnails: ThumbnailFiles | None
    metadata: MetadataFiles | None


class BatchResult(TypedDict):
    total: int
    successful: int
    failed: int
    duration_seconds: float
    results: list[StoryResult]
    options: BuildOptions


def story_entry(story: Story | StoryIdea, source: str | Path | None = None) -> ManifestEntry:
    """A manifest entry from a Story or a ``story_idea`` mapping as in the guide (``title_id`` works as ``id``)."""
    data: ManifestEntry = dict(story.to_dict()) if isinstance(story, Story) else dict(story)
    if "id" not in data and "title_id" in data:
        data["id"] = data["title_id"]
    if source is not None:
        data["source"] = str(source)
    if "source" in data and not is_url(str(data["source"])):  # a URL stays one, so validation can name it
        data["source"] = str(Path(str(data["source"])).resolve())
    return {k: v for k, v in data.items() if k in STORY_KEYS and v is not None}


def _platforms(entry: ManifestEntry) -> list[str]:
    value = entry.get("platforms")
    return [str(name) for name in value] if isinstance(value, list | tuple) and value else list(ALL_PLATFORMS_DEFAULT)


class BatchExporter:
    """Export many stories at once with doit: parallel workers, per-story failures, retries."""

    def __init__(self, max_workers: int = 4, output_dir: str | Path = "data/final",
                 platforms_dir: str | Path | None = None, parallel_type: str = "process"):
        self.max_workers = max_workers
        self.output_dir = Path(output_dir).resolve()
        self.platforms_dir = Path(platforms_dir).resolve() if platforms_dir else None
        self.parallel_type = parallel_type

    def _write_manifest(self, entries: list[ManifestEntry]) -> Path:
        data: dict[str, object] = {"version": 1, "output_dir": str(self.output_dir), "stories": entries}
        if self.platforms_dir:
            data["platforms_dir"] = str(self.platforms_dir)
        path = self.output_dir / ".storyexport" / "batch-manifest.yaml"
        write_text_atomic(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        return path

    def export_batch(self, story_ideas: Sequence[Story | StoryIdea],
                     source_videos: Sequence[str | Path] | None = None, parallel: bool = True,
                     export_thumbnails: bool = True, export_metadata: bool = True,
                     progress: ProgressCallback | None = None, register: bool = True) -> BatchResult:
        """Export ``story_ideas`` (each with a ``source``, or paired with ``source_videos``), the guide's names.

        Returns ``{"total", "successful", "failed", "duration_seconds", "results": [...]}``; each result names the
        story, its outputs, and the one-line reason of every failed task.
        """
        options = BuildOptions(thumbnails=export_thumbnails, metadata=export_metadata, aggregates=register)
        return self._run(_entries(story_ideas, source_videos), options, parallel, progress, selected=None)

    def retry_failed(self, results: BatchResult, story_ideas: Sequence[Story | StoryIdea] | None = None,
                     source_videos: Sequence[str | Path] | None = None,
                     progress: ProgressCallback | None = None) -> BatchResult:
        """Rerun only the stories that failed in ``results`` (after their sources were fixed). Given
        ``story_ideas`` and ``source_videos`` (as the guide passes them), the batch is taken from them, so a
        corrected source path counts; otherwise from the batch's own manifest."""
        failed = [r["story_id"] for r in results["results"] if not r["success"]]
        if story_ideas is not None:
            entries = _entries(story_ideas, source_videos)
        else:
            manifest, _ = load_for_build(self.output_dir / ".storyexport" / "batch-manifest.yaml")
            entries = [story_entry(s) for s in manifest.stories]
        platforms = {entry["id"]: _platforms(entry) for entry in entries}
        selected = [n for sid in failed for n in (f"video:{sid}", f"thumbnails:{sid}", f"metadata:{sid}")]
        selected += [f"platform:{sid}:{p}" for sid in failed for p in platforms.get(sid, ALL_PLATFORMS_DEFAULT)]
        return self._run(entries, results.get("options", BuildOptions()), True, progress,
                         selected=selected, only=set(failed))

    def _export_single(self, story: Story | StoryIdea, source: str | Path | None = None) -> StoryResult:
        return self.export_batch([story], [source] if source else None, parallel=False)["results"][0]

    def _run(self, entries: list[ManifestEntry], options: BuildOptions, parallel: bool,
             progress: ProgressCallback | None, selected: list[str] | None,
             only: set[str] | None = None) -> BatchResult:
        """Write the batch manifest and build it, holding the project lock throughout (another batch into the same
        output folder waits)."""
        with project_lock(self.output_dir / ".storyexport" / LOCK_NAME):
            return self._build(entries, options, parallel, progress, selected, only)

    def _build(self, entries: list[ManifestEntry], options: BuildOptions, parallel: bool,
               progress: ProgressCallback | None, selected: list[str] | None,
               only: set[str] | None) -> BatchResult:
        started = time.monotonic()
        manifest_path = self._write_manifest(entries)
        manifest, rules = load_for_build(manifest_path)
        listener = _progress_listener(progress) if progress else None
        reporter = BuildReporter(mode="quiet", events_db=manifest.output_dir / "export_registry.sqlite",
                                 listener=listener)
        namespace = build_namespace(manifest_path, reporter=reporter, manifest=manifest, rules=rules,
                                    options=options)
        if selected is not None:
            present = {t["basename"] + (":" + t["name"] if "name" in t else "")
                       for t in namespace["task_storyexport"]()}
            selected = [name for name in selected if name in present]
        workers = self.max_workers if parallel else 0
        run_doit(namespace, doit_argv("run", workers, self.parallel_type, selected))
        failures: dict[str, list[TaskError]] = {}
        for outcome in reporter.state.outcomes:
            if not outcome.success:
                story_id = outcome.task.split(":")[1] if ":" in outcome.task else ""
                failures.setdefault(story_id, []).append({"task": outcome.task, "reason": outcome.reason or ""})
        results = [_story_result(manifest, story, failures.get(story.id, []), options)
                   for story in manifest.stories if only is None or story.id in only]
        successful = sum(r["success"] for r in results)
        return {"total": len(results), "successful": successful, "failed": len(results) - successful,
                "duration_seconds": round(time.monotonic() - started, 2), "results": results, "options": options}


def _entries(story_ideas: Sequence[Story | StoryIdea],
             source_videos: Sequence[str | Path] | None) -> list[ManifestEntry]:
    sources: list[str | Path | None] = list(source_videos) if source_videos is not None else [None] * len(story_ideas)
    if len(sources) != len(story_ideas):
        raise ValueError(f"{len(story_ideas)} stories but {len(sources)} source videos")
    return [story_entry(story, source) for story, source in zip(story_ideas, sources, strict=True)]


def _progress_listener(progress: ProgressCallback) -> Callable[[BuildEvent], None]:
    def listen(event: BuildEvent) -> None:
        if event["event"] in ("success", "failure", "skip"):
            progress(event["done"], event["total"], event["task"], event["event"])

    return listen


def _story_result(manifest: Manifest, story: Story, errors: list[TaskError],
                  options: BuildOptions) -> StoryResult:
    out = manifest.output_dir
    thumbs = story_thumbnail_paths(out, story)
    return {
        "story_id": story.id,
        "title": story.title,
        "success": not errors,
        "errors": errors,
        "video_path": str(video_path(out, story)),
        "thumbnails": {"best": str(thumbs.best), "options": [str(p) for p in thumbs.options],
                       "grid": str(thumbs.grid) if thumbs.grid else None} if options.thumbnails else None,
        "metadata": {"base": str(base_metadata_path(out, story)),
                     "platforms": {p: str(platform_metadata_path(out, story, p)) for p in story.platforms}}
        if options.metadata else None,
    }


def export_story(story_idea: Story | StoryIdea, source_video_path: str | Path | None = None,
                 output_dir: str | Path = "data/final", generate_multiple_thumbnails: bool = True,
                 generate_platform_metadata: bool = True, thumbnail_options: int = 5,
                 register_in_registry: bool = True, platforms_dir: str | Path | None = None) -> StoryResult:
    """The guide's ``VideoCompositor.export_with_enhancements`` in one call: export, thumbnails, metadata, registry."""
    entry = story_entry(story_idea, source_video_path)
    thumbnails = entry.get("thumbnails", {})
    if isinstance(thumbnails, Mapping):  # anything else is left for validation to report, with its line
        entry["thumbnails"] = {**thumbnails, "num_options": thumbnail_options}
    exporter = BatchExporter(max_workers=1, output_dir=output_dir, platforms_dir=platforms_dir)
    batch = exporter.export_batch([entry], parallel=False, export_thumbnails=generate_multiple_thumbnails,
                                  export_metadata=generate_platform_metadata, register=register_in_registry)
    return batch["results"][0]


class VideoCompositor:
    """The guide's entry point (its ``Generators.GVideoCompositor``): ``export_with_enhancements`` is
    :func:`export_story` into this compositor's ``output_dir``."""

    def __init__(self, output_dir: str | Path = "data/final", platforms_dir: str | Path | None = None):
        self.output_dir = output_dir
        self.platforms_dir = platforms_dir

    def export_with_enhancements(self, story_idea: Story | StoryIdea,
                                 source_video_path: str | Path | None = None,
                                 generate_multiple_thumbnails: bool = True, generate_platform_metadata: bool = True,
                                 thumbnail_options: int = 5, register_in_registry: bool = True) -> StoryResult:
        """Export one story with thumbnails, platform metadata and registration; the result is a batch result's
        entry (``success``, ``video_path``, ``thumbnails``, ``metadata``, ``errors``)."""
        return export_story(story_idea, source_video_path, self.output_dir, generate_multiple_thumbnails,
                            generate_platform_metadata, thumbnail_options, register_in_registry, self.platforms_dir)
