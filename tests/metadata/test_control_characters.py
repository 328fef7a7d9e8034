"""Control characters in story text are input noise: terminal escape sequences go whole, so ``"\\x1b[2J"`` never
becomes the hashtag ``#2J``, and no platform text carries ESC, BEL, NUL or C1 characters."""

from __future__ import annotations

import json
import re

import pytest

from storyexport.metadata import PlatformExporter
from storyexport.textsafe import strip_controls

RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
STORY = {"id": "s1", "title": "Run \x1b[2J\x07fast\x00 \x9b1mnow", "segment": "women", "age_group": "18-23",
         "description": "Line one\x1b]0;title\x07\nline two", "theme": "\x1b[31mmotivation\x1b[0m",
         "hashtags": ["\x1b[2J", "\x1b[31mred\x1b[0m", "ok\x00", "\x1bc"]}


@pytest.mark.parametrize("platform", ["youtube", "tiktok", "instagram"])
def test_escape_sequences_never_become_hashtags_or_text(platform):
    data = PlatformExporter().generate_platform_metadata(STORY, platform)
    tags = [t.lower() for t in data["platform_hashtags"]]
    assert "#2j" not in tags and "#31m" not in tags and "#c" not in tags
    assert {"#red", "#ok", "#motivation"} <= set(tags)
    assert data["platform_title"].startswith("Run fast now")
    assert RAW_CONTROL.findall(json.dumps(data, ensure_ascii=False)) == []


def test_strip_controls_removes_sequences_whole():
    assert strip_controls("a\x1b[2Jb\x1b]0;x\x07c\x1b[1;31md\x1bMe\x9b2Jf\x00\x7f") == "abcdef"
    assert strip_controls("one\n\ttwo\x1b[K", keep_layout=True) == "one\n\ttwo"
