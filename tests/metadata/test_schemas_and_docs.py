"""The rules schema catches typos and documents itself; docs/platform-rules.md documents every key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from storyexport.metadata import TEMPLATE_VARIABLES, UPLOAD_VARIABLES
from storyexport.resources import schemas_dir

DOCS = Path(__file__).resolve().parents[2] / "docs" / "platform-rules.md"
SCHEMAS = ["platform", "platform-metadata", "metadata"]
VIDEO_KEYS = {"min_duration_s", "max_duration_s", "min_width", "min_height", "max_width", "max_height", "min_fps",
              "max_fps", "codecs", "pix_fmts", "audio_codecs", "audio_sample_rates", "max_file_size_mb",
              "max_bitrate_kbps", "containers", "recommended"}


def load(name: str) -> dict:
    return json.loads((schemas_dir() / f"{name}.schema.json").read_text(encoding="utf-8"))


def object_schemas(node, path="#") -> Iterator[tuple[str, dict]]:
    if isinstance(node, dict):
        if "properties" in node:
            yield path, node
        for key, value in node.items():
            yield from object_schemas(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from object_schemas(value, f"{path}/{index}")


@pytest.mark.parametrize("name", SCHEMAS)
def test_schemas_have_an_id_and_describe_every_property(name):
    schema = load(name)
    assert schema["$id"] == f"https://storyexport.dev/schemas/{name}.schema.json"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    missing = [f"{path}.{key}" for path, node in object_schemas(schema) for key, prop in node["properties"].items()
               if isinstance(prop, dict) and "description" not in prop]
    assert missing == []


def test_every_rules_object_rejects_unknown_keys():
    open_objects = [path for path, node in object_schemas(load("platform"))
                    if node.get("additionalProperties") is not False]
    assert open_objects == []


def test_video_keys_are_exactly_the_media_engine_contract_and_default_to_no_limit():
    video = load("platform")["$defs"]["video"]["properties"]
    assert set(video) == VIDEO_KEYS
    assert all(video[key]["default"] is None for key in VIDEO_KEYS - {"recommended"})


def test_docs_mention_every_rules_key_and_template_variable():
    docs = DOCS.read_text(encoding="utf-8")
    keys = {key for _, node in object_schemas(load("platform")) for key in node["properties"]}
    undocumented = sorted(k for k in keys | TEMPLATE_VARIABLES | UPLOAD_VARIABLES if f"`{k}`" not in docs
                          and f"`{k}," not in docs and f" {k}`" not in docs and f", `{k}`" not in docs)
    assert undocumented == []


def test_builtin_rules_files_start_with_the_schema_modeline(builtin_dir):
    for path in sorted(builtin_dir.glob("*.yaml")):
        assert path.read_text(encoding="utf-8").splitlines()[0] == \
            "# yaml-language-server: $schema=../schemas/platform.schema.json", path.name


def test_builtin_limits_match_the_reference_facts(exporter):
    rules = exporter.rules
    assert rules["youtube"]["video"]["max_duration_s"] == 179.5
    assert rules["tiktok"]["video"]["max_duration_s"] == 600
    assert (rules["instagram"]["video"]["min_duration_s"], rules["instagram"]["video"]["max_duration_s"]) == (3, 900)
    assert (rules["youtube"]["text"]["description"]["max_length"], rules["youtube"]["text"]["description"]["unit"]) \
        == (5000, "utf8_bytes")
    assert rules["tiktok"]["text"]["description"]["unit"] == "utf16_units"
    assert [rules[p]["hashtags"]["max_count"] for p in ("youtube", "tiktok", "instagram")] == [60, 5, 5]
    assert rules["youtube"]["tags"]["max_total"] == 500
