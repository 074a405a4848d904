#!/usr/bin/env python3
"""Validate the successor manifests against the projects' own CRD schemas.

For every document in tests/data/successors/<controller>/*.yaml:
  * custom resources: the CRD YAML is read from the fetched upstream repository
    (a bare git dir under --mirror, at the commit named below; nothing of it is
    copied into this repo), the served version matching apiVersion is found, and
    the object is checked with jsonschema (Draft 7) against its openAPIV3Schema,
    plus an "unknown field" walk that does what the API server's strict field
    validation does (kubectl apply's default since Kubernetes 1.27): a field not
    in `properties` (and not under x-kubernetes-preserve-unknown-fields or
    additionalProperties) is an error. CEL rules (x-kubernetes-validations) are
    NOT evaluated; they are listed per kind with --cel.
  * core kinds (Namespace, Secret, ConfigMap, Service, Ingress, IngressClass, ClusterTrustBundle):
    required fields by hand; Secret data must be base64, and every *.crt/ca*
    value must be PEM that `cryptography` or at least a PEM header check accepts.
Exit 0 when every document passes. Usage:
    python3 validate.py [--mirror /work/.mirror] [--cel]
Needs PyYAML and jsonschema (pip install pyyaml jsonschema).
"""

import argparse
import base64
import pathlib
import subprocess
import sys

import jsonschema
import yaml

HERE = pathlib.Path(__file__).resolve().parent

GWAPI = ("kubernetes-sigs+gateway-api", "4564255ac2c35d582249b3cdf261bdf51c8bca32")
GWAPI_13 = ("kubernetes-sigs+gateway-api", "v1.3.0")
EG = ("envoyproxy+gateway", "d32f28294245e454d20f81d323d626a90e660c1e")
TRAEFIK = ("traefik+traefik", "fd5a576df2e8aeb0bfc8a96b6ef6e60a61f7ec0a")
F5 = ("nginx+kubernetes-ingress", "0eb3072d14f04931824bb74c99a6566d8c108f3c")
ISTIO = ("istio+istio", "86c9f01fd735fb01d8192f5bcaf0d424afb7f14c")

CRDS = {
    ("gateway.networking.k8s.io", "GatewayClass"): GWAPI
    + ("config/crd/standard/gateway.networking.k8s.io_gatewayclasses.yaml",),
    ("gateway.networking.k8s.io", "Gateway"): GWAPI + ("config/crd/standard/gateway.networking.k8s.io_gateways.yaml",),
    ("gateway.networking.k8s.io", "HTTPRoute"): GWAPI
    + ("config/crd/standard/gateway.networking.k8s.io_httproutes.yaml",),
    ("gateway.networking.k8s.io", "ReferenceGrant"): GWAPI
    + ("config/crd/standard/gateway.networking.k8s.io_referencegrants.yaml",),
    ("gateway.envoyproxy.io", "ClientTrafficPolicy"): EG
    + ("charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_clienttrafficpolicies.yaml",),
    ("traefik.io", "TLSOption"): TRAEFIK + ("docs/content/reference/dynamic-configuration/traefik.io_tlsoptions.yaml",),
    ("traefik.io", "IngressRoute"): TRAEFIK
    + ("docs/content/reference/dynamic-configuration/traefik.io_ingressroutes.yaml",),
    ("k8s.nginx.org", "Policy"): F5 + ("config/crd/bases/k8s.nginx.org_policies.yaml",),
    ("k8s.nginx.org", "VirtualServer"): F5 + ("config/crd/bases/k8s.nginx.org_virtualservers.yaml",),
    ("networking.istio.io", "Gateway"): ISTIO + ("manifests/charts/base/files/crd-all.gen.yaml",),
    ("networking.istio.io", "VirtualService"): ISTIO + ("manifests/charts/base/files/crd-all.gen.yaml",),
}
# files whose Gateway is the older experimental form: checked against v1.3.0's experimental CRD
OVERRIDES = {
    ("experimental-frontendvalidation-v1.3.yaml", "Gateway"): GWAPI_13
    + ("config/crd/experimental/gateway.networking.k8s.io_gateways.yaml",),
}

_cache = {}


def crd_docs(mirror, repo, ref, path):
    key = (repo, ref, path)
    if key not in _cache:
        out = subprocess.run(
            ["git", f"--git-dir={mirror}/{repo}/repo", "show", f"{ref}:{path}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        _cache[key] = [d for d in yaml.safe_load_all(out) if d]
    return _cache[key]


def find_schema(mirror, src, group, kind, version):
    for d in crd_docs(mirror, *src):
        if d.get("kind") != "CustomResourceDefinition":
            continue
        spec = d["spec"]
        if spec["group"] != group or spec["names"]["kind"] != kind:
            continue
        for v in spec["versions"]:
            if v["name"] == version:
                if not v.get("served", True):
                    raise SystemExit(f"{group}/{version} {kind} is not served")
                return v["schema"]["openAPIV3Schema"]
        raise LookupError(f"{group}/{version} {kind}: version not in CRD (has {[v['name'] for v in spec['versions']]})")
    raise LookupError(f"no CRD for {group} {kind} in {src}")


def unknown_fields(obj, schema, path="", out=None):
    out = [] if out is None else out
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return out
    if isinstance(obj, dict):
        props = schema.get("properties")
        addl = schema.get("additionalProperties")
        for k, v in obj.items():
            if props is not None and k in props:
                unknown_fields(v, props[k], f"{path}.{k}", out)
            elif isinstance(addl, dict):
                unknown_fields(v, addl, f"{path}.{k}", out)
            elif props is not None and path == "" and k in ("apiVersion", "kind", "metadata"):
                continue
            elif props is not None or addl is False:
                out.append(f"{path}.{k}")
    elif isinstance(obj, list) and isinstance(schema.get("items"), dict):
        for i, v in enumerate(obj):
            unknown_fields(v, schema["items"], f"{path}[{i}]", out)
    return out


def cel_rules(schema, path="", out=None):
    out = [] if out is None else out
    for r in schema.get("x-kubernetes-validations", []) or []:
        out.append(f"{path or '.'}: {r.get('rule')}")
    for k, v in (schema.get("properties") or {}).items():
        cel_rules(v, f"{path}.{k}", out)
    if isinstance(schema.get("items"), dict):
        cel_rules(schema["items"], f"{path}[]", out)
    return out


def check_core(doc):
    errs = []
    kind = doc.get("kind")
    md = doc.get("metadata") or {}
    if not md.get("name"):
        errs.append("metadata.name missing")
    if kind in ("Secret", "ConfigMap", "Service", "Ingress") and not md.get("namespace"):
        errs.append("metadata.namespace missing")
    if kind == "Secret":
        for k, v in (doc.get("data") or {}).items():
            try:
                raw = base64.b64decode(v, validate=True)
            except Exception as e:  # noqa: BLE001
                errs.append(f"data.{k} not base64: {e}")
                continue
            if k.endswith(".crt") or k in ("cacert", "ca.crt", "tls.ca"):
                if b"-----BEGIN CERTIFICATE-----" not in raw:
                    errs.append(f"data.{k} is not PEM")
        if doc.get("type") == "kubernetes.io/tls" and not {"tls.crt", "tls.key"} <= set(doc.get("data") or {}):
            errs.append("kubernetes.io/tls Secret needs tls.crt and tls.key")
    if kind == "ConfigMap":
        for k, v in (doc.get("data") or {}).items():
            if not isinstance(v, str):
                errs.append(f"data.{k} must be a string")
    if kind == "Ingress":
        if doc.get("apiVersion") != "networking.k8s.io/v1":
            errs.append("Ingress must be networking.k8s.io/v1")
        for r in doc["spec"].get("rules", []):
            for p in r["http"]["paths"]:
                if p.get("pathType") not in ("Prefix", "Exact", "ImplementationSpecific"):
                    errs.append("pathType missing/invalid")
                if "service" not in p["backend"] or "name" not in p["backend"]["service"]:
                    errs.append("backend.service.name missing")
        for t in doc["spec"].get("tls", []):
            if "secretName" not in t:
                errs.append("tls[].secretName missing")
    if kind == "ClusterTrustBundle":
        if md.get("namespace"):
            errs.append("ClusterTrustBundle is cluster-scoped: no metadata.namespace")
        if "-----BEGIN CERTIFICATE-----" not in str((doc.get("spec") or {}).get("trustBundle")):
            errs.append("spec.trustBundle is not PEM")
    if kind == "IngressClass" and not (doc.get("spec") or {}).get("controller"):
        errs.append("spec.controller missing")
    if kind == "Service" and not (doc.get("spec") or {}).get("ports"):
        errs.append("spec.ports missing")
    return errs


CORE = {"Namespace", "Secret", "ConfigMap", "Service", "Ingress", "IngressClass", "ClusterTrustBundle"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirror", default="/work/.mirror")
    ap.add_argument("--cel", action="store_true", help="list CEL rules not evaluated, per kind")
    a = ap.parse_args()
    n_docs = n_bad = 0
    kinds_seen = set()
    for f in sorted(HERE.glob("*/*.yaml")):
        if f.parent.name in ("measure", "pki"):
            continue
        for doc in yaml.safe_load_all(f.read_text()):
            if not doc:
                continue
            n_docs += 1
            api, kind = doc["apiVersion"], doc["kind"]
            group, _, version = api.rpartition("/")
            if kind in CORE and group in ("", "networking.k8s.io", "certificates.k8s.io"):
                errs = check_core(doc)
            else:
                src = OVERRIDES.get((f.name, kind)) or CRDS[(group, kind)]
                kinds_seen.add((group, kind, version, src))
                schema = find_schema(a.mirror, src, group, kind, version)
                v = jsonschema.Draft7Validator(schema)
                errs = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in v.iter_errors(doc)]
                errs += [f"unknown field {u} (strict field validation rejects it)" for u in unknown_fields(doc, schema)]
            if errs:
                n_bad += 1
                print(f"FAIL {f.relative_to(HERE)} {kind}/{doc['metadata'].get('name')}:")
                for e in errs:
                    print(f"     {e}")
    for group, kind, version, src in sorted(kinds_seen):
        print(f"schema {group}/{version} {kind}: {src[0].replace('+', '/')}@{src[1][:12]}:{src[2]}")
        if a.cel:
            for r in cel_rules(find_schema(a.mirror, src, group, kind, version)):
                print(f"    CEL (not evaluated) {r}")
    print(f"{n_docs - n_bad} passed, {n_bad} failed")
    return 1 if n_bad else 0


if __name__ == "__main__":
    sys.exit(main())
