"""Base metadata: story fields, probe, checksums with relative forward-slash paths, byte-identical rewrites."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from storyexport import __version__
from storyexport.config.model import Story
from storyexport.metadata import build_base_metadata, write_base_metadata

PROBE = {"duration": 8.0, "width": 1080, "height": 1920, "fps": 30.0, "video_codec": "h264", "pix_fmt": "yuv420p",
         "audio_codec": "aac", "audio_sample_rate": 48000, "audio_channels": 2, "bitrate": 900000, "size": 4,
         "rotation": 0}


def make_outputs(root: Path) -> tuple[Story, Path, dict]:
    story_dir = root / "women" / "18-23"
    (story_dir / "thumbnails").mkdir(parents=True)
    video = story_dir / "abc.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42 video bytes")
    best = story_dir / "abc_thumbnail.jpg"
    best.write_bytes(b"\xff\xd8 best")
    options = [story_dir / "thumbnails" / f"abc_option{n}.jpg" for n in (1, 2)]
    for n, path in enumerate(options):
        path.write_bytes(b"\xff\xd8 option %d" % n)
    story = Story(id="abc", title="Title 🌊", segment="women", age_group="18-23", source=root / "src.mp4",
                  hashtags=("#sea",), description="D")
    return story, video, {"thumbnail": best, "options": options}


def test_base_metadata_content(tmp_path, base_metadata_validator):
    story, video, files = make_outputs(tmp_path)
    document = build_base_metadata(story, video, PROBE, files, relative_to=video.parent)
    assert not list(base_metadata_validator.iter_errors(document))
    assert document["story"]["title"] == "Title 🌊" and document["story"]["hashtags"] == ["#sea"]
    assert document["video"]["path"] == "abc.mp4"
    assert document["video"]["sha256"] == hashlib.sha256(video.read_bytes()).hexdigest()
    assert document["probe"] == PROBE
    assert document["files"]["options"][1]["path"] == "thumbnails/abc_option2.jpg"
    assert document["files"]["thumbnail"]["sha256"] == hashlib.sha256(b"\xff\xd8 best").hexdigest()
    assert document["generator"] == {"name": "storyexport", "version": __version__}


def test_same_inputs_give_byte_identical_files_and_a_changed_thumbnail_changes_the_checksum(tmp_path):
    story, video, files = make_outputs(tmp_path)
    target = video.parent / "abc_metadata.json"
    write_base_metadata(target, story, video, PROBE, files, video.parent)
    first = target.read_bytes()
    write_base_metadata(target, story, video, PROBE, files, video.parent)
    assert target.read_bytes() == first
    assert json.loads(first)["files"]["thumbnail"]["bytes"] == 7
    files["thumbnail"].write_bytes(b"\xff\xd8 other")
    write_base_metadata(target, story, video, PROBE, files, video.parent)
    assert target.read_bytes() != first
    assert [p.name for p in video.parent.iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_paths_outside_the_base_stay_absolute_posix(tmp_path):
    story, video, _files = make_outputs(tmp_path)
    document = build_base_metadata(story, video, PROBE, {}, relative_to=tmp_path / "elsewhere")
    assert document["video"]["path"] == video.absolute().as_posix()
