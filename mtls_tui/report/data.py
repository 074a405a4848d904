"""Reports as plain data: the `--json` contract (one object with a `findings` list)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from mtls_tui.diagnose.hosts import HostReport
from mtls_tui.diagnose.inspect import InspectReport
from mtls_tui.diagnose.rendered import server_block
from mtls_tui.diagnose.successors import SuccessorReport, unchecked
from mtls_tui.model import ChainVerdict, ClusterSnapshot, Finding, ProbeResult, sort_findings
from mtls_tui.policy.ingress_nginx.releases import controller_rules


def verdict_dict(verdict: ChainVerdict | None) -> dict[str, Any] | None:
    if verdict is None:
        return None
    data = asdict(verdict)
    data["errors"] = [asdict(e) for e in verdict.errors]
    data["chain_subjects"] = list(verdict.chain_subjects)
    return data


def inspect_dict(report: InspectReport) -> dict[str, Any]:
    return {
        "command": "inspect",
        "certificates": [{"origin": v.origin, "role": v.role, **v.facts.to_dict()} for v in report.certs],
        "secrets": [
            {"ref": s.ref, "type": s.type, "origin": s.origin, "keys": [asdict(e) for e in s.entries]}
            for s in report.secrets
        ],
        "client_verdict": verdict_dict(report.client_verdict),
        "keys": [asdict(k) for k in report.keys],
        "findings": [f.to_dict() for f in report.findings],
        "notes": list(report.notes),
    }


def probe_dict(results: list[ProbeResult], findings: list[Finding]) -> dict[str, Any]:
    def one(result: ProbeResult) -> dict[str, Any]:
        data = asdict(result)
        data["server_cert"] = result.server_cert.to_dict() if result.server_cert else None
        data["headers"] = [list(h) for h in result.headers]
        data["echo"] = dict(result.echo)
        return data

    return {
        "command": "probe",
        "results": [one(r) for r in results],
        "findings": [f.to_dict() for f in sort_findings(findings)],
    }


def host_dict(report: HostReport) -> dict[str, Any]:
    policy = report.policy
    return {
        "host": report.host,
        "state": report.state,
        "tls_only": report.tls_only,  # works, asking no client certificate: no mTLS success (additive)
        "verdict": report.verdict,
        "policy": asdict(policy.policy) if policy.policy else None,
        "ingresses": [i.ref for i in policy.ingresses],
        "mtls_from": policy.mtls_from.ref if policy.mtls_from else None,
        "tls_secret": policy.tls_secret,
        "controller": policy.controller.ref if policy.controller else None,
        "annotation_rules": controller_rules(policy.controller).described,
        "directives": list(policy.directives),
        "denied": policy.denied,  # AuthTLSError: the host answers 403 to every request
        "denial": policy.denial,
        "unchecked": policy.unchecked,
        "certificates": [{"secret_key": c.secret_key, "role": c.role, **c.facts.to_dict()} for c in report.certs],
        "probe": probe_dict(list(report.probe), [])["results"] if report.probe else [],
        "findings": [f.to_dict() for f in report.findings],
    }


def successor_dict(report: SuccessorReport) -> dict[str, Any]:
    v = report.validation
    return {
        "host": v.host,
        "port": v.port,
        "implementation": v.implementation,
        "data_plane": v.data_plane,
        "scope": v.scope,
        "shared_with": list(v.shared_with),
        "mode": v.mode,
        "breakage": v.breakage,
        "state": report.state,
        "tls_only": report.tls_only,
        "verdict": report.verdict,
        "ca_refs": list(v.ca_refs),
        "verify_depth": v.verify_depth,
        "crl": v.crl,
        "decided_by": list(v.decided_by),
        "unchecked": list(unchecked(v)),  # inputs the verdict depends on that were not read (additive)
        "controller_release": v.release,  # the release whose rules were used, "(assumed: …)" when not seen
        "conditions": list(v.conditions),
        # predicted from the objects and the measured behaviour of the data plane; not probed
        "predicted": {client: str(answer) for client, answer in report.answers},
        "probe": probe_dict(list(report.probe), [])["results"] if report.probe else [],
        "findings": [f.to_dict() for f in report.findings],
    }


def _rendered(snapshot: ClusterSnapshot, host: str) -> list[dict[str, Any]]:
    """With --exec: each controller pod's server block for the host, as it rendered it."""
    return [
        {"pod": f"{c.namespace}/{c.pod}", "command": c.command, "block": server_block(c.text, host) if c.text else None}
        for c in snapshot.rendered
    ]


def hosts_dict(
    snapshot: ClusterSnapshot, reports: list[HostReport], successors: list[SuccessorReport] | None = None
) -> dict[str, Any]:
    others = successors or []
    return {
        "command": "check",
        "source": snapshot.source,
        "hosts": [{**host_dict(r), "rendered": _rendered(snapshot, r.host)} for r in reports],
        "other_controllers": [successor_dict(r) for r in others],
        # Documents that could not be read come first: what was judged is judged without them.
        "findings": [f.to_dict() for f in snapshot.unreadable]
        + [f.to_dict() for r in reports for f in r.findings]
        + [f.to_dict() for r in others for f in r.findings],
    }
