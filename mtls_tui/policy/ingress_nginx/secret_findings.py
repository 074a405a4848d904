"""What the host's Secrets do to it: the TLS or auth-tls Secret missing, not readable here, refused
by the API server or by the controller, without ca.crt, or holding a CA's private key; and the
commands that repair them. Separate from controller_secrets.py, the lookup: these are findings
about a Secret once the host it serves is known.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Literal

from cryptography import x509

from mtls_tui.certs.content_cache import CACHED_BYTES, content_cache
from mtls_tui.certs.go_pem import go_pem_blocks
from mtls_tui.certs.go_x509 import NEGATIVE_SERIAL
from mtls_tui.model import ClusterSnapshot, Finding, IngressObj, SecretObj, Severity
from mtls_tui.policy.ingress_nginx.annotations import PREFIX
from mtls_tui.policy.ingress_nginx.auth_tls import ParsedAuthTls
from mtls_tui.policy.ingress_nginx.controller_secrets import SECRET_REF
from mtls_tui.policy.ingress_nginx.ingress_findings import annotate, ingress_finding
from mtls_tui.policy.secret_commands import (
    SECRET_KEY_FILES,
    add_ca_command,
    ca_only_command,
    read_key_command,
    resigned_ca_command,
    secret_update_command,
    tls_secret_command,
)
from mtls_tui.policy.secret_store import CONTENT_CACHE, ca_keypair, ca_refusal
from mtls_tui.shell import arg, pipefail

SecretRole = Literal["TLS", "auth-tls"]  # what a host uses a Secret for: its certificate, or the client checks


def not_in_manifests(ref: str, ingress: IngressObj) -> Finding:
    namespace, _, name = ref.partition("/")
    return ingress_finding(
        code="secret-not-in-manifests",
        severity=Severity.WARNING,
        title=f"not checked: the auth-tls Secret {ref} is not among the files",
        detail="Its ca.crt decides who gets in, and it was not read. If the cluster lacks it too, the controller logs "
        f"'local SSL certificate {ref} was not found' and every path of the host answers 403; without a ca.crt "
        "key, mTLS is quietly off.",
        fix=f"kubectl get secret {arg(name)} -n {arg(namespace)} -o yaml > {arg(name + '-secret.yaml')}  # then add it to --manifests",
        ingress=ingress,
    )


def denied_secret_findings(
    host: str, ingress: IngressObj, parsed: ParsedAuthTls, snapshot: ClusterSnapshot
) -> list[Finding]:
    """The auth-tls Secret exists but the controller refuses it (or it is missing: `secret_access` says so)."""
    ref = ingress.annotation(PREFIX + "auth-tls-secret") or ""
    secret = snapshot.secret(ref)
    stored = parsed.stored
    if secret is None or stored is None or stored.error is None:
        return []
    if "contains no keypair or CA certificate" in stored.error:
        return [missing_ca(host, secret, ingress, snapshot)]
    crl_error = "CRL" in stored.error or stored.error.startswith("its first")
    if crl_error and ca_refusal(secret.get("ca.crt") or b"") is None:
        return []  # ca.crl's own error: crl-invalid (diagnose/revocation.py) names it
    ca = secret.get("ca.crt") or b""
    mistake = ca_mistake(ca) if ca and ca_refusal(ca) else None
    why = f"{MISTAKE_WORDS[mistake]}. " if mistake else ""
    return [
        ingress_finding(
            code="secret-unusable",
            severity=Severity.ERROR,
            title=f"the controller refuses the auth-tls Secret {ref}: {host} answers 403",
            detail=f"store/backend_ssl.go getPemCertificate: {stored.error}. {why}ca.crt must hold PEM CERTIFICATE blocks "
            "only (no DER, no base64 of them, no private key), and a tls.crt/tls.key beside it must be a matching pair. "
            "The Secret is unusable, so the Ingress's auth-tls is denied and every path of the host answers 403.",
            fix=unusable_fix(secret),
            ingress=ingress,
            evidence=(stored.error, MISTAKE_WORDS[mistake]) if mistake else (stored.error,),
        )
    ]


def unusable_fix(secret: SecretObj) -> str:
    """Repairs what the controller refused, from the Secret's own bytes where they are the
    problem: a DER ca.crt converted to PEM, base64 text decoded, damaged PEM text set right and
    cut to its certificates (a key in it left out)."""
    ca = secret.get("ca.crt")
    refused = ca_refusal(ca) if ca else None
    if ca and refused == NEGATIVE_SERIAL:
        return _negative_serial_fix(secret.ref, ca)
    if ca and refused and ca_mistake(ca) == "blank":
        return add_ca_command(secret.ref)  # nothing to recover: the CA from the user's own file
    # written beside, never over a ca.crt of the user's (the folder may hold the CA's own files)
    out = f"{secret.name}-ca.crt"
    repair = _ca_repair(ca, arg(out)) if ca and refused else None
    if repair is None:
        return secret_update_command(secret.ref)
    read = read_key_command(secret.ref, "ca.crt")
    return (  # never an empty ca.crt
        f"{pipefail(f'{read} | {repair}')} && test -s {arg(out)} && {add_ca_command(secret.ref, out)}"
    )


# Every certificate block of the text, whatever was done to its lines, as Go's pem.Decode and nginx
# read it: literal \n made newlines, each BEGIN and END marker on a line of its own, runs of spaces,
# tabs and CRs (a YAML `>` fold, an indent, CRLF) made line breaks (base64 holds none), then only the
# lines from a BEGIN CERTIFICATE line to its END line kept, empty ones dropped (a BOM or text before
# or after a marker ends up outside). Measured on mawk here (tests/test_secret_encodings.py).
_RELINE = (
    'awk \'{ gsub(/\\\\n/, "\\n"); gsub(/-----BEGIN CERTIFICATE-----/, "\\n@B@\\n"); '
    'gsub(/-----END CERTIFICATE-----/, "\\n@E@\\n"); gsub(/[ \\t\\r]+/, "\\n"); '
    'gsub(/@B@/, "-----BEGIN CERTIFICATE-----"); gsub(/@E@/, "-----END CERTIFICATE-----"); print }\' | '
    "sed -n -e '/^$/d' -e '/^-----BEGIN CERTIFICATE-----$/,/^-----END CERTIFICATE-----$/p' > "
)
_UNBASE64 = "tr -d '\\r\\n \\t' | openssl base64 -d -A"  # one long line or wrapped: both decode


def _ca_repair(ca: bytes, out: str) -> str | None:
    """The command that turns the refused ca.crt into PEM the controller takes, read on stdin,
    written to `out` (a shell word); None when none is known to."""
    mistake = ca_mistake(ca)
    if mistake == "base64-pem":
        return f"{_UNBASE64} > {out}"
    if mistake == "base64-der":
        return f"{_UNBASE64} | openssl x509 -inform DER -out {out}"
    if mistake == "der":
        return f"openssl x509 -inform DER -out {out}"
    if mistake == "trusted":
        return f"openssl x509 -out {out}"  # reads the TRUSTED CERTIFICATE, writes a plain CERTIFICATE
    if b"-----BEGIN CERTIFICATE-----" in ca:
        return _RELINE + out
    return None


CaMistake = Literal[
    "base64-pem",
    "base64-der",
    "der",
    "trusted",
    "bom",
    "folded",
    "escaped-newlines",
    "indented",
    "marker-line",
    "blank",
]
MISTAKE_WORDS: dict[CaMistake, str] = {
    "base64-pem": "ca.crt holds base64 text of the PEM, not the PEM: it was base64-encoded twice (under data:), or "
    "base64 was put under stringData:, which the API server stores as it is",
    "base64-der": "ca.crt holds base64 text of a DER certificate, not PEM: base64 put under stringData:, or encoded twice",
    "der": "ca.crt is a DER (binary) certificate, not PEM",
    "trusted": "ca.crt is a TRUSTED CERTIFICATE (openssl x509 -trustout): Go's x509.ParseCertificate refuses the trust "
    "settings after the certificate (x509: trailing data)",
    "bom": "ca.crt starts with a UTF-8 byte order mark: Go's pem.Decode finds a BEGIN line only at the start of a line",
    "folded": "ca.crt's PEM is on one line, its line breaks made spaces (a YAML > block folds them)",
    "escaped-newlines": "ca.crt's PEM is on one line with literal \\n for its line breaks",
    "indented": "ca.crt's BEGIN or END line is indented: Go's pem.Decode needs each at the start of its line",
    "marker-line": "a BEGIN or END line of ca.crt has text beside it: Go's pem.Decode needs each alone on its line",
    "blank": "ca.crt holds only spaces and line breaks",
}


def ca_mistake(ca: bytes) -> CaMistake | None:
    """How a refused ca.crt's bytes went wrong, when it is one of the known ways (measured on Go's
    pem.Decode with tests/data/go/ca_check.go: each of them hides every block, or, for TRUSTED
    CERTIFICATE, fails x509.ParseCertificate)."""
    if not ca.strip():
        return "blank"
    if (decoded := _base64_text(ca)) is not None:
        if ca_refusal(decoded) is None:
            return "base64-pem"
        return "base64-der" if _der_certificate(decoded) else None
    if b"-----BEGIN" not in ca:
        return "der" if _der_certificate(ca) else None
    if b"-----BEGIN TRUSTED CERTIFICATE-----" in ca:
        return "trusted"
    if ca.startswith(b"\xef\xbb\xbf"):
        return "bom"
    if b"\n" not in ca.strip():
        return "escaped-newlines" if b"\\n" in ca else "folded"
    marker_lines = [line for line in ca.splitlines() if b"-----BEGIN" in line or b"-----END" in line]
    if any(line[:1] in (b" ", b"\t") for line in marker_lines):
        return "indented"
    if any(not line.rstrip().startswith(b"-----") or not line.rstrip().endswith(b"-----") for line in marker_lines):
        return "marker-line"
    return None


def _base64_text(ca: bytes) -> bytes | None:
    try:
        decoded = base64.b64decode(ca.translate(None, b" \t\r\n"), validate=True)
    except (binascii.Error, ValueError):
        return None
    return decoded or None


def _der_certificate(data: bytes) -> bool:
    try:
        x509.load_der_x509_certificate(data)
    except (ValueError, x509.InvalidVersion):
        return False
    return True


def _negative_serial_fix(ref: str, ca: bytes) -> str:
    """Only a lone CA is signed again from the Secret: `openssl x509` reads the first certificate
    of a bundle, and writing it back would drop the others (which to re-sign is then the user's call)."""
    certificates = x509.load_pem_x509_certificates(ca)
    if len(certificates) != 1:
        return ""
    (cert,) = certificates
    return resigned_ca_command(ref, max(1, (cert.not_valid_after_utc - cert.not_valid_before_utc).days))


def _keypair(secret: SecretObj) -> bool:
    return bool(secret.get("tls.crt") and secret.get("tls.key"))


def missing_ca(
    host: str, secret: SecretObj, ingress: IngressObj, snapshot: ClusterSnapshot, refused_all: bool = False
) -> Finding:
    """ingress-nginx keeps a Secret that holds a keypair even without ca.crt; the server
    then gets no CA file and the template renders no client checks: mTLS is off, quietly
    (unless auth-tls-match-cn then refuses everyone: `refused_all`). With neither, it
    refuses the Secret and the host answers 403."""
    misnamed = ca_under_another_key(secret)
    fix = add_ca_command(secret.ref, from_key=misnamed)
    held = ", ".join(secret.keys) or "no keys"
    # `len(ca) > 0` in getPemCertificate: a ca.crt key of zero bytes is read as none
    lacks = "an empty ca.crt (zero bytes)" if secret.get("ca.crt") == b"" else "no ca.crt key"
    if misnamed:
        held += f" (the CA is under {misnamed}; the controller reads only the exact key ca.crt)"
    if (ca_subject := unserved_ca_keypair(secret, snapshot)) is not None:
        held += (
            f" (tls.crt is the CA {ca_subject} and tls.key its private key: the Secret was made with kubectl create "
            "secret tls from the CA's files; the CA belongs in ca.crt alone, and its key off the cluster)"
        )
        fix = ca_only_command(secret.ref, "tls.crt")
    if _keypair(secret):
        return ingress_finding(
            code="secret-missing-ca",
            severity=Severity.ERROR,
            title=f"Secret {secret.ref} has {lacks}: the controller turns mTLS off for {host}",
            detail=f"It holds {held}. ingress-nginx keeps the Secret as a keypair, configures no client-certificate check "
            "for this host, and says so only at log level -v=3 (\"Secret has no 'ca.crt' key, mutual authentication "
            'disabled"): '
            + (
                "no certificate is asked, so its auth-tls-match-cn check refuses every request."
                if refused_all
                else "requests without a certificate get through."
            ),
            fix=fix,
            ingress=ingress,
            evidence=(f"keys: {held}",),
        )
    return ingress_finding(
        code="secret-missing-ca",
        severity=Severity.ERROR,
        title=f"Secret {secret.ref} has {lacks}",
        detail=f"It holds {held}: no keypair and no CA. The controller logs 'error obtaining certificate: secret ... contains "
        "no keypair or CA certificate', and every path of the host answers 403.",
        fix=fix,
        ingress=ingress,
        evidence=(f"keys: {held}",),
    )


def unserved_ca_keypair(secret: SecretObj, snapshot: ClusterSnapshot) -> str | None:
    """secret_store.ca_keypair, unless an Ingress serves TLS from the Secret: then its keypair is a
    server's, whatever its certificate says, and making it a ca.crt-only Secret would break that."""
    subject = ca_keypair(secret)  # first: rare, and cached; the scan below is over every Ingress
    serves = subject is not None and any(
        t.secret_name == secret.name for i in snapshot.ingresses if i.namespace == secret.namespace for t in i.tls
    )
    return None if serves else subject


def ca_key_in_secret(secret: SecretObj, subject: str) -> Finding | None:
    """A Secret that holds a CA certificate as tls.crt with the CA's key in tls.key (made with
    `kubectl create secret tls` from the CA's files), or None. As an auth-tls Secret with ca.crt
    it works (the CA file is tls.crt then ca.crt, ssl.ConfigureCACertWithCertAndKey); without
    ca.crt, secret-missing-ca says what breaks."""
    ca_subject = ca_keypair(secret)
    if ca_subject is None:
        return None
    return Finding(
        code="ca-key-in-secret",
        severity=Severity.WARNING,
        title=f"Secret {secret.ref} holds the private key of the CA {ca_subject}",
        detail=f"Its tls.crt is the CA {ca_subject} (basicConstraints CA:TRUE) and tls.key is that CA's key. The "
        "controller needs only the CA certificate, under ca.crt; the key lets whoever can read Secrets in "
        f"{secret.namespace} issue client certificates the hosts that trust this CA accept. Keep ca.crt alone in "
        "the Secret, and the CA's key off the cluster.",
        fix=ca_only_command(secret.ref, "ca.crt" if secret.get("ca.crt") else "tls.crt"),
        subject=subject,
        evidence=(f"tls.crt: {ca_subject}, CA:TRUE", "tls.key: its private key"),
    )


def ca_under_another_key(secret: SecretObj) -> str | None:
    """A key that holds the CA under a name the controller does not read (CA.crt, ca.pem, tls.ca…)."""
    for key, value in secret.data:
        if key == "ca.crt" or key in ("tls.crt", "tls.key"):
            continue
        if "ca" in key.lower() and b"-----BEGIN CERTIFICATE-----" in value:
            return key
    return None


def _refused_secret(secret: SecretObj, role: SecretRole, ingress: IngressObj) -> Finding:
    """A Secret of the files that the API server refuses (policy/api_validation.py): it is never
    stored, so the controller meets a missing Secret. Most often a kubernetes.io/tls Secret that
    holds only ca.crt (ValidateSecret: that type needs tls.crt and tls.key)."""
    consequence = (
        "the host gets the controller's fake certificate"
        if role == "TLS"
        else "the controller logs 'local SSL certificate was not found', and every path of the host answers 403"
    )
    ca_only_tls = secret.type == "kubernetes.io/tls" and role == "auth-tls"
    # a key with no file of the seed's could only be copied from the cluster, where this Secret never is:
    # a command writing the others would drop it (none left: an empty Secret), so none is printed
    unwritten = [k for k in secret.keys if k not in SECRET_KEY_FILES] if role != "TLS" else []
    written = tls_secret_command(secret.ref) if role == "TLS" else secret_update_command(secret.ref, keys=secret.keys)
    why_none = (
        f" No command is printed: its keys {', '.join(json.dumps(k) for k in unwritten)} have no local file to "
        "write them from, and the Secret is not in the cluster to copy them from; write it again with key "
        "names the API server accepts (letters, digits, '-', '_', '.')."
        if unwritten
        else ""
    )
    return ingress_finding(
        code="secret-refused-by-api",
        severity=Severity.ERROR,
        title=f"the API server refuses the {role} Secret {secret.ref} as written: kubectl apply fails, so it never exists",
        detail="Kubernetes validates every Secret it stores (pkg/apis/core/validation/validation.go ValidateSecret"
        + (
            "; type kubernetes.io/tls needs both tls.crt and tls.key, so a CA-only Secret must be of type Opaque, "
            "as `kubectl create secret generic` makes it"
            if ca_only_tls
            else ""
        )
        + f"). The controller then finds no such Secret: {consequence}.{why_none}",
        fix="" if unwritten else written,
        ingress=ingress,
        evidence=secret.refused,
    )


def secret_access(ref: str, role: SecretRole, ingress: IngressObj, snapshot: ClusterSnapshot) -> list[Finding]:
    namespace, _, name = ref.partition("/")
    if role == "auth-tls" and SECRET_REF.fullmatch(ref) is None:
        meant = f"{namespace.strip() or ingress.namespace}/{name.strip()}"
        return [
            ingress_finding(
                code="annotation-secret-format",
                severity=Severity.ERROR,
                title=f"auth-tls-secret '{ref}' names no Secret that can exist: the host answers 403",
                detail="k8s.ParseNameNS accepts it and the empty namespace check passes, but the controller then looks "
                "the Secret up by the value as written (store.GetAuthCertificate), and no Secret has that key: "
                "'local SSL certificate … was not found', a location denial, and `return 403;` for the host.",
                fix=annotate(ingress, "auth-tls-secret", meant),
                ingress=ingress,
                evidence=(f"{PREFIX}auth-tls-secret: {ref}",),
            )
        ]
    refused = snapshot.refused_secret(ref)
    if refused is not None:
        return [_refused_secret(refused, role, ingress)]
    problem = snapshot.secret_problem(ref)
    if problem and problem.status == "forbidden":
        return [
            ingress_finding(
                code="secret-forbidden",
                severity=Severity.WARNING,
                title=f"not allowed to read the {role} Secret {ref}",
                detail=f"Our credentials lack 'get secrets' in namespace {namespace} ({problem.message}); the controller "
                "has its own permissions, so this does not break mTLS, but the certificates cannot be checked.",
                fix=f"kubectl auth can-i get secrets -n {arg(namespace)}  # ask for get on secrets, or run check --manifests with the Secret",
                ingress=ingress,
                evidence=(problem.message,),
            )
        ]
    if (problem and problem.status == "not-found") or (snapshot.secret(ref) is None and snapshot.complete):
        consequence = (
            "the host gets the controller's fake certificate"
            if role == "TLS"
            else "the controller logs 'local SSL certificate was not found', and every path of the host answers 403"
        )
        return [
            ingress_finding(
                code="secret-not-found",
                severity=Severity.ERROR,
                title=f"the {role} Secret {ref} does not exist",
                detail=f"The Ingress refers to it but there is no Secret {name} in namespace {namespace}: {consequence}.",
                fix=secret_update_command(ref),
                ingress=ingress,
                evidence=(problem.message if problem else f'secrets "{name}" not found',),
            )
        ]
    return []


def leaf_only_ca(host: str, secret: SecretObj, ingress: IngressObj, ca_file: bytes) -> Finding | None:
    """ca.crt holds end-entity certificates only, none self-signed (the server's certificate, or a
    client's own, taken for "the CA"): CheckCACert parses any certificate (no CA flag asked), so the
    controller keeps it, but nginx then verifies no client. Measured (tests/test_secret_encodings.py,
    the real nginx with ssl_verify_depth 1): a client of the certificate's issuer and the certificate
    itself both get 400, '21:unable to verify the first certificate' (OpenSSL needs a self-signed
    anchor; nginx sets no X509_V_FLAG_PARTIAL_CHAIN). A self-signed one pins that client: it gets in."""
    found = end_entities_only(ca_file)
    if found is None:
        return None
    leaves = ", ".join(dict.fromkeys(subject for subject, _ in found))
    issuers = ", ".join(dict.fromkeys(issuer for _, issuer in found))
    return ingress_finding(
        code="secret-ca-not-ca",
        severity=Severity.ERROR,
        title=f"the auth-tls Secret {secret.ref} trusts {leaves}, not a CA: {host} lets no client certificate in",
        detail=f"nginx's ssl_client_certificate file holds only end-entity certificates ({leaves}), none "
        "self-signed and none a CA: a server's certificate, or a client's own, put where the issuing CA belongs. "
        "The controller keeps it (CheckCACert asks for no CA flag), and nginx refuses every client with "
        f"'21:unable to verify the first certificate' (400), those of {issuers} and the certificate itself too.",
        fix=add_ca_command(secret.ref) + f"  # ca.crt: the certificate of {issuers}, the CA that issues the clients",
        ingress=ingress,
        evidence=tuple(f"{subject}: not a CA, issued by {issuer}" for subject, issuer in found),
    )


@content_cache(CONTENT_CACHE, CACHED_BYTES)
def end_entities_only(ca_file: bytes) -> tuple[tuple[str, str], ...] | None:
    """(subject, issuer) of each certificate in the file when none is a CA or self-signed; None
    otherwise. Kept by content: on a platform's estate thousands of hosts share a few CA files."""
    certs = []
    for _, der in go_pem_blocks(ca_file):
        try:
            certs.append(x509.load_der_x509_certificate(der))
        except (ValueError, x509.InvalidVersion):
            continue
    if not certs or any(_ca_or_self_signed(c) for c in certs):
        return None
    return tuple((c.subject.rfc4514_string(), c.issuer.rfc4514_string()) for c in certs)


def _ca_or_self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer == cert.subject:
        return True
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except (x509.ExtensionNotFound, ValueError):
        return False
