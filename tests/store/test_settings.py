"""Store settings from the environment, and shards that stay put."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from storyexport.store import settings
from storyexport.store.settings import Shard, StoreSettings, StoreSettingsError, overridden


def test_settings_round_trip_through_the_environment() -> None:
    chosen = StoreSettings(url="s3://bucket/prefix", read_only=True, shard=Shard(2, 5))
    env: dict[str, str] = {"UNRELATED": "x"}
    settings.apply(chosen, env)
    assert settings.from_env(env) == chosen
    settings.apply(StoreSettings(), env)
    assert env == {"UNRELATED": "x"}
    assert not settings.from_env(env).enabled


@pytest.mark.parametrize("text", ["0/3", "4/3", "2", "a/b", "1/0", "-1/2", ""])
def test_bad_shards_are_refused_in_one_line(text: str) -> None:
    with pytest.raises(StoreSettingsError, match=r"--shard: expected i/N") as info:
        Shard.parse(text)
    assert "\n" not in str(info.value)


def test_bad_read_only_flag_names_the_variable() -> None:
    with pytest.raises(StoreSettingsError, match=settings.READ_ONLY_ENV):
        settings.from_env({settings.READ_ONLY_ENV: "maybe"})


def test_every_story_is_in_exactly_one_shard_whatever_the_other_stories() -> None:
    ids = [f"story-{n}" for n in range(300)]
    shards = [Shard(i, 4) for i in range(1, 5)]
    owners = {story: [s.index for s in shards if s.includes(story)] for story in ids}
    assert all(len(found) == 1 for found in owners.values())
    sizes = [sum(1 for found in owners.values() if found == [s.index]) for s in shards]
    assert min(sizes) > 300 / 4 / 2  # roughly balanced
    # the shard depends on the id alone: another process (another hash seed) agrees
    code = ("import json,sys; from storyexport.store.settings import shard_of; "
            "print(json.dumps([shard_of(i, 4) for i in sys.argv[1:]]))")
    out = subprocess.run([sys.executable, "-c", code, *ids[:50]], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONHASHSEED": "12345"}).stdout
    assert out.strip() == str([owners[i][0] for i in ids[:50]])


def test_options_that_need_a_store_are_refused_without_one_before_anything_runs() -> None:
    """Even a build the up-to-date stamp would answer must not accept a meaningless combination."""
    with pytest.raises(StoreSettingsError, match="--store-read-only needs --store"):
        overridden(None, True, None, env={})
    with pytest.raises(StoreSettingsError, match="--shard needs --store"):
        overridden(None, None, "1/2", env={})
    assert overridden("file:///s", True, "1/2", env={}).read_only
