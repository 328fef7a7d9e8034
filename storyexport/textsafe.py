"""User text made safe where it is shown: as a link, on a terminal, in HTML; one function per concern.

Titles, URLs, captions and failure reasons are user (or attacker) text. A ``javascript:`` URL must never become a
link, and control characters (ESC sequences that clear a screen, BEL, NUL) must never reach a terminal or a page.
Input normalisation (hashtags) drops terminal escape sequences whole with ``strip_controls``, so ``"\\x1b[2J"``
leaves nothing behind, not ``2J``; output for people escapes them visibly with ``for_terminal``.
"""

from __future__ import annotations

import re
from typing import TypeGuard
from urllib.parse import urlsplit

# C0 controls, DEL and C1 controls (Unicode category Cc).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LAYOUT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # keeps tab and newline
_C1_AND_DEL = re.compile(r"[\x7f-\x9f]")
# ECMA-48 sequences a terminal acts on: CSI (ESC [ ... final byte), OSC/DCS/APC/PM/SOS strings (up to BEL or ST),
# and two-byte ESC sequences; the 8-bit CSI (0x9b) too.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
    r"|\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[\x20-\x7e]?"
)
WEB_SCHEMES = ("http", "https")


def is_web_url(url: object) -> TypeGuard[str]:
    """True for an absolute ``http``/``https`` URL with a host and no whitespace or control character.

    Browsers strip leading spaces and controls and drop tabs and newlines inside a URL, so ``" javascript:…"``
    or ``"java\\tscript:…"`` would still run script: only the exact scheme prefix counts."""
    if not isinstance(url, str) or not url or any(c.isspace() for c in url) or _CONTROL.search(url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced '[' in the host
        return False
    return parts.scheme.lower() in WEB_SCHEMES and bool(parts.hostname)


def web_url_or_none(url: object) -> str | None:
    """The URL when it may be a link, else None (the report then shows it as text, never as a link)."""
    return url if is_web_url(url) else None


def strip_controls(text: str, keep_layout: bool = False) -> str:
    """``text`` without terminal escape sequences (removed whole) and without any other control character (but
    tab and newline with ``keep_layout``)."""
    return (_CONTROL_BUT_LAYOUT if keep_layout else _CONTROL).sub("", _ESCAPE_SEQUENCE.sub("", text))


def for_terminal(text: str, keep_newlines: bool = True) -> str:
    """``text`` with every control character shown as a visible escape (``\\x1b``), so printing it cannot move
    the cursor, clear the screen, ring the bell or retitle the window. Tabs and newlines stay unless
    ``keep_newlines`` is False (one table cell, one line)."""
    pattern = _CONTROL_BUT_LAYOUT if keep_newlines else _CONTROL
    return pattern.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def for_html(text: str) -> str:
    """``text`` without the control characters HTML forbids (NUL, ESC, C1...); tabs and newlines stay. The
    report's template engine escapes markup; this removes what escaping cannot express."""
    return _CONTROL_BUT_LAYOUT.sub("", text)


def json_for_terminal(text: str) -> str:
    """JSON text (``ensure_ascii=False`` leaves DEL and C1 controls raw) with those written as ``\\u`` escapes:
    the same JSON value, safe to print. C0 controls are already escaped by every JSON encoder."""
    return _C1_AND_DEL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
