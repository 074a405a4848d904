"""The `mtls-tui` command: parse arguments, run a sub-command, map outcomes to exit codes.

Exit status (the contract): 0 no error finding, 1 at least one error finding,
2 the command could not run (one line on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import sys
import warnings

from mtls_tui import __version__
from mtls_tui.commands import add_controller_argument, check, inspect, lab, logs, migrate, pki, probe
from mtls_tui.errors import CannotRun, InputError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mtls-tui",
        description="Diagnose client-certificate (mutual TLS) authentication on Kubernetes ingress.",
    )
    parser.add_argument("--version", action="version", version=f"mtls-tui {__version__}")
    screen = parser.add_argument_group("the interactive screen (no COMMAND)")
    screen.add_argument("--context", metavar="C", help="kubeconfig context (default: the current one)")
    screen.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    screen.add_argument("-n", "--namespace", metavar="N", help="only Ingresses in this namespace")
    screen.add_argument(
        "--manifests", nargs="+", metavar="PATH", help="read YAML/JSON files or folders instead of a cluster"
    )
    screen.add_argument("--cert", metavar="FILE", help="client certificate to judge and probe with")
    screen.add_argument("--key", metavar="FILE", help="its private key")
    screen.add_argument("--connect", metavar="ADDR:PORT", help="probe hosts at this address (as curl --resolve)")
    add_controller_argument(screen)
    screen.add_argument(
        "--exec",
        dest="exec_conf",
        action="store_true",
        help="read each controller pod's nginx.conf (kubectl exec … cat, read-only) and show it beside the expected",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    inspect.add_parser(sub)
    probe.add_parser(sub)
    check.add_parser(sub)
    lab.add_parser(sub)
    logs.add_parser(sub)
    pki.add_parser(sub)
    migrate.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from mtls_tui.lab.verifier import verify_migration
        from mtls_tui.service.session import Session
        from mtls_tui.sources.files import passphrase_setting
        from mtls_tui.tui.app import run_tui

        return run_tui(
            Session(
                context=args.context,
                kubeconfig=args.kubeconfig,
                namespace=args.namespace,
                manifests=args.manifests or [],
                cert=args.cert,
                key=args.key,
                connect=args.connect,
                passphrase=passphrase_setting(None),
                controller=args.controller,
                exec_conf=args.exec_conf,
            ),
            verifier=verify_migration,
        )
    try:
        with warnings.catch_warnings():  # a library's warning would be a second line on stderr
            warnings.simplefilter("ignore")
            return args.run(args)
    except (CannotRun, InputError) as exc:
        print(f"mtls-tui {args.command}: {visible(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"mtls-tui {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _reader_gone()


def visible(text: str) -> str:
    """One line with control characters shown as escapes: a path or a value from a hostile
    file must not move the cursor, recolour the terminal or add lines to the message."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def _reader_gone() -> int:
    """The output's reader went away (`mtls-tui check --json | head`): stop quietly, as a
    command killed by SIGPIPE does, without Python's traceback or its flush error at exit."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    return 141


if __name__ == "__main__":
    sys.exit(main())
