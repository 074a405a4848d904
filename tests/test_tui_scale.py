"""The screen on thousands of hosts (issue 13): the list before the reports, the reports as
they are judged (the selected host first), and `/` filtering the list. Real objects, read
from manifest files as the app reads them; nothing here is timed."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from mtls_tui.lab.objects import controller_objects, meow_ingress, namespace
from mtls_tui.lab.pki import SeedPki, secret_manifest
from mtls_tui.service import pipeline
from mtls_tui.service.session import Session
from mtls_tui.tui.app import MtlsApp
from mtls_tui.tui.panes.hosts import HostList, row_lines
from mtls_tui.tui.panes.verdict import VerdictPane


def estate(folder: Path, pki: SeedPki, hosts: int) -> Session:
    """`hosts` Ingresses with TLS, every other one asking for client certificates with its own Secret."""
    items = [namespace("ingress-nginx"), *controller_objects(), namespace("team")]
    for i in range(hosts):
        annotations = {"nginx.ingress.kubernetes.io/auth-tls-secret": f"team/certs-{i}"} if i % 2 == 0 else {}
        if i % 2 == 0:
            items.append(secret_manifest(pki, name=f"certs-{i}", namespace="team"))
        ingress = meow_ingress(annotations, name=f"app-{i}", host=f"app-{i}.example", namespace_="team")
        ingress["spec"]["tls"][0]["secretName"] = f"certs-{i}" if i % 2 == 0 else "certs-0"
        items.append(ingress)
    path = folder / "estate.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    return Session(manifests=[str(path)])


async def wait_for(pilot, condition, seconds: float = 60) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the screen never got there")


async def test_the_host_filter_on_5000_hosts(tmp_path: Path, pki: SeedPki) -> None:
    app = MtlsApp(estate(tmp_path, pki, 5000))
    async with app.run_test(size=(120, 40)) as pilot:
        hosts = app.query_one(HostList)
        await wait_for(pilot, lambda: hosts.option_count == 5000)
        await pilot.press("slash", *"app-4999")  # `/` on the host list, as in k9s; it filters as you type
        assert app.focused is app.query_one("#hosts-filter")
        await wait_for(pilot, lambda: hosts.option_count == 1)
        assert hosts.highlighted_host == "app-4999.example" and app.controller.selected == "app-4999.example"
        await pilot.press("enter")  # keeps the filter, back on the list
        assert app.focused is hosts and hosts.option_count == 1 and str(hosts.border_title) == "1 of 5000"
        await wait_for(
            pilot, lambda: app.controller.report() is not None and app.controller.report().host == "app-4999.example"
        )
        await wait_for(
            pilot,
            lambda: (
                app.query_one(VerdictPane).report is not None
                and app.query_one(VerdictPane).report.host == "app-4999.example"
            ),
        )
        await pilot.press("slash", "ctrl+u", *"app-12")  # app-12, app-120…129, app-1200…1299
        await wait_for(pilot, lambda: hosts.option_count == 111)
        await pilot.press("escape")  # esc clears the filter, as in k9s
        await wait_for(pilot, lambda: hosts.option_count == 5000)
        assert app.focused is hosts and not app.query_one("#hosts-filter").value
        await wait_for(pilot, lambda: len(app.controller.reports) == 5000)
        await pilot.press("slash", *"works")  # the state words filter too
        await wait_for(
            pilot, lambda: hosts.option_count == 2500
        )  # the TLS-only half works; the mTLS half's server certificate is meow.com's
        await pilot.press("escape", "slash", *"team")  # and the Ingresses' namespace
        await wait_for(pilot, lambda: hosts.option_count == 5000)


@pytest.fixture()
def gate(monkeypatch: pytest.MonkeyPatch):
    """Judging waits for the test to open the gate; the hosts judged, in order."""
    opened, judged = threading.Event(), []
    real = pipeline.Diagnosis.judge

    def held(self, policies):
        policies = list(policies)
        opened.wait(30)
        judged.extend(p.host for p in policies)
        return real(self, policies)

    monkeypatch.setattr(pipeline.Diagnosis, "judge", held)
    return opened, judged


async def test_the_list_comes_before_the_reports_and_the_selected_host_first(
    tmp_path: Path, pki: SeedPki, gate
) -> None:
    opened, judged = gate
    app = MtlsApp(estate(tmp_path, pki, 200))
    async with app.run_test(size=(120, 40)) as pilot:
        hosts = app.query_one(HostList)
        await wait_for(pilot, lambda: hosts.option_count == 200)
        assert app.controller.reports == []  # the list, no report yet: every row says so
        assert all(row.state is None for row in hosts.rows) and str(hosts.border_subtitle) == "200 judging…"
        first, second, last = hosts.rows[0], hosts.rows[1].host, hosts.rows[-1].host
        assert [t.plain for t in row_lines(first)] == [f"… {first.host}{first.served}", "  judging…"]
        await pilot.press("end")  # a host far down, not judged yet
        assert app.controller.selected == last
        assert f"Judging {last}" in str(app.query_one("#verdict-line").render())
        await pilot.press("c")  # no fix of another host meanwhile: it says the host is being judged
        assert any(f"Judging {last}" in n.message for n in app._notifications)
        opened.set()
        await wait_for(pilot, lambda: len(app.controller.reports) == 200)
        assert last in judged[:2]  # judged next (the worker had begun with the first host)
        assert judged.index(last) < judged.index(second)
        assert all(row.state is not None for row in hosts.rows) and not hosts.border_subtitle
        assert app.query_one(VerdictPane).report.host == last


async def test_reports_arrive_progressively_in_batches(
    tmp_path: Path, pki: SeedPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the gate: the screen receives several batches, and sees hosts judged while others wait."""
    from mtls_tui.tui import controller, messages

    monkeypatch.setattr(controller, "JUDGE_BATCH_MAX", 50)
    seen: list[int] = []
    real = MtlsApp.on_judged

    def watching(self, message: messages.Judged) -> None:
        seen.append(message.left)
        real(self, message)

    monkeypatch.setattr(MtlsApp, "on_judged", watching)
    app = MtlsApp(estate(tmp_path, pki, 400))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: len(app.controller.reports) == 400)
        assert len(seen) >= 8 and seen[-1] == 0 and any(left > 0 for left in seen)
        hosts = app.query_one(HostList)
        await pilot.click("#hosts", offset=(4, 1 + len(row_lines(hosts.rows[0]))))  # under the border and the first row
        await pilot.pause(0.1)
        assert hosts.highlighted_host == hosts.rows[1].host == app.controller.selected
        assert app.focused is app.query_one("#findings")  # a click is enter: the Verdict tab's findings


def test_a_long_host_name_wraps_and_the_row_height_counts_it() -> None:
    from mtls_tui.diagnose.views import HostRow
    from mtls_tui.tui.panes.hosts import _height

    for label in ("meow.com", "payments-api.prod.eu-west-1.corp.example.com", "a" * 14, "a" * 15, "a" * 30):
        for served in ("", " (TLS only)"):
            for width in (16, 30, 0):
                for state, warnings in ((None, 0), ("broken", 2)):
                    row = HostRow(label, label, served, state, warnings)
                    lines = row_lines(row, width)
                    assert len(lines) == _height(row, width)
                    assert width == 0 or all(len(line) <= width for line in lines)
    lines = row_lines(HostRow("h", "payments-api.prod.eu-west-1.corp.example.com", " (TLS only)", "works", 1), 16)
    assert [line.plain for line in lines] == [  # at word boundaries: after a dot or a hyphen, the suffix whole
        "✔ payments-api.",
        "  prod.eu-west-",
        "  1.corp.",
        "  example.com",
        "  (TLS only)",
        "  works",
        "  ▲ 1 warning",
    ]


async def test_hosts_listed_page_by_page_before_the_host_list(tmp_path: Path, pki: SeedPki) -> None:
    """On a cluster the hosts show as each page of Ingresses is read (`reading…`), before the
    Secrets, the controller and the rules; the decided list then replaces them in place."""
    from mtls_tui.lab.cluster import LabCluster
    from mtls_tui.sources.kube import PAGE
    from mtls_tui.tui import messages

    count = PAGE * 2 + 100  # three pages
    seen: list[tuple[str, int, bool]] = []  # (message, rows on the list then, any row still reading)

    class Watched(MtlsApp):
        # Textual calls the handler of every class in the MRO (this one first): no super() call.
        def on_hosts_read(self, message: messages.HostsRead) -> None:
            self.call_after_refresh(lambda: seen.append(("read", *self.rows_now())))

        def on_diagnosed(self, message: messages.Diagnosed) -> None:
            if message.fresh:
                self.call_after_refresh(lambda: seen.append(("decided", *self.rows_now())))

        def rows_now(self) -> tuple[int, bool]:
            rows = self.query_one(HostList).rows
            return len(rows), any(r.reading for r in rows)

    written = estate(tmp_path, pki, count).manifests[0]
    objects = json.loads(Path(written).read_text())["items"]
    with LabCluster(objects) as cluster:
        kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")
        app = Watched(Session(kubeconfig=str(kubeconfig)))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: any(kind == "decided" for kind, _, _ in seen))
            hosts = app.query_one(HostList)
            assert "reading…" not in "".join(line.plain for row in hosts.rows[:3] for line in row_lines(row))
    reads = [n for kind, n, _ in seen if kind == "read"]
    assert seen[0][0] == "read" and reads == sorted(reads) and reads[-1] == count and len(reads) == 3, seen
    assert all(reading for kind, _, reading in seen if kind == "read")
    assert [entry for entry in seen if entry[0] == "decided"] == [("decided", count, False)]
