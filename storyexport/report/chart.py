"""Geometry for the small inline-SVG performance chart; the template draws it, so no markup is built here."""

from __future__ import annotations

from typing import TypedDict

WIDTH, HEIGHT, PAD_X, PAD_TOP, PAD_BOTTOM = 320, 110, 10, 10, 18


class ChartPoint(TypedDict):
    x: float
    y: float
    label: str


class Chart(TypedDict):
    width: int
    height: int
    polyline: str
    points: list[ChartPoint]
    first: str
    last: str
    first_at: str
    last_at: str


def views_chart(series: list[tuple[str, int]]) -> Chart | None:
    """Scale (timestamp, total views) points into the chart box, spaced by order (snapshots are irregular)."""
    if not series:
        return None
    values = [v for _, v in series]
    low, high = min(values), max(values)
    span = (high - low) or 1
    plot_height = HEIGHT - PAD_TOP - PAD_BOTTOM
    step = (WIDTH - 2 * PAD_X) / max(len(series) - 1, 1)
    points: list[ChartPoint] = [
        {"x": round(PAD_X + i * step, 1), "y": round(HEIGHT - PAD_BOTTOM - (v - low) / span * plot_height, 1),
         "label": f"{at}: {v:,} views"}
        for i, (at, v) in enumerate(series)
    ]
    if len(points) == 1:  # one snapshot: a dot in the middle, not in a corner
        points[0]["x"], points[0]["y"] = WIDTH / 2, round(PAD_TOP + plot_height / 2, 1)
    return {
        "width": WIDTH, "height": HEIGHT,
        "polyline": " ".join(f"{p['x']},{p['y']}" for p in points),
        "points": points,
        "first": f"{values[0]:,}", "last": f"{values[-1]:,}",
        "first_at": series[0][0][:10], "last_at": series[-1][0][:10],
    }
