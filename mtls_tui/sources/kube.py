"""Read a cluster as ingress-nginx reads it: the only module that talks to the API server.

The `kubernetes` client costs a noticeable part of a second to import, so it is
imported inside functions, never at module load: the TUI paints first and imports
it in a worker. Each source has its own `ApiClient` built from the kubeconfig; the
process-global default configuration is never touched.

Why the synchronous client: both it and `kubernetes.aio` (aiohttp) ship in the
package; the TUI runs I/O in thread workers anyway, the CLI is sequential, and the
synchronous client imports with no aiohttp. Requests go by path through its
`ApiClient` (`kube_api.py`), raw, and are decoded with `json`: the generated API and
model classes cost more than the requests themselves.

Reads: one LIST per resource type (Ingresses in pages, IngressClasses, controller
Deployments and Pods by label, Events on Ingresses), and one GET per distinct Secret
that an mTLS Ingress references, or, past GET_LIMIT of them, the Secrets in pages:
requests grow with pages, never with Ingresses. A thread fetches the next page of a
LIST while the current one becomes objects.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import queue
import re
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from mtls_tui.diagnose.rendered import unread_note
from mtls_tui.errors import CannotRun, Refused, check_aliases, yaml_input_error
from mtls_tui.model import (
    ClusterSnapshot,
    ControllerObj,
    IngressClassObj,
    IngressObj,
    KubeResource,
    NamespaceObj,
    RenderedConf,
    SecretProblem,
    SuccessorController,
)
from mtls_tui.policy.controller_images import GROUPS, PRODUCTS
from mtls_tui.policy.controller_images import controllers_from as successor_controllers_from
from mtls_tui.policy.ingress_classes import IMPLEMENTATION_OF_CLASS
from mtls_tui.policy.ingress_nginx.annotations import PREFIX
from mtls_tui.policy.ingress_nginx.denials import config_map_references, secret_references
from mtls_tui.policy.ingress_nginx.prefixes import with_controller_prefixes
from mtls_tui.policy.kube_objects import (
    config_map_ref,
    controllers_from,
    event_from,
    ingress_class_from,
    ingress_from,
    is_controller,
    namespace_from,
    pod_from,
    resource_from,
    secret_from,
)
from mtls_tui.policy.nginx_conf import CONF_PATH
from mtls_tui.policy.successors.gateway_api import CONTROLLERS
from mtls_tui.policy.successors.istio import gateway_selectors, selector_text, selects, workload_secrets
from mtls_tui.policy.successors.kinds import (
    TRUST_BUNDLES,
    Refusal,
    not_permitted_finding,
    referenced_objects,
    selects_namespaces,
    served_kinds,
)
from mtls_tui.policy.values import as_dict, text
from mtls_tui.shell import arg
from mtls_tui.sources.kube_api import KubeApi

CONTROLLER_SELECTOR = "app.kubernetes.io/name=ingress-nginx,app.kubernetes.io/component=controller"
# Envoy Gateway's proxy pods (envoyproxy/gateway internal/infrastructure/kubernetes/proxy/resource.go
# EnvoyAppLabel): their container `envoy` writes Envoy's access and connection logs.
ENVOY_PROXY_LABELS = {
    "app.kubernetes.io/name": "envoy",
    "app.kubernetes.io/component": "proxy",
    "app.kubernetes.io/managed-by": "envoy-gateway",
}
LOG_SELECTORS = {
    "ingress-nginx": CONTROLLER_SELECTOR,
    "envoy-gateway": ",".join(f"{k}={v}" for k, v in ENVOY_PROXY_LABELS.items()),
}
PAGE = 500
GET_LIMIT = 20  # referenced Secrets read one by one; more are listed in pages
PREFETCH = 2  # pages of a LIST decoded ahead of the reader
_END = object()  # the last page has been handed over


@dataclass(frozen=True)
class Contexts:
    names: tuple[str, ...]
    current: str | None


def kubeconfig_path(explicit: str | None = None) -> str:
    """--kubeconfig, then the first file of $KUBECONFIG, then ~/.kube/config (as kubectl)."""
    if explicit:
        return explicit
    env = os.environ.get("KUBECONFIG")
    if env:
        return env.split(os.pathsep)[0]
    return os.path.expanduser("~/.kube/config")


# The base64 fields the Kubernetes client decodes itself (with a traceback when they are broken).
DATA_FIELDS = (
    ("clusters", "cluster", ("certificate-authority-data",)),
    ("users", "user", ("client-certificate-data", "client-key-data")),
)


def check_kubeconfig(path: str, context: str | None = None) -> None:
    """Raise CannotRun, with the file and line, for what the Kubernetes client would
    only answer with a traceback: a file that is not YAML or not a mapping, and base64
    fields of the chosen context's cluster and user that do not decode (as kubectl,
    the entries the context does not use are not judged)."""
    import yaml

    try:
        kind_of_file = os.stat(path).st_mode
        if not stat.S_ISREG(kind_of_file):
            what = (
                "a folder"
                if stat.S_ISDIR(kind_of_file)
                else "a named pipe"
                if stat.S_ISFIFO(kind_of_file)
                else "a device or socket"
            )
            raise CannotRun(f"kubeconfig {path} is {what}, not a file")
        with open(path, "rb") as handle:
            root = yaml.compose(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        if root is not None:
            check_aliases(root)
    except OSError as exc:
        raise CannotRun(f"cannot read kubeconfig {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise CannotRun(str(yaml_input_error(exc, f"kubeconfig {path}"))) from None
    except RecursionError:
        raise CannotRun(f"kubeconfig {path}: is nested too deeply to be a kubeconfig") from None
    except Refused as refused:
        raise CannotRun(f"kubeconfig {path}:{refused.node.start_mark.line + 1}: {refused.problem}") from None
    if root is None:
        raise CannotRun(f"kubeconfig {path}: is empty")
    if not isinstance(root, yaml.MappingNode):
        raise CannotRun(
            f"kubeconfig {path}:{root.start_mark.line + 1}: is not a kubeconfig (a YAML mapping with clusters, users and contexts)"
        )
    name = context or _scalar(_child(root, "current-context"))
    chosen = _child(_named(root, "contexts", name), "context") if name else None
    cluster_name = _scalar(_child(chosen, "cluster"))
    server = _child(_child(_named(root, "clusters", cluster_name), "cluster"), "server") if cluster_name else None
    if server is not None:
        problem = server_problem(server.value if isinstance(server, yaml.ScalarNode) else None)
        if problem:
            raise CannotRun(
                f"kubeconfig {path}:{server.start_mark.line + 1}: server of cluster {cluster_name} {problem}"
            )
    for section, kind, fields in DATA_FIELDS:
        entry_name = _scalar(_child(chosen, kind))
        entry = _child(_named(root, section, entry_name), kind) if entry_name else None
        for field in fields:
            node = _child(entry, field)
            if node is None:
                continue
            where = f"kubeconfig {path}:{node.start_mark.line + 1}"
            if not isinstance(node, yaml.ScalarNode):
                raise CannotRun(f"{where}: {field} of {kind} {entry_name} is not a base64 string")
            try:
                base64.b64decode(re.sub(r"\s+", "", node.value), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise CannotRun(f"{where}: {field} of {kind} {entry_name} is not valid base64 ({exc})") from None


def server_problem(server: str | None) -> str | None:
    """Why a kubeconfig's `server` is not a URL the client can use, or None. The client only
    finds out with a traceback (`https://[::1` raises ValueError deep in urllib3)."""
    if not isinstance(server, str):
        return "is not a string (a URL such as https://127.0.0.1:6443)"
    if not server.strip():
        return "is empty (a URL such as https://127.0.0.1:6443)"
    try:
        parts = urlsplit(server if "://" in server else f"https://{server}")
        port = parts.port  # raises ValueError when out of range or not a number
    except ValueError as exc:
        return f"is not a URL: {server!r} ({exc})"
    if parts.scheme not in ("http", "https"):
        return f"is not an http(s) URL: {server!r}"
    if any(ch.isspace() or not ch.isprintable() for ch in server):
        return f"is not a URL: {server!r} (it holds spaces or control characters)"
    if not parts.hostname or port == 0:
        return f"is not a URL: {server!r} (no host{' or port' if port == 0 else ''})"
    return None


def _child(node: Any, key: str) -> Any:
    import yaml

    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    return None


def _scalar(node: Any) -> str | None:
    import yaml

    return node.value if isinstance(node, yaml.ScalarNode) and node.value else None


def _named(root: Any, section: str, name: str | None) -> Any:
    import yaml

    entries = _child(root, section)
    if isinstance(entries, yaml.SequenceNode):
        for item in entries.value:
            if _scalar(_child(item, "name")) == name:
                return item
    return None


def context_names(kubeconfig: str | None = None) -> list[str]:
    """The kubeconfig's context names for the command palette, read as YAML after the same
    checks as a connection: the Kubernetes client stays unimported until one is chosen."""
    import yaml

    path = kubeconfig_path(kubeconfig)
    try:
        check_kubeconfig(path)
        with open(path, "rb") as handle:
            config = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (CannotRun, OSError, yaml.YAMLError):
        return []
    contexts = config.get("contexts") if isinstance(config, dict) else None
    return [c["name"] for c in contexts or [] if isinstance(c, dict) and isinstance(c.get("name"), str)]


def list_contexts(kubeconfig: str | None = None) -> Contexts:
    from kubernetes import config

    path = kubeconfig_path(kubeconfig)
    check_kubeconfig(path)
    try:
        contexts, current = config.list_kube_config_contexts(config_file=path)
    except (config.ConfigException, OSError) as exc:
        raise CannotRun(f"cannot read kubeconfig {path}: {exc}") from None
    return Contexts(tuple(c["name"] for c in contexts), current["name"] if current else None)


class KubeSource:
    """One cluster context. Methods block: call them from a worker thread."""

    def __init__(self, context: str | None = None, namespace: str | None = None, kubeconfig: str | None = None) -> None:
        from kubernetes import client, config

        self.namespace = namespace
        self.requests: list[str] = []  # the API calls made, by client method: for tests and benchmarks
        path = kubeconfig_path(kubeconfig)
        if not os.path.exists(path) and os.environ.get("KUBERNETES_SERVICE_HOST"):
            configuration = client.Configuration()
            config.load_incluster_config(client_configuration=configuration)
            self.api = client.ApiClient(configuration)
            self.context = "in-cluster"
            self.get = KubeApi(self.api)
            return
        if not os.path.exists(path):
            raise CannotRun(f"no kubeconfig at {path}: set KUBECONFIG or pass --kubeconfig FILE")
        check_kubeconfig(path, context)
        try:
            self.api = config.new_client_from_config(config_file=path, context=context, persist_config=False)
        except config.ConfigException as exc:
            names = ", ".join(list_contexts(path).names) or "none"
            raise CannotRun(f"kubeconfig {path}: {exc} (contexts: {names})") from None
        self.context = context or (list_contexts(path).current or "?")
        self.server = self.api.configuration.host
        self.get = KubeApi(self.api)

    def close(self) -> None:
        self.api.close()

    # --- raw requests -----------------------------------------------------------------

    def request(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """One API call, its raw response (`.data`, or stream it). A server that cannot
        be reached is CannotRun; an answer with an error status stays an ApiException."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        self.requests.append(func.__name__)
        kwargs.setdefault("_request_timeout", (5, 30))
        try:
            return func(*args, **kwargs)
        except ApiException:
            raise
        except (HTTPError, OSError) as exc:
            raise CannotRun(f"cannot reach the API server {self.api.configuration.host}: {reason_of(exc)}") from None

    def _call(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
        return json.loads(self.request(func, *args, **kwargs).data)

    def _pages(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Iterator[list[dict[str, Any]]]:
        """The items of each page of a LIST (limit/continue), in order. A thread requests and
        decodes the next page while the caller turns this one into objects, so the server's
        time and ours overlap; at most PREFETCH decoded pages wait. The first request is on
        its way when this returns; errors (ApiException, CannotRun) arise where a page is read."""
        pages: queue.Queue[Any] = queue.Queue(PREFETCH)
        stop = threading.Event()

        def fetch() -> None:
            token = None
            try:
                while not stop.is_set():
                    more: dict[str, str] = {"_continue": token} if token else {}
                    page = self._call(func, *args, limit=PAGE, **more, **kwargs)
                    token = (page.get("metadata") or {}).get("continue")
                    _offer(pages, stop, page.get("items") or [])
                    if not token:
                        break
                _offer(pages, stop, _END)
            except BaseException as exc:  # noqa: BLE001 - handed to the reader, raised there
                _offer(pages, stop, exc)

        threading.Thread(target=fetch, name=f"list-{func.__name__}", daemon=True).start()

        def read() -> Iterator[list[dict[str, Any]]]:
            try:
                while (page := pages.get()) is not _END:
                    if isinstance(page, BaseException):
                        raise page
                    yield page
            finally:
                stop.set()  # a reader that stops early frees the thread

        return read()

    def _list(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        """All pages of a LIST, as plain dicts."""
        return [item for page in self._pages(func, *args, **kwargs) for item in page]

    def _scoped_pages(
        self, namespaced: Callable[..., Any], cluster: Callable[..., Any], **kwargs: Any
    ) -> Iterator[list[dict[str, Any]]]:
        if self.namespace:
            return self._pages(namespaced, self.namespace, **kwargs)
        return self._pages(cluster, **kwargs)

    def _scoped(
        self, namespaced: Callable[..., Any], cluster: Callable[..., Any], **kwargs: Any
    ) -> list[dict[str, Any]]:
        return [item for page in self._scoped_pages(namespaced, cluster, **kwargs) for item in page]

    # --- what check and the TUI read ------------------------------------------------------

    def snapshot(
        self,
        on_progress: Callable[[str], None] | None = None,
        on_ingresses: Callable[[list[IngressObj]], None] | None = None,
        exec_conf: bool = False,
    ) -> ClusterSnapshot:
        from kubernetes.client.exceptions import ApiException

        progress = on_progress or (lambda step: None)
        get = self.get
        progress("Ingresses")
        try:
            pages = self._scoped_pages(get.list_namespaced_ingress, get.list_ingress_for_all_namespaces)
            ingresses = []
            for page in pages:
                read = [ingress_from(i) for i in page]
                ingresses += read
                if on_ingresses is not None:
                    on_ingresses(read)
        except ApiException as exc:
            raise CannotRun(f"cannot list Ingresses: {status_message(exc)}") from None
        progress("IngressClasses and controllers")
        controllers_known = True
        try:
            classes = [ingress_class_from(c) for c in self._list(get.list_ingress_class)]
            deployments = self._list(get.list_deployment_for_all_namespaces, label_selector=CONTROLLER_SELECTOR)
            pods = [
                pod_from(p) for p in self._list(get.list_pod_for_all_namespaces, label_selector=CONTROLLER_SELECTOR)
            ]
        except ApiException:
            classes, deployments, pods, controllers_known = [], [], [], False
        controllers = controllers_from(deployments, pods, self._controller_settings(deployments))
        progress("other controllers")
        resources, refused = self._read_successors()
        workloads, refused_workloads = self._read_gateway_workloads(resources)
        resources, refused = resources + workloads, refused + refused_workloads
        successor_controllers = self._read_successor_controllers(resources, classes)
        namespaces, namespaces_read, refused_namespaces = self._read_namespaces(controllers, resources)
        if exec_conf:
            progress("the controllers' nginx.conf")
        rendered = self._read_rendered(controllers) if exec_conf else []
        named = referenced_objects(resources) | workload_secrets(ClusterSnapshot("", resources=tuple(resources)))
        # the annotations as each controller reads them (--annotations-prefix), for the objects they name
        read_as = with_controller_prefixes(ClusterSnapshot("", tuple(ingresses), tuple(classes), tuple(controllers)))
        denial_maps = {ref for i in read_as.ingresses for ref in config_map_references(i)}
        config_maps, refused_maps = self._read_config_maps(
            sorted({(ns, n) for kind, ns, n in named if kind == "ConfigMap"} | denial_maps)
        )
        resources += config_maps
        services, refused_services = self._read_services(controllers)
        resources += services
        refused += refused_services  # named in the objects-forbidden finding; no LIST: no load balancer judged
        bundles, refused_bundles = self._read_trust_bundles({n for kind, _, n in named if kind == "ClusterTrustBundle"})
        resources += bundles
        refused_maps += refused_bundles
        progress("Secrets")
        wanted = _referenced_secrets(list(read_as.ingresses))
        wanted |= {ref for i in read_as.ingresses for ref in secret_references(i)}  # proxy-ssl, basic auth
        wanted |= {f"{ns}/{name}" for kind, ns, name in named if kind == "Secret"}
        wanted |= {c.default_certificate for c in controllers if c.default_certificate}  # --default-ssl-certificate
        secrets, problems = self._read_secrets(sorted(wanted))
        progress("Events")
        try:
            event_dicts = self._scoped(
                get.list_namespaced_event,
                get.list_event_for_all_namespaces,
                field_selector="involvedObject.kind=Ingress",
            )
        except ApiException:
            event_dicts = []
        names = {i.ref for i in ingresses}
        events = [e for e in map(event_from, event_dicts) if f"{e.namespace}/{e.name}" in names]
        return ClusterSnapshot(
            source=f"context {self.context}" + (f", namespace {self.namespace}" if self.namespace else ""),
            ingresses=tuple(ingresses),
            ingress_classes=tuple(classes),
            controllers=tuple(controllers),
            secrets=tuple(secrets),
            secret_problems=tuple(problems),
            events=tuple(events),
            resources=tuple(resources),
            unreadable=(
                (not_permitted_finding(refused + refused_maps + refused_namespaces),)
                if refused or refused_maps or refused_namespaces
                else ()
            )
            + ((note,) if (note := unread_note(rendered)) else ()),
            rendered=tuple(rendered),
            controllers_known=controllers_known,
            namespaces=tuple(namespaces),
            namespaces_read=namespaces_read,
            successor_controllers=tuple(successor_controllers),
            forbidden=(("ClusterTrustBundle", "", ""),) * bool(refused_bundles)
            + tuple(("ConfigMap", namespace or "", name) for _, _, namespace, name in refused_maps)
            + tuple(("Service", namespace or "", "") for _, _, namespace, _ in refused_services),
        )

    def _read_namespaces(
        self, controllers: list[ControllerObj], resources: list[KubeResource]
    ) -> tuple[list[NamespaceObj], bool, list[Refusal]]:
        """The Namespaces' labels, read only when something selects namespaces by them: a
        controller (--watch-namespace-selector) or a ClientTrafficPolicy targetSelector with
        `namespaces.from: Selector`; a refusal leaves each namespace "not checked"."""
        from kubernetes.client.exceptions import ApiException

        if not any(c.watch_namespace_selector for c in controllers) and not selects_namespaces(resources):
            return [], False, []
        try:
            return [namespace_from(n) for n in self._list(self.get.list_namespace)], True, []
        except ApiException:
            return [], False, [("list", "namespaces", "", "")]

    def _read_rendered(self, controllers: list[ControllerObj]) -> list[RenderedConf]:
        """Each controller pod's /etc/nginx/nginx.conf, by exec (`cat`, nothing else): the
        configuration it rendered. Asked for with --exec only; a refusal is one line, not an error."""
        from kubernetes import client
        from kubernetes.stream import stream

        core = client.CoreV1Api(self.api)  # the exec stream needs the generated method
        read: list[RenderedConf] = []
        for controller in controllers:
            for pod in controller.pods:
                command = f"kubectl exec -n {arg(pod.namespace)} {arg(pod.name)} -c controller -- cat {CONF_PATH}"
                try:
                    text = stream(
                        core.connect_get_namespaced_pod_exec,
                        pod.name,
                        pod.namespace,
                        command=["cat", CONF_PATH],
                        container="controller",
                        stderr=True,
                        stdin=False,
                        stdout=True,
                        tty=False,
                        _request_timeout=30,
                    )
                except Exception as exc:  # noqa: BLE001 - a refused or broken exec is a "not checked" line
                    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                    problem = "forbidden: needs create on pods/exec" if "403" in first else first
                    read.append(RenderedConf(pod.namespace, pod.name, None, problem, command))
                    continue
                read.append(RenderedConf(pod.namespace, pod.name, str(text), None, command))
        return read

    def _controller_settings(self, deployments: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
        """The ConfigMaps the controllers name with --configmap, one GET each. A missing one is
        read as empty (the controller runs on its defaults until it appears); one we may not
        read is left out, so the controller says its settings were not seen."""
        from kubernetes.client.exceptions import ApiException

        found: dict[str, dict[str, str]] = {}
        for ref in sorted({r for d in deployments if is_controller(d) and (r := config_map_ref(d))}):
            namespace, _, name = ref.partition("/")
            try:
                data = self._call(self.get.read_namespaced_config_map, name, namespace).get("data") or {}
            except ApiException as exc:
                if exc.status == 404:
                    data = {}
                elif exc.status == 403:
                    continue
                else:
                    raise CannotRun(f"cannot read ConfigMap {ref}: {status_message(exc)}") from None
            found[ref] = {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        return found

    def _read_successors(self) -> tuple[list[KubeResource], list[Refusal]]:
        """The successors' objects the cluster serves (their CRDs may not be installed: then
        nothing is asked), and what we may not list."""
        from kubernetes.client.exceptions import ApiException

        try:
            groups = self._call(self.get.get_api_groups)
        except ApiException:
            return [], []  # no discovery: as with no CRDs
        resources: list[KubeResource] = []
        refused: list[Refusal] = []
        for kind, versions in served_kinds(groups):
            namespace = self.namespace if kind.namespaced else None
            for version in versions:
                try:
                    items = self._list(self.get.listing(kind.group, version, kind.plural, namespace))
                except ApiException as exc:
                    if exc.status == 404:
                        continue  # not at this version (or not installed): the next one
                    if exc.status != 403:
                        raise CannotRun(f"cannot list {kind.plural}.{kind.group}: {status_message(exc)}") from None
                    refused.append(("list", f"{kind.plural}.{kind.group}", namespace, ""))
                    break
                for item in items:
                    item.setdefault("apiVersion", f"{kind.group}/{version}")
                    item.setdefault("kind", kind.kind)
                    if (resource := resource_from(item)) is not None:
                        resources.append(resource)
                break
        return resources, refused

    def _read_successor_controllers(
        self, resources: list[KubeResource], classes: list[IngressClassObj]
    ) -> list[SuccessorController]:
        """The controller Deployments of the successors whose objects were read (their release decides
        some verdicts: policy/successors/releases.py): one LIST by its install's label for each, none
        for a successor with no objects. A LIST we may not make leaves that release "not seen"."""
        from kubernetes.client.exceptions import ApiException

        named = {CONTROLLERS.get(text(as_dict(r.body.get("spec")).get("controllerName")), "") for r in resources}
        named |= {IMPLEMENTATION_OF_CLASS.get(c.controller, "") for c in classes}
        wanted = {GROUPS[r.group] for r in resources if r.group in GROUPS} | (named & set(PRODUCTS))
        found: list[SuccessorController] = []
        for implementation in sorted(wanted):
            try:
                listed = self._list(
                    self.get.list_deployment_for_all_namespaces, label_selector=PRODUCTS[implementation].selector
                )
            except ApiException as exc:
                if exc.status in (403, 404):
                    continue
                raise CannotRun(f"cannot list Deployments: {status_message(exc)}") from None
            found += [c for c in successor_controllers_from(listed) if c.implementation == implementation]
        return found

    def _read_gateway_workloads(self, resources: list[KubeResource]) -> tuple[list[KubeResource], list[Refusal]]:
        """The Deployments whose pods Istio Gateways select: the gateway proxy's namespace is where
        credentialName is read (policy/successors/istio.py _workload), as files give it. One LIST of
        Deployments in every namespace (a selector picks pods anywhere), in pages, matched on the pod
        template's labels, which a labelSelector on the Deployments' own labels cannot ask; asked only
        when such a Gateway was read. A selector no Deployment matches (a DaemonSet's proxy, an
        operator's, a bare pod) is asked of the pods themselves: one LIST with it as labelSelector, the
        proxies' own labels (_read_gateway_pods). Forbidden: named, and the reader assumes
        istio-system, as for files without the workload, and says when the verdict hangs on that."""
        from kubernetes.client.exceptions import ApiException

        selectors = gateway_selectors(resources)
        if not selectors:
            return [], []
        found: list[KubeResource] = []
        try:
            for page in self._pages(self.get.list_deployment_for_all_namespaces):
                for item in page:
                    item.setdefault("apiVersion", "apps/v1")
                    item.setdefault("kind", "Deployment")
                    deployment = resource_from(item)
                    if deployment is not None and any(selects(s, deployment) for s in selectors):
                        found.append(deployment)
        except ApiException as exc:
            if exc.status != 403:
                raise CannotRun(f"cannot list Deployments: {status_message(exc)}") from None
            return [], [("list", "deployments.apps", None, "")]
        # a Gateway without a selector takes every gateway proxy: pods are not listed whole for it
        pods, refused = self._read_gateway_pods([s for s in selectors if s and not any(selects(s, d) for d in found)])
        return found + pods, refused

    def _read_gateway_pods(self, selectors: list[dict[str, Any]]) -> tuple[list[KubeResource], list[Refusal]]:
        """The pods each selector picks, in every namespace: one LIST per distinct selector, filtered by
        the API server (labelSelector), so only the gateway proxies' pods come back."""
        from kubernetes.client.exceptions import ApiException

        found: list[KubeResource] = []
        for wanted in dict.fromkeys(selector_text(s) for s in selectors):
            try:
                items = self._list(self.get.list_pod_for_all_namespaces, label_selector=wanted)
            except ApiException as exc:
                if exc.status != 403:
                    raise CannotRun(f"cannot list pods: {status_message(exc)}") from None
                return found, [("list", "pods", None, "")]
            for item in items:
                item.setdefault("apiVersion", "v1")
                item.setdefault("kind", "Pod")
                found += [r for r in (resource_from(item),) if r is not None]
        return found, []

    def _read_trust_bundles(self, names: set[str]) -> tuple[list[KubeResource], list[Refusal]]:
        """The ClusterTrustBundles successor objects name as a CA, listed (cluster-scoped, and a GET of a
        missing one cannot be told from a version not served) at the version Envoy Gateway reads
        (certificates.k8s.io/v1beta1), keeping the named ones. Not served: the cluster has none, as for
        Envoy Gateway ("unable to find the ClusterTrustBundle"). Asked only when one is named."""
        from kubernetes.client.exceptions import ApiException

        if not names:
            return [], []
        kind = TRUST_BUNDLES
        version = kind.versions[0]
        try:
            items = self._list(self.get.listing(kind.group, version, kind.plural))
        except ApiException as exc:
            if exc.status == 404:
                return [], []
            if exc.status != 403:
                raise CannotRun(f"cannot list {kind.plural}.{kind.group}: {status_message(exc)}") from None
            return [], [("list", f"{kind.plural}.{kind.group}", None, "")]
        found = []
        for item in items:
            if str((item.get("metadata") or {}).get("name")) in names:
                item.setdefault("apiVersion", f"{kind.group}/{version}")
                item.setdefault("kind", kind.kind)
                if (resource := resource_from(item)) is not None:
                    found.append(resource)
        return found, []

    def _read_services(self, controllers: list[ControllerObj]) -> tuple[list[KubeResource], list[Refusal]]:
        """The Services of the controllers' namespaces, one LIST each: the controller's own makes the
        cloud load balancer in front of it (policy/ingress_nginx/load_balancer.py). A LIST we may not
        make is named, and the load balancer is then not judged."""
        from kubernetes.client.exceptions import ApiException

        found: list[KubeResource] = []
        refused: list[Refusal] = []
        for namespace in sorted({c.namespace for c in controllers}):
            try:
                listed = self._list(self.get.list_namespaced_service, namespace)
            except ApiException as exc:
                if exc.status not in (403, 404):
                    raise CannotRun(f"cannot list Services in {namespace}: {status_message(exc)}") from None
                refused += [("list", "services", namespace, "")] if exc.status == 403 else []
                continue
            for obj in listed:
                obj.setdefault("apiVersion", "v1")
                obj.setdefault("kind", "Service")
                found += [r for r in (resource_from(obj),) if r is not None]
        return found, refused

    def _read_config_maps(self, refs: list[tuple[str, str]]) -> tuple[list[KubeResource], list[Refusal]]:
        """The ConfigMaps successor objects name as a CA, and those ingress-nginx annotations name
        (custom-headers, auth-proxy-set-headers, fastcgi-params-configmap), one GET each: a missing
        one is absent (the reader says what that means for its controller); a forbidden one is named."""
        from kubernetes.client.exceptions import ApiException

        found: list[KubeResource] = []
        refused: list[Refusal] = []
        for namespace, name in refs:
            try:
                obj = self._call(self.get.read_namespaced_config_map, name, namespace)
            except ApiException as exc:
                if exc.status == 404:
                    continue
                if exc.status != 403:
                    raise CannotRun(f"cannot read ConfigMap {namespace}/{name}: {status_message(exc)}") from None
                refused.append(("get", "configmaps", namespace, name))
                continue
            obj.setdefault("apiVersion", "v1")
            obj.setdefault("kind", "ConfigMap")
            if (resource := resource_from(obj)) is not None:
                found.append(resource)
        return found, refused

    def _read_secrets(self, refs: list[str]) -> tuple[list, list]:
        """Few references: one GET each (least privilege). Many: LIST in pages and keep
        only the referenced ones, so requests grow with pages, not with Ingresses; if
        listing is forbidden, fall back to GETs."""
        from kubernetes.client.exceptions import ApiException

        if len(refs) > GET_LIMIT:
            wanted = set(refs)
            try:
                pages = self._scoped_pages(self.get.list_namespaced_secret, self.get.list_secret_for_all_namespaces)
                found = [secret_from(s) for page in pages for s in page if _ref(s) in wanted]
            except ApiException as exc:
                if exc.status != 403:
                    raise CannotRun(f"cannot list Secrets: {status_message(exc)}") from None
            else:
                missing = wanted - {s.ref for s in found}
                return found, [
                    SecretProblem(ref, "not-found", f'secrets "{ref.partition("/")[2]}" not found')
                    for ref in sorted(missing)
                ]
        secrets, problems = [], []
        for ref in refs:
            namespace, _, name = ref.partition("/")
            try:
                secrets.append(secret_from(self._call(self.get.read_namespaced_secret, name, namespace)))
            except ApiException as exc:
                status = {403: "forbidden", 404: "not-found"}.get(exc.status)
                if status is None:
                    raise CannotRun(f"cannot read Secret {ref}: {status_message(exc)}") from None
                problems.append(SecretProblem(ref, status, status_message(exc)))
        return secrets, problems


def _offer(pages: queue.Queue[Any], stop: threading.Event, item: Any) -> None:
    """Hand `item` to the reader, unless it stopped reading."""
    while not stop.is_set():
        try:
            pages.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


def _ref(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace', 'default')}/{meta.get('name', '?')}"


def _referenced_secrets(ingresses: list) -> set[str]:
    """auth-tls Secrets and the tls: Secrets of hosts that use mTLS."""
    refs: set[str] = set()
    for ingress in ingresses:
        secret = ingress.annotation(PREFIX + "auth-tls-secret")
        if secret is None:
            continue
        if secret.count("/") == 1 and all(secret.split("/")):
            refs.add(secret)
        refs.update(f"{ingress.namespace}/{t.secret_name}" for t in ingress.tls if t.secret_name)
    mtls_hosts = {h for i in ingresses if i.annotation(PREFIX + "auth-tls-secret") for h in i.hosts}
    for ingress in ingresses:
        for tls in ingress.tls:
            if tls.secret_name and mtls_hosts.intersection(tls.hosts):
                refs.add(f"{ingress.namespace}/{tls.secret_name}")
    return refs


def status_message(exc: Any) -> str:
    """The API server's own words for an ApiException (its Status message), for one-line errors."""
    try:
        return json.loads(exc.body).get("message") or f"HTTP {exc.status}"
    except (TypeError, ValueError, AttributeError):
        return f"HTTP {exc.status} {exc.reason}"


def reason_of(exc: BaseException) -> str:
    """Why a connection failed, without urllib3's retry wrapping and object addresses."""
    text = str(getattr(exc, "reason", None) or exc)
    return text.split(": ", 1)[-1] if "Max retries" in text or "object at 0x" in text else text
