"""The probe: a real HTTPS request with httpx, without and with the client certificate.

One probe = one fresh httpx client: httpx pools connections by origin, and a pooled
connection made for one SNI name would silently serve another. The whole probe has
one deadline (`--timeout`); the two attempts run one after the other inside it.

The server certificate is verified the way curl does (OpenSSL, CA file or the system
store, host name with the CN fallback). When that fails we say so, then repeat the
attempt without verification so the user still learns what the server answers.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import os
import re
import secrets
import shutil
import socket
import ssl
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpcore
import httpx
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from mtls_tui import __version__
from mtls_tui.certs.certificate_request import CERTIFICATE_REQUEST, acceptable_ca_names
from mtls_tui.certs.facts import cert_facts
from mtls_tui.certs.issue import FAKE_CERT_CN
from mtls_tui.certs.openssl_binding import X509_V_ERR_HOSTNAME_MISMATCH, name_rfc2253
from mtls_tui.diagnose.alerts import Alert, alert, alert_from_reason, tls_version_label
from mtls_tui.diagnose.certificates import sibling_file
from mtls_tui.diagnose.reproduce import Target, curl_command, openssl_command, parse_target, sent_host
from mtls_tui.errors import InputError
from mtls_tui.model import ProbeFailure, ProbeFailureKind, ProbeFailureWhen, ProbeResult, ProbeSpec, ProbeTimings
from mtls_tui.sources.files import read_material

ECHO_LINE = re.compile(r"^\s*(ssl-client-[a-z-]+)=(.*?)\s*$", re.M)
NOT_TLS_REASONS = {
    "WRONG_VERSION_NUMBER",
    "PACKET_LENGTH_TOO_LONG",
    "RECORD_LAYER_FAILURE",
    "HTTP_REQUEST",
    "UNKNOWN_PROTOCOL",
}
LABELS = {False: "without client certificate", True: "with client certificate"}
# TLS 1.3: how long the probe reads for the server's verdict before it writes, at most: three
# handshakes' time (the verdict is one round trip after the client's Finished), within these bounds.
# A server that accepted the certificate says so sooner, with a NewSessionTicket.
FIRST_READ_FLOOR, FIRST_READ_CAP = 0.25, 2.0
NEW_SESSION_TICKET = 4  # HandshakeType new_session_ticket (RFC 8446 §4.6.1)


@dataclass(frozen=True)
class ClientIdentity:
    """The client chain and key as PEM, loaded once through our own loaders."""

    chain_pem: bytes
    key_pem: bytes


def load_identity(spec: ProbeSpec) -> ClientIdentity | None:
    """Read --cert/--key in any format `inspect` reads. Raises InputError."""
    if not spec.cert:
        if spec.key:
            raise InputError("--key", "given without --cert")
        return None

    material = read_material(spec.cert, "cert", spec.passphrase)
    keys = material.keys
    # the key rule of check and inspect: the key in the certificate's file, else mine.key beside mine.crt
    beside = sibling_file(spec.cert, ".key")
    key_file = spec.key or (beside if not keys and os.path.isfile(beside) else None)
    if key_file:
        keys = read_material(key_file, "key", spec.passphrase).keys
    if not material.certs:
        raise InputError(spec.cert, "holds no certificate")
    if not keys:
        where = "" if key_file else f" and no {beside} is beside it"
        raise InputError(key_file or spec.cert, f"holds no private key{where} (give --key)")
    chain = b"".join(c.cert.public_bytes(serialization.Encoding.PEM) for c in material.certs)
    key = keys[0].key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return ClientIdentity(chain, key)


def _load_ca(context: ssl.SSLContext, spec: ProbeSpec) -> None:
    try:
        if spec.cacert:
            context.load_verify_locations(cafile=spec.cacert)
        else:
            context.load_default_certs()
    except (ssl.SSLError, OSError) as exc:
        raise InputError(
            spec.cacert or "system CA store", f"cannot be used as a CA file ({exc.strerror or exc})"
        ) from None


def check_cacert(spec: ProbeSpec) -> None:
    """A --cacert that cannot be read is an error even with -k (curl: error 77). Raises InputError."""
    if spec.cacert:
        _load_ca(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), spec)


def _context(spec: ProbeSpec, identity: ClientIdentity | None, verify: bool) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if verify:
        _load_ca(context, spec)
        context.check_hostname = not spec.no_sni  # without SNI only the chain is checked, not the name
        context.hostname_checks_common_name = True  # curl/OpenSSL fall back to the CN without SAN
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if identity is not None:
        _load_identity(context, identity, spec)
    return context


def _load_identity(context: ssl.SSLContext, identity: ClientIdentity, spec: ProbeSpec) -> None:
    """ssl only loads files: a private folder, mode 0600, gone before the handshake."""
    folder = Path(tempfile.mkdtemp(prefix="mtls-tui-probe-"))
    try:
        chain, key = folder / "chain.pem", folder / "key.pem"
        for path, data in ((chain, identity.chain_pem), (key, identity.key_pem)):
            with open(path, "wb", opener=lambda p, f: os.open(p, f, 0o600)) as handle:
                handle.write(data)
        context.load_cert_chain(chain, key)
    except ssl.SSLError as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        if "KEY_VALUES_MISMATCH" in str(reason):
            raise InputError(
                spec.key or spec.cert or "--key", f"the private key does not belong to {spec.cert}"
            ) from None
        raise InputError(spec.cert or "--cert", f"OpenSSL refused the client certificate or key ({reason})") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _exception_chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _alert_failure(found: Alert, reason: str, when: ProbeFailureWhen, version: str | None) -> ProbeFailure:
    number = f"{found.number} " if found.number >= 0 else ""
    where = {
        "handshake": "in the TLS handshake",
        "first read": "on the first read after the TLS handshake, before the request",
        "after the request": "after the request was sent",
    }[when]
    return ProbeFailure(
        "tls-alert",
        f"the server sent TLS alert {number}{found.name} {where} ({tls_version_label(version)}; {reason})",
        found.name,
        found.number if found.number >= 0 else None,
        when,
    )


def classify_exception(
    exc: BaseException,
    target: Target,
    tls_done: bool,
    alert_seen: int | None = None,
    when: ProbeFailureWhen | None = None,
    version: str | None = None,
) -> ProbeFailure:
    """Name the failure the way a person would: DNS, refused, timeout, an alert, not TLS.
    `alert_seen`: the alert number read off the wire (the TLS message callback), when it saw one;
    `when`: when the failure came, when the caller knows better than `tls_done`."""
    when = when or ("after the request" if tls_done else "handshake")
    chain = _exception_chain(exc)
    for item in chain:
        if isinstance(item, socket.gaierror):
            return ProbeFailure("dns", f"cannot resolve {target.address}: {item.strerror or item}")
        if isinstance(item, ssl.SSLCertVerificationError):
            kind: ProbeFailureKind = (
                "server-cert-hostname-mismatch"
                if item.verify_code == X509_V_ERR_HOSTNAME_MISMATCH
                else "server-cert-untrusted"
            )
            return ProbeFailure(kind, f"server certificate verify failed: {item.verify_message} ({item.verify_code})")
        if isinstance(item, ConnectionRefusedError):
            return ProbeFailure("refused", f"connection refused by {target.connect_to} (nothing listens there)")
        if isinstance(item, ssl.SSLError):
            reason = getattr(item, "reason", None) or ""
            found = alert(alert_seen) if alert_seen is not None else alert_from_reason(reason)
            if found is not None:
                return _alert_failure(found, reason or str(item), when, version)
            if reason in NOT_TLS_REASONS:
                return ProbeFailure(
                    "not-tls",
                    f"{target.connect_to} does not speak TLS ({reason.lower().replace('_', ' ')}): a plain HTTP port?",
                )
            if isinstance(item, ssl.SSLEOFError) or "EOF" in reason:
                return ProbeFailure(
                    "closed", f"the server closed the connection {_WHEN_TEXT[when]}, with no TLS alert", when=when
                )
            return ProbeFailure("tls-error", f"TLS handshake failed: {reason or item}", when=when)
        if isinstance(item, (ConnectionResetError, BrokenPipeError)):
            return ProbeFailure("closed", f"the server reset the connection {_WHEN_TEXT[when]}", when=when)
        if isinstance(item, OSError) and item.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return ProbeFailure("unreachable", f"{target.connect_to} is unreachable ({item.strerror})")
        if isinstance(item, (httpx.RemoteProtocolError, httpcore.RemoteProtocolError)):
            if alert_seen is not None:  # the alert was read, OpenSSL's error is gone: the wire says which
                return _alert_failure(alert(alert_seen), "read off the wire", when, version)
            detail = "without an HTTP answer" if tls_done else ""
            return ProbeFailure(
                "closed",
                f"the server closed the connection {_WHEN_TEXT[when]}{', ' + detail if detail else ''} ({item})",
                when=when,
            )
    if alert_seen is not None:
        return _alert_failure(alert(alert_seen), f"{type(exc).__name__}: {exc}", when, version)
    return ProbeFailure("tls-error" if not tls_done else "closed", f"{type(exc).__name__}: {exc}", when=when)


_WHEN_TEXT: dict[ProbeFailureWhen, str] = {
    "handshake": "during the TLS handshake",
    "first read": "on the first read after the TLS handshake, before the request",
    "after the request": "after the handshake",
}


class _Marks:
    """Trace events → timings. httpx calls `__call__` with names like
    `connection.start_tls.complete` and `http11.receive_response_headers.started`."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.times: dict[str, float] = {}

    def restart(self) -> None:
        self.start = time.perf_counter()

    async def __call__(self, name: str, info: dict[str, Any]) -> None:
        phase = name.split(".", 1)[1] if "." in name else name
        self.times.setdefault(phase, time.perf_counter())

    def _ms(self, a: str, b: str) -> float | None:
        if a in self.times and b in self.times:
            return round((self.times[b] - self.times[a]) * 1000, 2)
        return None

    @property
    def tls_done(self) -> bool:
        return "start_tls.complete" in self.times

    @property
    def phase(self) -> str:
        if "connect_tcp.complete" not in self.times:
            return "the TCP connection"
        if not self.tls_done:
            return "the TLS handshake"
        return "the answer"

    def timings(self, end: float | None, waited: float | None = None) -> ProbeTimings:
        """`waited`: seconds of the probe's own read for a TLS 1.3 verdict before it wrote, whatever
        ended it (a ticket, an alert, a close, nothing in time): its own timing, and left out of
        first byte and total (curl writes at once and does not wait: they time the server, as
        curl's do). The TLS timing is the client's handshake alone, which ends before that read."""
        first = self.times.get("receive_response_headers.complete")
        idle = waited or 0.0
        return ProbeTimings(
            connect=self._ms("connect_tcp.started", "connect_tcp.complete"),
            tls=self._ms("start_tls.started", "start_tls.complete"),
            first_byte=round((first - self.start - idle) * 1000, 2) if first else None,
            total=round((end - self.start - idle) * 1000, 2) if end else None,
            verdict=round(waited * 1000, 2) if waited is not None else None,
        )


def _base(spec: ProbeSpec, target: Target, with_cert: bool, agent: str, verify: bool) -> dict[str, Any]:
    """What every result records, whatever happens next."""
    return dict(
        label=LABELS[with_cert],
        url=spec.url,
        connect_to=target.connect_to,
        sni=target.sni,
        host_header=sent_host(spec, target),
        sent_client_cert=with_cert,
        user_agent=agent,
        verified_server=verify,
        cert_file=spec.cert if with_cert else None,
        curl=curl_command(spec, with_cert, target),
        openssl=openssl_command(spec, target, with_cert),
    )


async def _attempt(
    spec: ProbeSpec, target: Target, identity: ClientIdentity | None, verify: bool, agent: str, deadline: float
) -> ProbeResult:
    base = _base(spec, target, identity is not None, agent, verify)
    context = _context(spec, identity, verify)
    requests = _watch_certificate_requests(context)
    first = _FirstRead(requests, deadline)
    marks = _Marks()
    headers = {"Host": base["host_header"], "User-Agent": agent}
    headers.update((name, value) for name, value in spec.headers if name.lower() != "host")
    remaining = max(deadline - asyncio.get_running_loop().time(), 0.001)

    async def exchange() -> tuple[httpx.Response, bytes, bool, ssl.SSLObject | None]:
        async with _client(context, spec, remaining, first) as client:
            request = client.build_request(
                "GET",
                target.request_url,
                headers=headers,
                extensions={"sni_hostname": target.sni or target.address, "trace": marks},
            )
            marks.restart()  # count from the request, as curl's time_total does, not from client set-up
            response = await client.send(request, stream=True)
            try:
                body, truncated = await _read_body(response, spec.body_limit)
                return response, body, truncated, response.extensions["network_stream"].get_extra_info("ssl_object")
            finally:
                await response.aclose()

    try:
        response, body, truncated, ssl_object = await asyncio.wait_for(exchange(), remaining)
        end = time.perf_counter()
    except (TimeoutError, httpx.TimeoutException):
        return ProbeResult(
            **base,
            timings=marks.timings(None, first.waited),
            failure=ProbeFailure(
                "timeout", f"no progress within the probe's {spec.timeout:g}s while waiting for {marks.phase}"
            ),
            tls_version=requests.version,
            first_read=first.outcome,
            **requests.evidence(marks.tls_done),
        )
    except (httpx.HTTPError, OSError, ssl.SSLError) as exc:
        when: ProbeFailureWhen = (
            "first read"
            if first.error is not None or first.eof
            else "after the request"
            if marks.tls_done
            else "handshake"
        )
        failure = classify_exception(first.error or exc, target, marks.tls_done, requests.alert, when, requests.version)
        if first.eof and failure.kind != "tls-alert":
            failure = ProbeFailure(
                "closed",
                "the server closed the connection on the first read after the TLS handshake, "
                "before the request, with no TLS alert",
                when="first read",
            )
        return ProbeResult(
            **base,
            timings=marks.timings(None, first.waited),
            failure=failure,
            tls_version=requests.version,
            first_read=first.outcome,
            **requests.evidence(marks.tls_done),
        )
    peer = ssl_object.getpeercert(binary_form=True) if ssl_object else None
    facts = cert_facts(x509.load_der_x509_certificate(peer)) if peer else None
    cipher = ssl_object.cipher() if ssl_object else None
    text = body.decode("utf-8", "replace")
    return ProbeResult(
        **base,
        timings=marks.timings(end, first.waited),
        tls_version=ssl_object.version() if ssl_object else None,
        cipher=cipher[0] if cipher else None,
        alpn=ssl_object.selected_alpn_protocol() if ssl_object else None,
        http_version=response.http_version,
        server_cert=facts,
        fake_certificate=bool(facts and facts.subject_cn == FAKE_CERT_CN),
        status=response.status_code,
        headers=tuple(response.headers.items()),
        body=text,
        body_truncated=truncated,
        echo=tuple((m.group(1), m.group(2)) for m in ECHO_LINE.finditer(text)),
        first_read=first.outcome,
        **requests.evidence(True),
    )


class _CertificateRequests:
    """What one handshake showed, seen through CPython's TLS message callback
    (`SSLContext._msg_callback`, the hook behind `openssl s_client -msg`): the
    CertificateRequest messages, the TLS version of the server's messages, the alerts it sent."""

    def __init__(self, available: bool) -> None:
        self.available = available
        self.names: list[tuple[bytes, ...]] = []
        self.version: str | None = None
        self.alerts: list[int] = []
        self.ticket = asyncio.Event()  # TLS 1.3: the server finished its side of the handshake

    def __call__(
        self, conn: object, direction: str, version: object, content_type: object, msg_type: object, data: bytes
    ) -> None:
        handshake = ssl._TLSContentType.HANDSHAKE  # type: ignore[attr-defined]  # private: what _msg_callback reports
        if direction != "read":
            return
        if content_type == handshake:
            if isinstance(version, ssl.TLSVersion) and version >= ssl.TLSVersion.TLSv1_2:
                self.version = "TLSv1.3" if version == ssl.TLSVersion.TLSv1_3 else "TLSv1.2"
            if msg_type == CERTIFICATE_REQUEST:
                self.names.append(acceptable_ca_names(bytes(data), version == ssl.TLSVersion.TLSv1_3))
            elif msg_type == NEW_SESSION_TICKET:
                self.ticket.set()
        elif content_type == ssl._TLSContentType.ALERT and len(data) >= 2:  # type: ignore[attr-defined]
            self.alerts.append(data[1])  # level, description

    @property
    def alert(self) -> int | None:
        """The first alert the server sent that is not close_notify (0)."""
        return next((number for number in self.alerts if number != 0), None)

    def evidence(self, handshake_done: bool) -> dict[str, Any]:
        if self.names:
            return {"cert_requested": True, "acceptable_cas": tuple(_dn(n) for n in self.names[0])}
        return {"cert_requested": False if handshake_done and self.available else None}


class _FirstRead:
    """TLS 1.3 sends the server's verdict on the client certificate after the client's handshake is
    done: an alert (116, 48, 45, 43, 42 …) or a closed connection. A client that writes at once races
    it (Envoy: the write fails with EOF in about half the runs and the alert is lost; measured,
    docs/successors.md section 7), so the probe reads first, a short while, before its first write."""

    def __init__(self, watcher: _CertificateRequests, deadline: float) -> None:
        self.watcher = watcher
        self.deadline = deadline
        self.handshake_seconds = 0.0
        self.outcome: str | None = None  # what the first read saw, for the result
        self.error: BaseException | None = None  # the first read's failure: the server's verdict
        self.eof = False
        self.waited: float | None = None  # seconds the first read waited, until what ended it

    def wanted(self, ssl_object: ssl.SSLObject | None) -> bool:
        """Only where a verdict on a client certificate can come: TLS 1.3, and the server asked for one."""
        if ssl_object is None or ssl_object.version() != "TLSv1.3":
            return False
        return bool(self.watcher.names) or not self.watcher.available

    def wait(self) -> float:
        remaining = self.deadline - asyncio.get_running_loop().time()
        return max(min(max(FIRST_READ_FLOOR, 3 * self.handshake_seconds), FIRST_READ_CAP, remaining - 0.05), 0.001)


class _ReadFirstStream(httpcore.AsyncNetworkStream):
    """httpcore's stream, with the first read before the first write (TLS 1.3, see _FirstRead);
    what that read returns (an HTTP/2 server's SETTINGS) is kept for httpcore's first read."""

    def __init__(self, inner: httpcore.AsyncNetworkStream, state: _FirstRead, tls: bool = False) -> None:
        self._inner = inner
        self._state = state
        self._checked = not tls
        self._pending = b""

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._pending:
            data, self._pending = self._pending[:max_bytes], self._pending[max_bytes:]
            return data
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not self._checked:
            self._checked = True
            await self._read_first()
        await self._inner.write(buffer, timeout)

    async def _read_first(self) -> None:
        if not self._state.wanted(self._inner.get_extra_info("ssl_object")):
            return
        wait = self._state.wait()
        started = time.perf_counter()
        read = asyncio.ensure_future(self._inner.read(65536, wait))
        ticket = asyncio.ensure_future(self._state.watcher.ticket.wait())
        try:
            await asyncio.wait((read, ticket), return_when=asyncio.FIRST_COMPLETED)
        finally:
            ticket.cancel()
            self._state.waited = time.perf_counter() - started
        if not read.done():  # the server sent a session ticket: it accepted the handshake, certificate and all
            read.cancel()
            await asyncio.gather(read, return_exceptions=True)
            self._state.outcome = (
                f"a session ticket after {self._state.waited * 1000:.0f} ms: the server accepted the handshake"
            )
            return
        try:
            data = read.result()
        except httpcore.ReadTimeout:
            self._state.outcome = (
                f"nothing within {wait * 1000:.0f} ms of the handshake: no verdict before the request "
                "(that wait is left out of first byte and total)"
            )
            return
        except (httpcore.ReadError, ssl.SSLError, OSError) as exc:
            self._state.error = exc
            self._state.outcome = f"the server's verdict: {type(exc).__name__} {exc}"
            raise httpcore.ReadError(
                "the server refused the connection on the first read after the TLS handshake"
            ) from exc
        if not data:
            self._state.eof = True
            self._state.outcome = "the server closed the connection (EOF) before the request"
            raise httpcore.ReadError("the server closed the connection on the first read after the TLS handshake")
        self._pending = data
        self._state.outcome = f"{len(data)} bytes before the request (kept for the answer)"

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        started = time.perf_counter()
        inner = await self._inner.start_tls(ssl_context, server_hostname, timeout)
        self._state.handshake_seconds = time.perf_counter() - started
        return _ReadFirstStream(inner, self._state, tls=True)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _ReadFirstBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, state: _FirstRead) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._state = state

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _ReadFirstStream(stream, self._state)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _client(context: ssl.SSLContext, spec: ProbeSpec, timeout: float, state: _FirstRead) -> httpx.AsyncClient:
    """httpx's client with the read-first stream under it (httpx names no network backend: set on its pool)."""
    transport = httpx.AsyncHTTPTransport(verify=context, http2=spec.http2, trust_env=False)
    transport._pool._network_backend = _ReadFirstBackend(state)
    return httpx.AsyncClient(transport=transport, trust_env=False, timeout=timeout)


def _dn(der: bytes) -> str:
    try:
        return name_rfc2253(der)
    except ValueError:
        return "(a name OpenSSL cannot print)"


def _watch_certificate_requests(context: ssl.SSLContext) -> _CertificateRequests:
    watcher = _CertificateRequests(available=hasattr(ssl, "_TLSContentType"))
    if watcher.available:
        context._msg_callback = watcher  # type: ignore[attr-defined]
    return watcher


async def _read_body(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True
    return b"".join(chunks), False


async def _attempt_with_fallback(
    spec: ProbeSpec, target: Target, identity: ClientIdentity | None, agent: str, deadline: float
) -> ProbeResult:
    """Verify like curl; if the server certificate fails, say why and look further with -k."""
    result = await _attempt(spec, target, identity, not spec.insecure, agent, deadline)
    if result.failure and result.failure.kind.startswith("server-cert-"):
        retry = await _attempt(spec, target, identity, False, agent, deadline)
        return replace(retry, server_verify_error=result.failure.message, server_verify_kind=result.failure.kind)
    return result


async def _by_address(target: Target) -> Target:
    """Without SNI the handshake must go to an address: Python's TLS names no server for an IP
    literal. A name that does not resolve is left for the attempt to report (dns)."""
    try:
        ipaddress.ip_address(target.address)
        return target
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(target.address, target.port, type=socket.SOCK_STREAM)
    except OSError:
        return target
    return replace(target, address=str(infos[0][4][0])) if infos else target


async def probe(spec: ProbeSpec) -> list[ProbeResult]:
    """Without the client certificate, and with it when one is given. Raises InputError."""
    target = parse_target(spec)
    if spec.no_sni:
        target = await _by_address(target)
    check_cacert(spec)
    identity = load_identity(spec)
    probe_id = spec.probe_id or secrets.token_hex(4)
    deadline = asyncio.get_running_loop().time() + spec.timeout
    attempts: list[tuple[ClientIdentity | None, str]] = [(None, f"mtls-tui/{__version__} probe/{probe_id}-0")]
    if identity is not None:
        attempts.append((identity, f"mtls-tui/{__version__} probe/{probe_id}-1"))
    # One after the other: run together, each attempt's timings would carry the other's CPU time.
    return [await _attempt_with_fallback(spec, target, ident, agent, deadline) for ident, agent in attempts]


def run_probe(spec: ProbeSpec) -> list[ProbeResult]:
    return asyncio.run(probe(spec))
