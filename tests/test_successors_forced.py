"""`--controller NAME`: the objects judged as if NAME served them, where their classes do not
say. Without it the readers detect the controller from the IngressClass / GatewayClass, as the
controllers themselves select what they serve (docs/successors.md section 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mtls_tui.cli import main
from mtls_tui.lab.objects import meow_ingress

GATEWAY = Path(__file__).parent / "data" / "successors" / "gateway-api" / "healthy.yaml"


def check(paths: list[Path], capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    main(["check", "--manifests", *map(str, paths), "--no-probe", "--json", *extra])
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("controller", "implementation", "without_certificate"),
    [
        (None, "envoy-gateway", "TLS alert 116 after the handshake"),  # GatewayClass eg names Envoy Gateway
        ("istio", "istio", "TLS alert 116 after the handshake"),  # conversion.go buildTLS: MUTUAL on Envoy
        # servers_template.go: ssl_verify_client on; 495/496 -> return 444 (connection closed, measured)
        ("nginx-gateway-fabric", "nginx-gateway-fabric", "connection closed"),
    ],
)
def test_a_gateway_judged_for_another_implementation(
    controller: str | None, implementation: str, without_certificate: str, capsys: pytest.CaptureFixture[str]
) -> None:
    report = check([GATEWAY], capsys, *(["--controller", controller] if controller else []))
    [host] = report["other_controllers"]
    assert (host["implementation"], host["predicted"]["none"]) == (implementation, without_certificate)


def test_an_ingress_nginx_ingress_served_by_others(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The article's Ingress (auth-tls annotations) given to another Ingress controller: F5 and
    Traefik's own Ingress provider read none of ingress-nginx's annotations (F5
    internal/configs/annotations.go; traefik pkg/provider/kubernetes/ingress/annotations.go
    convertAnnotations), so everyone gets in; Traefik's kubernetesIngressNGINX provider reads them
    (pkg/provider/kubernetes/ingress-nginx/build.go buildClientAuthTLSOption) and refuses in the
    handshake. ingress-nginx's own rules no longer judge the Ingress: it is not what serves it."""
    path = tmp_path / "ingress.yaml"
    path.write_text(yaml.safe_dump(meow_ingress()))
    seen = {}
    for controller in ("f5-nginx", "traefik", "traefik-ingress-nginx", "ingress-nginx"):
        report = check([path], capsys, "--controller", controller)
        seen[controller] = (
            [h["host"] for h in report["hosts"]],
            [(h["implementation"], h["mode"], [f["code"] for f in h["findings"]]) for h in report["other_controllers"]],
        )
    assert seen["f5-nginx"] == ([], [("f5-nginx", "none", ["mtls-fail-open"])])
    assert seen["traefik"] == ([], [("traefik", "none", ["mtls-fail-open"])])
    assert seen["traefik-ingress-nginx"][0] == [] and seen["traefik-ingress-nginx"][1][0][:2] == (
        "traefik",
        "require-and-verify",
    )
    assert seen["ingress-nginx"] == (["meow.com"], [])


def test_an_unknown_controller_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["check", "--manifests", str(GATEWAY), "--controller", "haproxy"])
    assert stopped.value.code == 2 and "invalid choice: 'haproxy'" in capsys.readouterr().err


def test_traefik_is_forced_on_its_ingresses_and_its_gateways(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Traefik serves Ingresses (traefik v3.7.9 pkg/provider/kubernetes/ingress, IngressClass controller
    traefik.io/ingress-controller) and Gateways (pkg/provider/kubernetes/gateway/kubernetes.go `controllerName`
    traefik.io/gateway-controller): `--controller traefik` judges both as Traefik's, as `--controller istio`
    does the Gateway alone. On Traefik, the article's Ingress asks no certificate (auth-tls-* unread) and the
    Gateway's frontend is unread too (no TLSOption named default: Traefik's built-in options, NoClientCert).
    Before: the Gateway stayed Envoy Gateway's (its GatewayClass eg) under `--controller traefik`."""
    path = tmp_path / "ingress.yaml"
    path.write_text(yaml.safe_dump(meow_ingress()))
    report = check([GATEWAY, path], capsys, "--controller", "traefik")
    seen = sorted(
        (h["implementation"], h["mode"], h["predicted"]["none"], [f["code"] for f in h["findings"]])
        for h in report["other_controllers"]
    )
    assert report["hosts"] == []
    assert seen == [
        ("traefik", "none", "HTTP 200", ["frontend-validation-not-applied"]),
        ("traefik", "none", "HTTP 200", ["mtls-fail-open"]),
    ]
    unforced = check([GATEWAY, path], capsys)
    assert [h["implementation"] for h in unforced["other_controllers"]] == ["envoy-gateway"]
    assert [h["host"] for h in unforced["hosts"]] == ["meow.com"]
