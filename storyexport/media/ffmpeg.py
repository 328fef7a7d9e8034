"""Finding the ffmpeg/ffprobe binaries and running ffmpeg-python graphs with one-line errors.

A pip-only install has no ffprobe and no system ffmpeg, so the resolver falls back to imageio-ffmpeg's bundled
binary, and callers must cope with ``ffprobe_exe()`` returning ``None``.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from storyexport.environment import JOBS_ENV
from storyexport.media.errors import MediaError

FFMPEG_ENV = "STORYEXPORT_FFMPEG"
FFPROBE_ENV = "STORYEXPORT_FFPROBE"
THREADS_ENV = "STORYEXPORT_THREADS"

_LOG_PREFIX = re.compile(r"^\[[^\]]*@ 0x[0-9a-f]+\]\s*")
_REASON_HINTS = ("error", "invalid", "not found", "no such", "unable", "could not", "cannot", "failed",
                 "does not contain", "unknown", "not supported", "truncat", "corrupt", "moov atom")
_NOISE = ("conversion failed", "error opening output file", "error opening input file", "exiting normally",
          "at least one output file")


@functools.cache
def _resolve_ffmpeg(env_value: str | None) -> str:
    if env_value:
        return env_value
    on_path = shutil.which("ffmpeg")
    if on_path:
        return on_path
    return _bundled_binary() or _imageio_ffmpeg_exe()


def _bundled_binary() -> str | None:
    """imageio-ffmpeg's own binary, found without running it: ``get_ffmpeg_exe()`` runs ``ffmpeg -version``
    (20-70 ms) in every new process. Relies on imageio-ffmpeg internals, so anything unexpected means ``None``."""
    try:
        from imageio_ffmpeg._definitions import FNAME_PER_PLATFORM, get_platform
        from imageio_ffmpeg._utils import _get_bin_dir

        binary = Path(_get_bin_dir()) / FNAME_PER_PLATFORM[get_platform()]
    except (ImportError, AttributeError, KeyError, OSError, RuntimeError):
        return None
    return str(binary) if binary.is_file() and os.access(binary, os.X_OK) else None


def _imageio_ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg_exe() -> str:
    """``STORYEXPORT_FFMPEG``, else ``ffmpeg`` on PATH, else imageio-ffmpeg's bundled binary."""
    return _resolve_ffmpeg(os.environ.get(FFMPEG_ENV) or None)


def ffprobe_exe() -> str | None:
    """``STORYEXPORT_FFPROBE``, else an ffprobe beside the resolved ffmpeg, else on PATH, else ``None``."""
    configured = os.environ.get(FFPROBE_ENV)
    if configured:
        return configured
    ffmpeg_path = Path(ffmpeg_exe())
    sibling = ffmpeg_path.with_name(ffmpeg_path.name.replace("ffmpeg", "ffprobe", 1))
    if sibling != ffmpeg_path and sibling.is_file() and os.access(sibling, os.X_OK):
        return str(sibling)
    return shutil.which("ffprobe")


def thread_count() -> int:
    """Threads for an encode: every core by default, or ``STORYEXPORT_THREADS``. Deliberately not divided
    among parallel jobs: x264's output can depend on its thread count, and a build must give the same bytes
    whatever its ``-n``."""
    return _configured_threads() or max(1, min(16, os.cpu_count() or 2))


def cpu_share() -> int:
    """Cores one job should keep busy with side-by-side work (frame extraction, scoring): ``STORYEXPORT_THREADS``
    if set, else the cores divided among the jobs the build runs at once (``STORYEXPORT_JOBS``). With
    ``doit -n 4`` on 2 cores, each job works on one core: splitting it further would only add processes."""
    configured = _configured_threads()
    if configured:
        return configured
    jobs = os.environ.get(JOBS_ENV, "")
    return max(1, (os.cpu_count() or 2) // (int(jobs) if jobs.isdigit() and int(jobs) > 0 else 1))


def _configured_threads() -> int | None:
    configured = os.environ.get(THREADS_ENV, "")
    return int(configured) if configured.isdigit() and int(configured) > 0 else None


def file_argument(path: Path | str) -> str:
    """A file as libav is handed it: an absolute path, so a name like ``concat:a|b``, ``pipe:0`` or
    ``http:x`` is never taken for a protocol."""
    return str(Path(path).absolute())


def reason_from_stderr(stderr: str | bytes) -> str:
    """The informative lines of ffmpeg's stderr (each distinct cause once), joined into one short line."""
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", "replace")
    picked: list[str] = []
    causes: set[str] = set()
    lines = [_LOG_PREFIX.sub("", line).strip() for line in stderr.splitlines()]
    for line in lines:
        lower = line.lower()
        useful = any(h in lower for h in _REASON_HINTS) and not any(n in lower for n in _NOISE)
        cause = lower.rsplit(": ", 1)[-1]
        if line and useful and cause not in causes:
            causes.add(cause)
            picked.append(line)
    if not picked:
        picked = [line for line in lines if line][-1:]
    reason = "; ".join(picked[:2]) or "ffmpeg failed without a message"
    return reason if len(reason) <= 300 else reason[:297] + "..."


def media_error(path: Path | str, what: str, stderr: str | bytes = "") -> MediaError:
    """A one-line error naming the file: ``clip.mp4: cannot probe: <ffmpeg's reason>``."""
    detail = reason_from_stderr(stderr) if stderr else ""
    return MediaError(f"{Path(path).name}: {what}" + (f": {detail}" if detail else ""))


def compile_args(stream_spec: Any) -> list[str]:
    """Compile an ffmpeg-python graph into an argument list for the resolved binary (never a shell string)."""
    return stream_spec.global_args("-hide_banner", "-nostdin", "-nostats").compile(cmd=ffmpeg_exe())


def run(stream_spec: Any, path: Path | str, what: str, ok_codes: Sequence[int] = (0,)) -> subprocess.CompletedProcess:
    """Run a graph to completion; a non-zero exit becomes a one-line :class:`MediaError` naming ``path``."""
    args = compile_args(stream_spec)
    try:
        done = subprocess.run(args, capture_output=True, check=False)
    except OSError as exc:
        raise MediaError(f"{Path(path).name}: {what}: cannot run ffmpeg ({exc})") from exc
    if done.returncode not in ok_codes:
        raise media_error(path, what, done.stderr)
    return done


def showinfo_pattern(label: str) -> re.Pattern[str]:
    """The frame lines that ffmpeg's ``showinfo`` filters named ``showinfo@LABEL`` print (``label`` a regex, with
    its own named groups); each match's ``time`` group is the frame's ``pts_time`` and ``pts`` its integer pts.
    One definition for every caller that reads frame times from showinfo."""
    return re.compile(rf"^\[showinfo@{label} @ [^\]]*\] n:\s*\d+\s+pts:\s*(?P<pts>-?\d+)\s+"
                      rf"pts_time:\s*(?P<time>-?[\d.e+-]+)", re.M)


def showinfo_time_base(label: str) -> re.Pattern[str]:
    """The time base ``showinfo@LABEL`` reports once at start (``num``/``den`` groups): ``pts`` times it is a
    frame's exact time, where ``pts_time`` keeps only six significant digits."""
    return re.compile(rf"^\[showinfo@{label} @ [^\]]*\] config in time_base: (?P<num>\d+)/(?P<den>\d+)", re.M)
