"""The actions doit runs: module-level functions taking JSON-safe arguments.

Module-level so that tasks pickle under the ``spawn`` start method (macOS, Windows, Python 3.14) as well as under
``fork`` and ``-P thread``. Each action returns ``TaskFailed`` with a one-line reason instead of raising, so one bad
story fails its own tasks with a readable message and never a traceback (set STORYEXPORT_DEBUG=1 to see one).
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypedDict, TypeVar

from doit.exceptions import TaskFailed

from storyexport.config.model import (
    Manifest,
    ManifestDict,
    MetadataOptions,
    Story,
    StoryDict,
    ThumbnailOptions,
    VideoOptions,
)
from storyexport.config.rules_model import VideoRules
from storyexport.fsutil import write_json_atomic
from storyexport.jsontypes import JSONObject, JSONValue
from storyexport.layout import thumbnail_set_paths
from storyexport.sources import source_problem
from storyexport.store.settings import STORE_ENV

if TYPE_CHECKING:  # imported when a metadata task runs: keeps the build's start light
    from storyexport.metadata.platform import PlatformExporter

_Params = ParamSpec("_Params")
_Result = TypeVar("_Result")

# What the story actions import lazily (a no-op build must not pay for OpenCV and numpy).
STORY_ACTION_MODULES = ("storyexport.media.export", "storyexport.media.spec", "storyexport.media.thumbnails",
                        "storyexport.metadata.base", "storyexport.metadata.platform")


def preload() -> None:
    """Import the story actions' modules now: forked workers then inherit them instead of each importing them
    (~0.3 s of CPU per worker: numpy, OpenCV, Jinja2, JSON Schema). Not with a store: every story task of a build
    that uses one may be restored without running, and a worker that does run one imports what it needs then."""
    if os.environ.get(STORE_ENV):
        return
    for name in STORY_ACTION_MODULES:
        importlib.import_module(name)


class ExportResult(TypedDict):
    mode: str


class PlatformResult(TypedDict):
    checks_ok: bool
    failed_checks: list[str]


def one_line_failures(action: Callable[_Params, _Result]) -> Callable[_Params, _Result | TaskFailed]:
    """Turn any exception from ``action`` into ``TaskFailed(one line)``."""

    @functools.wraps(action)
    def run(*args: _Params.args, **kwargs: _Params.kwargs) -> _Result | TaskFailed:
        try:
            return action(*args, **kwargs)
        except Exception as exc:  # the reason is reported; the traceback only on request
            if os.environ.get("STORYEXPORT_DEBUG"):
                traceback.print_exc()
            message = " ".join(str(exc).split()) or type(exc).__name__
            return TaskFailed(message)

    return run


@one_line_failures
def make_sample(target: str, record: str, duration: float, width: int, height: int, fps: float, seed: int) -> None:
    """Generate a sample clip, but never over a file storyexport did not generate (``record`` keeps track)."""
    from storyexport.build.generated import write_generated
    from storyexport.media.samples import generate_sample

    write_generated(Path(target), Path(record), lambda path: generate_sample(
        path, duration=duration, width=width, height=height, fps=fps, seed=seed))


def clean_sample(target: str, record: str) -> None:
    """``doit clean`` of a sample: remove the clip only if storyexport generated it."""
    from storyexport.build.generated import remove_generated

    remove_generated(Path(target), Path(record))


@one_line_failures
def export_video(story_id: str, source: str, target: str, video: JSONObject,
                 platform_limits: dict[str, VideoRules]) -> ExportResult:
    from storyexport.media.export import export_video as export
    from storyexport.media.spec import target_spec

    problem = source_problem(Path(source))
    if problem:
        raise FileNotFoundError(f"story '{story_id}': source {source} {problem}")
    spec = target_spec(VideoOptions.merged(video), platform_limits)
    result = export(Path(source), Path(target), spec)
    return {"mode": result.mode}


@one_line_failures
def make_thumbnails(video: str, story_dir: str, story_id: str, options: JSONObject,
                    fit: str = VideoOptions.fit) -> None:
    from storyexport.media.thumbnails import build_thumbnail_set

    opts = ThumbnailOptions.merged(options)
    build_thumbnail_set(Path(video), thumbnail_set_paths(Path(story_dir), story_id, opts), opts, title=story_id,
                        fit=fit)


@one_line_failures
def write_base_metadata(story: StoryDict, video: str, thumbnails: list[str], target: str,
                        relative_to: str, scores: str | None = None) -> None:
    from storyexport.metadata.base import build_base_metadata

    files: dict[str, Path | list[Path]] = {"video": Path(video), "thumbnails": [Path(p) for p in thumbnails]}
    data = build_base_metadata(Story.from_dict(story), Path(video), _video_probe(video, scores), files,
                               Path(relative_to))
    write_json_atomic(Path(target), data)


def _video_probe(video: str, scores: str | None) -> dict[str, JSONValue]:
    """The probe the thumbnails task recorded in its scores (same file, same probe), else a fresh one."""
    if scores:
        recorded = json.loads(Path(scores).read_text(encoding="utf-8")).get("probe")
        if isinstance(recorded, dict) and recorded:
            return recorded
    from storyexport.media.probe import probe

    return probe(Path(video)).as_dict()


@functools.lru_cache(maxsize=32)
def _exporter(rules_file: str, signature: tuple[int, int]) -> PlatformExporter:
    from storyexport.metadata.platform import PlatformExporter

    return PlatformExporter.for_rules_file(rules_file)


def platform_exporter(rules_file: str) -> PlatformExporter:
    """One validated exporter per rules file and process, rebuilt only if that file changed. It reads only the
    platform's own rules file, which is the task's declared ``file_dep``."""
    stat = Path(rules_file).stat()
    return _exporter(rules_file, (stat.st_mtime_ns, stat.st_size))


@one_line_failures
def write_platform_metadata(story: StoryDict, platform: str, rules_file: str, base_metadata: str,
                            scores: str | None, target: str) -> PlatformResult:
    probe: dict[str, JSONValue] | None = json.loads(Path(base_metadata).read_text(encoding="utf-8")).get("probe")
    cover: float | None = None
    if scores and Path(scores).is_file():
        cover = json.loads(Path(scores).read_text(encoding="utf-8")).get("best", {}).get("timestamp")
    story_obj = Story.from_dict(story)
    data = platform_exporter(rules_file).generate_platform_metadata(
        story_obj, platform, probe=probe, cover_timestamp_s=cover, options=MetadataOptions.merged(story["metadata"])
    )
    write_json_atomic(Path(target), data)
    from storyexport.metadata.checks import failed_checks

    checks = data["checks"]
    return {"checks_ok": bool(checks["ok"]), "failed_checks": failed_checks(checks)}


@one_line_failures
def sync_registry(manifest: ManifestDict) -> None:
    from storyexport.registry import sync_registry as sync

    sync(Manifest.from_dict(manifest))


@one_line_failures
def write_report(manifest: ManifestDict) -> None:
    from storyexport.report import write_report as write

    write(Manifest.from_dict(manifest))
