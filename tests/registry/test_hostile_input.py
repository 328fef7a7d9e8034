"""Hostile and accidental input to ``storyexport registry``: one line on stderr, exit 1, the store unchanged."""

from __future__ import annotations

import json
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
