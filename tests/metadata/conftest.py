"""Shared fixtures: the built-in exporter, JSON-Schema validators, and a table of hostile stories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from storyexport.metadata import PlatformExporter
from storyexport.resources import builtin_platforms_dir, schemas_dir

FAMILY = "👨‍👩‍👧‍👦"  # 7 code points, 11 UTF-16 units, 25 UTF-8 bytes, one grapheme
FLAGS = "🇯🇵🇫🇷🇧🇷🇺🇦"
SKIN_TONES = "👍🏽👋🏿🤝🏻"
COMBINING = "e\u0301a\u0308o\u0302"  # decomposed é ä ô
RTL = "قصة قصيرة عن الحب والأمل"
CJK = "这是一个关于勇气和友谊的故事"

HOSTILE_STORIES = {
    "emoji_title_at_limit": {"title": "😀" * 100, "description": "🎉" * 3000, "hashtags": ["fun"]},
    "zwj_families": {"title": FAMILY * 30, "description": (FAMILY + " ") * 800, "hashtags": ["family"]},
    "flags": {"title": FLAGS * 40, "description": FLAGS * 700, "theme": "travel"},
    "skin_tones": {"title": SKIN_TONES * 40, "description": (SKIN_TONES + " hi ") * 500, "tone": "warm"},
    "combining": {"title": COMBINING * 60, "description": (COMBINING + " ") * 1500, "hashtags": ["caf" + "e\u0301"]},
    "rtl": {"title": RTL * 6, "description": (RTL + " ") * 200, "hashtags": ["حب", "أمل"]},
    "cjk": {"title": CJK * 10, "description": CJK * 400, "hashtags": ["故事", "友谊"]},
    "script_tag": {"title": "<script>alert('x')</script> <b>bold</b>" * 4,
                   "description": "<<<>>> " * 900, "theme": "<evil>"},
    "eighty_hashtags": {"title": "Many tags", "description": "A story.",
                        "hashtags": [f"#tag{i}" for i in range(80)]},
    "messy_hashtags": {"title": "Messy", "description": "See #inline and C# and page#anchor and #1.",
                       "hashtags": ["#Rock n' Roll!", "self love", "SELF-LOVE", "#", "!!!", "#ok#ok", "a.b,c"],
                       "theme": "self love", "tone": "Up-lifting"},
    "empty_description": {"title": "Only a title", "description": "", "hashtags": []},
    "huge_description": {"title": "Long one", "description": ("word " * 2001).strip(), "hashtags": ["long"]},
    "huge_title": {"title": ("Title " + FAMILY + " ") * 1500, "description": "short", "hashtags": ["big"]},
    "inline_hashtag_flood": {"title": "#a1 #b1 #c1 title", "description": " ".join(f"#in{i}" for i in range(70)),
                             "hashtags": ["extra"]},
    "control_and_surrogate": {"title": "bell\x07 tab\there \ud83d", "description": "line\r\nbreak\x00",
                              "hashtags": ["ok"]},
}


def story(name: str) -> dict:
    base = {"id": f"s_{name}", "title": "", "segment": "seg", "age_group": "18-23", "description": "",
            "theme": "", "tone": "", "hashtags": []}
    return {**base, **HOSTILE_STORIES[name]}


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((schemas_dir() / f"{name}.schema.json").read_text(encoding="utf-8")))


@pytest.fixture(scope="session")
def exporter() -> PlatformExporter:
    return PlatformExporter()


@pytest.fixture(scope="session")
def platform_metadata_validator() -> Draft202012Validator:
    return validator("platform-metadata")


@pytest.fixture(scope="session")
def base_metadata_validator() -> Draft202012Validator:
    return validator("metadata")


@pytest.fixture(scope="session")
def builtin_dir() -> Path:
    return builtin_platforms_dir()
