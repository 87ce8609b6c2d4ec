"""``python -m autodiff`` / ``autodiff``: the command line."""
from __future__ import annotations

import argparse
import sys

from . import __version__


def build_parser():
    p = argparse.ArgumentParser(prog="autodiff", description="autodiff command line")
    p.add_argument("--version", action="version", version=f"autodiff {__version__}")
    sub = p.add_subparsers(dest="command")
    sub.add_parser("demo", help="train a small MLP on the digits and print the loss falling")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from .demo import run
        return run()
    build_parser().print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
