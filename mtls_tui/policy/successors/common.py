"""The common policy for client certificates on ingress-nginx's successors, and what each
data plane answers a given client.

ingress-nginx decides per host and answers in HTTP (400/403, policy/nginx_answers.py). Its
successors decide per port, per listener or per host, and most answer inside the TLS handshake.
`ClientValidation` says, for one host on one port, what the data plane was configured to do and
which objects decided it; `predict` turns that into the answer a client gets, from the
measurements in docs/successors.md section 7 (Envoy 1.40, Go 1.27, nginx 1.22 on this machine).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from mtls_tui.model import Finding
from mtls_tui.policy.successors.san_match import SanMatchers

# Who reads the objects. "gateway-api" is the core API read by the spec; the implementations
# that read it differently (Envoy Gateway, Istio, NGINX Gateway Fabric) are named themselves.
Implementation = Literal[
    "gateway-api", "envoy-gateway", "traefik", "f5-nginx", "istio", "nginx-gateway-fabric", "ingress-nginx"
]
IMPLEMENTATIONS: tuple[Implementation, ...] = get_args(Implementation)

# The data plane that answers the client, which decides the shape of a refusal. "unknown": a
# Gateway API implementation this tool does not know; the spec only says a refused client gets
# no HTTP response (conformance wants the round trip to fail: docs/successors.md G7).
DataPlane = Literal["envoy", "go", "nginx", "unknown"]

# What the data plane does with a client certificate, in the four-way split every successor
# maps onto (Envoy Gateway's names: helpers.go convertClientValidationModeType).
ClientCertMode = Literal["require-and-verify", "verify-if-given", "require-any", "request", "none"]

# Where the setting applies: one host, every host of a listener, every HTTPS listener on a port.
Scope = Literal["host", "listener", "port"]

# A configuration the controller could not use: what the data plane does instead.
Breakage = Literal[
    "http-500",  # Envoy Gateway / F5: the routes answer 500 to whoever the handshake (mode) lets through
    "routes-removed",  # Envoy Gateway TLS listener: whoever the handshake (mode) lets through is disconnected
    "listener-refused",  # Gateway API NoValidCACertificate: HTTPS on that port refused (fail closed)
    "connection-closed",  # Traefik closing route; NGINX Gateway Fabric `return 444`
    "not-served",  # the host has no route: 404 to whoever the handshake (mode) lets through
    # NGINX Gateway Fabric: nginx refuses the whole configuration (nginx -t), the agent rolls it back and the
    # previous configuration answers, which the objects do not tell (gateway_api.py _ngf_rejected)
    "config-rejected",
]

# The client certificates the predictions and the lab's measurements cover. The last two are
# only ever the user's own certificate (`--cert`), judged by OpenSSL's verify error: 9 (not yet
# valid) and 7 (signature failure: its issuer has the CA's name but another key, a CA made again
# under the same name). CLIENT_KINDS, the table every report shows, leaves them out.
ClientKind = Literal["none", "trusted", "other-ca", "expired", "no-client-auth-eku", "not-yet-valid", "bad-signature"]
CLIENT_KINDS: tuple[ClientKind, ...] = get_args(ClientKind)[:5]

# The answer a client gets.
# "refused": no HTTP response, its shape (alert or close) unknown (DataPlane "unknown").
# "unknown": the data plane runs an earlier configuration than the objects say (config-rejected).
AnswerKind = Literal["admitted", "http-status", "tls-alert", "connection-closed", "refused", "unknown"]


@dataclass(frozen=True)
class WireAnswer:
    kind: AnswerKind
    status: int | None = None  # HTTP status (admitted: the backend's 200)
    alert: int | None = None  # TLS alert number
    after_handshake: bool = False  # TLS 1.3: the alert arrives on the client's first read

    def __str__(self) -> str:
        if self.kind == "tls-alert":
            when = " after the handshake" if self.after_handshake else ""
            return f"TLS alert {self.alert}{when}"
        if self.kind == "connection-closed":
            return "connection closed"
        if self.kind == "refused":
            return "refused without an HTTP response"
        if self.kind == "unknown":
            return "what nginx's previous configuration answers (not predicted)"
        return f"HTTP {self.status}"


@dataclass(frozen=True)
class Pins:
    """Envoy's verify_certificate_hash and verify_certificate_spki, as the objects write them (Envoy
    Gateway's certificateHashes and spkiHashes: clienttrafficpolicy.go setTLSClientValidationContext;
    Istio's verifyCertificateHash and verifyCertificateSpki: security/model/authentication.go
    ApplyCredentialSDSToServerCommonTLSContext). A certificate the CA trusts must match one entry of
    either list, or Envoy refuses it (certs/pins.py)."""

    certificate: tuple[str, ...]  # hex SHA-256 of the certificate's DER, colons allowed
    spki: tuple[str, ...]  # base64 SHA-256 of its SubjectPublicKeyInfo's DER
    fields: str  # the objects' names for the two lists, for the findings ("certificateHashes")


@dataclass(frozen=True)
class ClientValidation:
    """Client validation for one host on one port, as one successor configures it."""

    implementation: Implementation
    data_plane: DataPlane
    host: str  # the hostname ("*" for a listener without one)
    port: int
    scope: Scope
    shared_with: tuple[str, ...]  # other hosts the same setting applies to (same port or listener)
    mode: ClientCertMode
    ca_refs: tuple[str, ...]  # as the objects name them: `Kind namespace/name` (key when named)
    ca_pem: bytes | None  # the CA bundle the data plane loads; None: none usable
    decided_by: tuple[str, ...]  # the objects that decided, `Kind namespace/name[ section]`
    findings: tuple[Finding, ...] = ()
    breakage: Breakage | None = None
    verify_depth: int | None = None  # None: the implementation sets none (Envoy, Go: unlimited)
    crl: bool = False
    # the CRL the data plane loads, as the controller passes it on (None: none, or not read here:
    # crlFileName on F5, a reference not among the files); the lab's data planes load it
    crl_pem: bytes | None = None
    # Envoy `only_verify_leaf_cert_crl` (Envoy Gateway's crl.onlyVerifyLeafCertificate): with a CRL,
    # only the client certificate's issuer needs one (X509_V_FLAG_CRL_CHECK without CRL_CHECK_ALL)
    crl_leaf_only: bool = False
    conditions: tuple[str, ...] = ()  # status conditions the controller wrote, as evidence
    unseen: tuple[str, ...] = ()  # objects the verdict needs that were not read (manifests without them)
    allow_expired: bool = (
        False  # Envoy `allow_expired_certificate`: no date checked (an expired or future certificate verifies)
    )
    release: str = ""  # the controller release whose rules were used ("Envoy Gateway v1.6.2"; "(assumed: …)")
    # "listener-refused" where the data plane's answer is known from its source: NGINX Gateway Fabric
    # builds no server for an invalid listener, and none for the other HTTPS listeners of its port
    # (they share its frontend entry): nothing listens there, or a Passthrough listener's stream server
    # closes the connection (gateway_api.py _ngf_refused_answer)
    refused_answer: WireAnswer | None = None
    pins: Pins | None = None  # Envoy's certificate and SPKI hashes (None: no hash list rendered)
    sans: SanMatchers | None = None  # Envoy's match_typed_subject_alt_names (None: none rendered)

    @property
    def enforced(self) -> bool:
        """A client without a trusted certificate is kept out."""
        return self.breakage is not None or self.mode == "require-and-verify"


# The alert a data plane sends for each refused client (docs/successors.md section 7, measured:
# tests/data/successors/measure/results/). No certificate: 40 in the TLS 1.2 handshake, 116 on
# the first read in TLS 1.3; the rest are the same in both versions. Not yet valid and a bad
# signature were measured on Envoy 1.40 and Go 1.27 by tests/test_successors_envoy_wire.py
# test_envoy_answers_the_odd_certificates_as_predicted and tests/test_successors_go_wire.py
# test_go_answers_the_odd_certificates_as_predicted: BoringSSL sends decrypt_error (51) for a
# signature that does not verify, Go's crypto/tls unknown_ca (48, x509.UnknownAuthorityError);
# both send certificate_expired (45) for a certificate not valid yet.
_REFUSAL_ALERT: dict[DataPlane, dict[ClientKind, int]] = {
    "envoy": {"other-ca": 48, "expired": 45, "no-client-auth-eku": 43, "not-yet-valid": 45, "bad-signature": 51},
    "go": {"other-ca": 48, "expired": 45, "no-client-auth-eku": 42, "not-yet-valid": 45, "bad-signature": 48},
}
_NO_CERTIFICATE_ALERT = {"1.2": 40, "1.3": 116}
# allow_expired_certificate sets X509_V_FLAG_NO_CHECK_TIME (Envoy default_validator.cc
# initializeSslContexts): no validity date is checked, so a certificate not valid yet gets in as an
# expired one does (measured on Envoy 1.40: tests/test_envoy_gateway_crl_chain.py)
_NO_TIME_CHECK: tuple[ClientKind, ...] = ("expired", "not-yet-valid")
TlsVersion = Literal["1.2", "1.3"]


def predict(validation: ClientValidation, client: ClientKind, tls: TlsVersion = "1.3") -> WireAnswer:
    """What `client` gets from the data plane `validation` describes (the measured table in
    docs/successors.md section 7; each row is re-measured by the tests on a real Envoy, Go
    server and nginx). Depth, SAN and hash matchers are not modelled here: diagnose/successors.py judges the user's
    certificate against the matchers."""
    if validation.breakage == "config-rejected":
        return WireAnswer("unknown")
    if validation.breakage == "listener-refused" and validation.refused_answer is not None:
        return validation.refused_answer
    if validation.breakage in ("listener-refused", "connection-closed"):
        return WireAnswer("connection-closed")
    refused = _refused(validation.mode, client) and not (client in _NO_TIME_CHECK and validation.allow_expired)
    if not refused:
        # not-served / http-500 / routes-removed: what whoever the handshake lets through gets (the mode says
        # who: a host with no route still has a handshake, e.g. Traefik's default TLS options, traefik.py
        # _not_served; the readers that know of none say mode "none")
        if validation.breakage == "not-served":
            return WireAnswer("http-status", status=404)
        if validation.breakage == "http-500":
            return WireAnswer("http-status", status=500)
        if validation.breakage == "routes-removed":
            return WireAnswer("connection-closed")
        return WireAnswer("admitted", status=200)
    if validation.data_plane == "unknown":
        return WireAnswer("refused")
    if validation.data_plane == "nginx":
        if validation.implementation == "nginx-gateway-fabric":
            return WireAnswer("connection-closed")  # `return 444` for 495/496 (servers_template.go)
        return WireAnswer("http-status", status=400)
    alert = _NO_CERTIFICATE_ALERT[tls] if client == "none" else _REFUSAL_ALERT[validation.data_plane][client]
    return WireAnswer("tls-alert", alert=alert, after_handshake=tls == "1.3")


# A client key no TLS 1.3 signature scheme fits (certs/verify.py TLS13_EC_CURVES: DSA, EC off P-256/384/521) in
# an OpenSSL client (Python's ssl, curl). Measured on Envoy 1.40 (BoringSSL), Go 1.27.3 crypto/tls and nginx 1.22
# (OpenSSL 3.0) in all four modes, tests/test_successors_client_keys.py. Over TLS 1.3, which every successor offers
# by default (Envoy Gateway v1.9.0 clienttrafficpolicy.go buildListenerTLSParameters: TLSv1.2-1.3; Istio 1.30.3
# listener.go applyServerTLSSettings sets no maximum unless maxProtocolVersion, and Envoy's server default is
# TLSv1_3 (common.proto TlsParameters); Traefik v3.7.9 tlsmanager.go DefaultTLSOptions sets only MinVersion, Go's
# maximum is 1.3; F5 v5.5.4 nginx.tmpl and NGINX Gateway Fabric v2.6.7 servers_template.go render ssl_protocols
# only when configured, and the nginx 1.31.3 both ship (build/Dockerfile) defaults to NGX_SSL_DEFAULT_PROTOCOLS,
# TLSv1.2|TLSv1.3, src/event/ngx_event_openssl.h), the client sends no certificate: it gets what a client without
# one gets. Over TLS 1.2 an EC key is sent and the server cannot take it, in every mode that asks for a
# certificate: BoringSSL cannot parse the key (UNSUPPORTED_ALGORITHM) and Go's x509.ParseCertificate neither ("unsupported elliptic curve";
# handshake_server.go processCertsFromClient sends alertDecodeError): 50; nginx's OpenSSL "wrong curve"
# (ssl/t1_lib.c tls12_check_peer_sigalg): 47. A DSA key is not sent to Envoy or Go (no DSA scheme in their
# CertificateRequest): no certificate again; nginx verifies it as any other (its verify error decides).
_FOREIGN_CURVE_ALERT: dict[DataPlane, int] = {"envoy": 50, "go": 50, "nginx": 47}
UnsentKey = Literal["EC", "DSA"]


def predict_unsent(
    validation: ClientValidation, key: UnsentKey, signed: ClientKind | None, tls: TlsVersion = "1.3"
) -> WireAnswer | None:
    """What an OpenSSL client whose `key` no TLS 1.3 signature scheme fits gets (above); `signed` is the
    kind its certificate is when sent (None: a verify error no data plane was measured on). None: not
    predicted (a data plane this tool does not know, or nginx's verdict on an unmeasured error)."""
    asked = validation.mode != "none" and validation.breakage not in ("config-rejected", "listener-refused")
    if tls == "1.3" or (key == "DSA" and validation.data_plane in ("envoy", "go")) or not asked:
        return predict(validation, "none", tls)
    if validation.data_plane not in _FOREIGN_CURVE_ALERT:
        return None
    if key == "EC":
        return WireAnswer("tls-alert", alert=_FOREIGN_CURVE_ALERT[validation.data_plane])
    return predict(validation, signed, tls) if signed is not None else None


def _refused(mode: ClientCertMode, client: ClientKind) -> bool:
    if client == "trusted" or mode in ("none", "request"):
        return False
    if client == "none":
        return mode in ("require-and-verify", "require-any")
    return mode in ("require-and-verify", "verify-if-given")
