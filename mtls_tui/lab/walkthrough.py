"""The seed article's steps as a checklist, each with its command and its live state
in the lab: what an instructor walks a room through. Pure: the lab's current report,
snapshot and objects in, steps out."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Sequence
from pathlib import Path

from mtls_tui.diagnose.hosts import HostReport
from mtls_tui.model import ClusterSnapshot, Severity

SEED_OPENSSL = (
    "openssl req -x509 -sha256 -newkey rsa:4096 -keyout ca.key -out ca.crt -days 356 -nodes -subj '/CN=Fern Cert Authority'\n"
    "openssl req -new -newkey rsa:4096 -keyout server.key -out server.csr -nodes -subj '/CN=meow.com'\n"
    "openssl x509 -req -sha256 -days 365 -in server.csr -CA ca.crt -CAkey ca.key -set_serial 01 -out server.crt\n"
    "openssl req -new -newkey rsa:4096 -keyout client.key -out client.csr -nodes -subj '/CN=Fern'\n"
    "openssl x509 -req -sha256 -days 365 -in client.csr -CA ca.crt -CAkey ca.key -set_serial 02 -out client.crt"
)


SEED_HOST = "meow.com"
WALKTHROUGH_OBJECTS = ("Deployment", "Service")  # the objects the steps check besides Ingresses and Secrets


@dataclass(frozen=True)
class Step:
    title: str
    command: str
    state: str  # done, failed, pending
    detail: str


def seed_report(reports: Sequence[HostReport]) -> HostReport | None:
    """The article's host: the walkthrough follows it, whatever else the lab serves."""
    return next((r for r in reports if r.host == SEED_HOST), None)


def _codes(report: HostReport | None) -> dict[str, Severity]:
    return {f.code: f.severity for f in report.findings} if report else {}


def walkthrough(folder: Path, snapshot: ClusterSnapshot | None, report: HostReport | None, kinds: set[tuple[str, str]]) -> list[Step]:
    """`kinds`: (kind, name) of the objects the lab's API server holds now."""
    codes = _codes(report)
    files = [name for name in ("ca.crt", "server.crt", "client.crt") if (folder / name).exists()]
    steps = [Step(
        "Create the certificates", SEED_OPENSSL, "done" if len(files) == 3 else "pending",
        f"{folder}/: {', '.join(files) or 'nothing yet'} (the lab issued them in the form these commands give, "
        "X.509 v1, with 2048-bit keys to start fast)",
    )]
    secret = snapshot.secret("default/my-certs") if snapshot else None
    if secret is None:
        state, detail = "failed", "no Secret default/my-certs"
    else:
        missing = [k for k in ("tls.crt", "tls.key", "ca.crt") if secret.get(k) is None]
        state = "failed" if missing else "done"
        detail = f"keys: {', '.join(secret.keys)}" + (f"; missing {', '.join(missing)}" if missing else "")
    steps.append(Step("Create the Secret",
                      "kubectl create secret generic my-certs --from-file=tls.crt=server.crt --from-file=tls.key=server.key --from-file=ca.crt=ca.crt\n"
                      "# on this lab, whose API server reads JSON only: add --dry-run=client -o yaml | kubectl apply -f -",
                      state, detail))
    deployed = {("Deployment", "meow"), ("Service", "meow-svc")} <= kinds
    steps.append(Step("Deploy the application", "kubectl apply -f meow-deployment.yaml -f meow-service.yaml",
                      "done" if deployed else "pending", "Deployment meow and Service meow-svc" + ("" if deployed else ": missing")))
    annotation_errors = [c for c in codes if c.startswith("annotation-") or c in ("tls-section-missing", "secret-not-found", "secret-missing-ca")]
    has_ingress = bool(report and report.policy.ingresses)
    steps.append(Step(
        "Add the Ingress with the auth-tls annotations",
        "kubectl apply -f meow-ingress.yaml  # auth-tls-verify-client: \"on\", auth-tls-secret: \"default/my-certs\"",
        "failed" if annotation_errors else ("done" if has_ingress else "pending"),
        ", ".join(annotation_errors) or (f"{report.policy.mtls_from.ref} sets mTLS for meow.com" if report and report.policy.mtls_from else "no mTLS Ingress"),
    ))
    without = next((r for r in (report.probe if report else ()) if not r.sent_client_cert), None)
    with_cert = next((r for r in (report.probe if report else ()) if r.sent_client_cert), None)
    steps.append(Step(
        "Test without a client certificate",
        (without.curl if without else "curl https://meow.com/ -k") + "   # expect 400 No required SSL certificate was sent",
        "pending" if without is None else ("done" if "probe-no-client-cert" in codes else "failed"),
        "not probed yet" if without is None else f"HTTP {without.status}" if without.status else without.failure.message,
    ))
    steps.append(Step(
        "Test with the client certificate",
        (with_cert.curl if with_cert else "curl https://meow.com/ --cert client.crt --key client.key -k")
        + "   # expect ssl-client-verify=SUCCESS",
        "pending" if with_cert is None else ("done" if "probe-ok" in codes else "failed"),
        "not probed yet (the scenario's client has no certificate?)" if with_cert is None
        else f"HTTP {with_cert.status}, ssl-client-verify {with_cert.echoed('ssl-client-verify') or '—'}",
    ))
    errors = [f for f in (report.findings if report else ()) if f.severity is Severity.ERROR]
    steps.append(Step(
        "Troubleshoot",
        "kubectl logs -n ingress-nginx -l app.kubernetes.io/component=controller | grep -i ssl\nmtls-tui check",
        "failed" if errors else "done",
        errors[0].title if errors else (report.verdict if report else "no diagnosis yet"),
    ))
    return steps
