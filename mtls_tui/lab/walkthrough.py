"""The seed article's steps as a checklist, each with its commands and its live state in
the lab: what an instructor walks a room through. Pure: where the lab is, its last report
and what it holds now in, steps out.

Every step's commands run as printed, pasted into a new terminal (tests/test_lab_walkthrough.py
runs them, each step in a fresh `bash -lc`): paths are absolute, a step that uses kubectl
first exports the lab's KUBECONFIG and changes into the lab's folder, and the kubectl form
the lab's API server accepts comes before the article's own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mtls_tui.diagnose.hosts import HostReport
from mtls_tui.diagnose.reproduce import curl_command
from mtls_tui.model import ProbeSpec, Severity
from mtls_tui.policy.kube_objects import LAST_APPLIED
from mtls_tui.policy.nginx_answers import NO_CERT
from mtls_tui.policy.secret_commands import secret_update_command
from mtls_tui.shell import arg, split_note

HOST = "meow.com"
SECRET = "default/my-certs"
CERTIFICATES = ("ca.crt", "server.crt", "client.crt")
ARTICLE_FOLDER = "article"  # where step 1's openssl commands write, so that the lab's own PKI stays
OBJECT_FILES = ("meow-deployment.yaml", "meow-service.yaml", "meow-ingress.yaml")
# What the steps `kubectl apply` (the Secret through `kubectl create … --dry-run=client -o yaml |`).
APPLIED = frozenset(
    {
        ("Secret", SECRET),
        ("Deployment", "default/meow"),
        ("Service", "default/meow-svc"),
        ("Ingress", "default/meow-ingress"),
    }
)

SEED_OPENSSL = (
    "openssl req -x509 -sha256 -newkey rsa:4096 -keyout ca.key -out ca.crt -days 356 -nodes -subj '/CN=Fern Cert Authority'\n"
    "openssl req -new -newkey rsa:4096 -keyout server.key -out server.csr -nodes -subj '/CN=meow.com'\n"
    "openssl x509 -req -sha256 -days 365 -in server.csr -CA ca.crt -CAkey ca.key -set_serial 01 -out server.crt\n"
    "openssl req -new -newkey rsa:4096 -keyout client.key -out client.csr -nodes -subj '/CN=Fern'\n"
    "openssl x509 -req -sha256 -days 365 -in client.csr -CA ca.crt -CAkey ca.key -set_serial 02 -out client.crt"
)

State = Literal["done", "failed", "pending"]


def as_applied(obj: dict) -> dict:
    """`obj`, when a step applies it, as `kubectl apply` leaves it on the API server: with its
    last-applied-configuration annotation. kubectl apply, finding an object without one, prints
    "Warning: resource … is missing the kubectl.kubernetes.io/last-applied-configuration
    annotation" (kubectl's apply.go, warningNoLastAppliedConfigAnnotation): the lab's objects
    are as the steps' own commands leave them, so that the steps run as printed without it.
    The value is kubectl's (util.GetModifiedConfiguration): the object applied, as compact JSON
    with its keys sorted, an `annotations` map without this one, and a newline; measured
    against the real kubectl in tests/test_lab_walkthrough.py."""
    meta = obj.get("metadata") or {}
    if (obj.get("kind"), f"{meta.get('namespace', 'default')}/{meta.get('name')}") not in APPLIED:
        return obj
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != LAST_APPLIED}
    applied = {**obj, "metadata": {**meta, "annotations": annotations}}
    value = json.dumps(applied, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    return {**obj, "metadata": {**meta, "annotations": {**annotations, LAST_APPLIED: value}}}


@dataclass(frozen=True)
class Step:
    title: str
    command: str  # lines for a new terminal, run as they stand
    state: State
    detail: str
    note: str = ""  # what to look for, in words beside the lines, never in them

    def __post_init__(self) -> None:
        """Lines written with `# …` keep their commands, the words go to `note`: pasted into
        zsh (macOS's default), a `#` and the words after it would reach the program
        (shell.split_note)."""
        lines = [split_note(line) for line in self.command.splitlines()]
        object.__setattr__(self, "command", "\n".join(run for run, _ in lines if run))
        object.__setattr__(self, "note", "; ".join(w for w in (*(words for _, words in lines), self.note) if w))


@dataclass(frozen=True)
class Place:
    """Where the lab is, as a new terminal reaches it: every path absolute, since that
    terminal starts in another folder, without the lab's KUBECONFIG and often without
    this mtls-tui on its PATH."""

    folder: Path  # the PKI folder, where the object files are written too
    kubeconfig: Path
    gateway: str  # ADDR:PORT where the gateway serves every host
    client: tuple[Path, Path]  # a client certificate and its key to send
    mtls_tui: str  # a command line that runs this mtls-tui
    activate: Path | None = None  # the virtual environment's activate script, when it runs in one


@dataclass(frozen=True)
class LabState:
    """What the steps' states depend on besides the diagnosis, read from the running lab.
    As JSON it reaches a browser session's screen, which runs in another process."""

    place: Place
    secret_keys: tuple[str, ...] | None  # the keys of Secret default/my-certs (None: there is none)
    kinds: frozenset[tuple[str, str]]  # (kind, name) of the Deployments and Services
    certificates: frozenset[str]  # which of CERTIFICATES the folder holds

    def to_json(self) -> str:
        place = self.place
        return json.dumps(
            {
                "place": {
                    "folder": str(place.folder),
                    "kubeconfig": str(place.kubeconfig),
                    "gateway": place.gateway,
                    "client": [str(path) for path in place.client],
                    "mtls_tui": place.mtls_tui,
                    "activate": str(place.activate) if place.activate else None,
                },
                "secret_keys": self.secret_keys,
                "kinds": sorted(self.kinds),
                "certificates": sorted(self.certificates),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> LabState:
        data = json.loads(text)
        place = data["place"]
        return cls(
            Place(
                Path(place["folder"]),
                Path(place["kubeconfig"]),
                place["gateway"],
                (Path(place["client"][0]), Path(place["client"][1])),
                place["mtls_tui"],
                Path(place["activate"]) if place["activate"] else None,
            ),
            tuple(data["secret_keys"]) if data["secret_keys"] is not None else None,
            frozenset((kind, name) for kind, name in data["kinds"]),
            frozenset(data["certificates"]),
        )


def steps(state: LabState, reports: Sequence[HostReport]) -> list[Step]:
    """The steps for the screen's last diagnosis of every host (the article's host is taken)."""
    report = next((r for r in reports if r.host == HOST), None)
    return walkthrough(state.place, report, state.secret_keys, set(state.kinds), set(state.certificates))


def _codes(report: HostReport | None) -> dict[str, Severity]:
    return {f.code: f.severity for f in report.findings} if report else {}


def _kubectl_lines(place: Place) -> list[str]:
    """What a kubectl step starts with: the lab's API server, and the folder its files are in."""
    return [f"export KUBECONFIG={arg(place.kubeconfig)}", f"cd {arg(place.folder)}"]


def _probe(place: Place, with_cert: bool) -> ProbeSpec:
    address, _, port = place.gateway.rpartition(":")
    cert, key = place.client
    return ProbeSpec(
        f"https://{HOST}:{port}/",
        resolve=f"{HOST}:{port}:{address}",
        insecure=True,
        cert=str(cert) if with_cert else None,
        key=str(key) if with_cert else None,
    )


def fix_place(place: Place) -> str:
    """Where the Verdict tab's fixes run: the lab's API server, and the folder holding the files they name."""
    return "; ".join(_kubectl_lines(place))


def hint(place: Place) -> str:
    """One paragraph for the top of the walkthrough: how another terminal reaches the lab."""
    address, _, port = place.gateway.rpartition(":")
    activate = f" (or `. {arg(place.activate)}` to have it on PATH)" if place.activate else ""
    return (
        f"In another terminal, kubectl reaches this lab after: export KUBECONFIG={arg(place.kubeconfig)}; "
        f"cd {arg(place.folder)}. mtls-tui there: {place.mtls_tui}{activate}. The gateway serves {HOST} at "
        f"{place.gateway} (curl --resolve {HOST}:{port}:{address} stands in for the article's /etc/hosts line). "
        "Each step's commands run as printed in a new terminal; the fixes on the Verdict tab run after the export "
        "and cd, and the lab reloads as the controller would."
    )


def walkthrough(
    place: Place,
    report: HostReport | None,
    secret_keys: tuple[str, ...] | None,
    kinds: set[tuple[str, str]],
    certificates: set[str],
) -> list[Step]:
    """`report`: the last diagnosis of meow.com (None: nothing serves it). What the lab holds
    now: `secret_keys`, the keys of Secret default/my-certs (None: there is none; read from the
    API server, since a diagnosis reads only Secrets an Ingress names, and the Secret comes
    before the Ingress); `kinds`, (kind, name) of its objects; `certificates`, which of
    CERTIFICATES its folder holds."""
    codes = _codes(report)
    kubectl = _kubectl_lines(place)
    present = [name for name in CERTIFICATES if name in certificates]
    article = arg(place.folder / ARTICLE_FOLDER)
    steps = [
        Step(
            "Create the certificates",
            f"mkdir -p {article} && cd {article}\n{SEED_OPENSSL}",
            "done" if len(present) == len(CERTIFICATES) else "pending",
            f"{place.folder}/: {', '.join(present) or 'nothing yet'} (the lab issued them as these commands do, X.509 v1, "
            f"with 2048-bit keys to start fast). These commands make the article's own files in {ARTICLE_FOLDER}/ when run; the lab's stay as they are",
        )
    ]
    if secret_keys is None:
        state: State = "failed"
        detail = f"no Secret {SECRET}"
    else:
        missing = [k for k in ("tls.crt", "tls.key", "ca.crt") if k not in secret_keys]
        state = "failed" if missing else "done"
        detail = f"keys: {', '.join(secret_keys) or 'none'}" + (f"; missing {', '.join(missing)}" if missing else "")
    steps.append(
        Step(
            "Create the Secret",
            "\n".join(
                kubectl
                + [
                    secret_update_command(SECRET),
                    "kubectl get secret my-certs",
                    "# the article's form, without --dry-run: sends protobuf, which this lab's API server does not read, "
                    "and fails once the Secret exists",
                ]
            ),
            state,
            detail,
        )
    )
    deployed = {("Deployment", "meow"), ("Service", "meow-svc")} <= kinds
    steps.append(
        Step(
            "Deploy the application",
            "\n".join(
                kubectl
                + [
                    "kubectl apply -f meow-deployment.yaml -f meow-service.yaml",
                    "kubectl get deployment meow",
                    "kubectl get service meow-svc",
                ]
            ),
            "done" if deployed else "pending",
            "Deployment meow and Service meow-svc"
            + ("" if deployed else ": missing")
            + f" (from {place.folder}/meow-*.yaml)",
        )
    )
    annotation_errors = [
        c
        for c in codes
        if c.startswith("annotation-") or c in ("tls-section-missing", "secret-not-found", "secret-missing-ca")
    ]
    has_ingress = bool(report and report.policy.ingresses)
    steps.append(
        Step(
            "Add the Ingress with the auth-tls annotations",
            "\n".join(
                kubectl
                + [
                    'kubectl apply -f meow-ingress.yaml  # auth-tls-verify-client: "on", auth-tls-secret: default/my-certs',
                    "kubectl get ingress meow-ingress",
                ]
            ),
            "failed" if annotation_errors else ("done" if has_ingress else "pending"),
            ", ".join(annotation_errors)
            or (
                f"{report.policy.mtls_from.ref} sets mTLS for {HOST}"
                if report and report.policy.mtls_from
                else "no mTLS Ingress"
            ),
        )
    )
    without = next((r for r in (report.probe if report else ()) if not r.sent_client_cert), None)
    with_cert = next((r for r in (report.probe if report else ()) if r.sent_client_cert), None)
    steps.append(
        Step(
            "Test without a client certificate",
            curl_command(_probe(place, False), False) + f"  # expect 400: {NO_CERT}",
            "pending" if without is None else ("done" if "probe-no-client-cert" in codes else "failed"),
            "not probed yet"
            if without is None
            else f"HTTP {without.status}"
            if without.status
            else without.failure.message,
        )
    )
    steps.append(
        Step(
            "Test with the client certificate",
            curl_command(_probe(place, True), True) + "  # expect ssl-client-verify=SUCCESS",
            "pending" if with_cert is None else ("done" if "probe-ok" in codes else "failed"),
            "not probed yet (the scenario's client has no certificate?)"
            if with_cert is None
            else f"HTTP {with_cert.status}, ssl-client-verify {with_cert.echoed('ssl-client-verify') or '—'}",
        )
    )
    errors = [f for f in (report.findings if report else ()) if f.severity is Severity.ERROR]
    cert, key = place.client
    steps.append(
        Step(
            "Troubleshoot",
            "\n".join(
                kubectl[:1]
                + [
                    "kubectl get pods -n ingress-nginx",
                    "kubectl logs -n ingress-nginx -l app.kubernetes.io/component=controller --tail=20",
                    f"{place.mtls_tui} check --connect {arg(place.gateway)} --cert {arg(cert)} --key {arg(key)}",
                ]
            ),
            "pending" if report is None else "failed" if errors else "done",
            errors[0].title if errors else (report.verdict if report else f"no diagnosis of {HOST} yet"),
        )
    )
    return steps
