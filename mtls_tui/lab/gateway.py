"""A local mTLS gateway that behaves as ingress-nginx does: a real nginx, configured
with the directives ingress-nginx renders, in front of an echo upstream.

One TLS port serves every host by SNI; unknown names (and hosts without a `tls:`
entry) get the controller's fake certificate from the default server, which answers
404 as ingress-nginx's default backend does.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from mtls_tui.certs.issue import Issued, issue_fake_certificate
from mtls_tui.lab.echo import EchoServer
from mtls_tui.lab.nginx import Nginx, free_port
from mtls_tui.lab.pki import write_file
from mtls_tui.model import MtlsPolicy
from mtls_tui.policy.nginx_directives import location_directives, match_cn_directives, server_directives


@dataclass(frozen=True)
class GatewayHost:
    """One host as the controller would serve it. No `tls_cert_pem`: no `tls:` entry.

    PEM bytes, as a Secret's `tls.crt`, `tls.key`, `ca.crt` and `ca.crl` hold them; `ca_pem`
    is the file the controller names in `ssl_client_certificate` (None: no client checks).
    """

    policy: MtlsPolicy
    tls_cert_pem: bytes | None = None
    tls_key_pem: bytes | None = field(default=None, repr=False)
    ca_pem: bytes | None = None
    crl_pem: bytes | None = None
    denial: str | None = None  # the server's AuthTLSError: `return 403;` for every request (nginx.tmpl)
    # auth-tls-match-cn rendered without a CA file (nginx.tmpl renders it apart from the client
    # checks): nginx asks no certificate, so the empty subject fails it on every request
    cn_gate: str | None = None
    # the Location denied reason of its `/` location: `return 503;` there, after the client checks (nginx.tmpl)
    location_denial: str | None = None


# ingress-nginx v1.x's default log-format-upstream, so the lab's controller logs read like a real one.
ACCESS_LOG_FORMAT = (
    'log_format upstreaminfo \'$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
    '"$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] '
    "[$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time "
    "$upstream_status $request_id';"
)
UPSTREAM_NAME = "default-meow-svc-80"


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-." else "_" for c in name)


def _comment(text: str) -> str:
    return " ".join(text.split())


def hash_bucket_size(longest: int) -> int:
    """nginx's hash bucket for names up to `longest` bytes, as ingress-nginx sizes
    server_names_hash_bucket_size (internal/ingress/controller/nginx.go nginxHashBucketSize: two
    words plus the name and 2, word-aligned, to the next power of 2). With nginx's 64 a host name of
    50-odd bytes stops nginx at start ("could not build server_names_hash")."""
    word = 8
    raw = word + word + ((longest + 2 + word - 1) & ~(word - 1))
    return max(64, 1 << (raw - 1).bit_length())


def render_http(hosts: list[GatewayHost], folder: Path, port: int, echo_port: int, fake: Issued) -> str:
    """Write each host's files into `folder` (keys 0600) and return the inside of `http {}`."""
    write_file(folder / "fake.crt", fake.cert_pem())
    write_file(folder / "fake.key", fake.key_pem(), private=True)
    upstreams = "".join(f"    {h.policy.host} {UPSTREAM_NAME};\n" for h in hosts)
    bucket = hash_bucket_size(max((len(h.policy.host) for h in hosts), default=0))
    blocks = [
        "ssl_protocols TLSv1.2 TLSv1.3;  # ingress-nginx's default ssl-protocols",
        # the lab's $host map below is keyed by the same names: sized alike
        f"server_names_hash_bucket_size {bucket};\nmap_hash_bucket_size {bucket};",
        ACCESS_LOG_FORMAT,
        f"map $host $proxy_upstream_name {{\n    default upstream-default-backend;\n{upstreams}}}",
        'map $host $proxy_alternative_upstream_name { default ""; }',
        f"access_log {folder}/access.log upstreaminfo;",
        f"server {{\n  listen 127.0.0.1:{port} ssl http2 default_server;\n  server_name _;\n"
        f"  ssl_certificate {folder}/fake.crt;\n  ssl_certificate_key {folder}/fake.key;\n"
        '  location / { return 404 "default backend - 404\\n"; }\n}',
    ]
    for host in hosts:
        stem = folder / _safe(host.policy.host)
        has_tls = bool(host.tls_cert_pem and host.tls_key_pem)
        cert, key = (f"{stem}.crt", f"{stem}.key") if has_tls else (f"{folder}/fake.crt", f"{folder}/fake.key")
        if has_tls:
            write_file(Path(cert), host.tls_cert_pem)
            write_file(Path(key), host.tls_key_pem, private=True)
        mtls: list[str] = []
        if host.policy.mtls and host.ca_pem and not host.denial:
            write_file(Path(f"{stem}-ca.crt"), host.ca_pem)
            crl = None
            if host.crl_pem:
                crl = f"{stem}-ca.crl"
                write_file(Path(crl), host.crl_pem)
            mtls = server_directives(host.policy, f"{stem}-ca.crt", crl)
        proxy = location_directives(host.policy) if mtls else []
        if not mtls and host.cn_gate:
            mtls = match_cn_directives(host.cn_gate)
        if host.denial:  # nginx.tmpl, template "SERVER": `# {{ AuthTLSError }}` and `return 403;` before any location
            mtls = [f"# {_comment(host.denial)}", "return 403;"]
        location = "\n".join(
            [f"    # Location denied. Reason: {_comment(host.location_denial)}", "    return 503;"]
            if host.location_denial
            else ["    proxy_http_version 1.1;", "    proxy_set_header Host $host;"]
            + [f"    {line}" for line in proxy]
            + [f"    proxy_pass http://127.0.0.1:{echo_port};"]
        )
        body = "\n".join(f"  {line}" for line in mtls)
        blocks.append(
            f"server {{\n  listen 127.0.0.1:{port} ssl http2;\n  server_name {host.policy.host};\n"
            f"  ssl_certificate {cert};\n  ssl_certificate_key {key};\n{body}\n"
            f"  location / {{\n{location}\n  }}\n}}"
        )
    return "\n".join(blocks)


class Gateway:
    """`with Gateway(hosts) as gw:` — nginx on `gw.port`, the echo upstream behind it."""

    def __init__(self, hosts: list[GatewayHost], port: int | None = None, nginx_binary: str | None = None) -> None:
        self.hosts = hosts
        self.port = port or free_port()
        self._binary = nginx_binary
        self._fake = issue_fake_certificate()
        self._echo: EchoServer | None = None
        self._nginx: Nginx | None = None
        self._resources: ExitStack | None = None

    def start(self) -> Gateway:
        with ExitStack() as stack:  # a start that fails half way releases what it took, in reverse
            echo = stack.enter_context(EchoServer())
            nginx = stack.enter_context(
                Nginx(
                    lambda prefix: render_http(self.hosts, prefix, self.port, echo.port, self._fake),
                    [self.port],
                    binary=self._binary,
                )
            )
            self._echo, self._nginx = echo, nginx
            self._resources = stack.pop_all()
        return self

    def error_log(self) -> str:
        return self._nginx.error_log() if self._nginx else ""

    def log_paths(self) -> tuple[Path, Path] | None:
        """(access log, error log) of the running nginx, for the lab's controller pods."""
        if not self._nginx or not self._nginx.prefix:
            return None
        return self._nginx.prefix / "access.log", self._nginx.prefix / "error.log"

    def url(self, host: str, path: str = "/") -> str:
        return f"https://{host}:{self.port}{path}"

    def resolve(self, host: str) -> str:
        return f"{host}:{self.port}:127.0.0.1"

    def stop(self) -> None:
        """nginx, then its upstream; safe to call twice."""
        resources, self._resources = self._resources, None
        if resources is not None:
            resources.close()
        self._nginx = self._echo = None

    def __enter__(self) -> Gateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
