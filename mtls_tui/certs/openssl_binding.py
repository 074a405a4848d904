"""ctypes bindings to the OpenSSL that Python's own `ssl` module is linked with.

Why not `cryptography` or pyOpenSSL: nginx decides with OpenSSL's X509_verify_cert
set up by libssl (purpose `ssl_client`, the configured verify depth and security
level, a callback that lets nginx read the result afterwards). `cryptography`'s
verifier is stricter (it refuses X.509 v1) and neither library exposes purpose and
depth together. Python's `ssl` is linked with the system OpenSSL — the library a
distribution's nginx uses too — so its symbols give nginx's verdict, bit for bit.
Only in-memory calls: no files, no sockets.
"""

from __future__ import annotations

import ctypes
import ssl
from functools import lru_cache

from mtls_tui.errors import OpenSSLUnavailable

c_void_p, c_int, c_long, c_char_p = ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_char_p

VERIFY_CB = ctypes.CFUNCTYPE(c_int, c_int, c_void_p)

_SIGNATURES: dict[str, tuple[object, list[object]]] = {
    "d2i_X509": (c_void_p, [c_void_p, ctypes.POINTER(c_void_p), c_long]),
    "i2d_X509": (c_int, [c_void_p, ctypes.POINTER(c_void_p)]),
    "X509_free": (None, [c_void_p]),
    "X509_STORE_new": (c_void_p, []),
    "X509_STORE_free": (None, [c_void_p]),
    "X509_STORE_add_cert": (c_int, [c_void_p, c_void_p]),
    "X509_STORE_add_crl": (c_int, [c_void_p, c_void_p]),
    "X509_STORE_set_flags": (c_int, [c_void_p, ctypes.c_ulong]),
    "d2i_X509_CRL": (c_void_p, [c_void_p, ctypes.POINTER(c_void_p), c_long]),
    "X509_CRL_free": (None, [c_void_p]),
    "OPENSSL_sk_new_null": (c_void_p, []),
    "OPENSSL_sk_push": (c_int, [c_void_p, c_void_p]),
    "OPENSSL_sk_num": (c_int, [c_void_p]),
    "OPENSSL_sk_value": (c_void_p, [c_void_p, c_int]),
    "OPENSSL_sk_free": (None, [c_void_p]),
    "X509_STORE_CTX_new": (c_void_p, []),
    "X509_STORE_CTX_free": (None, [c_void_p]),
    "X509_STORE_CTX_init": (c_int, [c_void_p, c_void_p, c_void_p, c_void_p]),
    "X509_STORE_CTX_set_default": (c_int, [c_void_p, c_char_p]),
    "X509_STORE_CTX_get0_param": (c_void_p, [c_void_p]),
    "X509_STORE_CTX_set_verify_cb": (None, [c_void_p, VERIFY_CB]),
    "X509_STORE_CTX_set_time": (None, [c_void_p, ctypes.c_ulong, c_long]),
    "X509_STORE_CTX_get_error": (c_int, [c_void_p]),
    "X509_STORE_CTX_get_error_depth": (c_int, [c_void_p]),
    "X509_STORE_CTX_get_current_cert": (c_void_p, [c_void_p]),
    "X509_STORE_CTX_get0_chain": (c_void_p, [c_void_p]),
    "X509_VERIFY_PARAM_set_depth": (None, [c_void_p, c_int]),
    "X509_VERIFY_PARAM_set_auth_level": (None, [c_void_p, c_int]),
    "X509_verify_cert": (c_int, [c_void_p]),
    "X509_verify_cert_error_string": (c_char_p, [c_long]),
    "TLS_server_method": (c_void_p, []),
    "SSL_CTX_new": (c_void_p, [c_void_p]),
    "SSL_CTX_free": (None, [c_void_p]),
    "SSL_CTX_get_security_level": (c_int, [c_void_p]),
    "ERR_clear_error": (None, []),
    "d2i_X509_NAME": (c_void_p, [c_void_p, ctypes.POINTER(c_void_p), c_long]),
    "X509_NAME_free": (None, [c_void_p]),
    "X509_NAME_print_ex": (c_int, [c_void_p, c_void_p, c_int, ctypes.c_ulong]),
    "BIO_s_mem": (c_void_p, []),
    "BIO_new": (c_void_p, [c_void_p]),
    "BIO_free": (c_int, [c_void_p]),
    "BIO_ctrl": (c_long, [c_void_p, c_int, c_long, c_void_p]),
}
X509_V_FLAG_CRL_CHECK, X509_V_FLAG_CRL_CHECK_ALL = 0x4, 0x8
X509_V_FLAG_PARTIAL_CHAIN = 0x80000  # x509_vfy.h: a trusted certificate that is no root may end the chain
# The verify results this project reads (OpenSSL's x509_vfy.h): nginx logs them as `(N:reason)`,
# so rules compare numbers; the names say which number means what.
X509_V_OK = 0
X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT = 2
X509_V_ERR_UNABLE_TO_GET_CRL = 3
X509_V_ERR_CERT_SIGNATURE_FAILURE = 7
X509_V_ERR_CRL_SIGNATURE_FAILURE = 8
X509_V_ERR_CERT_NOT_YET_VALID = 9
X509_V_ERR_CERT_HAS_EXPIRED = 10
X509_V_ERR_CRL_NOT_YET_VALID = 11
X509_V_ERR_CRL_HAS_EXPIRED = 12
X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT = 18
X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN = 19
X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY = 20
X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE = 21
X509_V_ERR_CERT_CHAIN_TOO_LONG = 22
X509_V_ERR_CERT_REVOKED = 23
X509_V_ERR_INVALID_PURPOSE = 26
X509_V_ERR_KEY_USAGE_NO_CERTSIGN = 32
X509_V_ERR_INVALID_CA = 79
X509_V_ERR_HOSTNAME_MISMATCH = 62
UNLIMITED_DEPTH = 100  # X509_VERIFY_PARAM's depth when nothing sets one
XN_FLAG_RFC2253 = 0x1110317  # ASN1_STRFLGS_RFC2253 | SEP_COMMA_PLUS | DN_REV | FN_SN | DUMP_UNKNOWN_FIELDS
BIO_CTRL_INFO = 3


@lru_cache(maxsize=1)
def lib() -> ctypes.CDLL:
    """The OpenSSL functions above, typed. Reached through the private `ssl._ssl`: dlsym on the
    _ssl extension's handle also searches the libraries it links, which is the only way to the
    very OpenSSL Python's ssl uses. An interpreter where that fails (no _ssl file, a static or
    other TLS library, symbols missing) raises OpenSSLUnavailable, a CannotRun: one line, exit 2."""
    try:
        handle = ctypes.CDLL(ssl._ssl.__file__)  # type: ignore[attr-defined]
    except (AttributeError, OSError) as exc:
        raise OpenSSLUnavailable(f"cannot reach the OpenSSL that Python's ssl module uses ({exc})") from None
    for name, (restype, argtypes) in _SIGNATURES.items():
        try:
            func = getattr(handle, name)
        except AttributeError:
            raise OpenSSLUnavailable(
                f"Python's OpenSSL ({ssl.OPENSSL_VERSION}) lacks {name}, which nginx's verdict needs"
            ) from None
        func.restype = restype
        func.argtypes = argtypes
    return handle


@lru_cache(maxsize=1)
def default_security_level() -> int:
    """The level a server built on this OpenSSL gets from its config (Debian: 2)."""
    ossl = lib()
    ctx = ossl.SSL_CTX_new(ossl.TLS_server_method())
    try:
        return int(ossl.SSL_CTX_get_security_level(ctx))
    finally:
        ossl.SSL_CTX_free(ctx)


def _from_der(decoder: str, der: bytes, what: str) -> int:
    ossl = lib()
    buf = ctypes.create_string_buffer(der, len(der))
    cursor = c_void_p(ctypes.addressof(buf))
    ptr: int | None = getattr(ossl, decoder)(None, ctypes.byref(cursor), len(der))
    if not ptr:
        ossl.ERR_clear_error()
        raise ValueError(f"OpenSSL could not parse this {what}")
    return ptr


def x509_from_der(der: bytes) -> int:
    """A new X509* (caller frees) or ValueError."""
    return _from_der("d2i_X509", der, "certificate")


def crl_from_der(der: bytes) -> int:
    """A new X509_CRL* (caller frees) or ValueError."""
    return _from_der("d2i_X509_CRL", der, "CRL")


def x509_to_der(ptr: int) -> bytes:
    ossl = lib()
    size = ossl.i2d_X509(ptr, None)
    buf = ctypes.create_string_buffer(size)
    cursor = c_void_p(ctypes.addressof(buf))
    ossl.i2d_X509(ptr, ctypes.byref(cursor))
    return buf.raw


def error_string(code: int) -> str:
    text = lib().X509_verify_cert_error_string(code)
    return text.decode() if text else f"X509 verify error {code}"


def name_rfc2253(der: bytes) -> str:
    """A DER X509_NAME as nginx prints `$ssl_client_s_dn`: X509_NAME_print_ex with
    XN_FLAG_RFC2253. `cryptography`'s rfc4514_string differs in the order inside
    multi-valued RDNs, the escaping of non-ASCII and the names of rarer attributes."""
    ossl = lib()
    buffer = ctypes.create_string_buffer(der, len(der))
    cursor = c_void_p(ctypes.addressof(buffer))
    parsed = ossl.d2i_X509_NAME(None, ctypes.byref(cursor), len(der))
    bio = ossl.BIO_new(ossl.BIO_s_mem())
    try:
        if not parsed or not bio or ossl.X509_NAME_print_ex(bio, parsed, 0, XN_FLAG_RFC2253) < 0:
            ossl.ERR_clear_error()
            raise ValueError("OpenSSL could not print this name")
        data = c_void_p()
        size = ossl.BIO_ctrl(bio, BIO_CTRL_INFO, 0, ctypes.byref(data))
        return ctypes.string_at(data, size).decode("utf-8", "replace")
    finally:
        if bio:
            ossl.BIO_free(bio)
        if parsed:
            ossl.X509_NAME_free(parsed)
