"""Every command the successors' readers and `migrate` print, run exactly as printed.

The corpus is built as tests/test_fix_portability.py builds it: every fix of `check --manifests`
on each manifest of tests/data/successors, on the upstream cases of tests/test_successors_upstream.py,
the Istio and NGINX Gateway Fabric cases of tests/test_successors_istio_ngf.py and the field reports
of tests/test_field_reports_successors*.py, the fixes the same objects get when read as a whole
cluster (an object the files lack is then absent: ca-ref-not-found and its `kubectl create`), and
every command of `migrate --to TARGET` on the ingress-nginx conformance cases
(tests/test_controller_conformance.py; one per shape: it prints the same command for each host,
but for the names). Each distinct command is run once, with the first case that prints it: `bash -c`
with the real kubectl against the lab's API server holding that case's objects, in a folder holding
the files the fixes name (the successors' test PKI: ca.crt and ca.key, client.crt, server.crt and
server.key, the same pair as tls.crt and tls.key), `mtls-tui` on PATH as this checkout, and for
`kubectl edit` an editor that does what the finding asks. It must exit 0 (`mtls-tui check`: 1 is
its verdict) with no error on stderr. Then:
- a command that wrote to the API server: the objects are read back and judged again (`check
  --manifests`, or as a cluster for a finding printed for one); the finding it was printed for was
  there before and is gone;
- a command that only read and saved a file: with that file among the manifests the finding is gone;
- `migrate`'s Secret command: it printed the kubernetes.io/tls Secret the migrated objects name,
  with the host's key pair;
- a command that only shows something: it printed it, or kubectl's "No resources found" (a status
  may be empty: the lab runs no controller to write one).
A finding about an object the files lack (`…-not-in-manifests`) is printed for a cluster that holds
it: the lab is given that object (built as tests/upstream_objects.py builds the cases') first.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from mtls_tui.certs.issue import issue_ca, issue_leaf, new_key
from mtls_tui.cli import main
from mtls_tui.lab.cluster import LabCluster, resources
from mtls_tui.lab.cluster.resources import Resource
from mtls_tui.model import FIX_PROGRAMS
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.migrate import TARGETS
from mtls_tui.policy.successors import client_validations
from mtls_tui.shell import first_program
from tests import test_controller_conformance as conformance
from tests import test_f5_two_controllers as f5_two
from tests import test_field_reports_successors as reports
from tests import test_field_reports_successors_2 as reports_2
from tests import test_field_reports_successors_3 as reports_3
from tests import test_successors_istio_ngf as istio_ngf
from tests import test_successors_upstream as upstream
from tests import upstream_objects as objects
from tests.conftest import require
from tests.test_crd_refusals import EXTRA, serve

Docs = list[dict[str, Any]]
SUCCESSORS = Path(__file__).parent / "data" / "successors"
PKI = SUCCESSORS / "pki"
ROOT = Path(__file__).parent.parent
# The files a fix names (its `then` says which): the user's CA and its key, a client, the server's pair.
FILES = {
    "ca.crt": "ca.crt",
    "ca.key": "ca.key",
    "client.crt": "client.crt",
    "client.key": "client.key",
    "server.crt": "server.crt",
    "server.key": "server.key",
    "tls.crt": "server.crt",
    "tls.key": "server.key",
}


@dataclass(frozen=True)
class Case:
    name: str
    objects: Callable[[], Docs]
    args: tuple[str, ...] = ()  # `check` options of the case (--controller …)
    migrate: str = ""  # the target, for a `migrate` case


def _file_case(path: Path) -> Case:
    return Case(f"data/{path.relative_to(SUCCESSORS)}", lambda: [d for d in yaml.safe_load_all(path.read_text()) if d])


def _conformance_pki() -> conformance.Pki:
    ca = issue_ca("Conformance CA", key=new_key("ec"))
    server = issue_leaf("server", ca, key=new_key("ec"), v1=False, sans=[f"*.{conformance.DOMAIN}"])
    client = issue_leaf("conformance-client", ca, key=new_key("ec"), v1=False, eku=["clientAuth"])
    return conformance.Pki(ca, issue_ca("Another CA", key=new_key("ec")), server, client)


_PKI: list[conformance.Pki] = []


def _conformance_objects(case: conformance.Case) -> Callable[[], Docs]:
    def objects() -> Docs:
        if not _PKI:
            _PKI.append(_conformance_pki())
        return conformance.objects_for(case, _PKI[0])

    return objects


CASES: list[Case] = [
    *(_file_case(p) for p in sorted(SUCCESSORS.glob("*/*.yaml")) if p.parent.name not in ("releases", "pki")),
    *(Case(f"upstream/{c.id}", c.objects, c.extra) for c in upstream.CASES),
    *(Case(f"istio-ngf/{c.id}", c.objects) for c in istio_ngf.CASES),
    Case("report/eg-7805", lambda: reports.eg_7805("docker.io/envoyproxy/gateway:v1.6.0")),
    Case("report/authelia-130", lambda: reports.authelia_130(reports.TRAEFIK_ARGS)),
    Case("report/traefik-9390", reports.traefik_9390),
    Case("report/f5-9628", reports_2.f5_9628),
    Case("report/f5-2822", reports_2.f5_2822),
    Case("report/f5-1565", lambda: f5_two.report_1565(None)),
    Case("report/f5-policy-class", lambda: f5_two.policy_of_class("nginx-b")),
    Case("report/f5-policy-not-watched", f5_two.policy_not_watched),
    Case("report/f5-not-served", lambda: f5_two.not_served("class")),
    Case("report/istio-34317", reports_2.istio_34317),
    *(Case(f"report/istio-27740-{p}", lambda p=p: reports_2.istio_27740(p)) for p in (True, False)),
    *(Case(f"report/istio-41794-{n}", lambda n=n: reports_2.istio_41794(n)) for n in ("istio-system", "meow")),
    *(Case(f"report/istio-45449-{s}", lambda s=s: reports_2.istio_45449(s)) for s in (True, False)),
    *(Case(f"report/istio-25018-{p}", lambda p=p: reports_2.istio_25018(p)) for p in (True, False)),
    Case("report/traefik-928", reports_2.traefik_928),
    Case("report/traefik-9456", reports_2.traefik_9456),
    *(Case(f"report/traefik-7126-{t}", lambda t=t: reports_2.traefik_7126(t)) for t in (True, False)),
    *(
        Case(f"report/traefik-13433-{d}", lambda d=d: reports_3.traefik_gateway(["--providers.kubernetesgateway"], d))
        for d in (True, False)
    ),
    Case("report/traefik-qualified-option", lambda: reports_3.qualified("traefik:v3.7.9", [])),
    Case("report/traefik-refused-default-option", lambda: reports_3.qualified("traefik:v3.7.9", [], True)),
    Case(
        "report/traefik-ingress-cross-provider",
        lambda: reports_3.ingress_options("traefik:v3.7.9", [reports_3.ALLOWED_ELSEWHERE], "apps-mtls@kubernetescrd"),
    ),
    Case("report/traefik-ingress-unknown-option", lambda: reports_3.ingress_options("traefik:v3.7.9", [], "mtls")),
    # without a default TLSOption (with one, the warning stays: Traefik reads the frontend on no listener)
    Case("report/traefik-tls-listener", lambda: reports_3.traefik_tls_listener(False)),
    Case("report/eg-expired-crl-allow-expired", reports_3.expired_crl_objects),
    *(Case(f"migrate/{c.id}-{t}", _conformance_objects(c), migrate=t) for c in conformance.CASES for t in TARGETS),
]


@dataclass(frozen=True)
class Printed:
    fix: str
    code: str
    key: str  # host:port, or "" for a finding of the whole input
    subject: str
    title: str
    cluster: bool = False  # printed when the objects are read as a whole cluster, not as files


def _run_cli(argv: list[str]) -> dict[str, Any]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(argv)
    return json.loads(out.getvalue())


def _key(host: dict[str, Any]) -> str:
    return f"{host['host']}:{host.get('port', 443)}"


def _hosts(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {_key(h): h for h in report["hosts"] + report.get("other_controllers", [])}


def printed(case: Case, folder: Path) -> list[Printed]:
    """The commands `check --manifests` (or `migrate`) prints for the case, with the finding of each."""
    path = folder / "case.yaml"
    path.write_text(yaml.safe_dump_all(case.objects()))
    if case.migrate:
        out = folder / "migrated"
        argv = ["migrate", "--to", case.migrate, "--manifests", str(path), "--json", "-o", str(out), "--force"]
        report = _run_cli(argv)
        found = [
            Printed(c["command"], "secret-command", _key(h), c["secret"], c["why"])
            for h in report["hosts"]
            for c in h["secret_commands"]
        ]
        found += [
            Printed(f["fix"], f["code"], _key(h), f["subject"], f["title"])
            for h in report["hosts"]
            for f in h["findings"]
        ]
    else:
        report = _run_cli(["check", "--manifests", str(path), "--json", "--no-probe", *case.args])
        found = [
            Printed(f["fix"], f["code"], key, f["subject"], f["title"])
            for key, h in _hosts(report).items()
            for f in h["findings"]
        ]
    found += [Printed(f["fix"], f["code"], "", f["subject"], f["title"]) for f in report["findings"]]
    if not case.migrate:  # `check` on a cluster: an object the files lack is absent
        found += [
            Printed(f.fix, f.code, f"{v.host}:{v.port}", f.subject, f.title, cluster=True)
            for v in client_validations(snapshot_from_objects(case.objects(), "cluster", complete=True))
            for f in v.findings
        ]
    return [p for p in found if first_program(p.fix) in FIX_PROGRAMS]


def shape(fix: str) -> str:
    """A command with the names of a migrated host and of the Secret it reads put aside: `migrate`
    prints one such command per host of the conformance cases, the same but for those names."""
    fix = re.sub(r"\bc\d+(-[a-z0-9]+)?-conf-test\b", "HOST", fix)
    return re.sub(r"kubectl get secret \S+ -n \S+ ", "kubectl get secret SECRET -n NAMESPACE ", fix)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Case, Printed]]:
    """Each distinct printed command (for `migrate`'s, each shape), with the first case that prints it."""
    folder = tmp_path_factory.mktemp("corpus")
    found: dict[str, tuple[Case, Printed]] = {}
    for case in CASES:
        for one in printed(case, folder):
            found.setdefault(shape(one.fix) if case.migrate else one.fix, (case, one))
    return found


def test_the_corpus_reaches_every_successor_and_migrate(corpus: dict[str, tuple[Case, Printed]]) -> None:
    families = {_family(case) for case, _ in corpus.values()}
    assert families == set(FAMILIES), families
    assert len(corpus) >= 110, len(corpus)


@pytest.fixture(scope="module")
def bin_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`mtls-tui` on PATH as this checkout (a fix may run the tool itself), and the user's editor for
    `kubectl edit`: it does what the finding asks (add Host(...) to a rule that names none)."""
    folder = tmp_path_factory.mktemp("bin")
    shim = folder / "mtls-tui"
    shim.write_text(f'#!/bin/sh\nPYTHONPATH={ROOT} exec {sys.executable} -m mtls_tui "$@"\n')
    editor = folder / "add-host"
    editor.write_text(
        f"#!{sys.executable}\n"
        "import sys, yaml\n"
        "doc = yaml.safe_load(open(sys.argv[1]))\n"
        "for route in doc['spec']['routes']:\n"
        "    route['match'] = 'Host(`meow.com`) && ' + route['match']\n"
        "yaml.safe_dump(doc, open(sys.argv[1], 'w'))\n"
    )
    for made in (shim, editor):
        made.chmod(0o755)
    return folder


def _served_kinds(docs: Docs, fix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lab serves the custom kinds of the groups the case uses or the fix names, as a cluster with
    those CRDs installed (one kind per name: the lab keeps objects by kind)."""
    groups = {str(d.get("apiVersion", "")).rpartition("/")[0] for d in docs}
    groups |= set(re.findall(r"apiVersion\W+([a-z0-9.-]+)/", fix))  # an object the fix writes
    named = set(re.findall(r"\bkubectl (?:get|patch|edit|delete) ([a-z.]+)", fix))  # a kind the fix names
    groups |= {
        r.group
        for kinds in EXTRA.values()
        for r in kinds
        if {r.kind.lower(), r.plural, f"{r.plural}.{r.group}"} & named
    }
    extra = {r.kind: r for kinds in EXTRA.values() for r in kinds if r.group in groups}
    served = {(r.group, r.version, r.kind) for r in (*resources.RESOURCES, *extra.values())}
    for doc in docs:
        group, _, version = str(doc.get("apiVersion", "")).rpartition("/")
        if (group, version, kind := str(doc.get("kind", ""))) not in served:
            extra[kind] = Resource(kind, kind.lower() + "s", group, version, True)
    serve(monkeypatch, tuple(extra.values()))


# The controller each IngressClass of the cases names (traefik/traefik v3.7.9
# pkg/provider/kubernetes/ingress/kubernetes.go traefikDefaultIngressClassController).
INGRESS_CLASSES = {"traefik": "traefik.io/ingress-controller"}


SINGULAR = {
    "secrets": "secret",
    "configmaps": "configmap",
    "clustertrustbundles": "clustertrustbundle",
    "gatewayclasses": "gatewayclass",
    "ingressclasses": "ingressclass",
    "policies": "policy",
}


def _read_words(fix: str) -> list[str]:
    """The words of the fix's first command, up to a redirection, pipe or `&&`."""
    try:
        words = shlex.split(fix)
    except ValueError:
        return []
    ends = [i for i, w in enumerate(words) if w in (">", "|", "&&")]
    return words[: ends[0]] if ends else words


def _absent_objects(fix: str, docs: Docs) -> Docs:
    """The object a `kubectl get KIND NAME` fix reads that the case's files lack (and its Namespace):
    the finding it is printed for says the files lack it and the cluster may hold it, so the lab is
    given one, built as tests/upstream_objects.py builds the cases' objects."""
    words = _read_words(fix)
    if words[:2] != ["kubectl", "get"] or len(words) < 4 or words[3].startswith("-"):
        return []
    kind, name = words[2].split(".")[0], words[3]
    kind = SINGULAR.get(kind, kind)
    namespace = words[words.index("-n") + 1] if "-n" in words else None
    ns = namespace or "default"
    if any(
        (d["kind"].lower(), d["metadata"]["name"], d["metadata"].get("namespace", ns)) == (kind, name, ns) for d in docs
    ):
        return []
    build: dict[str, Callable[[], dict[str, Any]]] = {
        "secret": lambda: objects.secret(name, ns, {"ca.crt": "ca"}),
        "configmap": lambda: objects.configmap(name, ns, ca_crt="ca"),
        "clustertrustbundle": lambda: objects.cluster_trust_bundle(name, "ca"),
        "gatewayclass": lambda: objects.gateway_class(name, objects.EG_CLASS),
        "ingressclass": lambda: {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {"name": name},
            "spec": {"controller": INGRESS_CLASSES[name]},
        },
        "policy": lambda: objects.f5_policy(name, ns, {"ingressMTLS": {"clientCertSecret": "meow-ca"}}),
    }
    if kind not in build:
        return []
    made = [build[kind]()]
    if namespace and not any(d["kind"] == "Namespace" and d["metadata"]["name"] == namespace for d in docs):
        made.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    return made


@dataclass(frozen=True)
class Ran:
    done: subprocess.CompletedProcess[str]
    before: Docs  # the objects as the lab holds them, before the command
    after: Docs
    wrote: bool  # the command changed something on the API server


def run_in_lab(fix: str, docs: Docs, folder: Path, bin_folder: Path) -> Ran:
    with LabCluster(docs) as cluster:
        kubeconfig = cluster.write_kubeconfig(folder / "kubeconfig")
        before = cluster.all_objects()
        env = {
            **os.environ,
            "KUBECONFIG": str(kubeconfig),
            "HOME": str(folder),
            "PATH": f"{bin_folder}:{os.environ['PATH']}",
            "KUBE_EDITOR": str(bin_folder / "add-host"),
        }
        done = subprocess.run(
            ["bash", "-c", fix],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        wrote = any(not request.startswith("GET ") for request in cluster.requests)
        return Ran(done, before, cluster.all_objects(), wrote)


def judged(docs: Docs, folder: Path, case: Case, saved: list[Path]) -> dict[str, Any]:
    """`check --manifests` (`migrate` for its cases) on the objects and the YAML files the command saved."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / "objects.yaml").write_text(yaml.safe_dump_all(docs))
    for path in saved:
        shutil.copy(path, folder / path.name)
    if case.migrate:
        argv = ["migrate", "--to", case.migrate, "--manifests", str(folder), "--json", "-o", str(folder / "out")]
        return _run_cli(argv)
    return _run_cli(["check", "--manifests", str(folder), "--json", "--no-probe", *case.args])


def _in_cluster(docs: Docs, one: Printed) -> bool:
    return any(
        f.code == one.code and _words(f.subject, f.title) == _words(one.subject, one.title)
        for v in client_validations(snapshot_from_objects(docs, "cluster", complete=True))
        if f"{v.host}:{v.port}" == one.key
        for f in v.findings
    )


def _words(*texts: str) -> list[str]:
    """A finding's words in any order: it names the objects in the order the source lists them."""
    return sorted(" ".join(texts).split())


def _in_report(report: dict[str, Any], one: Printed) -> bool:
    host = _hosts(report).get(one.key)
    findings = report["findings"] if not one.key else (host or {}).get("findings", [])
    return any(
        f["code"] == one.code and _words(f["subject"], f["title"]) == _words(one.subject, one.title) for f in findings
    )


ERROR = re.compile(r"(?im)^(error|Error from server)\b|\berror:")


def why_it_fails(
    case: Case, one: Printed, folder: Path, bin_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> str | None:
    """None when the command, run as printed, does what it was printed for; else what went wrong."""
    for name, source in FILES.items():
        shutil.copy(PKI / source, folder / name)
    docs = case.objects()
    given = docs + ([] if one.cluster else _absent_objects(one.fix, docs))
    _served_kinds(given, one.fix, monkeypatch)
    ran = run_in_lab(one.fix, given, folder, bin_folder)
    # `mtls-tui check` exits 1 when it reports an error finding: its verdict, not a failure to run
    verdict = first_program(one.fix) == "mtls-tui" and ran.done.returncode == 1 and ran.done.stdout.strip()
    if (ran.done.returncode != 0 and not verdict) or ERROR.search(ran.done.stderr):
        return f"exit {ran.done.returncode}: {ran.done.stderr.strip()[-600:]}"
    saved = [p for p in folder.glob("*.yaml")]
    if one.code == "secret-command":
        return _migrated_secret(ran, one, folder)
    if one.cluster and ran.wrote:  # printed for a cluster: the objects read back as a whole cluster
        was, still = (_in_cluster(objects_read, one) for objects_read in (ran.before, ran.after))
    elif ran.wrote:
        was, still = (
            _in_report(judged(o, folder / w, case, []), one) for w, o in (("was", ran.before), ("is", ran.after))
        )
    elif saved:  # a command that saves an object the files lack: then the files have it
        was, still = (_in_report(judged(docs, folder / w, case, s), one) for w, s in (("was", []), ("is", saved)))
    elif ran.done.stdout.strip() or "No resources found" in ran.done.stderr or "{.status" in one.fix:
        return None  # shows something: what it lists, that there is none, a status (the lab runs no controller)
    else:
        return "printed nothing"
    if not was:
        return "the finding was not there for the objects as the lab stores them"
    return "the finding is still there" if still else None


def _migrated_secret(ran: Ran, one: Printed, folder: Path) -> str | None:
    """`migrate`'s Secret command prints the kubernetes.io/tls Secret the migrated objects name, with
    the host's key pair read from the cluster (or, when none is there, from the local server.crt and
    server.key), writing nothing to the cluster."""
    shown = yaml.safe_load(ran.done.stdout)
    namespace, _, name = one.subject.partition("/")
    source = re.match(r"kubectl get secret (\S+) -n (\S+) ", one.fix)  # the Secret the host's pair is in
    pair = (
        next(
            d["data"]
            for d in ran.before
            if d["kind"] == "Secret" and (d["metadata"]["name"], d["metadata"]["namespace"]) == source.groups()
        )
        if source
        else {k: base64.b64encode((folder / f).read_bytes()).decode() for k, f in FILES.items() if k.startswith("tls.")}
    )
    got = (shown["kind"], shown["type"], shown["metadata"]["namespace"], shown["metadata"]["name"], shown["data"])
    want = ("Secret", "kubernetes.io/tls", namespace, name, {k: pair[k] for k in ("tls.crt", "tls.key")})
    return None if got == want and not ran.wrote else f"printed {got[:4]}, wrote to the cluster: {ran.wrote}"


def _family(case: Case) -> str:
    return case.name.rsplit("/", 1)[0] if case.name.startswith("data/") else case.name.split("/")[0]


FAMILIES = sorted({_family(case) for case in CASES})


@pytest.mark.parametrize("family", FAMILIES)
def test_every_printed_command_runs_as_printed(
    family: str,
    corpus: dict[str, tuple[Case, Printed]],
    tmp_path: Path,
    bin_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    require("kubectl", shutil.which("kubectl"))
    wrong: dict[str, str] = {}
    for number, (case, one) in enumerate(c for c in corpus.values() if _family(c[0]) == family):
        folder = tmp_path / str(number)
        folder.mkdir()
        with monkeypatch.context() as patch:
            if (why := why_it_fails(case, one, folder, bin_folder, patch)) is not None:
                wrong[f"{case.name} {one.code} {one.key}: {one.fix}"] = why
    assert not wrong, json.dumps(wrong, indent=1)[:12000]
