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

_FLAT = "a fixed camera (sharpness spread 7-8 %): best frame below the 80th percentile"
_ALIKE = "two options under 8 dHash bits apart as written"
KNOWN_MISSES: dict[str, str] = {  # from bench/QUALITY.md of 2026-11-29 23:58 (thumbspeed: options searched)
    "vtest.avi": _FLAT,
    "vtest-gop2s": f"{_FLAT} (combined)",
    "vtest-gop10s": f"{_FLAT}; {_ALIKE} (build_thumbnail_set: 7 bits)",
    "vtest-gop25s": _FLAT,
    "vtest-mjpeg": _FLAT,
    "tree.avi": f"{_ALIKE} (one static shot of a tree: 68 distinct frames in 30 s)",
    "bigbuckbunny.mp4": f"{_ALIKE} (one 5 s shot: no 5 of its 132 frames, 0.5 s apart, differ by even 6 bits)",
}

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
