"""A platform template that is cheap for validate's sample values but costly for one story's real values: the
build fails that one task within the sandbox's time limit, says so in one line, and builds everything else."""

from __future__ import annotations

import pytest

from .conftest import Project

pytestmark = pytest.mark.slow  # end-to-end doit builds

# Costly only for a title containing "Alpha": validate renders with sample values and passes it.
SLOW = ("{% if 'Alpha' in title %}{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}"
        "{% endif %}{{ title }}")


def test_a_costly_template_fails_its_task_with_one_line(project: Project, capsys: pytest.CaptureFixture[str]):
    rules = project.root / "platforms" / "youtube.yaml"
    text = rules.read_text(encoding="utf-8")
    assert 'template: "{{ title }}"' in text
    rules.write_text(text.replace('template: "{{ title }}"', f'template: "{SLOW}"'), encoding="utf-8")
    assert project.build() == 1
    out = capsys.readouterr().out
    failed = [line.strip() for line in out.splitlines() if line.strip().startswith("FAILED")]
    assert len(failed) == 1 and failed[0].startswith("FAILED platform:alpha:youtube"), out
    assert "text.title: template too costly: rendering took longer than 2 s" in failed[0]
    assert "Traceback" not in out
    beta = project.out / "women" / "18-23" / "platforms" / "beta_youtube_metadata.json"
    assert beta.is_file() and "Beta story" in beta.read_text(encoding="utf-8")
