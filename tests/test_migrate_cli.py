"""`mtls-tui migrate` end to end: the files it writes, the user's files it never touches, its
JSON, its one-line refusals, and the Secret commands it prints, run as printed with the real
kubectl against the lab's API server (which must see reads only)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mtls_tui.cli import main
from mtls_tui.commands.migrate import MARK
from mtls_tui.lab.cluster import LabCluster
from mtls_tui.lab.objects import meow_ingress, seed_objects
from mtls_tui.lab.pki import SeedPki
from mtls_tui.policy.migrate import TARGETS


def write_seed(folder: Path, pki: SeedPki, annotations: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    objects = seed_objects(pki)
    if annotations:
        objects = [o for o in objects if o["kind"] != "Ingress"] + [meow_ingress(annotations)]
    path = folder / "seed.yaml"
    path.write_text(yaml.safe_dump_all(objects))
    return path


def digest(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


ROOT = Path(__file__).resolve().parent.parent


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The tool of this checkout (PYTHONPATH: from `cwd`, the installed one would be imported)."""
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "mtls_tui", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_files_are_written_and_the_inputs_left_as_they_were(tmp_path: Path, pki: SeedPki, capsys) -> None:
    seed = write_seed(tmp_path / "in", pki)
    before = digest(tmp_path / "in")
    for target in TARGETS:
        out = tmp_path / f"out-{target}"
        code = main(["migrate", "--to", target, "--manifests", str(seed), "-o", str(out)])
        assert code == 0, target
        text = (out / "meow-com.yaml").read_text()
        assert text.startswith(f"{MARK} --to {target}: host meow.com\n")
        assert "Nothing was applied to any cluster" in text
        assert "PRIVATE KEY" not in text and pki.server.key_pem().decode().splitlines()[1] not in text
        assert [p.name for p in out.iterdir()] == ["meow-com.yaml"]
        report = capsys.readouterr().out
        assert f"wrote {out / 'meow-com.yaml'}" in report and "nothing was applied" in report
    assert digest(tmp_path / "in") == before
    # a second run replaces its own files
    assert main(["migrate", "--to", "istio", "--manifests", str(seed), "-o", str(tmp_path / "out-istio")]) == 0


def test_a_user_file_in_the_way_is_refused_unless_forced(tmp_path: Path, pki: SeedPki) -> None:
    seed = write_seed(tmp_path / "in", pki)
    out = tmp_path / "out"
    out.mkdir()
    (out / "meow-com.yaml").write_text("# my own notes\n")
    refused = run(tmp_path, "migrate", "--to", "traefik", "--manifests", str(seed), "-o", str(out))
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert "was not written by mtls-tui migrate" in refused.stderr and "--force" in refused.stderr
    assert (out / "meow-com.yaml").read_text() == "# my own notes\n"
    forced = run(tmp_path, "migrate", "--to", "traefik", "--manifests", str(seed), "-o", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert (out / "meow-com.yaml").read_text().startswith(MARK)


def test_an_input_file_is_never_overwritten_even_forced(tmp_path: Path, pki: SeedPki) -> None:
    folder = tmp_path / "in"
    write_seed(folder, pki)
    mine = folder / "meow-com.yaml"
    mine.write_text(f"{MARK} (looks like ours, but it is an input)\n")
    before = digest(folder)
    refused = run(tmp_path, "migrate", "--to", "istio", "--manifests", str(folder), "-o", str(folder), "--force")
    assert refused.returncode == 2 and "is one of the input files" in refused.stderr, refused.stderr
    assert digest(folder) == before


def test_json_shape_and_exit_code_one_for_an_error_finding(tmp_path: Path, pki: SeedPki, capsys) -> None:
    seed = write_seed(
        tmp_path / "in",
        pki,
        {
            "nginx.ingress.kubernetes.io/auth-tls-secret": "default/my-certs",
            "nginx.ingress.kubernetes.io/auth-tls-match-cn": "CN=Fern",
        },
    )
    code = main(["migrate", "--to", "gateway-api", "--manifests", str(seed), "-o", str(tmp_path / "o"), "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 1  # match-cn: nothing on the Gateway API matches names
    assert set(document) == {"target", "output", "written", "applied", "hosts", "findings", "unreadable"}
    assert document["applied"] is False and document["target"] == "gateway-api"
    (host,) = document["hosts"]
    assert set(host) == {"host", "file", "ingresses", "objects", "secret_commands", "notes", "findings"}
    assert host["host"] == "meow.com" and host["ingresses"] == ["default/meow-ingress"]
    assert [o["kind"] for o in host["objects"]] == ["ConfigMap", "Gateway", "HTTPRoute"]
    assert host["secret_commands"][0]["secret"] == "default/meow-com-tls"
    by_code = {f["code"]: f for f in host["findings"]}
    assert by_code["migrate-match-cn"]["severity"] == "error"
    assert {"migrate-verify-depth", "migrate-tls-alert", "migrate-pass-certificate"} <= set(by_code)
    assert document["written"] == [host["file"]]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["migrate", "--manifests", "seed.yaml"], ["--to is missing", "gateway-api"]),
        (["migrate", "--to", "nginx", "--manifests", "seed.yaml"], ["'nginx' is not a target"]),
        (["migrate", "--to", "istio", "--manifests", "missing.yaml"], ["missing.yaml"]),
        (["migrate", "--to", "istio", "--manifests", "seed.yaml", "--context", "x"], ["--manifests and --context"]),
        (["migrate", "--to", "istio", "--manifests", "seed.yaml", "--host", "purr.com"], None),
    ],
)
def test_bad_input_is_one_line(tmp_path: Path, pki: SeedPki, args: list[str], words: list[str] | None) -> None:
    write_seed(tmp_path, pki)
    out = run(tmp_path, *args)
    if words is None:  # a host with no mTLS: nothing written, an error finding, exit 1
        assert (
            out.returncode == 1 and "migrate-nothing" in out.stdout and not (tmp_path / "mtls-migrate-istio").exists()
        )
        return
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr, out.stderr
    assert out.stderr.startswith("mtls-tui migrate: ")
    for word in words:
        assert word in out.stderr


def test_the_printed_commands_run_as_printed_and_the_cluster_is_only_read(tmp_path: Path, pki: SeedPki) -> None:
    """With --kubeconfig the lab's API server is read (GET only); each printed Secret command,
    run exactly as printed with the real kubectl, fetches the key pair and prints a
    kubernetes.io/tls Secret for the host: the command creates nothing (client dry run)."""
    from tests.conftest import require

    binary = require("kubectl", shutil.which("kubectl"))
    with LabCluster(seed_objects(pki)) as lab:
        kubeconfig = lab.write_kubeconfig(tmp_path / "kubeconfig")
        for target in ("gateway-api", "envoy-gateway", "f5-nginx", "istio"):
            out = tmp_path / target
            code = main(["migrate", "--to", target, "--kubeconfig", str(kubeconfig), "-o", str(out), "--json"])
            assert code == 0
            (host,) = migrate_json(target, kubeconfig, out)["hosts"]
            (command,) = host["secret_commands"]
            work = tmp_path / f"work-{target}"
            work.mkdir()
            result = subprocess.run(
                command["command"].replace("kubectl ", f"{binary} --cache-dir {tmp_path / 'cache'} "),
                shell=True,
                cwd=work,
                env={**os.environ, "KUBECONFIG": str(kubeconfig)},
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert result.returncode == 0, (command["command"], result.stderr)
            secret = yaml.safe_load(result.stdout)
            namespace, _, name = command["secret"].partition("/")
            assert secret["kind"] == "Secret" and secret["type"] == "kubernetes.io/tls"
            assert (secret["metadata"]["namespace"], secret["metadata"]["name"]) == (namespace, name)
            assert (work / "server.crt").read_bytes() == pki.server.cert_pem()
            assert (work / "server.key").stat().st_mode & 0o077 == 0  # the key file is the user's alone
        methods = {request.split(" ", 1)[0] for request in lab.requests}
    assert methods <= {"GET"}, lab.requests


def migrate_json(target: str, kubeconfig: Path, out: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "mtls_tui", "migrate", "--to", target, "--kubeconfig", str(kubeconfig)]
        + ["-o", str(out), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "KUBECONFIG"},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_printed_fixes_that_only_read_run_as_printed(tmp_path: Path, pki: SeedPki) -> None:
    """A CA the migration could not read (RBAC refuses the Secret) and a port given by name: their
    fixes are read-only kubectl commands, run exactly as printed against the lab."""
    from mtls_tui.policy.migrate import migrate
    from mtls_tui.sources.kube import KubeSource
    from tests.conftest import require

    binary = require("kubectl", shutil.which("kubectl"))
    ingress = meow_ingress()
    ingress["spec"]["rules"][0]["http"]["paths"].append(
        {"path": "/named", "pathType": "Prefix", "backend": {"service": {"name": "meow-svc", "port": {"name": "http"}}}}
    )
    objects = [o for o in seed_objects(pki) if o["kind"] != "Ingress"] + [ingress]
    with LabCluster(objects) as lab:
        kubeconfig = lab.write_kubeconfig(tmp_path / "kubeconfig")
        lab.forbid("get", "secrets", "default")
        lab.forbid("list", "secrets")
        source = KubeSource(kubeconfig=str(kubeconfig))
        try:
            snapshot = source.snapshot()
        finally:
            source.close()
        (host,) = migrate(snapshot, "f5-nginx").hosts
        fixes = {f.code: f.fix for f in host.findings}
        lab.allow("get", "secrets")
        lab.allow("list", "secrets")
        for code in ("migrate-ca-unavailable", "migrate-backend-unroutable"):
            result = subprocess.run(
                fixes[code].replace("kubectl ", f"{binary} --cache-dir {tmp_path / 'cache'} ", 1),
                shell=True,
                cwd=tmp_path,
                env={**os.environ, "KUBECONFIG": str(kubeconfig)},
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert result.returncode == 0, (fixes[code], result.stderr)
        saved = yaml.safe_load((tmp_path / "my-certs-secret.yaml").read_text())
        assert base64.b64decode(saved["data"]["ca.crt"]) == pki.ca.cert_pem()
        assert "meow-svc" in result.stdout


def test_migrate_nothing_fix_reads_the_same_manifests_when_run_as_printed(tmp_path: Path, pki: SeedPki) -> None:
    """migrate-nothing's fix is `mtls-tui check` on the files migrate read (shell-quoted: a space
    in the path), not on the kubeconfig's cluster: run as printed, with no kubeconfig to fall
    back on (a bare `mtls-tui check` would stop at the missing kubeconfig), it judges meow.com."""
    write_seed(tmp_path / "in dir", pki, {"nginx.ingress.kubernetes.io/ssl-redirect": "true"})
    (tmp_path / "in dir" / "seed.yaml").rename(tmp_path / "in dir" / "my seed.yaml")
    out = run(tmp_path, "migrate", "--to", "istio", "--manifests", "in dir/my seed.yaml")
    assert "migrate-nothing" in out.stdout, out.stdout + out.stderr
    fix = next(line.strip().removeprefix("fix: ") for line in out.stdout.splitlines() if "fix: " in line)
    assert fix.startswith("mtls-tui check --manifests 'in dir/my seed.yaml'"), fix
    shim_folder = tmp_path / "bin"
    shim_folder.mkdir()
    shim = shim_folder / "mtls-tui"
    shim.write_text(f'#!/bin/sh\nPYTHONPATH={ROOT} exec {sys.executable} -m mtls_tui "$@"\n')
    shim.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "KUBERNETES_SERVICE_HOST"}
    env |= {"PATH": f"{shim_folder}:{env['PATH']}", "KUBECONFIG": str(tmp_path / "no-kubeconfig")}
    bare = subprocess.run(["bash", "-c", "mtls-tui check --no-probe"], cwd=tmp_path, env=env, capture_output=True)
    assert bare.returncode == 2, bare  # the old fix: it reads a cluster, not the files
    ran = subprocess.run(["bash", "-c", fix], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert ran.returncode in (0, 1) and "Traceback" not in ran.stderr, ran.stderr
    assert "meow.com" in ran.stdout and "my seed.yaml" in ran.stdout, ran.stdout
