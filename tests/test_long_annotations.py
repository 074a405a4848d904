"""A user's review: an Ingress whose auth-tls-match-cn was 5 MiB long hung the screen (100% CPU,
keys ignored for 30 s and more) and made `check` print 16 MB, the value three times over.

The API server refuses such an object: its annotations may total 256 KiB, counted as the sum of
len(key) + len(value) in bytes (k8s.io/apimachinery pkg/api/validation/objectmeta.go
ValidateAnnotations, ValidateAnnotationsSize, TotalAnnotationSizeLimitB = 256 * (1 << 10); the
words are field.TooLong's at v0.36.3, pkg/util/validation/field/errors.go). Every kind is held to it:
Ingresses and Secrets by ValidateObjectMeta, custom resources by apiextensions-apiserver
pkg/registry/customresource/validator.go (ValidateObjectMetaAccessor). Below the limit a value can
still be long: findings and the screen quote its start and its size (safe_text.clipped).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from mtls_tui.lab.objects import meow_ingress, seed_objects
from mtls_tui.lab.pki import SeedPki
from mtls_tui.model import SecretObj
from mtls_tui.policy.api_validation import (
    ANNOTATIONS_TOO_LONG,
    MAX_ANNOTATION_BYTES,
    annotation_refusals,
    api_refusals,
    secret_refusals,
)
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.safe_text import QUOTED_CHARS, clipped
from tests.test_tui_panes import manifests_app, screen_rows, settle

MATCH_CN = "nginx.ingress.kubernetes.io/auth-tls-match-cn"
PAD = "example.com/pad"
ROOT = Path(__file__).resolve().parent.parent
SUCCESSORS = Path(__file__).parent / "data" / "successors"


def _size(annotations: dict[str, str]) -> int:
    return sum(len(k.encode()) + len(v.encode()) for k, v in annotations.items())


def padded(obj: dict[str, Any], total: int) -> dict[str, Any]:
    """The object with one more annotation that brings its annotations to `total` bytes."""
    obj = copy.deepcopy(obj)
    annotations = obj["metadata"].setdefault("annotations", {})
    annotations[PAD] = "x" * (total - _size(annotations) - len(PAD))
    assert _size(annotations) == total
    return obj


def match_cn_ingress(length: int) -> dict[str, Any]:
    """The seed's Ingress asking for client certificates, with a match-CN of `length` characters."""
    ingress = meow_ingress()
    ingress["metadata"]["annotations"][MATCH_CN] = "CN=" + "a" * (length - 3)
    return ingress


def test_clipped_keeps_short_values_and_says_the_size_of_long_ones() -> None:
    assert clipped("CN=Fern") == "CN=Fern"
    assert clipped("a" * QUOTED_CHARS) == "a" * QUOTED_CHARS
    assert clipped("é" * 200_000) == "é" * QUOTED_CHARS + "… (400,000 bytes)"  # bytes, as the API counts


@pytest.mark.parametrize(("total", "refused"), [(MAX_ANNOTATION_BYTES, False), (MAX_ANNOTATION_BYTES + 1, True)])
def test_256_kib_of_annotations_is_stored_and_one_byte_more_refused(total: int, refused: bool) -> None:
    ingress = padded(meow_ingress(), total)
    assert (ANNOTATIONS_TOO_LONG in api_refusals(ingress)) is refused
    secret = padded({"kind": "Secret", "metadata": {"name": "ca", "annotations": {}}}, total)
    found = secret_refusals(SecretObj("default", "ca", "Opaque", (("ca.crt", b"x"),)), secret)
    assert found == ((ANNOTATIONS_TOO_LONG,) if refused else ())


def test_the_size_is_counted_in_bytes_as_go_counts_a_string() -> None:
    """Go's len of a string is its UTF-8 length: 'é' counts two."""
    half = {"metadata": {"annotations": {"k": "é" * (MAX_ANNOTATION_BYTES // 2)}}}
    assert annotation_refusals(half) == (ANNOTATIONS_TOO_LONG,)  # 1 + 262144 bytes, 131073 characters
    assert ANNOTATIONS_TOO_LONG == "metadata.annotations: Too long: may not be more than 262144 bytes"


def test_a_custom_resource_with_too_much_annotation_is_refused() -> None:
    docs = [d for d in yaml.safe_load_all((SUCCESSORS / "gateway-api/healthy.yaml").read_text()) if d]
    gateway = next(d for d in docs if d["kind"] == "Gateway")
    docs[docs.index(gateway)] = padded(gateway, MAX_ANNOTATION_BYTES + 1)
    snapshot = snapshot_from_objects(docs, "files", complete=False)
    (finding,) = [f for f in snapshot.unreadable if f.code.endswith("-refused-by-api")]
    assert finding.code == "gateway-refused-by-api" and finding.evidence == (ANNOTATIONS_TOO_LONG,)
    assert "xxxx" not in finding.title + finding.detail and finding.fix == ""
    docs[docs.index(next(d for d in docs if d["kind"] == "Gateway"))] = padded(gateway, MAX_ANNOTATION_BYTES)
    stored = snapshot_from_objects(docs, "files", complete=False)
    assert not [f for f in stored.unreadable if f.code.endswith("-refused-by-api")]


def _check(tmp_path: Path, objects: list[dict[str, Any]], *flags: str) -> str:
    (tmp_path / "all.yaml").write_text(yaml.safe_dump_all(objects, width=1 << 30))
    out = subprocess.run(
        [sys.executable, "-m", "mtls_tui", "check", "--manifests", str(tmp_path / "all.yaml"), "--no-probe", *flags],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert out.returncode in (0, 1), out.stderr
    return out.stdout


def test_the_reviews_5_mib_match_cn_is_refused_without_quoting_it(pki: SeedPki, tmp_path: Path) -> None:
    """The review's file: 16 MB of text and 26 MB of JSON before; now the refusal, in a few KB."""
    objects = [o for o in seed_objects(pki) if o["kind"] != "Ingress"] + [match_cn_ingress(5 * 1024 * 1024)]
    text = _check(tmp_path, objects)
    assert len(text) < 20_000 and "(5,242,880 bytes)" in text
    report = json.loads(_check(tmp_path, objects, "--json"))
    [host] = report["hosts"]
    assert host["state"] == "broken"
    lead = host["findings"][0]
    assert lead["code"] == "ingress-refused-by-api" and lead["evidence"] == [ANNOTATIONS_TOO_LONG]
    assert "aaaa" not in lead["title"] + lead["detail"]
    assert len(json.dumps(report)) < 100_000


def test_a_200_kib_match_cn_is_quoted_by_its_start_and_size(pki: SeedPki, tmp_path: Path) -> None:
    """Stored by the API server, so judged; no title, detail or evidence line carries it whole."""
    length = 200 * 1024
    objects = [o for o in seed_objects(pki) if o["kind"] != "Ingress"] + [match_cn_ingress(length)]
    text = _check(tmp_path, objects)
    assert len(text) < 20_000 and f"({length:,} bytes)" in text
    report = json.loads(_check(tmp_path, objects, "--json"))
    findings = [*report["findings"], *(f for h in report["hosts"] for f in h["findings"])]
    assert any(f"({length:,} bytes)" in e for f in findings for e in f["evidence"])
    for finding in findings:
        for words in (finding["title"], finding["detail"], *finding["evidence"]):
            assert len(words) < 2_000, words[:200]
    assert report["hosts"][0]["policy"]["match_cn"] == "CN=" + "a" * (length - 3)  # the JSON's field, whole


@pytest.mark.parametrize("length", [200 * 1024, 5 * 1024 * 1024], ids=["200KiB", "5MiB"])
async def test_the_screen_answers_keys_with_a_long_annotation(pki: SeedPki, tmp_path: Path, length: int) -> None:
    """The review: keys ignored for 30 s and more (the Ingress tab folded the value into a table:
    measured 94 s for 5 MiB). Now each key is answered within a couple of seconds."""
    objects = [o for o in seed_objects(pki) if o["kind"] != "Ingress"] + [match_cn_ingress(length)]
    app = manifests_app(tmp_path, pki, objects)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        for key, tab in (("3", "tab-ingress"), ("1", "tab-verdict"), ("3", "tab-ingress")):
            started = time.monotonic()
            await pilot.press(key)
            await pilot.pause()
            assert app.query_one("TabbedContent").active == tab
            assert time.monotonic() - started < 3, f"{key}: {time.monotonic() - started:.1f} s"
        rows = screen_rows(app)
        assert any(f"({length:,} bytes)" in row for row in rows), rows


def test_the_labs_api_server_refuses_annotations_over_256_kib(tmp_path: Path) -> None:
    """The real kubectl against the lab. `kubectl create` sends the object as written; client-side
    `kubectl apply` adds its last-applied-configuration annotation, a copy of the object, so an
    Ingress right at the limit is refused by apply and stored by create (as on a cluster)."""
    from mtls_tui.lab.cluster import LabCluster
    from tests.conftest import require

    require("kubectl", shutil.which("kubectl"))
    for name, total in (("at-limit", MAX_ANNOTATION_BYTES), ("over", MAX_ANNOTATION_BYTES + 1)):
        ingress = padded(meow_ingress(name=name), total)
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(ingress, width=1 << 30))
    with LabCluster([]) as cluster:
        env = {
            **os.environ,
            "KUBECONFIG": str(cluster.write_kubeconfig(tmp_path / "kubeconfig")),
            "HOME": str(tmp_path),
        }

        def kubectl(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(["kubectl", *args], env=env, capture_output=True, text=True, timeout=60)

        over = kubectl("create", "-f", str(tmp_path / "over.yaml"))
        assert over.returncode != 0
        assert f'The Ingress "over" is invalid: {ANNOTATIONS_TOO_LONG}' in over.stderr
        assert "xxxx" not in over.stderr
        applied = kubectl("apply", "-f", str(tmp_path / "at-limit.yaml"))
        assert applied.returncode != 0 and ANNOTATIONS_TOO_LONG in applied.stderr
        created = kubectl("create", "-f", str(tmp_path / "at-limit.yaml"))
        assert created.returncode == 0, created.stderr
        names = {o["metadata"]["name"] for o in cluster.all_objects() if o["kind"] == "Ingress"}
        assert names == {"at-limit"}
