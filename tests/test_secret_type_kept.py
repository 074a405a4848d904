"""The fixes that write a Secret again keep what the API server will not let change, and every key it
holds: run as printed, with the real kubectl, against the lab's API server, which refuses an update
as kube-apiserver does (kubernetes pkg/apis/core/validation/validation.go ValidateSecretUpdate: a
Secret's `type` is immutable; an `immutable: true` Secret's data may not change).

The Secrets are made with `kubectl apply -f`, as a user applies manifests: kubectl then keeps the
applied object in its last-applied annotation, and the next `kubectl apply` of a Secret without a
type (what `kubectl create secret generic` prints) deletes the type and any key it no longer names.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mtls_tui.diagnose.hosts import host_report
from mtls_tui.lab.cluster import LabCluster
from mtls_tui.lab.objects import meow_ingress, namespace, seed_objects
from mtls_tui.lab.pki import SeedPki
from mtls_tui.policy.ingress_nginx.hosts import host_policies
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.secret_commands import secret_update_command
from tests.conftest import require, run_fix

# what `secret_update_command` printed before it kept the type: generic, so Opaque once applied
UNTYPED = (
    "kubectl create secret generic meow-tls -n default --from-file=tls.crt=server.crt --from-file=tls.key=server.key "
    "--from-file=ca.crt=ca.crt --dry-run=client -o yaml | kubectl apply -f -"
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _secret(name: str, secret_type: str, data: dict[str, bytes], **extra: object) -> dict:
    meta = {"name": name, "namespace": "default"}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": secret_type, **extra} | {
        "data": {k: _b64(v) for k, v in data.items()}
    }


def _bash(command: str, folder: Path, kubeconfig: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(folder)}
    return subprocess.run(["bash", "-c", command], cwd=folder, env=env, capture_output=True, text=True, timeout=60)


def _in_lab(secret: dict, fixes: list[str], folder: Path) -> tuple[list[subprocess.CompletedProcess[str]], dict]:
    """`secret` applied with kubectl, then each fix run as printed; the Secret as the lab then holds it."""
    require("kubectl", shutil.which("kubectl"))
    (folder / "secret.json").write_text(json.dumps(secret))
    with LabCluster([namespace("default")]) as cluster:
        kubeconfig = cluster.write_kubeconfig(folder / "kubeconfig")
        applied = _bash("kubectl apply -f secret.json", folder, kubeconfig)
        assert applied.returncode == 0, applied.stderr
        done = [_bash(fix, folder, kubeconfig) for fix in fixes]
        [stored] = [o for o in cluster.all_objects() if o["kind"] == "Secret"]
    return done, stored


def _tls(pki: SeedPki, **extra: object) -> dict:
    keys = {"tls.crt": pki.server.cert_pem(), "tls.key": pki.server.key_pem(), "ca.crt": pki.ca.cert_pem()}
    return _secret("meow-tls", "kubernetes.io/tls", keys, **extra)


def test_a_tls_secret_written_again_keeps_its_type(pki_dir: Path, pki: SeedPki) -> None:
    """The untyped command is refused with kube-apiserver's words; the printed one writes the files
    and the Secret stays kubernetes.io/tls."""
    fix = secret_update_command("default/meow-tls")
    (pki_dir / "ca.crt").write_bytes(pki.ca.cert_pem() + b"\n")  # a change the update must carry
    [untyped, typed], stored = _in_lab(_tls(pki), [UNTYPED, fix], pki_dir)
    assert untyped.returncode != 0
    assert 'Secret "meow-tls" is invalid: type: Invalid value: "Opaque": field is immutable' in untyped.stderr
    assert typed.returncode == 0, typed.stderr
    assert stored["type"] == "kubernetes.io/tls"
    assert base64.b64decode(stored["data"]["ca.crt"]) == pki.ca.cert_pem() + b"\n"


def test_a_missing_secret_is_made_opaque(pki_dir: Path, pki: SeedPki) -> None:
    """No Secret yet: the type read is empty, `--type=` leaves it to the API server (Opaque)."""
    other = _secret("other", "Opaque", {"x": b"y"})
    require("kubectl", shutil.which("kubectl"))
    (pki_dir / "secret.json").write_text(json.dumps(other))
    with LabCluster([namespace("default")]) as cluster:
        kubeconfig = cluster.write_kubeconfig(pki_dir / "kubeconfig")
        done = _bash(secret_update_command("default/meow-tls"), pki_dir, kubeconfig)
        made = next(o for o in cluster.all_objects() if o["metadata"]["name"] == "meow-tls")
    assert done.returncode == 0, done.stderr
    assert made["type"] == "Opaque"
    assert set(made["data"]) == {"tls.crt", "tls.key", "ca.crt"}


def test_an_immutable_secret_is_not_written(pki_dir: Path, pki: SeedPki) -> None:
    """`immutable: true`: a change of data is refused (ValidateSecretUpdate, field.Forbidden), and the
    Secret keeps what it held."""
    (pki_dir / "ca.crt").write_bytes(pki.ca.cert_pem() + b"\n")
    [done], stored = _in_lab(_tls(pki, immutable=True), [secret_update_command("default/meow-tls")], pki_dir)
    assert done.returncode != 0
    assert "data: Forbidden: field is immutable when `immutable` is set" in done.stderr
    assert base64.b64decode(stored["data"]["ca.crt"]) == pki.ca.cert_pem()


def test_a_key_without_a_local_file_is_kept(pki_dir: Path, pki: SeedPki) -> None:
    """A CA Secret whose CA is under a key of its own (ca.pem): the old command wrote no key at all
    (`-n default  --dry-run=client`) and the apply emptied the Secret; the printed one saves the key
    from the Secret and writes it back."""
    secret = _secret("client-ca", "Opaque", {"ca.pem": pki.ca.cert_pem()})
    empty = "kubectl create secret generic client-ca -n default  --dry-run=client -o yaml | kubectl apply -f -"
    [old], emptied = _in_lab(secret, [empty], pki_dir)
    assert old.returncode == 0 and not emptied.get("data")  # what the old fix did
    fix = secret_update_command("default/client-ca", keys=("ca.pem",))
    [done], stored = _in_lab(secret, [fix], pki_dir)
    assert done.returncode == 0, done.stderr
    assert base64.b64decode(stored["data"]["ca.pem"]) == pki.ca.cert_pem()


@pytest.mark.parametrize("key", ["$(touch PWNED1)", "x'; touch PWNED3; echo '"])
def test_a_hostile_key_is_carried_quoted(key: str, tmp_path: Path, recorders: Path) -> None:
    """A key only a manifest can hold: the command carries it as one word, runs nothing it names, and
    names it in the Secret it writes (real kubectl then refuses the key name: nothing is written)."""
    fix = secret_update_command("default/client-ca", keys=(key,))
    calls = run_fix(fix, tmp_path, recorders)
    assert not list(tmp_path.glob("PWNED*")), fix
    [create] = [c for c in calls if c[:3] == ["kubectl", "create", "secret"]]
    assert f"--from-file={key}=client-ca-{key}" in create


def test_a_refused_secret_with_a_hostile_key_gets_no_command(pki: SeedPki, tmp_path: Path, recorders: Path) -> None:
    """The review's case: the CA Secret of `check --manifests` holds its CA under `$(touch x)`, so the API
    server refuses it and it is never in the cluster to copy the key from: no command (it wrote the
    Secret with no key at all), the detail says why; every other fix, run, writes a Secret with keys."""
    objects = [o for o in seed_objects(pki) if o["kind"] != "Ingress"]
    objects.append(_secret("client-ca", "Opaque", {"$(touch PWNED1)": pki.ca.cert_pem()}))
    ingress = meow_ingress()
    ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/auth-tls-secret"] = "default/client-ca"
    snapshot = snapshot_from_objects([*objects, ingress], "manifests", complete=False)
    policy = next(p for p in host_policies(snapshot) if p.host == "meow.com")
    findings = host_report(policy, snapshot, datetime.now(UTC)).findings
    [refused] = [f for f in findings if f.code == "secret-refused-by-api"]
    assert refused.fix == "" and 'its keys "$(touch PWNED1)" have no local file' in refused.detail
    for fix in [f.fix for f in findings if f.fix]:
        writes = [c for c in run_fix(fix, tmp_path, recorders) if c[:3] == ["kubectl", "create", "secret"]]
        assert all(any(w.startswith(("--from-file=", "--cert=")) for w in c) for c in writes), fix
        assert not list(tmp_path.glob("PWNED*")), fix
