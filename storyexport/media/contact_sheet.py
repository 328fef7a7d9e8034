"""Drawing a contact sheet: tiles in a grid, each labelled with its time, under a one-line header (vcsi style).

Pure OpenCV drawing (``cv2.putText`` with a Hershey font), so the same tiles always give the same pixels.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

GAP = 5
PADDING = 3
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_WHITE = (255, 255, 255)


def format_time(seconds: float) -> str:
    """``MM:SS.s`` (``H:MM:SS`` from an hour on)."""
    if seconds >= 3600:
        whole = int(seconds)
        return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
    minutes, rest = divmod(max(0.0, seconds), 60)
    return f"{int(minutes):02d}:{rest:04.1f}"


def format_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if value < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def draw_contact_sheet(tiles: Sequence[tuple[float, np.ndarray]], columns: int, rows: int,
                       header: str) -> np.ndarray:
    """A BGR sheet of ``columns`` x ``rows`` equal tiles (missing tiles stay black) with ``header`` on top."""
    tile_h, tile_w = tiles[0][1].shape[:2]
    scale = max(0.35, tile_w / 600)
    header_h = _text_height(scale * 1.2) + 4 * PADDING
    width = columns * tile_w + (columns + 1) * GAP
    height = header_h + rows * tile_h + (rows + 1) * GAP
    sheet = np.zeros((height, width, 3), np.uint8)
    _put_fitted(sheet, _ascii(header), (GAP, header_h - 2 * PADDING), scale * 1.2, width - 2 * GAP)
    for index, (timestamp, image) in enumerate(tiles[: columns * rows]):
        row, column = divmod(index, columns)
        x = GAP + column * (tile_w + GAP)
        y = header_h + GAP + row * (tile_h + GAP)
        sheet[y:y + tile_h, x:x + tile_w] = cv2.resize(image, (tile_w, tile_h), interpolation=cv2.INTER_AREA)
        _draw_time_label(sheet, format_time(timestamp), x + tile_w, y + tile_h, scale)
    return sheet


def _text_height(scale: float) -> int:
    (_, height), baseline = cv2.getTextSize("Hg", _FONT, scale, 1)
    return height + baseline


def _thickness(scale: float) -> int:
    return max(1, round(scale * 1.5))


def _ascii(text: str) -> str:
    """Hershey fonts draw ASCII only; anything else becomes '?' rather than garbage."""
    return text.encode("ascii", "replace").decode("ascii")


def _put_fitted(sheet: np.ndarray, text: str, origin: tuple[int, int], scale: float, max_width: int) -> None:
    width = cv2.getTextSize(text, _FONT, scale, _thickness(scale))[0][0]
    if width > max_width:
        scale = max(0.3, scale * max_width / width)
    cv2.putText(sheet, text, origin, _FONT, scale, _WHITE, _thickness(scale), cv2.LINE_AA)


def _draw_time_label(sheet: np.ndarray, text: str, right: int, bottom: int, scale: float) -> None:
    """Time label in the tile's bottom-right corner on a dark box (5 px margin, 3 px padding)."""
    thickness = _thickness(scale)
    (text_w, text_h), baseline = cv2.getTextSize(text, _FONT, scale, thickness)
    x1, y1 = right - GAP - text_w - 2 * PADDING, bottom - GAP - text_h - baseline - 2 * PADDING
    x2, y2 = right - GAP, bottom - GAP
    region = sheet[max(0, y1):y2, max(0, x1):x2]
    region[:] = (region * 0.33).astype(np.uint8)
    cv2.putText(sheet, text, (x1 + PADDING, y2 - PADDING - baseline), _FONT, scale, _WHITE, thickness,
                cv2.LINE_AA)
