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
    guide_registry = {"videos": {"x1": {"title": "T", "segment": "s", "age_group": "a", "platforms": {
        "youtube": {"status": "published", "url": "javascript:alert(1)"}}}}}
    source = tmp_path / "guide.json"
    source.write_text(json.dumps(guide_registry), encoding="utf-8")
    code, _, err = cli("registry", "import-json", str(source), "--registry", str(db))
    assert_one_line_error(code, err, "guide.json", "videos.x1.platforms.youtube.url", "http:// or https://")
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


GUIDE_VIDEO = '{"videos": {"x1": {"title": "t", "segment": "s", "age_group": "g", %s}}}'


@pytest.mark.parametrize(("name", "content", "fragment"), [
    ("perf_list.json", GUIDE_VIDEO % '"performance": [1, 2]', "videos.x1.performance: expected an object, got list"),
    ("platforms_list.json", GUIDE_VIDEO % '"platforms": ["youtube"]', "videos.x1.platforms: expected an object"),
    ("deep.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("digits.json", GUIDE_VIDEO % f'"performance": {{"views": {"9" * 5000}}}', "a number has too many digits"),
    ("inf.json", GUIDE_VIDEO % '"performance": {"views": 1e400}', "counts must be whole numbers"),
    ("big.json", GUIDE_VIDEO % f'"performance": {{"views": {10**23}}}', "views is larger than the registry can store"),
])
def test_import_json_refuses_hostile_documents_in_one_line(cli, db, tmp_path, name, content, fragment):
    source = tmp_path / name
    source.write_text(content, encoding="utf-8")
    before = db.read_bytes()
    code, _, err = cli("registry", "import-json", str(source), "--registry", str(db))
    assert_one_line_error(code, err, name, fragment)
    assert db.read_bytes() == before


@pytest.mark.parametrize("target", [".", "/dev/zero"])
@pytest.mark.parametrize("action", ["import", "import-json"])
def test_imports_refuse_folders_and_devices_without_reading_them(cli, db, target, action):
    code, _, err = cli("registry", action, target, "--registry", str(db))
    assert_one_line_error(code, err, f"{target}: ", "folder" if target == "." else "not a regular file")


@pytest.mark.parametrize(("count", "reason"), [("1e400", "is not a finite number"), (str(10**23), "larger than"),
                                              ("9" * 5000, "is not a finite number")])
def test_csv_counts_beyond_the_store_are_reported_per_row(cli, db, tmp_path, count, reason):
    source = tmp_path / "studio.csv"
    source.write_text(f"Video title,Views,Likes,Shares\nFirst story,{count},1,1\n", encoding="utf-8")
    code, out, err = cli("registry", "import", str(source), "--platform", "youtube", "--registry", str(db))
    assert code == 0 and err == "", err
    assert "0 snapshots recorded" in out and "1 unmatched" in out and reason in out


@pytest.mark.parametrize("views", ["99999999999999999999", str(2**63), "9" * 5000])
def test_perf_counts_beyond_the_store_are_one_line(cli, db, views):
    code, _, err = cli("registry", "perf", "a1", "--views", views, "--likes", "1", "--shares", "1",
                       "--registry", str(db))
    assert_one_line_error(code, err, "views is larger than the registry can store (at most 9,223,372,036,854,775,807)")
    assert cli("registry", "perf", "a1", "--views", str(2**63 - 1), "--likes", "1", "--shares", "1",
               "--registry", str(db))[0] == 0


def test_a_date_beyond_utc_range_is_one_line(cli, db, tmp_path):
    source = tmp_path / "studio.csv"
    source.write_text("Video title,Views,Likes,Shares\nFirst story,10,1,1\n", encoding="utf-8")
    code, _, err = cli("registry", "import", str(source), "--platform", "youtube", "--date",
                       "9999-12-31T23:00:00-14:00", "--registry", str(db))
    assert_one_line_error(code, err, "out of range once converted to UTC: '9999-12-31T23:00:00-14:00'")


def test_export_json_onto_a_folder_is_one_line(cli, db, tmp_path):
    (tmp_path / "folder").mkdir()
    code, _, err = cli("registry", "export-json", "-o", str(tmp_path / "folder"), "--registry", str(db))
    assert_one_line_error(code, err, "folder: is a folder, not a file")
