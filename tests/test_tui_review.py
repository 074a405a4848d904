"""What a new user meets first, read off the screen at 80x24 (and 200x50) as a person would: a
TLS-only host is no green success, host labels wrap between words, `h` works from the host
list, the Probe tab on manifest files says why there is no probe, and the help and the
scenario picker are readable at a projector's size."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import yaml
from rich.console import Console
from textual.widgets import Input, OptionList, Static

from mtls_tui.cli import main
from mtls_tui.lab.objects import meow_ingress, seed_objects
from mtls_tui.lab.pki import SeedPki
from mtls_tui.lab.scenarios import SCENARIOS
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.report.console import print_hosts
from mtls_tui.service.pipeline import reports
from mtls_tui.tui.app import TABS
from mtls_tui.tui.marks import HOST_STATE, TLS_ONLY
from mtls_tui.tui.panes.hosts import HostList
from mtls_tui.tui.panes.probe import ProbePane
from mtls_tui.tui.panes.verdict import NO_HOST_SHOWN, FindingList, VerdictPane
from mtls_tui.tui.screens import KEYS, ScenarioScreen
from tests.test_tui_panes import at_80x24, manifests_app, screen_rows, settle, squeezed, text_of

LONG_HOST = "payments-api.prod.eu-west-1.corp.example.com"


def with_tls_only(pki: SeedPki, host: str = "status.meow.com") -> list[dict]:
    """The seed, and a host its Ingress serves over TLS asking no client certificate."""
    return seed_objects(pki) + [meow_ingress({}, name="status-ingress", host=host)]


async def test_a_tls_only_host_is_shown_apart_from_an_mtls_success(tmp_path: Path, pki: SeedPki) -> None:
    async with at_80x24(tmp_path, pki, "1", with_tls_only(pki)) as (app, pilot):
        hosts = app.query_one(HostList)
        rows = [row.strip() for row in text_of(app, hosts)]
        assert f"{TLS_ONLY.symbol} status.meow.com" in rows and f"{HOST_STATE['works'].symbol} meow.com" in rows
        assert "(TLS only)" in rows  # whole, on a line of its own at this width
        hosts.action_move(-1000)
        await pilot.pause(0.3)
        report = app.controller.report()
        assert (
            report is not None and report.host == "status.meow.com" and report.state == "works"
        )  # the contract's word
        badge = app.query_one("#verdict-line", Static).render()  # the state's badge: no success colour
        assert "green" not in " ".join(str(span.style) for span in badge.spans) and str(badge).startswith(" WORKS ")
        shown = squeezed(" ".join(text_of(app, app.query_one(VerdictPane))))
        assert squeezed("WORKS status.meow.com: TLS only, no client certificate asked (not an mTLS host)") in shown


def test_the_console_report_shows_a_tls_only_host_without_a_success_colour(pki: SeedPki) -> None:
    snapshot = snapshot_from_objects(with_tls_only(pki), "manifests")
    console = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor", width=200, record=True)
    print_hosts(console, snapshot, reports(snapshot, None, {}, datetime.now(UTC)))
    lines = console.export_text(styles=True).splitlines()
    tls_only = next(line for line in lines if "TLS only, no client certificate asked" in line)
    mtls = next(line for line in lines if "mTLS is configured for meow.com" in line)
    green = "\x1b[1;32m"
    assert tls_only.startswith("\x1b[1mWORKS") and green not in tls_only
    assert mtls.startswith(green + "WORKS")  # an mTLS host that works keeps its colour


def test_check_json_keeps_the_state_word_and_says_tls_only(pki: SeedPki, tmp_path: Path, capsys) -> None:
    manifests = tmp_path / "objects.yaml"
    manifests.write_text(yaml.safe_dump_all(with_tls_only(pki)))
    assert main(["check", "--manifests", str(manifests), "--json"]) == 0
    hosts = {h["host"]: h for h in json.loads(capsys.readouterr().out)["hosts"]}
    assert (hosts["status.meow.com"]["state"], hosts["status.meow.com"]["tls_only"]) == ("works", True)
    assert (hosts["meow.com"]["state"], hosts["meow.com"]["tls_only"]) == ("works", False)


async def test_a_long_host_label_wraps_between_words_at_80_columns(tmp_path: Path, pki: SeedPki) -> None:
    async with at_80x24(tmp_path, pki, "1", with_tls_only(pki, LONG_HOST)) as (app, _):
        rows = [row.strip() for row in text_of(app, app.query_one(HostList))]
        label = rows[: rows.index("works")]
        assert "(TLS only)" in label  # never "(TLS o" / "nly)"
        assert all(row.endswith((".", "-", "com", ")")) for row in label), label  # cut after a dot or a hyphen
        assert squeezed("".join(label)) == squeezed(f"{TLS_ONLY.symbol} {LONG_HOST} (TLS only)")


async def test_h_folds_the_hygiene_from_the_host_list_and_from_another_tab(tmp_path: Path, pki: SeedPki) -> None:
    """The Verdict tab's hygiene line says `h shows them` while the host list has the keys."""
    async with at_80x24(tmp_path, pki, "1") as (app, pilot):
        verdict = app.query_one(VerdictPane)
        assert app.focused is app.query_one(HostList)
        assert any("h shows them" in row for row in text_of(app, verdict))
        await pilot.press("h")
        await pilot.pause(0.2)
        assert verdict.standing_shown and any("h hides them" in row for row in text_of(app, verdict))
        await pilot.press("4", "h")  # from the Probe tab: the Verdict tab comes forward, folded again
        await pilot.pause(0.2)
        assert app.query_one("#tabs").active == "tab-verdict" and not verdict.standing_shown


async def test_the_probe_tab_on_manifests_says_why_there_is_no_probe(tmp_path: Path, pki: SeedPki) -> None:
    app = manifests_app(tmp_path, pki)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        command = f"mtls-tui probe https://meow.com/ --cert {tmp_path}/client.crt --key {tmp_path}/client.key"
        verdict = squeezed(" ".join(text_of(app, app.query_one(VerdictPane))).replace("\\", ""))
        # no `p` offered where it cannot probe; the command whole at 80 columns, in shell lines, with
        # the session's client files, not the seed's names
        assert squeezed(f"try: {command}") in verdict, verdict
        await pilot.press("4")
        await pilot.pause(0.2)
        app.query_one(ProbePane).scroll_end(animate=False)
        await pilot.pause(0.2)
        shown = squeezed(" ".join(text_of(app, app.query_one(ProbePane))))
        assert squeezed("No probe: manifest files are not a running cluster") in shown
        assert squeezed(command) in shown and squeezed("mtls-tui lab") in shown
        form = {name: app.query_one(f"#probe-{name}", Input).value for name in ("url", "cert", "key")}
        assert form == {"url": "", "cert": f"{tmp_path}/client.crt", "key": f"{tmp_path}/client.key"}  # the review
        await pilot.press("p")
        await pilot.pause(0.3)
        said = [n.message for n in app._notifications]
        # the toast points at the Probe tab's command: in a toast it would wrap inside its words
        assert any(m.startswith("Nothing to probe: manifest files") and "Probe tab" in m for m in said), said
        assert not any(command in m for m in said), said


async def test_the_help_is_readable_at_80x24_and_at_200x50(tmp_path: Path, pki: SeedPki) -> None:
    async with at_80x24(tmp_path, pki, "1") as (app, pilot):
        await pilot.press("question_mark")
        await pilot.pause(0.3)
        box = app.screen.query_one("#help")
        assert box.outer_size.width == 80 and box.outer_size.height <= 24  # the whole screen, no more
        body = box.query_one(Static)
        assert body.size.width <= box.scrollable_content_region.width  # nothing past the right edge
        rows = screen_rows(app)
        key_column = [row[2:13] for row in rows]
        assert any(column.startswith("↑ ↓  j k") for column in key_column)  # keys in their own column
        await pilot.press("end")
        await pilot.pause(0.3)
        assert any("Finding codes are stable" in row for row in screen_rows(app))  # it scrolls to the end
        await pilot.resize_terminal(200, 50)
        await pilot.pause(0.3)
        assert box.outer_size.width == 100 and box.outer_size.height < 50  # a readable width, its own height
        shown = squeezed("".join(text_of(app, box)))
        assert all(squeezed(does) in shown for _, does in KEYS)  # all of it at once


async def test_the_scenario_picker_shows_every_name_whole_at_80x24(tmp_path: Path, pki: SeedPki) -> None:
    async with at_80x24(tmp_path, pki, "1") as (app, pilot):
        app.push_screen(ScenarioScreen({n: s.description for n, s in SCENARIOS.items()}, "healthy"))
        await pilot.pause(0.3)
        picker = app.screen.query_one(OptionList)
        assert picker.outer_size.width == 80 and picker.border_subtitle == "↑↓ choose · enter switches · esc closes"
        seen: set[str] = set()
        for _ in range(len(SCENARIOS)):
            seen |= {word for row in screen_rows(app) for word in row.split() if word in SCENARIOS}
            await pilot.press("down")
        assert seen == set(SCENARIOS)  # none cut to "migrate-deep-cha…"


async def test_with_no_host_the_files_refused_objects_are_the_verdict(tmp_path: Path, pki: SeedPki) -> None:
    """A Gateway the API server refuses leaves no host at all: the Verdict tab lists what could not
    be used, with its detail and fix, instead of a blank "No host selected" and a fading notice."""
    docs = [
        d
        for d in yaml.safe_load_all((Path(__file__).parent / "data/successors/gateway-api/healthy.yaml").read_text())
        if d
    ]
    for doc in docs:
        if doc["kind"] == "Gateway":
            doc["spec"]["tls"]["frontend"]["default"]["validation"]["mode"] = "allowValidOnly"
    async with at_80x24(tmp_path, pki, "1", docs) as (app, pilot):
        pane = app.query_one(VerdictPane)
        shown = squeezed(" ".join(text_of(app, pane)))
        assert squeezed("No host to judge: 1 object or document of the source could not be used") in shown
        assert "gateway-refused-by-api" in shown and "allowValidOnly" in shown
        chosen = pane.query_one(FindingList).highlighted_finding  # the Verdict tab's `c` copies its fix
        assert chosen is not None and chosen.code == "gateway-refused-by-api" and chosen.is_command


async def test_the_footer_keeps_help_whole_at_80_columns_wherever_the_keys_are(tmp_path: Path, pki: SeedPki) -> None:
    """On the findings the footer read `h Hygiene  c Copy this fix  q Quit  p Probe  r Refresh  e
    Export  ?`: `? Help` cut at 80 columns (on the Logs tab too). There it lists the pane's keys and
    the app's main ones; r and e still work, unlisted (the help lists them). On every tab, wherever
    tab moves the focus outside a text field (where ? is a character), `? Help` is whole."""
    async with at_80x24(tmp_path, pki, "1") as (app, pilot):
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert app.focused is app.query_one(FindingList)
        footer = screen_rows(app)[-1]
        for key in ("h Hygiene", "c Copy this fix", "q Quit", "p Probe", "? Help"):
            assert key in footer, footer
        await pilot.press("r")  # unlisted here, and still the app's
        await pilot.pause(0.1)
        assert app.focused is app.query_one(FindingList) and app.controller.reading > 1
        await settle(app, pilot)
        for tab in TABS:
            app.query_one(HostList).focus()
            app.action_tab(tab)
            for _ in range(6):
                await pilot.press("tab")
                await pilot.pause(0.05)
                if not isinstance(app.focused, Input):  # a text field takes ? as a character
                    assert "? Help" in screen_rows(app)[-1], (tab, app.focused, screen_rows(app)[-1])


async def test_the_host_filter_prompt_is_whole_at_80_columns(tmp_path: Path, pki: SeedPki) -> None:
    """`/` opened a field that read `filter hosts: name,` in the host column: it says what it matches, whole."""
    async with at_80x24(tmp_path, pki, "1") as (app, pilot):
        await pilot.press("slash")
        await pilot.pause(0.2)
        field = app.query_one("#hosts-filter", Input)
        assert app.focused is field
        [row] = text_of(app, field)
        assert row.strip() == field.placeholder


async def test_a_filter_that_shows_no_host_shows_no_verdict(tmp_path: Path, pki: SeedPki) -> None:
    """`/broken` on a lab whose only host works listed `0 of 1`, while the Verdict tab still showed
    meow.com WORKS with its findings (a new user's review): nothing is selected then, and clearing the
    filter brings the host and its verdict back."""
    async with at_80x24(tmp_path, pki, "1") as (app, pilot):
        verdict = app.query_one(VerdictPane)
        assert "meow.com" in str(verdict.query_one("#verdict-line", Static).render())
        await pilot.press("slash", *"broken")
        await pilot.pause(0.3)
        assert app.query_one(HostList).border_title == "0 of 1"
        # it said "No host selected.", as if the user had left something undone: the filter is why
        assert str(verdict.query_one("#verdict-line", Static).render()) == NO_HOST_SHOWN
        assert verdict.query_one(FindingList).option_count == 0 and app.controller.report() is None
        await pilot.press("escape")  # k9s's esc: the filter cleared
        await pilot.pause(0.3)
        assert "meow.com" in str(verdict.query_one("#verdict-line", Static).render())
        assert app.controller.report() is not None


async def test_a_second_notice_replaces_the_first_over_the_detail(tmp_path: Path, pki: SeedPki) -> None:
    """`c` twice, or a copy then another notice, stacked two toasts over the finding's detail at 80x24:
    one toast at a time, and the fix line below the findings stays readable."""
    objects, _ = SCENARIOS["bad-secret-ref"].build(pki)
    app = manifests_app(tmp_path, pki, objects)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await pilot.pause(0.2)
        fix = app.query_one("#finding-fix")
        shown = text_of(app, fix)
        assert squeezed("".join(shown)).startswith("fix:kubectlannotate")
        for keys in (("c", "c"), ("c", "l")):  # l: a notice that scenarios are the lab's
            await pilot.press(*keys)
            await pilot.pause(0.5)
            toasts = app.screen.query("Toast")  # Textual's toast widget, by its CSS type
            assert len(toasts) == 1, [t.render() for t in toasts]
            assert text_of(app, fix) == shown
