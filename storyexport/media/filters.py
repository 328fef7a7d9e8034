"""Filter chains that fit any source frame into the target size: ``pad``, ``crop`` or ``blur-pad``."""

from __future__ import annotations

from typing import Any

FIT_MODES = ("pad", "crop", "blur-pad")
_BLUR_SHRINK = 8  # blur a 1/8-size copy: as soft as a huge kernel at full size, for a fraction of the cost


def fit_frame(stream: Any, width: int, height: int, fit: str) -> Any:
    """Scale ``stream`` to exactly ``width`` x ``height`` with square pixels, filling the frame as ``fit`` says."""
    if fit == "pad":
        fitted = _contain(stream, width, height).filter("pad", width, height, "(ow-iw)/2", "(oh-ih)/2", "black")
    elif fit == "crop":
        fitted = _cover(stream, width, height)
    elif fit == "blur-pad":
        fitted = _blur_pad(stream, width, height)
    else:
        raise ValueError(f"unknown fit mode {fit!r} (use one of {', '.join(FIT_MODES)})")
    return fitted.filter("setsar", 1)


def square_pixels(stream: Any) -> Any:
    """Stretch anamorphic video (SAR != 1) to its displayed width, so fitting works on what viewers see."""
    return stream.filter("scale", "trunc(iw*sar/2)*2", "ih").filter("setsar", 1)


def tone_map_to_sdr(stream: Any) -> Any:
    """HDR (PQ or HLG, BT.2020) to SDR BT.709 with the Hable curve: without it phone HDR clips come out grey
    and washed out on every platform's SDR path."""
    return (
        stream.filter("zscale", t="linear", npl=100)
        .filter("format", "gbrpf32le")
        .filter("zscale", p="bt709")
        .filter("tonemap", "hable", desat=0)
        .filter("zscale", t="bt709", m="bt709", r="tv")
    )


def _contain(stream: Any, width: int, height: int) -> Any:
    return stream.filter("scale", width, height, force_original_aspect_ratio="decrease", force_divisible_by=2)


def _cover(stream: Any, width: int, height: int) -> Any:
    scaled = stream.filter("scale", width, height, force_original_aspect_ratio="increase")
    return scaled.filter("crop", width, height)


def _blur_pad(stream: Any, width: int, height: int) -> Any:
    """The fitted picture over a blurred, cropped, enlarged copy of itself (no black bars)."""
    copies = stream.filter_multi_output("split")
    small_w, small_h = max(2, width // _BLUR_SHRINK // 2 * 2), max(2, height // _BLUR_SHRINK // 2 * 2)
    background = (  # it is blurred anyway: the cheapest scaler is good enough both ways
        copies[0]
        .filter("scale", small_w, small_h, force_original_aspect_ratio="increase", flags="fast_bilinear")
        .filter("crop", small_w, small_h)
        .filter("gblur", sigma=max(1.0, small_w / 24))
        .filter("scale", width, height, flags="fast_bilinear")
    )
    return background.overlay(_contain(copies[1], width, height), x="(W-w)/2", y="(H-h)/2")
