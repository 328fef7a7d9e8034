"""The build's actions on a real generated clip."""

from __future__ import annotations

from pathlib import Path

from storyexport.build import actions
from storyexport.config.model import Story, ThumbnailOptions
from storyexport.layout import thumbnail_set_paths
from storyexport.media.samples import generate_sample


def test_base_metadata_takes_the_probe_recorded_by_the_thumbnails_task(tmp_path: Path) -> None:
    """Same document whether the probe comes from the scores file or from probing the video again."""
    video = tmp_path / "s.mp4"
    generate_sample(video, duration=3.0, width=180, height=320, fps=30, seed=3)
    options = ThumbnailOptions(num_options=2, num_candidates=6, grid=(2, 2), timestamps=("1",))
    assert actions.make_thumbnails(str(video), str(tmp_path), "s", options.as_dict()) is None
    paths = thumbnail_set_paths(tmp_path, "s", options)
    story = Story(id="s", title="A story", segment="women", age_group="18-23", source=video).to_dict()
    thumbs = sorted(str(p) for p in paths.all())
    reused, probed = tmp_path / "reused.json", tmp_path / "probed.json"
    assert actions.write_base_metadata(story, str(video), thumbs, str(reused), str(tmp_path), str(paths.scores)) \
        is None
    assert actions.write_base_metadata(story, str(video), thumbs, str(probed), str(tmp_path), None) is None
    assert reused.read_bytes() == probed.read_bytes()
    assert b'"duration": 3.0' in reused.read_bytes()
