"""The sub-commands: each reads its inputs, asks the core, and prints (Rich, or JSON with --json)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

MAX_SECONDS = 600


def seconds(value: str) -> float:
    """A --timeout: a finite number of seconds above 0 and up to 600 (inf, nan and 1e308 would
    never return, or raise deep inside the network code)."""
    import argparse
    import math

    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, not {value!r}") from None
    if not math.isfinite(number) or not 0 < number <= MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"must be between 0 and {MAX_SECONDS} seconds")
    return number


def bounded_int(low: int, high: int, what: str = "a whole number"):
    """An argparse type: a whole number from `low` to `high`."""
    import argparse

    def parse(value: str) -> int:
        try:
            number = int(value.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, not {value!r}") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}")
        return number

    return parse


def print_json(document: dict[str, object]) -> None:
    """Indented for a person at a terminal; compact when piped, where a script or jq reads it.
    The compact form is written by json's C encoder a list item at a time: the same text as
    one `json.dumps`, without the whole of it (8 MB for 5,000 hosts) in memory at once."""
    import json
    import sys

    if sys.stdout.isatty():
        print(json.dumps(document, indent=2))
        return
    write = sys.stdout.write
    write("{")
    for index, (key, value) in enumerate(document.items()):
        write((", " if index else "") + json.dumps(key) + ": ")
        if isinstance(value, list):
            write("[")
            for number, item in enumerate(value):
                write((", " if number else "") + json.dumps(item))
            write("]")
        else:
            write(json.dumps(value))
    write("}\n")


def add_controller_argument(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """`--controller NAME`, the same for the screen and `check`."""
    from mtls_tui.model import FORCED

    parser.add_argument(
        "--controller",
        choices=FORCED,
        metavar="NAME",
        help="judge the objects as if NAME served them (default: as their IngressClass/GatewayClass says): "
        + ", ".join(FORCED),
    )


def add_strict_argument(parser: argparse.ArgumentParser) -> None:
    """`--strict`, for `check` and `lab --check`: the same report, a stricter exit status."""
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 also when a host is 'not enforced' (clients without a certificate get in, e.g. "
        "auth-tls-verify-client off, optional or optional_no_ca) or 'unverified' (an input the verdict needs "
        "was not read); without --strict these exit 0",
    )
