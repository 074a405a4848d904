"""auth-tls-secret with characters the controller's validator refuses (the Ingress is dropped): the
printed fix names the CA Secret the files hold when there is exactly one in the namespace, not a
placeholder `default/SECRET` that fails as printed; with several, the choice stays the user's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mtls_tui.cli import main
from tests.conftest import run_fix
from tests.test_check_manifests import SEED_INGRESS_V1, seed_secret

ANNOTATION = "nginx.ingress.kubernetes.io/auth-tls-secret"


def _check(folder: Path, capsys: pytest.CaptureFixture[str]) -> list[dict]:
    main(["check", "--manifests", str(folder), "--no-probe", "--json"])
    return [f for h in json.loads(capsys.readouterr().out)["hosts"] for f in h["findings"]]


@pytest.mark.parametrize("secrets", [1, 2])
def test_the_dropped_secret_fix_names_the_one_ca_secret(
    seed_dir: Path, tmp_path: Path, recorders: Path, capsys: pytest.CaptureFixture[str], secrets: int
) -> None:
    objects = [seed_secret(seed_dir)] + [
        {**seed_secret(seed_dir), "metadata": {"name": f"other-{n}", "namespace": "default"}}
        for n in range(secrets - 1)
    ]
    ingress = SEED_INGRESS_V1.replace('"default/my-certs"', '"default/my-certs!"')
    (tmp_path / "secret.yaml").write_text(yaml.safe_dump_all(objects))
    (tmp_path / "ingress.yaml").write_text(ingress)
    [dropped] = [f for f in _check(tmp_path, capsys) if f["code"] == "annotation-invalid-value"]
    [call] = [c for c in run_fix(dropped["fix"], tmp_path, recorders) if c[:2] == ["kubectl", "annotate"]]
    [value] = [w.split("=", 1)[1] for w in call if w.startswith(ANNOTATION + "=")]
    if secrets > 1:  # two candidates: no guess
        assert value == "default/SECRET"
        return
    assert value == "default/my-certs"
    # what the annotate does, done to the manifest: the Ingress is kept and asks for client certificates
    (tmp_path / "ingress.yaml").write_text(ingress.replace('"default/my-certs!"', f'"{value}"'))
    after = _check(tmp_path, capsys)
    assert not [f for f in after if f["code"] == "annotation-invalid-value"], after
