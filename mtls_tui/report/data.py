"""Reports as plain data: the `--json` contract (one object with a `findings` list)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from mtls_tui.diagnose.inspect import InspectReport
from mtls_tui.model import ChainVerdict, Finding, ProbeResult, sort_findings


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

    return {"command": "probe", "results": [one(r) for r in results], "findings": [f.to_dict() for f in sort_findings(findings)]}
