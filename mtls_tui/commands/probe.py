"""`mtls-tui probe URL`: the real handshake, without and with the client certificate."""

from __future__ import annotations

import argparse
from urllib.parse import urlsplit

from mtls_tui.commands import print_json, seconds
from mtls_tui.diagnose.probe import probe_findings
from mtls_tui.errors import InputError
from mtls_tui.model import ProbeSpec, Severity
from mtls_tui.report.console import print_probe, terminal_console
from mtls_tui.report.data import probe_dict
from mtls_tui.sources.files import passphrase
from mtls_tui.sources.probe import run_probe


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "probe",
        help="HTTPS request without and with the client certificate (curl's option names)",
        description="Probe URL twice, without and with the client certificate, and explain the difference.",
    )
    parser.add_argument("url", metavar="URL")
    parser.add_argument(
        "--resolve", metavar="HOST:PORT:ADDR", help="connect to ADDR, send SNI and Host of HOST (as curl)"
    )
    parser.add_argument(
        "--cert", metavar="FILE", help="client certificate (PEM, DER, PKCS#12; may hold the chain and key)"
    )
    parser.add_argument("--key", metavar="FILE", help="client private key")
    parser.add_argument("--cacert", metavar="FILE", help="CA to verify the server with (default: the system store)")
    parser.add_argument("-k", "--insecure", action="store_true", help="do not verify the server certificate")
    parser.add_argument(
        "--timeout", type=seconds, default=10.0, metavar="SECONDS", help="for the whole probe (default 10)"
    )
    parser.add_argument(
        "-H", "--header", action="append", default=[], metavar="'NAME: VALUE'", help="extra request header"
    )
    parser.add_argument("--http2", action="store_true", help="offer HTTP/2 (ALPN h2)")
    parser.add_argument(
        "--no-sni",
        action="store_true",
        help="send no TLS server name, as clients that connect by address do (openssl s_client -noservername)",
    )
    parser.add_argument(
        "--pass", dest="passphrase", metavar="PHRASE", help="pass phrase for the key or PKCS#12 (or env MTLS_TUI_PASS)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object with a findings list")
    parser.set_defaults(run=run)


def check_url(url: str) -> None:
    """An https URL the probe can send, or one line that says what is wrong with it
    (`https://[::1/` made urllib raise from deep inside the probe)."""
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise InputError(repr(url), "is not a URL: it holds spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InputError(url, f"is not a URL ({exc})") from None
    if port == 0:
        raise InputError(url, "has an invalid port (0)")


def _headers(values: list[str]) -> tuple[tuple[str, str], ...]:
    headers = []
    for value in values:
        name, sep, content = value.partition(":")
        if not sep or not name.strip():
            raise InputError("-H", f"{value!r} is not 'Name: value'")
        headers.append((name.strip(), content.strip()))
    return tuple(headers)


def run(args: argparse.Namespace) -> int:
    check_url(args.url)
    spec = ProbeSpec(
        url=args.url,
        resolve=args.resolve,
        cacert=args.cacert,
        cert=args.cert,
        key=args.key,
        passphrase=passphrase(args.passphrase),
        insecure=args.insecure,
        timeout=args.timeout,
        headers=_headers(args.header),
        http2=args.http2,
        no_sni=args.no_sni,
    )
    results = run_probe(spec)
    findings = probe_findings(results)
    if args.json:
        print_json(probe_dict(results, findings))
    else:
        print_probe(terminal_console(), results, findings)
    return 1 if any(f.severity is Severity.ERROR for f in findings) else 0
