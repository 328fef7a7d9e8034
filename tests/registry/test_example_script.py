"""examples/example_export_registry.py runs as documented and leaves a registry in the guide's format behind."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_example_export_registry_runs(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(REPO / "examples" / "example_export_registry.py"), str(tmp_path)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "Error:" in result.stdout and "unknown-id" in result.stdout
    snapshot = json.loads((tmp_path / "export_registry.json").read_text(encoding="utf-8"))
    video = snapshot["videos"]["abc12345"]
    assert video["performance"]["engagement_rate"] == 5.3
    assert video["platforms"]["youtube"]["status"] == "published"
