"""The original guide's usage sections (export-enhancements.md), every call as the guide writes it, on tiny
generated clips in a temporary working folder; the results have the keys, file names and layout the guide shows.

Only the imports differ (``from storyexport import …`` for ``from Tools.… import …``), and the story ideas the
guide leaves undefined carry small video and thumbnail options so the test stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyexport import BatchExporter, ExportRegistry, PlatformExporter, ThumbnailGenerator, VideoCompositor
from storyexport.media.samples import generate_sample

pytestmark = pytest.mark.slow  # the original guide's batch exports

SMALL = {"video": {"width": 360, "height": 640, "fps": 24},
         "thumbnails": {"num_candidates": 8, "grid": [2, 2], "timestamps": ["1", "50%"]}}


def an_idea(title_id: str, **extra: object) -> dict:
    return {"title_id": title_id, "title": f"Story {title_id}", "segment": "women", "age_group": "18-23",
            "description": "A short story.", "theme": "motivation", "tone": "uplifting", **SMALL, **extra}


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The guide runs in a project folder: relative paths (data/final/, platforms/) resolve against it."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def clip(name: str, duration: float = 3.2, seed: int = 0) -> str:
    generate_sample(Path(name), duration=duration, width=360, height=640, fps=24, seed=seed)
    return name


def test_1_export_registry(here: Path) -> None:
    # Initialize registry
    registry = ExportRegistry()

    # Register an export
    registry.register_export(
        title_id="abc12345",
        title="My Story",
        segment="women",
        age_group="18-23",
        video_path="/path/to/video.mp4",
        thumbnail_path="/path/to/thumb.jpg",
        metadata_path="/path/to/meta.json"
    )

    # Update publish status
    registry.update_publish_status(
        "abc12345",
        platform="youtube",
        status="published",
        url="https://youtube.com/shorts/xyz"
    )

    # Update performance metrics
    registry.update_performance(
        "abc12345",
        views=50000,
        likes=2500,
        shares=150
    )

    # Generate report
    report = registry.generate_report()
    print(report)

    assert "Total exports: 1" in report
    snapshot = json.loads((here / "data" / "final" / "export_registry.json").read_text(encoding="utf-8"))
    assert {"version", "created_at", "last_updated", "total_exports", "videos"} <= set(snapshot)
    assert snapshot["version"] == "1.0" and snapshot["total_exports"] == 1
    video = snapshot["videos"]["abc12345"]
    assert {"title", "title_id", "segment", "age_group", "export_date", "publish_status", "platforms",
            "performance"} <= set(video)
    assert video["publish_status"] == "published"
    assert {"status", "url", "published_date"} <= set(video["platforms"]["youtube"])
    assert video["platforms"]["youtube"]["url"] == "https://youtube.com/shorts/xyz"
    shown = {"views": 50000, "likes": 2500, "shares": 150, "engagement_rate": 5.3}
    assert {key: video["performance"][key] for key in shown} == shown


def test_2_batch_export(here: Path) -> None:
    story1, story2, story3 = an_idea("one"), an_idea("two"), an_idea("three")
    story_ideas = [story1, story2, story3]
    source_videos = [clip("video1.mp4", seed=1), clip("video2.mp4", seed=2), "video3.mp4"]  # video3 missing yet

    # Initialize batch exporter
    exporter = BatchExporter(max_workers=4)

    # Export multiple videos
    results = exporter.export_batch(
        story_ideas=[story1, story2, story3],
        source_videos=["video1.mp4", "video2.mp4", "video3.mp4"],
        parallel=True,
        export_thumbnails=True,
        export_metadata=True
    )

    # Check results
    print(f"Successful: {results['successful']}/{results['total']}")
    print(f"Duration: {results['duration_seconds']}s")

    assert (results["successful"], results["total"], results["failed"]) == (2, 3, 1)
    assert isinstance(results["duration_seconds"], float)
    clip("video3.mp4", seed=3)  # the source issue is fixed

    # Retry failed exports
    if results['failed'] > 0:
        retry_results = exporter.retry_failed(results, story_ideas, source_videos)

    assert (retry_results["successful"], retry_results["total"]) == (1, 1)
    assert retry_results["results"][0]["story_id"] == "three"
    for story_id in ("one", "two", "three"):
        assert (here / "data" / "final" / "women" / "18-23" / f"{story_id}.mp4").is_file()


def test_2_retry_uses_the_corrected_sources_it_is_given(here: Path) -> None:
    story_ideas = [an_idea("lone")]
    exporter = BatchExporter(max_workers=1)
    results = exporter.export_batch(story_ideas=story_ideas, source_videos=["missing.mp4"], parallel=False)
    assert results["failed"] == 1
    retry = exporter.retry_failed(results, story_ideas, [clip("found.mp4")])
    assert retry["successful"] == 1 and (here / "data" / "final" / "women" / "18-23" / "lone.mp4").is_file()


def test_3_custom_thumbnail_options(here: Path) -> None:
    generate_sample(Path("video.mp4"), duration=10.5, width=180, height=320, seed=5)

    # Initialize generator
    generator = ThumbnailGenerator(1080, 1920)

    # Generate thumbnails at specific timestamps
    thumbnails = generator.generate_at_timestamps(
        "video.mp4",
        output_dir="thumbnails/",
        timestamps=[0.5, 2.0, 5.0, 10.0]
    )

    # Generate 3x3 grid
    grid = generator.generate_grid(
        "video.mp4",
        "grid.jpg",
        grid_size=(3, 3)
    )

    # Find best frame automatically
    best_frame = generator.find_best_frame(
        "video.mp4",
        "best_thumb.jpg",
        num_candidates=30,
        method="sharpness"  # or 'brightness', 'contrast'
    )

    # Generate multiple options for selection
    options = generator.generate_multiple_options(
        "video.mp4",
        "thumbs/",
        title_id="abc123",
        num_options=5
    )

    assert [p.name for p in thumbnails.paths] == [f"video_at{n}.jpg" for n in range(1, 5)]
    assert all((here / "thumbnails" / p.name).is_file() for p in thumbnails.paths)
    assert thumbnails.timestamps == [0.5, 2.0, 5.0, 10.0]
    assert [p.name for p in grid.paths] == ["grid.jpg"] and (here / "grid.jpg").is_file()
    assert [p.name for p in best_frame.paths] == ["best_thumb.jpg"] and (here / "best_thumb.jpg").is_file()
    assert sorted(p.name for p in (here / "thumbs").iterdir()) == [f"abc123_option{n}.jpg" for n in range(1, 6)]
    assert [p.name for p in options.paths] == [f"abc123_option{n}.jpg" for n in range(1, 6)]


def test_4_platform_specific_export(here: Path) -> None:
    story_idea = an_idea("abc12345", hashtags=["story", "viral"])

    # Initialize exporter
    exporter = PlatformExporter()

    # Generate YouTube-specific metadata
    youtube_meta = exporter.generate_platform_metadata(
        story_idea,
        platform="youtube"
    )

    # Generate for all platforms
    all_metadata = exporter.generate_all_platforms(story_idea)

    # Save to files
    platform_files = exporter.save_platform_metadata(
        story_idea,
        output_dir="platforms/"
    )

    # Get platform info
    youtube_config = exporter.get_platform_info("youtube")
    print(f"Max title length: {youtube_config['metadata_limits']['title']}")

    assert youtube_config["metadata_limits"]["title"] == 100
    assert {"platform", "platform_title", "platform_description", "platform_hashtags", "platform_config",
            "publishing_tips"} <= set(youtube_meta)
    assert {"max_duration", "resolution"} <= set(youtube_meta["platform_config"]["video_specs"])
    assert youtube_meta["platform_config"]["video_specs"]["resolution"] == "1080x1920"
    limits = youtube_meta["platform_config"]["metadata_limits"]
    assert (limits["title"], limits["description"]) == (100, 5000)
    assert sorted(all_metadata) == ["instagram", "tiktok", "youtube"]
    assert all_metadata["tiktok"]["hashtag_strategy"] == "aggressive"
    assert all_metadata["instagram"]["hashtag_strategy"] == "balanced"
    assert {p: path.relative_to(here).as_posix() if path.is_absolute() else path.as_posix()
            for p, path in platform_files.items()} == {
        p: f"platforms/abc12345_{p}_metadata.json" for p in ("youtube", "tiktok", "instagram")}
    assert sorted(p.name for p in (here / "platforms").iterdir()) == [
        f"abc12345_{p}_metadata.json" for p in ("instagram", "tiktok", "youtube")]
    saved = json.loads((here / "platforms" / "abc12345_youtube_metadata.json").read_text(encoding="utf-8"))
    assert saved["platform"] == "youtube" and saved["platform_title"] == youtube_meta["platform_title"]


def test_5_video_compositor_and_the_file_structure(here: Path) -> None:
    story = an_idea("abc12345")
    clip("final_video.mp4", seed=6)

    # Initialize compositor (includes all new tools)
    compositor = VideoCompositor()

    # Enhanced export with all features
    result = compositor.export_with_enhancements(
        story_idea=story,
        source_video_path="final_video.mp4",
        generate_multiple_thumbnails=True,
        generate_platform_metadata=True,
        thumbnail_options=5,
        register_in_registry=True
    )

    # Check results
    if result["success"]:
        print(f"Video: {result['video_path']}")
        print(f"Thumbnails: {len(result['thumbnails']['options'])} options")
        print(f"Platforms: {len(result['metadata']['platforms'])} configured")

    assert result["success"], result["errors"]
    assert len(result["thumbnails"]["options"]) == 5 and len(result["metadata"]["platforms"]) == 3
    folder = here / "data" / "final" / "women" / "18-23"
    assert Path(result["video_path"]) == folder / "abc12345.mp4"
    expected = {"abc12345.mp4", "abc12345_thumbnail.jpg", "abc12345_metadata.json",
                *(f"thumbnails/abc12345_option{n}.jpg" for n in range(1, 6)),
                *(f"platforms/abc12345_{p}_metadata.json" for p in ("youtube", "tiktok", "instagram"))}
    written = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert expected <= written, expected - written
    registry = json.loads((here / "data" / "final" / "export_registry.json").read_text(encoding="utf-8"))
    assert registry["videos"]["abc12345"]["video_path"] == "women/18-23/abc12345.mp4"
