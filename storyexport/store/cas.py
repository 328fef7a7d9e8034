"""Files by SHA-256 on any fsspec URL (``file://`` built in, ``s3://`` through s3fs), verified on download.

Layout under the store's URL::

    cas/sha256/ab/abcdef…   one object per distinct content, named by its SHA-256
    ac/v1/12/1234…json      action-cache entries (see ``action_cache``)

An object's name is its content's digest, so an object once written never changes: uploads of the same content by
two runners at once are harmless, and a download whose bytes do not hash to the name is corrupt — it is refused,
never placed at a target path. Writes to a local store go through a temp name and a rename, so a reader never sees
a half-written object; an S3 PUT is atomic by itself. A read-only store (untrusted builds) never writes or deletes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from storyexport.build.checker import file_digest
from storyexport.fsutil import atomic_path

OBJECTS = "cas/sha256"
CHUNK = 4 << 20


class StoreError(Exception):
    """The store cannot be used (missing extra, unreachable, refused); the message is one line."""


class CorruptObject(StoreError):
    """A downloaded object's bytes do not hash to its name."""


def sha256_file(path: Path | str) -> str:
    return file_digest(str(path))


def check_url(url: str) -> None:
    """Fail early, in one line, when ``url``'s protocol cannot be used here (missing extra or unknown protocol)."""
    try:
        from fsspec import get_filesystem_class
    except ImportError:
        raise StoreError("--store needs the optional extra: pip install 'storyexport[distributed]'") from None
    protocol = url.split("://", 1)[0] if "://" in url else "file"
    try:
        get_filesystem_class(protocol)
    except (ImportError, ValueError) as exc:
        hint = " (pip install 'storyexport[distributed]')" if isinstance(exc, ImportError) else ""
        raise StoreError(f"store {url}: cannot open {protocol}:// URLs: {' '.join(str(exc).split())}{hint}") from None


def _filesystem(url: str) -> tuple[Any, str]:
    try:
        from fsspec.core import url_to_fs
    except ImportError:
        raise StoreError("--store needs the optional extra: pip install 'storyexport[distributed]'") from None
    try:
        fs, root = url_to_fs(url)
    except (ImportError, ValueError) as exc:
        protocol = url.split("://", 1)[0]
        hint = " (pip install 'storyexport[distributed]')" if isinstance(exc, ImportError) else ""
        raise StoreError(f"store {url}: cannot open {protocol}:// URLs: {exc}{hint}") from None
    return fs, root.rstrip("/")


class ContentStore:
    """Objects by digest, plus small JSON records under other names (the action cache's entries)."""

    def __init__(self, url: str, *, read_only: bool = False):
        self.url = url
        self.read_only = read_only
        self.fs, self.root = _filesystem(url)
        self.local = "file" in (self.fs.protocol if isinstance(self.fs.protocol, tuple) else (self.fs.protocol,))

    # objects ------------------------------------------------------------------------------------------------
    def object_path(self, digest: str) -> str:
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise StoreError(f"store {self.url}: not a SHA-256 digest: {digest!r}")
        return f"{self.root}/{OBJECTS}/{digest[:2]}/{digest}"

    def has(self, digest: str) -> bool:
        return bool(self.fs.exists(self.object_path(digest)))

    def put_file(self, path: Path | str, digest: str | None = None) -> str:
        """Upload ``path`` unless its content is already there; return its digest. No-op in read-only mode."""
        digest = digest or sha256_file(path)
        if self.read_only or self.has(digest):
            return digest
        self._upload(str(path), self.object_path(digest))
        return digest

    def fetch(self, digest: str, target: Path | str) -> None:
        """Place object ``digest`` at ``target`` atomically, verified: a remote object is hashed as it streams in;
        a local one is hashed, then copied. Never hard-linked: stories with identical outputs restore the same
        object, and each new link would change the ctime of every file sharing its inode, which doit's process
        watches (an input "changed while the task ran"). Raises ``FileNotFoundError`` when absent and
        ``CorruptObject`` when its bytes do not match: nothing is placed, and the bad object is removed unless
        read-only, so the next writer uploads a good one."""
        source = self.object_path(digest)
        with atomic_path(Path(target)) as tmp:
            if self.local:
                self._verify(source, digest, sha256_file(source))
                shutil.copyfile(source, tmp)
                return
            hasher = hashlib.sha256()
            with self.fs.open(source, "rb") as remote, open(tmp, "wb") as local:
                while chunk := remote.read(CHUNK):
                    hasher.update(chunk)
                    local.write(chunk)
            self._verify(source, digest, hasher.hexdigest())

    def _verify(self, source: str, digest: str, actual: str) -> None:
        if actual == digest:
            return
        if not self.read_only:
            with contextlib.suppress(OSError):
                self.fs.rm_file(source)
        raise CorruptObject(f"store {self.url}: object {digest[:12]}… is corrupt (its content hashes to "
                            f"{actual[:12]}…)")

    # records ------------------------------------------------------------------------------------------------
    def read_record(self, name: str) -> dict[str, Any] | None:
        """The JSON record ``name`` (a path under the root), or None when absent or unreadable."""
        try:
            with self.fs.open(f"{self.root}/{name}", "rb") as handle:
                data = json.loads(handle.read())
        except (FileNotFoundError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def write_record(self, name: str, data: dict[str, Any]) -> None:
        if self.read_only:
            return
        payload = json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")
        destination = f"{self.root}/{name}"
        if self.local:
            tmp = self._temp_name(destination)
            self.fs.makedirs(destination.rsplit("/", 1)[0], exist_ok=True)
            self.fs.pipe_file(tmp, payload)
            self.fs.mv(tmp, destination)
        else:
            self.fs.pipe_file(destination, payload)

    def remove_record(self, name: str) -> None:
        if not self.read_only:
            with contextlib.suppress(OSError):
                self.fs.rm_file(f"{self.root}/{name}")

    # internals ----------------------------------------------------------------------------------------------
    def _upload(self, local: str, destination: str) -> None:
        if not self.local:
            self.fs.put_file(local, destination)
            return
        self.fs.makedirs(destination.rsplit("/", 1)[0], exist_ok=True)
        tmp = self._temp_name(destination)
        try:
            self.fs.put_file(local, tmp)
            self.fs.mv(tmp, destination)
        finally:
            with contextlib.suppress(OSError):
                if self.fs.exists(tmp):
                    self.fs.rm_file(tmp)

    @staticmethod
    def _temp_name(destination: str) -> str:
        folder, name = destination.rsplit("/", 1)
        return f"{folder}/.{name}.{uuid.uuid4().hex}.tmp"


_OPEN: dict[tuple[str, bool, int], ContentStore] = {}


def open_store(url: str, read_only: bool = False) -> ContentStore:
    """One ``ContentStore`` per URL and mode in a process; a forked worker opens its own (an S3 client's event
    loop does not survive a fork)."""
    key = (url, read_only, os.getpid())
    if key not in _OPEN:
        _OPEN[key] = ContentStore(url, read_only=read_only)
    return _OPEN[key]
