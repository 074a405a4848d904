"""NGINX Gateway Fabric (v2.6.7) and the Secrets a listener serves TLS with (tls.certificateRefs).

internal/controller/state/resolver/secrets.go secretEntry.validate: a Secret of type kubernetes.io/tls is
checked with graph/shared/secrets/secrets.go ValidateTLS (`tls.X509KeyPair(tls.crt, tls.key)`, error
"tls secret is invalid: ..."; certs/go_x509.py), then, when it holds a ca.crt, ValidateCA on it (the
same check as a frontend CA: pem_checks.ngf_ca_problem); any other type is "unsupported secret type".
graph/gateway_listener.go then records `tls.certificateRefs[i]: Invalid value: "ns/name": <error>`;
with every reference refused the listener is invalid (conditions.go NewListenerAllInvalidCertificateRefs:
Accepted=False and ResolvedRefs=False InvalidCertificateRef, Programmed=False Invalid) and
dataplane/configuration.go buildServers renders no server for it. What the client then gets is
gateway_api._ngf_refused_answer's: no other server on the port, nothing listens; another valid HTTPS
listener there, nginx's default ssl server (servers_template.go `ssl_reject_handshake on`) answers the
name with TLS alert 112 (measured on the Debian nginx: tests/test_server_secret_refused.py).
"""

from __future__ import annotations

from mtls_tui.certs.go_x509 import x509_keypair_refusal
from mtls_tui.model import ClusterSnapshot, Finding, SecretObj, Severity
from mtls_tui.policy.secret_commands import tls_secret_command
from mtls_tui.policy.successors.pem_checks import ngf_ca_problem
from mtls_tui.policy.successors.references import every_ref_refused

TLS_TYPE = "kubernetes.io/tls"


def ngf_secret_problem(secret: SecretObj) -> str | None:
    """secretEntry.validate's error for a listener's certificate Secret, None when it is served."""
    if secret.type != TLS_TYPE:
        return f'unsupported secret type "{secret.type}"'
    refused = x509_keypair_refusal(secret.get("tls.crt") or b"", secret.get("tls.key") or b"")
    if refused is not None:
        return f"tls secret is invalid: {refused}"
    ca = secret.get("ca.crt")
    return None if ca is None else ngf_ca_problem(ca)


def refused_certificates(refs: tuple[str, ...], snapshot: ClusterSnapshot) -> list[str]:
    """The listener's `tls.certificateRefs[i]: Invalid value: ...` messages when every reference is a
    Secret read here that NGF refuses; [] when one is served, or one was not read (not judged here)."""

    def problem_of(ref: str) -> str | None:
        secret = snapshot.secret(ref)
        return ngf_secret_problem(secret) if secret is not None else None

    return every_ref_refused(
        refs, problem_of, lambda index, ref, problem: f'tls.certificateRefs[{index}]: Invalid value: "{ref}": {problem}'
    )


def server_secret_finding(listener: str, first_ref: str, messages: list[str], answer: str) -> Finding:
    """`listener`: "Gateway ns/name listener NAME"; `answer`: what a client of it gets."""
    return Finding(
        code="tls-secret-unusable",
        severity=Severity.ERROR,
        title=f"{listener}: NGINX Gateway Fabric refuses its certificate Secret; the listener is not programmed",
        detail="resolver/secrets.go validates each tls.certificateRefs Secret (ValidateTLS: tls.X509KeyPair on "
        "tls.crt and tls.key; then ValidateCA on a ca.crt it holds). With none usable the listener reports "
        "Accepted=False and ResolvedRefs=False InvalidCertificateRef, Programmed=False, and nginx gets no server "
        f"for it: {answer}, with a client certificate or without. The command writes the Secret again, type "
        "kubernetes.io/tls, from server.crt and server.key.",
        fix=tls_secret_command(first_ref),
        subject=listener,
        evidence=tuple(messages),
    )
