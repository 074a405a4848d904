"""Kubernetes JSON (from the API or from manifest files) into model objects.

Both sources hand us the same dict shapes, so one set of converters serves the
cluster reader and `check --manifests`. Old Ingress API versions are normalised here
(their backend fields differ; the parts the controller's mTLS logic reads do not).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from mtls_tui.certs.secret_data import secret_values
from mtls_tui.errors import InputError
from mtls_tui.model import (
    ANNOTATIONS_PREFIX,
    ClusterSnapshot,
    ControllerObj,
    EventObj,
    Finding,
    IngressClassObj,
    IngressObj,
    IngressPath,
    IngressTLS,
    KubeResource,
    NamespaceObj,
    PodObj,
    SecretObj,
    Severity,
)
from mtls_tui.policy.api_validation import api_refusals, api_refused_finding, secret_refusals
from mtls_tui.policy.controller_images import controllers_from as successor_controllers_from
from mtls_tui.policy.go_bools import GO_BOOLS
from mtls_tui.policy.ingress_nginx.releases import release_of
from mtls_tui.policy.label_selector import parse_selector
from mtls_tui.policy.listener_sets import unread_listener_sets
from mtls_tui.policy.refused_objects import schema_findings as schema_findings_for
from mtls_tui.policy.values import as_dict, as_list

NGINX_CONTROLLER = "k8s.io/ingress-nginx"
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
# kubectl apply's copy of the object it applied (the whole object as JSON): bookkeeping for its
# next three-way merge, which no controller reads.
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
CONTROLLER_LABELS = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _count(value: Any, default: int = 0) -> int:
    """A count from the API or a file (`count`, `restartCount`): a number, or `default` when it
    is missing or not a whole number (a hand-written manifest may say "3", "many" or 1e400)."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?[0-9]{1,18}\s*", value):
        return int(value)
    return default


def ingress_from(obj: dict[str, Any]) -> IngressObj:
    meta, spec = _meta(obj), as_dict(obj.get("spec"))
    annotations = {str(k): str(v) for k, v in as_dict(meta.get("annotations")).items()}
    if spec.get("ingressClassName"):
        ingress_class, source = str(spec["ingressClassName"]), "spec.ingressClassName"
    elif CLASS_ANNOTATION in annotations:
        ingress_class, source = annotations[CLASS_ANNOTATION], "annotation"
    else:
        ingress_class, source = None, "none"
    rules = [rule for rule in as_list(spec.get("rules")) if isinstance(rule, dict)]
    hosts = tuple(dict.fromkeys(str(rule.get("host") or "*") for rule in rules))
    with_http = {str(rule.get("host") or "*") for rule in rules if isinstance(rule.get("http"), dict)}
    tls = tuple(
        IngressTLS(tuple(str(h) for h in as_list(entry.get("hosts"))), entry.get("secretName"))
        for entry in as_list(spec.get("tls"))
        if isinstance(entry, dict)
    )
    lb = as_list(as_dict(as_dict(obj.get("status")).get("loadBalancer")).get("ingress"))
    addresses = tuple(
        str(a.get("ip") or a.get("hostname")) for a in lb if isinstance(a, dict) and (a.get("ip") or a.get("hostname"))
    )
    return IngressObj(
        namespace=str(meta.get("namespace") or "default"),
        name=str(meta.get("name") or "?"),
        api_version=str(obj.get("apiVersion") or "networking.k8s.io/v1"),
        annotations=tuple(sorted(annotations.items())),
        ingress_class=ingress_class,
        class_source=source,
        hosts=hosts,
        tls=tls,
        created=str(meta.get("creationTimestamp") or ""),
        uid=str(meta.get("uid") or ""),
        addresses=addresses,
        paths=tuple(_paths(spec)),
        bare_hosts=tuple(h for h in hosts if h not in with_http and h != "*"),  # `_` is exempt
        # store.go hasCatchAllIngressRule: `spec.DefaultBackend != nil` (v1beta1's `backend`, as the API converts it)
        default_backend=spec.get("defaultBackend", spec.get("backend")) is not None,
    )


def _ingress_from_file(obj: dict[str, Any]) -> IngressObj:
    return replace(ingress_from(obj), refused=api_refusals(obj))


def _secret_from_file(obj: dict[str, Any]) -> tuple[SecretObj, Finding | None]:
    """A file's Secret, with what the API server refuses in it. A `data` value that is not base64
    does not even decode (kube-apiserver answers 400 to the whole object): that Secret is refused
    too, its keys kept without values, and said with the files' findings (a host that names it gets
    secret-refused-by-api), so the rest of the files is still judged: one bad object, not the set."""
    try:
        secret = secret_from(obj)
    except InputError as exc:
        meta = _meta(obj)
        data, written = as_dict(obj.get("data")), as_dict(obj.get("stringData"))
        refused = SecretObj(
            str(meta.get("namespace") or "default"),
            str(meta.get("name") or "?"),
            str(obj.get("type") or "Opaque"),
            tuple((str(k), b"") for k in [*data, *(k for k in written if k not in data)]),
            refused=(f"{exc.where}: {exc.problem}",),
        )
        return refused, Finding(
            code="input-unreadable",
            severity=Severity.ERROR,
            title=f"{exc.where}: {exc.problem}",
            detail="kube-apiserver cannot decode this Secret (illegal base64 data), so `kubectl apply` fails and it "
            "never exists; the other objects of the files were read and judged. Put the value's base64 under "
            "data:, or the text itself under stringData:.",
            fix="",  # the change is to the file, which only its author can make
            subject=f"Secret {refused.ref}",
        )
    return replace(secret, refused=secret_refusals(secret, obj)), None


def _paths(spec: dict[str, Any]) -> Iterable[IngressPath]:
    """Each rule's paths with their backend, in v1 form (`service.name`, `service.port.number|name`)
    or the removed v1beta1 form (`serviceName`, `servicePort`)."""
    for rule in as_list(spec.get("rules")):
        if not isinstance(rule, dict):
            continue
        host = str(rule.get("host") or "*")
        for entry in as_list(as_dict(rule.get("http")).get("paths")):
            if not isinstance(entry, dict):
                continue
            backend = as_dict(entry.get("backend"))
            service = as_dict(backend.get("service"))
            name = service.get("name") or backend.get("serviceName")
            port: Any = as_dict(service.get("port")) if service else backend.get("servicePort")
            number, port_name = (port.get("number"), port.get("name")) if isinstance(port, dict) else (port, None)
            if isinstance(number, str) and not number.isdigit():  # v1beta1: servicePort may be a port's name
                number, port_name = None, number
            yield IngressPath(
                host=host,
                path=str(entry.get("path") or "/"),
                path_type=str(entry.get("pathType") or "ImplementationSpecific"),
                service=str(name) if name else None,
                port_number=_count(number) or None,
                port_name=str(port_name) if port_name else None,
            )


def secret_from(obj: dict[str, Any]) -> SecretObj:
    """The Secret's values as the API server stores them (`secret_values`: InputError for a `data`
    value it refuses, which only a manifest file can hold)."""
    meta = _meta(obj)
    namespace, name = str(meta.get("namespace") or "default"), str(meta.get("name") or "?")
    data = secret_values(obj, f"Secret {namespace}/{name}")
    return SecretObj(namespace, name, str(obj.get("type") or "Opaque"), tuple(data.items()))


def ingress_class_from(obj: dict[str, Any]) -> IngressClassObj:
    meta = _meta(obj)
    annotations = as_dict(meta.get("annotations"))
    return IngressClassObj(
        name=str(meta.get("name") or "?"),
        controller=str(as_dict(obj.get("spec")).get("controller") or ""),
        is_default=str(annotations.get(DEFAULT_CLASS_ANNOTATION, "")).lower() == "true",
    )


def pod_from(obj: dict[str, Any]) -> PodObj:
    meta, status = _meta(obj), as_dict(obj.get("status"))
    statuses = [s for s in as_list(status.get("containerStatuses")) if isinstance(s, dict)]
    containers = tuple(
        str(c.get("name")) for c in as_list(as_dict(obj.get("spec")).get("containers")) if isinstance(c, dict)
    )
    return PodObj(
        namespace=str(meta.get("namespace") or "default"),
        name=str(meta.get("name") or "?"),
        phase=str(status.get("phase") or "Unknown"),
        ready=bool(statuses) and all(s.get("ready") for s in statuses),
        containers=containers,
        restarts=sum(_count(s.get("restartCount")) for s in statuses),
        labels=tuple(sorted((str(k), str(v)) for k, v in as_dict(meta.get("labels")).items())),
    )


# The controller's boolean flags that change what it serves (pkg/flags/flags.go, flags.Bool).
# pflag gives a boolean flag a value only with `=`: `--enable-ssl-passthrough false` is the
# flag set to true, then a stray argument (spf13/pflag parseLongArg, NoOptDefVal "true").
BOOL_FLAGS = frozenset(
    {
        "watch-ingress-without-class",
        "enable-ssl-passthrough",
        "enable-annotation-validation",
        "ingress-class-by-name",
        "disable-catch-all",
    }
)


def _flags(args: list[str]) -> dict[str, str]:
    """`--ingress-class=nginx`, `--flag value` and bare `--flag` (true), as Go's pflag reads them."""
    flags: dict[str, str] = {}
    i = 0
    while i < len(args):
        arg = str(args[i])
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            if not eq and name not in BOOL_FLAGS and i + 1 < len(args) and not str(args[i + 1]).startswith("-"):
                value, i = str(args[i + 1]), i + 1
            flags[name] = value if (eq or value) else "true"
        i += 1
    return flags


def is_controller(obj: dict[str, Any]) -> bool:
    labels = as_dict(_meta(obj).get("labels"))
    return all(labels.get(k) == v for k, v in CONTROLLER_LABELS.items())


def config_map_ref(deployment: dict[str, Any]) -> str | None:
    """The ConfigMap a controller reads its settings from: `--configmap` (pkg/flags/flags.go), in
    which the chart writes `$(POD_NAMESPACE)`, the kubelet's expansion of the pod's namespace."""
    value = _flags(_controller_args(deployment)).get("configmap", "")
    namespace = str(_meta(deployment).get("namespace") or "default")
    value = value.replace("$(POD_NAMESPACE)", namespace)
    return value if value.count("/") == 1 and all(value.split("/")) else None


def _controller_args(deployment: dict[str, Any]) -> list[str]:
    template = as_dict(as_dict(deployment.get("spec")).get("template"))
    containers = [c for c in as_list(as_dict(template.get("spec")).get("containers")) if isinstance(c, dict)]
    main = next((c for c in containers if c.get("name") == "controller"), containers[0] if containers else {})
    return [str(a) for a in as_list(main.get("args"))]


def config_bool(value: bool) -> str:
    """A boolean as an annotation or a ConfigMap writes it (`ssl-redirect: "false"`): the words a
    user greps the objects for, not Python's True/False."""
    return '"true"' if value else '"false"'


def _go_bool(value: str) -> bool:
    return GO_BOOLS.get(value, False)


def _security_defaults(image: str) -> tuple[bool, str]:
    """The ConfigMap's defaults for allow-cross-namespace-resources and annotations-risk-level,
    by release (internal/ingress/controller/config/config.go NewDefault at each tag): v1.9 to
    v1.11 allowed cross-namespace Secrets and every risk (true, "Critical"); v1.12 turned both
    down (false, "High"). Before v1.9 neither check existed: the same as allowing all. An image
    whose tag gives no release is read as the current release."""
    release = release_of(image)
    return (True, "Critical") if release is not None and release < (1, 12, 0) else (False, "High")


def start_error(flags: Mapping[str, str]) -> str | None:
    """Why the controller exits at start, from flags it refuses (pkg/flags/flags.go ParseFlags):
    a boolean that strconv.ParseBool does not read (pflag), --watch-namespace with
    --watch-namespace-selector ("mutually exclusive"), a selector labels.Parse refuses."""
    for name in sorted(BOOL_FLAGS):
        if name in flags and flags[name] not in GO_BOOLS:
            return f"--{name}={flags[name]} is not a boolean (invalid argument)"
    selector = flags.get("watch-namespace-selector")
    if flags.get("watch-namespace") and selector:
        return "flags --watch-namespace and --watch-namespace-selector are mutually exclusive"
    if selector and parse_selector(selector) is None:
        return f"failed to parse --watch-namespace-selector={selector}"
    return None


def controller_from(
    deployment: dict[str, Any], pods: list[PodObj], config_maps: Mapping[str, Mapping[str, str]] | None = None
) -> ControllerObj:
    """`config_maps`: the ConfigMaps read, by `namespace/name`; None when none could be looked at
    (then a named ConfigMap is `config_seen` False and the defaults are assumed)."""
    meta = _meta(deployment)
    template = as_dict(as_dict(deployment.get("spec")).get("template"))
    containers = [c for c in as_list(as_dict(template.get("spec")).get("containers")) if isinstance(c, dict)]
    main = next((c for c in containers if c.get("name") == "controller"), containers[0] if containers else {})
    flags = _flags(_controller_args(deployment))
    ref = config_map_ref(deployment)
    settings = (config_maps or {}).get(ref or "", {})
    image = str(main.get("image") or "")
    cross_default, risk_default = _security_defaults(image)
    release = release_of(image)
    snippets_default = release is not None and release < (1, 9, 0)  # config.go NewDefault, commit cf889c6c4
    return ControllerObj(
        namespace=str(meta.get("namespace") or "default"),
        name=str(meta.get("name") or "?"),
        ingress_class=flags.get("ingress-class", "nginx"),
        controller_class=flags.get("controller-class", NGINX_CONTROLLER),
        watch_without_class=_go_bool(flags.get("watch-ingress-without-class", "false")),
        # a ConfigMap setting since v1.12, not a flag (config.go AllowCrossNamespaceResources)
        allow_cross_namespace=_go_bool(
            str(settings.get("allow-cross-namespace-resources", str(cross_default).lower()))
        ),
        ssl_passthrough=_go_bool(flags.get("enable-ssl-passthrough", "false")),
        default_certificate=flags.get("default-ssl-certificate") or None,
        watch_namespace=flags.get("watch-namespace") or None,
        annotations_prefix=flags.get("annotations-prefix", ANNOTATIONS_PREFIX.rstrip("/")).rstrip("/") + "/",
        image=image,
        pods=tuple(pods),
        config_map=ref,
        config_seen=ref is None or (config_maps is not None and ref in config_maps),
        annotations_risk_level=str(settings.get("annotations-risk-level") or risk_default),
        annotation_validation=_go_bool(flags.get("enable-annotation-validation", "true")),
        watch_namespace_selector=flags.get("watch-namespace-selector") or None,
        start_error=start_error(flags),
        ssl_redirect=GO_BOOLS.get(str(settings.get("ssl-redirect", "true")), True),
        force_ssl_redirect=GO_BOOLS.get(str(settings.get("force-ssl-redirect", "false")), False),
        word_blocklist=str(settings.get("annotation-value-word-blocklist") or ""),
        allow_snippets=GO_BOOLS.get(str(settings.get("allow-snippet-annotations", "")), snippets_default),
        use_forwarded_headers=GO_BOOLS.get(str(settings.get("use-forwarded-headers", "false")), False),
        use_proxy_protocol=GO_BOOLS.get(str(settings.get("use-proxy-protocol", "false")), False),
        server_snippet=str(settings.get("server-snippet") or ""),
        location_snippet=str(settings.get("location-snippet") or ""),
        http_snippet=str(settings.get("http-snippet") or ""),
        disable_catch_all=_go_bool(flags.get("disable-catch-all", "false")),
        ingress_class_by_name=_go_bool(flags.get("ingress-class-by-name", "false")),
        allowed_response_headers=allowed_headers(str(settings.get("global-allowed-response-headers") or "")),
        pod_labels=tuple((str(k), str(v)) for k, v in as_dict(_meta(template).get("labels")).items()),
    )


def allowed_headers(value: str) -> tuple[str, ...]:
    """template/configmap.go ReadConfig: global-allowed-response-headers split at ',' (splitAndTrimSpace:
    empty fields dropped, each TrimSpace'd), a name customheaders.ValidHeader refuses left out."""
    return tuple(h for h in (p.strip() for p in value.split(",")) if re.fullmatch(r"[a-zA-Z0-9\-_]+", h))


def controllers_from(
    deployments: list[dict[str, Any]],
    pods: list[PodObj],
    config_maps: Mapping[str, Mapping[str, str]] | None = None,
) -> list[ControllerObj]:
    """The ingress-nginx controller Deployments, each with its pods (same namespace, controller labels)."""
    controllers = []
    for deployment in filter(is_controller, deployments):
        namespace = str(_meta(deployment).get("namespace") or "default")
        mine = [
            p
            for p in pods
            if p.namespace == namespace and all(dict(p.labels).get(k) == v for k, v in CONTROLLER_LABELS.items())
        ]
        controllers.append(controller_from(deployment, mine, config_maps))
    return controllers


# The API server sets this label on every Namespace, equal to its name, and keeps it so
# (NamespaceDefaultLabelName, GA in Kubernetes 1.22): manifests rarely write it.
NAME_LABEL = "kubernetes.io/metadata.name"


def namespace_from(obj: dict[str, Any]) -> NamespaceObj:
    name = str(_meta(obj).get("name") or "")
    labels = {str(k): str(v) for k, v in as_dict(_meta(obj).get("labels")).items()}
    labels[NAME_LABEL] = name
    return NamespaceObj(name, tuple(labels.items()))


def event_from(obj: dict[str, Any]) -> EventObj:
    meta, involved = _meta(obj), as_dict(obj.get("involvedObject"))
    return EventObj(
        namespace=str(meta.get("namespace") or "default"),
        kind=str(involved.get("kind") or ""),
        name=str(involved.get("name") or ""),
        type=str(obj.get("type") or "Normal"),
        reason=str(obj.get("reason") or ""),
        message=str(obj.get("message") or ""),
        count=_count(obj.get("count"), 1) or 1,
        last_seen=str(obj.get("lastTimestamp") or obj.get("eventTime") or meta.get("creationTimestamp") or ""),
    )


# The API groups whose objects the successors' readers (policy/successors/) read, and the
# core kinds they need beside Secrets: a CA in a ConfigMap (Gateway API Core support).
SUCCESSOR_GROUPS = frozenset(
    {
        "gateway.networking.k8s.io",
        "gateway.envoyproxy.io",
        "traefik.io",
        "traefik.containo.us",
        "k8s.nginx.org",
        "networking.istio.io",
        "gateway.nginx.org",  # NGINX Gateway Fabric's AuthenticationFilters (ngf_bundle.py auth_filter_refs)
    }
)
# and the Services: the controller's, whose annotations make the cloud load balancer in front of it
# (policy/ingress_nginx/load_balancer.py)
# and the Pods an Istio Gateway's selector picks (policy/successors/istio.py _workload)
SUCCESSOR_CORE_KINDS = frozenset({"ConfigMap", "Service", "Pod"})
# kinds of other built-in groups a successor names as a CA: Envoy Gateway's caCertificateRefs kind
# ClusterTrustBundle (clienttrafficpolicy.go validateAndGetDataAtKeyInRef; certificates.k8s.io)
# and the Deployments: Istio reads a Gateway's credentialName in the namespace of the workload its
# selector picks (policy/successors/istio.py _workload), or the DaemonSet or StatefulSet that runs it
SUCCESSOR_BUILTIN_KINDS = frozenset(
    {
        ("certificates.k8s.io", "ClusterTrustBundle"),
        ("apps", "Deployment"),
        ("apps", "DaemonSet"),
        ("apps", "StatefulSet"),
    }
)


def resource_from(obj: dict[str, Any]) -> KubeResource | None:
    """The object as a `KubeResource` when a successor's reader needs it; None otherwise."""
    api_version = str(obj.get("apiVersion") or "")
    kind = str(obj.get("kind") or "")
    group = api_version.rpartition("/")[0]
    if (
        group not in SUCCESSOR_GROUPS
        and not (group == "" and kind in SUCCESSOR_CORE_KINDS)
        and (group, kind) not in SUCCESSOR_BUILTIN_KINDS
    ):
        return None
    meta = _meta(obj)
    return KubeResource(api_version, kind, str(meta.get("namespace") or ""), str(meta.get("name") or ""), obj)


def snapshot_from_objects(objects: Iterable[dict[str, Any]], source: str, *, complete: bool = True) -> ClusterSnapshot:
    """A snapshot from plain objects: manifest files (`complete` False: an object missing from
    them may still exist, and the controller is known only when its Deployment is among them),
    or the lists the API returned. Each object is turned into the model's as it comes (only
    Deployments wait for their pods), so a reader may hand them over one at a time and free each."""
    ingresses: list[IngressObj] = []
    classes: list[IngressClassObj] = []
    secrets: list[SecretObj] = []
    events: list[EventObj] = []
    pods: list[PodObj] = []
    deployments: list[dict[str, Any]] = []
    resources: list[KubeResource] = []
    refused_resources: list[KubeResource] = []
    namespaces: list[NamespaceObj] = []
    schema_findings: list[Finding] = []  # manifest files: what the API server refuses or prunes

    def secret_from_file(obj: dict[str, Any]) -> SecretObj:
        secret, undecodable = _secret_from_file(obj)
        schema_findings.extend([undecodable] if undecodable else [])
        return secret

    converters: dict[str, tuple[list[Any], Callable[[dict[str, Any]], Any]]] = {
        "Namespace": (namespaces, namespace_from),
        # a file's Ingress may be one the API server refuses; the cluster's were stored
        "Ingress": (ingresses, ingress_from if complete else _ingress_from_file),
        "IngressClass": (classes, ingress_class_from),
        "Secret": (secrets, secret_from if complete else secret_from_file),
        "Event": (events, event_from),
        "Pod": (pods, pod_from),
    }
    for obj in objects:
        kind = obj.get("kind") if isinstance(obj, dict) else None
        if kind == "Deployment":
            deployments.append(obj)
            resources += [r for r in (resource_from(obj),) if r is not None]
        elif isinstance(kind, str) and kind in converters:
            made, convert = converters[kind]
            made.append(convert(obj))
            if kind == "Pod":  # a gateway proxy's pod is a successor's object too (istio.py _workload)
                resources += [r for r in (resource_from(obj),) if r is not None]
        elif isinstance(kind, str) and (resource := resource_from(obj)) is not None:
            refused, pruned = (None, None) if complete else schema_findings_for(resource)
            schema_findings += [f for f in (refused, pruned) if f is not None]
            if refused is None:  # a refused object never exists: the readers do not see it
                resources.append(resource)
            else:
                refused_resources.append(resource)
    settings = {r.ref: as_dict(r.body.get("data")) for r in resources if r.kind == "ConfigMap" and r.group == ""}
    controllers = controllers_from(deployments, pods, settings)
    return ClusterSnapshot(
        source=source,
        ingresses=tuple(ingresses),
        ingress_classes=tuple(classes),
        controllers=tuple(controllers),
        secrets=tuple(s for s in secrets if not s.refused),
        refused_secrets=tuple(s for s in secrets if s.refused),
        events=tuple(events),
        resources=tuple(resources),
        refused_resources=tuple(refused_resources),
        controllers_known=complete or bool(controllers),
        complete=complete,
        namespaces=tuple(namespaces),
        namespaces_read=complete and bool(namespaces),
        successor_controllers=tuple(successor_controllers_from(deployments)),
        unreadable=(*schema_findings, *_hostless_refused(ingresses), *unread_listener_sets(resources)),
    )


def _hostless_refused(ingresses: list[IngressObj]) -> Iterator[Finding]:
    """The refused Ingresses of the files that no host's report names (no rules with a host, no
    defaultBackend): said with the files' findings, never dropped without a word."""
    for ingress in ingresses:
        if ingress.refused and not ingress.hosts and not ingress.default_backend:
            if (finding := api_refused_finding(ingress)) is not None:
                yield finding


def with_objects(snapshot: ClusterSnapshot, objects: Iterable[dict[str, Any]]) -> ClusterSnapshot:
    """The snapshot with more objects in it (a migration's new objects beside the cluster's)."""
    more = snapshot_from_objects(objects, snapshot.source, complete=snapshot.complete)
    return replace(
        snapshot,
        ingresses=snapshot.ingresses + more.ingresses,
        ingress_classes=snapshot.ingress_classes + more.ingress_classes,
        controllers=snapshot.controllers + more.controllers,
        secrets=snapshot.secrets + more.secrets,
        refused_secrets=snapshot.refused_secrets + more.refused_secrets,
        refused_resources=snapshot.refused_resources + more.refused_resources,
        resources=snapshot.resources + more.resources,
        namespaces=snapshot.namespaces + more.namespaces,
        successor_controllers=snapshot.successor_controllers + more.successor_controllers,
        unreadable=snapshot.unreadable + more.unreadable,
    )
