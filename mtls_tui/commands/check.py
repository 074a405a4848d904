"""`mtls-tui check`: every mTLS host of a cluster (or of manifest files), end to end."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone

from mtls_tui.certs.load import Material
from mtls_tui.commands import print_json, seconds
from mtls_tui.diagnose.hosts import HostReport, host_report
from mtls_tui.diagnose.reproduce import probe_target
from mtls_tui.errors import CannotRun
from mtls_tui.model import ClusterSnapshot, ProbeResult, ProbeSpec, Severity
from mtls_tui.policy.ingress_nginx import host_policies
from mtls_tui.report.console import print_hosts, terminal_console
from mtls_tui.report.data import hosts_dict
from mtls_tui.sources.files import passphrase, read_material
from mtls_tui.sources.snapshot import load_snapshot


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
    parser.add_argument("--manifests", nargs="+", metavar="PATH", help="read YAML/JSON files or folders instead of a cluster")
    parser.add_argument("--cert", metavar="FILE", help="a client certificate to judge against each host's ca.crt and to probe with")
    parser.add_argument("--key", metavar="FILE", help="its private key (for the probe)")
    parser.add_argument("--pass", dest="passphrase", metavar="PHRASE", help="pass phrase for the key (or env MTLS_TUI_PASS)")
    parser.add_argument("--connect", metavar="ADDR:PORT", help="probe every host at this address (as curl --resolve HOST:PORT:ADDR)")
    parser.add_argument("--no-probe", action="store_true", help="do not send any request")
    parser.add_argument("--timeout", type=seconds, default=10.0, metavar="SECONDS", help="per host probe (default 10)")
    parser.add_argument("--json", action="store_true", help="print one JSON object with a findings list")
    parser.set_defaults(run=run)


def run_checks(
    snapshot: ClusterSnapshot,
    *,
    client: Material | None = None,
    host: str | None = None,
    connect: str | None = None,
    cert: str | None = None,
    key: str | None = None,
    passphrase_value: str | None = None,
    timeout: float = 10.0,
    probe: bool = True,
) -> list[HostReport]:
    from mtls_tui.sources.probe import run_probe

    now = datetime.now(timezone.utc)
    reports = []
    for policy in host_policies(snapshot):
        if host and policy.host != host:
            continue
        results: list[ProbeResult] | None = None
        target = probe_target(policy.host, policy.ingresses, connect) if probe else None
        if target:
            url, resolve = target
            spec = ProbeSpec(url, resolve=resolve, insecure=True, cert=cert, key=key,
                             passphrase=passphrase(passphrase_value), timeout=timeout)
            results = run_probe(spec)
        reports.append(host_report(policy, snapshot, now, client=client, probe=results))
    if host and not reports:
        known = ", ".join(p.host for p in host_policies(snapshot)) or "none"
        raise CannotRun(f"no Ingress serves host {host} with TLS (hosts: {known})")
    return reports


def print_report(snapshot: ClusterSnapshot, reports: list[HostReport], as_json: bool) -> int:
    if as_json:
        print_json(hosts_dict(snapshot, reports))
    else:
        print_hosts(terminal_console(), snapshot, reports)
    return 1 if any(f.severity is Severity.ERROR for r in reports for f in r.findings) else 0


def run(args: argparse.Namespace) -> int:
    client = None
    if args.cert:
        client = read_material(args.cert, "cert", passphrase(args.passphrase))
        if not client.certs:
            raise CannotRun(f"--cert {args.cert} holds {client.describe()}, no certificate (the key goes with --key)")
        if args.key and not client.keys:  # the key's own file name goes into fixes (its bytes nowhere)
            client = client + read_material(args.key, "key", passphrase(args.passphrase))
    snapshot = load_snapshot(manifests=args.manifests, context=args.context, namespace=args.namespace, kubeconfig=args.kubeconfig)
    reports = run_checks(
        snapshot, client=client, host=args.host, connect=args.connect, cert=args.cert, key=args.key,
        passphrase_value=args.passphrase, timeout=args.timeout, probe=not args.no_probe,
    )
    return print_report(snapshot, reports, args.json)
