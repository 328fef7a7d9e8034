"""The store on s3:// through s3fs, against moto's S3 server on 127.0.0.1 (a real HTTP server in a subprocess)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from storyexport.cli import main
from storyexport.store.cas import ContentStore, CorruptObject

pytestmark = pytest.mark.slow  # a moto S3 server and doit builds

pytest.importorskip("s3fs", reason="s3fs is not installed: pip install 'storyexport[distributed]'")
pytest.importorskip("moto.server", reason="moto's server mode is not installed: pip install 'moto[server]'")



def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("moto_server did not start listening")


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new bucket on the local server; the AWS variables point botocore (and doit's workers) at it."""
    for name, value in {"AWS_ENDPOINT_URL": s3_endpoint, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    import boto3

    name = f"cache-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=name)
    return name


def test_objects_round_trip_and_corruption_is_caught_on_s3(bucket: str, tmp_path: Path) -> None:
    import boto3

    store = ContentStore(f"s3://{bucket}/prefix")
    source = tmp_path / "a.bin"
    source.write_bytes(os.urandom(300_000))
    digest = store.put_file(source)
    assert store.has(digest)
    store.fetch(digest, tmp_path / "b.bin")
    assert (tmp_path / "b.bin").read_bytes() == source.read_bytes()
    key = f"prefix/cas/sha256/{digest[:2]}/{digest}"
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=b"tampered")
    read_only = ContentStore(f"s3://{bucket}/prefix", read_only=True)
    with pytest.raises(CorruptObject):
        read_only.fetch(digest, tmp_path / "c.bin")
    assert read_only.has(digest)  # read-only: left alone
    with pytest.raises(CorruptObject):
        store.fetch(digest, tmp_path / "c.bin")
    assert not (tmp_path / "c.bin").exists()
    assert "Contents" not in boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=key)  # removed


def test_a_fresh_checkout_restores_from_s3(bucket: str, built_template: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    store = f"s3://{bucket}/ci"
    tasks = ["video:alpha", "thumbnails:alpha", "video:gamma"]
    outputs = {}
    for run in ("first", "second"):
        root = tmp_path / run
        shutil.copytree(built_template, root, copy_function=shutil.copy,
                        ignore=shutil.ignore_patterns("out", ".storyexport"))
        capsys.readouterr()
        code = main(["build", "-m", str(root / "exports.yaml"), "-n", "2", "--progress", "jsonl", "--store", store,
                     *tasks])
        events = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
        assert code == 0
        cached = {e["task"]: e.get("cached", False) for e in events if e["event"] == "success"}
        assert set(cached) == set(tasks)
        assert all(cached.values()) is (run == "second") and any(cached.values()) is (run == "second")
        outputs[run] = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "out").rglob("*"))
                        if p.is_file() and ".storyexport" not in p.parts
                        and not p.name.startswith("export_registry")}  # build events: times
    assert outputs["first"] == outputs["second"] and len(outputs["first"]) > 3
