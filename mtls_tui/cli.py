"""The `mtls-tui` command: parse arguments, run a sub-command, map outcomes to exit codes.

Exit status (the contract): 0 no error finding, 1 at least one error finding,
2 the command could not run (one line on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import sys

from mtls_tui import __version__
from mtls_tui.commands import check, inspect, pki, probe
from mtls_tui.errors import InputError
from mtls_tui.sources.files import CannotRun


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mtls-tui",
        description="Diagnose client-certificate (mutual TLS) authentication on Kubernetes ingress.",
    )
    parser.add_argument("--version", action="version", version=f"mtls-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    inspect.add_parser(sub)
    probe.add_parser(sub)
    check.add_parser(sub)
    pki.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        print("mtls-tui: the interactive screen is not built yet; use a command (mtls-tui --help)", file=sys.stderr)
        return 2
    try:
        return args.run(args)
    except (CannotRun, InputError) as exc:
        print(f"mtls-tui {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"mtls-tui {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
