"""Traefik (v3.7.9) and the Secret a router serves TLS with: an IngressRoute's `spec.tls.secretName`,
an Ingress's `spec.tls[].secretName` (docs/successors.md T18).

The providers read the Secret with getCertificateBlocks (pkg/provider/kubernetes/crd/kubernetes.go and
ingress/kubernetes.go): tls.crt and tls.key must be there ("secret NS/NAME is missing the following TLS
data entries") and not empty ("contains the following empty TLS data entries"); a missing Secret is
"secret NS/NAME does not exist". The error is only logged ("Error configuring TLS"): the router is still
built, with its TLS options. pkg/tls/tlsmanager.go UpdateConfigs then parses each certificate
(certificate_store.go parseCertificate: `tls.X509KeyPair`, certs/go_x509.py) and skips one it refuses
("Unable to parse certificate"). The Secret's type is not read. So the router's name has no certificate of
its own: Manager.Get's GetCertificate serves another loaded certificate whose CN or SANs match the name
(GetBestCertificate, matchDomain: the name itself or `*.` for its first label), else the store's default
certificate (a TLSStore named default's defaultCertificate, or Traefik's generated self-signed "TRAEFIK
DEFAULT CERT"), which a client that checks the server refuses; the client-certificate check is the
router's TLS option's, unchanged. With that option's `sniStrict`, no certificate is served and crypto/tls
answers TLS alert 112 (unrecognized_name, errNoCertificates). Measured on Go's crypto/tls configured so
(lab/go/tlsserver.go -unloaded): tests/test_successors_server_secrets.py. No Traefik binary runs here.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from cryptography import x509

from mtls_tui.certs.go_x509 import x509_keypair_refusal
from mtls_tui.model import ClusterSnapshot, Finding, Severity
from mtls_tui.policy.secret_commands import tls_secret_command
from mtls_tui.policy.successors.common import ClientValidation, WireAnswer

_NO_CERTIFICATE = WireAnswer("tls-alert", alert=112)  # crypto/tls errNoCertificates → alertUnrecognizedName


def traefik_secret_refusal(ref: str, snapshot: ClusterSnapshot) -> str | None:
    """Why Traefik loads no certificate from Secret `ns/name`, in its words; None when it loads one, or
    when the Secret was not read (not judged)."""
    secret = snapshot.secret(ref)
    if secret is None:  # only the API server's own "not found" (a Secret not fetched is not judged)
        problem = snapshot.secret_problem(ref)
        return f"secret {ref} does not exist" if problem is not None and problem.status == "not-found" else None
    keys = ("tls.crt", "tls.key")
    missing = [k for k in keys if secret.get(k) is None]
    if missing:
        return f"secret {ref} is missing the following TLS data entries: {', '.join(missing)}"
    empty = [k for k in keys if not secret.get(k)]
    if empty:
        return f"secret {ref} contains the following empty TLS data entries: {', '.join(empty)}"
    refused = x509_keypair_refusal(secret.get("tls.crt") or b"", secret.get("tls.key") or b"")
    return None if refused is None else f"secret {ref}: unable to generate TLS certificate: {refused}"


def _names(ref: str, snapshot: ClusterSnapshot) -> list[str]:
    """parseCertificate's names for a loaded Secret: its CN, DNS names and IP addresses, lowercased."""
    secret = snapshot.secret(ref)
    pem = secret.get("tls.crt") if secret is not None else None
    try:
        cert = x509.load_pem_x509_certificate(pem or b"")
    except ValueError:
        return []
    names = [str(a.value) for a in cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)]
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        sans = None
    if sans is not None:
        names += sans.get_values_for_type(x509.DNSName)
        names += [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)]
    return [n.lower() for n in names]


def _matches(host: str, names: list[str]) -> bool:
    """certificate_store.go matchDomain: the name itself, or the name with its first label as `*`."""
    if host in names:
        return True
    try:
        ipaddress.ip_address(host)
        return False
    except ValueError:
        wildcard = "*." + host.partition(".")[2]
    return any(n.rstrip(".") == wildcard for n in names)


def with_server_secret(
    validation: ClientValidation,
    own: tuple[str, ...],
    loaded: tuple[str, ...],
    sni_strict: bool,
    snapshot: ClusterSnapshot,
) -> ClientValidation:
    """The host's validation with tls-secret-unusable when a Secret its routers name (`own`) loads no
    certificate and no Secret Traefik loads (`loaded`, every router's) serves the name. Not judged while one
    of them was not read (it may serve the name)."""
    refused = [why for ref in own if (why := traefik_secret_refusal(ref, snapshot)) is not None]
    if not refused:
        return validation
    for ref in loaded:
        if traefik_secret_refusal(ref, snapshot) is not None:
            continue
        if snapshot.secret(ref) is None or _matches(validation.host, _names(ref, snapshot)):
            return validation
    if sni_strict:
        then = "the TLS option has sniStrict, so no certificate is served: every client gets TLS alert 112"
    else:
        then = (
            "the handshake serves the store's default certificate (a TLSStore named default's defaultCertificate, "
            "else Traefik's self-signed TRAEFIK DEFAULT CERT), which a client that checks the server refuses; the "
            "client-certificate check is unchanged"
        )
    finding = Finding(
        code="tls-secret-unusable",
        severity=Severity.ERROR,
        title=f"{validation.host}: Traefik loads no certificate from {', '.join(own)}; "
        + ("every handshake is refused" if sni_strict else "clients get its default certificate"),
        detail="getCertificateBlocks (providers kubernetescrd and kubernetes) wants tls.crt and tls.key, not empty, "
        "and pkg/tls/tlsmanager.go UpdateConfigs skips a certificate tls.X509KeyPair refuses; the router is built "
        f"all the same, and no other loaded certificate names {validation.host}: {then}. The command writes the "
        "Secret again, type kubernetes.io/tls, from server.crt and server.key.",
        fix=tls_secret_command(own[0]),
        subject=validation.host,
        evidence=tuple(refused),
    )
    if sni_strict:
        return replace(
            validation,
            findings=(finding, *validation.findings),
            breakage="listener-refused",
            refused_answer=_NO_CERTIFICATE,
        )
    return replace(validation, findings=(finding, *validation.findings))
