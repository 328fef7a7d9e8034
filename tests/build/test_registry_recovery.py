"""A deleted registry database is noticed by the next build and restored from the JSON snapshot, publish statuses
included, so `registry publish ID` works again (issue 13, item 4)."""

from __future__ import annotations

import json

import pytest

from storyexport.cli import main

from .conftest import Project


def registry(project: Project, action: str, *args: str) -> int:
    return main(["registry", action, "--registry", str(project.out / "export_registry.sqlite"), *args])


@pytest.mark.parametrize("stamp", ["on", "off"])
def test_a_deleted_registry_database_is_restored_by_the_next_build(project: Project, stamp: str,
                                                                   capsys: pytest.CaptureFixture[str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYEXPORT_STAMP", stamp)
    assert registry(project, "publish", "alpha", "--platform", "youtube", "--status", "published",
                    "--url", "https://youtu.be/alpha") == 0
    assert project.build() == 0  # a no-op (stamped when the stamp is on)
    assert project.build() == 0
    for path in project.out.glob("export_registry.sqlite*"):
        path.unlink()
    capsys.readouterr()
    assert project.build() == 0
    out = capsys.readouterr()
    assert "registry ok" in out.out, out.out
    assert registry(project, "publish", "beta", "--platform", "tiktok", "--status", "scheduled") == 0
    capsys.readouterr()
    assert registry(project, "show", "alpha") == 0
    alpha = json.loads(capsys.readouterr().out)
    assert alpha["platforms"]["youtube"]["status"] == "published"
    assert alpha["platforms"]["youtube"]["url"] == "https://youtu.be/alpha"
    assert project.build() == 0
    assert "registry ok" not in capsys.readouterr().out, "restored once, then up to date again"


def test_build_events_never_recreate_a_deleted_registry_database(project: Project,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    for path in project.out.glob("export_registry.sqlite*"):
        path.unlink()
    assert project.doit("forget", "video:gamma").returncode == 0
    assert project.build("video:gamma") == 0  # its build event waits: only the registry task creates the store
    assert not (project.out / "export_registry.sqlite").exists()
    capsys.readouterr()
    assert project.build() == 0
    assert "registry ok" in capsys.readouterr().out
    assert registry(project, "publish", "alpha", "--platform", "youtube", "--status", "published") == 0
