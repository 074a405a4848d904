"""How Envoy Gateway joins a ClientTrafficPolicy's references into the one CA bundle and the one CRL
it gives Envoy, and what Envoy does with the join.

clienttrafficpolicy.go buildListenerTLSParameters appends each reference's data as it reads it:
the caCertificateRefs as written before v1.7.0 (releases.py EG_CA_REENCODED), the crl.refs as written
in every release (v1.6.0 to v1.9.0: `irCrl.Data = append(irCrl.Data, crlBytes...)`). A value that does
not end in a newline puts its END marker and the next value's BEGIN marker on one line; Envoy's PEM
reader refuses the whole value (pem_checks.glued_junction). Envoy Gateway sends the validation
context as an xDS secret (xds/translator/listener.go buildXdsTLSCaCertSecret); Envoy rejects it
("Failed to load trusted CA certificates from <inline>", "Failed to load CRL from <inline>"), and a
listener whose secret never arrived closes every connection, certificate or not (measured on Envoy
1.40 with the secret served from a file by SDS: tests/test_envoy_gateway_crl_chain.py). An Envoy
that had an earlier version of the secret keeps it until it restarts (xDS keeps the last accepted
config).

A CA that appears twice in the bundle (twice in one value, or in two references) is not refused:
envoyproxy/gateway#8847 reports Envoy rejecting such a bundle ("BoringSSL returns an error on duplicate
X509_STORE add"), but Envoy's default_validator.cc (parseCaCertList / initializeSslContexts, and every
earlier version of that loop read) ignores X509_STORE_add_cert's answer and refuses a bundle only when
PEM_X509_INFO_read_bio fails or finds no certificate; Envoy 1.40 loads it and verifies as with one copy
(measured, static and by SDS: tests/test_field_reports_successors_3.py). Envoy Gateway v1.9.0 drops the
repeats from a ClientTrafficPolicy's bundle (tls.go appendDedupPEMCertsWithSeen, #8909, first in
v1.9.0-rc.1) and keeps them in a Gateway frontend's (backendtlspolicy.go getCaCertsFromCARefs joins the
values with a newline): nothing is said about either.
"""

from __future__ import annotations

from mtls_tui.model import Finding, Severity
from mtls_tui.policy.secret_commands import append_newline_command
from mtls_tui.policy.successors.references import RefOutcome
from mtls_tui.shell import arg

_FIXABLE = ("Secret", "ConfigMap")


def newline_fix(outcome: RefOutcome) -> str:
    """The command that ends the reference's value in a newline (a Secret or ConfigMap), or shows
    the object (a ClusterTrustBundle: its trustBundle is edited by hand)."""
    ref = outcome.ref
    if ref.kind in _FIXABLE and outcome.key:
        return append_newline_command(ref.kind, f"{ref.namespace}/{ref.name}", outcome.key)
    return f"kubectl get clustertrustbundle {arg(ref.name)} -o yaml"


def glued(
    role: str, first: RefOutcome, following: RefOutcome, subject: str, listener: str, release_named: str
) -> Finding:
    """The value of `first` runs into the value of `following` in the bundle Envoy Gateway sends."""
    field, refused = (
        ("crl.refs", "Failed to load CRL from <inline>")
        if role == "CRL"
        else ("caCertificateRefs", "Failed to load trusted CA certificates from <inline>")
    )
    when = (
        "in every release that reads crl (v1.6.0 to v1.9.0)"
        if role == "CRL"
        else f"before v1.7.0 ({release_named}; from v1.7.0 each CA block is written again and ends in a newline)"
    )
    return Finding(
        code="pem-joined-without-newline",
        severity=Severity.ERROR,
        title=f"{first.label} does not end in a newline: Envoy refuses the {role} bundle Envoy Gateway joins, and "
        f"{listener} closes every connection",
        detail=f"Envoy Gateway appends the {field} values as written {when} (clienttrafficpolicy.go "
        f"buildListenerTLSParameters), so the last line of {first.label} and the first of {following.label} become "
        f'one line, END marker then BEGIN marker (envoyproxy/gateway#5369). Envoy rejects the secret ("{refused}"); '
        "the policy still reports Accepted. A listener whose secret never arrived closes every connection, with a "
        "certificate or without (measured on Envoy 1.40 by SDS); a running proxy keeps its previous secret until "
        "it restarts. The command ends the value in a newline.",
        fix=newline_fix(first),
        subject=subject,
        evidence=(f"{first.label} ends without a newline", f"followed by {following.label}"),
    )
