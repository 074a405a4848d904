"""A verdict per host and port for ingress-nginx's successors, from their objects alone.

The objects say what the data plane was told; `predict` (policy/successors/common.py) says what
each kind of client then gets, from measurements on real data planes. Nothing here has been
probed, so a configuration that keeps strangers out is `unverified`, never `works`: the words
say what was checked.
"""

from __future__ import annotations

from dataclasses import dataclass

from mtls_tui.diagnose.hosts import NOT_ENFORCED, HostState
from mtls_tui.model import Finding, ProbeResult, Severity, sort_findings
from mtls_tui.policy.successors.common import CLIENT_KINDS, ClientKind, ClientValidation, WireAnswer, predict

CLIENT_WORDS: dict[ClientKind, str] = {
    "none": "no certificate",
    "trusted": "a certificate from the CA",
    "other-ca": "another CA's certificate",
    "expired": "an expired certificate",
    "no-client-auth-eku": "a certificate without clientAuth",
}


@dataclass(frozen=True)
class SuccessorReport:
    validation: ClientValidation
    state: HostState
    verdict: str
    answers: tuple[tuple[ClientKind, WireAnswer], ...]  # what each kind of client gets (TLS 1.3)
    findings: tuple[Finding, ...]

    @property
    def host(self) -> str:
        return self.validation.host


def successor_report(validation: ClientValidation) -> SuccessorReport:
    answers = tuple((client, predict(validation, client)) for client in CLIENT_KINDS)
    findings = tuple(sort_findings(list(validation.findings)))
    who = validation.implementation
    admitted = [CLIENT_WORDS[c] for c, answer in answers if answer.kind == "admitted" and c != "trusted"]
    if validation.breakage is not None or (any(f.severity is Severity.ERROR for f in findings) and not admitted):
        state: HostState = "broken"
        trusted = dict(answers)["trusted"]
        verdict = f"the {who} configuration is broken: a trusted client gets {trusted}"
    elif admitted:
        state = "not enforced"
        verdict = f"{NOT_ENFORCED} ({who}): {', '.join(admitted)} get in"
    else:
        state = "unverified"
        verdict = f"{who} requires a certificate from its CA (predicted from the objects; not probed)"
    return SuccessorReport(validation, state, verdict, answers, findings)


def observed_answer(result: ProbeResult) -> WireAnswer | None:
    """What the probe saw, in the prediction's terms (None: it never reached the server, or saw
    something no prediction names: a DNS failure, a refused port, the server's certificate)."""
    failure = result.failure
    if failure is None:
        if result.status is None:
            return None
        return (
            WireAnswer("admitted", status=result.status)
            if result.status < 400
            else WireAnswer("http-status", status=result.status)
        )
    if failure.kind == "tls-alert":
        return WireAnswer("tls-alert", alert=failure.alert_number, after_handshake=failure.when != "handshake")
    if failure.kind == "closed":
        return WireAnswer("connection-closed")
    return None
