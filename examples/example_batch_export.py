"""Batch export with BatchExporter: parallel workers, progress, per-story failures and a retry.

Run from anywhere: ``python examples/example_batch_export.py [WORKDIR]``. It generates two short sample clips, exports
them for YouTube Shorts, TikTok and Instagram Reels into WORKDIR/data/final, then shows a failure and its retry.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from storyexport import BatchExporter
from storyexport.media.samples import generate_sample


def progress(done: int, total: int, task: str, status: str) -> None:
    print(f"  [{done}/{total}] {task}: {status}")


def main(workdir: Path) -> int:
    media = workdir / "media"
    media.mkdir(parents=True, exist_ok=True)
    for seed, name in enumerate(("first", "second")):
        generate_sample(media / f"{name}.mp4", duration=4, width=360, height=640, seed=seed)
    stories = [
        {"title_id": "first", "title": "The first story 🌅", "segment": "women", "age_group": "18-23",
         "description": "A sunrise run.", "theme": "motivation", "tone": "uplifting", "hashtags": ["running"]},
        {"title_id": "second", "title": "The second story", "segment": "men", "age_group": "24-29",
         "description": "A rainy window.", "theme": "mystery", "tone": "calm", "hashtags": ["storytime"]},
        {"title_id": "broken", "title": "A story whose video is missing", "segment": "men", "age_group": "24-29"},
    ]
    sources = [media / "first.mp4", media / "second.mp4", media / "broken.mp4"]
    exporter = BatchExporter(max_workers=2, output_dir=workdir / "data" / "final")

    print("Exporting 3 stories (one has no video yet):")
    results = exporter.export_batch(stories, sources, parallel=True, progress=progress)
    print(f"Successful: {results['successful']}/{results['total']} in {results['duration_seconds']} s")
    for result in results["results"]:
        for error in result["errors"]:
            print(f"  {result['story_id']}: {error['task']} failed: {error['reason']}")

    if results["failed"]:
        print("Fixing the missing video and retrying only the failures:")
        shutil.copyfile(media / "first.mp4", media / "broken.mp4")
        retry = exporter.retry_failed(results, progress=progress)
        print(f"Retry: {retry['successful']}/{retry['total']} successful")
        return 0 if retry["failed"] == 0 else 1
    return 0


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="storyexport-batch-"))
    sys.exit(main(target))
