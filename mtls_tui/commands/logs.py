"""`mtls-tui logs`: the controller pods' logs, merged, with the mTLS lines marked."""

from __future__ import annotations

import argparse
import re
import signal
import threading

from rich.console import Console
from rich.text import Text

from mtls_tui.commands import bounded_int
from mtls_tui.errors import CannotRun
from mtls_tui.report.console import log_prefix, log_text

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("logs", help="ingress-nginx controller logs, every pod merged, mTLS lines marked")
    parser.add_argument("--context", metavar="C", help="kubeconfig context (default: the current one)")
    parser.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    parser.add_argument("-f", "--follow", action="store_true", help="keep streaming until Ctrl+C")
    parser.add_argument("--grep", metavar="RE", help="only lines matching this regular expression")
    parser.add_argument("--since", type=_duration, metavar="DURATION", help="lines newer than this (30s, 5m, 2h)")
    parser.add_argument(
        "--tail", type=bounded_int(0, 10**9), default=100, metavar="N", help="lines per pod to start with (default 100)"
    )
    parser.set_defaults(run=run)


def _duration(value: str) -> int:
    match = re.fullmatch(r"(\d{1,12})([smhd]?)", value.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{value!r} is not a duration like 30s, 5m or 2h")
    return int(match.group(1)) * UNITS[match.group(2) or "s"]


def render(record) -> Text:
    from mtls_tui.logs.classify import classify

    highlight = classify(record)
    line = log_prefix(record) + log_text(record)
    if highlight:
        line.stylize("bold")
        line.append(f"  ◀ {highlight.code}: {highlight.title}", style="magenta")
    return line


def run(args: argparse.Namespace) -> int:
    try:
        pattern = re.compile(args.grep) if args.grep else None
    except re.error as exc:
        raise CannotRun(f"--grep {args.grep!r}: {exc}") from None
    from mtls_tui.sources.kube import KubeSource
    from mtls_tui.sources.logs import ControllerLogs, controller_pods, read_controller_logs

    console = Console(highlight=False)
    source = KubeSource(args.context, None, args.kubeconfig)

    def show(record) -> None:
        if pattern is None or pattern.search(record.text):
            console.print(render(record), soft_wrap=True)

    try:
        if not args.follow:
            for record in read_controller_logs(source, tail=args.tail, since_seconds=args.since):
                show(record)
            return 0
        controller_pods(source)  # an API server that cannot be reached or refuses: one line now, not silent retries
        follower = ControllerLogs(source, show, tail=args.tail, since_seconds=args.since)
        runner = threading.Thread(target=follower.run, name="logs", daemon=True)
        runner.start()
        try:
            while runner.is_alive():
                runner.join(0.2)
        except KeyboardInterrupt:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl+C must not leave a traceback
            follower.stop()
            runner.join(2)
        return 0
    finally:
        source.close()
