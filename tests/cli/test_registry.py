"""``storyexport registry ...``: every action, through the real dispatcher, with exit codes and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyexport.cli import main

MANIFEST = """version: 1
output_dir: out
stories:
  - {id: a1, title: "First story", segment: women, age_group: 18-23, source: media/a1.mp4}
"""


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "reg" / "export_registry.sqlite"
    from storyexport.registry import ExportRegistry

    ExportRegistry(path).register_export("a1", "First story", "women", "18-23", "a1.mp4",
                                         platforms=["youtube", "tiktok"])
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_publish_perf_show_list_stats(capsys, db):
    reg = ["--registry", str(db)]
    assert run(capsys, "registry", "publish", "a1", "--platform", "youtube", "--status", "published",
               "--url", "https://youtube.com/shorts/q", *reg)[0] == 0
    code, out, _ = run(capsys, "registry", "perf", "a1", "--views", "50000", "--likes", "2500", "--shares", "150",
                       *reg)
    assert code == 0 and "engagement 5.3%" in out
    code, out, _ = run(capsys, "registry", "show", "a1", *reg)
    info = json.loads(out)
    assert info["platforms"]["youtube"]["url"] == "https://youtube.com/shorts/q"
    assert info["performance"]["views"] == 50000 and len(info["performance_history"]) == 1
    code, out, _ = run(capsys, "registry", "list", "--status", "published", *reg)
    assert code == 0 and "a1" in out and "50,000" in out
    code, out, _ = run(capsys, "registry", "list", "--segment", "men", *reg)
    assert "a1" not in out
    code, out, _ = run(capsys, "registry", "stats", *reg)
    assert code == 0 and "Total exports: 1" in out


def test_errors_are_one_line_exit_1_and_usage_errors_exit_2(capsys, db, tmp_path):
    reg = ["--registry", str(db)]
    code, _, err = run(capsys, "registry", "show", "zz", *reg)
    assert (code, err) == (1, "storyexport: no export registered with id 'zz'\n")
    code, _, err = run(capsys, "registry", "import-json", str(tmp_path / "nope.json"), *reg)
    assert code == 1 and err.count("\n") == 1 and "nope.json: file not found" in err
    code, _, err = run(capsys, "registry", "perf", "a1", "--views", "-5", "--likes", "1", "--shares", "1", *reg)
    assert code == 2 and "must be >= 0" in err
    assert run(capsys, "registry", "publish", "a1", "--status", "published", *reg)[0] == 2
    code, _, err = run(capsys, "registry", "list", "-m", str(tmp_path / "missing.yaml"))
    assert code == 1 and "manifest not found" in err


def test_manifest_finds_the_registry_and_json_round_trip(capsys, tmp_path, monkeypatch):
    (tmp_path / "exports.yaml").write_text(MANIFEST, encoding="utf-8")
    guide_registry = {"version": "1.0", "created_at": "2025-01-01T00:00:00", "last_updated": "2025-01-01T00:00:00",
            "total_exports": 1, "videos": {"a1": {
                "title": "First story", "title_id": "a1", "segment": "women", "age_group": "18-23",
                "export_date": "2025-01-01T00:00:00", "publish_status": "pending", "platforms": {},
                "performance": {"views": 10, "likes": 1, "shares": 0, "engagement_rate": 10.0}}}}
    (tmp_path / "guide.json").write_text(json.dumps(guide_registry), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "registry", "import-json", "guide.json")
    assert out.startswith("imported 1 videos")
    assert code == 0, err
    snapshot = tmp_path / "out" / "export_registry.json"
    original = snapshot.read_bytes()
    snapshot.unlink()
    assert run(capsys, "registry", "export-json")[0] == 0
    assert snapshot.read_bytes() == original
    assert run(capsys, "registry", "export-json", "-o", "copy.json")[0] == 0
    assert (tmp_path / "copy.json").read_bytes() == original


def test_import_csv_reports_unmatched_and_is_idempotent(capsys, db, tmp_path):
    csv_file = tmp_path / "tiktok.csv"
    csv_file.write_text("Video title,Video link,Total views,Total likes,Total comments,Total shares\n"
                        "First story,https://www.tiktok.com/@me/video/1,900,90,9,0\n"
                        "Who knows,https://www.tiktok.com/@me/video/2,5,0,0,0\n", encoding="utf-8")
    reg = ["--registry", str(db)]
    code, out, _ = run(capsys, "registry", "import", str(csv_file), *reg)
    assert code == 0
    assert out.splitlines() == ["tiktok: 2 rows, 1 snapshots recorded, 0 already imported, 1 unmatched",
                                "  unmatched: tiktok.csv:3: Who knows (https://www.tiktok.com/@me/video/2)"]
    code, out, _ = run(capsys, "registry", "import", str(csv_file), *reg)
    assert out.startswith("tiktok: 2 rows, 0 snapshots recorded, 1 already imported")
    code, _, err = run(capsys, "registry", "import", str(csv_file), "--platform", "myspace", *reg)
    assert code == 1 and "no column mapping for platform 'myspace'" in err
