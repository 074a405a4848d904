"""TLS alerts: their numbers, RFC names, and what each means for a client certificate.

Envoy (BoringSSL) and Go's crypto/tls refuse a client certificate inside the TLS
handshake with an alert, where nginx answers HTTP 400 after it. Which alert says what
was measured with a real Envoy 1.40 and Go 1.27 (docs/successors.md section 7): the
alert number is the whole verdict the client gets.

In TLS 1.3 the client's handshake is done before the server has read the client's
certificate, so the server's alert (or its closing the connection) arrives on the
client's first read after the handshake, not in it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Alert:
    number: int
    name: str  # as RFC 8446 spells it
    meaning: str  # what it says about the client certificate (or about the connection)
    about_client_cert: bool  # a verdict on the client certificate (or on its absence)

    @property
    def label(self) -> str:
        return f"alert {self.number} {self.name}"


_TABLE: tuple[Alert, ...] = (
    Alert(0, "close_notify", "the server closed the connection in an orderly way, without an answer", False),
    Alert(10, "unexpected_message", "the server received a message it did not expect at that point", False),
    Alert(20, "bad_record_mac", "a record failed to decrypt or verify", False),
    Alert(22, "record_overflow", "a record was too long", False),
    Alert(
        40,
        "handshake_failure",
        "TLS 1.2: the server requires a client certificate and none was sent (Envoy, Go); "
        "otherwise no acceptable set of parameters (cipher, curve, signature algorithm)",
        True,
    ),
    Alert(
        42,
        "bad_certificate",
        "the client certificate was refused: Go's crypto/tls (Traefik) sends it for a certificate without the "
        "clientAuth extended key usage, and for verify errors it has no closer alert for",
        True,
    ),
    Alert(
        43,
        "unsupported_certificate",
        "the client certificate is of an unsupported type or purpose: Envoy (BoringSSL) and OpenSSL send it "
        "for a certificate without the clientAuth extended key usage",
        True,
    ),
    Alert(44, "certificate_revoked", "the client certificate is revoked by a CRL the server holds", True),
    Alert(
        45, "certificate_expired", "the client certificate (or one in its chain) has expired or is not yet valid", True
    ),
    Alert(
        46,
        "certificate_unknown",
        "the client certificate was refused for another reason: Envoy sends it when a SAN matcher "
        "(Envoy Gateway or Istio subjectAltNames) does not match",
        True,
    ),
    Alert(47, "illegal_parameter", "a handshake field was out of range or inconsistent", False),
    Alert(
        48,
        "unknown_ca",
        "the client certificate does not chain to a CA the server trusts (from another CA, or an "
        "intermediate missing from what the client sent)",
        True,
    ),
    Alert(49, "access_denied", "the certificate was valid, but access control refused the connection", True),
    Alert(50, "decode_error", "a message could not be decoded", False),
    Alert(
        51,
        "decrypt_error",
        "a signature or Finished check failed: with a client certificate, the key may not belong to it",
        True,
    ),
    Alert(70, "protocol_version", "the server does not accept the TLS version the client offered", False),
    Alert(71, "insufficient_security", "the server wants stronger ciphers than the client offered", False),
    Alert(80, "internal_error", "the server failed internally (not the client's fault)", False),
    Alert(86, "inappropriate_fallback", "a version fallback the server refuses", False),
    Alert(90, "user_canceled", "the server cancelled the handshake", False),
    Alert(109, "missing_extension", "a required TLS extension was missing", False),
    Alert(110, "unsupported_extension", "the client sent an extension the server did not expect", False),
    Alert(112, "unrecognized_name", "the server knows no host for the TLS server name (SNI) the client sent", False),
    Alert(113, "bad_certificate_status_response", "an OCSP status response was invalid", True),
    Alert(
        114,
        "bad_certificate_hash_value",
        "the client certificate's hash or public key is not one the server pins: Envoy sends it when "
        "verify_certificate_hash / verify_certificate_spki (Envoy Gateway certificateHashes, spkiHashes; "
        "Istio verifyCertificateHash, verifyCertificateSpki) do not match",
        True,
    ),
    Alert(115, "unknown_psk_identity", "a pre-shared key identity is unknown", False),
    Alert(116, "certificate_required", "TLS 1.3: the server requires a client certificate and none was sent", True),
    Alert(120, "no_application_protocol", "no ALPN protocol in common (h2, http/1.1)", False),
)

ALERTS: dict[int, Alert] = {alert.number: alert for alert in _TABLE}
_BY_NAME: dict[str, Alert] = {alert.name: alert for alert in _TABLE}

# OpenSSL's reason names for a received alert (ssl.SSLError.reason): SSL_AD_REASON_OFFSET + number.
# Most read *_ALERT_<NAME>; a few do not (114 is TLSV1_BAD_CERTIFICATE_HASH_VALUE).
_REASON_EXCEPTIONS = {
    "TLSV1_UNRECOGNIZED_NAME": 112,
    "TLSV1_BAD_CERTIFICATE_STATUS_RESPONSE": 113,
    "TLSV1_BAD_CERTIFICATE_HASH_VALUE": 114,
    "TLSV1_CERTIFICATE_UNOBTAINABLE": 111,
    "TLSV1_ALERT_DECRYPTION_FAILED": 21,
}


def alert(number: int) -> Alert:
    """Any alert number, named when it is one we know."""
    return ALERTS.get(number) or Alert(number, f"alert_{number}", "an alert this tool does not know", False)


def alert_from_reason(reason: str | None) -> Alert | None:
    """The alert an OpenSSL error reason names (`TLSV1_ALERT_UNKNOWN_CA` → 48), if it names one."""
    if not reason:
        return None
    if reason in _REASON_EXCEPTIONS:
        return alert(_REASON_EXCEPTIONS[reason])
    if "_ALERT_" not in reason:
        return None
    name = reason.split("_ALERT_", 1)[1].lower()
    return _BY_NAME.get(name) or Alert(-1, name, "an alert this tool does not know", False)


def tls_version_label(version: str | None) -> str:
    """`TLSv1.3` → `TLS 1.3`."""
    if not version:
        return "TLS version unknown"
    return version.replace("TLSv", "TLS ")
