"""An Ingress in a manifest file that the API server refuses is never served: no "works" for it.

Every expectation is kubernetes/kubernetes pkg/apis/networking/validation/validation.go
(ValidateIngressCreate, ValidateIngressSpec, validateIngressRules, validateIngressTLS,
validateHTTPIngressPath, validateIngressBackend) and k8s.io/apimachinery
pkg/util/validation/validation.go (IsDNS1123Subdomain, IsWildcardDNS1123Subdomain,
IsValidPortName). No kube-apiserver runs here: these rest on that source.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from mtls_tui.lab.objects import meow_ingress, seed_objects
from mtls_tui.lab.pki import SeedPki
from mtls_tui.model import SecretObj
from mtls_tui.policy.api_validation import api_refusals, secret_refusals
from mtls_tui.policy.kube_objects import snapshot_from_objects


def _path(ingress: dict[str, Any]) -> dict[str, Any]:
    return ingress["spec"]["rules"][0]["http"]["paths"][0]


def _set(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    ingress = meow_ingress()
    change(ingress)
    return ingress


REFUSED = [
    # validateIngressRules: IsDNS1123Subdomain (lowercase only)
    ("uppercase host", lambda i: i["spec"]["rules"][0].update(host="Meow.com"), "spec.rules[0].host", "RFC 1123"),
    # validateIngressRules: "must be a DNS name, not an IP address"
    ("IP host", lambda i: i["spec"]["rules"][0].update(host="10.0.0.7"), "spec.rules[0].host", "not an IP address"),
    ("IPv6 host", lambda i: i["spec"]["rules"][0].update(host="::1"), "spec.rules[0].host", "not an IP address"),
    # validateIngressRules: a host with a port is no DNS name ("TODO: Ports … consider allowing them")
    ("host:port", lambda i: i["spec"]["rules"][0].update(host="meow.com:443"), "spec.rules[0].host", "RFC 1123"),
    # IsWildcardDNS1123Subdomain: "*." then a subdomain, nothing else
    ("inner wildcard", lambda i: i["spec"]["rules"][0].update(host="meow.*.com"), "spec.rules[0].host", "wildcard"),
    # validateHTTPIngressPath: "pathType must be specified"
    ("no pathType", lambda i: _path(i).pop("pathType"), "spec.rules[0].http.paths[0].pathType", "must be specified"),
    ("unknown pathType", lambda i: _path(i).update(pathType="Regex"), "pathType", "Unsupported value"),
    # validateHTTPIngressPath: Exact/Prefix "must be an absolute path", invalidPathSequences
    ("relative path", lambda i: _path(i).update(path="api"), "spec.rules[0].http.paths[0].path", "absolute path"),
    ("path with //", lambda i: _path(i).update(path="/a//b"), "spec.rules[0].http.paths[0].path", "'//'"),
    # validateIngressBackend: the v1beta1 backend fields are not v1's
    (
        "v1beta1 backend in v1",
        lambda i: _path(i).update(backend={"serviceName": "meow-svc", "servicePort": 80}),
        "spec.rules[0].http.paths[0].backend",
        "resource or service backend is required",
    ),
    (
        "port name and number",
        lambda i: _path(i)["backend"]["service"]["port"].update(name="https"),
        "backend",
        "cannot set both port name & port number",
    ),
    # validateIngressTLS: the TLS hosts' names too
    (
        "uppercase TLS host",
        lambda i: i["spec"]["tls"][0].update(hosts=["Meow.com"]),
        "spec.tls[0].hosts[0]",
        "RFC 1123",
    ),
    # validateIngressTLS: ValidateSecretName (a DNS-1123 subdomain)
    (
        "bad secretName",
        lambda i: i["spec"]["tls"][0].update(secretName="My_Certs"),
        "spec.tls[0].secretName",
        "RFC 1123",
    ),
    # ValidateIngressCreate: the class annotation and ingressClassName must agree
    (
        "two classes",
        lambda i: i["metadata"]["annotations"].update({"kubernetes.io/ingress.class": "traefik"}),
        "annotations.kubernetes.io/ingress.class",
        "must match `ingressClassName`",
    ),
    # ValidateIngressSpec: "either `defaultBackend` or `rules` must be specified"
    ("nothing to serve", lambda i: i["spec"].pop("rules"), "spec", "either `defaultBackend` or `rules`"),
]

STORED = [
    ("the seed's Ingress", lambda i: None),
    ("wildcard host", lambda i: i["spec"]["rules"][0].update(host="*.meow.com")),
    # validateIngressTLS checks the form only: an IP address is a valid DNS-1123 subdomain there
    ("IP in TLS hosts", lambda i: i["spec"]["tls"][0].update(hosts=["10.0.0.7"])),
    (
        "ImplementationSpecific, no path",
        lambda i: (_path(i).pop("path"), _path(i).update(pathType="ImplementationSpecific")),
    ),
    ("a named port", lambda i: _path(i)["backend"]["service"].update(port={"name": "https"})),
    ("a resource backend", lambda i: _path(i).update(backend={"resource": {"kind": "Bucket", "name": "b"}})),
    ("same class twice", lambda i: i["metadata"]["annotations"].update({"kubernetes.io/ingress.class": "nginx"})),
]


@pytest.mark.parametrize(("case", "change", "field", "why"), REFUSED, ids=[c[0] for c in REFUSED])
def test_the_api_servers_refusals(case: str, change, field: str, why: str) -> None:
    found = api_refusals(_set(change))
    assert any(field in message and why in message for message in found), found


@pytest.mark.parametrize(("case", "change"), STORED, ids=[c[0] for c in STORED])
def test_what_the_api_server_stores(case: str, change) -> None:
    assert api_refusals(_set(change)) == ()


def test_removed_apis_are_judged_elsewhere() -> None:
    """extensions/v1beta1 is refused whole (ingress-api-removed); its fields are not v1's to check."""
    ingress = meow_ingress()
    ingress["apiVersion"] = "extensions/v1beta1"
    _path(ingress).pop("pathType")
    assert api_refusals(ingress) == ()


def _check(tmp_path: Path, objects: list[dict[str, Any]]) -> dict[str, Any]:
    (tmp_path / "all.yaml").write_text(yaml.safe_dump_all(objects))
    out = subprocess.run(
        [sys.executable, "-m", "mtls_tui", "check", "--manifests", str(tmp_path / "all.yaml"), "--no-probe", "--json"],
        capture_output=True,
        text=True,
    )
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout)


def test_a_refused_mtls_ingress_is_broken_not_works(pki: SeedPki, tmp_path: Path) -> None:
    """Uppercase host: every other input is the seed's, which reads "works" with its host in lowercase."""
    objects = [o for o in seed_objects(pki) if o["kind"] != "Ingress"]
    [host] = _check(tmp_path, [*objects, meow_ingress(host="Meow.com")])["hosts"]
    assert host["state"] == "broken"
    lead = host["findings"][0]
    assert lead["code"] == "ingress-refused-by-api" and lead["severity"] == "error"
    assert any('Invalid value: "Meow.com"' in e for e in lead["evidence"])
    assert lead["fix"] == ""  # the file is the user's to correct: no command to guess it


def test_a_refused_mtls_ingress_beside_a_plain_one_leaves_the_host_open(pki: SeedPki, tmp_path: Path) -> None:
    """The plain Ingress is stored and serves the host; the one asking for certificates never exists."""
    objects = [o for o in seed_objects(pki) if o["kind"] != "Ingress"]
    asking = meow_ingress()
    _path(asking).pop("pathType")
    plain = meow_ingress(annotations={}, name="plain")
    [host] = _check(tmp_path, [*objects, asking, plain])["hosts"]
    assert host["state"] == "not enforced"
    assert "ingress-refused-by-api" in {f["code"] for f in host["findings"]}


def test_objects_read_from_a_cluster_are_not_checked_again(pki: SeedPki) -> None:
    """The cluster stored them under its own rules (older objects may predate today's)."""
    ingress = copy.deepcopy(meow_ingress(host="Meow.com"))
    from_cluster = snapshot_from_objects([ingress], "cluster", complete=True)
    from_files = snapshot_from_objects([ingress], "manifests", complete=False)
    assert from_cluster.ingresses[0].refused == ()
    assert from_files.ingresses[0].refused


def _ca_only(pki: SeedPki, secret_type: str) -> list[dict[str, Any]]:
    """The seed with its CA in a Secret of its own (ca-only), which the Ingress asks clients to match."""
    objects = [o for o in seed_objects(pki) if o["kind"] != "Ingress"]
    seed_secret = next(o for o in objects if o["kind"] == "Secret")
    ca_only = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": secret_type,
        "metadata": {"name": "ca-only", "namespace": "default"},
        "data": {"ca.crt": seed_secret["data"]["ca.crt"]},
    }
    ingress = meow_ingress()
    ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/auth-tls-secret"] = "default/ca-only"
    return [*objects, ca_only, ingress]


def _secret(secret_type: str, data: dict[str, bytes], name: str = "ca-only") -> SecretObj:
    return SecretObj("default", name, secret_type, tuple(data.items()))


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        # ValidateSecret, case core.SecretTypeTLS: both keys must be present
        (
            _secret("kubernetes.io/tls", {"ca.crt": b"x"}),
            ["data[tls.crt]: Required value", "data[tls.key]: Required value"],
        ),
        (_secret("kubernetes.io/tls", {"tls.crt": b"x", "ca.crt": b"x"}), ["data[tls.key]: Required value"]),
        # ValidateSecret: every key IsConfigMapKey
        (_secret("Opaque", {"ca crt": b"x"}), ['data[ca crt]: Invalid value: "ca crt"']),
        # ValidateSecret: totalSize > core.MaxSecretSize (1 MiB)
        (_secret("Opaque", {"ca.crt": b"x" * (1024 * 1024 + 1)}), ["data: Too long"]),
        # ValidateObjectMeta with ValidateSecretName (a DNS-1123 subdomain)
        (_secret("Opaque", {"ca.crt": b"x"}, name="CA-only"), ['metadata.name: Invalid value: "CA-only"']),
    ],
)
def test_the_api_servers_secret_refusals(secret: SecretObj, why: list[str]) -> None:
    found = secret_refusals(secret, {})
    assert len(found) == len(why) and all(any(w in f for f in found) for w in why), found


@pytest.mark.parametrize(
    "secret",
    [
        _secret("Opaque", {"ca.crt": b"x"}),  # what `kubectl create secret generic` makes
        _secret("kubernetes.io/tls", {"tls.crt": b"x", "tls.key": b"", "ca.crt": b"x"}),  # present, even empty
        _secret("Opaque", {"ca.crt": b"x" * (1024 * 1024)}),
    ],
)
def test_secrets_the_api_server_stores(secret: SecretObj) -> None:
    assert secret_refusals(secret, {}) == ()


def test_a_ca_only_tls_secret_in_the_files_is_broken_not_works(pki: SeedPki, tmp_path: Path) -> None:
    """The same objects with the CA Secret of type Opaque read "works": the type alone decides."""
    [fine] = _check(tmp_path, _ca_only(pki, "Opaque"))["hosts"]
    assert fine["state"] == "works", fine["verdict"]
    [host] = _check(tmp_path, _ca_only(pki, "kubernetes.io/tls"))["hosts"]
    assert host["state"] == "broken"
    lead = host["findings"][0]
    assert lead["code"] == "secret-refused-by-api" and lead["severity"] == "error"
    assert lead["evidence"] == ["data[tls.crt]: Required value", "data[tls.key]: Required value"]


def test_the_refused_secrets_fix_runs_as_printed(pki: SeedPki, tmp_path: Path) -> None:
    """bash and the real kubectl against the lab's API server, which holds what the API server
    would: every object but the refused Secret. Afterwards the cluster's objects read "works"."""
    from datetime import UTC, datetime

    from mtls_tui.diagnose.hosts import host_report
    from mtls_tui.policy.ingress_nginx.hosts import host_policies
    from tests.test_policy_fixes_run import run_printed

    objects = _ca_only(pki, "kubernetes.io/tls")
    snapshot = snapshot_from_objects(objects, "manifests", complete=False)
    [policy] = [p for p in host_policies(snapshot) if p.host == "meow.com"]
    lead = host_report(policy, snapshot, datetime.now(UTC)).findings[0]
    assert lead.code == "secret-refused-by-api"
    (tmp_path / "ca.crt").write_bytes(pki.ca.cert_pem())  # the user's CA file, which the fix names
    stored = [o for o in objects if o["metadata"]["name"] != "ca-only"]
    after, _ = run_printed(lead.fix, stored, tmp_path)
    made = next(o for o in after if o["kind"] == "Secret" and o["metadata"]["name"] == "ca-only")
    assert made.get("type", "Opaque") == "Opaque" and set(made["data"]) == {"ca.crt"}
    cluster = snapshot_from_objects(after, "cluster")
    [policy] = [p for p in host_policies(cluster) if p.host == "meow.com"]
    report = host_report(policy, cluster, datetime.now(UTC))
    assert report.state == "works", [f.code for f in report.findings]


def test_the_labs_api_server_refuses_what_a_cluster_refuses(pki: SeedPki, tmp_path: Path) -> None:
    """The real kubectl against the lab: a fix that only the lab would store must fail as on a cluster."""
    import os
    import shutil

    from mtls_tui.lab.cluster import LabCluster
    from tests.conftest import require

    require("kubectl", shutil.which("kubectl"))
    objects = _ca_only(pki, "kubernetes.io/tls")
    refused_secret = next(o for o in objects if o["metadata"]["name"] == "ca-only")
    refused_ingress = meow_ingress(host="Meow.com", name="upper")
    (tmp_path / "secret.yaml").write_text(yaml.safe_dump(refused_secret))
    (tmp_path / "ingress.yaml").write_text(yaml.safe_dump(refused_ingress))
    with LabCluster([o for o in objects if o is not refused_secret]) as cluster:
        env = {
            **os.environ,
            "KUBECONFIG": str(cluster.write_kubeconfig(tmp_path / "kubeconfig")),
            "HOME": str(tmp_path),
        }

        def apply(name: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                ["kubectl", "apply", "-f", str(tmp_path / name)], env=env, capture_output=True, text=True, timeout=60
            )

        secret = apply("secret.yaml")
        assert secret.returncode != 0
        assert 'The Secret "ca-only" is invalid' in secret.stderr
        assert "data[tls.crt]: Required value" in secret.stderr and "data[tls.key]: Required value" in secret.stderr
        ingress = apply("ingress.yaml")
        assert ingress.returncode != 0
        assert 'The Ingress "upper" is invalid' in ingress.stderr
        assert 'spec.rules[0].host: Invalid value: "Meow.com"' in ingress.stderr
        kinds = {(o["kind"], o["metadata"]["name"]) for o in cluster.all_objects()}
        assert ("Secret", "ca-only") not in kinds and ("Ingress", "upper") not in kinds
        refused_secret["type"] = "Opaque"
        (tmp_path / "secret.yaml").write_text(yaml.safe_dump(refused_secret))
        assert apply("secret.yaml").returncode == 0  # the same CA as an Opaque Secret is stored


@pytest.mark.parametrize("spec", [{}, "oops", ["a"]])
def test_a_refused_ingress_without_hosts_is_named_with_the_files(tmp_path: Path, capsys, spec) -> None:
    """An Ingress with no rules and no defaultBackend (ValidateIngressSpec: 'either `defaultBackend` or
    `rules` must be specified'), or whose spec is no object (decoding fails): kubectl apply refuses it, and
    no host's report would name it, so the files' findings do; it was dropped without a word before."""
    import json

    import yaml

    from mtls_tui.cli import main

    path = tmp_path / "bad.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {"name": "bad", "namespace": "default"},
                "spec": spec,
            }
        )
    )
    assert main(["check", "--manifests", str(path), "--json", "--no-probe"]) == 1
    report = json.loads(capsys.readouterr().out)
    [finding] = [f for f in report["findings"] if f["code"] == "ingress-refused-by-api"]
    assert finding["subject"] == "Ingress default/bad" and finding["severity"] == "error"
    assert ("object is expected" in finding["detail"]) == (not isinstance(spec, dict))
