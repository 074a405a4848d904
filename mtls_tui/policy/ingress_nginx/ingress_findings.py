"""The finding about one Ingress and the kubectl words its fix is built from (`NAME -n NAMESPACE`,
`kubectl annotate … --overwrite`, the controller's ConfigMap). Separate so that every rule names
an Ingress, and writes its fix, the same way.
"""

from __future__ import annotations

from mtls_tui.model import ControllerObj, Finding, IngressObj, Severity
from mtls_tui.shell import arg


def ingress_finding(
    *,
    code: str,
    severity: Severity,
    title: str,
    detail: str,
    fix: str,
    ingress: IngressObj,
    evidence: tuple[str, ...] = (),
    then: str = "",
) -> Finding:
    """A finding about an Ingress: its subject names the Ingress."""
    return Finding(
        code=code,
        severity=severity,
        title=title,
        detail=detail,
        fix=fix,
        subject=f"Ingress {ingress.ref}",
        evidence=evidence,
        then=then,
    )


def ingress_words(ingress: IngressObj) -> str:
    """`NAME -n NAMESPACE` for kubectl, quoted."""
    return f"{arg(ingress.name)} -n {arg(ingress.namespace)}"


def annotate(ingress: IngressObj, key: str, value: str) -> str:
    return f"kubectl annotate ingress {ingress_words(ingress)} {arg(ingress.prefix + key + '=' + value)} --overwrite"


def configmap_words(controller: ControllerObj) -> str:
    """`NAME -n NAMESPACE` of the controller's ConfigMap, for kubectl."""
    namespace, _, name = (controller.config_map or f"{controller.namespace}/{controller.name}").partition("/")
    return f"{arg(name)} -n {arg(namespace)}"
