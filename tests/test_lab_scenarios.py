"""Every lab scenario, on the real nginx gateway: the diagnosis names the mistake."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from mtls_tui.commands.check import check_session
from mtls_tui.lab.environment import Lab
from mtls_tui.lab.leftovers import reap
from mtls_tui.lab.scenarios import SCENARIOS


def nginx_processes(prefixes: list[str]) -> list[str]:
    """nginx processes still running with one of these private prefixes."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "nginx" in cmdline.split(" ")[0] and any(prefix in cmdline for prefix in prefixes):
            found.append(pid)
    return found


def diagnose(lab: Lab):
    return check_session(lab.session(), prompt=False, timeout=5).reports


@pytest.fixture(params=["nginx", "builtin"])
def gateway(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    """Each scenario on the real nginx and on the built-in gateway."""
    if request.param == "nginx":
        return "nginx", request.getfixturevalue("nginx_binary")
    return "builtin", None


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_is_named(name: str, tmp_path: Path, gateway: tuple[str, str | None]) -> None:
    kind, binary = gateway
    with Lab(tmp_path / "pki", name, nginx_binary=binary, gateway=kind) as lab:
        assert lab.gateway_kind == kind
        report = next(r for r in diagnose(lab) if r.host == "meow.com")
    codes = [f.code for f in report.findings]
    assert codes[0] == SCENARIOS[name].expect, (name, codes)  # the mistake leads: the screen selects it
    if name in ("healthy", "stale-controller", "cross-namespace-allowed") or name.startswith("migrate-"):
        # stale-controller goes wrong only once the Secret changes; migrate-* work here, and change when moved
        assert report.verdict == "mTLS works for meow.com" and report.state != "broken"
    elif name in (
        "verify-off",
        "missing-ca-key",
        "ssl-passthrough",
    ):  # the headline says the door is open, and the probe proves it
        assert report.verdict.startswith("mTLS not enforced for meow.com: ") and "probe-mtls-not-enforced" in codes, (
            report.verdict
        )
    elif name == "match-cn-mismatch":  # judged offline, and nginx agrees
        assert report.state == "broken" and "probe-cn-rejected" in codes
    elif name == "no-tls-section":  # no certificate configured for the host: no redirect, plain HTTP gets in
        assert report.state == "not enforced" and "mtls-plain-http" in codes, report.verdict
    elif name == "no-client-cert":  # the host is right; the probe's warning says the certificate was not sent
        assert report.state == "works" and report.verdict.endswith("(not yet probed with a client certificate)")
    else:
        assert report.state == "broken"


def test_switching_live(tmp_path: Path, nginx_binary: str) -> None:
    with Lab(tmp_path / "pki", "healthy", nginx_binary=nginx_binary) as lab:
        assert "probe-ok" in {f.code for f in diagnose(lab)[0].findings}
        lab.switch("missing-ca-key")
        codes = {f.code for f in diagnose(lab)[0].findings}
        assert {"secret-missing-ca", "probe-mtls-not-enforced"} <= codes  # no ca.crt beside a keypair: mTLS off
        lab.switch("healthy")
        assert "probe-ok" in {f.code for f in diagnose(lab)[0].findings}


def test_twenty_starts_leave_nothing_behind(tmp_path: Path, nginx_binary: str) -> None:
    """Judged on this test's own labs: other processes may run labs at the same time."""
    before_threads = threading.active_count()
    folders, prefixes = [], []
    for _ in range(20):
        lab = Lab(tmp_path / "pki", nginx_binary=nginx_binary).start()
        port = lab.gateway.port
        folders += [lab.private, lab.gateway.log_paths()[0].parent]
        prefixes.append(str(folders[-1]))
        lab.stop()
    assert not [f for f in folders if f.exists()]
    assert threading.active_count() <= before_threads + 1
    import socket

    with socket.socket() as sock:  # the gateway's port is free again
        sock.bind(("127.0.0.1", port))
    assert not nginx_processes(prefixes)
    assert (tmp_path / "pki" / "ca.crt").exists()  # the user's PKI stays


def test_a_start_that_fails_half_way_leaves_nothing_behind(tmp_path: Path) -> None:
    """An nginx that exits at once (/bin/false) fails the start after the PKI, the private
    folder and the API server were made: each is released, in reverse, before the error
    reaches the caller."""
    import tempfile

    from mtls_tui.lab.nginx import NginxError

    def ours() -> set[Path]:
        found = set()
        for folder in Path(tempfile.gettempdir()).iterdir():
            try:
                if folder.name.startswith(("mtls-tui-", "mtls-lab-api-")) and (folder / "owner.pid").read_text() == str(
                    os.getpid()
                ):
                    found.add(folder)
            except OSError:
                continue
        return found

    before_threads, before_folders = threading.active_count(), ours()
    lab = Lab(tmp_path / "pki", nginx_binary="/bin/false", gateway="nginx")
    with pytest.raises(NginxError, match="nginx refused to start"):
        lab.start()
    assert ours() == before_folders
    assert lab.private is None and lab.cluster is None and lab.gateway is None
    assert threading.active_count() <= before_threads
    assert (tmp_path / "pki" / "ca.crt").exists()  # the user's PKI stays


@pytest.mark.parametrize(
    ("scenario", "states"),
    [
        ("healthy", ["done"] * 7),
        ("missing-ca-key", ["done", "failed", "done", "failed", "failed", "failed", "failed"]),
        ("no-client-cert", ["done", "done", "done", "done", "done", "pending", "done"]),
    ],
)
def test_walkthrough_states(scenario: str, states: list[str], tmp_path: Path, nginx_binary: str) -> None:
    with Lab(tmp_path / "pki", scenario, nginx_binary=nginx_binary) as lab:
        reports = diagnose(lab)
        steps = lab.walkthrough(reports)
    assert [s.state for s in steps] == states, [(s.title, s.state, s.detail) for s in steps]


def test_v3_pki_on_request(tmp_path: Path, nginx_binary: str) -> None:
    with Lab(tmp_path / "pki", nginx_binary=nginx_binary, v3=True) as lab:
        [report] = diagnose(lab)
    codes = {f.code for f in report.findings}
    assert "probe-ok" in codes and not codes & {"cert-v1", "server-cert-no-san"}
    assert report.state == "works"


def test_pki_refuses_to_replace_a_ca(tmp_path: Path) -> None:
    import subprocess
    import sys

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mtls_tui", "pki", str(tmp_path), *extra], capture_output=True, text=True
        )

    assert run().returncode == 0
    key = (tmp_path / "ca.key").read_bytes()
    again = run()
    assert again.returncode == 2 and "already holds" in again.stderr and (tmp_path / "ca.key").read_bytes() == key
    assert run("--force").returncode == 0 and (tmp_path / "ca.key").read_bytes() != key


def test_closing_the_terminal_stops_the_lab(tmp_path: Path, nginx_binary: str) -> None:
    """The screen in tmux; the session killed (SIGHUP), as closing a terminal window does."""
    import shutil
    import subprocess
    import sys
    import tempfile
    import time

    from tests.conftest import require

    require("tmux", shutil.which("tmux"))
    temp = Path(tempfile.gettempdir())
    session = f"mtls-hup-{os.getpid()}"
    command = f"{sys.executable} -m mtls_tui lab --dir {tmp_path / 'pki'}"

    def made_by_this_lab() -> set[Path]:
        """The private folders whose recorded owner is this lab's process (another lab on the
        machine, a helper's or a test's, makes folders of the same names)."""
        found = set()
        for folder in temp.glob("mtls-tui-*"):
            try:
                owner = (folder / "owner.pid").read_text().strip()
                if str(tmp_path / "pki") in Path(f"/proc/{owner}/cmdline").read_bytes().decode(errors="replace"):
                    found.add(folder)
            except OSError:
                continue
        return found

    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30", command], check=True)
    try:
        deadline = time.monotonic() + 20

        def both_made() -> bool:  # the lab's folder and its nginx's, in whichever order they appear
            names = [p.name for p in made_by_this_lab()]
            return any("nginx" in n for n in names) and any("lab" in n for n in names)

        while time.monotonic() < deadline and not both_made():
            time.sleep(0.1)
        ours = made_by_this_lab()
        assert any("nginx" in p.name for p in ours) and any("lab" in p.name for p in ours)
        time.sleep(1.0)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(p.exists() for p in ours):
        time.sleep(0.1)
    assert not [p for p in ours if p.exists()]
    assert not nginx_processes([str(p) for p in ours])

    def lab_processes() -> list[str]:  # the lab's own python, not only its nginx: nothing may linger
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
            except (OSError, IndexError):
                continue
            if str(tmp_path / "pki") in cmdline and state != "Z":
                found.append(pid)
        return found

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and lab_processes():
        time.sleep(0.1)
    assert not lab_processes()


def test_a_killed_lab_is_cleaned_up_by_the_next(tmp_path: Path, nginx_binary: str) -> None:
    """kill -9 leaves nginx running and the private folders (with keys) behind; the next lab removes them."""
    import signal
    import subprocess
    import sys
    import time

    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time\n"
                "from pathlib import Path\n"
                "from mtls_tui.lab.environment import Lab\n"
                f"lab = Lab(Path({str(tmp_path / 'killed')!r}), nginx_binary={nginx_binary!r}).start()\n"
                "print(lab.private, lab.gateway.log_paths()[0].parent, flush=True)\n"
                "time.sleep(60)\n"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        folders = [Path(p) for p in child.stdout.readline().split()]
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert len(folders) == 2 and all(f.exists() for f in folders)
    assert nginx_processes([str(folders[1])])  # orphaned, still serving
    with Lab(tmp_path / "pki", nginx_binary=nginx_binary):
        pass
    for _ in range(50):
        if not nginx_processes([str(folders[1])]):
            break
        time.sleep(0.05)
    assert not nginx_processes([str(folders[1])]) and not any(f.exists() for f in folders)


def test_printed_fixes_work_on_the_lab_with_kubectl(tmp_path: Path, nginx_binary: str) -> None:
    """A workshop applies the tool's own fix with kubectl; the lab reloads as the controller would."""
    import shutil
    import subprocess
    import time

    from tests.conftest import require

    binary = require("kubectl", shutil.which("kubectl"))
    with Lab(tmp_path / "pki", "missing-ca-key", nginx_binary=nginx_binary) as lab:

        def kubectl(command: str) -> None:
            done = subprocess.run(
                command.replace("kubectl ", f"{binary} --cache-dir {tmp_path / 'cache'} ", 2),
                shell=True,
                cwd=lab.folder,
                env={**os.environ, "KUBECONFIG": str(lab.kubeconfig)},
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert done.returncode == 0, (command, done.stderr)

        def codes_after_reload(wanted: str) -> set[str]:
            """The lab notices within 0.1 s and restarts its gateway; a loaded machine takes longer."""
            for _ in range(40):
                codes = {f.code for f in diagnose(lab)[0].findings}
                if wanted in codes:
                    break
                time.sleep(0.25)
            return codes

        [report] = diagnose(lab)
        fix = next(f.fix for f in report.findings if f.code == "secret-missing-ca")
        kubectl(fix)  # kubectl create secret … --dry-run=client -o yaml | kubectl apply -f -
        codes = codes_after_reload("probe-ok")
        assert "probe-ok" in codes and "secret-missing-ca" not in codes
        kubectl(
            "kubectl annotate ingress meow-ingress nginx.ingress.kubernetes.io/auth-tls-verify-client=off --overwrite"
        )
        assert "probe-mtls-not-enforced" in codes_after_reload("probe-mtls-not-enforced")
        kubectl(
            "kubectl patch ingress meow-ingress --type json -p "
            '\'[{"op":"remove","path":"/metadata/annotations/nginx.ingress.kubernetes.io~1auth-tls-verify-client"}]\''
        )
        assert "probe-ok" in codes_after_reload("probe-ok")  # verify-client defaults to on


def test_a_dropped_ingress_is_not_served_by_the_lab(tmp_path: Path, nginx_binary: str) -> None:
    """An invalid auth-tls-match-cn makes the controller drop the Ingress: no server for the host,
    so the fake certificate and the default backend's 404, as the finding says."""
    import copy
    import time

    with Lab(tmp_path / "pki", nginx_binary=nginx_binary) as lab:
        ingress = copy.deepcopy(lab.cluster.get("Ingress", "default", "meow-ingress"))
        ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/auth-tls-match-cn"] = "CN=("
        lab.cluster.apply(ingress)
        for _ in range(40):
            [report] = diagnose(lab)
            codes = {f.code for f in report.findings}
            if "probe-fake-certificate" in codes:
                break
            time.sleep(0.25)
    assert {"annotation-invalid-value", "probe-fake-certificate"} <= codes and "probe-mtls-not-enforced" not in codes


@pytest.mark.parametrize("damage", ["der", "key-pasted"])
def test_a_refused_ca_is_repaired_by_its_printed_fix(damage: str, tmp_path: Path, nginx_binary: str) -> None:
    """store/backend_ssl.go getPemCertificate refuses a DER ca.crt or one with a key in it (403 for the
    host); the fix, run as printed with kubectl against the lab, repairs it from the Secret's own bytes."""
    import base64
    import copy
    import shutil
    import subprocess
    import time

    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    from tests.conftest import require

    binary = require("kubectl", shutil.which("kubectl"))
    with Lab(tmp_path / "pki", nginx_binary=nginx_binary) as lab:
        secret = copy.deepcopy(lab.cluster.get("Secret", "default", "my-certs"))
        pem = base64.b64decode(secret["data"]["ca.crt"])
        bad = (
            x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)
            if damage == "der"
            else pem + (lab.folder / "ca.key").read_bytes()
        )
        secret["data"]["ca.crt"] = base64.b64encode(bad).decode()
        lab.cluster.apply(secret)
        for _ in range(40):
            [report] = diagnose(lab)
            if "secret-unusable" in {f.code for f in report.findings} and [r.status for r in report.probe] == [
                403,
                403,
            ]:
                break  # the lab's gateway restarts as the controller reloads: a moment later than the policy
            time.sleep(0.25)
        assert [r.status for r in report.probe] == [403, 403]
        fix = next(f.fix for f in report.findings if f.code == "secret-unusable")
        assert "PRIVATE KEY" not in fix
        done = subprocess.run(
            fix.replace("kubectl ", f"{binary} --cache-dir {tmp_path / 'cache'} "),
            shell=True,
            executable="/bin/bash",
            cwd=tmp_path,
            env={**os.environ, "KUBECONFIG": str(lab.kubeconfig)},
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 0, (fix, done.stderr)
        for _ in range(40):
            codes = {f.code for f in diagnose(lab)[0].findings}
            if "probe-ok" in codes:
                break
            time.sleep(0.25)
        assert "probe-ok" in codes and "secret-unusable" not in codes


WEDGED_UNWIND = """
import sys, threading, time
from mtls_tui.commands import lab as command
from mtls_tui.lab.nginx import Nginx, free_port

command.UNWIND_SECONDS = 1.0
port = free_port()
server = Nginx(lambda prefix: f"server {{ listen 127.0.0.1:{port}; return 200; }}", [port], binary=sys.argv[1]).start()
command._stop_on_hangup()
try:  # the line is printed inside: the hang-up that follows it must land in this try
    print(server.prefix, flush=True)
    while True:
        time.sleep(0.05)
except SystemExit:
    threading.Event().wait()  # an unwinding that blocks for good, as a stuck join or lock would
"""


def test_a_hang_up_whose_unwinding_blocks_still_ends_the_lab(tmp_path: Path, nginx_binary: str) -> None:
    """A closed terminal raises SystemExit wherever the lab's main thread is; once, under load,
    the unwinding then blocked and the lab with its nginx stayed up for 70 minutes. The
    watchdog the first signal starts stops this process's nginx, removes its private folders
    and ends the process, however the unwinding goes."""
    import signal
    import subprocess
    import sys
    import time

    child = subprocess.Popen(
        [sys.executable, "-c", WEDGED_UNWIND, nginx_binary], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        prefix = Path(child.stdout.readline().strip())
        assert prefix.is_dir() and nginx_processes([str(prefix)])
        child.send_signal(signal.SIGHUP)
        started = time.monotonic()
        assert child.wait(timeout=15) == 128 + signal.SIGHUP
        assert time.monotonic() - started >= 0.9  # the watchdog ended it, not the signal itself
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and nginx_processes([str(prefix)]):
            time.sleep(0.05)
        assert not nginx_processes([str(prefix)])
        assert not prefix.exists()
    finally:
        child.kill()
        child.wait()
        reap()  # when the watchdog failed: the nginx of the dead child is left to no one else
