"""The log core on real-looking controller lines: parsing, highlights, probe correlation, the view buffer."""

from __future__ import annotations

import random
import re
import time
from collections import deque
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mtls_tui.logs.buffer import LogBuffer
from mtls_tui.logs.classify import Highlight, classify, probe_id
from mtls_tui.logs.parse import parse_line
from mtls_tui.logs.records import AccessLine, KlogLine, LogRecord, NginxErrorLine
from mtls_tui.model import Severity

UTC = UTC
KUBELET = "2026-11-28T21:45:34.090212345Z "

ACCESS_V1 = (
    '10.0.0.1 - - [28/Nov/2026:21:45:34 +0000] "GET / HTTP/2.0" 400 237 "-" "curl/8.5.0" 39 0.000 '
    "[default-meow-svc-80] [] - - - - 3f1c1b9e7a0b4c5d8e9f"
)
VERIFY_ERROR = (
    "2026/11/28 21:45:34 [info] 31#31: *5 client SSL certificate verify error: "
    "(20:unable to get local issuer certificate) while reading client request headers, "
    'client: 10.0.0.1, server: meow.com, request: "GET / HTTP/1.1", host: "meow.com"'
)
NO_CERT = (
    "2026/11/28 21:45:35 [info] 31#31: *7 client sent no required SSL certificate while reading client "
    'request headers, client: 10.0.0.2, server: meow.com, request: "GET / HTTP/2.0", host: "meow.com:443"'
)


def klog(line: str) -> KlogLine:
    record = parse_line(line)
    assert record.kind == "klog", line
    assert isinstance(record.parsed, KlogLine)
    return record.parsed


def access(line: str) -> AccessLine:
    record = parse_line(line)
    assert record.kind == "access", line
    assert isinstance(record.parsed, AccessLine)
    return record.parsed


def highlight(line: str) -> Highlight:
    found = classify(parse_line(line))
    assert found is not None, line
    return found


# klog --------------------------------------------------------------------------------------------


def test_klog_structured_message() -> None:
    record = parse_line('I1128 21:45:34.090212       7 nginx.go:271] "Starting NGINX process"', "ctl-1", "controller")
    assert (record.pod, record.container, record.kind, record.severity) == ("ctl-1", "controller", "klog", "I")
    assert record.parsed == KlogLine("I", "1128", "21:45:34.090212", 7, "nginx.go:271", "Starting NGINX process", ())
    assert record.timestamp is None  # klog writes no year; only the kubelet prefix dates it


def test_klog_values_unquoted_with_spaces_and_escaped_quotes() -> None:
    line = klog(
        'E1128 21:45:34.090212       7 store.go:123] "Error obtaining X.509 certificate" '
        'err="secret \\"default/my-certs\\" contains no keypair or CA certificate" secretName="default/my-certs"'
    )
    assert line.message == "Error obtaining X.509 certificate"
    assert line.values == (
        ("err", 'secret "default/my-certs" contains no keypair or CA certificate'),
        ("secretName", "default/my-certs"),
    )
    assert line.value("secretName") == "default/my-certs"
    assert line.value("missing") is None


def test_klog_bare_values_escapes_and_repeated_keys() -> None:
    line = klog(
        'I0102 03:04:05.000006 1234567 status.go:299] "say \\"hi\\"\\tthen\\nbye \\u00e9\\x41" '
        'count=3 ratio=0.5 empty="" key=<nil> count=4 path="C:\\\\dir"'
    )
    assert line.thread_id == 1234567
    assert line.message == 'say "hi"\tthen\nbye \u00e9A'
    assert line.values == (
        ("count", "3"),
        ("ratio", "0.5"),
        ("empty", ""),
        ("key", "<nil>"),
        ("count", "4"),
        ("path", "C:\\dir"),
    )
    assert line.value("count") == "3"


def test_klog_unstructured_keeps_message_as_written() -> None:
    line = klog(
        "W0831 10:18:30.928989       7 backend_ssl.go:46] Error obtaining X.509 certificate: unexpected error "
        "creating SSL Cert: no valid PEM formatted block found"
    )
    assert line.severity == "W"
    assert line.source == "backend_ssl.go:46"
    assert line.message.endswith("no valid PEM formatted block found")
    assert line.values == ()


def test_klog_unstructured_message_with_key_like_text_is_not_split() -> None:
    line = klog('I1128 21:45:34.090212       7 x.go:1] a="b" c=d')
    assert (line.message, line.values) == ('a="b" c=d', ())


@pytest.mark.parametrize("letter", ["I", "W", "E", "F"])
def test_klog_severities(letter: str) -> None:
    assert parse_line(f'{letter}1128 21:45:34.090212       7 x.go:1] "m"').severity == letter


def test_klog_with_unterminated_quote_keeps_the_rest_as_message() -> None:
    line = klog('E1128 21:45:34.090212       7 x.go:1] "never closed err=x')
    assert line.message == '"never closed err=x'


# kubelet prefix ------------------------------------------------------------------------------------


def test_kubelet_prefix_gives_the_timestamp_and_is_kept_in_raw() -> None:
    raw = KUBELET + 'I1128 21:45:34.090212       7 nginx.go:271] "Starting NGINX process"'
    record = parse_line(raw, with_timestamp=True)
    assert record.raw == raw
    assert record.kind == "klog"
    assert record.timestamp == datetime(2026, 11, 28, 21, 45, 34, 90212, tzinfo=UTC)
    assert record.text == 'I1128 21:45:34.090212       7 nginx.go:271] "Starting NGINX process"'


def test_kubelet_prefix_wins_over_the_lines_own_time() -> None:
    record = parse_line(KUBELET.replace("21:45:34", "22:00:00") + ACCESS_V1, with_timestamp=True)
    assert record.timestamp == datetime(2026, 11, 28, 22, 0, 0, 90212, tzinfo=UTC)


def test_with_timestamp_but_no_prefix_keeps_the_line_whole() -> None:
    record = parse_line(ACCESS_V1, with_timestamp=True)
    assert record.kind == "access"
    assert record.text_start == 0
    assert record.timestamp == datetime(2026, 11, 28, 21, 45, 34, tzinfo=UTC)


def test_prefix_is_not_stripped_unless_asked() -> None:
    record = parse_line(KUBELET + "hello")
    assert (record.kind, record.timestamp, record.text) == ("other", None, KUBELET + "hello")


def test_trailing_newline_stays_in_raw_only() -> None:
    record = parse_line('I1128 21:45:34.090212       7 x.go:1] "done"\r\n')
    assert record.raw.endswith("\r\n")
    assert isinstance(record.parsed, KlogLine) and record.parsed.message == "done"
    assert record.text.endswith('"done"')


# nginx error log -----------------------------------------------------------------------------------


def test_nginx_verify_error_line() -> None:
    record = parse_line(VERIFY_ERROR)
    assert (record.kind, record.severity) == ("nginx-error", "I")
    assert record.timestamp == datetime(2026, 11, 28, 21, 45, 34, tzinfo=UTC)
    assert record.parsed == NginxErrorLine(
        "2026/11/28 21:45:34",
        "info",
        31,
        31,
        5,
        "client SSL certificate verify error: (20:unable to get local issuer certificate) while reading client "
        "request headers",
        "10.0.0.1",
        "meow.com",
        "GET / HTTP/1.1",
        "meow.com",
    )


def test_nginx_line_without_connection_or_context() -> None:
    record = parse_line("2026/11/28 21:45:34 [notice] 27#27: signal process started")
    assert isinstance(record.parsed, NginxErrorLine)
    assert record.parsed.connection is None
    assert record.parsed.message == "signal process started"
    assert (record.parsed.client, record.parsed.host) == (None, None)


def test_nginx_upstream_context_and_ipv6_client() -> None:
    record = parse_line(
        "2026/11/28 21:45:34 [error] 32#32: *9 upstream timed out (110: Operation timed out) while "
        'connecting to upstream, client: 2001:db8::1, server: meow.com, request: "GET /api HTTP/1.1", '
        'upstream: "http://10.1.2.3:8080/api", host: "meow.com"'
    )
    assert record.severity == "E"
    assert isinstance(record.parsed, NginxErrorLine)
    assert record.parsed.client == "2001:db8::1"
    assert record.parsed.host == "meow.com"


@pytest.mark.parametrize(
    ("level", "letter"),
    [("debug", "I"), ("notice", "I"), ("warn", "W"), ("error", "E"), ("crit", "F"), ("alert", "F"), ("emerg", "F")],
)
def test_nginx_levels(level: str, letter: str) -> None:
    assert parse_line(f"2026/11/28 21:45:34 [{level}] 1#1: something").severity == letter


def test_nginx_impossible_date_has_no_timestamp() -> None:
    record = parse_line("2026/13/45 21:45:34 [warn] 1#1: odd clock")
    assert (record.kind, record.timestamp) == ("nginx-error", None)


# access log ----------------------------------------------------------------------------------------


def test_access_v1_default_format() -> None:
    record = parse_line(ACCESS_V1)
    assert (record.kind, record.severity) == ("access", "W")
    line = record.parsed
    assert isinstance(line, AccessLine)
    assert (line.remote_addr, line.remote_user, line.time_local) == ("10.0.0.1", None, "28/Nov/2026:21:45:34 +0000")
    assert (line.method, line.path, line.protocol, line.request) == ("GET", "/", "HTTP/2.0", "GET / HTTP/2.0")
    assert (line.status, line.body_bytes, line.referer, line.user_agent) == (400, 237, None, "curl/8.5.0")
    assert (line.request_length, line.request_time) == (39, 0.0)
    assert (line.proxy_upstream_name, line.proxy_alternative_upstream_name) == ("default-meow-svc-80", None)
    assert (line.upstream_addr, line.upstream_response_length, line.upstream_response_time, line.upstream_status) == (
        None,
        None,
        None,
        None,
    )
    assert line.req_id == "3f1c1b9e7a0b4c5d8e9f"


def test_access_v1_upstream_lists_ipv6_user_and_offset() -> None:
    record = parse_line(
        '2001:db8::1 - bob [28/Nov/2026:21:45:34 -0130] "POST /x?y=1 HTTP/1.1" 502 150 "https://a.example/" '
        '"Mozilla/5.0 (X11; Linux x86_64)" 400 1.503 [default-meow-svc-80] [default-canary-80] '
        "10.1.2.3:8080, 10.1.2.4:8080 : 10.1.2.5:8080 0, 0 : 0 0.750, 0.751 : 0.002 502, 502 : 502 abc123"
    )
    line = record.parsed
    assert isinstance(line, AccessLine)
    assert record.severity == "E"
    assert record.timestamp == datetime(2026, 11, 28, 23, 15, 34, tzinfo=UTC)
    assert (line.remote_addr, line.remote_user, line.method) == ("2001:db8::1", "bob", "POST")
    assert line.referer == "https://a.example/"
    assert line.user_agent == "Mozilla/5.0 (X11; Linux x86_64)"
    assert line.proxy_alternative_upstream_name == "default-canary-80"
    assert line.upstream_addr == "10.1.2.3:8080, 10.1.2.4:8080 : 10.1.2.5:8080"
    assert line.upstream_response_length == "0, 0 : 0"
    assert line.upstream_response_time == "0.750, 0.751 : 0.002"
    assert line.upstream_status == "502, 502 : 502"
    assert line.req_id == "abc123"


def test_access_escaped_quotes_in_agent() -> None:
    json_escaped = access(
        '10.0.0.1 - - [28/Nov/2026:21:45:34 +0000] "GET / HTTP/1.1" 200 5 "-" "say \\"hi\\"" 10 0.001 '
        "[default-meow-svc-80] [] 10.1.2.3:8080 5 0.001 200 id1"
    )
    assert json_escaped.user_agent == 'say \\"hi\\"'
    nginx_escaped = access(
        '10.0.0.1 - - [28/Nov/2026:21:45:34 +0000] "GET / HTTP/1.1" 200 5 "-" "say \\x22hi\\x22" '
        "10 0.001 [default-meow-svc-80] [] 10.1.2.3:8080 5 0.001 200 id1"
    )
    assert nginx_escaped.user_agent == "say \\x22hi\\x22"


def test_access_malformed_request_and_dash_fields() -> None:
    line = access(
        '10.0.0.1 - - [28/Nov/2026:21:45:34 +0000] "\\x16\\x03\\x01\\x02\\x00" 400 150 "-" "-" 0 0.001 '
        "[] [] - - - - 9c4e"
    )
    assert (line.method, line.path, line.protocol) == (None, None, None)
    assert line.request == "\\x16\\x03\\x01\\x02\\x00"
    assert (line.user_agent, line.proxy_upstream_name) == (None, None)
    empty_request = access('10.0.0.1 - - [28/Nov/2026:21:45:34 +0000] "" 400 0 "-" "-" 0 0.000 [] [] - - - - 9c4f')
    assert (empty_request.request, empty_request.method, empty_request.body_bytes) == ("", None, 0)


@pytest.mark.parametrize(("status", "letter"), [(200, "I"), (302, "I"), (404, "W"), (499, "W"), (503, "E")])
def test_access_severity_from_status(status: int, letter: str) -> None:
    assert parse_line(ACCESS_V1.replace(" 400 237 ", f" {status} 237 ")).severity == letter


def test_access_0x_format_with_and_without_trailing_fields() -> None:
    line = access(
        'meow.com - [10.0.0.1] - - [28/Nov/2018:21:45:34 +0000] "GET / HTTP/1.1" 200 612 "-" '
        '"curl/7.58.0" 77 0.001 [default-meow-80] 10.1.2.3:80 612 0.001 200'
    )
    assert (line.remote_addr, line.status, line.proxy_upstream_name) == ("10.0.0.1", 200, "default-meow-80")
    assert (line.proxy_alternative_upstream_name, line.upstream_addr, line.req_id) == (None, "10.1.2.3:80", None)
    later = access(
        'meow.com - [10.0.0.1] - alice [28/Nov/2019:21:45:34 +0000] "GET / HTTP/1.1" 200 612 "-" '
        '"curl/7.58.0" 77 0.001 [default-meow-80] [] 10.1.2.3:80 612 0.001 200 5d41402abc4b2a76'
    )
    assert (later.remote_user, later.req_id) == ("alice", "5d41402abc4b2a76")


def test_access_combined_fallback() -> None:
    line = access(
        '192.168.1.9 - frank [10/Oct/2026:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326 '
        '"http://example.com/start.html" "Mozilla/4.08"'
    )
    assert (line.remote_user, line.status, line.body_bytes, line.referer) == (
        "frank",
        200,
        2326,
        "http://example.com/start.html",
    )
    assert (line.request_length, line.request_time, line.upstream_addr, line.req_id) == (None, None, None, None)
    custom = access('10.0.0.1 - - [28/Nov/2026:21:45:34 +0000] "GET / HTTP/1.1" 200 - "-" "curl/8" extra fields here')
    assert (custom.body_bytes, custom.user_agent) == (None, "curl/8")
    common = access('10.0.0.1 - - [28/Nov/2026:21:45:34 +0000] "GET / HTTP/1.1" 204 0')
    assert (common.status, common.user_agent) == (204, None)


# lines we do not understand --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "-------------------------------------------------------------------------------",
        "NGINX Ingress controller",
        "\tgoroutine 1 [running]:",
        "I1128 not a klog line",
        "Fatal: nothing here",
        "2026/11/28 21:45:34 no level",
        '10.0.0.1 - - [28/Nov/2026:21:45:34 +0000] "GET / HTTP/1.1',
        '{"level":"info","msg":"Patched hook(s)","time":"2023-05-14T07:51:58Z"}',
    ],
)
def test_unknown_lines_pass_through(raw: str) -> None:
    record = parse_line(raw, "pod", "c")
    assert record == LogRecord("pod", "c", None, raw, "other", None, None, 0)
    assert classify(record) is None


@settings(max_examples=400, deadline=None)
@given(st.text(), st.booleans())
def test_parse_line_never_raises_and_keeps_raw(raw: str, with_timestamp: bool) -> None:
    record = parse_line(raw, "pod", "c", with_timestamp=with_timestamp)
    assert record.raw == raw
    classify(record)
    probe_id(record)


LINE_HEADS = st.sampled_from(
    [
        "I1128 21:45:34.090212       7 x.go:1] ",
        'E1128 21:45:34.090212 7 x.go:1] "m" ',
        "2026/11/28 21:45:34 [info] 1#1: *3 ",
        "10.0.0.1 - - [28/Nov/2026:21:45:34 +0000] ",
        '1.2.3.4 - [1.2.3.4] - - [x] "GET / HTTP/1.1" 200 1 "-" "',
        KUBELET,
        "2026-13-99T99:99:99Z ",
    ]
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(LINE_HEADS, max_size=3).map("".join),
    st.text(alphabet=st.sampled_from(list('ab "\\=[]-,:/ 0123\n'))) | st.text(),
    st.booleans(),
)
def test_parse_line_never_raises_on_near_misses(head: str, tail: str, with_timestamp: bool) -> None:
    raw = head + tail
    record = parse_line(raw, with_timestamp=with_timestamp)
    assert record.raw == raw
    if isinstance(record.parsed, AccessLine):
        line = record.parsed
        _ = (
            line.status,
            line.body_bytes,
            line.request_length,
            line.request_time,
            line.method,
        )  # decoding must not raise
    classify(record)


SHAPE_HEADS = st.sampled_from(
    [
        "I1128 21:45:34.090212       7 x.go:1] ",
        "W0101 00:00:00.1 1 [s] ",
        "2026/11/28 21:45:34 [info] 1#1: *3 ",
        "10.0.0.1 - - [28/Nov/2026:21:45:34 +0000] ",
        'a b c [d] "e" 200 ',
        'h - [a] - u [t] "r" 404 - "x" "y" 1 0.1 [u] ',
        '"GET / HTTP/1.1" 503 ',
        KUBELET,
        "2026-13-99T99:99:99Z ",
        " ",
        "\t",
        "\\",
        '"',
        "]",
        "-",
        "\r\n",
        "\n",
    ]
)


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(SHAPE_HEADS, max_size=5).map("".join),
    st.text(alphabet=st.sampled_from(list('ab "\\=[]-,:/ 0123\n\r\t.#*'))) | st.text(),
    st.booleans(),
)
def test_what_the_parser_settles_first_agrees_with_the_whole_line(head: str, tail: str, with_timestamp: bool) -> None:
    """parse_line settles a line's kind, severity and time from as much of it as they need, and
    reads its fields only when asked: both readings must agree, as the whole-line formats say."""
    from mtls_tui.logs import parse

    record = parse_line(head + tail, "pod", "c", with_timestamp=with_timestamp)
    text = record.raw[record.text_start :].rstrip("\r\n")
    whole = {
        "klog": parse._KLOG.fullmatch(text),
        "nginx-error": parse._NGINX_ERROR.fullmatch(text),
        "access": parse._ACCESS_V1.match(text) or parse._ACCESS_V0.match(text) or parse._ACCESS_COMBINED.match(text),
    }
    parsed = record.parsed
    assert parsed is record.parsed  # read once
    if record.kind == "other":
        assert parsed is None and not any(whole.values())
        return
    assert whole[record.kind] is not None
    assert record == LogRecord(
        "pod", "c", record.timestamp, record.raw, record.kind, record.severity, parsed, record.text_start
    )
    own_time = record.text_start == 0  # no kubelet prefix taken: the time is the line's own
    if isinstance(parsed, AccessLine):
        assert record.kind == "access" and record.severity == (
            "E" if parsed.status >= 500 else "W" if parsed.status >= 400 else "I"
        )
        assert not own_time or record.timestamp == parse._access_time(parsed.time_local)
    elif isinstance(parsed, KlogLine):
        assert (record.kind, record.severity) == ("klog", parsed.severity)
    else:
        assert isinstance(parsed, NginxErrorLine) and record.kind == "nginx-error"
        assert not own_time or record.timestamp == parse._nginx_error_time(parsed.time)


ACCESS_HEAD = '10.0.0.1 - - [28/Nov/2026:21:45:34 +0000] "GET / HTTP/2.0" 400 237 "-" "c" 39 0.000 [a] [] '


@pytest.mark.parametrize(
    "raw",
    [
        'I1128 21:45:34.090212 7 x.go:1] "m"' + " " * 20_000 + "x",
        'I1128 21:45:34.090212 7 x.go:1] "m" k="' + "\\\\" * 10_000,
        ACCESS_HEAD + "a : " * 10_000,
        ACCESS_HEAD + "a, " * 10_000,
        "E1128 21:45:34.090212 7 x.go:1] local SSL certificate " + "a/" * 10_000 + "a x was not found",
        "I1128 21:45:34.090212 7 x.go:1] secret " + "a/" * 10_000 + "a x used in ingress annotations",
        "2026/11/28 21:45:34 [info] 1#1: x, client: " + ", client: " * 5_000,
    ],
)
def test_hostile_lines_cost_linear_time(raw: str) -> None:
    """A line is attacker-controlled text (a request path, a user agent): no regex may backtrack badly."""
    started = time.perf_counter()
    classify(parse_line(raw))
    assert time.perf_counter() - started < 0.25


# highlights ----------------------------------------------------------------------------------------


def test_secret_without_keypair_or_ca_structured() -> None:
    found = highlight(
        'E1128 21:45:34.090212       7 store.go:123] "Error obtaining X.509 certificate" '
        'err="secret \\"default/my-certs\\" contains no keypair or CA certificate" secretName="default/my-certs"'
    )
    assert (found.code, found.severity) == ("secret-missing-ca", Severity.ERROR)
    assert "default/my-certs" in found.title
    assert found.refs == ("default/my-certs",)


def test_secret_without_keypair_or_ca_unstructured() -> None:
    found = highlight(
        "W1128 21:45:34.090212       7 backend_ssl.go:47] Error obtaining X.509 certificate: "
        'secret "default/my-certs" contains no keypair or CA certificate'
    )
    assert (found.code, found.refs) == ("secret-missing-ca", ("default/my-certs",))


def test_unreadable_certificate() -> None:
    found = highlight(
        "W0831 10:18:30.928989       7 backend_ssl.go:46] Error obtaining X.509 certificate: unexpected "
        "error creating SSL Cert: no valid PEM formatted block found"
    )
    assert (found.code, found.severity) == ("input-unreadable", Severity.ERROR)
    assert "no valid PEM formatted block found" in found.title


def test_key_mismatch() -> None:
    found = highlight(
        "W0510 06:12:12.613491       7 backend_ssl.go:47] Error obtaining X.509 certificate: unexpected "
        "error creating SSL Cert: certificate and private key do not have a matching public key: tls: "
        "private key does not match public key"
    )
    assert found.code == "key-mismatch"


def test_secret_missing_from_store() -> None:
    found = highlight(
        "W0416 19:13:29.088408       7 backend_ssl.go:47] Error obtaining X.509 certificate: no object "
        'matching key "gitea/tls-secret" in local store'
    )
    assert (found.code, found.refs) == ("secret-not-found", ("gitea/tls-secret",))


def test_tls_secret_not_found_falls_back_to_fake_certificate() -> None:
    found = highlight(
        'W0416 19:13:29.051149       7 controller.go:1372] Error getting SSL certificate "gitea/tls-secret": '
        "local SSL certificate gitea/tls-secret was not found. Using default certificate"
    )
    assert (found.code, found.refs) == ("secret-not-found", ("gitea/tls-secret",))
    assert "fake certificate" in found.title


def test_auth_secret_not_found_in_annotation_error() -> None:
    found = highlight(
        'E1128 21:45:34.090212       7 annotations.go:216] "error reading Ingress annotation" '
        'err="location denied, reason: error obtaining certificate: local SSL certificate default/my-certs '
        'was not found" name="CertificateAuth" ingress="default/meow"'
    )
    assert (found.code, found.severity) == ("secret-not-found", Severity.ERROR)
    assert found.title == "Ingress default/meow: Secret default/my-certs not found"
    assert set(found.refs) == {"default/meow", "default/my-certs"}


def test_cross_namespace_secret() -> None:
    found = highlight(
        'E0330 16:50:27.053129       9 annotations.go:216] "error reading Ingress annotation" '
        'err="location denied, reason: cross namespace secrets are not supported" name="CertificateAuth" '
        'ingress="default/eumesmo"'
    )
    assert (found.code, found.refs) == ("annotation-cross-namespace", ("default/eumesmo",))
    assert found.title.startswith("Ingress default/eumesmo:")


def test_secret_not_namespace_slash_name() -> None:
    found = highlight(
        'E1128 21:45:34.090212       7 annotations.go:216] "error reading Ingress annotation" '
        "err=\"location denied, reason: invalid format (namespace/name) found in 'my-certs'\" "
        'name="CertificateAuth" ingress="default/meow"'
    )
    assert (found.code, found.refs) == ("annotation-secret-format", ("default/meow",))
    assert "'my-certs'" in found.title


def test_other_certificate_auth_error_legacy_wording() -> None:
    found = highlight(
        "E1128 21:45:34.090212       7 annotations.go:160] error reading CertificateAuth annotation in "
        "Ingress default/meow: location denied, reason: an empty string is not a valid secret name"
    )
    assert (found.code, found.refs) == ("annotation-invalid-value", ("default/meow",))
    assert (
        found.title == "Ingress default/meow: auth-tls annotations refused: an empty string is not a valid secret name"
    )


def test_annotation_errors_of_other_features_are_not_mtls() -> None:
    assert (
        classify(
            parse_line(
                'E1128 21:45:34.090212       7 annotations.go:216] "error reading Ingress annotation" '
                'err="location denied, reason: bad url" name="ExternalAuth" ingress="default/meow"'
            )
        )
        is None
    )


def test_host_already_configured_for_mutual_authentication() -> None:
    found = highlight(
        'I1128 21:45:34.090212       7 controller.go:1290] Server "meow.com" is already configured for '
        'mutual authentication (Ingress "default/meow-two")'
    )
    assert (found.code, found.severity) == ("mtls-host-conflict", Severity.WARNING)
    assert found.refs == ("default/meow-two", "meow.com")
    assert "meow.com" in found.title and "default/meow-two" in found.title


def test_host_conflict_structured_release_logs_the_key_as_value() -> None:
    found = highlight(
        'I1128 21:45:34.090212       7 controller.go:1290] "Server already configured for mutual '
        'authentication" hostname="hostname" ingress="default/meow-two"'
    )
    assert found.code == "mtls-host-conflict"
    assert found.refs == ("default/meow-two",)


def test_secret_without_ca_crt_key() -> None:
    found = highlight(
        "I1128 21:45:34.090212       7 controller.go:1285] Secret \"default/my-certs\" has no 'ca.crt' key, "
        'mutual authentication disabled for Ingress "default/meow"'
    )
    assert (found.code, found.severity) == ("secret-missing-ca", Severity.ERROR)
    assert found.refs == ("default/my-certs", "default/meow")
    assert (
        found.title
        == "Secret default/my-certs has no ca.crt key: mutual authentication disabled for Ingress default/meow"
    )


def test_proxy_ssl_secret_without_ca_is_not_client_mtls() -> None:
    assert (
        classify(
            parse_line(
                "I1128 21:45:34.090212       7 controller.go:1300] Secret \"default/up\" has no 'ca.crt' "
                'key, client cert authentication disabled for Ingress "default/meow"'
            )
        )
        is None
    )


@pytest.mark.parametrize(
    ("line", "verb"),
    [
        (
            'I0514 08:19:30.110926       9 store.go:619] "secret was updated and it is used in ingress annotations. Parsing" '
            'secret="tenant-1/pki-tls"',
            "updated",
        ),
        (
            "I0514 08:19:30.110926       9 store.go:600] secret tenant-1/pki-tls was added and it is used in ingress "
            "annotations. Parsing...",
            "added",
        ),
    ],
)
def test_secret_update_is_information(line: str, verb: str) -> None:
    found = highlight(line)
    assert (found.code, found.severity, found.refs) == ("secret-updated", Severity.INFO, ("tenant-1/pki-tls",))
    assert f"Secret tenant-1/pki-tls {verb}" in found.title


def test_nginx_verify_error_keeps_openssl_code_and_reason() -> None:
    found = highlight(VERIFY_ERROR)
    assert (found.code, found.severity, found.refs) == ("probe-cert-rejected", Severity.ERROR, ("meow.com",))
    assert "(20:unable to get local issuer certificate)" in found.title


def test_nginx_no_client_certificate() -> None:
    found = highlight(NO_CERT)
    assert (found.code, found.refs) == ("probe-no-client-cert", ("meow.com",))
    assert "10.0.0.2" in found.title


def test_nginx_addresses_are_not_host_names() -> None:
    found = highlight(
        VERIFY_ERROR.replace("server: meow.com", "server: 0.0.0.0:443").replace('host: "meow.com"', 'host: "10.0.0.9"')
    )
    assert found.refs == ()


def test_routine_lines_are_not_highlighted() -> None:
    for line in (
        'I1128 21:45:34.090212       7 main.go:107] "successfully validated configuration, accepting" '
        'ingress="default/meow"',
        'I0514 08:19:30.113988       9 backend_ssl.go:59] "Updating secret in local store" name="tenant-1/pki-tls"',
        "2026/11/28 21:45:34 [notice] 27#27: signal process started",
        ACCESS_V1,
    ):
        assert classify(parse_line(line)) is None, line


# probe correlation ---------------------------------------------------------------------------------


def probe_access(status: int, agent: str = "mtls-tui/0.1.0 probe/ab12cd34-1") -> LogRecord:
    return parse_line(
        f'10.0.0.1 - - [28/Nov/2026:21:45:34 +0000] "GET / HTTP/2.0" {status} 237 "-" "{agent}" 39 '
        "0.000 [default-meow-svc-80] [] - - - - 3f1c1b9e7a0b4c5d8e9f"
    )


def test_probe_id_from_user_agent() -> None:
    assert probe_id(probe_access(400)) == "ab12cd34-1"
    assert probe_id(probe_access(200, "curl/8.5.0")) is None
    assert probe_id(probe_access(200, "other-tool/1 probe/xyz")) is None
    assert probe_id(parse_line('I1128 21:45:34.090212       7 x.go:1] "mtls-tui/0.1.0 probe/ab12cd34-1"')) is None


@pytest.mark.parametrize(
    ("status", "code", "severity"),
    [
        (400, "probe-request", Severity.WARNING),
        (495, "probe-cert-rejected", Severity.WARNING),
        (496, "probe-no-client-cert", Severity.WARNING),
        (421, "probe-misdirected", Severity.WARNING),
        (200, "probe-request", Severity.INFO),
        (502, "probe-request", Severity.ERROR),
    ],
)
def test_probe_access_lines(status: int, code: str, severity: Severity) -> None:
    found = classify(probe_access(status))
    assert found is not None
    assert (found.code, found.severity) == (code, severity)
    assert found.title.startswith(f"Probe ab12cd34-1: GET / HTTP/2.0 answered {status}")


def test_access_lines_without_the_probe_agent_are_undecidable() -> None:
    for status in (400, 495, 496):
        assert classify(probe_access(status, "curl/8.5.0")) is None


# buffer ---------------------------------------------------------------------------------------------


def record(n: int, pod: str = "ctl-a", letter: str = "I") -> LogRecord:
    return parse_line(f'{letter}1128 21:45:34.{n:06d}       7 x.go:1] "line {n}"', pod, "controller")


def numbers(records: list[LogRecord]) -> list[int]:
    return [int(r.raw.split("line ")[1].rstrip('"')) for r in records]


def test_buffer_is_bounded_and_counts_what_it_drops() -> None:
    buffer = LogBuffer(3)
    buffer.extend(record(n) for n in range(5))
    assert (len(buffer), buffer.capacity, buffer.dropped) == (3, 3, 2)
    assert numbers(buffer.snapshot()) == [2, 3, 4]


def test_buffer_says_which_records_joined_the_view() -> None:
    buffer = LogBuffer(10)
    buffer.set_filter(min_severity="W")
    assert buffer.append(record(1, letter="E")) is True
    assert buffer.append(record(2)) is False
    assert buffer.extend([record(3, letter="W"), record(4), record(5, letter="F")]) == 2
    buffer.pause()
    assert buffer.append(record(6, letter="E")) is False  # kept, but the frozen view does not change
    buffer.resume()
    assert numbers(buffer.snapshot()) == [1, 3, 5, 6]


def test_buffer_rejects_empty_capacity() -> None:
    with pytest.raises(ValueError):
        LogBuffer(0)


def test_buffer_filters_regex_inverted_severity_and_pods() -> None:
    buffer = LogBuffer(100)
    buffer.extend(
        [record(1), record(2, "ctl-b", "W"), record(3, letter="E"), parse_line("banner", "ctl-a"), record(11, "ctl-b")]
    )
    buffer.set_filter(r"line 1\b|line 11")
    assert numbers(buffer.snapshot()) == [1, 11]
    buffer.set_filter(re.compile("line 1"), invert=True)
    assert [r.raw for r in buffer.snapshot()][-1] == "banner"
    assert len(buffer.snapshot()) == 3
    buffer.set_filter(min_severity="W")
    assert numbers(buffer.snapshot()) == [2, 3]
    buffer.set_filter(pods={"ctl-b"})
    assert numbers(buffer.snapshot()) == [2, 11]
    buffer.set_filter(pods="ctl-b")
    assert numbers(buffer.snapshot()) == [2, 11]
    buffer.set_filter(pods={"ctl-a"}, min_severity="E")
    assert numbers(buffer.snapshot()) == [3]
    buffer.set_filter()
    assert len(buffer.snapshot()) == 5
    with pytest.raises(re.error):
        buffer.set_filter("(unclosed")


def test_buffer_view_stays_equal_to_filtering_the_ring() -> None:
    rng = random.Random(5)
    buffer = LogBuffer(50)
    ring: deque[LogRecord] = deque(maxlen=50)
    buffer.set_filter('line [0-9]*[05]"', min_severity="W")
    for n in range(2000):
        item = record(n, rng.choice(["a", "b"]), rng.choice("IWEF"))
        buffer.append(item)
        ring.append(item)
        if n % 97 == 0:
            expected = [r for r in ring if r.severity != "I" and re.search('line [0-9]*[05]"', r.raw)]
            assert buffer.snapshot() == expected
    assert buffer.dropped == 1950


def test_buffer_pause_freezes_the_view_but_not_the_ring() -> None:
    buffer = LogBuffer(5)
    buffer.extend(record(n) for n in range(3))
    buffer.pause()
    assert buffer.paused
    buffer.extend(record(n) for n in range(3, 10))
    assert numbers(buffer.snapshot()) == [0, 1, 2]
    assert (buffer.pending, buffer.dropped, len(buffer)) == (7, 5, 5)
    buffer.set_filter("line [02]")
    assert numbers(buffer.snapshot()) == [0, 2]
    buffer.resume()
    assert not buffer.paused
    assert buffer.pending == 0
    assert numbers(buffer.snapshot()) == []
    buffer.set_filter()
    assert numbers(buffer.snapshot()) == [5, 6, 7, 8, 9]


def test_buffer_snapshot_is_a_copy() -> None:
    buffer = LogBuffer(5)
    buffer.append(record(1))
    buffer.snapshot().clear()
    assert len(buffer.snapshot()) == 1


def test_records_are_frozen() -> None:
    parsed = parse_line(ACCESS_V1)
    with pytest.raises(AttributeError):
        parsed.raw = "x"  # type: ignore[misc]
    assert parse_line(ACCESS_V1) == parsed
    assert hash(parse_line(ACCESS_V1)) == hash(parsed)


def test_every_timestamp_is_aware_so_pods_merge_in_order() -> None:
    lines = [
        (KUBELET + ACCESS_V1, True),
        (ACCESS_V1, False),
        (VERIFY_ERROR, False),
        (ACCESS_V1.replace("+0000", "+0200"), False),
    ]
    stamps = [parse_line(raw, with_timestamp=flag).timestamp for raw, flag in lines]
    assert all(stamp is not None and stamp.utcoffset() is not None for stamp in stamps)
    assert stamps[3] == stamps[1] - timedelta(hours=2)


def test_kubelet_time_without_python_311_parsing() -> None:
    """The path Python 3.10 takes: `Z` and nine fraction digits normalised first."""
    from mtls_tui.logs.parse import _normalised_time

    assert _normalised_time("2026-11-28T21:45:34.090212345Z") == datetime(2026, 11, 28, 21, 45, 34, 90212, tzinfo=UTC)
    assert _normalised_time("2026-11-28T21:45:34.09Z") == datetime(2026, 11, 28, 21, 45, 34, 90000, tzinfo=UTC)
    assert _normalised_time("not a time") is None


# A line's verdict is remembered by the part of it that decides it (classify.py): a line
# that differs only in what is left out must get the verdict it would get on its own.

_PHRASES = st.sampled_from(
    [
        "Error obtaining X.509 certificate: ",
        'secret "default/my-certs" contains no keypair or CA certificate',
        "cross namespace secrets are not supported",
        "invalid format (namespace/name) found in 'x'",
        "local SSL certificate default/x was not found",
        "already configured for mutual authentication",
        "has no 'ca.crt' key",
        "error reading CertificateAuth annotation in Ingress default/a:",
        "used in ingress annotations",
        "error reading x: y",
        "client SSL certificate verify error: (20:unable to get local issuer certificate)",
        "client sent no required SSL certificate",
        ', client: 10.0.0.1, server: meow.com, request: "GET / HTTP/1.1", host: "meow.com"',
        ' ingress="default/meow" secret="default/ca" hostname="meow.com"',
        '"',
        " ",
    ]
)
_TAILS = st.lists(_PHRASES | st.text(alphabet=st.sampled_from(list('ab "\\=/:,*.0123 '))), max_size=6).map("".join)
_KLOG_HEAD = st.builds(
    "{}{:02d}{:02d} {:02d}:{:02d}:{:02d}.{}".format,
    st.sampled_from("IWEF"),
    st.integers(1, 12),
    st.integers(1, 28),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 59),
    st.sampled_from(["090212", "1", "000000001"]),
)
_NGINX_HEAD = st.builds(
    "2026/11/{:02d} 21:45:{:02d} [{}] 31#31: {}".format,
    st.integers(1, 28),
    st.integers(0, 59),
    st.sampled_from(["info", "error", "secret", "warn"]),
    st.sampled_from(["", "*5 ", "*123456 ", "*x "]),
)


_SOURCES = st.sampled_from(["       7 backend_ssl.go:47] ", " 1 CertificateAuth.go:9] ", " 12 x.go:1]", "  7 x.go:1] "])


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(["klog", "nginx"]),
    st.tuples(_KLOG_HEAD, _KLOG_HEAD),
    st.tuples(_NGINX_HEAD, _NGINX_HEAD),
    st.tuples(_SOURCES, _SOURCES),
    _TAILS,
    st.none() | st.tuples(st.integers(0, 300), st.integers(0, 3), _PHRASES),  # how the second tail differs
    st.booleans(),
)
def test_remembered_verdict_is_the_lines_own(
    kind: str,
    klog_heads: tuple[str, str],
    nginx_heads: tuple[str, str],
    sources: tuple[str, str],
    tail: str,
    edit: tuple[int, int, str] | None,
    stamped: bool,
) -> None:
    from mtls_tui.logs import classify as module

    tails = (tail, tail if edit is None else tail[: edit[0]] + edit[2] + tail[edit[0] + edit[1] :])
    prefix = KUBELET if stamped else ""
    if kind == "klog":
        first, second = (prefix + h + s + t for h, s, t in zip(klog_heads, sources, tails, strict=True))
    else:
        first, second = (prefix + h + t for h, t in zip(nginx_heads, tails, strict=True))

    def fresh(line: str) -> Highlight | None:
        module._klog_seen.clear()
        module._nginx_seen.clear()
        return classify(parse_line(line, with_timestamp=stamped))

    alone = fresh(second)
    fresh(first)  # remembered first
    assert classify(parse_line(second, with_timestamp=stamped)) == alone


def test_repeated_complaint_shares_its_verdict_and_the_memory_stays_bounded() -> None:
    from mtls_tui.logs import classify as module

    lines = [
        f'W1128 21:45:{i % 60:02d}.{i:06d}       7 backend_ssl.go:47] Error obtaining X.509 certificate: secret "ns-{i % 3}/ca" '
        "contains no keypair or CA certificate"
        for i in range(9)
    ]
    verdicts = [classify(parse_line(line)) for line in lines]
    assert [v.title if v else None for v in verdicts[:3]] == [
        f"Secret ns-{i}/ca has none of ca.crt, tls.crt, tls.key: the controller cannot use it" for i in range(3)
    ]
    assert verdicts[3:] == verdicts[:3] * 2  # a repeat from another second: the same verdict
    for i in range(module._SEEN_ENTRIES + 10):  # a flood of distinct lines: the memory is bounded
        classify(parse_line(f'I1128 21:45:34.000000       7 x.go:1] "secret {i} was updated"'))
    assert len(module._klog_seen) <= module._SEEN_ENTRIES


_HIGHLIGHTED = [
    VERIFY_ERROR,
    NO_CERT,
    'W1128 21:45:34.018500       7 backend_ssl.go:47] Error obtaining X.509 certificate: secret "default/my-certs" '
    "contains no keypair or CA certificate",
    'E1128 21:45:34.090212       7 annotations.go:216] "error reading Ingress annotation" err="location denied, '
    'reason: cross namespace secrets are not supported" name="CertificateAuth" ingress="default/meow"',
    "E1128 21:45:34.090212       7 annotations.go:160] error reading CertificateAuth annotation in "
    "Ingress default/meow: location denied, reason: an empty string is not a valid secret name",
    'I1128 21:45:34.090212       7 controller.go:1290] Server "meow.com" is already configured for '
    'mutual authentication (Ingress "default/meow-two")',
    "I1128 21:45:34.090212       7 controller.go:1285] Secret \"default/my-certs\" has no 'ca.crt' key, "
    'mutual authentication disabled for Ingress "default/meow"',
    'I0514 08:19:30.110926       9 store.go:619] "secret was updated and it is used in ingress annotations. Parsing" '
    'secret="tenant-1/pki-tls"',
    "E1128 21:45:34.090212       7 CertificateAuth.go:1] error reading x: y",  # the source decides here
]


@pytest.mark.parametrize("line", _HIGHLIGHTED)
def test_every_part_of_a_line_that_decides_is_remembered(line: str) -> None:
    """Each character of the line in turn changed (to one that breaks a word, a quote, a
    key or a number): a change that changes the verdict must change what it is remembered by."""
    from mtls_tui.logs import classify as module

    def alone(raw: str) -> Highlight | None:
        module._klog_seen.clear()
        module._nginx_seen.clear()
        return classify(parse_line(raw))

    original = alone(line)
    assert original is not None
    changed = 0
    for at in range(len(line)):
        for char in ('"', "x", " ", "9"):
            edited = line[:at] + char + line[at + 1 :]
            own = alone(edited)
            alone(line)
            assert classify(parse_line(edited)) == own, (at, edited)  # after the original was remembered
            changed += own != original
    assert changed  # the edits reached parts that decide


def test_x509_words_outside_the_message_do_not_crash() -> None:
    """Found by test_remembered_verdict_is_the_lines_own: the words in the line, but not in its
    message or values (here inside a key after a broken quote); `classify` raised IndexError."""
    line = (
        'I0101 00:00:00.090212       7 backend_ssl.go:47] "secret "default/my-certs" contains no '
        "kError obtaining X.509 certificate: ypair or CA certificate"
    )
    found = highlight(line)
    assert found.code == "input-unreadable"
