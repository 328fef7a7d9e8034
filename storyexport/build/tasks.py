"""Manifest -> doit task dicts. Pure planning: nothing here reads media or writes files.

Tasks per story: ``video:<id>``, ``thumbnails:<id>``, ``metadata:<id>``, ``platform:<id>:<platform>``; per sample
``sample:<path>``; aggregates ``registry`` and ``report``; and ``orphans`` (``doit clean orphans`` removes outputs of
stories no longer in the manifest). Each task's ``uptodate`` holds exactly the configuration slice it reads plus its
recipe version, and its ``file_dep`` the files it reads, so an edit reruns exactly what it affects.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from storyexport.build import actions
from storyexport.build.caching import shard_manifest, with_store
from storyexport.build.checker import cache_path_for
from storyexport.build.doit_runner import AFTER_FAILURES
from storyexport.build.doit_types import Action, TaskDict
from storyexport.build.generated import RECORD_META, record_for
from storyexport.build.orphans import remove_orphans
from storyexport.build.recipes import recipe
from storyexport.build.uptodate import ConfigSlice, InputsDigest, StorePresent
from storyexport.config.model import STORY_METADATA_KEYS, Manifest, Story, StoryDict
from storyexport.config.rules_model import RulesByPlatform, VideoRules
from storyexport.jsontypes import JSONObject
from storyexport.layout import REGISTRY_DB, REGISTRY_JSON, REPORT_HTML, StoryOutputs, story_outputs
from storyexport.resources import rules_file
from storyexport.store.settings import StoreSettings


@dataclass(frozen=True)
class BuildOptions:
    """Which stages to build (BatchExporter can switch stages off; the manifest build runs all)."""

    thumbnails: bool = True
    metadata: bool = True
    aggregates: bool = True


def rel(path: Path | str) -> str:
    """Paths as doit stores them: relative to the working directory, so a cached database survives a move."""
    return os.path.relpath(path)


def _task(basename: str, name: str | None, *, action: Action, file_dep: list[str], targets: list[str],
          config: dict[str, object], doc: str, clean: bool | list[Action] = True) -> TaskDict:
    task: TaskDict = {
        "basename": basename,
        "actions": [action],
        "file_dep": file_dep,
        "targets": targets,
        "uptodate": [ConfigSlice(recipe(basename), config, targets)],
        "doc": doc,
        "verbosity": 1,
    }
    if clean:  # the registry is never cleaned: it holds publish status and performance history
        task["clean"] = clean
    if name is not None:
        task["name"] = name
    return task


def sample_tasks(manifest: Manifest) -> Iterator[TaskDict]:
    """A sample path may hold the user's own footage: the task neither overwrites nor cleans a file it did not
    generate (``generated`` records what it did)."""
    record = rel(record_for(manifest.path))
    for sample in manifest.samples:
        target = rel(sample.path)
        params: list[object] = [sample.duration, sample.width, sample.height, sample.fps, sample.seed]
        task = _task("sample", target, action=(actions.make_sample, [target, record, *params]), file_dep=[],
                     targets=[target], config={"params": params}, doc=f"generate sample clip {target}",
                     clean=[(actions.clean_sample, [target, record])])
        yield {**task, "meta": {RECORD_META: record}}  # a restore from the store records the clip too


@dataclass(frozen=True)
class GraphContext:
    """What every story's tasks share, computed once per manifest (thousands of stories make this matter)."""

    out: str
    rule_files: dict[str, str]
    limits: dict[str, VideoRules]

    @classmethod
    def create(cls, manifest: Manifest, rules: RulesByPlatform) -> GraphContext:
        return cls(out=rel(manifest.output_dir),
                   rule_files={p: rel(rules_file(manifest.platforms_dir, p)) for p in rules},
                   limits={p: rules[p]["video"] for p in rules})


def story_tasks(ctx: GraphContext, story: Story, files: StoryOutputs,
                options: BuildOptions) -> Iterator[TaskDict]:
    source = rel(story.source)
    # project-relative, like every path a task gets: the store's action keys must be the same in every checkout
    data: StoryDict = {**story.to_dict(), "source": source}
    video_options = data["video"]
    limits = {p: ctx.limits[p] for p in story.platforms}
    yield _task("video", story.id,
                action=(actions.export_video, [story.id, source, files.video, video_options, limits]),
                file_dep=[source], targets=[files.video],
                config={"video": _video_slice(video_options), "limits": limits},
                doc=f"export {story.id} for {', '.join(story.platforms)}")
    thumbs = list(files.thumbnails) if options.thumbnails else []
    if options.thumbnails:
        yield _task("thumbnails", story.id,
                    action=(actions.make_thumbnails, [files.video, files.folder, story.id, data["thumbnails"],
                                                      video_options["fit"]]),
                    file_dep=[files.video], targets=thumbs,
                    config={"thumbnails": data["thumbnails"], "fit": video_options["fit"]},
                    doc=f"thumbnail set of {story.id}")
    if not options.metadata:
        return
    text = _text_slice(data)
    scores = files.scores if options.thumbnails else None
    yield _task("metadata", story.id,
                action=(actions.write_base_metadata, [data, files.video, sorted(thumbs), files.base_metadata,
                                                      ctx.out, scores]),
                file_dep=[files.video, *thumbs], targets=[files.base_metadata], config={"story": text},
                doc=f"base metadata of {story.id}")
    for platform, target in files.platforms.items():
        yield _task("platform", f"{story.id}:{platform}",
                    action=(actions.write_platform_metadata,
                            [data, platform, ctx.rule_files[platform], files.base_metadata, scores, target]),
                    file_dep=[files.base_metadata, ctx.rule_files[platform], *([scores] if scores else [])],
                    targets=[target], config={"story": text, "metadata": data["metadata"]},
                    doc=f"{platform} metadata of {story.id}")


# Video options added after the video recipe's first version, at the value that leaves the export as it was: they
# enter the config slice only when set otherwise, so upgrading storyexport does not re-export every video.
_VIDEO_DEFAULTS_OUTSIDE_SLICE = {"remove_bars": False}


def _video_slice(options: JSONObject) -> JSONObject:
    return {k: v for k, v in options.items()
            if k not in _VIDEO_DEFAULTS_OUTSIDE_SLICE or v != _VIDEO_DEFAULTS_OUTSIDE_SLICE[k]}


def _text_slice(story: StoryDict) -> dict[str, object]:
    """The story fields metadata reads (``STORY_METADATA_KEYS``)."""
    return {k: story.get(k) for k in STORY_METADATA_KEYS}


def aggregate_tasks(manifest: Manifest, ctx: GraphContext, outputs: list[StoryOutputs], story_task_names: list[str],
                    dep_file: Path) -> Iterator[TaskDict]:
    """``registry`` and ``report``: they run after every story task, even when some failed (``AFTER_FAILURES``)."""
    metadata_files = sorted(path for f in outputs for path in (f.base_metadata, *f.platforms.values()))
    thumbs = sorted(path for f in outputs for path in f.thumbnails)
    registry_json = f"{ctx.out}/{REGISTRY_JSON}"
    summary = [{"id": s.id, "title": s.title, "segment": s.segment, "age_group": s.age_group,
                "platforms": list(s.platforms)} for s in manifest.stories]
    data = manifest.to_dict()
    cache = rel(cache_path_for(dep_file))
    for basename, action, inputs, targets, doc, clean in (
        ("registry", actions.sync_registry, metadata_files, [registry_json],
         "register every export in the registry (SQLite + JSON snapshot)", False),
        ("report", actions.write_report, [registry_json, *metadata_files, *thumbs], [f"{ctx.out}/{REPORT_HTML}"],
         "HTML report of every story", True),
    ):
        task = _task(basename, None, action=(action, [data]), file_dep=[], targets=targets,
                     config={"stories": summary}, doc=doc, clean=clean)
        task["uptodate"].append(InputsDigest(inputs, cache))
        if basename == "registry":
            task["uptodate"].append(StorePresent(f"{ctx.out}/{REGISTRY_DB}"))
        task["task_dep"] = list(story_task_names) + (["registry"] if basename == "report" else [])
        task["meta"] = {AFTER_FAILURES: True}
        yield task


def generate_tasks(manifest: Manifest, rules: RulesByPlatform, dep_file: Path,
                   options: BuildOptions | None = None,
                   store: StoreSettings | None = None) -> Iterator[TaskDict]:
    """Every task of the manifest; with a store, media tasks go through the action cache, and with a shard only
    that shard's story tasks are built (no registry or report: the final job builds those)."""
    options = options or BuildOptions()
    all_ids = [s.id for s in manifest.stories]
    if store is not None and store.shard is not None:
        manifest = shard_manifest(manifest, store.shard)
        options = replace(options, aggregates=False)
    yield from with_store(_graph(manifest, rules, dep_file, options), store, rel(cache_path_for(dep_file)))
    yield {
        "basename": "orphans",
        "actions": None,
        "clean": [(remove_orphans, [str(dep_file), all_ids])],
        "doc": "'doit clean orphans' removes the outputs of stories no longer in the manifest",
    }


def _graph(manifest: Manifest, rules: RulesByPlatform, dep_file: Path,
           options: BuildOptions) -> Iterator[TaskDict]:
    yield from sample_tasks(manifest)
    ctx = GraphContext.create(manifest, rules)
    story_task_names: list[str] = []
    outputs = [story_outputs(ctx.out, story) for story in manifest.stories]
    for story, files in zip(manifest.stories, outputs, strict=True):
        for task in story_tasks(ctx, story, files, options):
            story_task_names.append(f"{task['basename']}:{task['name']}")
            yield task
    if options.aggregates and options.metadata:
        yield from aggregate_tasks(manifest, ctx, outputs, story_task_names, dep_file)
