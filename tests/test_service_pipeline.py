"""One pipeline (issue 12): the command line and the screen judge a host through
`service.pipeline`, so they must agree, host by host and finding by finding, on a real
lab (real API server, real nginx, real probes)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from mtls_tui.commands.check import check_session
from mtls_tui.errors import CannotRun
from mtls_tui.lab.environment import Lab
from mtls_tui.tui.app import MtlsApp


def judged(reports) -> list[tuple[str, str, list[str]]]:
    return [(r.host, r.state, [f.code for f in r.findings]) for r in reports]


@pytest.mark.nginx
@pytest.mark.parametrize("scenario", ["wrong-ca", "missing-ca-key"])
async def test_screen_and_command_line_agree(scenario: str, tmp_path: Path, nginx_binary: str) -> None:
    with Lab(tmp_path / "pki", scenario, nginx_binary=nginx_binary) as lab:
        command_line = await asyncio.to_thread(check_session, lab.session(), prompt=False, timeout=5)
        app = MtlsApp(lab.session(), lab=lab)
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(200):
                reports = app.controller.reports
                if reports and all(r.probe for r in reports):
                    break
                await pilot.pause(0.05)
            screen = judged(app.controller.reports)
    assert screen == judged(command_line.reports)
    assert any(state != "works" for _, state, _ in screen)  # the scenario's mistake is in both


def settled_size(log: Path) -> int:
    """nginx writes a request's access line after its answer: wait until the size holds still."""
    size = -1
    while size != log.stat().st_size:
        size = log.stat().st_size
        time.sleep(0.3)
    return size


@pytest.mark.nginx
def test_an_unknown_host_fails_before_any_probe(tmp_path: Path, nginx_binary: str) -> None:
    """`check --host` with a host nobody serves names the hosts there are, and sends nothing."""
    with Lab(tmp_path / "pki", nginx_binary=nginx_binary) as lab:
        access_log, _ = lab.gateway.log_paths()
        check_session(lab.session(), host="meow.com", prompt=False, timeout=5)  # a known host is probed...
        served = settled_size(access_log)
        assert served > 0
        with pytest.raises(CannotRun, match=r"no Ingress serves host nope\.example with TLS \(hosts: meow\.com\)"):
            check_session(lab.session(), host="nope.example", prompt=False, timeout=5)
        assert settled_size(access_log) == served  # ...an unknown one is not
