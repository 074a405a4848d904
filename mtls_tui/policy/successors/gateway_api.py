"""Gateway API Gateways: client validation from `spec.tls.frontend` (docs/successors.md G1–G16).

The setting is per **port**: `frontend.default` applies to every HTTPS listener, a `perPort`
entry to every HTTPS listener on its port, whatever its hostname (gateway-api apis/v1/
gateway_types.go `FrontendTLSConfig`, `TLSPortConfig`). Which implementation serves the Gateway
(GatewayClass `spec.controllerName`) decides the data plane and the implementation-specific
parts: CA kinds and keys, how many references, what an invalid entry does (G11–G16).

Listeners of protocol TLS that terminate TLS are read too: the API applies the frontend to
"Listeners handling HTTPS traffic", and the implementations differ there (TLS_FRONTEND below).

This module reads Gateways that Envoy Gateway does not serve; Envoy Gateway's are read by
envoy_gateway.py, which adds its ClientTrafficPolicies on top of the same frontend reading.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from mtls_tui.certs.pem_file import load_ca_file
from mtls_tui.model import ClusterSnapshot, Finding, KubeResource, Severity
from mtls_tui.policy.secret_commands import add_ca_command
from mtls_tui.policy.successors import traefik_gateway
from mtls_tui.policy.successors.carried import verify_depth_ignored
from mtls_tui.policy.successors.common import (
    Breakage,
    ClientCertMode,
    ClientValidation,
    DataPlane,
    Implementation,
    Pins,
    Scope,
    WireAnswer,
)
from mtls_tui.policy.successors.ngf_bundle import (
    IndexKey,
    auth_filter_refs,
    backend_client_certificate,
    backend_policy_refs,
    bundle_path,
    ngf_bundle,
    ngf_object_data,
)
from mtls_tui.policy.successors.ngf_server_secret import refused_certificates, server_secret_finding
from mtls_tui.policy.successors.pem_checks import ngf_ca_problem
from mtls_tui.policy.successors.references import (
    GATEWAY_GROUP,
    CaRef,
    RefOutcome,
    ca_ref,
    conditions,
    grant_permits,
    object_data,
    pick_key,
    presence,
    ref_finding,
    unseen_finding,
)
from mtls_tui.policy.successors.releases import (
    ISTIO_NEWEST_READ,
    ControllerRelease,
    istio_reads_frontend_mode,
    istio_secret_ca_denied,
    istio_spec_ca_conditions,
    release_for,
    unchecked,
)
from mtls_tui.policy.successors.san_match import SanMatchers
from mtls_tui.policy.values import as_dict, as_list, text
from mtls_tui.shell import arg, json_arg

# GatewayClass spec.controllerName → implementation (docs/successors.md section 6):
# envoyproxy/gateway api/v1alpha1/envoygateway_types.go GatewayControllerName;
# istio pilot/pkg/features/pilot.go ManagedGatewayController (PILOT_GATEWAY_API_CONTROLLER_NAME);
# nginx-gateway-fabric charts/nginx-gateway-fabric/values.yaml nginxGateway.gatewayControllerName.
CONTROLLERS: dict[str, Implementation] = {
    "gateway.envoyproxy.io/gatewayclass-controller": "envoy-gateway",
    "istio.io/gateway-controller": "istio",
    "gateway.nginx.org/nginx-gateway-controller": "nginx-gateway-fabric",
    traefik_gateway.CONTROLLER: "traefik",  # traefik/traefik v3.7.9 pkg/provider/kubernetes/gateway/kubernetes.go
}
# istio pilot/pkg/config/kube/gatewaycommon/gateway_utils.go GatewayTLSTerminateModeKey: a listener
# option that forces MUTUAL or OPTIONAL_MUTUAL (both verified) over the frontend's mode (conversion.go buildTLS)
ISTIO_TERMINATE_MODE = "gateway.istio.io/tls-terminate-mode"
ISTIO_FORCED: dict[str, ClientCertMode] = {"MUTUAL": "require-and-verify", "OPTIONAL_MUTUAL": "verify-if-given"}
# the option's other values buildTLS knows (the workload's own certificate); any other value matches no case
ISTIO_OTHER_MODES = ("ISTIO_SIMPLE", "ISTIO_MUTUAL")

# Whether spec.tls.frontend reaches a listener of protocol TLS (mode Terminate). The API names only
# "Listeners handling HTTPS traffic" (apis/v1/gateway_types.go FrontendTLSConfig), so this is each
# implementation's reading: Envoy Gateway skips every non-HTTPS listener (internal/gatewayapi/
# listener.go ProcessGatewayTLS: "Frontend TLS validation only applies to HTTPS listeners");
# NGINX Gateway Fabric's tls listener configurator has no frontendTLSCaCertReferenceResolvers, and
# refuses a TLS listener that terminates at all (internal/controller/state/graph/gateway_listener.go
# newListenerConfiguratorFactory, validateTLSFieldOnTLSListener: _ngf_tls_terminate); Istio's
# buildTLS applies the Gateway's validation to every Terminate listener, TLS or HTTPS
# (pilot/pkg/config/kube/gateway/conversion.go buildListener → buildTLS). Traefik reads the frontend on no
# listener, and terminates a TLS listener's TLSRoutes with the `default` TLS options, as its HTTPS listeners
# (traefik v3.7.9 pkg/provider/kubernetes/gateway/tlsroute.go loadTLSRoute: traefik_gateway.py). An
# implementation not listed here is not judged on its TLS listeners.
TLS_FRONTEND: dict[Implementation, bool] = {
    "envoy-gateway": False,
    "nginx-gateway-fabric": False,
    "istio": True,
    "traefik": False,
}

DATA_PLANES: dict[Implementation, DataPlane] = {
    "envoy-gateway": "envoy",
    "istio": "envoy",
    "nginx-gateway-fabric": "nginx",
    "traefik": "go",
}


@dataclass(frozen=True)
class RefRules:
    """How one implementation reads `caCertificateRefs`."""

    kinds: tuple[str, ...]
    keys: tuple[str, ...]
    single_key: bool = False  # the only key of a one-key object (Envoy Gateway)
    all_or_nothing: bool = False  # one bad reference fails the whole entry (Envoy Gateway, Istio)
    max_refs: int | None = None  # Istio: 1
    skip_unsupported: bool = False  # an unsupported kind beside a supported one is skipped (Envoy Gateway)


RULES: dict[Implementation, RefRules] = {
    # envoyproxy/gateway internal/gatewayapi/backendtlspolicy.go getCaCertsFromCARefs; helpers.go
    # getFirstMatchOrFirstFromData (ca.crt, tls.crt, else the only key)
    "envoy-gateway": RefRules(
        ("ConfigMap", "Secret", "ClusterTrustBundle"),
        ("ca.crt", "tls.crt"),
        single_key=True,
        all_or_nothing=True,
        skip_unsupported=True,
    ),
    # istio pilot/pkg/config/kube/gateway/conversion.go buildTLS ("only one caCertificateRef is
    # supported"), buildCaCertificateReference; pilot/pkg/credentials/kube/secrets.go ExtractRoot
    "istio": RefRules(("ConfigMap", "Secret"), ("cacert", "ca.crt"), all_or_nothing=True, max_refs=1),
    # nginx-gateway-fabric internal/controller/state/graph/shared/secrets/secrets.go CAKey
    "nginx-gateway-fabric": RefRules(("ConfigMap", "Secret"), ("ca.crt",)),
    # gateway_types.go FrontendTLSValidation: Core is a ConfigMap with ca.crt; a Secret is
    # implementation-specific, read the same way here
    "gateway-api": RefRules(("ConfigMap", "Secret"), ("ca.crt",)),
}


@dataclass(frozen=True)
class Listener:
    name: str
    index: int  # position in spec.listeners (for patches)
    port: int
    hostname: str | None
    hosts: tuple[str, ...]  # the names it serves: its hostname, else its routes' hostnames
    legacy_refs: tuple[Any, ...] | None  # v1.1–v1.3 tls.frontendValidation.caCertificateRefs
    conditions: tuple[str, ...]
    terminate_mode: str = ""  # Istio's tls.options["gateway.istio.io/tls-terminate-mode"]
    protocol: str = "HTTPS"  # or "TLS" (mode Terminate; passthrough listeners are not read)
    certificate_refs: tuple[str, ...] = ()  # `namespace/name` of each tls.certificateRefs Secret, in order


@dataclass(frozen=True)
class Gateway:
    resource: KubeResource
    implementation: Implementation
    class_name: str
    controller_name: str | None  # None: the GatewayClass is not in the snapshot
    listeners: tuple[Listener, ...]  # HTTPS listeners, and TLS ones that terminate (TLS_FRONTEND)
    conditions: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"Gateway {self.resource.ref}"

    @property
    def referrer(self) -> tuple[str, str, str]:
        return (GATEWAY_GROUP, "Gateway", self.resource.namespace)

    def patch(self, ops: list[dict[str, Any]]) -> str:
        """`kubectl patch gateway` with a JSON patch (quoted)."""
        name, namespace = self.resource.name, self.resource.namespace
        return f"kubectl patch gateways.gateway.networking.k8s.io {arg(name)} -n {arg(namespace)} --type json -p {json_arg(ops)}"


@dataclass(frozen=True)
class Frontend:
    """What `spec.tls.frontend` (or the v1.3 listener field) gives one listener."""

    mode: ClientCertMode
    source: str  # "default", "perPort 443", "listener https (v1.3 frontendValidation)", "" for none
    path: str  # JSON pointer of the entry's `validation` (for patches)
    ca_refs: tuple[str, ...] = ()
    ca_pem: bytes | None = None
    refused: bool = False  # no usable CA: listener not accepted (fail closed)
    findings: tuple[Finding, ...] = ()
    verify_depth: int | None = None
    unseen: tuple[str, ...] = ()  # CA objects not read here, assumed present and usable
    breakage: Breakage | None = None  # the data plane cannot use what the objects say (Istio: CA denied by SDS)


# --- which Gateways, which listeners ----------------------------------------------------------


def implementation_of(gateway: KubeResource, snapshot: ClusterSnapshot) -> tuple[Implementation, str, str | None]:
    """(implementation, class name, controllerName) from the Gateway's GatewayClass. Among manifest
    files without that GatewayClass, a ClientTrafficPolicy that names the Gateway is the sign of
    Envoy Gateway (`inferred_from` says which policy): no other implementation reads that kind."""
    class_name = text(as_dict(gateway.body.get("spec")).get("gatewayClassName"))
    for klass in snapshot.of_kind("GatewayClass", GATEWAY_GROUP):
        if klass.name == class_name:
            controller = text(as_dict(klass.body.get("spec")).get("controllerName"))
            return CONTROLLERS.get(controller, "gateway-api"), class_name, controller
    if not snapshot.complete and inferred_from(gateway, snapshot):
        return "envoy-gateway", class_name, None
    return "gateway-api", class_name, None


# Envoy Gateway's policy kind (api/v1alpha1/clienttrafficpolicy_types.go), read by no other implementation
EG_POLICY_GROUP = "gateway.envoyproxy.io"


def inferred_from(gateway: KubeResource, snapshot: ClusterSnapshot) -> str:
    """The first ClientTrafficPolicy of the Gateway's namespace whose targetRef or targetRefs names
    it ("" when none does)."""
    for policy in snapshot.of_kind("ClientTrafficPolicy", EG_POLICY_GROUP):
        spec = as_dict(policy.body.get("spec"))
        targets = [as_dict(spec.get("targetRef")), *map(as_dict, as_list(spec.get("targetRefs")))]
        if policy.namespace == gateway.namespace and any(
            text(t.get("kind")) == "Gateway"
            and text(t.get("group")) in ("", GATEWAY_GROUP)
            and text(t.get("name")) == gateway.name
            for t in targets
        ):
            return f"ClientTrafficPolicy {policy.ref}"
    return ""


def _attached_hosts(
    gateway: KubeResource, name: str, port: int, snapshot: ClusterSnapshot, route_kind: str = "HTTPRoute"
) -> tuple[str, ...]:
    """Hostnames of the routes attached to one listener (HTTPRoutes, or TLSRoutes for a TLS
    listener; parentRefs: the Gateway, and the listener's sectionName or port when given)."""
    hosts: list[str] = []
    for route in snapshot.of_kind(route_kind, GATEWAY_GROUP):
        spec = as_dict(route.body.get("spec"))
        for parent in map(as_dict, as_list(spec.get("parentRefs"))):
            if (
                text(parent.get("name")) == gateway.name
                and (text(parent.get("namespace")) or route.namespace) == gateway.namespace
                and text(parent.get("kind")) in ("", "Gateway")
                and text(parent.get("sectionName")) in ("", name)
                and parent.get("port") in (None, port)
            ):
                hosts += [text(h) for h in as_list(spec.get("hostnames")) if text(h)] or ["*"]
                break
    return tuple(dict.fromkeys(hosts))


def listeners_of(
    gateway: KubeResource, snapshot: ClusterSnapshot, implementation: Implementation = "gateway-api"
) -> tuple[Listener, ...]:
    """The Gateway's HTTPS listeners, and its TLS listeners that terminate TLS when the
    implementation's reading of them is known (TLS_FRONTEND); a TLS listener's tls.mode defaults
    to Terminate (gateway_types.go GatewayTLSConfig)."""
    found = []
    for index, raw in enumerate(as_list(as_dict(gateway.body.get("spec")).get("listeners"))):
        listener = as_dict(raw)
        protocol = text(listener.get("protocol"))
        tls = as_dict(listener.get("tls"))
        terminates = protocol == "TLS" and text(tls.get("mode")) in ("", "Terminate")
        if protocol != "HTTPS" and not (terminates and implementation in TLS_FRONTEND):
            continue
        name = text(listener.get("name"))
        port = listener.get("port")
        port = port if isinstance(port, int) else 0
        hostname = text(listener.get("hostname")) or None
        routes = "HTTPRoute" if protocol == "HTTPS" else "TLSRoute"
        hosts = (hostname,) if hostname else (_attached_hosts(gateway, name, port, snapshot, routes) or ("*",))
        legacy = as_dict(tls.get("frontendValidation")) if protocol == "HTTPS" else {}
        refs = tuple(as_list(legacy.get("caCertificateRefs"))) if legacy else None
        terminate = text(as_dict(tls.get("options")).get(ISTIO_TERMINATE_MODE))
        certificates = tuple(
            f"{ref.namespace}/{ref.name}"
            for ref in (ca_ref(r, gateway.namespace, "Secret") for r in as_list(tls.get("certificateRefs")))
            if ref.kind == "Secret"
        )
        found.append(
            Listener(
                name,
                index,
                port,
                hostname,
                hosts,
                refs,
                conditions(gateway.body, f"listener {name}", name),
                terminate,
                protocol,
                certificates,
            )
        )
    return tuple(found)


def gateways(snapshot: ClusterSnapshot) -> list[Gateway]:
    out = []
    for resource in snapshot.of_kind("Gateway", GATEWAY_GROUP):
        implementation, class_name, controller = implementation_of(resource, snapshot)
        out.append(
            Gateway(
                resource,
                implementation,
                class_name,
                controller,
                listeners_of(resource, snapshot, implementation),
                conditions(resource.body, f"Gateway {resource.ref}"),
            )
        )
    return out


# --- the frontend entry a listener gets -------------------------------------------------------


def _frontend_entry(gateway: Gateway, listener: Listener) -> tuple[str, str, dict[str, Any] | None] | None:
    """(source, JSON pointer, validation) of the frontend entry for the listener's port; None
    when the Gateway has no spec.tls.frontend. A perPort entry replaces the default for its port
    (G1); one with no `validation` gives None as validation (G14). NGINX Gateway Fabric skips a
    perPort entry without validation.caCertificateRefs, so the default still applies on its port
    (internal/controller/state/graph/gateway_listener.go createFrontendTLSCaCertReferenceResolver)."""
    frontend = as_dict(as_dict(as_dict(gateway.resource.body.get("spec")).get("tls")).get("frontend"))
    if not frontend:
        return None
    for index, entry in enumerate(map(as_dict, as_list(frontend.get("perPort")))):
        validation = as_dict(as_dict(entry.get("tls")).get("validation"))
        if gateway.implementation == "nginx-gateway-fabric" and not as_list(validation.get("caCertificateRefs")):
            continue
        if entry.get("port") == listener.port:
            return (
                f"spec.tls.frontend.perPort[{index}] (port {listener.port})",
                f"/spec/tls/frontend/perPort/{index}/tls/validation",
                validation or None,
            )
    validation = as_dict(as_dict(frontend.get("default")).get("validation"))
    return "spec.tls.frontend.default", "/spec/tls/frontend/default/validation", validation or None


def frontend_for(gateway: Gateway, listener: Listener, snapshot: ClusterSnapshot) -> Frontend:
    """The client validation `spec.tls.frontend` configures for one listener, as the Gateway's
    implementation reads it."""
    entry = _frontend_entry(gateway, listener)
    if gateway.implementation == "traefik":
        return _traefik(gateway, listener, entry, snapshot)
    if gateway.implementation == "nginx-gateway-fabric" and listener.protocol == "TLS":
        return _ngf_tls_terminate(gateway, listener, entry)
    if entry is None:
        if listener.legacy_refs is not None:
            return _legacy(gateway, listener, snapshot)
        if gateway.implementation == "istio" and listener.terminate_mode in ISTIO_FORCED:
            return _istio_option_only(gateway, listener, snapshot)
        if gateway.implementation == "istio" and listener.terminate_mode not in ("", *ISTIO_OTHER_MODES):
            return Frontend("none", "", "", findings=(_istio_unknown_mode(gateway, listener),))
        return Frontend("none", "", "")
    source, path, validation = entry
    if listener.protocol == "TLS" and not TLS_FRONTEND.get(gateway.implementation, False):
        return _not_applied(gateway, listener, source, path, validation) if validation else Frontend("none", "", "")
    if validation is None:
        return _validation_off(gateway, listener, source, path)
    if gateway.implementation == "istio" and listener.terminate_mode in ISTIO_OTHER_MODES:
        return _istio_mode_first(gateway, listener, source, path)
    raw_mode = text(validation.get("mode")) or "AllowValidOnly"
    refs = tuple(as_list(validation.get("caCertificateRefs")))
    frontend = resolve_refs(gateway, listener, refs, source, path, snapshot)
    if frontend.refused:
        return frontend
    mode: ClientCertMode = "request" if raw_mode == "AllowInsecureFallback" else "require-and-verify"
    findings = frontend.findings
    if gateway.implementation == "istio" and mode == "request" and listener.terminate_mode not in ISTIO_FORCED:
        release = release_for(snapshot, "istio")
        if not istio_reads_frontend_mode(release):
            mode = "require-and-verify"
            findings += (_istio_mode_ignored(gateway, listener, source, path, release),)
            if not release.seen:
                findings += (unchecked(release, gateway.label, _ISTIO_MODE_BY_RELEASE),)
    if gateway.implementation == "istio" and listener.terminate_mode in ISTIO_FORCED:
        mode = ISTIO_FORCED[listener.terminate_mode]
    if mode == "request":
        findings += (_fallback_finding(gateway, listener, source, path),)
    elif mode == "verify-if-given":
        findings += (_istio_optional_finding(gateway, listener),)
    depth = 4 if gateway.implementation == "nginx-gateway-fabric" else None
    breakage: Breakage | None = None
    secret_ca = next(
        (r for r in map(lambda r: ca_ref(r, gateway.resource.namespace, ""), refs) if r.kind == "Secret"), None
    )
    if gateway.implementation == "istio" and secret_ca is not None:
        release = release_for(snapshot, "istio")
        own = f"{secret_ca.namespace}/{secret_ca.name}" == next(iter(listener.certificate_refs), None)
        if istio_secret_ca_denied(release, optional=mode != "require-and-verify", own_secret=own):
            breakage = "connection-closed"
            findings += (_istio_ca_denied(gateway, listener, release, secret_ca, path, mode, snapshot),)
        if not release.seen:
            findings += (unchecked(release, gateway.label, _ISTIO_SECRET_CA_BY_RELEASE),)
    done = replace(frontend, mode=mode, findings=findings, verify_depth=depth, breakage=breakage)
    if gateway.implementation == "nginx-gateway-fabric" and mode == "require-and-verify":
        return _ngf_bundle_written(gateway, listener, refs, snapshot, done)
    return done


def _traefik(
    gateway: Gateway,
    listener: Listener,
    entry: tuple[str, str, dict[str, Any] | None] | None,
    snapshot: ClusterSnapshot,
) -> Frontend:
    """Traefik reads neither spec.tls.frontend nor the v1.3 listener field: the default TLS options decide
    (traefik_gateway.py)."""
    asked: tuple[str, dict[str, Any]] | None = None
    if entry is not None and entry[2] is not None:
        asked = (entry[0], entry[2])
    elif listener.legacy_refs is not None:
        asked = (f"listener {listener.name} tls.frontendValidation", {"caCertificateRefs": list(listener.legacy_refs)})
    done = traefik_gateway.served(
        gateway.label, gateway.resource.namespace, listener.name, asked, snapshot, listener.protocol
    )
    return Frontend(
        done.mode,
        f"via {done.decided_by}",
        "",
        ca_refs=done.ca_refs,
        ca_pem=done.ca_pem,
        findings=done.findings,
        unseen=done.unseen,
        breakage=done.breakage,
    )


def _ngf_bundle_written(
    gateway: Gateway, listener: Listener, refs: tuple[Any, ...], snapshot: ClusterSnapshot, frontend: Frontend
) -> Frontend:
    """The CA file NGINX Gateway Fabric writes for the port (ngf_bundle.py) is what nginx trusts: an
    Opaque Secret's CA is not in it; with no file written, or one OpenSSL cannot load (certs/pem_file.py),
    nginx refuses the whole configuration and keeps its previous one."""
    namespace = gateway.resource.namespace
    parsed = [ca_ref(r, namespace, "") for r in refs]
    bundle = ngf_bundle(parsed, snapshot, gateway.referrer, namespace, _ngf_resolved_by(gateway, snapshot))
    if bundle.unseen:
        return frontend  # its bytes are not known here: the unseen findings say what is assumed
    if bundle.leaked or not snapshot.complete:
        frontend = _ngf_leaked(frontend, bundle.leaked)
    load = load_ca_file(bundle.data) if bundle.written else None
    dropped = tuple(_ngf_dropped(gateway, listener, ref, parsed.index(ref), frontend.path) for ref in bundle.dropped)
    if load is None or load.problem:
        rejected = _ngf_rejected(gateway, listener, frontend, bundle.dropped, parsed, load.problem if load else None)
        return replace(
            frontend, breakage="config-rejected", ca_pem=bundle.data or None, findings=(rejected, *frontend.findings)
        )
    ca_pem = bundle.data if load.checked else frontend.ca_pem
    return replace(frontend, ca_pem=ca_pem, findings=(*frontend.findings, *dropped))


def _ngf_resolved_by(gateway: Gateway, snapshot: ClusterSnapshot) -> dict[IndexKey, str]:
    """The CA objects the rest of NGINX Gateway Fabric's graph resolves, each with who resolves it
    (ngf_bundle.py: one index for the whole graph). v2.6.7: every Gateway of the class NGF serves
    (graph/gateway.go processGateways keeps those of its GatewayClass) resolves its HTTPS listeners'
    certificateRefs (gateway_listener.go createExternalReferencesForTLSSecretsResolver) and its frontend
    entry's caCertificateRefs (createFrontendTLSCaCertReferenceResolver, validateFrontendTLS), each in
    its own namespace or where a ReferenceGrant allows it, and its spec.tls.backend.clientCertificateRef
    whether or not one allows it (backend_client_certificate); every BackendTLSPolicy its CA
    (backend_policy_refs); every AuthenticationFilter of type Basic its Secret (auth_filter_refs). Not read
    here: ListenerSets' listeners, and JWT/OIDC AuthenticationFilters (NGINX Plus only)."""
    found = {**auth_filter_refs(snapshot), **backend_policy_refs(snapshot)}
    for other in gateways(snapshot):
        if other.implementation != "nginx-gateway-fabric" or other.class_name != gateway.class_name:
            continue
        if (client := backend_client_certificate(other.resource)) is not None:
            found.setdefault(client, f"{other.label} spec.tls.backend.clientCertificateRef")
        for listener in (one for one in other.listeners if one.protocol == "HTTPS"):
            named = [
                (CaRef("Secret", "", *c.partition("/")[::2]), "certificateRefs") for c in listener.certificate_refs
            ]
            source, _, validation = _frontend_entry(other, listener) or ("", "", None)
            for raw in as_list((validation or {}).get("caCertificateRefs")):
                named.append((ca_ref(raw, other.resource.namespace, ""), source))
            for ref, where in named:
                usable = ref.kind in ("Secret", "ConfigMap") and ref.group in ("", "core") and ref.name
                local = ref.namespace == other.resource.namespace
                if usable and (local or grant_permits(snapshot, other.referrer, ref) is not None):
                    found.setdefault(
                        (ref.kind, ref.namespace, ref.name), f"{other.label} listener {listener.name} {where}"
                    )
    return found


_NGF_MAY_LEAK = (
    " Not checked: if another Gateway of the class or a BackendTLSPolicy or AuthenticationFilter that is not among "
    "the files resolves "
    "the object, NGINX Gateway Fabric writes its CA into the port's file all the same (one index for its whole "
    "graph: dataplane/configuration.go getFrontendTLSCertBundles), and its clients get in."
)


def _ngf_leaked(frontend: Frontend, leaked: tuple[tuple[CaRef, str], ...]) -> Frontend:
    """A reference no ReferenceGrant permits, whose object the rest of the graph resolved: NGF writes
    its CA into the port's file all the same (ngf_bundle.py), so its clients get in while the status
    says RefNotPermitted; read from manifest files, one not seen so is said to be unchecked. The
    finding keeps its code and its fix (the ReferenceGrant, which makes the trust stand on its own:
    without it the CA leaves the file when the other referrer goes)."""
    by_label = {ref.label: who for ref, who in leaked}
    findings = []
    for finding in frontend.findings:
        ref = next((label for label in by_label if f"reference: {label} " in "".join(finding.evidence)), None)
        if finding.code == "ca-ref-not-permitted" and ref is None:  # manifest files: a referrer may be unseen
            finding = replace(finding, detail=finding.detail + _NGF_MAY_LEAK)
        if finding.code != "ca-ref-not-permitted" or ref is None:
            findings.append(finding)
            continue
        findings.append(
            replace(
                finding,
                title=f"{finding.title}, yet NGINX Gateway Fabric trusts its CA: {by_label[ref]} resolves it",
                detail=f"The listener reports ResolvedRefs=False RefNotPermitted and the Gateway ResolvedRefs=False "
                f'("{ref.split(" ", 1)[0].lower()} ref {ref.split(" ", 1)[1]} not permitted by any ReferenceGrant"; '
                "gateway_listener.go validateFrontendTLS, resolveCrossNamespaceRefGrant), but nginx gets its CA: "
                "NGF v2.6.7 writes the port's CA file from one index of every object its graph resolved "
                f"(dataplane/configuration.go getFrontendTLSCertBundles looks up each caCertificateRef there, "
                f"unfiltered), and {by_label[ref]} resolved this one. Its clients get in (measured on nginx). The fix "
                f"writes the ReferenceGrant the status asks for; if {ref} is not meant to be trusted, remove it "
                "from caCertificateRefs instead.",
                evidence=(*finding.evidence, f"resolved for NGF's graph by {by_label[ref]}"),
            )
        )
    labels = tuple(ref.label for ref, _ in leaked)
    return replace(frontend, ca_refs=(*frontend.ca_refs, *labels), findings=tuple(findings))


_NGF_RELOAD = (
    "nginx -t fails (measured on nginx 1.22: [emerg] SSL_CTX_load_verify_locations(...) failed; NGF's nginx says "
    "'cannot load certificate'), the agent rolls the files back ('Config apply failed, rolling back config') and "
    "the Gateway and each listener report Programmed=False 'The Gateway is not programmed due to a failure to "
    "reload nginx with the configuration' (status/prepare_requests.go; nginx-gateway-fabric issue 5872, fixed "
    "after v2.6.7 by pull request 5913). nginx keeps its previous configuration: none of {gateway}'s current "
    "objects is in effect, on any port, and who gets in is what that configuration said (not predicted here)."
)


def _ngf_rejected(
    gateway: Gateway,
    listener: Listener,
    frontend: Frontend,
    dropped: tuple[CaRef, ...],
    parsed: list[CaRef],
    problem: str | None,
) -> Finding:
    path = bundle_path(gateway.resource.namespace, gateway.resource.name, listener.port)
    if problem is None:
        what = f"ssl_client_certificate names {path}, which is never written"
        why = (
            "NGINX Gateway Fabric v2.6.7 writes the port's CA file only from ConfigMaps and kubernetes.io/tls "
            "Secrets (resolver/secrets.go secretEntry.validate makes no CertBundle for an Opaque Secret; "
            "dataplane/configuration.go getFrontendTLSCertBundles), yet names it under AllowValidOnly "
            "(addClientSettingsToSSLServers). "
        )
    else:
        what = f"its CA file {path} does not load ({problem})"
        why = (
            "NGINX Gateway Fabric v2.6.7 writes the references' ca.crt into one file, joined in order with no "
            "separator (dataplane/configuration.go getFrontendTLSCertBundles), including a ConfigMap it refused "
            "(ValidateCA reads only the first PEM block); OpenSSL, reading every block, refuses it. "
        )
    fix = _ngf_configmap_fix(gateway, dropped[0], frontend.path, parsed.index(dropped[0])) if dropped else ""
    return Finding(
        code="config-reload-fails",
        severity=Severity.ERROR,
        title=f"nginx refuses NGINX Gateway Fabric's configuration for {gateway.label}: {what}",
        detail=why
        + _NGF_RELOAD.format(gateway=gateway.label)
        + (
            " The fix copies the Opaque Secret's ca.crt into a ConfigMap and points the reference there." if fix else ""
        ),
        fix=fix,
        subject=gateway.label,
        evidence=(
            f"{frontend.source}: {', '.join(r.label for r in parsed)}",
            f"ssl_client_certificate {path};",
            *_evidence(gateway, listener),
        ),
    )


def _ngf_dropped(gateway: Gateway, listener: Listener, ref: CaRef, index: int, path: str) -> Finding:
    return Finding(
        code="ca-ref-not-loaded",
        severity=Severity.WARNING,
        title=f"NGINX Gateway Fabric accepts {ref.label} but does not give its CA to nginx",
        detail="An Opaque Secret passes the resolver (resolver/secrets.go validateOpaqueSecretKey) but gets no "
        "CertBundle, so the port's CA file holds only the other references' CAs (dataplane/configuration.go "
        f"getFrontendTLSCertBundles): a client of {ref.label}'s CA alone is refused (connection closed). The fix "
        "copies its ca.crt into a ConfigMap and points the reference there.",
        fix=_ngf_configmap_fix(gateway, ref, path, index),
        subject=gateway.label,
        evidence=_evidence(gateway, listener),
    )


# releases.py ISTIO_FRONTEND_MODE
_ISTIO_MODE_BY_RELEASE = (
    "Before Istio 1.31 buildTLS (pilot/pkg/config/kube/gateway/conversion.go) reads no frontend mode: "
    "AllowInsecureFallback is served as AllowValidOnly (MUTUAL). From 1.31 (commit b9a243785f9, #60824) it is "
    "OPTIONAL_MUTUAL with insecureSkipVerify: every client gets in."
)


def _istio_mode_ignored(
    gateway: Gateway, listener: Listener, source: str, path: str, release: ControllerRelease
) -> Finding:
    """releases.py ISTIO_FRONTEND_MODE: the fallback the Gateway asks for is not served."""
    return Finding(
        code="frontend-mode-ignored",
        severity=Severity.WARNING,
        title=f"{gateway.label} listener {listener.name}: {release.named} ignores mode AllowInsecureFallback and "
        "requires a valid client certificate",
        detail=_ISTIO_MODE_BY_RELEASE + " So clients without a valid certificate are refused in the handshake, and the "
        "Gateway gets no InsecureFrontendValidationMode condition. The fix writes the mode that is served "
        "(AllowValidOnly); then, if clients without a certificate must get in, run Istio 1.31 or later and set "
        "AllowInsecureFallback again.",
        fix=gateway.patch([{"op": "replace", "path": f"{path}/mode", "value": "AllowValidOnly"}]),
        subject=gateway.label,
        evidence=(
            f"{source}: mode AllowInsecureFallback",
            f"controller {release.named}",
            *_evidence(gateway, listener),
        ),
    )


def _istio_mode_first(gateway: Gateway, listener: Listener, source: str, path: str) -> Frontend:
    """conversion.go buildTLS returns for the listener options ISTIO_SIMPLE (SIMPLE with the workload's
    own certificate, credentialName builtin://) and ISTIO_MUTUAL (the mesh's mutual TLS) before it reads
    the frontend: the Gateway's client CA is not applied (testdata/tls.yaml.golden, listeners
    terminate-istio-builtin and terminate-istio-mtls). The fix removes the option, and gives a listener
    without certificateRefs the certificate of another listener of the Gateway (buildTLS wants one)."""
    option = f"/spec/listeners/{listener.index}/tls/options/gateway.istio.io~1tls-terminate-mode"
    ops: list[dict[str, Any]] = [{"op": "remove", "path": option}]
    borrowed = next((c for other in gateway.listeners for c in other.certificate_refs), None)
    if not listener.certificate_refs:
        namespace, _, name = (borrowed or f"{gateway.resource.namespace}/SERVER-CERTIFICATE").partition("/")
        ref = {"group": "", "kind": "Secret", "name": name}
        if namespace != gateway.resource.namespace:
            ref["namespace"] = namespace
        ops.append({"op": "add", "path": f"/spec/listeners/{listener.index}/tls/certificateRefs", "value": [ref]})
    if listener.terminate_mode == "ISTIO_SIMPLE":
        title = (
            f"{gateway.label} listener {listener.name} asks no client certificate: option "
            f"{ISTIO_TERMINATE_MODE}=ISTIO_SIMPLE comes before {source}"
        )
        what = (
            "Istio serves it as SIMPLE TLS with the workload's own certificate (credentialName builtin://): no "
            "client certificate is asked, and every client gets in."
        )
        severity = Severity.ERROR
    else:
        title = (
            f"{gateway.label} listener {listener.name} verifies clients against the mesh's CA, not {source}: option "
            f"{ISTIO_TERMINATE_MODE}=ISTIO_MUTUAL"
        )
        what = (
            "Istio serves it as ISTIO_MUTUAL: a client needs a certificate of the mesh (issued by istiod's CA); a "
            "client of the frontend's CA is refused in the handshake (unknown CA)."
        )
        # your clients are refused, as with istio.py's mesh-mutual-at-gateway (measured there: 48 for a client
        # of your CA, 200 for a mesh one): an error, whatever the mesh's own clients get
        severity = Severity.ERROR
    then = " The fix removes the option, so that the frontend's CA applies (MUTUAL)" + (
        "."
        if listener.certificate_refs
        else f", and gives the listener the server certificate {borrowed} of another listener; check that it "
        "covers the listener's hostname."
        if borrowed
        else "; then replace SERVER-CERTIFICATE in its certificateRefs with the Secret of its server certificate."
    )
    finding = Finding(
        code="frontend-validation-not-applied",
        severity=severity,
        title=title,
        detail="pilot/pkg/config/kube/gateway/conversion.go buildTLS returns for the listener option "
        f"{ISTIO_TERMINATE_MODE}={listener.terminate_mode} before it reads the Gateway's spec.tls.frontend. {what}"
        + then,
        fix=gateway.patch(ops),
        subject=gateway.label,
        evidence=(
            f"listener {listener.name} tls.options: {ISTIO_TERMINATE_MODE}={listener.terminate_mode}",
            *_evidence(gateway, listener),
        ),
    )
    if listener.terminate_mode == "ISTIO_SIMPLE":
        return Frontend("none", source, path, findings=(finding,))
    return Frontend("require-and-verify", source, path, ca_refs=("the mesh's CA (istiod)",), findings=(finding,))


# releases.py ISTIO_SECRET_CA, ISTIO_OPTIONAL_CACERT
_ISTIO_SECRET_CA_BY_RELEASE = (
    "Before Istio 1.31 a Gateway API client CA held in a Secret reaches Envoy only when it is the listener's own "
    "certificate Secret and the mode is MUTUAL (pilot/pkg/model/gateway.go mergeGateways authorizes "
    "`<certificate>-cacert` for MUTUAL only; pilot/pkg/xds/sds.go denies any other kubernetes-gateway:// resource). "
    "From 1.31 (commit 1c4665799bf, #60278) the CA Secret is authorized in any mode. A ConfigMap CA is always allowed."
)


def _istio_ca_denied(
    gateway: Gateway,
    listener: Listener,
    release: ControllerRelease,
    ca: CaRef,
    path: str,
    mode: ClientCertMode,
    snapshot: ClusterSnapshot,
) -> Finding:
    """The fix moves the CA into a ConfigMap (sds.go allows every ConfigMap CA, in any mode and
    release) and points the reference at it; the CA's bytes go from the Secret to the ConfigMap
    without being shown."""
    data = object_data(snapshot, "Secret", ca.namespace, ca.name) or {}
    key = next((k for k in RULES["istio"].keys if k in data), "ca.crt")
    config_map = f"{ca.name}-client-ca"
    read = f"kubectl get secret {arg(ca.name)} -n {arg(ca.namespace)} -o go-template=" + arg(
        "{{index .data " + json.dumps(key) + " | base64decode}}"
    )
    move = (
        f"ca=$({read}) && kubectl create configmap {arg(config_map)} -n {arg(ca.namespace)} "
        '--from-literal=ca.crt="$ca" --dry-run=client -o yaml | kubectl apply -f - && '
        + gateway.patch(
            [
                {
                    "op": "replace",
                    "path": f"{path}/caCertificateRefs/0",
                    "value": {"group": "", "kind": "ConfigMap", "name": config_map}
                    | ({"namespace": ca.namespace} if ca.namespace != gateway.resource.namespace else {}),
                }
            ]
        )
    )
    why = (
        "OPTIONAL_MUTUAL (fixed on master only, commit f1a56063393, #60618: in no release read)"
        if mode != "require-and-verify"
        else f"a CA Secret other than the listener's certificate Secret {next(iter(listener.certificate_refs), '(none)')}"
    )
    return Finding(
        code="ca-sds-denied",
        severity=Severity.ERROR,
        title=f"{gateway.label} listener {listener.name}: {release.named} denies the client CA {ca.label} to Envoy: "
        "every connection is closed in the handshake",
        detail=_ISTIO_SECRET_CA_BY_RELEASE
        + f" Here: {why}. The listener's validation context never arrives, and Envoy closes every connection in the "
        "handshake (measured: downstream_context_secrets_not_ready). The fix copies the CA into a ConfigMap and "
        "points the reference at it.",
        fix=move,
        subject=gateway.label,
        evidence=(
            f"{path.strip('/').replace('/', '.')}.caCertificateRefs: {ca.label}",
            f"listener {listener.name} mode {'MUTUAL' if mode == 'require-and-verify' else 'OPTIONAL_MUTUAL'}",
            f"controller {release.named}",
        ),
    )


def resolve_refs(
    gateway: Gateway,
    listener: Listener,
    refs: tuple[Any, ...],
    source: str,
    path: str,
    snapshot: ClusterSnapshot,
) -> Frontend:
    """Read the references with the implementation's rules; refused when none is usable (G5)
    or, for Envoy Gateway and Istio, when any is not (G11, G15)."""
    rules = RULES[gateway.implementation]
    namespace = gateway.resource.namespace
    parsed = [ca_ref(r, namespace, "") for r in refs]
    if rules.max_refs is not None and len(parsed) > rules.max_refs:
        outcome = RefOutcome(
            parsed[0],
            problem="too-many",
            detail=f"{len(parsed)} caCertificateRefs; Istio reads one (conversion.go buildTLS: "
            f'"only one caCertificateRef is supported", listener ResolvedRefs=False '
            f"{_resolved_refs(gateway, snapshot, 'too-many')})",
        )
        return _refused(gateway, listener, source, path, parsed, [outcome], snapshot)
    outcomes = [_read_ref(gateway, ref, rules, snapshot) for ref in parsed]
    supported = [o for o in outcomes if o.problem != "wrong-kind"]
    if rules.skip_unsupported and supported:
        outcomes = supported  # backendtlspolicy.go: an unsupported kind beside a supported one is skipped
    good = [o for o in outcomes if o.problem is None]
    bad = [o for o in outcomes if o.problem is not None]
    if gateway.implementation == "envoy-gateway" and good and all(_read_empty(o) for o in good):
        good, bad = [], [_empty(o) for o in good]
    if not good or (rules.all_or_nothing and bad):
        return _refused(gateway, listener, source, path, parsed, bad, snapshot)
    findings = tuple(_ref_finding(gateway, listener, o, path, snapshot, refused=False) for o in bad)
    unseen = [o for o in good if o.unseen]
    findings += tuple(
        unseen_finding(
            o.ref,
            o.unseen or "unseen",
            subject=gateway.label,
            if_missing=_consequence(gateway, listener, True, snapshot, _resolved_refs(gateway, snapshot, "not-found")),
        )
        for o in unseen
    )
    return Frontend(
        "require-and-verify",
        source,
        path,
        ca_refs=tuple(o.label for o in good),
        ca_pem=b"".join(o.pem.strip() + b"\n" for o in good if o.pem) or None,
        findings=findings,
        unseen=tuple(o.ref.label for o in unseen),
    )


def _read_ref(gateway: Gateway, ref: CaRef, rules: RefRules, snapshot: ClusterSnapshot) -> RefOutcome:
    """One reference, in the order the implementations check: ReferenceGrant, kind, object, key."""
    if ref.namespace != gateway.resource.namespace and grant_permits(snapshot, gateway.referrer, ref) is None:
        return RefOutcome(ref, problem="not-permitted", detail="listener ResolvedRefs=False RefNotPermitted")
    if ref.kind not in rules.kinds or (ref.group not in ("", "core") and ref.kind != "ClusterTrustBundle"):
        reason = _resolved_refs(gateway, snapshot, "wrong-kind")
        return RefOutcome(ref, problem="wrong-kind", detail=f"listener ResolvedRefs=False {reason}")
    # a ClusterTrustBundle is read by name alone, its spec.trustBundle (Envoy Gateway backendtlspolicy.go
    # getCaCertsFromCARefs: missing → "cluster trust bundle NAME not found", the entry fails)
    ngf = gateway.implementation == "nginx-gateway-fabric"
    data = (ngf_object_data if ngf else object_data)(snapshot, ref.kind, ref.namespace, ref.name)
    if data is None:
        status = presence(snapshot, ref.kind, ref.namespace, ref.name)
        if status in ("unseen", "forbidden"):
            return RefOutcome(ref, detail="not read", unseen=status)
        reason = _resolved_refs(gateway, snapshot, "not-found")
        return RefOutcome(ref, problem="not-found", detail=f"listener ResolvedRefs=False {reason}")
    if ngf and (refused := _ngf_ref_problem(ref, data, snapshot)):
        return refused
    key = pick_key(data, rules.keys, rules.single_key)
    if key is None:
        keys = ", ".join(sorted(data)) or "no keys"
        return RefOutcome(ref, problem="no-ca-key", detail=f"keys: {keys}")
    return RefOutcome(ref, pem=data[key], key=key)


# nginx-gateway-fabric v2.6.7 internal/controller/state/resolver/secrets.go secretEntry.validate: a
# frontend CA Secret is kubernetes.io/tls (its ca.crt) or Opaque (validateOpaqueSecretKey); any other
# type is "unsupported secret type"
NGF_CA_SECRET_TYPES = ("kubernetes.io/tls", "Opaque")


def _ngf_ref_problem(ref: CaRef, data: dict[str, bytes], snapshot: ClusterSnapshot) -> RefOutcome | None:
    """What NGINX Gateway Fabric's resolver refuses in a CA object it found (v2.6.7
    internal/controller/state/resolver/{configmaps,secrets}.go; graph/shared/secrets/secrets.go
    ValidateCA): a Secret of another type; ca.crt absent or empty (not-found key: "missing expected key",
    "does not contain the expected key"); ca.crt whose first PEM block is no parsable CERTIFICATE. Each
    makes the reference invalid (gateway_listener.go validateFrontendTLS: ResolvedRefs=False
    InvalidCACertificateRef); the listener is invalid when every reference is."""
    if ref.kind == "Secret":
        secret = snapshot.secret(f"{ref.namespace}/{ref.name}")
        kind = secret.type if secret is not None else ""
        if kind and kind not in NGF_CA_SECRET_TYPES:
            return RefOutcome(
                ref,
                problem="wrong-kind",
                detail=f'unsupported secret type "{kind}" (resolver/secrets.go): listener ResolvedRefs=False '
                "InvalidCACertificateRef",
            )
    if "ca.crt" not in data:
        return None  # the key rules below name the missing key
    problem = ngf_ca_problem(data["ca.crt"]) if data["ca.crt"] else "ca.crt is empty"
    if problem is None:
        return None
    return RefOutcome(
        ref,
        key="ca.crt",
        problem="no-certificate",
        detail=f'"{problem}" (graph/shared/secrets/secrets.go ValidateCA): listener ResolvedRefs=False '
        "InvalidCACertificateRef",
    )


def _read_empty(outcome: RefOutcome) -> bool:
    """A ConfigMap, Secret or ClusterTrustBundle read here whose CA key holds nothing."""
    return not outcome.unseen and not outcome.pem


def _empty(outcome: RefOutcome) -> RefOutcome:
    """Envoy Gateway joins the references' CA keys; nothing at all is ErrNoValidCACertificate
    (backendtlspolicy.go getCaCertsFromCARefs: ca == ""), so the listener is refused (listener.go
    ProcessListeners; validate.go: Accepted=False NoValidCACertificate)."""
    return RefOutcome(
        outcome.ref,
        key=outcome.key,
        problem="no-certificate",
        detail=f'{outcome.label} is empty: "no valid CA certificate found in referenced resources" '
        "(backendtlspolicy.go getCaCertsFromCARefs, ErrNoValidCACertificate)",
    )


# --- findings ---------------------------------------------------------------------------------

_REFUSED = (
    "With no usable CA the listener is not accepted ({conditions}Accepted=False NoValidCACertificate, "
    "Programmed=False): HTTPS on port {port} is refused, even to a client without a certificate (fail closed)."
)
_EG_REFUSED = " Envoy Gateway drops the listener from its configuration (listener.go ProcessListeners)."
# releases.py ISTIO_CA_CONDITIONS: what Istio before 1.31 writes for the same listener
_ISTIO_REFUSED = (
    "With no usable CA {release} leaves the listener Accepted=True and reports {conditions}Programmed=False "
    '(Invalid: "Bad TLS configuration"), and builds no server for it (conversion.go buildListener; '
    "gateway_collection.go keeps only programmed listeners): HTTPS on port {port} is refused, even to a client "
    "without a certificate (fail closed). From Istio 1.31 (commit ec082098894) the listener reports the spec's "
    "Accepted=False NoValidCACertificate instead."
)


def _old_istio(gateway: Gateway, snapshot: ClusterSnapshot) -> bool:
    """Istio before 1.31, which names an unusable frontend CA with its own reasons (ISTIO_CA_CONDITIONS)."""
    return gateway.implementation == "istio" and not istio_spec_ca_conditions(release_for(snapshot, "istio"))


def _resolved_refs(gateway: Gateway, snapshot: ClusterSnapshot, problem: str) -> str:
    """The listener's ResolvedRefs=False reason for a reference that gave no CA: the spec's
    (gateway_types.go ListenerReasonInvalidCACertificateRef/Kind, RefNotPermitted), or Istio's before
    1.31 (conversion.go buildCaCertificateReference, buildTLS: InvalidCertificateRef)."""
    if problem == "not-permitted":
        return "RefNotPermitted"
    if _old_istio(gateway, snapshot):
        return "InvalidCertificateRef"
    return "InvalidCACertificateKind" if problem == "wrong-kind" else "InvalidCACertificateRef"


def _consequence(
    gateway: Gateway, listener: Listener, refused: bool, snapshot: ClusterSnapshot, reason: str = ""
) -> str:
    if not refused:
        return "The other references are used; the listener reports ResolvedRefs=False."
    conditions = f"ResolvedRefs=False {reason}, " if reason else ""
    if _old_istio(gateway, snapshot):
        release = release_for(snapshot, "istio").named
        return _ISTIO_REFUSED.format(release=release, conditions=conditions, port=listener.port)
    text_ = _REFUSED.format(port=listener.port, conditions=conditions)
    return text_ + (_EG_REFUSED if gateway.implementation == "envoy-gateway" else "")


def _kind_fix(gateway: Gateway, path: str, index: int) -> str:
    value = {"group": "", "kind": "ConfigMap", "name": "CA-CONFIGMAP"}
    return gateway.patch([{"op": "replace", "path": f"{path}/caCertificateRefs/{index}", "value": value}])


def _ref_finding(
    gateway: Gateway, listener: Listener, outcome: RefOutcome, path: str, snapshot: ClusterSnapshot, *, refused: bool
) -> Finding:
    rules = RULES[gateway.implementation]
    index = 0
    raw = as_list(_pointer(gateway.resource.body, path + "/caCertificateRefs"))
    for n, item in enumerate(raw):
        if ca_ref(item, gateway.resource.namespace, "") == outcome.ref:
            index = n
    finding = ref_finding(
        outcome,
        subject=gateway.label,
        referrer=gateway.referrer,
        keys=rules.keys,
        kinds=rules.kinds,
        consequence=_consequence(
            gateway, listener, refused, snapshot, _resolved_refs(gateway, snapshot, outcome.problem or "")
        ),
        kind_fix=_kind_fix(gateway, path, index),
        snapshot=snapshot,
        severity=Severity.ERROR if refused else Severity.WARNING,
        evidence=_evidence(gateway, listener),
    )
    if gateway.implementation == "nginx-gateway-fabric":
        return _ngf_secret_fix(gateway, outcome, path, index, snapshot, finding)
    return finding


def _ngf_secret_fix(
    gateway: Gateway, outcome: RefOutcome, path: str, index: int, snapshot: ClusterSnapshot, finding: Finding
) -> Finding:
    """An existing Secret's type cannot change in place (the API server refuses it), so the generic
    `create … | kubectl apply` fix would fail on it: a kubernetes.io/tls Secret without ca.crt, or whose
    ca.crt is no certificate, gets ca.crt patched in (its key pair kept); a Secret of a type NGINX
    Gateway Fabric does not read (resolver/secrets.go "unsupported secret type", e.g. F5's nginx.org/ca)
    has its ca.crt copied into a ConfigMap, and the reference points at that."""
    ref = outcome.ref
    secret = snapshot.secret(f"{ref.namespace}/{ref.name}") if ref.kind == "Secret" else None
    if secret is None:
        return finding
    if outcome.problem in ("no-ca-key", "no-certificate"):
        return replace(
            finding,
            fix=add_ca_command(secret.ref),
            detail=finding.detail + " The fix patches ca.crt (PEM, from the file ca.crt) into the Secret, keeping its "
            "other keys: its type cannot change in place.",
        )
    if outcome.problem == "wrong-kind" and secret.type not in NGF_CA_SECRET_TYPES and secret.get("ca.crt"):
        return replace(
            finding,
            title=f"CA {ref.label}: NGINX Gateway Fabric does not read Secrets of type {secret.type}",
            detail=f"A frontend CA Secret must be kubernetes.io/tls or Opaque (resolver/secrets.go: "
            f'unsupported secret type "{secret.type}"). '
            + finding.detail.split(". ", 1)[-1]
            + f" The fix copies its ca.crt into ConfigMap {ref.namespace}/{ref.name}-ca and points the reference "
            "there.",
            fix=_ngf_configmap_fix(gateway, ref, path, index),
        )
    return finding


def _ngf_configmap_fix(gateway: Gateway, ref: CaRef, path: str, index: int) -> str:
    """Copy a CA Secret's ca.crt into ConfigMap NAME-ca and point reference `index` there: the one
    CA object NGINX Gateway Fabric both accepts and writes into its bundle, whatever the Secret's type
    (which cannot change in place)."""
    config_map = f"{ref.name}-ca"
    # the PEM keeps a last newline: NGF joins the references' CAs with no separator, and one ending
    # in `-----END CERTIFICATE-----` makes the next BEGIN line a bad end line (certs/pem_file.py)
    read = f"kubectl get secret {arg(ref.name)} -n {arg(ref.namespace)} -o go-template=" + arg(
        '{{index .data "ca.crt" | base64decode}}{{"\n"}}'
    )
    target = {"group": "", "kind": "ConfigMap", "name": config_map} | (
        {"namespace": ref.namespace} if ref.namespace != gateway.resource.namespace else {}
    )
    return (
        f"{read} | kubectl create configmap {arg(config_map)} -n {arg(ref.namespace)} "
        "--from-file=ca.crt=/dev/stdin --dry-run=client -o yaml | kubectl apply -f - && "
        + gateway.patch([{"op": "replace", "path": f"{path}/caCertificateRefs/{index}", "value": target}])
    )


def _pointer(body: dict[str, Any], path: str) -> Any:
    value: Any = body
    for part in path.strip("/").split("/"):
        value = as_list(value)[int(part)] if part.isdigit() and isinstance(value, list) else as_dict(value).get(part)
    return value


def _evidence(gateway: Gateway, listener: Listener) -> tuple[str, ...]:
    who = f"GatewayClass {gateway.class_name}: {gateway.controller_name or 'not among the objects read'}"
    return (who, f"listener {listener.name} port {listener.port}", *gateway.conditions, *listener.conditions)


def _refused(
    gateway: Gateway,
    listener: Listener,
    source: str,
    path: str,
    parsed: list[CaRef],
    bad: list[RefOutcome],
    snapshot: ClusterSnapshot,
) -> Frontend:
    findings = [
        _ref_finding(gateway, listener, o, path, snapshot, refused=True) for o in bad if o.problem != "too-many"
    ]
    first_fix = findings[0].fix if findings else _kind_fix(gateway, path, 0)
    reasons = "; ".join(f"{o.label}: {o.problem}" for o in bad) or "no usable reference"
    istio_one = [o for o in bad if o.problem == "too-many"]
    if istio_one:
        first_fix = gateway.patch([{"op": "replace", "path": path + "/caCertificateRefs", "value": [_raw(parsed[0])]}])
    findings.append(
        Finding(
            code="ca-all-refs-invalid",
            severity=Severity.ERROR,
            title=f"No usable client CA on {gateway.label} port {listener.port}: the HTTPS listener is refused",
            detail=(istio_one[0].detail + ". " if istio_one else "")
            + _consequence(
                gateway,
                listener,
                True,
                snapshot,
                _resolved_refs(gateway, snapshot, bad[0].problem or "") if bad else "",
            )
            + " The HTTP listeners of the Gateway are not affected (conformance "
            "GatewayFrontendInvalidDefaultClientCertificateValidation).",
            fix=first_fix,
            subject=gateway.label,
            evidence=(f"{source}: {reasons}", *_evidence(gateway, listener)),
        )
    )
    return Frontend(
        "none",
        source,
        path,
        ca_refs=tuple(r.label for r in parsed),
        refused=True,
        findings=tuple(findings),
    )


def _raw(ref: CaRef) -> dict[str, str]:
    return {"group": ref.group, "kind": ref.kind, "name": ref.name, "namespace": ref.namespace}


def _fallback_finding(gateway: Gateway, listener: Listener, source: str, path: str) -> Finding:
    rendered = {
        "envoy-gateway": "Envoy Gateway renders it as mode Request: certificate not required, not verified "
        "(helpers.go frontendValidationMode).",
        "istio": "Istio renders it as OPTIONAL_MUTUAL with insecureSkipVerify (conversion.go buildTLS).",
        "nginx-gateway-fabric": "NGINX Gateway Fabric renders ssl_verify_client optional_no_ca, with no CA "
        "(dataplane/configuration.go addClientSettingsToSSLServers).",
    }.get(gateway.implementation, "")
    return Finding(
        code="mtls-fallback-mode",
        severity=Severity.WARNING,  # the objects\' own choice: as ingress-nginx\'s optional (README: exit 0)
        title=f"{gateway.label} port {listener.port} accepts clients without a valid certificate (AllowInsecureFallback)",
        detail="mode AllowInsecureFallback accepts connections even if the client certificate is not presented "
        "or fails verification (gateway_types.go FrontendValidationModeType); the Gateway reports "
        f"InsecureFrontendValidationMode=True. {rendered}",
        fix=gateway.patch([{"op": "replace", "path": f"{path}/mode", "value": "AllowValidOnly"}]),
        subject=gateway.label,
        evidence=(f"{source}: mode AllowInsecureFallback", *_evidence(gateway, listener)),
    )


def _istio_optional_finding(gateway: Gateway, listener: Listener) -> Finding:
    option = f"/spec/listeners/{listener.index}/tls/options/gateway.istio.io~1tls-terminate-mode"
    return Finding(
        code="mtls-fallback-mode",
        severity=Severity.WARNING,  # the objects\' own choice: as ingress-nginx\'s optional (README: exit 0)
        title=f"{gateway.label} listener {listener.name}: option {ISTIO_TERMINATE_MODE}=OPTIONAL_MUTUAL lets clients "
        "without a certificate in",
        detail="Istio forces the listener to OPTIONAL_MUTUAL whatever the frontend mode says (conversion.go buildTLS): "
        "a certificate is verified if one is given, but none is required.",
        fix=gateway.patch([{"op": "replace", "path": option, "value": "MUTUAL"}]),
        subject=gateway.label,
        evidence=(
            f"listener {listener.name} tls.options: {ISTIO_TERMINATE_MODE}=OPTIONAL_MUTUAL",
            *_evidence(gateway, listener),
        ),
    )


def _istio_option_only(gateway: Gateway, listener: Listener, snapshot: ClusterSnapshot) -> Frontend:
    """The option tls-terminate-mode MUTUAL or OPTIONAL_MUTUAL with no frontend validation: Istio
    verifies clients against the CA of the listener's own certificate Secret (conversion.go buildTLS
    sets the mode and no CaCertCredentialName; authentication.go ApplyCredentialSDSToServerCommonTLSContext
    then asks SDS for `<certificate>-cacert`, which secrets.go GetCaCert reads from a Secret of that
    name or from the certificate Secret's `cacert`/`ca.crt`, ExtractRoot). A CA that cannot be read, or
    one SDS denies (OPTIONAL_MUTUAL in every release read: ISTIO_OPTIONAL_CACERT), never arrives, and
    Envoy closes every connection."""
    mode = ISTIO_FORCED[listener.terminate_mode]
    source = f"listener {listener.name} tls.options {ISTIO_TERMINATE_MODE}={listener.terminate_mode}"
    certificate = next(iter(listener.certificate_refs), None)
    if certificate is None:
        return Frontend("none", "", "")
    namespace, _, name = certificate.partition("/")
    label = f"Secret {certificate}"
    findings: tuple[Finding, ...] = ()
    if mode == "verify-if-given":
        release = release_for(snapshot, "istio")
        if release.at <= ISTIO_NEWEST_READ:
            denied = _istio_own_ca_denied(gateway, listener, release, label)
            return Frontend(mode, source, "", ca_refs=(label,), findings=(denied,), breakage="connection-closed")
        findings += (_istio_optional_finding(gateway, listener), unchecked(release, gateway.label, _ISTIO_OWN_CA))
    own = object_data(snapshot, "Secret", namespace, f"{name}-cacert") or object_data(
        snapshot, "Secret", namespace, name
    )
    if own is None:
        return Frontend(mode, source, "", ca_refs=(label,), findings=findings, unseen=(label,))
    pem = next((own[k] for k in RULES["istio"].keys if own.get(k)), None)
    if pem is None:
        return Frontend(
            mode,
            source,
            "",
            ca_refs=(label,),
            findings=(*findings, _istio_own_ca_missing(gateway, listener, label)),
            breakage="connection-closed",
        )
    return Frontend(mode, source, "", ca_refs=(label,), ca_pem=pem, findings=findings)


def _istio_unknown_mode(gateway: Gateway, listener: Listener) -> Finding:
    """conversion.go buildTLS switches on the option's value: one it does not know matches no case,
    and the listener stays SIMPLE (TLS, no client certificate), without a word in its status."""
    option = f"/spec/listeners/{listener.index}/tls/options/gateway.istio.io~1tls-terminate-mode"
    meant = next(iter(difflib.get_close_matches(listener.terminate_mode.upper(), list(ISTIO_FORCED), n=1)), "MUTUAL")
    return Finding(
        code="mtls-fail-open",
        severity=Severity.ERROR,
        title=f"{gateway.label} listener {listener.name}: {ISTIO_TERMINATE_MODE}={listener.terminate_mode} is no mode "
        "Istio knows: the listener serves TLS without asking for a client certificate",
        detail="Istio's Gateway API conversion (pilot/pkg/config/kube/gateway/conversion.go buildTLS) reads MUTUAL, "
        "OPTIONAL_MUTUAL, ISTIO_SIMPLE and ISTIO_MUTUAL; any other value matches no case and the listener stays "
        f"SIMPLE. The fix writes {meant}, the value it was closest to.",
        fix=gateway.patch([{"op": "replace", "path": option, "value": meant}]),
        subject=gateway.label,
        evidence=(f"listener {listener.name} tls.options: {ISTIO_TERMINATE_MODE}={listener.terminate_mode}",),
    )


_ISTIO_OWN_CA = (
    "An OPTIONAL_MUTUAL listener's `<certificate>-cacert` is authorized for SDS in MUTUAL only "
    "(pilot/pkg/model/gateway.go mergeGateways) in every Istio release read, through 1.30.3 and 1.31.0-rc.0; "
    "master fixed it (commit f1a56063393, #60618), in no release read."
)


def _istio_own_ca_denied(gateway: Gateway, listener: Listener, release: ControllerRelease, label: str) -> Finding:
    option = f"/spec/listeners/{listener.index}/tls/options/gateway.istio.io~1tls-terminate-mode"
    return Finding(
        code="ca-sds-denied",
        severity=Severity.ERROR,
        title=f"{gateway.label} listener {listener.name}: {release.named} denies the client CA of {label} to "
        "OPTIONAL_MUTUAL: every connection is closed in the handshake",
        detail=_ISTIO_OWN_CA + " pilot/pkg/xds/sds.go denies it, the validation context never arrives, and Envoy "
        "closes every connection (measured: downstream_context_secrets_not_ready). MUTUAL gets the CA.",
        fix=gateway.patch([{"op": "replace", "path": option, "value": "MUTUAL"}]),
        subject=gateway.label,
        evidence=(
            f"listener {listener.name} tls.options: {ISTIO_TERMINATE_MODE}=OPTIONAL_MUTUAL",
            f"controller {release.named}",
        ),
    )


def _istio_own_ca_missing(gateway: Gateway, listener: Listener, label: str) -> Finding:
    namespace, _, name = label.removeprefix("Secret ").partition("/")
    return Finding(
        code="ca-ref-no-ca-key",
        severity=Severity.ERROR,
        title=f"{gateway.label} listener {listener.name} verifies clients against {label}, which holds no CA: "
        "every connection is closed in the handshake",
        detail=f"With {ISTIO_TERMINATE_MODE}={listener.terminate_mode} and no frontend validation, the client CA is the "
        "certificate Secret's `cacert` or `ca.crt` (pilot/pkg/credentials/kube/secrets.go GetCaCert, ExtractRoot: "
        '"found secret, but didn\'t have expected keys"); SDS sends no validation context and Envoy closes every '
        "connection.",
        fix=add_ca_command(f"{namespace}/{name}"),
        subject=gateway.label,
        evidence=(
            f"{label}: no cacert, no ca.crt",
            f"listener {listener.name} tls.options: {ISTIO_TERMINATE_MODE}={listener.terminate_mode}",
        ),
    )


def _validation_off(gateway: Gateway, listener: Listener, source: str, path: str) -> Frontend:
    """A perPort entry without `validation` (G14): validation off on that port, for every listener."""
    entry = path.removesuffix("/tls/validation")
    finding = Finding(
        code="mtls-fail-open",
        severity=Severity.ERROR,
        title=f"{gateway.label} {source} turns client validation off on port {listener.port}",
        detail=f"A perPort entry overrides frontend.default for every HTTPS listener on port {listener.port}; this one "
        "has no validation, so no client certificate is asked there (Envoy Gateway listener.go ProcessGatewayTLS: "
        '"An explicit per-port tls override with no validation disables frontend default validation on that port").',
        fix=gateway.patch([{"op": "remove", "path": entry}]),
        subject=gateway.label,
        evidence=(f"{source}: tls without validation", *_evidence(gateway, listener)),
    )
    return Frontend("none", source, path, findings=(finding,))


def _not_applied(gateway: Gateway, listener: Listener, source: str, path: str, validation: dict[str, Any]) -> Frontend:
    """A TLS listener of an implementation that applies spec.tls.frontend to HTTPS listeners only
    (TLS_FRONTEND): it terminates TLS and asks no client certificate, whatever the frontend says."""
    where = {
        "envoy-gateway": "Envoy Gateway skips every listener whose protocol is not HTTPS (internal/gatewayapi/"
        'listener.go ProcessGatewayTLS: "Frontend TLS validation only applies to HTTPS listeners"); a '
        "ClientTrafficPolicy on the listener does validate TLS listeners (clienttrafficpolicy.go "
        "translateClientTrafficPolicyForListener, buildListenerTLSParameters on the TCP listener).",
    }.get(gateway.implementation, "")
    finding = Finding(
        code="frontend-validation-not-applied",
        severity=Severity.ERROR,
        title=f"{gateway.label} listener {listener.name} (protocol TLS) asks no client certificate: "
        f"{source} is applied to HTTPS listeners only",
        detail="The API applies spec.tls.frontend to Listeners handling HTTPS traffic (apis/v1/gateway_types.go "
        f"FrontendTLSConfig). {where} This listener terminates TLS and passes every client to its routes."
        + (
            ""
            if gateway.implementation == "envoy-gateway"
            else " The fix makes it an HTTPS listener; then route it with HTTPRoutes: client certificates are "
            "checked on HTTPS listeners only."
        ),
        fix=_tls_listener_fix(gateway, listener, validation),
        subject=gateway.label,
        evidence=(f"listener {listener.name}: protocol TLS, tls.mode Terminate", *_evidence(gateway, listener)),
    )
    return Frontend("none", source, path, findings=(finding,))


def _ngf_tls_terminate(
    gateway: Gateway, listener: Listener, entry: tuple[str, str, dict[str, Any] | None] | None
) -> Frontend:
    """NGINX Gateway Fabric v2.6.7 accepts a TLS listener in Passthrough mode only
    (graph/gateway_listener.go validateTLSFieldOnTLSListener: "Mode must be passthrough for TLS
    listener", Accepted=False UnsupportedValue): one that terminates is invalid, gets no server
    (dataplane/configuration.go buildServers skips TLS listeners, buildPassthroughServers invalid ones)
    and nobody gets in, with or without spec.tls.frontend."""
    source, path, _ = entry or ("", "", None)
    finding = Finding(
        code="tls-listener-not-supported",
        severity=Severity.ERROR,
        title=f"{gateway.label} listener {listener.name} (protocol TLS, tls.mode Terminate) is refused by NGINX "
        "Gateway Fabric: nothing serves it",
        detail="NGINX Gateway Fabric takes a TLS listener in Passthrough mode only (internal/controller/state/graph/"
        'gateway_listener.go validateTLSFieldOnTLSListener: "Mode must be passthrough for TLS listener"; the '
        "listener is Accepted=False UnsupportedValue) and renders no server for it, so no client gets in. "
        "Client certificates are checked on HTTPS listeners only (the tls configurator has no "
        "frontendTLSCaCertReferenceResolvers). The fix makes it an HTTPS listener; then route it with HTTPRoutes.",
        fix=_tls_listener_fix(gateway, listener, {}),
        subject=gateway.label,
        evidence=(f"listener {listener.name}: protocol TLS, tls.mode Terminate", *_evidence(gateway, listener)),
    )
    return Frontend("none", source, path, refused=True, findings=(finding,))


def _tls_listener_fix(gateway: Gateway, listener: Listener, validation: dict[str, Any]) -> str:
    """Envoy Gateway: a ClientTrafficPolicy on the listener with the frontend's CA references
    (AllowInsecureFallback → mode Request, as helpers.go frontendValidationMode renders it). NGINX
    Gateway Fabric: the listener becomes HTTPS (its TLSRoutes then need to be HTTPRoutes)."""
    name, namespace = gateway.resource.name, gateway.resource.namespace
    if gateway.implementation != "envoy-gateway":
        return gateway.patch(
            [{"op": "replace", "path": f"/spec/listeners/{listener.index}/protocol", "value": "HTTPS"}]
        )
    client: dict[str, Any] = {"caCertificateRefs": as_list(validation.get("caCertificateRefs"))}
    if text(validation.get("mode")) == "AllowInsecureFallback":
        client["mode"] = "Request"
    policy = {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1",
        "kind": "ClientTrafficPolicy",
        "metadata": {"name": f"{name}-{listener.name}-client-validation"[:63].rstrip("-."), "namespace": namespace},
        "spec": {
            "targetRefs": [{"group": GATEWAY_GROUP, "kind": "Gateway", "name": name, "sectionName": listener.name}],
            "tls": {"clientValidation": client},
        },
    }
    return f"printf '%s' {json_arg(policy)} | kubectl apply -f -"


def _legacy(gateway: Gateway, listener: Listener, snapshot: ClusterSnapshot) -> Frontend:
    """`listeners[].tls.frontendValidation` (v1.1–v1.3 experimental, no mode: G9). The known
    implementations at their current source read only spec.tls.frontend (Envoy Gateway since
    v1.8.0, commit 77965c33 "impl gateway tls.frontend"; istio conversion.go buildTLS; NGF
    gateway_listener.go), so for them the field does nothing: fail open."""
    refs = listener.legacy_refs or ()
    path = f"/spec/listeners/{listener.index}/tls/frontendValidation"
    move = gateway.patch(
        [
            {
                "op": "add",
                "path": "/spec/tls",
                "value": {"frontend": {"default": {"validation": {"caCertificateRefs": list(refs)}}}},
            },
            {"op": "remove", "path": path},
        ]
    )
    source = f"spec.listeners[{listener.index}].tls.frontendValidation (v1.1–v1.3)"
    if gateway.implementation == "gateway-api":
        frontend = resolve_refs(gateway, listener, refs, source, path, snapshot)
        note = Finding(
            code="frontend-validation-legacy",
            severity=Severity.WARNING,
            title=f"{gateway.label} listener {listener.name} uses the v1.1–v1.3 experimental frontendValidation",
            detail="listeners[].tls.frontendValidation exists only in the experimental CRDs of Gateway API v1.1–v1.3; "
            "v1.4 moved it to spec.tls.frontend and a v1.5+ CRD prunes or rejects it. Where it is dropped, the "
            "listener asks no client certificate.",
            fix=move,
            subject=gateway.label,
            evidence=_evidence(gateway, listener),
        )
        return replace(frontend, findings=(*frontend.findings, note))
    finding = Finding(
        code="mtls-fail-open",
        severity=Severity.ERROR,
        title=f"{gateway.label} listener {listener.name}: {gateway.implementation} does not read tls.frontendValidation",
        detail="listeners[].tls.frontendValidation is the Gateway API v1.1–v1.3 experimental field (no mode). "
        f"{gateway.implementation} reads client validation only from spec.tls.frontend, so this listener asks "
        "no client certificate (and a v1.5+ CRD prunes the field). Move the references to spec.tls.frontend.",
        fix=move,
        subject=gateway.label,
        evidence=(
            f"listeners[{listener.index}].tls.frontendValidation: {len(refs)} reference(s)",
            *_evidence(gateway, listener),
        ),
    )
    return Frontend("none", source, path, findings=(finding,))


def unknown_implementation(gateway: Gateway) -> Finding:
    known = ", ".join(sorted(CONTROLLERS))
    if gateway.controller_name is None:
        title = f"{gateway.label}: GatewayClass {gateway.class_name} is not among the objects read"
        fix = f"kubectl get gatewayclass {arg(gateway.class_name)} -o jsonpath='{{.spec.controllerName}}'"
    else:
        title = f"{gateway.label}: implementation {gateway.controller_name} is not known to this tool"
        fix = f"kubectl get gatewayclass {arg(gateway.class_name)} -o yaml"
    return Finding(
        code="gateway-implementation-unknown",
        severity=Severity.WARNING,
        title=title,
        detail="The Gateway is judged by the Gateway API spec's core behaviour only (ConfigMap key ca.crt; "
        "AllowValidOnly refuses without an HTTP response). CA kinds and keys beyond the core, more than one "
        f"reference, verify depth and the refusal's shape are implementation-specific. Known: {known}.",
        fix=fix,
        subject=gateway.label,
        evidence=(f"spec.gatewayClassName: {gateway.class_name}",),
    )


def class_inferred(gateway: Gateway, policy: str) -> Finding:
    """The GatewayClass was not among the files; a ClientTrafficPolicy names the Gateway."""
    return Finding(
        code="gateway-class-inferred",
        severity=Severity.WARNING,
        title=f"{gateway.label}: GatewayClass {gateway.class_name} is not among the files; judged as Envoy Gateway's, "
        f"since {policy} targets it",
        detail="Only Envoy Gateway reads ClientTrafficPolicies (gateway.envoyproxy.io), so the Gateway is read with its "
        "rules. If the GatewayClass names another controller (spec.controllerName), that controller ignores the "
        "policy and the listener asks for no client certificate. The command prints the controller that serves the "
        f"class; Envoy Gateway's is {_EG_CONTROLLER}.",
        fix=f"kubectl get gatewayclass {arg(gateway.class_name)} -o jsonpath='{{.spec.controllerName}}'",
        subject=gateway.label,
        evidence=(f"spec.gatewayClassName: {gateway.class_name}", f"targeted by {policy}"),
    )


_EG_CONTROLLER = next(name for name, implementation in CONTROLLERS.items() if implementation == "envoy-gateway")


# --- ClientValidation --------------------------------------------------------------------------

Overlay = Callable[[Gateway, Listener, Frontend], "ListenerResult"]


@dataclass(frozen=True)
class ListenerResult:
    """What decides one listener, after any implementation-specific overlay (Envoy Gateway's
    ClientTrafficPolicy)."""

    mode: ClientCertMode
    scope: Scope
    ca_refs: tuple[str, ...]
    ca_pem: bytes | None
    decided_by: tuple[str, ...]
    findings: tuple[Finding, ...]
    breakage: Breakage | None
    verify_depth: int | None = None
    crl: bool = False
    crl_pem: bytes | None = None  # Envoy Gateway's crl.refs data, joined (clienttrafficpolicy.go)
    crl_leaf_only: bool = False  # Envoy Gateway's crl.onlyVerifyLeafCertificate
    conditions: tuple[str, ...] = ()
    unseen: tuple[str, ...] = ()
    allow_expired: bool = False  # Envoy Gateway's allowExpiredCertificate
    pins: Pins | None = None  # Envoy Gateway's certificateHashes and spkiHashes
    sans: SanMatchers | None = None  # Envoy Gateway's subjectAltNames


def plain_result(gateway: Gateway, listener: Listener, frontend: Frontend) -> ListenerResult:
    decided = (f"{gateway.label} {frontend.source}",) if frontend.source else (gateway.label,)
    return ListenerResult(
        mode=frontend.mode,
        scope="port",
        ca_refs=frontend.ca_refs,
        ca_pem=frontend.ca_pem,
        decided_by=decided,
        findings=frontend.findings,
        breakage="listener-refused" if frontend.refused else frontend.breakage,
        verify_depth=frontend.verify_depth,
        unseen=frontend.unseen,
    )


def validations(gateway: Gateway, snapshot: ClusterSnapshot, overlay: Overlay | None = None) -> list[ClientValidation]:
    """One ClientValidation per host of each HTTPS listener."""
    extra = (unknown_implementation(gateway),) if gateway.implementation == "gateway-api" else ()
    if gateway.controller_name is None and gateway.implementation == "envoy-gateway":
        extra = (class_inferred(gateway, inferred_from(gateway.resource, snapshot)),)
    # who serves the Gateway decides the verdict: a GatewayClass not read, or an implementation whose
    # rules beyond the spec's core this tool does not know, leaves it unverified (never `works`)
    if gateway.controller_name is None:
        unread: tuple[str, ...] = (f"GatewayClass {gateway.class_name}",)
    elif gateway.implementation == "gateway-api":
        unread = (f"the rules of {gateway.controller_name}",)
    else:
        unread = ()
    results = []
    for listener in gateway.listeners:
        frontend = frontend_for(gateway, listener, snapshot)
        result = overlay(gateway, listener, frontend) if overlay else plain_result(gateway, listener, frontend)
        results.append((listener, result))
    results = _ngf_server_secrets(gateway, results, snapshot)
    results = _ngf_whole_config(gateway, results)
    scope_findings = _port_scope(gateway, results)
    out = []
    for listener, result in results:
        for host in listener.hosts:
            shared = _shared_hosts(gateway, listener, result.scope, host)
            out.append(
                ClientValidation(
                    implementation=gateway.implementation,
                    data_plane=DATA_PLANES.get(gateway.implementation, "unknown"),
                    host=host,
                    port=listener.port,
                    scope=result.scope,
                    shared_with=shared,
                    mode=result.mode,
                    ca_refs=result.ca_refs,
                    ca_pem=result.ca_pem,
                    decided_by=result.decided_by,
                    findings=(
                        *extra,
                        *result.findings,
                        *scope_findings.get(listener.port, ()),
                        *_depth(snapshot, gateway, host, result),
                    ),
                    breakage=result.breakage,
                    verify_depth=result.verify_depth,
                    crl=result.crl,
                    crl_pem=result.crl_pem,
                    crl_leaf_only=result.crl_leaf_only,
                    conditions=(*gateway.conditions, *listener.conditions, *result.conditions),
                    unseen=(*unread, *result.unseen),
                    allow_expired=result.allow_expired,
                    pins=result.pins,
                    sans=result.sans,
                    refused_answer=_ngf_refused_answer(gateway, listener, result, results),
                )
            )
    return out


def _ngf_server_secrets(
    gateway: Gateway, results: list[tuple[Listener, ListenerResult]], snapshot: ClusterSnapshot
) -> list[tuple[Listener, ListenerResult]]:
    """NGINX Gateway Fabric: a listener whose every certificate Secret it refuses is invalid and gets no
    server (ngf_server_secret.py); the client's answer is _ngf_refused_answer's."""
    if gateway.implementation != "nginx-gateway-fabric":
        return results
    refused = {listener.name: refused_certificates(listener.certificate_refs, snapshot) for listener, _ in results}
    out = []
    for listener, result in results:
        messages = refused[listener.name]
        if not messages:
            out.append((listener, result))
            continue
        served = any(not refused[o.name] and o.port == listener.port for o, _ in results if o.protocol == "HTTPS")
        answer = "nginx's default server rejects the handshake (TLS alert 112)" if served else "nothing listens"
        label = f"{gateway.label} listener {listener.name}"
        finding = server_secret_finding(label, listener.certificate_refs[0], messages, answer)
        out.append((listener, replace(result, breakage="listener-refused", findings=(finding, *result.findings))))
    return out


def _ngf_whole_config(
    gateway: Gateway, results: list[tuple[Listener, ListenerResult]]
) -> list[tuple[Listener, ListenerResult]]:
    """NGINX Gateway Fabric renders one nginx configuration per Gateway: when nginx refuses it
    (config-reload-fails), none of it is applied, so every listener of the Gateway keeps what the
    previous configuration said (status/prepare_requests.go marks each listener Programmed=False)."""
    if gateway.implementation != "nginx-gateway-fabric":
        return results
    cause = next((f for _, r in results for f in r.findings if f.code == "config-reload-fails"), None)
    if cause is None:
        return results
    return [
        (listener, replace(result, breakage="config-rejected", findings=(cause, *result.findings)))
        if cause not in result.findings
        else (listener, replace(result, breakage="config-rejected"))
        for listener, result in results
    ]


def _ngf_refused_answer(
    gateway: Gateway, listener: Listener, result: ListenerResult, results: list[tuple[Listener, ListenerResult]]
) -> WireAnswer | None:
    """What a client of a refused listener gets from NGINX Gateway Fabric (v2.6.7): an invalid listener
    gets no server (internal/controller/state/dataplane/configuration.go buildServers: `if l.Valid`).
    Every HTTPS listener of a port reads the same frontend entry (graph/gateway_listener.go
    createFrontendTLSCaCertReferenceResolver: perPort by port, else default) and the same objects, so
    when one is refused all are, the host-less ones too; an HTTP listener on the port would conflict
    (createPortConflictResolver), and a TLS listener is valid only in Passthrough mode
    (validateTLSFieldOnTLSListener). So no server of the port terminates TLS and nothing listens there:
    the connection is refused (hpr.listenersExist false; measured). A valid Passthrough listener on the
    port (it must have a hostname: one without overlaps every HTTPS hostname and both are invalid,
    createPortConflictResolver with haveOverlap) keeps a stream server with ssl_preread there, whose map
    sends an unknown name to the `connection-closed-server` socket (`return "";`: nginx/config/maps.go
    createStreamMaps, stream_servers_template.go): the connection is closed in the handshake."""
    if gateway.implementation != "nginx-gateway-fabric" or result.breakage != "listener-refused":
        return None
    if any(  # another listener of the port has its server: nginx's default ssl server rejects the name
        other.port == listener.port and other.protocol == "HTTPS" and done.breakage != "listener-refused"
        for other, done in results
    ):
        return WireAnswer("tls-alert", alert=112)
    spec = as_dict(gateway.resource.body.get("spec"))
    https = [other.hostname for other in gateway.listeners if other.port == listener.port and other.protocol == "HTTPS"]
    for raw in map(as_dict, as_list(spec.get("listeners"))):
        mode, hostname = text(as_dict(raw.get("tls")).get("mode")), text(raw.get("hostname")) or None
        passthrough = raw.get("port") == listener.port and text(raw.get("protocol")) == "TLS" and mode == "Passthrough"
        if passthrough and not any(_ngf_overlap(hostname, other) for other in https):
            return WireAnswer("connection-closed")
    return WireAnswer("refused")


def _ngf_overlap(one: str | None, two: str | None) -> bool:
    """graph/gateway_listener.go haveOverlap: no hostname overlaps every one; `*.x` overlaps names ending `.x`."""
    if one is None or two is None or one == two:
        return True
    return any(a.startswith("*.") and b.endswith(a[1:]) for a, b in ((one, two), (two, one)))


def _depth(snapshot: ClusterSnapshot, gateway: Gateway, host: str, result: ListenerResult) -> tuple[Finding, ...]:
    found = verify_depth_ignored(
        snapshot,
        host=host,
        implementation=gateway.implementation,
        data_plane=DATA_PLANES.get(gateway.implementation, "unknown"),
        mode=result.mode,
        verify_depth=result.verify_depth,
        subject=gateway.label,
    )
    return (found,) if found else ()


def _shared_hosts(gateway: Gateway, listener: Listener, scope: Scope, host: str) -> tuple[str, ...]:
    if scope == "port":
        hosts = [h for other in gateway.listeners if other.port == listener.port for h in other.hosts]
    else:
        hosts = list(listener.hosts)
    return tuple(h for h in dict.fromkeys(hosts) if h != host)


def _port_scope(gateway: Gateway, results: list[tuple[Listener, ListenerResult]]) -> dict[int, tuple[Finding, ...]]:
    """mtls-port-scope: listeners on one port whose client validation differs. One TLS
    connection may carry requests for several of the port's names (HTTP/2 reuse), so the weaker
    setting can be reached with the stronger name (docs/successors.md G1, E12)."""
    out: dict[int, tuple[Finding, ...]] = {}
    for port in sorted({listener.port for listener, _ in results}):
        on_port = [(listener, result) for listener, result in results if listener.port == port]
        kinds = {(result.mode, result.breakage) for _, result in on_port}
        if len(kinds) < 2:
            continue
        lines = tuple(
            f"listener {listener.name} ({', '.join(listener.hosts)}): {result.mode}"
            + (f", {result.breakage}" if result.breakage else "")
            for listener, result in on_port
        )
        out[port] = (
            Finding(
                code="mtls-port-scope",
                severity=Severity.WARNING,
                title=f"{gateway.label} port {port}: listeners differ in client validation",
                detail="Client validation is chosen per TLS connection (by SNI), but an HTTP/2 connection may be "
                "reused for another name of the same port and certificate; Envoy Gateway forces http/1.1 when "
                "certificates overlap unless alpnProtocols is set (listener.go checkOverlappingCertificates). "
                "Keep hosts that need client certificates on their own port.",
                fix=_scope_fix(gateway, on_port),
                subject=gateway.label,
                evidence=lines,
            ),
        )
    return out


def _scope_fix(gateway: Gateway, on_port: list[tuple[Listener, ListenerResult]]) -> str:
    """The edit: the listeners that do not enforce move to a port of their own."""
    weak = [listener for listener, result in on_port if result.mode != "require-and-verify" or result.breakage]
    moves = ", ".join(f"spec.listeners[{listener.index}].port: 8443 ({listener.name})" for listener in weak)
    return f"edit {gateway.label}: {moves}; then give port 8443 its own spec.tls.frontend.perPort entry if it needs one"


def read(snapshot: ClusterSnapshot) -> list[ClientValidation]:
    """Gateways served by anything but Envoy Gateway (envoy_gateway.py reads those). The
    frontend path checks no validity dates (only Envoy Gateway's ClientTrafficPolicy does: E3)."""
    found: list[ClientValidation] = []
    for gateway in gateways(snapshot):
        if gateway.implementation != "envoy-gateway":
            found += validations(gateway, snapshot)
    return found
