"""The content store on a real file:// folder: verified downloads, atomic writes, read-only mode."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from storyexport.store.cas import ContentStore, CorruptObject, StoreError


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_put_and_fetch_round_trip_by_digest(tmp_path: Path) -> None:
    store = ContentStore((tmp_path / "store").as_uri())
    source = tmp_path / "a.bin"
    source.write_bytes(b"hello" * 1000)
    digest = store.put_file(source)
    assert digest == hashlib.sha256(source.read_bytes()).hexdigest()
    assert store.has(digest)
    assert store.put_file(source) == digest  # the same content twice: one object
    target = tmp_path / "out" / "deep" / "b.bin"
    store.fetch(digest, target)
    assert target.read_bytes() == source.read_bytes()
    assert target.stat().st_ino != Path(store.object_path(digest)).stat().st_ino  # verified, then copied
    assert [p.name for p in target.parent.iterdir()] == ["b.bin"]  # no temp file left
    assert not [p for p in (tmp_path / "store").rglob("*.tmp")]


def test_restoring_one_object_twice_leaves_the_first_copy_untouched(tmp_path: Path) -> None:
    """Stories with identical outputs restore one object: a hard link would change the first file's ctime (and
    doit's process would see an input "changed while the task ran")."""
    store = ContentStore((tmp_path / "store").as_uri())
    source = tmp_path / "a.bin"
    source.write_bytes(b"same video" * 100)
    digest = store.put_file(source)
    first, second = tmp_path / "one.bin", tmp_path / "two.bin"
    store.fetch(digest, first)
    before = first.stat()
    store.fetch(digest, second)
    after = first.stat()
    assert (after.st_ino, after.st_ctime_ns, after.st_nlink) == (before.st_ino, before.st_ctime_ns, before.st_nlink)
    assert second.read_bytes() == first.read_bytes()


def test_a_corrupt_object_is_refused_and_removed(tmp_path: Path) -> None:
    store = ContentStore((tmp_path / "store").as_uri())
    source = tmp_path / "a.bin"
    source.write_bytes(b"good content")
    digest = store.put_file(source)
    Path(store.object_path(digest)).write_bytes(b"evil content")
    target = tmp_path / "target.bin"
    target.write_bytes(b"previous")
    with pytest.raises(CorruptObject, match="is corrupt"):
        store.fetch(digest, target)
    assert target.read_bytes() == b"previous"  # never placed
    assert not store.has(digest)  # the next writer uploads a good one
    assert store.put_file(source) == digest
    store.fetch(digest, target)
    assert target.read_bytes() == b"good content"


def test_read_only_store_never_writes(tmp_path: Path) -> None:
    root = tmp_path / "store"
    writable = ContentStore(root.as_uri())
    source = tmp_path / "a.bin"
    source.write_bytes(b"one")
    digest = writable.put_file(source)
    Path(writable.object_path(digest)).write_bytes(b"corrupted")
    before = files_under(root)
    store = ContentStore(root.as_uri(), read_only=True)
    other = tmp_path / "b.bin"
    other.write_bytes(b"two")
    store.put_file(other)
    store.write_record("ac/v1/xx/record.json", {"a": 1})
    store.remove_record("ac/v1/xx/record.json")
    with pytest.raises(CorruptObject):
        store.fetch(digest, tmp_path / "c.bin")
    assert files_under(root) == before


def test_missing_object_and_bad_digest(tmp_path: Path) -> None:
    store = ContentStore((tmp_path / "store").as_uri())
    with pytest.raises(FileNotFoundError):
        store.fetch("0" * 64, tmp_path / "x")
    assert not (tmp_path / "x").exists()
    with pytest.raises(StoreError, match="not a SHA-256 digest"):
        store.fetch("../../etc/passwd", tmp_path / "x")


def test_unknown_protocol_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"cannot open nosuchproto:// URLs") as info:
        ContentStore("nosuchproto://bucket/x")
    assert "\n" not in str(info.value)
