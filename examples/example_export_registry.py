"""Registry system usage, as in the original guide: register, publish, record performance, report.

Run: python examples/example_export_registry.py [FOLDER]   (default: a temporary folder)
The registry is ``FOLDER/export_registry.sqlite``; ``export_registry.json`` beside it is rewritten after each change.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from storyexport.registry import ExportRegistry, UnknownStoryError
from storyexport.registry.analytics import performance_analytics


def main(folder: Path) -> None:
    registry = ExportRegistry(folder / "export_registry.sqlite")

    registry.register_export(
        title_id="abc12345",
        title="My Story",
        segment="women",
        age_group="18-23",
        video_path="women/18-23/abc12345.mp4",
        thumbnail_path="women/18-23/abc12345_thumbnail.jpg",
        metadata_path="women/18-23/abc12345_metadata.json",
        platforms=["youtube", "tiktok", "instagram"],
    )
    registry.update_publish_status("abc12345", platform="youtube", status="published",
                                   url="https://youtube.com/shorts/xyz")

    # Each update is kept as a dated snapshot; the JSON shows the newest numbers (5.3% engagement here).
    registry.update_performance("abc12345", views=12000, likes=600, shares=40, platform="youtube")
    registry.update_performance("abc12345", views=50000, likes=2500, shares=150, platform="youtube")

    print(registry.generate_report())
    print("Latest:", registry.get_video_info("abc12345")["performance"])
    growth = performance_analytics(registry.all_videos(), registry.latest_snapshots(), registry.snapshots())
    print("Growth:", growth["growth"]["abc12345"])
    print("Published on YouTube:", [v["title_id"] for v in registry.list_videos(platform="youtube",
                                                                              status="published")])
    try:
        registry.update_performance("unknown-id", views=1, likes=0, shares=0)
    except UnknownStoryError as exc:  # a KeyError with a one-line message
        print("Error:", exc)
    print("JSON snapshot:", registry.json_path)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
