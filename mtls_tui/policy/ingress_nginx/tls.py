"""Who terminates the host's TLS and with which certificate: the tls: section createServers picks
(extractTLSSecretName), --default-ssl-certificate, the controller's fake certificate, and
ssl-passthrough, which hands the TLS to the backend. Separate: the server's certificate is
chosen apart from the client checks.
"""

from __future__ import annotations

import json
from dataclasses import replace

from mtls_tui.certs.hostnames import certificate_covers
from mtls_tui.model import ClusterSnapshot, ControllerObj, Finding, IngressObj, Severity
from mtls_tui.policy.go_bools import GO_BOOLS
from mtls_tui.policy.ingress_nginx.annotations import PREFIX
from mtls_tui.policy.ingress_nginx.controller_secrets import secret_unread
from mtls_tui.policy.ingress_nginx.ingress_findings import ingress_finding, ingress_words
from mtls_tui.policy.secret_commands import tls_secret_command
from mtls_tui.policy.secret_store import stored_secret
from mtls_tui.shell import arg, json_arg


def default_certificate(
    host: str, fake: list[Finding], controller: ControllerObj, snapshot: ClusterSnapshot
) -> tuple[str | None, list[Finding], list[str]]:
    """--default-ssl-certificate: where the host would get the fake certificate, it gets this
    Secret's (controller.go getDefaultSSLCertificate, used by createServers for a missing,
    unusable or non-matching tls: Secret), unless the controller cannot load it either."""
    ref = controller.default_certificate or ""
    secret = snapshot.secret(ref)
    why = fake[0]
    if secret is None or not stored_secret(secret).keypair:
        unseen = [f"Secret {ref}"] if secret is None and not snapshot.complete else []
        note = "not read here" if unseen else "not usable: the controller falls back to its fake certificate"
        return (
            None,
            [replace(f, evidence=(*f.evidence, f"--default-ssl-certificate {ref}: {note}")) for f in fake],
            unseen,
        )
    covers = certificate_covers(secret.get("tls.crt") or b"", host, san_only=False)
    if covers:
        return (
            ref,
            [
                replace(
                    why,
                    code="tls-default-certificate",
                    severity=Severity.INFO,
                    title=f"{host} is served with the controller's default certificate {ref}, which names it",
                    detail=f"{why.title}; the controller runs with --default-ssl-certificate={ref}, served instead of "
                    "the fake certificate (controller.go getDefaultSSLCertificate).",
                )
            ],
            [],
        )
    return (
        ref,
        [
            replace(
                f,
                title=f.title.replace("the controller's fake certificate", f"the default certificate {ref}")
                + f" (it does not name {host})",
                evidence=(*f.evidence, f"--default-ssl-certificate {ref}: its certificate does not name {host}"),
            )
            for f in fake
        ],
        [],
    )


def ssl_passthrough(
    host: str,
    served: list[IngressObj],
    winner: IngressObj | None,
    controller: ControllerObj | None,
    snapshot: ClusterSnapshot,
) -> tuple[bool, list[Finding]]:
    """`ssl-passthrough: "true"` on any served Ingress marks the server (controller.go
    createServers, getBackendServers: `if !servers[host].SSLPassthrough && anns.SSLPassthrough`).
    With --enable-ssl-passthrough the controller's TCP proxy sends that host's TLS straight to the
    backend (nginx.go generateTemplate, PassthroughBackends): nginx never sees the handshake, so
    auth-tls does nothing. Without the flag the mark changes nothing."""
    marked = next((i for i in served if GO_BOOLS.get(i.annotation(PREFIX + "ssl-passthrough") or "", False)), None)
    if marked is None:
        return False, []
    if controller is None or not controller.ssl_passthrough:
        known = controller is not None or snapshot.controllers_known
        return False, [
            ingress_finding(
                code="ssl-passthrough-inactive",
                severity=Severity.INFO if known else Severity.WARNING,
                title=f"{host}: ssl-passthrough is set but the controller runs without --enable-ssl-passthrough"
                + ("" if known else " (assumed: the controller is not among the files)"),
                detail="Without the flag the annotation changes nothing: nginx terminates TLS and auth-tls applies.",
                fix=f"kubectl annotate ingress {ingress_words(marked)} {arg(marked.prefix + 'ssl-passthrough-')}",
                ingress=marked,
            )
        ]
    asked = winner is not None
    return True, [
        ingress_finding(
            code="ssl-passthrough",
            severity=Severity.ERROR if asked else Severity.INFO,
            title=f"{host} passes TLS through to the backend: ingress-nginx checks no client certificate"
            + (" (its auth-tls annotations do nothing)" if asked else ""),
            detail="The Ingress sets ssl-passthrough and the controller runs with --enable-ssl-passthrough: its TCP "
            "proxy hands the connection to the backend by SNI before nginx sees it. Whether a client certificate is "
            "required is up to the backend's own TLS server (not checked here).",
            fix=f"kubectl annotate ingress {ingress_words(marked)} {arg(marked.prefix + 'ssl-passthrough-')}  "
            "# nginx terminates TLS again and auth-tls applies",
            ingress=marked,
            evidence=(f"{PREFIX}ssl-passthrough: {marked.annotation(PREFIX + 'ssl-passthrough')}",),
        )
    ]


def tls_certificate(
    host: str, served: list[IngressObj], snapshot: ClusterSnapshot, mtls: bool
) -> tuple[str | None, list[Finding], list[str]]:
    """`createServers` and `extractTLSSecretName`: the first served Ingress for the host with a
    `tls:` section decides. An entry whose `hosts` lists the host (case-insensitive, no
    wildcards) names the Secret; failing that, any entry whose Secret's certificate covers the
    host (Go's VerifyHostname: SANs only). That Secret must hold a usable keypair whose
    certificate covers the host (SAN, then CN); otherwise the default (fake) certificate."""
    owner = next((i for i in served if i.tls), None)
    fake = Severity.ERROR if mtls else Severity.WARNING
    if owner is None:
        subject = served[0] if served else None
        if subject is None:
            return None, [], []
        return (
            None,
            [
                ingress_finding(
                    code="tls-section-missing",
                    severity=fake,
                    title=f"{host} has no tls: entry: clients get the controller's fake certificate",
                    detail="Without a tls: section the controller serves its default certificate (CN 'Kubernetes Ingress "
                    "Controller Fake Certificate'); clients that verify the server refuse it.",
                    fix=f"kubectl patch ingress {ingress_words(subject)} --type merge -p "
                    + json_arg(
                        {
                            "spec": {
                                "tls": [
                                    {"hosts": [host], "secretName": _serving_secret(snapshot, subject.namespace, host)}
                                ]
                            }
                        }
                    ),
                    ingress=subject,
                )
            ],
            [],
        )
    exact = next((t for t in owner.tls for h in t.hosts if h.lower() == host.lower()), None)
    unseen: list[str] = []
    if exact is not None:
        name = exact.secret_name
    else:
        name = None
        for entry in owner.tls:
            if not entry.secret_name:
                continue
            ref = f"{owner.namespace}/{entry.secret_name}"
            cover = _keypair_covers(snapshot, ref, host, san_only=True)
            if cover is None and secret_unread(
                snapshot, ref
            ):  # in a cluster a missing Secret is skipped, as GetLocalSSLCert fails
                unseen.append(f"Secret {ref}")
            if cover:
                name = entry.secret_name
                break
    if not name:
        guess = _serving_secret(snapshot, owner.namespace, host)
        if exact is not None:  # extractTLSSecretName returns this entry's empty name: give it one
            fix = f"kubectl patch ingress {ingress_words(owner)} --type json -p " + json_arg(
                [{"op": "add", "path": f"/spec/tls/{owner.tls.index(exact)}/secretName", "value": guess}]
            )
        else:
            fix = f"kubectl patch ingress {ingress_words(owner)} --type json -p " + json_arg(
                [{"op": "add", "path": "/spec/tls/-", "value": {"hosts": [host], "secretName": guess}}]
            )
        listed = ", ".join(h for t in owner.tls for h in t.hosts) or "no hosts"
        why = (
            "its tls: entry for the host names no secretName"
            if exact is not None
            else f"its tls: entries list {listed}, not {host}, and no entry's certificate has {host} in its SANs"
        )
        if unseen and exact is None:
            return None, [], unseen
        return (
            None,
            [
                ingress_finding(
                    code="tls-section-missing",
                    severity=fake,
                    title=f"{host} is served with the controller's fake certificate: {owner.ref} {why}",
                    detail=f"The first Ingress for {host} with a tls: section ({owner.ref}) decides the certificate, and {why}. "
                    "Later Ingresses' tls: entries for the host are not consulted.",
                    fix=fix,
                    ingress=owner,
                    evidence=(
                        "tls: "
                        + json.dumps([{"hosts": list(t.hosts), "secretName": t.secret_name} for t in owner.tls]),
                    ),
                )
            ],
            [],
        )
    ref = f"{owner.namespace}/{name}"
    cover = _keypair_covers(snapshot, ref, host, san_only=False)
    if cover is False:
        secret = snapshot.secret(ref)
        stored = stored_secret(secret) if secret is not None else None
        why = (
            stored.error
            if stored and stored.error
            else "it holds no keypair (tls.crt and tls.key)"
            if stored and not stored.keypair
            else f"its certificate does not name {host} (SAN or CN)"
        )
        return (
            None,
            [
                ingress_finding(
                    code="tls-secret-unusable",
                    severity=fake,
                    title=f"{host} is served with the controller's fake certificate: Secret {ref} cannot serve it",
                    detail=f"The tls: entry names Secret {ref}, but {why}; the controller logs it and uses its default certificate.",
                    fix=tls_secret_command(ref),
                    ingress=owner,
                    evidence=(why,),
                )
            ],
            [],
        )
    return ref, [], ([f"Secret {ref}"] if cover is None and secret_unread(snapshot, ref) else [])


def _serving_secret(snapshot: ClusterSnapshot, namespace: str, host: str) -> str:
    """A Secret of the namespace whose keypair serves `host`, for fixes; TLS-SECRET when none does."""
    for secret in snapshot.secrets:
        if (
            secret.namespace == namespace
            and stored_secret(secret).keypair
            and certificate_covers(secret.get("tls.crt") or b"", host, san_only=False)
        ):
            return secret.name
    return "TLS-SECRET"


def _keypair_covers(snapshot: ClusterSnapshot, ref: str, host: str, san_only: bool) -> bool | None:
    """Whether the Secret's keypair serves `host`; None when the Secret was not seen (or is
    missing in a cluster, where `secret_access` reports it)."""
    secret = snapshot.secret(ref)
    if secret is None:
        return None
    stored = stored_secret(secret)
    if not stored.keypair:
        return False
    return certificate_covers(secret.get("tls.crt") or b"", host, san_only)
