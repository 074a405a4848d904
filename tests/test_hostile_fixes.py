"""Every fix generator, reached with hostile names, pasted into bash: only the programs it names run.

tests/test_hostile_commands.py puts hostile values into the ingress-nginx findings a check of
manifests reaches. This file reaches the fixes added since, with every name renamed to carry the
value (namespaces, Secrets, Ingresses, Gateways, Services, policies, and each reference to them,
annotation values among them): the `<secret>-ca.crt` repairs of a damaged ca.crt, the re-sign of a
CA with a negative serial (secret_commands.resigned_ca_command), auth-tls-secret-is-default-certificate
(diagnose/default_certificate.py), lb-terminates-tls (policy/ingress_nginx/load_balancer.py), and the
fixes of every successor manifest of tests/data/successors (Istio, NGINX Gateway Fabric, Envoy Gateway,
Traefik, F5, Gateway API). The objects are judged as a cluster's (an API server would refuse these
names in a manifest file: ingress-refused-by-api), so the names reach the generators.

Each fix runs in `bash -c` with every program on PATH a recorder of its words (and `touch` real): a
value that escaped its quotes leaves a PWNED file, runs a program not named, or hands a program a
word that starts with the value's leading dash (an option the value smuggled in).
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.serialization import Encoding

from mtls_tui.commands.check import print_report
from mtls_tui.diagnose.default_certificate import default_certificate_ca_findings
from mtls_tui.lab.objects import CONTROLLER_LABELS, controller_objects, seed_objects
from mtls_tui.lab.pki import SeedPki
from mtls_tui.model import SecretObj
from mtls_tui.policy.ingress_nginx.hosts import host_policies
from mtls_tui.policy.ingress_nginx.secret_findings import unusable_fix
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.secret_commands import (
    add_ca_command,
    append_newline_command,
    ca_copy_command,
    ca_only_command,
    read_key_command,
    resigned_ca_command,
    retype_secret_command,
    secret_update_command,
    tls_secret_command,
    typed_secret_command,
)
from mtls_tui.service.pipeline import check
from mtls_tui.service.session import Session
from tests.conftest import RECORDED, require, run_fix

SUCCESSORS = Path(__file__).parent / "data" / "successors"
DASH = "-pwned7"  # a value that would be an option if it started a word
HOSTILE = [
    "$(touch PWNED1)",
    "`touch PWNED2`",
    "x'; touch PWNED3; echo '",
    'a"; touch PWNED4; echo "',
    "n\ntouch PWNED5\n",
    "; touch PWNED6 #",
    DASH,
]
# the generators the worlds below must reach, each with every hostile value: what their fix holds
REACHED = {
    "auth-tls-secret-is-default-certificate": ("kubectl annotate ingress",),
    "lb-terminates-tls": ("kubectl annotate service", "kubectl patch service"),
}


def test_the_recorders_record(tmp_path: Path, recorders: Path) -> None:
    """Each program's name and words, a pipeline's both, a newline inside a word kept."""
    calls = run_fix("kubectl get secret 'a\nb' | sed -n p && test -s /dev/null || openssl version", tmp_path, recorders)
    assert sorted(calls) == [["kubectl", "get", "secret", "a\nb"], ["openssl", "version"], ["sed", "-n", "p"]]


# --- renaming every name -----------------------------------------------------------------------------

_KEEP = {"apiVersion", "kind", "image", "host", "hostname", "hosts", "protocol", "pathType", "type"}
_LABELS = {"labels", "selector", "matchLabels"}
_NAME = r"(?<![A-Za-z0-9_.-]){}(?![A-Za-z0-9_-])"


def names_of(objects: list[dict]) -> set[str]:
    """Every object's name and namespace (IngressClass and GatewayClass names too: references follow)."""
    found: set[str] = set()
    for obj in objects:
        meta = obj.get("metadata") or {}
        found |= {str(meta[k]) for k in ("name", "namespace") if meta.get(k)}
    return found


def renamed(value: Any, rename: dict[str, str], key: str = "") -> Any:
    """`value` with each whole name in its strings given the hostile value (keys kept: they are
    annotation names, Secret keys, field names)."""
    if isinstance(value, dict):
        if key in _LABELS:  # what finds the controller's pods and Service: not a name
            return value
        return {k: renamed(v, rename, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [renamed(v, rename, key) for v in value]
    if isinstance(value, str) and key not in _KEEP and rename:
        pattern = re.compile("|".join(_NAME.format(re.escape(n)) for n in sorted(rename, key=len, reverse=True)))
        return pattern.sub(lambda m: rename[m.group(0)], value)
    return value


def hostile(objects: list[dict], value: str, keep: frozenset[str] = frozenset()) -> list[dict]:
    """The objects with every name but those in `keep` starting with `value` (a leading dash then
    leads the word)."""
    return renamed(objects, {n: value + n for n in names_of(objects) - keep})


def fixes_of(objects: list[dict], capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """fix -> code, of every finding the pipeline makes of these objects as a cluster's."""
    snapshot = snapshot_from_objects(objects, "cluster", complete=True)
    print_report(check(Session(), snapshot, None, None), True)
    report = json.loads(capsys.readouterr().out)
    return {fix: code for code, fix in _coded_fixes(report) if fix}


def _coded_fixes(data: Any) -> Iterator[tuple[str, str]]:
    if isinstance(data, dict):
        if isinstance(data.get("fix"), str) and "code" in data:
            yield data["code"], data["fix"]
        for value in data.values():
            yield from _coded_fixes(value)
    elif isinstance(data, list):
        for value in data:
            yield from _coded_fixes(value)


# --- the worlds ----------------------------------------------------------------------------------------


def _with_ca(pki: SeedPki, ca: bytes, extra_args: tuple[str, ...] = ()) -> list[dict]:
    objects = [o for o in seed_objects(pki) if o["kind"] not in ("Deployment", "Pod", "IngressClass")]
    objects += controller_objects(extra_args=extra_args)
    secret = next(o for o in objects if o["kind"] == "Secret")
    secret["data"]["ca.crt"] = base64.b64encode(ca).decode()
    return objects


def negative_serial_ca(folder: Path) -> bytes:
    openssl = require("openssl", shutil.which("openssl"))
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
         str(folder / "neg.key"), "-out", str(folder / "neg.crt"), "-days", "30", "-set_serial", "-4242",
         "-subj", "/CN=Legacy CA", "-addext", "basicConstraints=critical,CA:true"],
        check=True, capture_output=True,
    )  # fmt: skip
    return (folder / "neg.crt").read_bytes()


def lb_service() -> dict:
    aws = "service.beta.kubernetes.io/aws-load-balancer-"
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "ingress-nginx-controller",
            "namespace": "ingress-nginx",
            "annotations": {aws + "ssl-cert": "arn:aws:acm:us-west-2:1:certificate/x", aws + "ssl-ports": "https"},
        },
        "spec": {
            "type": "LoadBalancer",
            "selector": dict(CONTROLLER_LABELS),
            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": "http"}],
        },
    }


def nginx_worlds(pki: SeedPki, folder: Path) -> dict[str, list[dict]]:
    pem = pki.ca.cert_pem()
    der = pki.ca.cert.public_bytes(Encoding.DER)
    return {
        "bom": _with_ca(pki, b"\xef\xbb\xbf" + pem),
        "base64-pem": _with_ca(pki, base64.b64encode(pem)),
        "der": _with_ca(pki, der),
        "negative-serial": _with_ca(pki, negative_serial_ca(folder)),
        "default-certificate": _with_ca(pki, pem, ("--default-ssl-certificate=default/my-certs",)),
        "lb-terminates-tls": [*_with_ca(pki, pem), lb_service()],
    }


def successor_worlds() -> dict[str, list[dict]]:
    return {
        str(path.relative_to(SUCCESSORS)): [o for o in yaml.safe_load_all(path.read_text()) if isinstance(o, dict)]
        for path in sorted(SUCCESSORS.glob("*/*.yaml"))
    }


@pytest.fixture(scope="module")
def worlds(pki: SeedPki, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[list[dict], frozenset[str]]]:
    """Each world, with the names kept as they are: for ingress-nginx the auth-tls Secret and its
    namespace, which the annotation's own validation would refuse renamed (the generators get them
    hostile in test_hostile_refs_in_the_secret_fixes instead)."""
    nginx = {name: (objects, KEPT) for name, objects in nginx_worlds(pki, tmp_path_factory.mktemp("neg")).items()}
    return {**nginx, **{name: (objects, frozenset()) for name, objects in successor_worlds().items()}}


KEPT = frozenset({"default", "my-certs"})


_VALUED = {"-n", "--namespace", "-in", "-out", "-p", "-o", "--type", "-signkey", "-CA", "-CAkey", "-key", "-keyout"}


def _smuggled(call: list[str]) -> list[str]:
    """The words of a call that start with the hostile dash where the program reads an option. An
    option's value is no option; nor is kubectl's object NAME after its verb and type (`kubectl get
    secret NAME`, `kubectl create secret generic NAME`): the one place the fixes leave a leading dash,
    as every Kubernetes name is an RFC 1123 one that starts with a letter or digit (the API server
    refuses others, and so does check --manifests: *-refused-by-api), which no printed fix can change."""
    name_at = 4 if call[:3] in (["kubectl", "create", "secret"],) else 3
    found = []
    for at, word in enumerate(call[1:], 1):
        if word.startswith(DASH) and call[at - 1] not in _VALUED and not (call[0] == "kubectl" and at == name_at):
            found.append(word)
    return found


def assert_runs_only_what_it_names(fixes: dict[str, str], folder: Path, recorders: Path) -> None:
    for fix, where in fixes.items():
        calls = run_fix(fix, folder, recorders)
        assert not list(folder.glob("PWNED*")), f"injected by {where}: {fix}"
        assert all(call[0] in RECORDED for call in calls), (where, fix, calls)
        smuggled = [call for call in calls if _smuggled(call)]
        assert not smuggled, (where, fix, smuggled)


@pytest.mark.parametrize("value", HOSTILE, ids=[f"v{i}" for i in range(len(HOSTILE))])
def test_hostile_names_in_every_fix_run_only_what_it_names(
    value: str,
    worlds: dict[str, tuple[list[dict], frozenset[str]]],
    tmp_path: Path,
    recorders: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Through the pipeline: the worlds renamed, every fix pasted. Each product's fixes carry the value
    (the generators were reached with it), and the ingress-nginx generators named in REACHED are."""
    fixes: dict[str, str] = {}
    carried: dict[str, set[str]] = {}
    for name, (objects, keep) in worlds.items():
        found = fixes_of(hostile(objects, value, keep), capsys)
        fixes |= {fix: f"{code} ({name})" for fix, code in found.items()}
        product = name.split("/")[0] if "/" in name else "ingress-nginx"
        carried.setdefault(product, set()).update(code for fix, code in found.items() if _marker(value) in fix)
    assert {p for p, codes in carried.items() if codes} == {*SUCCESSOR_PRODUCTS, "ingress-nginx"}, carried
    assert sum(len(codes) for codes in carried.values()) >= 20, carried
    for code, marks in REACHED.items():
        for mark in marks:
            carries = [fix for fix, where in fixes.items() if where.startswith(code) and mark in fix]
            assert any(_marker(value) in fix for fix in carries), (code, mark)
    assert_runs_only_what_it_names(fixes, tmp_path, recorders)


# the folders of tests/data/successors whose fixes name objects (gateway-api: NGINX Gateway Fabric and
# the Gateway API's own; releases/ only changes which release is assumed)
SUCCESSOR_PRODUCTS = {"envoy-gateway", "f5-nginx", "gateway-api", "istio", "traefik"}


def _marker(value: str) -> str:
    """The part of a hostile value that shows, shell-quoted or not, in a fix that carries it."""
    return re.findall(r"PWNED\d|pwned\d", value)[0]


@pytest.mark.parametrize("value", HOSTILE, ids=[f"v{i}" for i in range(len(HOSTILE))])
def test_hostile_refs_in_the_secret_fixes(
    value: str, pki: SeedPki, tmp_path: Path, recorders: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The generators themselves, with a hostile namespace, Secret name and key (what a manifest may hold
    and an annotation's validation keeps from the pipeline): the `<secret>-ca.crt` repairs of each
    damaged ca.crt, the re-sign of a negative serial, the default-certificate copy, and every command of
    policy/secret_commands.py."""
    ns, name, key = value + "default", value + "my-certs", value + "ca.crt"
    ref = f"{ns}/{name}"
    fixes: dict[str, str] = {}
    worlds = nginx_worlds(pki, tmp_path)
    for world, objects in worlds.items():
        secret = next(o for o in objects if o["kind"] == "Secret")
        data = tuple((k, base64.b64decode(v)) for k, v in secret["data"].items())
        fixes[unusable_fix(SecretObj(ns, name, "Opaque", data))] = f"secret-unusable ({world})"
    snapshot = snapshot_from_objects(worlds["default-certificate"], "cluster", complete=True)
    policy = next(p for p in host_policies(snapshot) if p.host == "meow.com")
    plain = snapshot.secret("default/my-certs")
    assert plain is not None and policy.controller is not None and policy.mtls_from is not None
    secret_obj = replace(plain, namespace=ns, name=name)
    policy = replace(
        policy,
        controller=replace(policy.controller, default_certificate=ref),
        mtls_from=replace(policy.mtls_from, name=value + "meow-ingress", namespace=ns),
    )
    [copy] = default_certificate_ca_findings(policy, secret_obj)
    fixes[copy.fix] = copy.code
    commands = {
        "resigned_ca_command": resigned_ca_command(ref, 30),
        "ca_only_command": ca_only_command(ref, key),
        "ca_copy_command": ca_copy_command(ref, value + "copy"),
        "typed_secret_command": typed_secret_command(ref, value + "type", ("ca.crt", key), {key: value + "file"}),
        "retype_secret_command": retype_secret_command(ref, value + "type"),
        "append_newline_command Secret": append_newline_command("Secret", ref, key),
        "append_newline_command ConfigMap": append_newline_command("ConfigMap", ref, key),
        "add_ca_command": add_ca_command(ref, value + "file", to_key=key),
        "add_ca_command from_key": add_ca_command(ref, from_key=key, to_key=key),
        "read_key_command": read_key_command(ref, key),
        "secret_update_command": secret_update_command(ref),
        "tls_secret_command": tls_secret_command(ref),
    }
    fixes |= {fix: where for where, fix in commands.items()}
    assert all(_marker(value) in fix for fix in fixes), [w for f, w in fixes.items() if _marker(value) not in f]
    assert {"-signkey ca.key", "-inform DER", "openssl base64 -d -A"} <= {
        mark for mark in ("-signkey ca.key", "-inform DER", "openssl base64 -d -A") for fix in fixes if mark in fix
    }
    assert_runs_only_what_it_names(fixes, tmp_path, recorders)
