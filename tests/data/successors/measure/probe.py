#!/usr/bin/env python3
"""Probe an mTLS server as a client would, and say where the verdict arrives.

Standard library only. For each client certificate case and TLS version:
  1. TCP connect, TLS handshake (SNI meow.com, server verified against ca.crt);
  2. read BEFORE writing (0.5 s): in TLS 1.3 the server's verdict on the client
     certificate (an alert, or EOF) arrives after the client's handshake is done;
  3. write "GET / HTTP/1.1" and read the answer (status line or error).
Prints one JSON object per probe (--json) or a table.

Usage: probe.py --pki DIR --port N [--host 127.0.0.1] [--json] [--cases a,b] [--versions 1.2,1.3]
"""

import argparse
import json
import socket
import ssl
import sys
import time

# OpenSSL reason names -> (alert number, RFC 8446 name)
ALERTS = {
    "SSLV3_ALERT_HANDSHAKE_FAILURE": (40, "handshake_failure"),
    "SSLV3_ALERT_BAD_CERTIFICATE": (42, "bad_certificate"),
    "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE": (43, "unsupported_certificate"),
    "SSLV3_ALERT_CERTIFICATE_REVOKED": (44, "certificate_revoked"),
    "SSLV3_ALERT_CERTIFICATE_EXPIRED": (45, "certificate_expired"),
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN": (46, "certificate_unknown"),
    "TLSV1_ALERT_UNKNOWN_CA": (48, "unknown_ca"),
    "TLSV1_ALERT_ACCESS_DENIED": (49, "access_denied"),
    "TLSV1_ALERT_DECODE_ERROR": (50, "decode_error"),
    "TLSV1_ALERT_DECRYPT_ERROR": (51, "decrypt_error"),
    "TLSV1_ALERT_PROTOCOL_VERSION": (70, "protocol_version"),
    "TLSV1_ALERT_INTERNAL_ERROR": (80, "internal_error"),
    "TLSV1_UNRECOGNIZED_NAME": (112, "unrecognized_name"),
    "TLSV1_BAD_CERTIFICATE_HASH_VALUE": (114, "bad_certificate_hash_value"),
    "TLSV13_ALERT_CERTIFICATE_REQUIRED": (116, "certificate_required"),
    "TLSV1_ALERT_NO_APPLICATION_PROTOCOL": (120, "no_application_protocol"),
}
CASES = ["none", "valid", "wrongca", "expired", "noeku", "deep"]


def describe(exc):
    if isinstance(exc, ssl.SSLError):
        reason = getattr(exc, "reason", None) or ""
        if reason in ALERTS:
            n, name = ALERTS[reason]
            return {"kind": "alert", "alert": n, "alert_name": name, "detail": reason}
        if isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
            return {"kind": "eof", "detail": str(exc)}
        return {"kind": "ssl-error", "detail": reason or str(exc)}
    if isinstance(exc, (ConnectionResetError, BrokenPipeError)):
        return {"kind": "reset", "detail": type(exc).__name__}
    if isinstance(exc, socket.timeout):
        return {"kind": "timeout"}
    return {"kind": type(exc).__name__, "detail": str(exc)}


def probe(host, port, pki, case, version, sni="meow.com", first_read=0.5, write_first=False):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(f"{pki}/ca.crt")
    v = ssl.TLSVersion.TLSv1_2 if version == "1.2" else ssl.TLSVersion.TLSv1_3
    ctx.minimum_version = ctx.maximum_version = v
    ctx.set_alpn_protocols(["http/1.1"])
    if case != "none":
        name = {"valid": "client"}.get(case, case)
        ctx.load_cert_chain(f"{pki}/{name}.crt", f"{pki}/{name}.key")
    out = {"case": case, "tls": version}
    raw = socket.create_connection((host, port), timeout=3)
    s = ctx.wrap_socket(raw, server_hostname=sni, do_handshake_on_connect=False)
    t0 = time.monotonic()
    try:
        s.do_handshake()
        out["handshake"] = {"kind": "ok", "version": s.version()}
    except Exception as e:  # noqa: BLE001 - we report every failure
        out["handshake"] = describe(e)
        out["verdict_at"] = "handshake"
        out["ms"] = round((time.monotonic() - t0) * 1000)
        s.close()
        return out
    if write_first:  # what a naive client does: write at once, then read
        out["first_read"] = {"kind": "skipped", "detail": "--write-first"}
        s.settimeout(3)
        try:
            s.sendall(f"GET / HTTP/1.1\r\nHost: {sni}\r\nConnection: close\r\n\r\n".encode())
        except Exception as e:  # noqa: BLE001
            out["write"] = describe(e)
            out["verdict_at"] = "write"
            return out
        try:
            data = s.recv(65536)
            out["http"] = {"status_line": data.split(b"\r\n", 1)[0].decode("latin-1")} if data else {"kind": "eof"}
            out["verdict_at"] = "read-after-write"
        except Exception as e:  # noqa: BLE001
            out["http"] = describe(e)
            out["verdict_at"] = "read-after-write"
        s.close()
        return out
    # read before writing: a TLS 1.3 server's verdict on our certificate comes now
    s.settimeout(first_read)
    try:
        data = s.recv(1)
        out["first_read"] = {"kind": "eof"} if data == b"" else {"kind": "data", "detail": repr(data)}
    except TimeoutError:
        out["first_read"] = {"kind": "nothing", "detail": f"no byte within {first_read}s"}
    except Exception as e:  # noqa: BLE001
        out["first_read"] = describe(e)
    if out["first_read"]["kind"] in ("alert", "eof", "reset", "ssl-error"):
        out["verdict_at"] = "first-read"
        out["ms"] = round((time.monotonic() - t0) * 1000)
        s.close()
        return out
    s.settimeout(3)
    try:
        s.sendall(f"GET / HTTP/1.1\r\nHost: {sni}\r\nConnection: close\r\n\r\n".encode())
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        head, _, body = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        out["http"] = {"status_line": lines[0] if lines else "", "body": body.decode("latin-1")[:400]}
        out["verdict_at"] = "http" if buf else "eof-after-request"
    except Exception as e:  # noqa: BLE001
        out["http"] = describe(e)
        out["verdict_at"] = "after-request"
    out["ms"] = round((time.monotonic() - t0) * 1000)
    s.close()
    return out


def summary(r):
    for k in ("handshake", "first_read", "write", "http"):
        d = r.get(k)
        if d and d.get("kind") not in ("ok", "nothing", "skipped"):
            if d.get("kind") == "alert":
                return f"alert {d['alert']} {d['alert_name']} ({r['verdict_at']})"
            if "status_line" in d:
                return d["status_line"] or "connection closed after the request, no HTTP response (eof-after-request)"
            return f"{d['kind']} ({r['verdict_at']}) {d.get('detail', '')}".strip()
    return "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pki", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--versions", default="1.2,1.3")
    ap.add_argument("--write-first", action="store_true", help="write the request right after the handshake, then read")
    a = ap.parse_args()
    for version in a.versions.split(","):
        for case in a.cases.split(","):
            r = probe(a.host, a.port, a.pki, case, version, write_first=a.write_first)
            r["summary"] = summary(r)
            print(json.dumps(r) if a.json else f"TLS {version}  {case:8s} {r['summary']}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
