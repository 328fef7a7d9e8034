"""Text measured the way each platform measures it, and cut without breaking what a reader sees.

Platforms count in different units (YouTube title: code points; YouTube description: UTF-8 bytes; TikTok:
UTF-16 code units), so one ``len()`` is wrong for at least one of them. Cutting must respect extended grapheme
clusters (UAX #29, ``regex`` ``\\X``): a cut at a code point can split a ZWJ family, a flag or a skin-tone emoji.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import regex

ELLIPSIS = "…"

_GRAPHEME = regex.compile(r"\X")
_UNIT_COUNTERS: dict[str, Callable[[str], int]] = {
    "characters": len,
    "utf8_bytes": lambda text: len(text.encode("utf-8")),
    "utf16_units": lambda text: len(text.encode("utf-16-le")) // 2,
    "graphemes": lambda text: len(graphemes(text)),
}
UNITS = tuple(_UNIT_COUNTERS)


def graphemes(text: str) -> list[str]:
    """The user-perceived characters of ``text`` (extended grapheme clusters)."""
    return _GRAPHEME.findall(text)


def measure(text: str, unit: str) -> int:
    """Length of ``text`` in ``unit`` (one of ``UNITS``)."""
    try:
        return _UNIT_COUNTERS[unit](text)
    except KeyError:
        raise ValueError(f"unknown length unit '{unit}' (expected one of {', '.join(UNITS)})") from None


def replace_forbidden(text: str, replacements: Mapping[str, str]) -> tuple[str, dict[str, int]]:
    """Replace each forbidden character; returns the new text and how often each character was replaced."""
    counts: dict[str, int] = {}
    for char, replacement in replacements.items():
        found = text.count(char)
        if found:
            counts[char] = found
            text = text.replace(char, replacement)
    return text, counts


def _is_space(grapheme: str) -> bool:
    return grapheme.isspace()


def shortened(parts: list[str], keep: int, ellipsis: str = ELLIPSIS) -> str:
    """The first ``keep`` graphemes (trailing space trimmed) plus an ellipsis; the whole text if nothing is cut."""
    if keep >= len(parts):
        return "".join(parts)
    if keep <= 0:
        return ""
    return "".join(parts[:keep]).rstrip() + ellipsis


def _largest_fitting(count: int, fits: Callable[[int], bool]) -> int | None:
    """Largest ``k`` in ``0..count`` with ``fits(k)``, assuming ``fits`` is monotone (true up to some k)."""
    if not fits(0):
        return None
    low, high = 0, count
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _word_boundary_before(parts: list[str], keep: int, minimum_share: float) -> int:
    """Move a cut at ``keep`` back to the last space, unless that throws away too much (e.g. CJK has no spaces)."""
    if keep >= len(parts) or keep <= 0 or _is_space(parts[keep]):
        return keep
    for index in range(keep - 1, 0, -1):
        if _is_space(parts[index]):
            return index if index >= keep * minimum_share else keep
    return keep


def fit_graphemes(
    text: str, fits: Callable[[str], bool], ellipsis: str = ELLIPSIS, minimum_share: float = 0.7
) -> str | None:
    """Longest grapheme-and-word-safe shortening of ``text`` for which ``fits`` holds.

    Returns ``text`` itself if it fits, ``""`` if only nothing fits, and ``None`` if even ``""`` does not fit.
    A word boundary is preferred while it keeps at least ``minimum_share`` of what a grapheme cut would keep.
    """
    if fits(text):
        return text
    parts = graphemes(text)
    keep = _largest_fitting(len(parts) - 1, lambda k: fits(shortened(parts, k, ellipsis)))
    if keep is None:
        return None
    return shortened(parts, _word_boundary_before(parts, keep, minimum_share), ellipsis)


def truncate(text: str, limit: int, unit: str, ellipsis: str = ELLIPSIS) -> str:
    """Cut ``text`` to at most ``limit`` in ``unit`` at a grapheme (and, where sensible, word) boundary."""
    result = fit_graphemes(text, lambda candidate: measure(candidate, unit) <= limit, ellipsis)
    return result or ""
