"""Issue 12's per-clip targets on the real-footage set (``python bench/footage.py fetch``; ``.ci/run`` fetches it).

Marked ``real_footage`` (``pytest -m real_footage`` runs only these). Each quality clip of the set is one test:
storyexport's ``find_best_frame`` (combined, sharpness), ``generate_multiple_options`` and ``build_thumbnail_set``
run on it and are judged by the benchmark's own ground truth (``bench/truth.py``: every decoded frame, the clip's
construction): best frame at sharpness percentile >= 80, no black/mid-fade/dip/mid-dissolve pick, five options
pairwise >= 8 dHash bits and >= 0.5 s apart, bars <= 2 % of every written thumbnail. Without the set they skip,
saying how to fetch it. A clip in ``KNOWN_MISSES`` is expected to miss what its entry says (bench/QUALITY.md has
the numbers): it runs as ``xfail``, so a fix shows up as XPASS and the entry should go.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

from evaluate import run_methods, target_failures  # noqa: E402
from footage import FOOTAGE_ENV, default_dest, load_set  # noqa: E402
from variants import QUALITY  # noqa: E402

ROOT = default_dest()
SET = load_set(ROOT)
MISSING = (f"the real-footage set is not in {ROOT}: run 'python bench/footage.py fetch {ROOT}' "
           f"(or set {FOOTAGE_ENV} to where it is)")
CLIPS = [clip for clip in (SET or {"clips": []})["clips"] if QUALITY in clip["groups"]]

KNOWN_MISSES: dict[str, str] = {}  # none since thumb-quality's run (bench/QUALITY.md); add one with its reason


pytestmark = [pytest.mark.real_footage, pytest.mark.slow]


def _case(clip: dict) -> object:
    known = KNOWN_MISSES.get(clip["name"])
    return pytest.param(clip, id=clip["name"], marks=[pytest.mark.xfail(reason=known)] if known else [])


@pytest.mark.parametrize("clip", [_case(clip) for clip in CLIPS]
                         or [pytest.param(None, id="no-set", marks=pytest.mark.skip(reason=MISSING))])
def test_thumbnail_targets_on_real_clip(clip: dict, tmp_path: Path) -> None:
    judged = run_methods(ROOT / clip["file"], clip, tmp_path)
    problems = target_failures(judged)
    assert not problems, f"{clip['name']}: " + "; ".join(problems)
