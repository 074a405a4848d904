"""Traefik's Gateway API provider and client certificates: what a Gateway of its GatewayClass
(`controllerName: traefik.io/gateway-controller`, v3.7.9 pkg/provider/kubernetes/gateway/kubernetes.go
`controllerName`) gets on its HTTPS listeners.

Read at traefik/traefik v3.7.9 (git show v3.7.9:PATH):
- pkg/provider/kubernetes/gateway: nothing reads `Gateway.spec.tls` (no `Frontend` anywhere in the
  package) nor a listener's `tls.frontendValidation` or `tls.options`; `loadGatewayListeners`
  (kubernetes.go) takes the listener's certificateRefs alone.
- httproute.go `loadHTTPRoute`: an HTTPS listener's router gets `router.TLS = &dynamic.RouterTLSConfig{}`,
  with no Options, so the TLS options named `default` apply (pkg/server/router/tcp/manager.go
  buildEntryPointHandler: a router without options gets traefiktls.DefaultTLSConfigName).
- tlsroute.go `loadTLSRoute`: a TLSRoute on a listener of protocol TLS, mode Terminate (loadGatewayListeners
  accepts it with one certificateRef; supportedRouteKinds: TLSRoute only) becomes a TCP router with
  `TLS: &dynamic.RouterTCPTLSConfig{Passthrough: false}`, no Options: tcp/manager.go addTCPHandlers then
  uses traefiktls.DefaultTLSConfigName, and its tcp.TLSHandler terminates with that tls.Config (the bytes
  inside go to the backend as they are: no HTTP, no 404). A TLS listener is judged as an HTTPS one.
- So client certificates on a Traefik Gateway come from the `default` TLS options alone: the TLSOption
  named `default`, which only the kubernetescrd provider reads (crd/kubernetes.go buildTLSOptions), or a
  file provider's, which no object shows; else Traefik's built-in default asks none.
The reports: traefik/traefik#13433 (v3.7.5, kubernetesCRD disabled: "tlsoptions have no effect with
Gateway API"; closed as a question), #13818 (v3.7.9: both listeners get "TLS options default"),
#11975 (frontendValidation support requested, open; pull request #13499 not merged).
The data plane is Go's crypto/tls with the option's ClientAuth (tlsmanager.go buildTLSConfig).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mtls_tui.model import ClusterSnapshot, Finding, Severity
from mtls_tui.policy.successors.common import Breakage, ClientCertMode
from mtls_tui.policy.successors.references import ca_ref
from mtls_tui.policy.successors.releases import ControllerRelease, add_arg_command, release_for
from mtls_tui.policy.successors.traefik import DEFAULT, BuiltOption, as_served, built_options
from mtls_tui.policy.values import as_list
from mtls_tui.shell import arg, json_arg

CONTROLLER = "traefik.io/gateway-controller"
CRD_FLAG = "providers.kubernetescrd"
CA_SECRET = "traefik-client-ca"  # the Secret the fix writes when the frontend's CA is not a Secret it can name


@dataclass(frozen=True)
class Served:
    """What a Traefik Gateway's HTTPS listener asks of clients: the default TLS options."""

    mode: ClientCertMode
    ca_refs: tuple[str, ...]
    ca_pem: bytes | None
    findings: tuple[Finding, ...]
    breakage: Breakage | None
    unseen: tuple[str, ...]
    decided_by: str


def crd_provider_on(release: ControllerRelease) -> bool:
    """The kubernetescrd provider runs: `--providers.kubernetescrd` (not `=false`) or one of its options
    (Traefik's static configuration creates a section any of whose options is set). A controller not seen
    counts as running it (the TLSOptions among the objects are then read as it would read them)."""
    controller = release.controller
    if controller is None:
        return True
    on = False
    for raw in controller.args:
        flag, eq, given = raw.lstrip("-").partition("=")
        name = flag.lower()
        if raw.startswith("-") and name == CRD_FLAG:
            on = not eq or given.lower() != "false"
        elif raw.startswith("-") and name.startswith(CRD_FLAG + "."):
            on = True
    return on


def served(
    gateway_label: str,
    gateway_namespace: str,
    listener: str,
    frontend: tuple[str, dict[str, Any]] | None,
    snapshot: ClusterSnapshot,
    protocol: str = "HTTPS",
) -> Served:
    """The listener's client validation: the `default` TLS options as served (a broken one closes), and
    `frontend` (where the Gateway asks for client certificates, and its validation) said ignored.
    `protocol` HTTPS (HTTPRoutes) or TLS (mode Terminate: TLSRoutes), which differ only in the words."""
    release = release_for(snapshot, "traefik")
    crd = crd_provider_on(release)
    options = built_options(snapshot) if crd else {}
    builtin = BuiltOption(DEFAULT, None, "none", None, (), configured=False)
    option = as_served(options[DEFAULT], options, snapshot) if crd else builtin
    mode: ClientCertMode = option.mode or "none"
    findings = list(option.findings)
    if frontend is not None:
        source, validation = frontend
        findings.append(
            _ignored(gateway_label, gateway_namespace, listener, source, validation, option, crd, release, protocol)
        )
    return Served(
        mode,
        option.ca_refs,
        option.ca_pem,
        tuple(findings),
        "connection-closed" if option.mode is None else None,
        option.unseen,
        option.ref,
    )


def _ignored(
    gateway_label: str,
    namespace: str,
    listener: str,
    source: str,
    validation: dict[str, Any],
    option: BuiltOption,
    crd: bool,
    release: ControllerRelease,
    protocol: str,
) -> Finding:
    enforced = option.mode == "require-and-verify"
    how = (
        f"{option.ref} require{'s' if enforced else ' no'} a verified client certificate"
        if crd
        else "the kubernetescrd provider is not enabled, so no TLSOption is read (#13433) and Traefik's built-in "
        "default options ask no client certificate"
    )
    return Finding(
        code="frontend-validation-not-applied",
        severity=Severity.WARNING if enforced else Severity.ERROR,
        title=f"{gateway_label} listener {listener}: Traefik does not read {source}"
        + ("; the default TLS options decide" if enforced else ": no client certificate is required"),
        detail="Traefik's Gateway API provider (v3.7.9 pkg/provider/kubernetes/gateway) reads no spec.tls.frontend "
        "and no listener tls.frontendValidation or tls.options: loadGatewayListeners takes the certificateRefs "
        f"alone, and {_ROUTERS[protocol]}, so the TLS options named default apply (traefik/traefik#13818; "
        f"frontendValidation is requested in #11975). Here {how}. Every {_ROUTE_KIND[protocol]} of the Gateway is "
        "served with them, and so is every other router of this Traefik that names no "
        "options. The command puts the frontend's CA into the TLSOption named default"
        + ("" if crd else " and enables the kubernetescrd provider, which reads it")
        + "; it then applies to all those routers.",
        fix=_default_option_fix(namespace, validation, option, crd, release),
        subject=gateway_label,
        evidence=(
            f"{source}: {', '.join(_ref_labels(validation, namespace)) or 'no caCertificateRefs'}",
            f"controller: {release.named}",
        ),
    )


# How each listener protocol's routers get their TLS options (v3.7.9 pkg/provider/kubernetes/gateway).
_ROUTERS = {
    "HTTPS": "httproute.go loadHTTPRoute gives each HTTPS router an empty TLS config",
    "TLS": "on a TLS listener (mode Terminate) tlsroute.go loadTLSRoute gives each TLSRoute's TCP router "
    "RouterTCPTLSConfig{Passthrough: false} with no options, and tcp/manager.go addTCPHandlers terminates it "
    "with the default ones",
}
_ROUTE_KIND = {"HTTPS": "HTTPRoute", "TLS": "TLSRoute"}


def _ref_labels(validation: dict[str, Any], namespace: str) -> list[str]:
    return [ca_ref(raw, namespace, "").label for raw in as_list(validation.get("caCertificateRefs"))]


def _default_option_fix(
    namespace: str, validation: dict[str, Any], option: BuiltOption, crd: bool, release: ControllerRelease
) -> str:
    """A TLSOption named default (the one there is, else one in the Gateway's namespace) that requires
    and verifies client certificates of the frontend's CA: its Secrets when they are Secrets of that
    namespace (getCABlocks reads tls.ca, then ca.crt), else a Secret written from the CA file ca.crt."""
    target = option.resource.namespace if option.resource is not None else namespace
    refs = [ca_ref(raw, namespace, "") for raw in as_list(validation.get("caCertificateRefs"))]
    steps = [] if crd else [add_arg_command(release, f"--{CRD_FLAG}")]
    if refs and all(r.kind == "Secret" and r.namespace == target for r in refs):
        names = [r.name for r in refs]
    else:
        names = [CA_SECRET]
        steps.append(f"kubectl create secret generic {CA_SECRET} -n {arg(target)} --from-file=ca.crt=ca.crt")
    client_auth = {"secretNames": names, "clientAuthType": "RequireAndVerifyClientCert"}
    if option.resource is not None:
        patch = {"spec": {"clientAuth": client_auth}}
        steps.append(
            f"kubectl patch {option.resource.kind.lower()}s.{option.resource.group} {DEFAULT} -n {arg(target)} "
            f"--type merge -p {json_arg(patch)}"
        )
    else:
        created = {
            "apiVersion": "traefik.io/v1alpha1",
            "kind": "TLSOption",
            "metadata": {"name": DEFAULT, "namespace": target},
            "spec": {"clientAuth": client_auth},
        }
        steps.append(f"printf '%s' {json_arg(created)} | kubectl apply -f -")
    return " && ".join(steps)
