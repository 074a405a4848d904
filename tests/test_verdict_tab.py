"""The Verdict tab as a workshop presenter drives it, at 80x24, on the real lab: every scenario's
planted mistake leads with its fix on screen, the list moves with ↑↓, the detail scrolls to its
last line.

Real lab, real nginx, real probe. What would change from run to run is held still: the lab's
folder holds the fixed PKI of tests/data/snapshot (the lab reuses a PKI it finds there) at a
fixed place, the gateway listens on one port (a lock keeps two test runs on
this machine from sharing it), and the expired client's dates come from a frozen clock. The
other scenarios issue their certificates and CRLs at the real time nginx judges them by: their
screens show no date.
"""

from __future__ import annotations

import fcntl
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.selection import Selection

from mtls_tui.lab.environment import Lab
from mtls_tui.lab.scenarios import SCENARIOS
from mtls_tui.tui.app import MtlsApp
from mtls_tui.tui.panes.command import CommandLines
from mtls_tui.tui.panes.verdict import LEAD_FIX_BELOW, FindingList, VerdictPane
from tests.test_fix_portability import recorders, shells, words_given  # noqa: F401 (recorders: the fixture)

FIXED_PKI = Path(__file__).parent / "data" / "snapshot"
FROZEN = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # the fixed PKI's snapshots use the same instant
PORT = 28443


class _FrozenClock(datetime):
    """The scenarios' clock: the expired client ends 35 days before FROZEN, whatever today is."""

    @classmethod
    def now(cls, tz=None) -> datetime:  # type: ignore[override]
        return FROZEN.astimezone(tz)


@pytest.fixture(scope="module")
def home() -> Iterator[Path]:
    """The folder the tests run in, at a fixed place (the lab's paths are absolute and on
    screen); its `lab/` holds the fixed PKI. A lock keeps another run of this module on this
    machine waiting, for the folder and for the gateway's fixed port."""
    folder = Path("/tmp/mtls-vt")  # short: the fixes name its files, and they must fit at 80x24
    with open(Path(tempfile.gettempdir()) / "mtls-tui-verdict-tab.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        shutil.rmtree(folder, ignore_errors=True)
        (folder / "lab").mkdir(parents=True)
        for name in ("ca", "server", "client"):
            for suffix in (".crt", ".key"):
                shutil.copy(FIXED_PKI / f"{name}{suffix}", folder / "lab" / f"{name}{suffix}")
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def lab(home: Path, nginx_binary: str) -> Iterator[Lab]:
    """One lab for the module, switched per test, on the fixed PKI and the fixed port."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(home)
        with Lab(Path("lab"), nginx_binary=nginx_binary, port=PORT) as lab:  # the probe's address is on screen
            yield lab


@pytest.fixture(autouse=True)
def in_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lab's paths are relative (lab/lab-client.crt): the pictures must not depend on tmp."""
    monkeypatch.chdir(home)


def switched(lab: Lab, name: str, monkeypatch: pytest.MonkeyPatch) -> MtlsApp:
    monkeypatch.setattr("mtls_tui.lab.scenarios.datetime", _FrozenClock)
    lab.switch(name)
    session = lab.session()
    if name == "expired-client":  # its certificate's dates are on screen, from the frozen clock
        session = replace(session, frozen_now=FROZEN)
    return MtlsApp(session, lab=lab)


async def probed(pilot) -> None:
    """Until the probe has answered and the screen shows its verdict."""
    app = pilot.app
    for _ in range(200):
        if app.controller.reports and all(r.probe for r in app.controller.reports):
            break
        await pilot.pause(0.05)
    assert app.controller.reports and all(r.probe for r in app.controller.reports), "the probe did not answer"
    await pilot.pause(0.3)


async def into_findings(pilot) -> None:
    """As a presenter: wait for the verdict, then enter on the host: ↑↓ move through the findings."""
    await probed(pilot)
    await pilot.press("enter")
    await pilot.pause(0.2)


def screen_lines(app: MtlsApp, region: Region) -> list[str]:
    """The characters on screen inside `region`, line by line."""
    strips = app.screen._compositor.render_strips()
    return [strips[y].text[region.x : region.right] for y in range(region.y, region.bottom)]


def detail_text(app: MtlsApp) -> str:
    """What the detail area shows, without its whitespace (wrapped lines join up)."""
    detail = app.query_one("#finding-detail")
    return "".join("".join(screen_lines(app, detail.scrollable_content_region)).split())


def squeezed(text: str) -> str:
    return "".join(text.split())


def fix_on_screen(app: MtlsApp, where: str = "#finding-fix", label: str = "fix: ") -> str:
    """The fix command's lines (or the try line's, `where`) as the screen shows them, as a mouse
    selection of them copies them: from the label on, each line to its last character."""
    lines = [line.rstrip() for line in screen_lines(app, app.query_one(where, CommandLines).content_region)]
    return "\n".join(lines).removeprefix(label)


def fix_shown(app: MtlsApp, fix: str) -> bool:
    """The detail shows `fix`, in the shell lines its width takes."""
    block = app.query_one("#finding-fix", CommandLines)
    return squeezed("\n".join(block.lines(block.content_region.width))) in detail_text(app) and block.command == fix


def pastes_as(shown: str, command: str, folder: Path, programs: Path) -> None:
    """`shown`, pasted into bash and zsh, hands every program the words `command` does."""
    reference, _ = words_given(shells()["bash -c"], command, folder, programs)
    for name, shell in shells().items():
        calls, stderr = words_given(shell, shown, folder, programs)
        assert calls == reference, (name, shown, calls, reference, stderr)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_verdict_tab_at_80x24(
    name: str,
    lab: Lab,
    snap_compare,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    recorders: Path,  # noqa: F811 (the fixture)
) -> None:
    """The planted mistake leads, highlighted, and its whole fix is on screen, in lines that,
    copied as shown, run the fix. The `try:` line under the headline was that fix cut at the edge
    with an ellipsis (`…-n default n…`), which read, and copied, as another command: it is whole on
    its line, or says where it is whole (its lines pushed the fix itself off the screen)."""
    app = switched(lab, name, monkeypatch)
    seen: dict[str, object] = {}

    async def run_before(pilot) -> None:
        await into_findings(pilot)
        lead, report = pilot.app.query_one(FindingList).highlighted_finding, pilot.app.controller.report()
        seen["lead"], seen["detail"], seen["fix"] = lead, detail_text(pilot.app), fix_on_screen(pilot.app)
        shown_try = pilot.app.query_one("#verdict-try").display
        seen["try"] = fix_on_screen(pilot.app, "#verdict-try", "try: ") if shown_try else None
        seen["next"], seen["first"] = report.next_command, pilot.app.query_one(FindingList).rows[0]
        selected = pilot.app.query_one("#finding-fix", CommandLines).get_selection(
            Selection(None, None)
        )  # a mouse drag over it
        seen["selected"] = selected[0] if selected else None

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
    lead = seen["lead"]
    assert lead is not None and lead.code == SCENARIOS[name].expect
    if command := seen["next"]:  # the lead's fix: whole on the try line, or said to be below
        tried = str(seen["try"])
        assert "…" not in tried and "\n" not in tried and len("try: " + tried) <= 80 - 22, tried
        if tried == LEAD_FIX_BELOW:
            assert command == lead.fix and seen["first"] == lead  # listed first, its fix whole in the detail
        else:
            pastes_as(tried, command, tmp_path, recorders)
    if not lead.is_command:  # healthy: nothing to fix
        assert squeezed(lead.fix or lead.title) in seen["detail"], (lead.fix, seen["detail"])
        return
    shown = str(seen["fix"])
    assert max(map(len, shown.splitlines())) <= 80 - 22, shown  # beside the host list, nothing past the edge
    pastes_as(shown, lead.fix, tmp_path, recorders)
    assert seen["selected"] == f"fix: {shown}", seen["selected"]  # Textual's selection copies these lines


async def test_end_scrolls_the_verdict_tab_to_its_last_line(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    """h unfolds the hygiene, end goes to the last finding and the last line of its detail."""
    app = switched(lab, "healthy", monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await into_findings(pilot)
        pane = app.query_one(VerdictPane)
        assert not pane.loading and not pane.disabled  # Textual's own `loading` is not shadowed
        await pilot.press("h", "end")
        await pilot.pause(0.3)
        findings, detail = app.query_one(FindingList), app.query_one("#finding-detail")
        last = app.controller.reports[0].findings[-1]
        assert findings.highlighted == findings.option_count - 1 and findings.highlighted_finding == last
        assert detail.max_scroll_y > 0 and detail.scroll_y == detail.max_scroll_y
        shown = [line.strip() for line in screen_lines(app, detail.scrollable_content_region) if line.strip()]
        assert shown[-1] == f"where: {last.subject}"  # finding_block's last line, with the fix first
        await pilot.press("home")
        await pilot.pause(0.3)
        assert findings.highlighted == 0 and detail.scroll_y == 0


async def test_down_shows_the_next_findings_fix_and_evidence(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    """↓ shows the next finding's fix under the list, page down its evidence, ↑ the lead again."""
    app = switched(lab, "wrong-ca", monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await into_findings(pilot)
        first, second = app.controller.reports[0].findings[:2]
        assert first.fix != second.fix and fix_shown(app, first.fix)
        await pilot.press("down")
        await pilot.pause(0.2)
        shown = detail_text(app)
        assert app.query_one(FindingList).highlighted_finding == second
        assert fix_shown(app, second.fix) and squeezed(first.fix) not in shown
        await pilot.press("pagedown")  # the detail reads on under the list: its evidence
        await pilot.pause(0.2)
        assert squeezed(second.evidence[0]) in detail_text(app)
        await pilot.press("up")
        await pilot.pause(0.2)
        assert fix_shown(app, first.fix)


async def test_reproduce_lines_copy_as_the_command(
    lab: Lab,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    recorders: Path,  # noqa: F811 (the fixture)
) -> None:
    """The probe's `reproduce:` curl is laid out as the fix is: shell lines that fit beside the host
    list at 80 columns, each ending in a continuation, which a mouse selection copies and which,
    pasted into bash and zsh, run the curl as printed. (It was folded as prose, so a copy of
    `curl -v --resolve` then `meow.com:…` on the next line ran two commands.)"""
    app = switched(lab, "healthy", monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await into_findings(pilot)
        finding = app.query_one(FindingList).highlighted_finding
        assert finding is not None and finding.code == "probe-ok"
        [curl] = [line.removeprefix("reproduce: ") for line in finding.evidence if line.startswith("reproduce: ")]
        [block] = app.query("#finding-reproduce > CommandLines").results(CommandLines)
        shown = block.lines(block.content_region.width)
        width = block.content_region.width
        assert width <= 80 - 22 and len(shown) > 1, shown  # beside the host list: the curl needs lines
        assert len("reproduce: " + shown[0]) <= width and all(len(line) <= width for line in shown[1:]), shown
        selected = block.get_selection(Selection(None, None))
        assert selected is not None and selected[0] == "reproduce: " + "\n".join(shown)
        detail = detail_text(app)
        assert "evidence:reproduce:" not in detail  # said once, as a command
    pastes_as("\n".join(shown), curl, tmp_path, recorders)
