"""How the controller finds a Secret an annotation names and where it writes it:
store.GetAuthCertificate, whether the Secret could be read here at all, and the files
ssl_client_certificate and ssl_crl name. Separate because the auth-tls parse, the location
denials and the certificate selection all look Secrets up this way.
"""

from __future__ import annotations

import re

from mtls_tui.model import ClusterSnapshot
from mtls_tui.policy.secret_store import StoredSecret, stored_secret

SSL_DIR = "/etc/ingress-controller/ssl"


def auth_certificate(ref: str, snapshot: ClusterSnapshot) -> tuple[StoredSecret | None, bool, str | None]:
    """`store.GetAuthCertificate`: (what the controller keeps, whether we could not see the
    Secret, the denial when the controller cannot use it)."""
    secret = snapshot.secret(ref)
    if secret is None:
        if secret_unread(snapshot, ref):
            return None, True, None
        return None, False, f"error obtaining certificate: local SSL certificate {ref} was not found"
    stored = stored_secret(secret)
    if stored.error:
        return stored, False, f"error obtaining certificate: {stored.error}"
    return stored, False, None


def secret_path(ref: str, keypair: bool = True) -> str:
    """The file `ssl_client_certificate` names: with a keypair the controller writes
    tls.crt, tls.key and ca.crt into one `NS-NAME.pem` (ConfigureCACertWithCertAndKey);
    a CA alone goes to `ca-NS-NAME.pem` (ConfigureCACert)."""
    namespace, _, name = ref.partition("/")
    return f"{SSL_DIR}/{namespace}-{name}.pem" if keypair else f"{SSL_DIR}/ca-{namespace}-{name}.pem"


def crl_path(ref: str) -> str:
    """Where ingress-nginx's ssl.ConfigureCRL writes the Secret's ca.crl."""
    namespace, _, name = ref.partition("/")
    return f"{SSL_DIR}/crl-{namespace}-{name}.pem"


def secret_unread(snapshot: ClusterSnapshot, ref: str) -> bool:
    """The Secret could not be read here: not among manifest files, or RBAC forbids it. A
    reference no Secret can have (`/my-certs`, `default/ my-certs`: the store's key is the value
    as written, store.GetAuthCertificate) is never found, whatever was read."""
    problem = snapshot.secret_problem(ref)
    return (
        snapshot.secret(ref) is None
        and SECRET_REF.fullmatch(ref) is not None
        and snapshot.refused_secret(ref) is None  # in the files, refused: certain never to exist
        and (not snapshot.complete or bool(problem and problem.status == "forbidden"))
    )


# namespace (DNS-1123 label) / Secret name (DNS-1123 subdomain), as the API server validates them
SECRET_REF = re.compile(
    r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?/[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*"
)
