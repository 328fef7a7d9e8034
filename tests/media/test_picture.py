"""The picture area: baked-in bars found on real decoded frames, robust to dark scenes and fades."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from storyexport.media.frames import grab_small
from storyexport.media.picture import PictureArea, detect_picture_area, picture_area_of_frames
from storyexport.media.probe import probe

from .conftest import MakeClip


def _letterboxed(clip: MakeClip, name: str, picture: str, frame: str, extra: str = "", duration: float = 2.0,
                 ) -> Path:
    """A ``picture``-sized testsrc2 centred in a black ``frame`` (width x height), with ``extra`` filters."""
    width, height = frame.split("x")
    chain = f"testsrc2=size={picture}:rate=25{extra},pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:black"
    return clip(name, video=chain, audio=None, duration=duration)


def test_letterbox_in_a_portrait_frame_is_found(clip: MakeClip) -> None:
    video = _letterboxed(clip, "letterbox.mp4", "320x180", "320x568")
    area = detect_picture_area(video)
    assert area.x == 0 and area.width == 320
    assert abs(area.y - 194) <= 4 and abs(area.height - 180) <= 8
    assert area.y + area.height <= 194 + 180 + 1  # never a bar row in the picture
    assert area.as_dict() == {"x": area.x, "y": area.y, "width": area.width, "height": area.height}
    assert not area.is_full(320, 568)


def test_pillarbox_and_windowbox_are_found(clip: MakeClip) -> None:
    pillar = detect_picture_area(_letterboxed(clip, "pillar.mp4", "240x180", "320x180"))
    assert (pillar.y, pillar.height) == (0, 180) and abs(pillar.x - 40) <= 2 and abs(pillar.width - 240) <= 4
    window = detect_picture_area(_letterboxed(clip, "window.mp4", "200x100", "320x240"))
    assert abs(window.x - 60) <= 2 and abs(window.y - 70) <= 2
    assert window.x % 2 == window.y % 2 == window.width % 2 == window.height % 2 == 0


def test_dark_grade_and_fades_keep_the_whole_picture(clip: MakeClip) -> None:
    """A night grade (mean luma ~25) fading in from and out to black: bars only, never the dark picture."""
    extra = ",eq=brightness=-0.35:contrast=0.7,fade=t=in:st=0:d=0.8,fade=t=out:st=1.2:d=0.8"
    video = _letterboxed(clip, "dark.mp4", "320x180", "320x568", extra)
    area = detect_picture_area(video)
    assert abs(area.y - 194) <= 4 and abs(area.height - 180) <= 8


def test_a_full_frame_video_has_no_bars(clip: MakeClip) -> None:
    video = clip("full.mp4", audio=None, duration=1.0)
    info = probe(video)
    area = detect_picture_area(video, info=info)
    assert area.is_full(info.width, info.height)
    frames = grab_small(video, info, [0.2, 0.6])
    assert picture_area_of_frames(list(frames.values())).is_full(*frames[0.2].shape[1::-1])


def test_bars_must_be_dark_in_every_frame() -> None:
    """A dark top stripe in one frame is scenery when another frame lights it up."""
    rng = np.random.default_rng(1)
    lit = rng.integers(60, 200, (100, 80, 3), dtype=np.uint8)
    night = lit.copy()
    night[:30] = 3  # a black sky in this frame only
    assert picture_area_of_frames([night, lit]).is_full(80, 100)
    assert picture_area_of_frames([night]) == PictureArea(0, 30, 80, 70)


def test_all_black_frames_give_the_whole_frame_and_crop_is_a_view() -> None:
    black = np.zeros((60, 40), np.uint8)
    assert picture_area_of_frames([black, black]).is_full(40, 60)
    frame = np.arange(60 * 40, dtype=np.uint32).reshape(60, 40)
    area = PictureArea(4, 10, 20, 30)
    assert area.crop(frame).shape == (30, 20) and area.crop(frame)[0, 0] == frame[10, 4]
    with pytest.raises(ValueError):
        picture_area_of_frames([])


def test_scaling_moves_sides_inwards_to_even_pixels() -> None:
    area = PictureArea(0, 49, 270, 381)  # found on 270x480 frames
    big = area.scaled((270, 480), (1080, 1920))
    assert big == PictureArea(0, 196, 1080, 1524)
    assert PictureArea.full(270, 480).scaled((270, 480), (1081, 1921)).is_full(1081, 1921)
    assert round(area.bar_share(270, 480), 3) == round(1 - 381 / 480, 3)
