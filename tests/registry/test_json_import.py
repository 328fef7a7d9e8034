"""Migrating a registry written by the original guide's JSON-only tool."""

from __future__ import annotations

import json

import pytest

from storyexport.registry import RegistryError
from storyexport.registry.json_import import import_guide_json
from storyexport.registry.snapshot import validation_errors

GUIDE_REGISTRY = {
    "version": "1.0",
    "created_at": "2025-01-01T00:00:00",
    "last_updated": "2025-01-01T12:00:00",
    "total_exports": 2,
    "videos": {
        "abc12345": {
            "title": "Story Title", "title_id": "abc12345", "segment": "women", "age_group": "18-23",
            "export_date": "2025-01-01T10:00:00", "publish_status": "published",
            "video_path": "/data/final/women/18-23/abc12345.mp4", "notes": {"editor": "kim", "tags": [1, 2]},
            "platforms": {"youtube": {"status": "published", "url": "https://youtube.com/shorts/x",
                                      "published_date": "2025-01-01T11:00:00", "channel": "main"}},
            "performance": {"views": 50000, "likes": 2500, "shares": 150, "engagement_rate": 5.3,
                            "last_updated": "2025-01-01T12:00:00"},
        },
        "def67890": {
            "title": "Second", "title_id": "def67890", "segment": "men", "age_group": "24-30",
            "export_date": "2025-01-01T10:30:00", "publish_status": "pending", "platforms": {},
            "performance": {"views": 0, "likes": 0, "shares": 0, "engagement_rate": 0},
        },
    },
}


def contains(big, small) -> bool:
    """Every key and value of ``small`` is in ``big`` (recursively)."""
    if isinstance(small, dict):
        return isinstance(big, dict) and all(k in big and contains(big[k], v) for k, v in small.items())
    return big == small


def test_guide_registry_is_imported_losing_nothing(registry, tmp_path):
    source = tmp_path / "guide_registry.json"
    source.write_text(json.dumps(GUIDE_REGISTRY), encoding="utf-8")
    assert import_guide_json(registry, source) == 2
    doc = json.loads(registry.json_path.read_text())
    assert validation_errors(doc) == []
    assert contains(doc, {k: v for k, v in GUIDE_REGISTRY.items() if k != "last_updated"})
    assert doc["videos"]["abc12345"]["performance"]["engagement_rate"] == 5.3
    history = registry.get_video_info("abc12345")["performance_history"]
    assert [(h["recorded_at"], h["views"]) for h in history] == [("2025-01-01T12:00:00", 50000)]


def test_importing_twice_changes_nothing(registry, tmp_path):
    source = tmp_path / "guide_registry.json"
    source.write_text(json.dumps(GUIDE_REGISTRY), encoding="utf-8")
    import_guide_json(registry, source)
    before = registry.json_path.read_bytes()
    import_guide_json(registry, source)
    assert registry.json_path.read_bytes() == before
    assert len(registry.snapshots()) == 2


@pytest.mark.parametrize(("text", "message"), [
    ("{not json", r"guide.json:1:2: not valid JSON"),
    ('{"videos": []}', r"guide.json: not an export registry"),
    ('{"videos": {"x": {"title": "T"}}}', r"guide.json: videos.x: missing segment, age_group"),
    ('{"videos": {"x": {"title": "T", "segment": "s", "age_group": "a", "export_date": "yesterday"}}}',
     r"would not match registry.schema.json: \$.videos.x.export_date"),
])
def test_bad_guide_files_are_one_line_errors_and_change_nothing(registry, register, tmp_path, text, message):
    register(registry)
    source = tmp_path / "guide.json"
    source.write_text(text, encoding="utf-8")
    with pytest.raises(RegistryError, match=message):
        import_guide_json(registry, source)
    assert [v["title_id"] for v in registry.list_videos()] == ["abc12345"]
