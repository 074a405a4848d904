"""Ingresses for one host that set mTLS differently: the first whose Secret gives a CA file decides
for the whole server, another's settings (pass-certificate-to-upstream included) are ignored,
and the paths of an Ingress without auth-tls require certificates too; the fix keeps one source
of truth.
"""

from __future__ import annotations

import json
from typing import Any

from mtls_tui.model import Finding, IngressObj, Severity
from mtls_tui.policy.ingress_nginx.annotations import PREFIX
from mtls_tui.policy.ingress_nginx.auth_tls import ParsedAuthTls
from mtls_tui.policy.ingress_nginx.auth_tls_values import VALIDATED
from mtls_tui.policy.ingress_nginx.ingress_findings import annotate, ingress_finding, ingress_words
from mtls_tui.policy.ingress_nginx.match_cn_gate import acme_solver
from mtls_tui.policy.kube_objects import config_bool
from mtls_tui.policy.secret_commands import add_ca_command, read_key_command


def conflicts(
    host: str, winner: IngressObj, served: list[IngressObj], parsed: dict[str, ParsedAuthTls]
) -> list[Finding]:
    findings = []
    mine = parsed[winner.ref].policy_fields
    for other in served:
        if other.ref == winner.ref:
            continue
        theirs = parsed[other.ref].policy_fields
        ignored_pass = bool(theirs.get("pass_certificate")) and not mine.get("pass_certificate")
        if ignored_pass:
            findings.append(_pass_certificate_ignored(host, winner, other))
        if theirs and theirs != mine and (not ignored_pass or _differs_beyond_pass(mine, theirs)):
            changes_who = any(
                theirs.get(k) != mine.get(k) for k in ("secret", "verify_client", "verify_depth", "match_cn")
            )
            findings.append(
                ingress_finding(
                    code="mtls-host-conflict",
                    severity=Severity.ERROR if changes_who else Severity.WARNING,
                    title=f"{other.ref} sets different mTLS for {host}; {winner.ref} wins",
                    detail="mTLS is configured per host (nginx server), and the first Ingress (oldest; on a tie, the greater "
                    "namespace/name) whose Secret gives a CA wins; the "
                    f"controller logs 'Server \"{host}\" is already configured for mutual authentication'."
                    + (
                        " These objects carry no creation time (manifest files): in the cluster the older one wins, "
                        "which the files cannot tell; here the tie-break decides."
                        if not winner.created
                        else ""
                    ),
                    fix=_conflict_fix(other, mine, theirs),
                    ingress=other,
                    evidence=(
                        f"wins: {winner.ref}: {_as_annotations(mine)}",
                        f"ignored: {other.ref}: {_as_annotations(theirs)}",
                    ),
                )
            )
        elif not theirs and not acme_solver(other, host):  # the solver answers over HTTP: no certificate there
            findings.append(
                ingress_finding(
                    code="mtls-host-conflict",
                    severity=Severity.WARNING,
                    title=f"{other.ref} has no auth-tls annotations, but its paths on {host} require client certificates too",
                    detail=f"mTLS is per host, not per path: {winner.ref} turns it on for every location of {host}.",
                    fix=f"kubectl get ingress {ingress_words(other)} -o jsonpath='{{.spec.rules[*].http.paths[*].path}}'"
                    "  # these paths need a client certificate too: move those that must stay open to another host name",
                    ingress=other,
                )
            )
    return findings


def _differs_beyond_pass(mine: dict[str, Any], theirs: dict[str, Any]) -> bool:
    return any(theirs.get(k) != mine.get(k) for k in set(mine) | set(theirs) if k != "pass_certificate")


def _pass_certificate_ignored(host: str, winner: IngressObj, other: IngressObj) -> Finding:
    """PassCertToUpstream is part of the server's CertificateAuth, which controller.go createServers
    copies from the first Ingress of the host with a CA file (`if server.CertificateAuth.CAFileName ==
    ""`); nginx.tmpl then renders `proxy_set_header ssl-client-cert` in every location of the server
    from `$server.CertificateAuth.PassCertToUpstream`. Another Ingress's `true` is never read
    (kubernetes/ingress-nginx issue 4911: "the value to use is extracted from the ingress where the
    certificate authentication is defined")."""
    return ingress_finding(
        code="pass-certificate-ignored",
        severity=Severity.WARNING,
        title=f"auth-tls-pass-certificate-to-upstream of {other.ref} is ignored: {winner.ref} sets the client "
        f"certificate checks of {host} without it, so no upstream of the host gets ssl-client-cert",
        detail="The header is rendered per server, not per Ingress: createServers takes the whole CertificateAuth "
        "(PassCertToUpstream included) from the first Ingress of the host whose Secret gives a CA, and nginx.tmpl "
        "adds `proxy_set_header ssl-client-cert $ssl_client_escaped_cert` to every location of the server only when "
        "that one says true. The other Ingress's value is not read.",
        fix=annotate(winner, "auth-tls-pass-certificate-to-upstream", "true"),
        then="every path of the host then sends ssl-client-cert to its upstream, those of the other Ingresses too",
        ingress=other,
        evidence=(
            f"decides: {winner.ref}: auth-tls-pass-certificate-to-upstream "
            f"{winner.annotation(PREFIX + 'auth-tls-pass-certificate-to-upstream') or '(not set: false)'}",
            f"ignored: {other.ref}: auth-tls-pass-certificate-to-upstream "
            f"{other.annotation(PREFIX + 'auth-tls-pass-certificate-to-upstream')}",
        ),
    )


def _as_annotations(fields: dict[str, Any]) -> str:
    """An Ingress's parsed auth-tls settings as its annotations say them (`auth-tls-verify-depth: "1"`)."""
    names = {field: name for name, (field, *_) in VALIDATED.items()} | {
        "secret": "auth-tls-secret",
        "verify_client": "auth-tls-verify-client",
        "verify_depth": "auth-tls-verify-depth",
    }
    return ", ".join(
        f"{names.get(field, field)}: {config_bool(value) if isinstance(value, bool) else json.dumps(str(value))}"
        for field, value in fields.items()
    )


def _conflict_fix(other: IngressObj, mine: dict[str, Any], theirs: dict[str, Any]) -> str:
    """One source of truth for the host. When the ignored Ingress names another CA, its clients
    keep working only if the winning Secret's ca.crt holds both CAs: bundle them first."""
    drop = (
        f"kubectl annotate ingress {ingress_words(other)} {other.prefix}auth-tls-secret- "
        f"{other.prefix}auth-tls-verify-client- {other.prefix}auth-tls-verify-depth-"
    )
    if theirs.get("secret") == mine.get("secret"):
        return drop + "  # keep one source of truth"
    bundle = (
        f"{read_key_command(mine['secret'], 'ca.crt')} > ca-bundle.crt && echo >> ca-bundle.crt && "
        f"{read_key_command(theirs['secret'], 'ca.crt')} >> ca-bundle.crt"
        f" && {add_ca_command(mine['secret'], 'ca-bundle.crt')}"
    )
    return f"{bundle} && {drop}  # both CAs in the winning Secret, then one source of truth"
