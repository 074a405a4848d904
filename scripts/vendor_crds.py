#!/usr/bin/env python3
"""Write mtls_tui/policy/crds/: the openAPIV3Schema of every successor kind the readers read (and
`migrate` writes), from the projects' released CRDs at the commits below.

The source is a bare git directory per project under --mirror (the `fetch` tool's layout:
/work/.mirror/<owner>+<name>/repo); nothing else of the CRDs is kept. Descriptions are dropped
(they decide nothing), every served version is kept, and versions whose schemas are the same are
written once (`{"same as": "v1"}`). Usage: python3 scripts/vendor_crds.py [--mirror DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path
from typing import Any

import yaml

OUT = Path(__file__).resolve().parent.parent / "mtls_tui" / "policy" / "crds"

GWAPI = ("kubernetes-sigs+gateway-api", "4564255ac2c35d582249b3cdf261bdf51c8bca32", "config/crd/standard")
EG = (
    "envoyproxy+gateway",
    "d32f28294245e454d20f81d323d626a90e660c1e",
    "charts/gateway-helm/charts/crds/crds/generated",
)
TRAEFIK = (
    "traefik+traefik",
    "fd5a576df2e8aeb0bfc8a96b6ef6e60a61f7ec0a",
    "docs/content/reference/dynamic-configuration",
)
F5 = ("nginx+kubernetes-ingress", "0eb3072d14f04931824bb74c99a6566d8c108f3c", "config/crd/bases")
ISTIO = ("istio+istio", "86c9f01fd735fb01d8192f5bcaf0d424afb7f14c", "manifests/charts/base/files")

# (group, kind): (project, file under its folder)
KINDS = {
    ("gateway.networking.k8s.io", "GatewayClass"): (GWAPI, "gateway.networking.k8s.io_gatewayclasses.yaml"),
    ("gateway.networking.k8s.io", "Gateway"): (GWAPI, "gateway.networking.k8s.io_gateways.yaml"),
    ("gateway.networking.k8s.io", "HTTPRoute"): (GWAPI, "gateway.networking.k8s.io_httproutes.yaml"),
    ("gateway.networking.k8s.io", "TLSRoute"): (GWAPI, "gateway.networking.k8s.io_tlsroutes.yaml"),
    ("gateway.networking.k8s.io", "ReferenceGrant"): (GWAPI, "gateway.networking.k8s.io_referencegrants.yaml"),
    ("gateway.envoyproxy.io", "ClientTrafficPolicy"): (EG, "gateway.envoyproxy.io_clienttrafficpolicies.yaml"),
    ("traefik.io", "TLSOption"): (TRAEFIK, "traefik.io_tlsoptions.yaml"),
    ("traefik.io", "IngressRoute"): (TRAEFIK, "traefik.io_ingressroutes.yaml"),
    ("k8s.nginx.org", "Policy"): (F5, "k8s.nginx.org_policies.yaml"),
    ("k8s.nginx.org", "VirtualServer"): (F5, "k8s.nginx.org_virtualservers.yaml"),
    ("networking.istio.io", "Gateway"): (ISTIO, "crd-all.gen.yaml"),
    ("networking.istio.io", "VirtualService"): (ISTIO, "crd-all.gen.yaml"),
}


def _without_descriptions(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _without_descriptions(v) for k, v in schema.items() if k != "description"}
    if isinstance(schema, list):
        return [_without_descriptions(v) for v in schema]
    return schema


def _crd(mirror: Path, project: tuple[str, str, str], name: str, group: str, kind: str) -> dict[str, Any]:
    repo, commit, folder = project
    text = subprocess.run(
        ["git", f"--git-dir={mirror / repo / 'repo'}", "show", f"{commit}:{folder}/{name}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for doc in yaml.safe_load_all(text):
        if doc and doc.get("kind") == "CustomResourceDefinition":
            spec = doc["spec"]
            if spec["group"] == group and spec["names"]["kind"] == kind:
                return doc
    raise SystemExit(f"no CRD for {group} {kind} in {repo}@{commit}:{folder}/{name}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    lines = []
    for (group, kind), (project, name) in KINDS.items():
        crd = _crd(args.mirror, project, name, group, kind)
        versions: dict[str, Any] = {}
        for version in crd["spec"]["versions"]:
            if not version.get("served", True):
                continue  # the API server refuses such an apiVersion whole: not a schema question
            schema = _without_descriptions(version["schema"]["openAPIV3Schema"])
            same = next((v for v, s in versions.items() if s == schema), None)
            versions[version["name"]] = {"same as": same} if same else schema
        out = {"source": f"{project[0].replace('+', '/')}@{project[1]}:{project[2]}/{name}", "versions": versions}
        (OUT / f"{group}_{kind}.json").write_text(json.dumps(out, separators=(",", ":"), sort_keys=True) + "\n")
        lines.append(f"- `{group}_{kind}.json` — {out['source']} (served: {', '.join(versions)})")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
