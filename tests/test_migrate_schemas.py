"""Every file `migrate` writes is valid for its target: each custom resource against the
openAPIV3Schema of the target's released CRD (the package's mtls_tui/policy/crds/, README there
names the commits), with jsonschema Draft 7, with the strict unknown-field walk kubectl apply's
field validation does, and with the product's own validator (policy/crd_schema.py, which
`check --manifests` uses); core kinds (Secret, ConfigMap) by the checks
tests/data/successors/validate.py makes."""

from __future__ import annotations

import base64
import importlib.util
from pathlib import Path

import jsonschema
import pytest
import yaml

from mtls_tui.certs.issue import issue_crl
from mtls_tui.commands.migrate import render
from mtls_tui.lab.objects import meow_ingress, seed_objects
from mtls_tui.lab.pki import SeedPki, secret_manifest
from mtls_tui.policy.crd_schema import dotted, raw_schema, validate
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.migrate import TARGETS, Target, migrate

DATA = Path(__file__).parent / "data"
PREFIX = "nginx.ingress.kubernetes.io/"


def _validate_module():
    spec = importlib.util.spec_from_file_location("successors_validate", DATA / "successors" / "validate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


VALIDATE = _validate_module()


def schema_for(api_version: str, kind: str) -> dict:
    schema = raw_schema(api_version, kind)
    assert schema is not None, (api_version, kind)
    return schema


def problems(doc: dict) -> list[str]:
    if doc["apiVersion"] in ("v1", "networking.k8s.io/v1"):  # core kinds: no CRD
        return VALIDATE.check_core(doc)
    schema = schema_for(doc["apiVersion"], doc["kind"])
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in jsonschema.Draft7Validator(schema).iter_errors(doc)
    ]
    errors += [f"unknown field {u}" for u in VALIDATE.unknown_fields(doc, schema)]
    verdict = validate(doc)
    assert verdict is not None
    return errors + [r.message for r in verdict.refused] + [f"pruned {dotted(p)}" for p in verdict.pruned]


def variants(pki: SeedPki) -> dict[str, list[dict]]:
    """The seed, and the seed with each annotation that changes what is written."""
    base = [o for o in seed_objects(pki) if o["kind"] != "Ingress"]

    def with_(**annotations: str) -> list[dict]:
        full = {PREFIX + "auth-tls-secret": "default/my-certs", **{PREFIX + k: v for k, v in annotations.items()}}
        return [*base, meow_ingress(full)]

    secret = secret_manifest(pki)
    secret["data"]["ca.crl"] = base64.b64encode(issue_crl(pki.ca)).decode()
    crl = [o for o in seed_objects(pki) if o["kind"] != "Secret"] + [secret]
    return {
        "seed": seed_objects(pki),
        "optional": with_(**{"auth-tls-verify-client": "optional"}),
        "optional_no_ca": with_(**{"auth-tls-verify-client": "optional_no_ca"}),
        "pass-certificate": with_(**{"auth-tls-pass-certificate-to-upstream": "true", "auth-tls-verify-depth": "3"}),
        "crl": crl,
    }


@pytest.mark.parametrize("target", TARGETS)
def test_every_written_document_passes_the_target_schema(pki: SeedPki, target: Target) -> None:
    kinds = set()
    for name, objects in variants(pki).items():
        snapshot = snapshot_from_objects(objects, name)
        (host,) = migrate(snapshot, target).hosts
        text = render(host, snapshot.source)
        docs = [d for d in yaml.safe_load_all(text) if d]
        assert len(docs) == len(host.objects)
        for doc in docs:
            kinds.add(doc["kind"])
            assert problems(doc) == [], (name, doc["kind"], problems(doc))
    expected = {
        "gateway-api": {"ConfigMap", "Gateway", "HTTPRoute"},
        "envoy-gateway": {"ConfigMap", "Gateway", "HTTPRoute", "ClientTrafficPolicy"},
        "traefik": {"Secret", "TLSOption", "IngressRoute"},
        "f5-nginx": {"Secret", "Policy", "VirtualServer"},
        "istio": {"Secret", "Gateway", "VirtualService"},
    }[target]
    assert kinds == expected


def test_the_schemas_catch_a_wrong_field(pki: SeedPki) -> None:
    """The check is not vacuous: a misspelt field and a wrong enum value are refused."""
    (host,) = migrate(snapshot_from_objects(seed_objects(pki), "seed"), "traefik").hosts
    option = next(dict(o) for o in host.objects if o["kind"] == "TLSOption")
    option["spec"] = {"clientAuth": {"secretNames": ["x"], "clientAuthType": "RequireAndVerify"}}
    assert any("clientAuthType" in p for p in problems(option))
    assert any(
        p.startswith('spec.clientAuth.clientAuthType: Unsupported value: "RequireAndVerify"') for p in problems(option)
    )
    option["spec"] = {"clientAuth": {"secretName": ["x"]}}
    assert any("unknown field .spec.clientAuth.secretName" in p for p in problems(option))
    assert "pruned spec.clientAuth.secretName" in problems(option)


@pytest.mark.parametrize("target", ["traefik", "f5-nginx"])
def test_the_ingress_form_passes_too(pki: SeedPki, target: Target) -> None:
    snapshot = snapshot_from_objects(seed_objects(pki), "seed")
    (host,) = migrate(snapshot, target, ingress_class="their-class").hosts
    docs = [d for d in yaml.safe_load_all(render(host, snapshot.source)) if d]
    assert {d["kind"] for d in docs} == {"Secret", "Ingress", "TLSOption" if target == "traefik" else "Policy"}
    for doc in docs:
        assert problems(doc) == [], (doc["kind"], problems(doc))
