"""Every file `migrate` writes is valid for its target: each custom resource against the
openAPIV3Schema of the target's released CRD (the package's mtls_tui/policy/crds/, README there
names the commits), with jsonschema Draft 7, with the strict unknown-field walk kubectl apply's
field validation does, and with the product's own validator (policy/crd_schema.py, which
`check --manifests` uses); core kinds (Secret, ConfigMap) by the checks
tests/data/successors/validate.py makes; and the CRDs' CEL rules (x-kubernetes-validations),
evaluated as the API server does (tests/crd_cel.py)."""

from __future__ import annotations

import base64
import importlib.util
from pathlib import Path

import jsonschema
import pytest
import yaml

from mtls_tui.certs.issue import issue_crl
from mtls_tui.commands.migrate import render
from mtls_tui.lab.objects import meow_ingress, namespace, seed_objects
from mtls_tui.lab.pki import SeedPki, secret_manifest
from mtls_tui.policy.crd_schema import dotted, raw_schema, validate
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.migrate import TARGETS, Target, migrate
from tests.conftest import require

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


def cel(doc: dict) -> list[str]:
    """The CEL rules of the document's CRD it fails (none for core kinds)."""
    if doc["apiVersion"] in ("v1", "networking.k8s.io/v1"):
        return []
    require("cel-python (the test extra)", "celpy" if importlib.util.find_spec("celpy") else None)
    from tests.crd_cel import cel_problems

    return cel_problems(doc, schema_for(doc["apiVersion"], doc["kind"]))


def written(pki: SeedPki, target: Target) -> list[tuple[str, dict]]:
    """(set-up, document) for every document `migrate` writes for each set-up of `variants`."""
    out = []
    for name, objects in variants(pki).items():
        snapshot = snapshot_from_objects(objects, name)
        for host in migrate(snapshot, target).hosts:
            out += [(name, d) for d in yaml.safe_load_all(render(host, snapshot.source)) if d]
    return out


def variants(pki: SeedPki) -> dict[str, list[dict]]:
    """The seed, and the seed with each annotation that changes what is written."""
    base = [o for o in seed_objects(pki) if o["kind"] != "Ingress"]

    def with_(**annotations: str) -> list[dict]:
        full = {PREFIX + "auth-tls-secret": "default/my-certs", **{PREFIX + k: v for k, v in annotations.items()}}
        return [*base, meow_ingress(full)]

    secret = secret_manifest(pki)
    secret["data"]["ca.crl"] = base64.b64encode(issue_crl(pki.ca)).decode()
    crl = [o for o in seed_objects(pki) if o["kind"] != "Secret"] + [secret]
    auth = {PREFIX + "auth-tls-secret": "default/my-certs"}
    two = meow_ingress(auth)
    two["spec"]["rules"].append({**two["spec"]["rules"][0], "host": "purr.com"})
    two["spec"]["tls"][0]["hosts"].append("purr.com")
    # the ConfigMap's allow-cross-namespace-resources: the controller reads a Secret of another namespace (v1.12+)
    settings = {"allow-cross-namespace-resources": "true"}
    crossed = [*base, namespace("certs"), secret_manifest(pki, namespace="certs")]
    crossed.append(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
            "data": settings,
        }
    )
    crossed.append(meow_ingress({PREFIX + "auth-tls-secret": "certs/my-certs"}))
    long = "a-very-long-subdomain-name-for-the-first-service-of-the-team"
    return {
        "seed": seed_objects(pki),
        "optional": with_(**{"auth-tls-verify-client": "optional"}),
        "optional_no_ca": with_(**{"auth-tls-verify-client": "optional_no_ca"}),
        "pass-certificate": with_(**{"auth-tls-pass-certificate-to-upstream": "true", "auth-tls-verify-depth": "3"}),
        "crl": crl,
        "match-cn": with_(**{"auth-tls-match-cn": "CN=(Fern|Moss)"}),
        "error-page": with_(**{"auth-tls-error-page": "https://err.example/cert.html"}),
        "depth-2-optional-error-page": with_(
            **{"auth-tls-verify-depth": "2", "auth-tls-verify-client": "optional", "auth-tls-error-page": "@denied"}
        ),
        "wildcard": [*base, meow_ingress(auth, host="*.meow.com")],
        "wildcard-and-literal": [
            *base,
            meow_ingress(auth, host="*.meow.com", name="star"),
            meow_ingress(auth, host="wildcard.meow.com", name="literal"),
        ],
        "long-hosts": [
            *base,
            meow_ingress(auth, host=f"{long}-one.example.com", name="one"),
            meow_ingress(auth, host=f"{long}-two.example.com", name="two"),
        ],
        "two-hosts": [*base, two],
        "cross-namespace": crossed,
    }


HOSTS = {"two-hosts": 2, "wildcard-and-literal": 2, "long-hosts": 2}


@pytest.mark.parametrize("target", TARGETS)
def test_every_written_document_passes_the_target_schema(pki: SeedPki, target: Target) -> None:
    """Every set-up's documents pass the schema and the CEL rules; a plan's hosts never share a file
    or an object (`*.meow.com` and `wildcard.meow.com`, or long names cut alike, would: plan.py
    unique_slugs)."""
    kinds = set()
    for name, objects in variants(pki).items():
        snapshot = snapshot_from_objects(objects, name)
        plan = migrate(snapshot, target)
        assert len(plan.hosts) == HOSTS.get(name, 1), (name, plan.all_findings)
        assert len({h.file_name for h in plan.hosts}) == len(plan.hosts), name
        named = [
            (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for h in plan.hosts for o in h.objects
        ]
        named += [("Secret", c.namespace, c.name) for h in plan.hosts for c in h.secret_commands]
        assert len(set(named)) == len(named), (name, sorted(named))
        for host in plan.hosts:
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


@pytest.mark.parametrize("target", TARGETS)
def test_every_written_document_passes_the_crd_cel_rules(pki: SeedPki, target: Target) -> None:
    """The CRDs' x-kubernetes-validations, which jsonschema does not read, on every set-up."""
    for name, doc in written(pki, target):
        assert cel(doc) == [], (name, doc["kind"], cel(doc))


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


def test_the_cel_rules_catch_what_the_api_server_refuses(pki: SeedPki) -> None:
    """The CEL check is not vacuous either: a Gateway listener named twice, TLS on an HTTP listener
    (gateway.networking.k8s.io_gateways.yaml x-kubernetes-validations), and a ClientTrafficPolicy
    with both targetRef and targetRefs are refused, as kubectl apply would be (422)."""
    (host,) = migrate(snapshot_from_objects(seed_objects(pki), "seed"), "envoy-gateway").hosts
    gateway = next(dict(o) for o in host.objects if o["kind"] == "Gateway")
    listener = gateway["spec"]["listeners"][0]
    gateway["spec"] = {**gateway["spec"], "listeners": [listener, {**listener, "protocol": "HTTP", "port": 80}]}
    found = cel(gateway)
    assert any("Listener name must be unique" in p for p in found), found
    assert any("tls must not be specified for protocols" in p for p in found), found
    policy = {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1",
        "kind": "ClientTrafficPolicy",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {
            "targetRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "g"},
            "targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "g"}],
        },
    }
    assert cel(policy), "both targetRef and targetRefs must be refused"


@pytest.mark.parametrize("target", ["traefik", "f5-nginx"])
def test_the_ingress_form_passes_too(pki: SeedPki, target: Target) -> None:
    snapshot = snapshot_from_objects(seed_objects(pki), "seed")
    (host,) = migrate(snapshot, target, ingress_class="their-class").hosts
    docs = [d for d in yaml.safe_load_all(render(host, snapshot.source)) if d]
    assert {d["kind"] for d in docs} == {"Secret", "Ingress", "TLSOption" if target == "traefik" else "Policy"}
    for doc in docs:
        assert problems(doc) == [], (doc["kind"], problems(doc))
