"""ingress-nginx's `parser.StringToURL` (internal/ingress/annotations/parser/main.go, v1.15.1), with
the part of Go's `net/url.Parse` it depends on: which URL values the controller refuses, and in
its words. v1.15.1 is built with Go 1.26.1 (go.mod), whose net/url refuses a second ':' in the
host of an http(s) URL (GODEBUG urlstrictcolons, changed in Go 1.26). Read from Go's
src/net/url/url.go (getScheme, parse, parseAuthority, parseHost, validOptionalPort, unescape)
and held to a real Go toolchain in tests/test_ingress_nginx_denials.py.
"""

from __future__ import annotations

import ipaddress
import string

# encoding_table.go: the ASCII bytes a host may hold unescaped (encodeHost)
_HOST_BYTES = frozenset((string.ascii_letters + string.digits + "-._~!\"$&'()*+,;=:<>[]").encode())
_HEX = frozenset(b"0123456789abcdefABCDEF")
_SCHEME_FIRST = frozenset(string.ascii_letters.encode())
_SCHEME_REST = frozenset((string.digits + "+-.").encode())


_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def _quote(text: str) -> str:
    """Go's %q (strconv.Quote): printable runes kept, the rest escaped."""
    out = []
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif c in _GO_ESCAPES:
            out.append(_GO_ESCAPES[c])
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\x{ord(c):02x}")
        elif not c.isprintable():
            out.append(f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def _unescape_error(value: str, host: bool) -> str | None:
    """url.unescape's refusals: a '%' without two hex digits; in a host, a %-escape of an ASCII
    byte (except %25) and any ASCII byte encodeHost does not allow (InvalidHostError)."""
    data, i = value.encode(), 0
    while i < len(data):
        if data[i] == ord("%"):
            if i + 2 >= len(data) or data[i + 1] not in _HEX or data[i + 2] not in _HEX:
                return f"invalid URL escape {_quote(data[i : i + 3].decode(errors='replace'))}"
            if host and int(chr(data[i + 1]), 16) < 8 and data[i : i + 3] != b"%25":
                return f"invalid URL escape {_quote(data[i : i + 3].decode())}"
            i += 3
            continue
        if host and data[i] < 0x80 and data[i] not in _HOST_BYTES:
            return f"invalid character {_quote(chr(data[i]))} in host name"
        i += 1
    return None


def _port_ok(port: str) -> bool:
    """validOptionalPort: empty, or ':' and decimal digits."""
    return port == "" or (port[0] == ":" and all(c in string.digits for c in port[1:]))


def _host(scheme: str, host: str) -> tuple[str, str | None]:
    """url.parseHost: (the host, the error)."""
    opening = host.rfind("[")
    if opening > 0:
        return "", "invalid IP-literal"
    if opening == 0:
        closing = host.rfind("]")
        if closing < 0:
            return "", "missing ']' in host"
        port = host[closing + 1 :]
        if not _port_ok(port):
            return "", f"invalid port {_quote(port)} after host"
        literal = host[1:closing]
        error = _unescape_error(literal.split("%25", 1)[0], True)
        if error:
            return "", error
        try:
            address = ipaddress.ip_address(literal.split("%25", 1)[0])
        except ValueError:
            return "", f"invalid host: ParseAddr({_quote(literal)}): unable to parse IP"
        if address.version == 4:
            return "", "invalid IP-literal"
        return host, None
    if ":" in host:
        colon = host.index(":")
        if host.rindex(":") != colon and scheme not in ("http", "https"):  # urlstrictcolons for http(s) only
            colon = host.rindex(":")
        if not _port_ok(host[colon:]):
            return "", f"invalid port {_quote(host[colon:])} after host"
    error = _unescape_error(host, True)
    return ("", error) if error else (host, None)


def _parse(raw: str) -> tuple[str, str, str | None, str]:
    """url.Parse for what StringToURL reads: (scheme, host, error, the URL its url.Error names)."""
    url, _, fragment = raw.partition("#")
    if any(ord(c) < 0x20 or c == "\x7f" for c in url):
        return "", "", "net/url: invalid control character in URL", url
    scheme, rest = "", url
    for i, c in enumerate(url.encode()):
        if c in _SCHEME_FIRST:
            continue
        if c in _SCHEME_REST and i > 0:
            continue
        if c == ord(":"):
            if i == 0:
                return "", "", "missing protocol scheme", url
            scheme, rest = url[:i].lower(), url[i + 1 :]
        break
    if rest.endswith("?") and rest.count("?") == 1:
        rest = rest[:-1]
    else:
        rest = rest.partition("?")[0]
    if not rest.startswith("/"):
        if scheme:
            return scheme, "", None, url  # opaque: no host
        if ":" in rest.partition("/")[0]:
            return "", "", "first path segment in URL cannot contain colon", url
    host = ""
    if (scheme or not rest.startswith("///")) and rest.startswith("//"):
        authority, slash, rest = rest[2:].partition("/")
        rest = slash + rest
        userinfo, at, hostport = authority.rpartition("@")
        host, error = _host(scheme, hostport if at else authority)
        if (
            error is None
            and at
            and any(not (c.isascii() and (c.isalnum() or c in "-._:~!$&'()*+,;=%@")) for c in userinfo)
        ):
            error = "net/url: invalid userinfo"
        if error is None and at:
            error = _unescape_error(userinfo, False)
        if error is not None:
            return "", "", error, url
    if (error := _unescape_error(rest, False)) is not None:
        return "", "", error, url
    if (error := _unescape_error(fragment, False)) is not None:
        return "", "", error, raw
    return scheme, host, None, url


def string_to_url_error(value: str) -> str | None:
    """parser.StringToURL: why the controller refuses `value` as a URL (its words), None if it takes it."""
    scheme, host, error, where = _parse(value)
    if error is not None:
        return f"{value} is not a valid URL: parse {_quote(where)}: {error}"
    if scheme == "":
        return "url scheme is empty"
    if host == "":
        return "url host is empty"
    if ".." in host:
        return "invalid url host"
    return None
