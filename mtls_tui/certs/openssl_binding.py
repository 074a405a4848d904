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

c_void_p, c_int, c_long, c_char_p = ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_char_p

VERIFY_CB = ctypes.CFUNCTYPE(c_int, c_int, c_void_p)

_SIGNATURES: dict[str, tuple[object, list[object]]] = {
    "d2i_X509": (c_void_p, [c_void_p, ctypes.POINTER(c_void_p), c_long]),
    "i2d_X509": (c_int, [c_void_p, ctypes.POINTER(c_void_p)]),
    "X509_free": (None, [c_void_p]),
    "X509_STORE_new": (c_void_p, []),
    "X509_STORE_free": (None, [c_void_p]),
    "X509_STORE_add_cert": (c_int, [c_void_p, c_void_p]),
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
}


class OpenSSLUnavailable(RuntimeError):
    """Python's ssl module is not linked with a usable OpenSSL 1.1+/3.x."""


@lru_cache(maxsize=1)
def lib() -> ctypes.CDLL:
    # dlsym on the _ssl extension's handle also searches the libraries it links.
    handle = ctypes.CDLL(ssl._ssl.__file__)  # type: ignore[attr-defined]
    for name, (restype, argtypes) in _SIGNATURES.items():
        try:
            func = getattr(handle, name)
        except AttributeError as exc:
            raise OpenSSLUnavailable(f"{ssl.OPENSSL_VERSION} lacks {name}") from exc
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


def x509_from_der(der: bytes) -> int:
    """A new X509* (caller frees) or ValueError."""
    ossl = lib()
    buf = ctypes.create_string_buffer(der, len(der))
    cursor = c_void_p(ctypes.addressof(buf))
    ptr = ossl.d2i_X509(None, ctypes.byref(cursor), len(der))
    if not ptr:
        ossl.ERR_clear_error()
        raise ValueError("OpenSSL could not parse this certificate")
    return ptr


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
