"""The package works from a built wheel, not only editable: schemas, built-in rules and the example ship inside."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds and installs a wheel

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(REPO)], check=True, capture_output=True, timeout=300)
    return next(out.glob("storyexport-*.whl"))


def test_wheel_carries_the_data_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("storyexport/_data/schemas/manifest.schema.json", "storyexport/_data/schemas/platform.schema.json",
                 "storyexport/_data/platforms/youtube.yaml", "storyexport/_data/platforms/tiktok.yaml",
                 "storyexport/_data/platforms/instagram.yaml", "storyexport/_data/example/exports.yaml",
                 "storyexport/_data/example/dodo.py", "storyexport/_data/example/doit.cfg"):
        assert name in names, name


def test_wheel_installed_tool_validates_from_another_directory(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True,
                   timeout=300)
    # the dependencies come from this test run's environment; the package itself only from the wheel
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(subprocess.check_output([str(python), "-c", purelib], text=True).strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.check_output([str(python), "-c", "import storyexport; print(storyexport.__file__)"],
                                    cwd=work, text=True)
    assert str(venv) in where
    tool = venv / "bin" / "storyexport"
    init = subprocess.run([str(tool), "init", "proj"], cwd=work, capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stderr
    # validate with the wheel's built-in rules: no platforms/ folder beside the manifest
    (work / "proj" / "platforms").rename(work / "proj" / "my-rules")
    result = subprocess.run([str(tool), "validate", "-m", "proj/exports.yaml"], cwd=work, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = work / "broken.yaml"
    broken.write_text("version: 1\nstories:\n  - {id: ../x, title: t, segment: s, age_group: a, source: x.mp4}\n")
    result = subprocess.run([str(tool), "validate", "-m", str(broken)], cwd=work, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1 and f"{broken}:3:" in result.stdout and "Traceback" not in result.stderr
