"""Every printed command, pasted where users paste it. The reference is `bash -c`, as the other
tests run the fixes; beside it an interactive bash and an interactive zsh read the command as
typed (`zsh -f`: macOS's login shell with its defaults, so `interactive_comments` off, `nomatch`
and `!` history on). Each program a command names is a recorder of the words it gets, and the
three shells must hand every program the same words: a `# then …` tail, an unquoted glob or a
`!` that zsh reads otherwise fails here. No program may get an option only GNU has, since
macOS's base64, sed, grep, date, readlink and xargs are BSD's (their man pages: base64 has no
-w, sed's -i takes a suffix, grep has no -P, date no -d, readlink no -f, xargs no -r) and it has
no sha256sum before macOS 14.

The commands: every fix of the ingress-nginx conformance cases (tests/test_controller_conformance),
of `check --manifests` on each successor manifest of tests/data/successors, of the hostile worlds
of tests/test_hostile_commands, the lab walkthrough's lines, the Probe tab's reproduce lines and the probe's fixes for TLS alerts.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mtls_tui.certs.load import load_material
from mtls_tui.cli import main
from mtls_tui.diagnose.hosts import host_report
from mtls_tui.diagnose.probe import probe_findings
from mtls_tui.diagnose.reproduce import curl_command, openssl_command, parse_target, probe_command
from mtls_tui.lab.walkthrough import Place, walkthrough
from mtls_tui.model import FIX_PROGRAMS, ProbeSpec
from mtls_tui.policy.ingress_nginx.hosts import host_policies
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.shell import fold_command
from tests.conftest import require
from tests.test_controller_conformance import CASES, NOW, objects_for, pki  # noqa: F401 (pki: the fixture)
from tests.test_hostile_commands import HOSTILE, fixes_for
from tests.test_probe_alerts import _alert, _result

SUCCESSORS = Path(__file__).parent / "data" / "successors"
# Every program a printed command may start or pipe to; anything else is "command not found" in the reference run.
PROGRAMS = sorted(FIX_PROGRAMS | {"sed", "grep", "tee", "mv", "tr", "sort", "htpasswd", "mkdir", "rm", "cp"})
GNU_ONLY = {  # program: options macOS's BSD tools refuse or read otherwise
    "base64": ("-w", "--wrap"),
    "sed": ("-i", "--in-place", "-r"),
    "grep": ("-P", "--perl-regexp"),
    "date": ("-d", "--date"),
    "readlink": ("-f",),
    "xargs": ("-r", "--no-run-if-empty"),
}
NOT_ON_MACOS = {"sha256sum", "sha1sum", "md5sum", "timeout", "stat"}


@pytest.fixture(scope="module")
def recorders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PATH of recorders: each writes its name and every argument, NUL-separated, to a file of
    its own in $CALLS (the programs of a pipeline run at once: one file would mix their words)."""
    folder = tmp_path_factory.mktemp("recorders")
    for name in PROGRAMS + sorted(NOT_ON_MACOS):
        script = folder / name
        script.write_text('#!/bin/sh\nprintf \'%s\\0\' "$(basename "$0")" "$@" > "$(mktemp "$CALLS/call.XXXXXX")"\n')
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return folder


def shells() -> dict[str, list[str]]:
    zsh = require("zsh", shutil.which("zsh"))
    return {
        "bash -c": ["/bin/bash", "-c"],  # the command as an argument, as the other tests run it
        "bash, typed": ["/bin/bash", "--norc", "--noprofile", "-i"],
        "zsh, typed": [zsh, "-f", "-i"],
    }


def words_given(shell: list[str], command: str, folder: Path, recorders: Path) -> tuple[list[list[str]], str]:
    """The calls a shell makes for `command` (each: program and its words), and its stderr. Sorted:
    the programs of a pipeline run at once, in no fixed order."""
    calls = folder / "calls"
    shutil.rmtree(calls, ignore_errors=True)
    calls.mkdir()
    typed = shell[-1] == "-i"
    done = subprocess.run(
        shell if typed else [*shell, command],
        input=command + "\n" if typed else None,
        stdin=None if typed else subprocess.DEVNULL,
        cwd=folder,
        env={"PATH": f"{recorders}:/usr/bin:/bin", "CALLS": str(calls), "HOME": str(folder), "PS1": "", "TERM": "dumb"},
        capture_output=True,
        text=True,
        timeout=20,
    )
    recorded = [
        re.sub(r"/(dev|proc/self)/fd/\d+", "<fd>", f.read_bytes().decode("utf-8", "replace")) for f in calls.iterdir()
    ]
    return sorted(call.rstrip("\0").split("\0") for call in recorded), done.stderr  # <fd>: `<(…)`


def printed_fixes(data: Any) -> Iterator[str]:
    """Every `fix` of every finding a `--json` report holds, at any depth."""
    if isinstance(data, dict):
        if isinstance(data.get("fix"), str) and "code" in data:
            yield data["fix"]
        for value in data.values():
            yield from printed_fixes(value)
    elif isinstance(data, list):
        for value in data:
            yield from printed_fixes(value)


@pytest.fixture(scope="module")
def commands(pki, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:  # noqa: F811
    """Each distinct printed command, with where it came from."""
    found: dict[str, str] = {}
    client = load_material(pki.client.cert_pem() + pki.client.key_pem(), "client.crt")
    for case in CASES:
        snapshot = snapshot_from_objects(objects_for(case, pki), "conformance")
        for policy in host_policies(snapshot):
            for finding in host_report(policy, snapshot, NOW, client=client).findings:
                found.setdefault(finding.fix, f"conformance {case.id}")
    place = tmp_path_factory.mktemp("place")
    for step in walkthrough(
        Place(place, place / "kubeconfig", "127.0.0.1:8443", (place / "c.crt", place / "c.key"), "mtls-tui"),
        None,
        None,
        set(),
        set(),
    ):
        for line in step.command.splitlines():
            found.setdefault(line, f"walkthrough: {step.title}")
    # The Probe tab's reproduce lines, with what a user may type into its form (an escape character
    # is shown as text, and a line editor eats it when typed: that one is pasted as bash -c runs it).
    for value in (v for v in HOSTILE if "\x1b" not in v):
        for spec in (
            ProbeSpec(f"https://meow.com:8443/a?{value}", resolve="meow.com:8443:127.0.0.1", insecure=True, cert=value),
            ProbeSpec(
                "https://127.0.0.1:8443/",
                cacert=value,
                cert="c.crt",
                key=value,
                no_sni=True,
                headers=(("Host", value),),
            ),
        ):
            target = parse_target(spec)
            for with_cert in (False, True):
                found.setdefault(curl_command(spec, with_cert, target), "probe: curl")
                found.setdefault(openssl_command(spec, target, with_cert), "probe: openssl")
        found.setdefault(probe_command(f"meow{value}.com", value, value), "probe: mtls-tui probe")
    for number in (40, 42, 43, 44, 45, 46, 48, 114, 116):  # the probe's fixes for each TLS alert
        for sent in (False, True):
            for finding in probe_findings([_result(sent, _alert(number, "handshake"))]):
                found.setdefault(finding.fix, f"probe alert {number}")
    found.pop("", None)
    return found


def test_the_corpus_reaches_many_findings(commands: dict[str, str]) -> None:
    assert len(commands) >= 60, len(commands)


def same_words_in_every_shell(command: str, folder: Path, recorders: Path) -> str | None:
    """None, or what differs: the first shell whose programs got other words than `bash -c`'s."""
    runs = {name: words_given(shell, command, folder, recorders) for name, shell in shells().items()}
    reference, stderr = runs["bash -c"]
    if "command not found" in stderr:
        return f"a program the recorders lack: {stderr.strip()}"
    for name, (calls, err) in runs.items():
        if calls != reference:
            return f"{name} gave {calls} where bash -c gave {reference} ({err.strip()[-300:]})"
    for program, *words in reference:
        if program in NOT_ON_MACOS:
            return f"{program} is not on macOS"
        bad = [w for w in words for option in GNU_ONLY.get(program, ()) if w == option or w.startswith(option + "=")]
        if bad or (program == "base64" and any(w.startswith("-w") for w in words)):
            return f"{program} {bad or words}: an option BSD's {program} does not take"
    return None


def test_the_conformance_fixes_and_walkthrough_paste_alike_in_bash_and_zsh(
    commands: dict[str, str], tmp_path: Path, recorders: Path
) -> None:
    wrong = {
        where: (command, why)
        for command, where in commands.items()
        if (why := same_words_in_every_shell(command, tmp_path, recorders))
    }
    assert not wrong, json.dumps(wrong, indent=1)[:4000]


@pytest.mark.parametrize("folder", sorted(p.name for p in SUCCESSORS.iterdir() if p.is_dir()))
def test_the_successors_fixes_paste_alike_in_bash_and_zsh(
    folder: str, tmp_path: Path, recorders: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fixes: dict[str, str] = {}
    for path in sorted((SUCCESSORS / folder).rglob("*.yaml")):
        main(["check", "--manifests", str(path), "--json", "--no-probe"])
        for fix in printed_fixes(json.loads(capsys.readouterr().out)):
            fixes.setdefault(fix, path.name)
    fixes.pop("", None)
    wrong = {
        where: (fix, why)
        for fix, where in fixes.items()
        if (why := same_words_in_every_shell(fix, tmp_path, recorders))
    }
    assert not wrong, json.dumps(wrong, indent=1)[:4000]


@pytest.mark.parametrize("value", HOSTILE, ids=[f"v{i}" for i in range(len(HOSTILE))])
def test_fixes_with_hostile_values_paste_alike_in_bash_and_zsh(
    value: str, tmp_path: Path, recorders: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fixes = dict.fromkeys(fixes_for(tmp_path, value, capsys))
    wrong = [(fix, why) for fix in fixes if (why := same_words_in_every_shell(fix, tmp_path, recorders))]
    assert not wrong, wrong[:5]
    folded = [(fix, why) for fix in fixes if (why := folded_differs(fix, 20, tmp_path, recorders))]
    assert not folded, folded[:5]


def test_a_comment_tail_reaches_the_program_in_zsh(tmp_path: Path, recorders: Path) -> None:
    """The check itself: what it would have caught in the fixes before they lost their tails."""
    why = same_words_in_every_shell("kubectl get secrets -n default  # then add it", tmp_path, recorders)
    assert why is not None and why.startswith("zsh, typed gave [['kubectl', 'get', 'secrets', '-n', 'default', '#'")
    assert "BSD" in (same_words_in_every_shell("base64 -w0 ca.crt", tmp_path, recorders) or "")
    assert same_words_in_every_shell("kubectl get secret 'a b' -o jsonpath='{.data}'", tmp_path, recorders) is None


def test_a_typed_shell_reads_the_recorders_not_the_real_programs(tmp_path: Path, recorders: Path) -> None:
    calls, _ = words_given(shells()["zsh, typed"], "kubectl version", tmp_path, recorders)
    assert calls == [["kubectl", "version"]]
    assert os.access(recorders / "kubectl", os.X_OK)


def folded_differs(command: str, width: int, folder: Path, recorders: Path) -> str | None:
    """None, or how the shell lines the Verdict tab shows for `command` at `width` (the label
    `fix: ` before the first) run otherwise than the command: the first shell whose programs get
    other words than the one-line command gives them under bash -c."""
    shown = "\n".join(fold_command(command, width, len("fix: ")))
    if shown == command:
        return None
    reference, _ = words_given(shells()["bash -c"], command, folder, recorders)
    for name, shell in shells().items():
        calls, stderr = words_given(shell, shown, folder, recorders)
        if calls != reference:
            return f"{name} gave {calls} for {shown!r} where the command gave {reference} ({stderr.strip()[-300:]})"
    return None


@pytest.mark.parametrize("width", [20, 55])  # 55: the Verdict tab's fix at 80 columns; 20: every break kind
def test_the_verdict_tabs_shell_lines_paste_as_the_command(
    commands: dict[str, str], width: int, tmp_path: Path, recorders: Path
) -> None:
    """The Verdict tab shows a fix as shell lines that fit the pane (shell.fold_command): pasted
    as shown, into bash -c, an interactive bash and zsh, every program gets the words the
    one-line command gives it under bash -c."""
    folded = [c for c in commands if "\n".join(fold_command(c, width, len("fix: "))) != c]
    assert len(folded) >= 40, len(folded)
    wrong = {commands[c]: why for c in folded if (why := folded_differs(c, width, tmp_path, recorders))}
    assert not wrong, json.dumps(wrong, indent=1)[:4000]
