"""The workshop walkthrough runs as printed: every step's commands, each step in a fresh
`bash -lc` (a login shell, as a new terminal: its own PATH, no KUBECONFIG, another folder),
in order, against a running lab with a real nginx, real kubectl, openssl and curl. After
each step the lab's own diagnosis says what that step changed.

The lab starts as a room would find a cluster before the article's steps: the Secret
without `ca.crt` (scenario missing-ca-key), and no Deployment, Service or Ingress.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from mtls_tui.commands.check import check_session
from mtls_tui.diagnose.hosts import HostReport
from mtls_tui.lab.environment import Lab
from mtls_tui.lab.walkthrough import OBJECT_FILES
from mtls_tui.model import ClusterSnapshot
from mtls_tui.policy.kube_objects import LAST_APPLIED
from mtls_tui.shell import arg
from tests.conftest import require

Seen = tuple[ClusterSnapshot, list[HostReport]]
# kubectl apply's warning for an object that `kubectl create` made (kubectl's apply.go,
# warningNoLastAppliedConfigAnnotation): "Warning: resource secrets/my-certs is missing the …"
NO_LAST_APPLIED = "is missing the kubectl.kubernetes.io/last-applied-configuration annotation"


def observe(lab: Lab) -> Seen:
    diagnosis = check_session(lab.session(), prompt=False, timeout=5)
    return diagnosis.snapshot, diagnosis.reports


def meow(seen: Seen) -> HostReport | None:
    return next((r for r in seen[1] if r.host == "meow.com"), None)


def settle(lab: Lab, wanted: Callable[[Seen], bool]) -> Seen:
    """The lab notices a kubectl change within 0.1 s and restarts its gateway, as the
    controller reloads; a loaded machine takes longer."""
    for _ in range(60):
        seen = observe(lab)
        if wanted(seen):
            return seen
        time.sleep(0.25)
    return seen


def states(lab: Lab, seen: Seen) -> list[str]:
    return [step.state for step in lab.walkthrough(seen[1])]


def terminal_env(home: Path) -> dict[str, str]:
    """A new terminal's: no KUBECONFIG, a HOME of its own (kubectl's cache), and no sign of the
    virtual environment the tests run in, so that `mtls-tui` is reached as the walkthrough says."""
    scripts = sysconfig.get_path("scripts")
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != scripts)
    return {"PATH": path, "HOME": str(home), "LANG": "C.UTF-8", "TERM": "dumb"}


def run_step(command: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """The step's lines as printed, in a fresh login shell; -e and pipefail make any line that
    fails (a command not found, kubectl refused, a pipe's first half) fail the step."""
    return subprocess.run(
        ["/bin/bash", "-e", "-o", "pipefail", "-lc", command],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.mark.nginx
def test_every_step_runs_as_printed_in_order(
    tmp_path: Path, nginx_binary: str, openssl_binary: str, curl_binary: str
) -> None:
    require("kubectl", shutil.which("kubectl"))
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    env = terminal_env(home)
    folder = tmp_path / "workshop lab"  # a space: every path in the commands must be one shell word
    with Lab(folder, "missing-ca-key", nginx_binary=nginx_binary) as lab:
        for kind, name in (("Ingress", "meow-ingress"), ("Service", "meow-svc"), ("Deployment", "meow")):
            lab.cluster.delete(kind, "default", name)
        seen = settle(lab, lambda seen: meow(seen) is None)
        steps = lab.walkthrough(seen[1])
        assert [s.title for s in steps] == [
            "Create the certificates",
            "Create the Secret",
            "Deploy the application",
            "Add the Ingress with the auth-tls annotations",
            "Test without a client certificate",
            "Test with the client certificate",
            "Troubleshoot",
        ]
        assert states(lab, seen) == ["done", "failed", "pending", "pending", "pending", "pending", "pending"]
        hint = lab.walkthrough_hint
        assert f"export KUBECONFIG={arg(str(lab.kubeconfig))}" in hint and str(folder) in hint
        mtls_tui = steps[6].command.splitlines()[-1].split(" check ")[0]
        assert f"mtls-tui there: {mtls_tui}" in hint  # the one step 7 runs, in a shell without the venv on PATH
        lab_ca_key = (folder / "ca.key").read_bytes()

        def after(index: int) -> subprocess.CompletedProcess:
            done = run_step(steps[index].command, env, elsewhere)
            assert done.returncode == 0, (steps[index].title, steps[index].command, done.stdout, done.stderr)
            assert NO_LAST_APPLIED not in done.stderr, (steps[index].title, done.stderr)
            return done

        after(0)  # the article's openssl commands, in article/ beside the lab's PKI
        for name in ("ca.crt", "ca.key", "server.crt", "client.crt", "client.key"):
            assert (folder / "article" / name).is_file(), name
        assert (folder / "ca.key").read_bytes() == lab_ca_key  # the lab's own CA stays
        seen = observe(lab)
        assert meow(seen) is None
        assert states(lab, seen) == ["done", "failed", "pending", "pending", "pending", "pending", "pending"]

        after(1)  # the Secret, in the form the lab's API server takes
        secret = lab.cluster.get("Secret", "default", "my-certs")  # the snapshot reads only Secrets an Ingress names
        assert sorted(secret["data"]) == ["ca.crt", "tls.crt", "tls.key"]
        assert (
            base64.b64decode(secret["data"]["ca.crt"]) == (folder / "ca.crt").read_bytes()
        )  # the lab's, not article/'s
        seen = observe(lab)
        assert meow(seen) is None  # no Ingress yet: nothing serves meow.com
        assert states(lab, seen) == ["done", "done", "pending", "pending", "pending", "pending", "pending"]

        after(2)  # meow-deployment.yaml and meow-service.yaml, from the lab's folder
        assert lab.cluster.get("Deployment", "default", "meow") and lab.cluster.get("Service", "default", "meow-svc")
        seen = observe(lab)
        assert meow(seen) is None
        assert states(lab, seen) == ["done", "done", "done", "pending", "pending", "pending", "pending"]

        after(3)  # meow-ingress.yaml: now the host is served, with mTLS
        seen = settle(lab, lambda seen: bool(meow(seen)) and "probe-ok" in {f.code for f in meow(seen).findings})
        report = meow(seen)
        assert report is not None and report.state == "works", report and (
            report.verdict,
            [f.code for f in report.findings],
        )
        assert states(lab, seen) == ["done"] * 7  # the lab's own probes: 400 without, SUCCESS with the certificate

        without = after(4)
        assert "No required SSL certificate was sent" in without.stdout and "400 Bad Request" in without.stdout
        with_cert = after(5)
        assert "ssl-client-verify=SUCCESS" in with_cert.stdout and "ssl-client-subject-dn=CN=Fern" in with_cert.stdout

        troubleshoot = after(6)  # kubectl get pods/logs and mtls-tui check, mtls-tui by the path the step names
        assert "ingress-nginx-controller-" in troubleshoot.stdout  # kubectl get pods
        assert (
            '"GET / HTTP/1.1" 400' in troubleshoot.stdout and '"curl/' in troubleshoot.stdout
        )  # step 5's curl, in the logs
        assert "mTLS works for meow.com" in troubleshoot.stdout, troubleshoot.stdout

        final = observe(lab)
        assert meow(final).state == "works" and states(lab, final) == ["done"] * 7
        assert [s.command for s in lab.walkthrough(final[1])] == [
            s.command for s in steps
        ]  # what was run is what shows now


@pytest.mark.nginx
def test_a_line_that_fails_mid_step_fails_the_step(tmp_path: Path, nginx_binary: str) -> None:
    """How the steps are run is itself held to the promise: a line that fails in the middle of a
    step (a file name misspelt) fails it, although the step's last line succeeds."""
    require("kubectl", shutil.which("kubectl"))
    home = tmp_path / "home"
    home.mkdir()
    with Lab(tmp_path / "lab", nginx_binary=nginx_binary) as lab:
        step = lab.walkthrough(observe(lab)[1])[2]
        assert step.title == "Deploy the application" and step.command.endswith("kubectl get service meow-svc")
        assert run_step(step.command, terminal_env(home), tmp_path).returncode == 0
        misspelt = run_step(
            step.command.replace("meow-deployment.yaml", "meow-deployment.yml"), terminal_env(home), tmp_path
        )
    assert misspelt.returncode != 0 and "meow-deployment.yml" in misspelt.stderr


def test_the_object_files_are_the_ones_the_lab_serves(tmp_path: Path) -> None:
    """meow-deployment.yaml, meow-service.yaml and meow-ingress.yaml in the lab's folder hold the
    objects the lab's API server starts with (healthy), so applying them changes nothing."""
    import yaml

    with Lab(tmp_path / "lab", gateway="builtin") as lab:
        for name, kind, object_name in (
            ("meow-deployment.yaml", "Deployment", "meow"),
            ("meow-service.yaml", "Service", "meow-svc"),
            ("meow-ingress.yaml", "Ingress", "meow-ingress"),
        ):
            written = yaml.safe_load((lab.folder / name).read_text())
            served = lab.cluster.get(kind, "default", object_name)
            assert written["apiVersion"] == served["apiVersion"] and written["spec"] == served["spec"], name
            annotations = {k: v for k, v in served["metadata"].get("annotations", {}).items() if k != LAST_APPLIED}
            assert written["metadata"].get("annotations", {}) == annotations, name


def test_the_steps_apply_to_the_lab_as_it_starts_without_kubectls_warning(tmp_path: Path) -> None:
    """The lab's objects are as the steps' `kubectl apply` leaves them: the Secret, Deployment,
    Service and Ingress steps, run as printed on the lab as it starts (every object there), print
    no "missing the last-applied-configuration annotation" warning; and the annotation the lab
    holds for each object file is the one the real kubectl writes when it applies that file."""
    require("kubectl", shutil.which("kubectl"))
    home = tmp_path / "home"
    home.mkdir()
    files = dict(
        zip(OBJECT_FILES, (("Deployment", "meow"), ("Service", "meow-svc"), ("Ingress", "meow-ingress")), strict=True)
    )
    with Lab(tmp_path / "lab", gateway="builtin") as lab:
        held = {
            n: lab.cluster.get(k, "default", o)["metadata"]["annotations"][LAST_APPLIED] for n, (k, o) in files.items()
        }
        steps = lab.walkthrough(observe(lab)[1])
        for step in steps[1:4]:  # the Secret, the Deployment and Service, the Ingress
            done = run_step(step.command, terminal_env(home), tmp_path)
            assert done.returncode == 0 and "kubectl apply" in step.command, (step.title, done.stderr)
            assert NO_LAST_APPLIED not in done.stderr and "Warning" not in done.stderr, (step.title, done.stderr)
        env = {**terminal_env(home), "KUBECONFIG": str(lab.kubeconfig)}
        for name, (kind, object_name) in files.items():  # what the lab held before the steps, measured
            lab.cluster.delete(kind, "default", object_name)
            created = subprocess.run(
                ["kubectl", "apply", "-f", name], cwd=lab.folder, env=env, capture_output=True, text=True, timeout=60
            )
            assert created.returncode == 0, created.stderr
            written = lab.cluster.get(kind, "default", object_name)["metadata"]["annotations"][LAST_APPLIED]
            assert written == held[name], (name, written, held[name])
