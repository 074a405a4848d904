"""The auth-tls Secret that is also the controller's --default-ssl-certificate.

ingress-nginx writes one file per Secret, `<ns>-<name>.pem`, and for a keypair Secret with
ca.crt that file is both the server's PEM and the CA file `ssl_client_certificate` names. For
the default certificate the store writes that path a second time, with tls.crt and tls.key only
(policy/secret_store.py `ca_overwritten`, kubernetes/ingress-nginx#8901): ca.crt is gone, and the
clients it issued are refused while the Secret looks right to anyone who reads it.
"""

from __future__ import annotations

from mtls_tui.model import Finding, SecretObj, Severity
from mtls_tui.policy.ingress_nginx.host_policy import HostPolicy
from mtls_tui.policy.ingress_nginx.ingress_findings import ingress_words
from mtls_tui.policy.secret_commands import ca_copy_command
from mtls_tui.policy.secret_store import ca_overwritten
from mtls_tui.shell import arg

OVERWRITTEN_THEN = (
    "the fix of auth-tls-secret-is-default-certificate gives nginx ca.crt; this certificate then verifies"
)


def default_certificate(policy: HostPolicy) -> str | None:
    """`namespace/name` of the controller's --default-ssl-certificate, None without one."""
    return policy.controller.default_certificate if policy.controller else None


def default_certificate_ca_findings(policy: HostPolicy, secret: SecretObj) -> list[Finding]:
    """An error when the host's auth-tls Secret is the default certificate, with the fix: its ca.crt
    copied into a Secret of its own, and the Ingress's auth-tls-secret pointed there."""
    if not ca_overwritten(secret, default_certificate(policy)):
        return []
    copy = f"{secret.name}-ca"
    namespace = secret.namespace
    fix = ca_copy_command(secret.ref, copy)
    ingress = policy.mtls_from
    if ingress is not None:
        value = f"{ingress.prefix}auth-tls-secret={namespace}/{copy}"
        fix += f" && kubectl annotate ingress {ingress_words(ingress)} {arg(value)} --overwrite"
    return [
        Finding(
            code="auth-tls-secret-is-default-certificate",
            severity=Severity.ERROR,
            title=f"the auth-tls Secret {secret.ref} is the controller's --default-ssl-certificate: nginx checks "
            f"clients of {policy.host} against its tls.crt, not its ca.crt",
            detail="store/backend_ssl.go getPemCertificate writes tls.crt, tls.key and ca.crt into one file, the "
            "CA file ssl_client_certificate names; for the --default-ssl-certificate Secret it then writes that "
            "same file again with tls.crt and tls.key only (StoreSSLCertOnDisk). The clients ca.crt issued are "
            "refused (400 'The SSL certificate error'). A Secret holding ca.crt alone keeps it.",
            fix=fix,
            subject=f"Secret {secret.ref}",
            evidence=(f"--default-ssl-certificate={secret.ref}", f"auth-tls-secret: {secret.ref}"),
        )
    ]
