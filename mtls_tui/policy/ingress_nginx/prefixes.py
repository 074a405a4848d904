"""Annotations under a prefix the controller does not read: a controller started with
--annotations-prefix reads that prefix only, another controller's prefix (nginx.org/) is ignored,
and a misspelt key is not known. Separate: these look at the keys, before any parser reads a value.
"""

from __future__ import annotations

import difflib
from dataclasses import replace

from mtls_tui.model import ClusterSnapshot, Finding, IngressObj, Severity
from mtls_tui.policy.ingress_nginx.annotations import AUTH_TLS_KEYS, PREFIX
from mtls_tui.policy.ingress_nginx.ingress_findings import ingress_finding, ingress_words
from mtls_tui.policy.ingress_nginx.risks import KNOWN_ANNOTATIONS
from mtls_tui.policy.ingress_nginx.serving import serving_controller
from mtls_tui.safe_text import clipped
from mtls_tui.shell import arg

WRONG_PREFIXES = ("nginx.org/", "ingress.kubernetes.io/", "nginx.ingress.kubernetes.io.")
DEFAULTS = {
    "auth-tls-verify-client": "on",
    "auth-tls-verify-depth": "1",
    "auth-tls-pass-certificate-to-upstream": "false",
}
IGNORED = "ignored-by-the-controller:"  # a translated key nothing reads (another prefix than the controller's)


def with_controller_prefixes(snapshot: ClusterSnapshot) -> ClusterSnapshot:
    """--annotations-prefix (pkg/flags/flags.go; parser.GetAnnotationWithPrefix): a controller
    started with another prefix reads its annotations under that prefix only. Each Ingress's
    annotations are translated for the rules, which read the default prefix: the controller's own
    become the default's, and the default's (which it ignores) are set aside. Fixes name the
    Ingress's own prefix (`IngressObj.prefix`)."""
    if all(c.annotations_prefix == PREFIX for c in snapshot.controllers):
        return snapshot
    ingresses = []
    for ingress in snapshot.ingresses:
        controller, _ = serving_controller(ingress, snapshot)
        prefix = controller.annotations_prefix if controller is not None else PREFIX
        if prefix == PREFIX:
            ingresses.append(ingress)
            continue
        annotations = tuple(
            (PREFIX + key[len(prefix) :], value)
            if key.startswith(prefix)
            else (IGNORED + key, value)
            if key.startswith(PREFIX)
            else (key, value)
            for key, value in ingress.annotations
        )
        ingresses.append(replace(ingress, annotations=annotations, prefix=prefix))
    return replace(snapshot, ingresses=tuple(ingresses))


def ignored_prefix_finding(ingress: IngressObj) -> Finding | None:
    """The default-prefix auth-tls annotations a custom-prefix controller never reads."""
    ignored = [(k[len(IGNORED) :], v) for k, v in ingress.annotations if k.startswith(IGNORED + PREFIX + "auth-tls")]
    if not ignored:
        return None
    moves = " ".join(arg(ingress.prefix + k[len(PREFIX) :] + "=" + v) for k, v in ignored)
    removes = " ".join(arg(k + "-") for k, _ in ignored)
    return ingress_finding(
        code="annotation-wrong-prefix",
        severity=Severity.ERROR,
        title=f"the controller reads {ingress.prefix} annotations (--annotations-prefix): {PREFIX}auth-tls-* are ignored",
        detail="A controller started with --annotations-prefix reads its annotations under that prefix only "
        "(parser.GetAnnotationWithPrefix); these ask for client certificates that it never asks for.",
        fix=f"kubectl annotate ingress {ingress_words(ingress)} {moves} {removes}",
        ingress=ingress,
        evidence=tuple(f"{k}: {v}" for k, v in ignored),
    )


def wrong_prefix_findings(ingress: IngressObj) -> list[Finding]:
    findings = []
    for key, value in ingress.annotations:
        suffix = None
        for prefix in WRONG_PREFIXES:
            if key.startswith(prefix):
                suffix = key[len(prefix) :]
        target = difflib.get_close_matches(suffix, AUTH_TLS_KEYS, n=1, cutoff=0.6) if suffix is not None else []
        meant_mtls = suffix is not None and any(word in suffix for word in ("auth-tls", "client", "verify"))
        if target or meant_mtls:  # others (nginx.org/ssl-services…) are not ours to judge
            present = bool(target) and ingress.annotation(PREFIX + target[0]) is not None
            remove = f"kubectl annotate ingress {ingress_words(ingress)} {arg(key + '-')}"
            findings.append(
                ingress_finding(
                    code="annotation-wrong-prefix",
                    severity=Severity.WARNING if present else Severity.ERROR,
                    title=f"{key} is not read by ingress-nginx"
                    + (f"; {PREFIX}{target[0]} is set too" if present else ""),
                    detail=f"ingress-nginx reads only annotations starting with {PREFIX}; '{key.split('/')[0]}/' belongs to "
                    "another controller (nginx.org/ is F5's NGINX Ingress Controller) or an old prefix, and is ignored.",
                    fix=remove
                    if present
                    else f"{remove} {arg(PREFIX + target[0] + '=' + value)}"
                    if target
                    else f"{remove}  # then set what you meant: {', '.join(PREFIX + k for k in AUTH_TLS_KEYS)}",
                    ingress=ingress,
                    evidence=(f"{key}: {clipped(value)}",),
                )
            )
        elif key.startswith(PREFIX):
            name = key[len(PREFIX) :]
            low = name.lower()  # keys are read case-sensitively (a Go map): Auth-TLS-Secret is another key
            known = name in AUTH_TLS_KEYS or name in KNOWN_ANNOTATIONS  # auth-secret, auth-type: basic auth's
            if not known and ("tls" in low or low.startswith("auth-")):
                close = difflib.get_close_matches(low, AUTH_TLS_KEYS, n=1, cutoff=0.75)
                if close:
                    harmless = DEFAULTS.get(close[0]) == value.strip().lower()
                    findings.append(
                        ingress_finding(
                            code="annotation-wrong-prefix",
                            severity=Severity.WARNING if harmless else Severity.ERROR,
                            title=f"{key} is misspelt: did you mean {PREFIX}{close[0]}?",
                            detail="The controller ignores annotations it does not know, without a word."
                            + (f" Harmless here: '{value}' is the default anyway." if harmless else ""),
                            fix=f"kubectl annotate ingress {ingress_words(ingress)} {arg(key + '-')} {arg(PREFIX + close[0] + '=' + value)}",
                            ingress=ingress,
                            evidence=(f"{key}: {clipped(value)}",),
                        )
                    )
    return findings
