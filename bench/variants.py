"""The derived clips of the real-footage set: how each is made from the fetched sources, and what that makes true.

Each :class:`Variant` is one ffmpeg run over source clips. Its ground truth comes from the construction, not from
looking at the result: where the picture lies inside the frame (``picture``: x, y, width, height) and which times
are fades, dips to black and cross-dissolves (``events``). ``bench/truth.py`` turns those into per-frame labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

H264 = ("-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-sc_threshold", "0")
MJPEG = ("-c:v", "mjpeg", "-q:v", "5", "-pix_fmt", "yuvj420p")
QUALITY, SPEED = "quality", "speed"


@dataclass(frozen=True)
class Variant:
    """``inputs``: source names (``-i``) or lavfi graphs (``lavfi:...``); ``graph``: the ``-filter_complex`` whose
    output is ``[v]``; ``keyframe_every``: seconds between keyframes (``None``: every frame, an intra-only codec)."""

    name: str
    inputs: tuple[str, ...]
    graph: str
    size: tuple[int, int]
    picture: tuple[int, int, int, int]
    fps: float
    keyframe_every: float | None = 2.0
    codec: tuple[str, ...] = H264
    duration: float | None = None
    events: tuple[dict[str, Any], ...] = ()
    groups: tuple[str, ...] = (QUALITY,)
    container: str = "mp4"
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        return f"{self.name}.{self.container}"

    def encoder_args(self) -> list[str]:
        args = list(self.codec)
        if self.keyframe_every is not None:
            gop = str(round(self.keyframe_every * self.fps))
            args += ["-g", gop, "-keyint_min", gop]
        if self.duration is not None:
            args += ["-t", f"{self.duration:g}"]
        return [*args, "-an", "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact"]


def fade(kind: str, start: float, end: float) -> dict[str, Any]:
    """A fade ``in`` (from black) or ``out`` (to black), linear over ``start``..``end``."""
    return {"kind": f"fade-{kind}", "start": start, "end": end}


def _norm(index: int, width: int, height: int, fps: float, start: float, length: float) -> str:
    """Input ``index``, seconds ``start``..``start + length``, scaled to fill ``width`` x ``height`` (centre crop),
    at a constant ``fps``: the shape ``xfade`` and ``concat`` need."""
    return (f"[{index}:v]trim=start={start:g}:duration={length:g},setpts=PTS-STARTPTS,fps={fps:g},"
            f"scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},setsar=1,"
            f"format=yuv420p")


def _letterbox(width: int, height: int, picture: tuple[int, int, int, int], pre: str = "") -> str:
    x, y, w, h = picture
    return f"[0:v]{pre}scale={w}:{h},setsar=1,pad={width}:{height}:{x}:{y}:black,format=yuv420p[v]"


def _montage() -> Variant:
    """Four shots of four sources, 1280x720 at 25 fps: a hard cut at 4 s, a 1 s dip to black at 7-8 s, a 1 s
    cross-dissolve at 10-11 s (``xfade``: its offset is the transition's start in the output)."""
    w, h, fps = 1280, 720, 25
    graph = ";".join([
        _norm(0, w, h, fps, 0.0, 4.0) + "[a]",
        _norm(1, w, h, fps, 1.0, 4.0) + "[b]",
        _norm(2, w, h, fps, 10.0, 4.0) + "[c]",
        _norm(3, w, h, fps, 2.0, 4.0) + "[d]",
        f"[a][b]concat=n=2:v=1:a=0,settb=1/{fps}[ab]",
        "[ab][c]xfade=transition=fadeblack:duration=1:offset=7[abc]",
        "[abc][d]xfade=transition=fade:duration=1:offset=10,format=yuv420p[v]",
    ])
    events = ({"kind": "cut", "start": 4.0, "end": 4.0}, {"kind": "dip", "start": 7.0, "end": 8.0},
              {"kind": "dissolve", "start": 10.0, "end": 11.0})
    return Variant("montage-cut-dip-dissolve", ("bigbuckbunny.mp4", "Megamind.avi", "vtest.avi", "bikes.mp4"),
                   graph, (w, h), (0, 0, w, h), fps, events=events,
                   note="cut at 4 s, dip to black 7-8 s, cross-dissolve 10-11 s")


def _gop_variants() -> list[Variant]:
    """vtest.avi (79.5 s of surveillance, 10 fps) re-encoded with keyframes 1, 2, 10 and 25 s apart, and intra-only."""
    full = (0, 0, 768, 576)
    out = [Variant(f"vtest-gop{every:g}s", ("vtest.avi",), "[0:v]setsar=1,format=yuv420p[v]", (768, 576), full, 10,
                   keyframe_every=every, groups=(QUALITY, SPEED), note=f"H.264, a keyframe every {every:g} s")
           for every in (1.0, 2.0, 10.0, 25.0)]
    out.append(Variant("vtest-mjpeg", ("vtest.avi",), "[0:v]setsar=1,format=yuvj420p[v]", (768, 576), full, 10,
                       keyframe_every=None, codec=MJPEG, groups=(QUALITY, SPEED), container="avi",
                       note="MJPEG, every frame a keyframe"))
    return out


def variants() -> list[Variant]:
    """Every derived clip, in the order the reports list them."""
    return [
        Variant("megamind-letterbox-1080x1920", ("Megamind.avi",), _letterbox(1080, 1920, (0, 564, 1080, 792)),
                (1080, 1920), (0, 564, 1080, 792), 24000 / 1001,
                note="720x528 letterboxed into 1080x1920 (bars top and bottom, 59 % of the frame)"),
        Variant("bunny-pillarbox-1080x1920", ("bigbuckbunny.mp4",),
                _letterbox(1080, 1920, (98, 0, 884, 1920), pre="crop=332:720,"), (1080, 1920), (98, 0, 884, 1920),
                25, note="a 9:19.5 portrait slice pillarboxed into 1080x1920 (bars left and right)"),
        Variant("bikes-night-grade", ("bikes.mp4",),
                "[0:v]eq=brightness=-0.22:contrast=0.85:saturation=0.7:gamma=0.8,colorbalance=bs=0.12:bm=0.06,"
                "format=yuv420p[v]", (640, 272), (0, 0, 640, 272), 25,
                note="a dark night grade: mean luma down to ~10, yet every frame's 99th-percentile luma above 40"),
        Variant("megamind-fades", ("Megamind.avi",),
                "[0:v]fade=t=in:st=0:d=0.5,fade=t=out:st=8.76:d=2.5,format=yuv420p[v]", (720, 528), (0, 0, 720, 528),
                24000 / 1001, events=(fade("in", 0.0, 0.5), fade("out", 8.76, 11.26)),
                note="fade in over 0.5 s, slow fade out over the last 2.5 s"),
        _montage(),
        Variant("bikes-scope-in-16x9", ("bikes.mp4",), _letterbox(1280, 720, (0, 88, 1280, 544)), (1280, 720),
                (0, 88, 1280, 544), 25, note="2.35:1 inside 16:9 (bars top and bottom)"),
        *_gop_variants(),
        Variant("testsrc2-30s-1080x1920-g60", ("lavfi:testsrc2=size=1080x1920:rate=30:duration=30",),
                "[0:v]format=yuv420p[v]", (1080, 1920), (0, 0, 1080, 1920), 30,
                codec=("-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
                       "-sc_threshold", "0"),
                groups=(SPEED,), note="synthetic, the issue's slow case: libx264 -g 60"),
    ]


def source_entries() -> list[dict[str, Any]]:
    """The fetched clips as they are (their picture is the whole frame: checked by eye and by ``cropdetect``)."""
    sizes = {"Megamind.avi": (720, 528), "vtest.avi": (768, 576), "tree.avi": (320, 240),
             "bigbuckbunny.mp4": (1280, 720), "bikes.mp4": (640, 272)}
    notes = {"vtest.avi": "MS-MPEG4, a keyframe every 25 s", "tree.avi": "Cinepak 320x240",
             "Megamind.avi": "dim, several shots", "bikes.mp4": "2.35:1, five shots", "bigbuckbunny.mp4": "one shot"}
    return [{"name": name, "file": f"sources/{name}", "size": list(size), "picture": [0, 0, *size], "events": [],
             "groups": [QUALITY], "note": notes[name]} for name, size in sizes.items()]
