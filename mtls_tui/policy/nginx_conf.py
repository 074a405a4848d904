"""The part of ingress-nginx's rendered `/etc/nginx/nginx.conf` that client certificates live in:
each host's `server` block between its `## start server HOST` / `## end server HOST` markers,
with the `# PEM sha:` comment the template writes above `ssl_client_certificate`
(rootfs/etc/nginx/template/nginx.tmpl). The lab's controller pods hold this file, so
`kubectl exec … -- cat /etc/nginx/nginx.conf` reads there what it reads in a cluster.
"""

from __future__ import annotations

import hashlib

from mtls_tui.model import ClusterSnapshot, SecretObj
from mtls_tui.policy.ingress_nginx.host_policy import HostPolicy
from mtls_tui.policy.secret_store import stored_secret

CONF_PATH = "/etc/nginx/nginx.conf"


def pem_sha(secret: SecretObj) -> str | None:
    """The `# PEM sha:` of the client CA file (store/backend_ssl.go getPemCertificate): with a
    keypair, the SHA-1 of the file as StoreSSLCertOnDisk wrote it, tls.crt + "\\n" + tls.key
    (net/ssl/ssl.go CreateSSLCert PemCertKey), taken before ConfigureCACertWithCertAndKey appends
    ca.crt, so a change of ca.crt alone leaves it as it was; with ca.crt only, the SHA-1 of ca.crt
    (ConfigureCACert writes it as it is). pkg/util/file/file.go SHA1 hashes the whole file."""
    stored = stored_secret(secret)
    if not stored.ca:
        return None
    if stored.keypair:
        data = (secret.get("tls.crt") or b"") + b"\n" + (secret.get("tls.key") or b"")
    else:
        data = secret.get("ca.crt") or b""
    return hashlib.sha1(data).hexdigest()  # noqa: S324 - the controller's own choice, compared, not trusted


def server_block(policy: HostPolicy, snapshot: ClusterSnapshot) -> str:
    lines = [f"## start server {policy.host}", "server {", f"    server_name {policy.host} ;", ""]
    secret = snapshot.secret(policy.policy.secret) if policy.policy and policy.policy.secret else None
    sha = pem_sha(secret) if secret is not None and policy.client_checks else None
    for directive in policy.directives:
        if directive.startswith("ssl_client_certificate") and sha is not None:
            lines.append(f"    # PEM sha: {sha}")
        lines.append(f"    {directive}")
    lines += ["}", f"## end server {policy.host}", ""]
    return "\n".join(lines)


def rendered_conf(policies: list[HostPolicy], snapshot: ClusterSnapshot) -> str:
    """The file's client-certificate part for every served host, in the controller's host order."""
    head = "# Configuration checksum: lab\n\n# setup custom paths that do not require root access\npid /tmp/nginx/nginx.pid;\n\n"
    blocks = [server_block(p, snapshot) for p in policies if p.served and p.host != "*"]
    return head + "http {\n\n" + "\n".join(blocks) + "\n}\n"
