"""Command line: ``hifigan vocode|synthesize|export|serve|prepare|train|bench|extract-mels ...``.

Thin: one module per command, each with its own arguments (``add_parser``) and handler (``run``);
what they share (the one-line error, precision help, input collection) is in :mod:`.common`. Every
error is one line on stderr and a non-zero exit.
"""
from __future__ import annotations

import argparse
import sys

from hifigan.cli import bench, export, extract_mels, prepare, serve, synthesize, train, vocode
from hifigan.cli.common import CliError
from hifigan.errors import HifiganError

COMMANDS = (vocode, synthesize, export, serve, prepare, train, bench, extract_mels)  # in --help's order


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hifigan", description="FastPitch + HiFi-GAN text-to-speech.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if args.command is None:
        p.print_help(sys.stderr)
        return 2
    try:
        return {c.NAME: c.run for c in COMMANDS}[args.command](args)
    except (CliError, HifiganError) as e:
        print(f"hifigan: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("hifigan: interrupted", file=sys.stderr)
        return 130
