"""Where ``storyexport registry`` looks: a mistyped ``--registry`` is an error (never a new empty database), and
with no manifest it uses the API's default ``data/final/`` as ``ExportRegistry()`` does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyexport.cli import main
from storyexport.registry import ExportRegistry

CSV = "Video title,Video link,Total views,Total likes,Total comments,Total shares\nA,https://t/1,1,0,0,0\n"
COMMANDS = [["list"], ["show", "a1"], ["stats"], ["export-json"], ["publish", "a1", "--platform", "youtube",
            "--status", "published"], ["perf", "a1", "--views", "1", "--likes", "0", "--shares", "0"],
            ["import", "stats.csv", "--platform", "tiktok"]]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_a_mistyped_registry_is_an_error_not_a_new_database(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            command: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stats.csv").write_text(CSV, encoding="utf-8")
    code, _, err = run(capsys, "registry", *command, "--registry", "typo.sqlite")
    assert (code, err) == (1, "storyexport: registry not found: typo.sqlite (nothing registered there yet: "
                              "build first, or pass --registry PATH)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stats.csv"]


def test_a_folder_is_no_registry(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "registry", "list", "--registry", str(tmp_path))
    assert (code, err) == (1, f"storyexport: registry {tmp_path} is a folder, not a database file\n")


def test_import_json_may_start_a_registry(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    guide_registry = {"version": "1.0", "videos": {"a1": {"title": "First", "title_id": "a1", "segment": "w",
                                                "age_group": "18-23", "platforms": {}}}}
    (tmp_path / "guide.json").write_text(json.dumps(guide_registry), encoding="utf-8")
    new = tmp_path / "new.sqlite"
    code, out, err = run(capsys, "registry", "import-json", str(tmp_path / "guide.json"), "--registry", str(new))
    assert code == 0 and out.startswith("imported 1 videos"), err
    assert run(capsys, "registry", "list", "--registry", str(new))[1].count("a1") == 1


def test_without_a_manifest_the_api_default_location_is_used(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "registry", "list")
    assert code == 1 and "registry not found: data/final/export_registry.sqlite" in err
    assert not (tmp_path / "data").exists()
    registry = ExportRegistry()  # the original guide's default: data/final/export_registry.sqlite
    registry.register_export("a1", "First story", "women", "18-23", "women/18-23/a1.mp4", platforms=["youtube"])
    registry.close()
    code, out, err = run(capsys, "registry", "list")
    assert code == 0 and "a1" in out and "First story" in out, err
    assert run(capsys, "registry", "publish", "a1", "--platform", "youtube", "--status", "published")[0] == 0
    assert json.loads(run(capsys, "registry", "show", "a1")[1])["publish_status"] == "published"
    code, _, err = run(capsys, "registry", "list", "-m", "exports.yaml")  # a manifest named outright must exist
    assert code == 1 and "manifest not found: exports.yaml" in err
