"""The app driven as a person would, against a real nginx gateway."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
import yaml

from mtls_tui.lab.gateway import Gateway, GatewayHost
from mtls_tui.lab.objects import seed_objects
from mtls_tui.lab.pki import SeedPki, write_seed_pki
from mtls_tui.model import MtlsPolicy
from mtls_tui.service.session import Session
from mtls_tui.tui.app import MtlsApp
from mtls_tui.tui.panes.probe import ProbePane
from mtls_tui.tui.panes.verdict import FindingList, VerdictPane


@pytest.fixture()
def gateway_session(tmp_path: Path, pki: SeedPki, nginx_binary: str):
    write_seed_pki(tmp_path, pki)
    (tmp_path / "lab.yaml").write_text(yaml.safe_dump_all(seed_objects(pki)))
    host = GatewayHost(
        MtlsPolicy("meow.com", secret="default/my-certs"),
        pki.server.cert_pem(),
        pki.server.key_pem(),
        pki.ca.cert_pem(),
    )
    with Gateway([host], nginx_binary=nginx_binary) as gateway:
        yield (
            Session(
                manifests=[str(tmp_path / "lab.yaml")],
                cert=str(tmp_path / "client.crt"),
                key=str(tmp_path / "client.key"),
                connect=f"127.0.0.1:{gateway.port}",
            ),
            tmp_path,
        )


async def settle(app, pilot) -> None:
    await pilot.pause(0.2)
    await app.workers.wait_for_complete()
    await pilot.pause(0.2)


@contextlib.asynccontextmanager
async def on_probe_tab(session: Session):
    """The app on its session, settled, with the Probe tab open."""
    app = MtlsApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("4")
        yield app, pilot


async def test_meow_com_works_with_probe_ok(gateway_session) -> None:
    session, _ = gateway_session
    app = MtlsApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        report = app.controller.reports[0]
        assert report.host == "meow.com" and report.verdict == "mTLS works for meow.com"
        assert "probe-ok" in {f.code for f in report.findings}
        await pilot.press("p")
        await settle(app, pilot)
        assert "probe-ok" in {f.code for f in app.controller.reports[0].findings}


async def test_probe_form_with_another_client(gateway_session, pki: SeedPki) -> None:
    """Edit the form to send a certificate from another CA: the verdict turns to probe-cert-rejected."""
    from mtls_tui.certs.issue import issue_ca, issue_leaf, new_key
    from mtls_tui.lab.pki import write_file

    session, folder = gateway_session
    stranger = issue_leaf("Fern", issue_ca("Other CA", key=new_key("ec")), key=new_key("ec"))
    write_file(folder / "stranger.crt", stranger.cert_pem())
    write_file(folder / "stranger.key", stranger.key_pem(), private=True)
    async with on_probe_tab(session) as (app, pilot):
        pane = app.query_one(ProbePane)
        pane.query_one("#probe-cert").value = str(folder / "stranger.crt")
        pane.query_one("#probe-key").value = str(folder / "stranger.key")
        await pilot.click("#probe-run")
        await settle(app, pilot)
        codes = {f.code for f in app.controller.reports[0].findings}
        assert "probe-cert-rejected" in codes and app.controller.reports[0].state == "broken"
        assert pane.query_one("#probe-cert").value == str(folder / "stranger.crt")  # the edit outlives its probe
        await pilot.click("#probe-defaults")
        assert pane.query_one("#probe-cert").value == session.cert


async def test_p_after_the_client_certificate_was_fixed_rereads_it(gateway_session, pki: SeedPki) -> None:
    """The client certificate file re-signed by the CA (as the printed client-cert-untrusted fix
    does), then `p`: the probe reads the new file, and so must the verdict; before, the screen
    showed probe-ok beside the old file's client-cert-untrusted, and the host stayed broken."""
    from mtls_tui.certs.issue import issue_ca, issue_leaf, new_key
    from mtls_tui.lab.pki import write_file

    session, _ = gateway_session
    stranger = issue_leaf("Fern", issue_ca("Other CA", key=new_key("ec")), key=new_key("ec"))
    write_file(Path(session.cert), stranger.cert_pem())
    write_file(Path(session.key), stranger.key_pem(), private=True)
    app = MtlsApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        before = app.controller.reports[0]
        assert before.state == "broken" and "client-cert-untrusted" in {f.code for f in before.findings}
        write_file(Path(session.cert), pki.client.cert_pem())  # the fix: a certificate from the CA
        write_file(Path(session.key), pki.client.key_pem(), private=True)
        await pilot.press("p")
        for _ in range(3):  # the probe, then the source read again
            await settle(app, pilot)
        after = app.controller.reports[0]
        codes = {f.code for f in after.findings}
        assert "probe-ok" in codes and "client-cert-untrusted" not in codes and after.state == "works", codes


async def test_p_probes_what_the_form_says(gateway_session) -> None:
    """`p` runs the form as edited: a CA to verify the server with, and a Host header of its own."""
    session, folder = gateway_session
    async with on_probe_tab(session) as (app, pilot):
        pane = app.query_one(ProbePane)
        assert app.controller.probes["meow.com"][1].verified_server is False  # the lab's default: -k
        pane.query_one("#probe-cacert").value = str(folder / "ca.crt")
        pane.query_one("#probe-insecure").value = False
        pane.query_one("#probe-host").value = "meow.com"
        app.query_one("#hosts").focus()
        await pilot.press("p")
        await settle(app, pilot)
        with_cert = app.controller.probes["meow.com"][1]
        assert with_cert.verified_server is True and with_cert.host_header == "meow.com" and with_cert.status == 200
        assert "-CAfile" in with_cert.openssl and "Host: meow.com\\r" in with_cert.openssl


async def test_bad_manifest_shows_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("kind: Ingress\nmetadata: {name: [x\n")
    app = MtlsApp(Session(manifests=[str(tmp_path / "bad.yaml")]))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        line = str(app.query_one("#verdict-line").render())
        assert "bad.yaml:2" in line and "Could not read" in line


async def test_live_change_in_the_lab_changes_the_verdict(tmp_path: Path, nginx_binary: str) -> None:
    """An object changed in the cluster (not through the app) reaches the verdict by watch."""
    import copy

    from mtls_tui.lab.environment import Lab

    with Lab(tmp_path / "pki", nginx_binary=nginx_binary) as lab:
        app = MtlsApp(lab.session(), lab=lab)
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(100):
                if app.controller.reports and "probe-ok" in {f.code for f in app.controller.reports[0].findings}:
                    break
                await pilot.pause(0.05)
            assert app.controller.reports[0].verdict == "mTLS works for meow.com"
            secret = copy.deepcopy(lab.cluster.get("Secret", "default", "my-certs"))
            del secret["data"]["ca.crt"]
            lab.cluster.apply(secret)  # as `kubectl apply` would
            for _ in range(100):
                if app.controller.reports and "secret-missing-ca" in {
                    f.code for f in app.controller.reports[0].findings
                }:
                    break
                await pilot.pause(0.05)
            assert "secret-missing-ca" in {f.code for f in app.controller.reports[0].findings}
            assert app.controller.reports[0].state == "not enforced" and app.controller.reports[0].verdict.startswith(
                "mTLS not enforced"
            )


async def test_lab_scenario_switch_from_the_app(tmp_path: Path, nginx_binary: str) -> None:
    from mtls_tui.lab.environment import Lab

    with Lab(tmp_path / "pki", nginx_binary=nginx_binary) as lab:
        app = MtlsApp(lab.session(), lab=lab)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.5)
            await pilot.press("l")
            await pilot.pause(0.2)
            from textual.widgets import OptionList

            options = app.screen.query_one(OptionList)
            options.highlighted = [o.id for o in options.options].index("wrong-ca")
            await pilot.press("enter")
            for _ in range(150):
                codes = {f.code for f in app.controller.reports[0].findings} if app.controller.reports else set()
                if {"client-cert-untrusted", "probe-cert-rejected"} <= codes:
                    break
                await pilot.pause(0.05)
            assert {"client-cert-untrusted", "probe-cert-rejected"} <= codes
            assert "wrong-ca" in app.sub_title


async def test_open_a_client_certificate_file(gateway_session) -> None:
    """`o` opens another client certificate; the verdict judges it against the host's CA."""
    from mtls_tui.certs.issue import issue_ca, issue_leaf, new_key

    session, folder = gateway_session
    stranger = issue_leaf("Fern", issue_ca("Other CA", key=new_key("ec")), key=new_key("ec"))
    (folder / "stranger.pem").write_bytes(stranger.cert_pem() + stranger.key_pem())
    app = MtlsApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("o")
        await pilot.pause(0.2)
        app.screen.query_one("#open-path").value = str(folder / "stranger.pem")
        await pilot.press("enter")
        for _ in range(100):
            codes = {f.code for f in app.controller.reports[0].findings} if app.controller.reports else set()
            if "client-cert-untrusted" in codes and "probe-cert-rejected" in codes:
                break
            await pilot.pause(0.05)
        assert {"client-cert-untrusted", "probe-cert-rejected"} <= codes
        await pilot.press("2")
        tree = app.query_one("#certs")
        client = next(node for node in tree.root.children if str(node.label).startswith("✖ client"))
        assert any(str(line.label) == "✖ client-cert-untrusted" for line in client.children)
        notices: list[str] = []
        app.notify = lambda message, **kw: notices.append(message)  # type: ignore[method-assign]
        await pilot.press("o")  # a key file is not a client certificate: the open one stays
        await pilot.pause(0.2)
        app.screen.query_one("#open-path").value = str(folder / "client.key")
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.controller.session.cert == str(folder / "stranger.pem")
        assert any(n.startswith("Not opened:") and "no certificate" in n for n in notices), notices


async def test_quitting_at_once_leaves_no_stream_running(tmp_path: Path, nginx_binary: str) -> None:
    """q right after start, while the log and watch workers are still connecting."""
    import threading
    import time

    from mtls_tui.lab.environment import Lab

    with Lab(tmp_path / "pki", nginx_binary=nginx_binary) as lab:
        for delay in (0.0, 0.3, 0.8):
            app = MtlsApp(lab.session(), lab=lab)
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.pause(delay)
                await pilot.press("q")
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline and [
                t for t in threading.enumerate() if t.name.startswith(("logs", "watch-"))
            ]:
                time.sleep(0.05)
            assert not [t.name for t in threading.enumerate() if t.name.startswith(("logs", "watch-"))], delay


async def test_logs_filter_gives_the_keys_back(gateway_session) -> None:
    session, _ = gateway_session
    app = MtlsApp(session)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("5", "slash")  # `/` filters what is in view: on the Logs tab, the logs
        await pilot.press(*"nginx")
        assert app.query_one("#logs-filter").value == "nginx"
        await pilot.press("enter")
        await pilot.press("1")
        assert app.query_one("#tabs").active == "tab-verdict"
        await pilot.press("5", "slash", "x", "escape", "2")
        assert (
            app.query_one("#tabs").active == "tab-certs" and app.query_one("#logs-filter").value == "x"
        )  # focus selects the old filter


async def test_export_markdown_and_json(gateway_session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    session, _ = gateway_session
    monkeypatch.chdir(tmp_path)
    app = MtlsApp(session)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("e")
        await pilot.pause(0.1)
    markdown = (tmp_path / "mtls-tui-meow.com.md").read_text()
    data = json.loads((tmp_path / "mtls-tui-meow.com.json").read_text())
    assert "**Verdict:** mTLS works for meow.com" in markdown and "`probe-ok`" in markdown
    assert data["host"] == "meow.com" and {f["code"] for f in data["findings"]} >= {"probe-ok", "cert-v1"}
    assert "PRIVATE KEY" not in markdown + json.dumps(data)


async def test_worker_messages_during_shutdown_are_dropped(gateway_session) -> None:
    """A worker thread may post its result while the app quits (CI once saw a probe land
    after the screens were pruned): the app must drop it, not crash on a missing pane."""
    from textual.widgets import Static

    from mtls_tui.logs.parse import parse_line
    from mtls_tui.model import ProbeSpec
    from mtls_tui.tui import messages

    session, _ = gateway_session
    app = MtlsApp(session)

    class LateNews(Static):
        """Unmounted with the screen: posts what a slow worker would post at that moment."""

        def on_unmount(self) -> None:
            late_probe = ProbeSpec("https://meow.com/", probe_id="cafe0002")
            for message in (
                messages.ProbeStarted("meow.com", late_probe),
                messages.ProbeDone("meow.com", []),
                messages.ProbeFailed("meow.com", "late"),
                messages.LoadFailed("late"),
                messages.Loading("late"),
                messages.Diagnosed(fresh=True),
                messages.LogsNote("late"),
                messages.ClusterChanged("late"),
                messages.Notice("late"),
            ):
                app.post_message(message)
            app.controller.log_queue.put(parse_line("I1128 21:45:34.090212       7 nginx.go:271] late", "controller-0"))
            app._drain_logs()

    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.controller.reports and app.controller.reports[0].host == "meow.com"
        await app.screen.mount(LateNews())
    # leaving the block shuts the app down; run_test re-raises any error the app met


async def test_path_fields_complete_file_names(gateway_session) -> None:
    session, folder = gateway_session
    async with on_probe_tab(session) as (app, pilot):
        field = app.query_one("#probe-cacert")
        field.focus()
        for key in f"{folder}/ca.c":
            await pilot.press(key)
        await pilot.pause(0.2)  # the folder is listed in a thread
        await pilot.press("right")
        assert field.value == f"{folder}/ca.crt"


async def test_keys_work_after_the_form(gateway_session) -> None:
    """Esc leaves a field; 1-5 switch tabs even when focus sits in the Probe form."""
    from textual.widgets import Input

    session, _ = gateway_session
    async with on_probe_tab(session) as (app, pilot):
        app.query_one("#probe-insecure").focus()
        await pilot.press("2")
        assert app.query_one("#tabs").active == "tab-certs"
        await pilot.press("4")
        app.query_one("#probe-url").focus()
        await pilot.press("escape")
        assert not isinstance(app.focused, Input)
        await pilot.press("1")
        assert app.query_one("#tabs").active == "tab-verdict"


async def test_export_of_a_hostile_host_name_stays_in_the_folder(
    tmp_path: Path, pki: SeedPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A host from a manifest is any string: `e` writes its two files in the working folder only."""
    from mtls_tui.lab.objects import meow_ingress, secret_manifest

    work = tmp_path / "work"
    work.mkdir()
    host = "../../escaped/x"
    (tmp_path / "objects.yaml").write_text(yaml.safe_dump_all([secret_manifest(pki), meow_ingress(host=host)]))
    monkeypatch.chdir(work)
    app = MtlsApp(Session(manifests=[str(tmp_path / "objects.yaml")]))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("e")
        await pilot.pause(0.1)
    written = sorted(p.name for p in work.iterdir())
    assert written == ["mtls-tui-_.._escaped_x.json", "mtls-tui-_.._escaped_x.md"]
    assert not (tmp_path / "escaped").exists()


@pytest.mark.parametrize("scenario", ["missing-ca-key", "wrong-ca"])
async def test_a_copied_lab_fix_runs_in_another_terminal_after_the_place_it_names(
    tmp_path: Path, nginx_binary: str, scenario: str
) -> None:
    """`c` in the lab says where its fix runs: the fixes name the lab's files (ca.crt, client.crt …)
    and its API server, so a terminal started anywhere else failed them (a new user's review).
    At 80x24 the toast once held the command, wrapped inside its words (`my-cert` / `s`): a mouse
    copy of it ran another command. It now names the finding and gives the place as shell lines;
    the command is the Verdict tab's fix lines. What a mouse copy of those rows gives (the toast's
    place, then the fix), run in bash started in another folder without the lab's KUBECONFIG,
    succeeds and changes the lab's objects or files."""
    import os
    import subprocess
    import tempfile

    from textual.widgets._toast import Toast

    from mtls_tui.lab.environment import Lab
    from tests.test_tui_panes import text_of

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with (
        tempfile.TemporaryDirectory(prefix="c-") as short,  # a lab folder whose place fits the toast
        Lab(Path(short) / "pki", scenario=scenario, nginx_binary=nginx_binary) as lab,
    ):
        app = MtlsApp(lab.session(), lab=lab)
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            for _ in range(150):
                if app.controller.reports and not app.controller.still_judging():
                    break
                await pilot.pause(0.05)
            finding = app.controller.finding_to_copy()
            assert finding is not None, app.controller.reports[0].verdict
            await pilot.press("c")
            await pilot.pause(0.3)
            toast = [r.rstrip() for r in text_of(app, app.screen.query_one(Toast))]
            said = " ".join(toast)
            assert f"Copied the fix of {finding.code} " in said and "Verdict tab" in said, toast
            assert finding.fix.split()[0] + " " not in said, toast  # no command body to copy wrongly
            place = toast[toast.index("Run it in a terminal after:") + 1 :]
            assert "\n".join(place).replace(" \\\n  ", " ") == lab.fix_place, place
            assert all(len(row) <= 80 * 4 // 5 - 3 for row in place), place  # whole rows: nothing wrapped
            app.clear_notifications()
            await pilot.pause(0.3)
            verdict = app.query_one(VerdictPane)
            assert verdict.query_one(FindingList).highlighted_finding == finding
            rows = [r.rstrip() for r in text_of(app, verdict.query_one("#finding-fix"))]
            fix = "\n".join([rows[0].removeprefix("fix: "), *rows[1:]])
            env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
            ran = subprocess.run(
                ["bash", "-c", "\n".join([*place, fix])],
                cwd=elsewhere,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert ran.returncode == 0, (place, fix, ran.stderr)
            # the Verdict tab says it too, under the fix (the toast fades): what to run first, as shell lines
            verdict.query_one("#finding-place").scroll_visible(animate=False)
            await pilot.pause(0.3)
            drawn = [r.rstrip() for r in text_of(app, verdict.query_one("#finding-place"))]
            first = "\n".join([drawn[0].removeprefix("run it after: "), *drawn[1:]])
            assert first.replace(" \\\n  ", " ") == lab.fix_place, drawn
            again = subprocess.run(
                ["bash", "-c", "\n".join([first, fix])], cwd=elsewhere, env=env, capture_output=True, text=True
            )
            assert again.returncode == 0, (first, fix, again.stderr)
        if scenario == "missing-ca-key":  # the patch reached the lab's API server
            assert "ca.crt" in lab.cluster.get("Secret", "default", "my-certs")["data"]
        else:  # the client certificate in the lab's folder now verifies against its CA
            verified = subprocess.run(
                ["openssl", "verify", "-CAfile", "ca.crt", "client.crt"], cwd=lab.folder, capture_output=True, text=True
            )
            assert verified.returncode == 0, verified.stdout + verified.stderr


def test_the_copy_toast_gives_the_labs_place_in_whole_rows_or_says_where_it_is() -> None:
    """The place under a copy toast, as shell lines no wider than the toast at 80 columns; when they
    and the note need more than the toast's six rows (a long lab folder), the toast would cut them,
    and it names where the place is whole instead (the walkthrough's top)."""
    from mtls_tui.tui.panes.command import TOAST_ROWS, copied_note, toast_width

    short = "export KUBECONFIG=/tmp/c-x1/pki/kubeconfig; cd /tmp/c-x1/pki"
    rows = copied_note("client-cert-untrusted", 80, short).split("\n")
    place = rows[rows.index("Run it in a terminal after:") + 1 :]
    assert "\n".join(place).replace(" \\\n  ", " ") == short and all(len(r) <= toast_width(80) for r in place)
    long = short.replace("/tmp/c-x1", "/tmp/pytest-of-root/pytest-1398/test_a_copied_lab_fix_runs_in_0")
    said = copied_note("client-cert-untrusted", 80, long)
    assert "\n" not in said and "walkthrough (w)" in said and "KUBECONFIG" not in said, said
    assert len(rows) <= TOAST_ROWS
