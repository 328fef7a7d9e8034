"""``storyexport samples``: generate the sample clips a manifest declares (the build does this too)."""

from __future__ import annotations

import argparse
import functools

from storyexport.cli.common import add_manifest_option, fail, load_manifest_or_report, say
from storyexport.config import Manifest


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "samples",
        help="generate the manifest's sample clips",
        description="Generate the deterministic sample clips listed under 'samples:' in the manifest "
        "(motion, a blurred stretch, a black fade and audio), so an example builds with no downloads.",
    )
    add_manifest_option(parser)
    parser.add_argument("--force", action="store_true",
                        help="regenerate clips that already exist (only clips storyexport generated)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from storyexport.build.loader import dep_file_for
    from storyexport.build.lock import lock_file_for, project_lock

    manifest = load_manifest_or_report(args.manifest, check_sources=False)
    if manifest is None:
        return 1
    if not manifest.samples:
        say(f"{args.manifest}: no samples declared")
    with project_lock(lock_file_for(dep_file_for(manifest))):  # a build's sample tasks write the same files
        return _generate(manifest, args.force)


def _generate(manifest: Manifest, force: bool) -> int:
    from storyexport.build.generated import NotGeneratedError, record_for, write_generated
    from storyexport.media import MediaError
    from storyexport.media.samples import generate_sample

    record = record_for(manifest.path)
    for sample in manifest.samples:
        if sample.path.exists() and not force:
            say(f"exists    {sample.path}")
            continue
        try:
            write_generated(sample.path, record, functools.partial(
                generate_sample, duration=sample.duration, width=sample.width, height=sample.height, fps=sample.fps,
                seed=sample.seed))
        except (MediaError, NotGeneratedError) as exc:
            return fail(str(exc))
        say(f"generated {sample.path}")
    return 0
