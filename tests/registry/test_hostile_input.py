"""Hostile and accidental input to ``storyexport registry``: one line on stderr, exit 1, the store unchanged."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from storyexport.registry import ExportRegistry, RegistryError


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "reg" / "export_registry.sqlite"
    registry = ExportRegistry(path)
    registry.register_export("a1", "First story", "women", "18-23", "a1.mp4", platforms=["youtube", "tiktok"])
    registry.close()
    return path


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 1, err
    assert err.count("\n") == 1 and err.startswith("storyexport: ") and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", " javascript:alert(1)", "ftp://h/x"])
def test_publish_rejects_a_url_that_is_not_http(cli, db, url):
    before = db.read_bytes()
    code, _, err = cli("registry", "publish", "a1", "--platform", "youtube", "--status", "published",
                       "--url", url, "--registry", str(db))
    assert_one_line_error(code, err, "http:// or https://")
    assert db.read_bytes() == before
    with pytest.raises(RegistryError, match="http:// or https://"):
        ExportRegistry(db).update_publish_status("a1", "youtube", "published", url)


def test_import_json_rejects_a_url_that_is_not_http(cli, db, tmp_path):
    seed = {"videos": {"x1": {"title": "T", "segment": "s", "age_group": "a", "platforms": {
        "youtube": {"status": "published", "url": "javascript:alert(1)"}}}}}
    source = tmp_path / "seed.json"
    source.write_text(json.dumps(seed), encoding="utf-8")
    code, _, err = cli("registry", "import-json", str(source), "--registry", str(db))
    assert_one_line_error(code, err, "seed.json", "videos.x1.platforms.youtube.url", "http:// or https://")
    assert "x1" not in ExportRegistry(db).all_videos()


EVIL = "Evil\x1b[2J\x1b]0;owned\x07 \x00title\x9b31m"
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture
def evil_project(tmp_path) -> Path:
    """A manifest whose registry holds a title and segment full of terminal control sequences."""
    (tmp_path / "exports.yaml").write_text(
        "version: 1\noutput_dir: out\nstories:\n"
        "  - {id: a1, title: Plain, segment: women, age_group: 18-23, source: a.mp4}\n", encoding="utf-8")
    registry = ExportRegistry(tmp_path / "out" / "export_registry.sqlite")
    registry.register_export("a1", EVIL, "wo\x1b[2Jmen", "18-23", "a1.mp4", platforms=["youtube"])
    registry.update_performance("a1", 100, 5, 1, platform="youtube")
    registry.close()
    return tmp_path


@pytest.mark.parametrize("argv", [("registry", "list"), ("registry", "stats"), ("report", "--format", "text")])
def test_people_facing_output_shows_control_characters_as_escapes(cli, evil_project, argv):
    code, out, err = cli(*argv, "-m", str(evil_project / "exports.yaml"))
    assert code == 0, err
    assert RAW_CONTROL.findall(out) == []
    assert "\\x1b[2J" in out


@pytest.mark.parametrize("argv", [("registry", "show", "a1"), ("report", "--format", "json")])
def test_json_output_escapes_control_characters_and_keeps_the_value(cli, evil_project, argv):
    code, out, err = cli(*argv, "-m", str(evil_project / "exports.yaml"))
    assert code == 0, err
    assert RAW_CONTROL.findall(out.replace("\n", "")) == []
    assert any("\x1b[2J" in text for text in strings(json.loads(out)))  # the same value, escaped only in JSON


def strings(value: object) -> list[str]:
    if isinstance(value, dict):
        return [*value, *(s for item in value.values() for s in strings(item))]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return [value] if isinstance(value, str) else []


def test_error_lines_show_control_characters_as_escapes(cli, db):
    code, _, err = cli("registry", "import", "stats\x1b[2J\x07.csv", "--registry", str(db))
    assert_one_line_error(code, err, "stats\\x1b[2J\\x07.csv: file not found")
    assert RAW_CONTROL.findall(err.rstrip("\n")) == []
