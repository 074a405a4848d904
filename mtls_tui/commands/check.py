"""`mtls-tui check`: every mTLS host of a cluster (or of manifest files), end to end."""

from __future__ import annotations

import argparse
import gc
import sys

from mtls_tui.commands import add_controller_argument, add_strict_argument, print_json, seconds
from mtls_tui.model import Severity
from mtls_tui.report.console import print_hosts, terminal_console
from mtls_tui.report.data import hosts_dict
from mtls_tui.service.pipeline import Diagnosis, check
from mtls_tui.service.session import Session
from mtls_tui.sources.files import passphrase, passphrase_setting, read_client
from mtls_tui.sources.snapshot import source_for


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "check",
        help="every mTLS host: Ingress, Secret, certificates and a probe",
        description="Read the cluster (or manifest files) as ingress-nginx does, check the Secrets' "
        "certificates, probe each host without and with the client certificate, and give a verdict per host.",
    )
    parser.add_argument("--context", metavar="C", help="kubeconfig context (default: the current one)")
    parser.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    parser.add_argument("-n", "--namespace", metavar="N", help="only Ingresses in this namespace")
    parser.add_argument("--host", metavar="H", help="only this host")
    parser.add_argument(
        "--manifests", nargs="+", metavar="PATH", help="read YAML/JSON files or folders instead of a cluster"
    )
    parser.add_argument(
        "--cert", metavar="FILE", help="a client certificate to judge against each host's ca.crt and to probe with"
    )
    parser.add_argument("--key", metavar="FILE", help="its private key (for the probe)")
    parser.add_argument(
        "--pass", dest="passphrase", metavar="PHRASE", help="pass phrase for the key (or env MTLS_TUI_PASS)"
    )
    parser.add_argument(
        "--connect", metavar="ADDR:PORT", help="probe every host at this address (as curl --resolve HOST:PORT:ADDR)"
    )
    add_controller_argument(parser)
    parser.add_argument(
        "--exec",
        dest="exec_conf",
        action="store_true",
        help="also read each controller pod's /etc/nginx/nginx.conf (kubectl exec … -- cat, read-only) and "
        "compare it with what the objects say: a controller that has not caught up, pods that disagree",
    )
    parser.add_argument("--no-probe", action="store_true", help="do not send any request")
    parser.add_argument("--timeout", type=seconds, default=10.0, metavar="SECONDS", help="per host probe (default 10)")
    parser.add_argument("--json", action="store_true", help="print one JSON object with a findings list")
    add_strict_argument(parser)
    parser.set_defaults(run=run)


# The states a gate that wants every client checked cannot pass (DESIGN's host states): a door
# left open on purpose (`not enforced`) or a verdict missing an input (`unverified`).
UNCHECKED_STATES = frozenset({"not enforced", "unverified"})


def check_session(
    session: Session, *, host: str | None = None, probe: bool = True, timeout: float = 10.0, prompt: bool = True
) -> Diagnosis:
    """Read, judge and probe what `session` names (the lab's `--check` runs this too)."""
    from mtls_tui.sources.probe import run_probe

    client = read_client(
        session.cert, session.key, passphrase(session.passphrase), prompt=prompt, key_hint="with --key"
    )
    snapshot = source_for(session).load()
    return check(session, snapshot, client, run_probe if probe else None, host=host, timeout=timeout)


def print_report(
    diagnosis: Diagnosis, as_json: bool, strict: bool = False, client: tuple[str | None, str | None] = (None, None)
) -> int:
    """Print the report; the exit status: 1 for an error finding, and with `strict` for a host
    whose state lets clients in unchecked or was not verified; else 0. `client`: the (--cert,
    --key) the printed probe command names."""
    if as_json:
        print_json(hosts_dict(diagnosis.snapshot, diagnosis.reports, diagnosis.successors))
    else:
        print_hosts(
            terminal_console(), diagnosis.snapshot, diagnosis.reports, diagnosis.successors, (*client, diagnosis.client)
        )
    findings = [
        *diagnosis.snapshot.unreadable,
        *(f for r in diagnosis.reports for f in r.findings),
        *(f for r in diagnosis.successors for f in r.findings),
    ]
    if any(f.severity is Severity.ERROR for f in findings):
        return 1
    states = {r.state for r in diagnosis.reports} | {r.state for r in diagnosis.successors}
    return 1 if strict and states & UNCHECKED_STATES else 0


def run(args: argparse.Namespace) -> int:
    # One run, then exit: the objects read and judged live until the end, and the cyclic
    # collector, walking all of them on every full collection, found nothing to free in
    # them yet took a quarter of the CPU at 20,000 Ingresses.
    gc.disable()
    session = Session(
        context=args.context,
        kubeconfig=args.kubeconfig,
        namespace=args.namespace,
        manifests=args.manifests or [],
        cert=args.cert,
        key=args.key,
        connect=args.connect,
        passphrase=passphrase_setting(args.passphrase),
        controller=args.controller,
        exec_conf=args.exec_conf,
    )
    if args.exec_conf and not session.manifests:
        print(
            "mtls-tui check: --exec runs, in each ingress-nginx controller pod: cat /etc/nginx/nginx.conf (read-only)",
            file=sys.stderr,
        )
    diagnosis = check_session(session, host=args.host, probe=not args.no_probe, timeout=args.timeout)
    return print_report(diagnosis, args.json, args.strict, (session.cert, session.key))
