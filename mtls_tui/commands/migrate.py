"""`mtls-tui migrate --to TARGET`: write a successor's objects for each ingress-nginx mTLS host.

The edge of policy/migrate: it reads (manifest files, or a cluster with --context: read only,
never a write), asks the core for the plan, writes one multi-document YAML file per host into
a folder of its own, and prints what was written and what does not carry over. It never
overwrites a file it did not write (unless --force), never writes where an input file is, and
never writes a private key: Secrets that hold one are printed as commands for the user to run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtls_tui import __version__
from mtls_tui.commands import print_json
from mtls_tui.errors import CannotRun
from mtls_tui.model import ClusterSnapshot, Finding, Severity
from mtls_tui.policy.migrate import TARGETS, HostMigration, MigrationPlan, Target, migrate
from mtls_tui.policy.migrate.after import after_objects
from mtls_tui.policy.migrate.plan import objects_yaml
from mtls_tui.report.console import terminal_console
from mtls_tui.safe_text import one_line
from mtls_tui.service.session import Session
from mtls_tui.shell import comment
from mtls_tui.sources.snapshot import source_for

if TYPE_CHECKING:
    from mtls_tui.lab.verify import VerifyTable

MARK = "# mtls-tui migrate"  # the first line of every file this command writes: what it may overwrite


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "migrate",
        help="write a successor's objects (Gateway API, Envoy Gateway, Traefik, F5 NGINX, Istio) for each mTLS host",
        description="Move each ingress-nginx host's client-certificate set-up (auth-tls-* annotations) to another "
        "controller: one YAML file per host, and a report of what does not carry over. Nothing is applied to a "
        "cluster; with --context the cluster is only read.",
    )
    parser.add_argument("--to", metavar="TARGET", help="the controller to write for: " + ", ".join(TARGETS))
    parser.add_argument(
        "--manifests", nargs="+", metavar="PATH", help="read YAML/JSON files or folders instead of a cluster"
    )
    parser.add_argument("--context", metavar="C", help="kubeconfig context to read (default: the current one)")
    parser.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    parser.add_argument("-n", "--namespace", metavar="N", help="only Ingresses in this namespace")
    parser.add_argument("--host", metavar="H", help="only this host")
    parser.add_argument("-o", "--output", metavar="DIR", help="folder for the files (default: ./mtls-migrate-TARGET)")
    parser.add_argument(
        "--gateway-class", metavar="NAME", help="GatewayClass for gateway-api/envoy-gateway Gateways (default: eg)"
    )
    parser.add_argument(
        "--ingress-class",
        metavar="NAME",
        help="traefik, f5-nginx: keep an Ingress of this IngressClass (selecting the client policy by annotation) "
        "instead of an IngressRoute / VirtualServer",
    )
    parser.add_argument("--force", action="store_true", help="overwrite files in DIR that mtls-tui did not write")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the report")
    parser.add_argument(
        "--verify",
        action="store_true",
        help="prove it: run clients (yours, and none, another CA, expired, a deeper chain, another CN) against the "
        "old data plane (nginx as ingress-nginx renders it) and the new one (Envoy, Go crypto/tls or nginx), and "
        "print who gets in before and after; every difference is explained by a finding (--manifests only)",
    )
    parser.add_argument(
        "--cert", action="append", default=[], metavar="FILE", help="with --verify: a client certificate (repeat)"
    )
    parser.add_argument(
        "--key", action="append", default=[], metavar="FILE", help="with --verify: its key, in --cert's order"
    )
    parser.set_defaults(run=run)


def _target(value: str | None) -> Target:
    for target in TARGETS:
        if value == target:
            return target
    given = "is missing" if value is None else f"'{value}' is not a target"
    raise CannotRun(f"--to {given}: one of {', '.join(TARGETS)}")


def render(host: HostMigration, source: str) -> str:
    """The file for one host: a header that says what it is, then the objects."""
    lines = [
        f"{MARK} --to {host.target}: host {comment(host.host)}",
        f"# From ingress-nginx Ingress {comment(', '.join(host.ingresses))} (auth-tls-* annotations), read from {comment(source)}.",
        f"# Written by mtls-tui {__version__}. Nothing was applied to any cluster: review it, then kubectl apply -f {host.file_name}",
    ]
    if host.secret_commands:
        lines.append(
            "# Not in this file: Secrets that hold a private key. Create each first: run its command, read the"
        )
        lines.append("# Secret it prints, then run it again piped to kubectl apply -f -")
        for command in host.secret_commands:
            lines.append(f"#   {comment(command.ref)} ({comment(command.why)}):")
            lines.append(f"#     {comment(command.command)}")
    if host.findings:
        lines.append("# Does not carry over (mtls-tui migrate prints the details):")
        for finding in host.findings:
            lines.append(f"#   [{finding.severity.value}] {finding.code}: {comment(finding.title)}")
    for note in host.notes:
        lines.append(f"# Note: {comment(note)}")
    body = objects_yaml(host.objects)
    return "\n".join(lines) + "\n" + body


def _ours(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(MARK)) == MARK.encode()
    except OSError:
        return False


def _check_targets(folder: Path, plan: MigrationPlan, inputs: set[Path], force: bool) -> None:
    """Refuse before anything is written: a file of the user's in the way, or an input file."""
    if folder.exists() and not folder.is_dir():
        raise CannotRun(f"{folder}: is not a folder")
    for host in plan.hosts:
        path = folder / host.file_name
        if path.resolve() in inputs:
            raise CannotRun(f"{path}: is one of the input files: choose another -o DIR")
        if path.exists() and not path.is_file():
            raise CannotRun(f"{path}: exists and is not a file")
        if path.exists() and not force and not _ours(path):
            raise CannotRun(f"{path}: exists and was not written by mtls-tui migrate (use --force to overwrite it)")


def _write(path: Path, text: str) -> None:
    """Whole or not at all: a temporary file in the same folder, then renamed over."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _input_files(manifests: list[str]) -> set[Path]:
    from mtls_tui.sources.manifests import manifest_files

    return {p.resolve() for p in manifest_files(manifests)} if manifests else set()


def plan_dict(plan: MigrationPlan, folder: Path, written: list[str]) -> dict[str, Any]:
    return {
        "target": plan.target,
        "output": str(folder),
        "written": written,
        "applied": False,
        "hosts": [
            {
                "host": h.host,
                "file": str(folder / h.file_name),
                "ingresses": list(h.ingresses),
                "objects": [
                    {
                        "apiVersion": o.get("apiVersion"),
                        "kind": o.get("kind"),
                        "namespace": o.get("metadata", {}).get("namespace"),
                        "name": o.get("metadata", {}).get("name"),
                    }
                    for o in h.objects
                ],
                "secret_commands": [{"secret": c.ref, "why": c.why, "command": c.command} for c in h.secret_commands],
                "notes": list(h.notes),
                "findings": [f.to_dict() for f in h.findings],
            }
            for h in plan.hosts
        ],
        "findings": [f.to_dict() for f in plan.findings],
    }


def _fix(finding: Finding, indent: int) -> str:
    """The fix and the words after it, each on its own line; none for a finding without them."""
    pad = " " * indent
    fix = f"{pad}fix: {finding.fix}\n" if finding.fix else ""
    return fix + (f"{pad}then: {finding.then}\n" if finding.then else "")


def print_plan(plan: MigrationPlan, folder: Path, written: list[str], unreadable: list[str]) -> None:
    out = sys.stdout.write
    out(
        f"mtls-tui migrate --to {plan.target}: {len(written)} file(s) in {one_line(str(folder))}; nothing was applied.\n"
    )
    for line in unreadable:
        out(f"  not read: {line}\n")
    for finding in plan.findings:
        out(f"  [{finding.severity.value}] {finding.code}: {finding.title}\n{_fix(finding, 4)}")
    for host in plan.hosts:
        out(f"\nhost {one_line(host.host)} (Ingress {one_line(', '.join(host.ingresses))})\n")
        out(f"  wrote {one_line(str(folder / host.file_name))}: ")
        out(", ".join(f"{o['kind']} {o['metadata'].get('name')}" for o in host.objects) + "\n")
        if host.secret_commands:
            out(
                "  create first (holds a private key, so not in the file; run, read, then pipe to kubectl apply -f -):\n"
            )
            for command in host.secret_commands:
                out(f"    Secret {one_line(command.ref)}: {one_line(command.why)}\n      {one_line(command.command)}\n")
        if host.findings:
            out("  does not carry over:\n")
            for finding in host.findings:
                out(f"    [{finding.severity.value}] {finding.code}: {finding.title}\n")
                out(f"      {one_line(finding.detail)}\n{_fix(finding, 6)}")
        for note in host.notes:
            out(f"  note: {one_line(note)}\n")


def run(args: argparse.Namespace) -> int:
    target = _target(args.to)
    if args.manifests and args.context:
        raise CannotRun("--manifests and --context: read one or the other")
    session = Session(
        context=args.context,
        kubeconfig=args.kubeconfig,
        namespace=args.namespace,
        manifests=args.manifests or [],
    )
    inputs = _input_files(args.manifests or [])
    snapshot = source_for(session).load()
    if args.namespace and args.manifests:  # a cluster is read in the namespace; files hold every namespace
        snapshot = replace(snapshot, ingresses=tuple(i for i in snapshot.ingresses if i.namespace == args.namespace))
    plan = migrate(
        snapshot,
        target,
        host=args.host,
        gateway_class=args.gateway_class,
        ingress_class=args.ingress_class,
        check_command=session.check_command(),
    )
    folder = Path(args.output or f"mtls-migrate-{target}")
    _check_targets(folder, plan, inputs, args.force)
    written: list[str] = []
    if plan.hosts:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for host in plan.hosts:
                path = folder / host.file_name
                _write(path, render(host, snapshot.source))
                written.append(str(path))
        except OSError as exc:
            raise CannotRun(f"{folder}: cannot write ({exc.strerror or exc})") from None
    unreadable = [f"{f.subject}: {f.title}" for f in snapshot.unreadable]
    if args.json:
        document = plan_dict(plan, folder, written)
        document["unreadable"] = [f.to_dict() for f in snapshot.unreadable]
        print_json(document)
    else:
        print_plan(plan, folder, written, unreadable)
    errors = [*plan.all_findings, *snapshot.unreadable]
    failed = any(f.severity is Severity.ERROR for f in errors)
    if args.verify and plan.hosts:
        table = _verify(args, plan, snapshot)
        if args.json:
            print_json({"command": "migrate --verify", **table.to_dict()})
        else:
            terminal_console().print(table.render())
            for note in table.notes:
                print(f"  note: {one_line(note)}")
        failed = failed or bool(table.unexplained)  # an unexplained difference is a bug in the tool
    return 1 if failed else 0


def _verify(args: argparse.Namespace, plan: MigrationPlan, snapshot: ClusterSnapshot) -> VerifyTable:
    """Before and after, on real data planes (lab/verify.py). The old side is the input files as
    the controller reads them; the new side is the cluster after the migration: the same objects
    plus the generated ones, and the Secrets the printed commands would create (in memory only:
    their keys are never written)."""
    from mtls_tui.lab.verify import verify
    from mtls_tui.sources.manifests import ManifestSet

    if not args.manifests:
        raise CannotRun("--verify reads --manifests (kubectl get ingress,secret -A -o yaml > all.yaml gives them)")
    if len(args.cert) != len(args.key):
        raise CannotRun(f"--verify: {len(args.cert)} --cert and {len(args.key)} --key: give a key for each certificate")
    old = [o for o in ManifestSet(args.manifests).objects() if isinstance(o, dict)]
    new = [*old, *after_objects(plan, snapshot)]
    explanations = {h.host: [f.code for f in h.findings] for h in plan.hosts}
    return verify(
        old,
        new,
        list(zip(args.cert, args.key, strict=True)),
        explanations=explanations,
        hosts=[h.host for h in plan.hosts],
    )
