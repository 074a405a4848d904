"""The screen on other controllers' hosts, as `check` reads them: Gateway API objects from a
manifest file give a host-list row named with its controller, a verdict from the objects (not
`works`: nothing was probed), the objects that decide it on the Ingress & Secret tab and the CA
it loads on the Certificates tab; an ingress-nginx Ingress beside them keeps its own row."""

from __future__ import annotations

from pathlib import Path

import yaml

from mtls_tui.lab.objects import meow_ingress
from mtls_tui.service.session import Session
from mtls_tui.tui.app import MtlsApp
from mtls_tui.tui.panes.certs import CertTree
from mtls_tui.tui.panes.hosts import HostList
from mtls_tui.tui.panes.verdict import VerdictPane
from tests.test_tui_scale import wait_for

GATEWAY = Path(__file__).parent / "data" / "successors" / "gateway-api" / "healthy.yaml"


async def test_a_gateway_host_is_listed_and_explained(tmp_path: Path) -> None:
    ingress = meow_ingress(host="nginx.meow.com")
    (tmp_path / "ingress.yaml").write_text(yaml.safe_dump(ingress))
    app = MtlsApp(Session(manifests=[str(GATEWAY), str(tmp_path / "ingress.yaml")]))
    async with app.run_test(size=(120, 40)) as pilot:
        hosts = app.query_one(HostList)
        await wait_for(pilot, lambda: hosts.option_count == 2)
        assert [row.host for row in hosts.rows] == ["nginx.meow.com", "meow.com · envoy-gateway"]
        assert hosts.rows[1].served == " (envoy-gateway)" and hosts.rows[1].state == "works"
        await pilot.press("down")
        verdict = app.query_one(VerdictPane)
        await wait_for(pilot, lambda: verdict.report is not None and verdict.report.host == "meow.com")
        assert "predicted from the objects" in verdict.report.verdict
        await pilot.press("3")
        await pilot.pause(0.2)
        screen = app.export_screenshot().replace("&#160;", " ")
        assert "What decides client certificates for meow.com" in screen
        assert "spec.tls.frontend.default" in screen and "ConfigMap meow/meow-ca" in screen
        await pilot.press("2")
        await pilot.pause(0.2)
        tree = app.query_one(CertTree)
        titles = [str(node.label) for node in tree.root.children]
        assert any("client CA: ConfigMap meow/meow-ca" in title for title in titles), titles
