"""Where a probe connects, what it calls itself, and how to repeat it without this tool.

Pure string work on a `ProbeSpec`: the probe source uses `Target` to connect, and
every result carries the equivalent `curl` and `openssl s_client` commands so a
user can reproduce what we saw (and paste it into a ticket).
"""

from __future__ import annotations

import ipaddress
import shlex
from dataclasses import dataclass
from urllib.parse import urlsplit

from mtls_tui.certs.load import Material
from mtls_tui.diagnose.certificates import sibling_file
from mtls_tui.errors import InputError
from mtls_tui.model import IngressObj, ProbeSpec
from mtls_tui.shell import arg


@dataclass(frozen=True)
class Target:
    host: str  # the name in the URL: SNI and Host header
    port: int
    address: str  # where the TCP connection goes
    path: str
    sni: str | None  # None for IP literals: TLS sends no SNI for them

    @property
    def host_header(self) -> str:
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == 443 else f"{name}:{self.port}"

    @property
    def request_url(self) -> str:
        address = f"[{self.address}]" if ":" in self.address else self.address
        return f"https://{address}:{self.port}{self.path}"

    @property
    def connect_to(self) -> str:
        return f"{self.address}:{self.port}"


def sent_host(spec: ProbeSpec, target: Target) -> str:
    """The Host header the request carries: a `-H Host:` of the user's wins over the URL's."""
    return next((value for name, value in spec.headers if name.lower() == "host"), target.host_header)


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def parse_target(spec: ProbeSpec) -> Target:
    parts = urlsplit(spec.url)
    if parts.scheme != "https":
        raise InputError(spec.url, "the probe speaks HTTPS only: give an https:// URL")
    host = parts.hostname
    if not host:
        raise InputError(spec.url, "has no host name")
    try:
        port = parts.port or 443
    except ValueError:
        raise InputError(spec.url, "has an invalid port") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    address = host
    if spec.resolve:
        r_host, r_port, r_addr = _parse_resolve(spec.resolve)
        if (r_host.lower(), r_port) != (host.lower(), port):
            raise InputError(
                "--resolve", f"{spec.resolve} does not match the URL's {host}:{port} (curl would ignore it)"
            )
        address = r_addr
    return Target(host, port, address, path, None if _is_ip(host) or spec.no_sni else host)


def _parse_resolve(value: str) -> tuple[str, int, str]:
    host, sep, rest = value.partition(":")
    port_text, sep2, address = rest.partition(":")
    if not (sep and sep2 and host and address and port_text.isdigit()):
        raise InputError("--resolve", f"{value!r} is not HOST:PORT:ADDRESS (e.g. meow.com:443:127.0.0.1)")
    address = address.strip("[]")
    if not _is_ip(address):
        raise InputError("--resolve", f"{address!r} is not an IP address")
    return host, int(port_text), address


def curl_command(spec: ProbeSpec, with_cert: bool, target: Target | None = None) -> str:
    """curl's own flags for the same request. curl has no switch to leave SNI out: without SNI
    (`--no-sni`) it is sent to the address, with the Host header set, as such clients do."""
    args = ["curl", "-v"]
    by_address = target if spec.no_sni else None  # no SNI: the request goes to the address
    if spec.resolve and by_address is None:
        args += ["--resolve", spec.resolve]
    if spec.insecure:
        args.append("-k")
    elif spec.cacert:
        args += ["--cacert", spec.cacert]
    if with_cert and spec.cert:
        args += ["--cert", spec.cert]
        if spec.key:
            args += ["--key", spec.key]
    headers = list(spec.headers)
    if by_address is not None and not any(name.lower() == "host" for name, _ in headers):
        headers.append(("Host", by_address.host_header))
    for name, value in headers:
        args += ["-H", f"{name}: {value}"]
    if spec.http2:
        args.append("--http2")
    args.append(by_address.request_url if by_address is not None else spec.url)
    return shlex.join(args)


def curl_by_name(curl: str, host: str, connect_to: str) -> str:
    """The same curl command sent to `host` by name, so that SNI and Host both name it: the URL
    becomes the host's, a --resolve points it at the address the probe used, and the old
    --resolve and Host header go."""
    args = shlex.split(curl)
    out: list[str] = []
    skip = False
    for index, word in enumerate(args):
        if skip:
            skip = False
            continue
        nxt = args[index + 1] if index + 1 < len(args) else ""
        if word == "--resolve" or (word == "-H" and nxt.lower().startswith("host:")):
            skip = True
            continue
        out.append(word)
    address, _, port = connect_to.rpartition(":")
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    url = urlsplit(out[-1])
    out[-1] = f"https://{name}:{port}{url.path or '/'}" + (f"?{url.query}" if url.query else "")
    return shlex.join(out[:2] + ["--resolve", f"{name}:{port}:{address.strip('[]')}"] + out[2:])


def _printf_literal(text: str) -> str:
    """Text inside printf's format: `%` and `\\` stand for themselves."""
    return text.replace("\\", "\\\\").replace("%", "%%")


def openssl_command(spec: ProbeSpec, target: Target, with_cert: bool) -> str:
    connect = (
        target.connect_to.replace(f"{target.address}:", f"[{target.address}]:")
        if ":" in target.address
        else target.connect_to
    )
    args = ["openssl", "s_client", "-quiet", "-connect", connect]
    if target.sni:
        args += ["-servername", target.sni]
    elif spec.no_sni:
        args.append("-noservername")
    if not spec.insecure:
        args += ["-verify_return_error"] + (["-CAfile", spec.cacert] if spec.cacert else [])
        if target.sni:
            args += ["-verify_hostname", target.sni]
    if with_cert and spec.cert:
        args += ["-cert", spec.cert] + (["-key", spec.key] if spec.key else [])
    request = (
        f"GET {_printf_literal(target.path)} HTTP/1.1\\r\\nHost: {_printf_literal(sent_host(spec, target))}"
        "\\r\\nConnection: close\\r\\n\\r\\n"
    )
    return f"printf {shlex.quote(request)} | {shlex.join(args)}"


def probe_command(host: str, cert: str | None = None, key: str | None = None, client: Material | None = None) -> str:
    """The command line's probe of a host, without and with the client certificate: what to run
    where this view cannot send a request itself. With no certificate given, the seed's file
    names. With a certificate and no --key, its key as `check` and `inspect` take it: the one in
    the certificate's own file (the probe reads it from there: no --key), else the file named
    like it, beside it (mine.crt: mine.key). When neither is there (`client.no_key_beside`, the
    edge looked), any --key would be a guess and the probe refuses a certificate alone ("holds no
    private key"): the words say which key it needs, and no command is printed."""
    url = arg("https://" + host + "/")
    if cert is None:
        return f"mtls-tui probe {url} --cert client.crt --key {arg(key or 'client.key')}"
    if key is None and (client is None or not client.keys):
        if client is not None and client.no_key_beside:
            return (
                f"probe with --cert {arg(cert)} and --key naming its private key: {cert} holds none, "
                f"and no {sibling_file(cert, '.key')} is beside it"
            )
        key = sibling_file(cert, ".key")
    return f"mtls-tui probe {url} --cert {arg(cert)}" + (f" --key {arg(key)}" if key else "")


def probe_target(host: str, ingresses: tuple[IngressObj, ...], connect: str | None) -> tuple[str, str | None] | None:
    """(url, resolve) for a host: at --connect ADDR:PORT, or at its Ingress's
    load-balancer address, or None when there is nowhere to send a request."""
    if host == "*":
        return None
    if connect:
        address, _, port = connect.rpartition(":")
        if not address or not port.isdigit():
            raise InputError("--connect", f"{connect!r} is not ADDR:PORT")
        return f"https://{host}:{port}/", f"{host}:{port}:{address.strip('[]')}"
    balancer = next((a for i in ingresses for a in i.addresses), None)
    if balancer is None:
        return None
    return f"https://{host}/", (f"{host}:443:{balancer}" if _is_ip(balancer) else None)
