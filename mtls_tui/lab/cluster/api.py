"""The REST surface: kube-apiserver's paths, verbs, query parameters and answers.

Kept apart from the transport so the request semantics read top to bottom without
sockets, TLS or threads in the way.
"""

from __future__ import annotations

import base64
import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from mtls_tui.errors import InputError
from mtls_tui.lab.cluster import exec as exec_stream
from mtls_tui.lab.cluster import protobuf, resources, status
from mtls_tui.lab.cluster.access import Access
from mtls_tui.lab.cluster.logs import LogBook, LogOptions, container_for, since_cutoff
from mtls_tui.lab.cluster.patch import JSON_PATCH, MERGE_TYPES, json_patch, merge_patch
from mtls_tui.lab.cluster.resources import Resource
from mtls_tui.lab.cluster.responses import Reply, Request, Stream, Upgrade
from mtls_tui.lab.cluster.selectors import Predicate, field_selector, label_selector
from mtls_tui.lab.cluster.store import Store, key_of
from mtls_tui.lab.cluster.tables import table
from mtls_tui.lab.cluster.watch import WatchRequest, parse_version, watch_events
from mtls_tui.policy.api_validation import api_refusals, secret_refusals
from mtls_tui.policy.crd_schema import Path, dotted
from mtls_tui.policy.kube_objects import secret_from
from mtls_tui.policy.refused_objects import server_verdict

TRUE = {"1", "t", "T", "true", "TRUE", "True"}


def _json(code: int, body: Any) -> Reply:
    return Reply(code, json.dumps(body, separators=(",", ":")).encode())


def _not_found_page() -> Reply:
    return Reply(404, b"404 page not found\n", "text/plain; charset=utf-8")


def _item(obj: dict[str, Any]) -> dict[str, Any]:
    """List items carry no kind/apiVersion: the list's own kind says it."""
    return {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}


def _int(query: dict[str, str], name: str) -> int | None:
    if name not in query or query[name] == "":
        return None
    try:
        return int(query[name])
    except ValueError:
        raise status.bad_request(f'strconv.ParseInt: parsing "{query[name]}": invalid syntax') from None


MAX_NESTING = 100  # Kubernetes objects are a few levels deep; deeper ones would only exhaust Python's recursion later


def _nesting(value: Any) -> int:
    """How deep `value` nests (dicts and lists), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_NESTING:
                break
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _json_body(body: bytes, what: str, empty: bytes) -> Any:
    """The body as JSON, or the 400 Status kube-apiserver answers: not JSON, or nested too deeply."""
    try:
        value = json.loads(body or empty)
    except (ValueError, RecursionError) as exc:
        problem = "it is nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise status.bad_request(f"{what}: {problem}") from None
    if _nesting(value) > MAX_NESTING:
        raise status.bad_request(f"{what}: it is nested more than {MAX_NESTING} levels deep")
    return value


def _delete_options_dry(request: Request) -> bool:
    """A DELETE carries its dryRun in the DeleteOptions body."""
    if request.method != "DELETE" or not request.body:
        return False
    options = _json_body(request.body, "the DeleteOptions are not JSON", b"{}")
    return isinstance(options, dict) and "All" in (options.get("dryRun") or [])


class _ItemCache:
    """Each object's JSON as a list item, made once: a LIST of thousands of objects spent
    most of its time encoding the same unchanged objects again for every client. Stored
    objects are never mutated, so an entry is good while it holds the very object listed;
    a change or deletion drops it."""

    def __init__(self, store: Store) -> None:
        self._entries: dict[tuple[str, str], tuple[dict[str, Any], bytes]] = {}
        store.subscribe(lambda change: self._entries.pop((change.resource.kind, key_of(change.obj)), None))

    def encoded(self, resource: Resource, obj: dict[str, Any]) -> bytes:
        key = (resource.kind, key_of(obj))
        entry = self._entries.get(key)
        if entry is None or entry[0] is not obj:
            entry = self._entries[key] = (obj, json.dumps(_item(obj), separators=(",", ":")).encode())
        return entry[1]


class Api:
    def __init__(
        self, store: Store, logs: LogBook, access: Access, server_address: Callable[[], str], bookmark_interval: float
    ) -> None:
        self.store, self.logs, self.access = store, logs, access
        self._items = _ItemCache(store)
        self._served: Counter[str] = Counter()  # "GET /api/v1/secrets": how many, for tests and benchmarks
        self._served_lock = threading.Lock()
        self._server_address = server_address
        self._bookmark_interval = bookmark_interval
        self.files: dict[tuple[str, str], dict[str, bytes]] = {}  # (namespace, pod) -> path -> bytes: what exec reads

    @property
    def served(self) -> Counter[str]:
        with self._served_lock:
            return Counter(self._served)

    def handle(self, request: Request) -> Reply | Stream | Upgrade:
        with self._served_lock:
            self._served[f"{request.method} {request.path}"] += 1
        if request.user is None:
            return _json(401, status.unauthorized())
        try:
            return self._route(request)
        except status.ApiError as error:
            return _json(error.code, error.status)

    def _route(self, request: Request) -> Reply | Stream | Upgrade:
        parts = [p for p in request.path.split("/") if p]
        if request.path in ("/healthz", "/livez", "/readyz"):
            return Reply(200, b"ok", "text/plain; charset=utf-8")
        if parts == ["version"]:
            return _json(200, resources.SERVER_VERSION)
        if parts == ["api"]:
            return _json(200, resources.api_versions(self._server_address()))
        if parts[:2] == ["openapi", "v3"]:
            document = resources.openapi_group_version("/".join(parts[2:])) if parts[2:] else resources.openapi_root()
            return _json(200, document) if document else _not_found_page()
        if parts == ["apis"]:
            return _json(200, resources.api_group_list())
        if parts == ["apis", "authorization.k8s.io", "v1", "selfsubjectaccessreviews"] and request.method == "POST":
            return self._access_review(request)
        if len(parts) == 2 and parts[0] == "apis":
            group = resources.api_group(parts[1])
            return _json(200, group) if group else _not_found_page()
        if parts[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", parts[2:]
        elif len(parts) >= 3 and parts[0] == "apis":
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            return _not_found_page()
        if not rest:
            document = resources.api_resource_list(group, version)
            return _json(200, document) if document else _not_found_page()
        return self._resource(request, group, version, rest)

    def _resource(self, request: Request, group: str, version: str, rest: list[str]) -> Reply | Stream | Upgrade:
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        resource = resources.by_path(group, version, rest[0])
        if resource is None or len(rest) > 3 or (namespace is not None and not resource.namespaced):
            raise status.no_route()
        name = rest[1] if len(rest) > 1 else None
        if name is not None and namespace is None and resource.namespaced:
            raise status.no_route()
        if len(rest) == 3:
            if (resource.kind, rest[2], request.method) in (("Pod", "exec", "GET"), ("Pod", "exec", "POST")):
                return self._exec(request, resource, namespace or "", name or "")
            if (resource.kind, rest[2], request.method) != ("Pod", "log", "GET"):
                raise status.no_route()
            return self._log(request, resource, namespace or "", name or "")
        if request.method == "GET":
            if name is not None:
                return self._get(request, resource, namespace, name)
            if request.query.get("watch") in TRUE:
                return self._watch(request, resource, namespace)
            return self._list(request, resource, namespace)
        return self._write(request, resource, namespace, name)

    def _authorize(
        self,
        request: Request,
        verb: str,
        resource: Resource,
        namespace: str | None,
        name: str | None,
        subresource: str | None = None,
    ) -> None:
        target = resource.plural + (f"/{subresource}" if subresource else "")
        if self.access.denied(verb, target, namespace):
            raise status.forbidden(request.user or "", verb, resource, namespace, name, subresource)

    def _access_review(self, request: Request) -> Reply:
        """`kubectl auth can-i VERB RESOURCE`: the lab's RBAC switch answers (Access.denied), so
        the printed fixes that ask it run against the lab as against a cluster."""
        if request.body.startswith(protobuf.MAGIC):  # kubectl sends it so
            try:
                attributes: dict[str, Any] = protobuf.access_review_attributes(request.body)
            except protobuf.ProtobufError as exc:
                raise status.bad_request(f"SelfSubjectAccessReview: {exc}") from None
            spec: dict[str, Any] = {"resourceAttributes": attributes}
        else:
            review = _json_body(request.body, "SelfSubjectAccessReview", b"{}")
            spec = (review.get("spec") if isinstance(review, dict) else None) or {}
            attributes = spec.get("resourceAttributes") or {}
        resource = str(attributes.get("resource") or "")
        subresource = str(attributes.get("subresource") or "")
        target = resource + (f"/{subresource}" if subresource else "")
        allowed = not self.access.denied(str(attributes.get("verb") or ""), target, attributes.get("namespace") or None)
        answer = {
            "kind": "SelfSubjectAccessReview",
            "apiVersion": "authorization.k8s.io/v1",
            "metadata": {"creationTimestamp": None},
            "spec": spec,
            "status": {
                "allowed": allowed,
            },
        }
        return _json(201, answer)

    def _found(self, resource: Resource, namespace: str | None, name: str) -> dict[str, Any]:
        obj = self.store.get(resource, namespace, name)
        if obj is None:
            raise status.not_found(resource, name)
        return obj

    def _get(self, request: Request, resource: Resource, namespace: str | None, name: str) -> Reply:
        self._authorize(request, "get", resource, namespace, name)
        obj = self._found(resource, namespace, name)
        if "as=Table" in request.accept:
            meta = {"resourceVersion": obj["metadata"]["resourceVersion"]}
            return _json(200, table(resource.kind, [obj], meta, request.query.get("includeObject", "Metadata")))
        return _json(200, obj)

    def _selectors(self, request: Request, resource: Resource) -> Predicate:
        labels = label_selector(request.query.get("labelSelector"))
        fields = field_selector(request.query.get("fieldSelector"), resource.field_labels)
        return lambda obj: labels(obj) and fields(obj)

    def _list(self, request: Request, resource: Resource, namespace: str | None) -> Reply:
        self._authorize(request, "list", resource, namespace, None)
        selected = any((request.query.get(name) or "").strip() for name in ("labelSelector", "fieldSelector"))
        matches = self._selectors(request, resource) if selected else None
        asked = request.query.get("resourceVersion", "")
        if asked not in ("", "0") and parse_version(asked) > self.store.version:
            raise status.too_large_version(parse_version(asked), self.store.version)
        page = self.store.page(
            resource, namespace, matches, _int(request.query, "limit") or 0, request.query.get("continue")
        )
        meta: dict[str, Any] = {"resourceVersion": str(page.version)}
        if page.token:
            meta.update({"continue": page.token, "remainingItemCount": page.remaining})
        if "as=Table" in request.accept:
            return _json(200, table(resource.kind, page.items, meta, request.query.get("includeObject", "Metadata")))
        head = json.dumps(
            {"kind": f"{resource.kind}List", "apiVersion": resource.api_version, "metadata": meta},
            separators=(",", ":"),
        ).encode()
        items = b",".join(self._items.encoded(resource, obj) for obj in page.items)
        return Reply(200, head[:-1] + b',"items":[' + items + b"]}")

    def _watch(self, request: Request, resource: Resource, namespace: str | None) -> Stream:
        self._authorize(request, "watch", resource, namespace, None)
        timeout = _int(request.query, "timeoutSeconds")
        watch = WatchRequest(
            resource,
            namespace,
            self._selectors(request, resource),
            request.query.get("resourceVersion", ""),
            request.query.get("allowWatchBookmarks") in TRUE,
            float(timeout) if timeout else None,
        )
        if "as=Table" in request.accept:
            include = request.query.get("includeObject", "Metadata")
            watch = replace(
                watch,
                render=lambda obj: table(
                    resource.kind, [obj], {"resourceVersion": obj["metadata"]["resourceVersion"]}, include
                ),
            )
        return Stream("application/json", watch_events(self.store, watch, request.alive, self._bookmark_interval))

    def _log(self, request: Request, resource: Resource, namespace: str, name: str) -> Stream:
        self._authorize(request, "get", resource, namespace, name, "log")
        pod = self._found(resource, namespace, name)
        container = container_for(pod, request.query.get("container"))
        options = LogOptions(
            follow=request.query.get("follow") in TRUE,
            tail_lines=_int(request.query, "tailLines"),
            since=since_cutoff(_int(request.query, "sinceSeconds"), request.query.get("sinceTime")),
            timestamps=request.query.get("timestamps") in TRUE,
        )
        return Stream("text/plain", self.logs.read(namespace, name, container, options, request.alive))

    def _exec(self, request: Request, resource: Resource, namespace: str, name: str) -> Upgrade:
        """`kubectl exec POD -- cat FILE`: RBAC's create on pods/exec, the pod, then the WebSocket."""
        self._authorize(request, "create", resource, namespace, name, "exec")
        pod = self._found(resource, namespace, name)
        container_for(pod, request.query.get("container"))  # an unknown container is the API server's 400
        if request.websocket is None:
            raise status.bad_request("Upgrade request required")
        key, offered = request.websocket
        protocol = exec_stream.chosen_protocol(offered)
        if protocol is None:
            raise status.bad_request(f"no supported streaming protocol in {offered!r} (want v5.channel.k8s.io or v4)")
        stdout, stderr, code = exec_stream.run(self.files.get((namespace, name), {}), request.command)
        frames = exec_stream.messages(stdout, stderr, code, protocol)
        return Upgrade(exec_stream.accept_key(key), protocol, tuple(frames))

    def _write(self, request: Request, resource: Resource, namespace: str | None, name: str | None) -> Reply:
        """POST, PUT, PATCH and DELETE, so `kubectl create`, `apply`, `annotate`, `patch` and
        `delete` work on the lab too (the printed fixes can be tried on it)."""
        verb = {
            ("POST", False): "create",
            ("PUT", True): "update",
            ("PATCH", True): "patch",
            ("DELETE", True): "delete",
        }.get((request.method, name is not None))
        if verb is None:
            raise status.method_not_allowed()
        self._authorize(request, verb, resource, namespace, name)
        dry_run = request.query.get("dryRun") == "All" or _delete_options_dry(request)  # kubectl diff, --dry-run=server
        if verb == "patch":
            return self._patch(request, resource, namespace, name or "", dry_run)
        if verb == "delete":
            gone = (
                self._found(resource, namespace, name or "")
                if dry_run
                else self.store.delete(resource, namespace, name or "")
            )
            if gone is None:
                raise status.not_found(resource, name or "")
            details = {
                "name": name,
                **({"group": resource.group} if resource.group else {}),
                "kind": resource.plural,
                "uid": gone["metadata"]["uid"],
            }
            return _json(
                200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}
            )
        obj = self._body_object(request)
        if not isinstance(obj, dict):
            raise status.bad_request("the object provided is unrecognized: not a JSON object")
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise status.bad_request("the object provided is unrecognized: metadata is not an object")
        if namespace and meta.setdefault("namespace", namespace) != namespace:
            raise status.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        if name is not None and meta.get("name") != name:
            raise status.bad_request(
                f"the name of the object ({meta.get('name')}) does not match the name on the URL ({name})"
            )
        obj["kind"] = resource.kind
        old = self.store.get(resource, namespace, name) if verb == "update" and name is not None else None
        _validate(resource, obj, request.query.get("fieldValidation", ""), old)
        stored = self.store.put(_as_stored(resource, obj), must_exist=verb == "update", dry_run=dry_run)
        return _json(201 if verb == "create" else 200, stored)

    @staticmethod
    def _body_object(request: Request) -> Any:
        """The posted object: JSON, or the protobuf kubectl's typed commands send for a Secret or a
        ConfigMap (`kubectl create secret generic`), which any API server decodes."""
        if request.content_type.startswith(protobuf.CONTENT_TYPE):
            try:
                return protobuf.decode_object(request.body)
            except protobuf.NotDecoded as exc:
                raise status.unsupported_media_type(str(exc)) from None
            except protobuf.ProtobufError as exc:
                raise status.bad_request(f"the object provided is unrecognized: {exc}") from None
        if not request.content_type.startswith("application/json"):
            raise status.unsupported_media_type()
        return _json_body(request.body, "the object provided is unrecognized", b"{}")

    def _patch(self, request: Request, resource: Resource, namespace: str | None, name: str, dry_run: bool) -> Reply:
        kind = request.content_type.split(";")[0].strip()
        if kind not in MERGE_TYPES + (JSON_PATCH,):
            raise status.unsupported_media_type()
        body = _json_body(request.body, "the patch is not JSON", b"null")
        current = self._found(resource, namespace, name)
        patched = json_patch(current, body) if kind == JSON_PATCH else merge_patch(current, body)
        if not isinstance(patched, dict):
            raise status.bad_request("the patch does not leave an object")
        meta = patched.setdefault("metadata", {})
        meta.update(name=name, **({"namespace": namespace} if namespace else {}))
        patched["kind"] = resource.kind
        _validate(resource, patched, request.query.get("fieldValidation", ""), current)
        return _json(200, self.store.put(_as_stored(resource, patched), must_exist=True, dry_run=dry_run))


def _as_stored(resource: Resource, obj: dict[str, Any]) -> dict[str, Any]:
    """A Secret as the API server keeps it: `type` defaulted to Opaque (pkg/apis/core/v1/defaults.go
    SetDefaults_Secret), and `stringData`, a write-only field, merged into `data` as base64, its keys
    over data's (conversion.go Convert_v1_Secret_To_core_Secret): what is read back is what a real
    cluster answers, so the tool reading the lab reads what it would read there."""
    if resource.kind != "Secret" or resource.group:
        return obj
    stored = {k: v for k, v in obj.items() if k != "stringData"}
    stored["type"] = obj.get("type") or "Opaque"
    written = obj.get("stringData")
    if isinstance(written, dict) and written:
        data = dict(obj.get("data") or {})
        data.update({str(k): base64.b64encode(str(v).encode()).decode() for k, v in written.items()})
        stored["data"] = data
    return stored


def _secret_update_refusals(resource: Resource, obj: dict[str, Any], old: dict[str, Any] | None) -> tuple[str, ...]:
    """What kube-apiserver refuses in an update of a Secret (pkg/apis/core/validation/validation.go
    ValidateSecretUpdate): its `type` may not change (ValidateImmutableField, after the new one is
    defaulted to Opaque as the lab stores it), and an `immutable: true` Secret may neither become
    mutable nor change its data (field.Forbidden)."""
    if old is None or resource.kind != "Secret" or resource.group:
        return ()
    new, old = _as_stored(resource, obj), _as_stored(resource, old)  # the lab's own objects may lack a type
    found = []
    if new["type"] != old["type"]:
        found.append(f"type: Invalid value: {json.dumps(new['type'])}: field is immutable")
    if old.get("immutable") is True:
        forbidden = "Forbidden: field is immutable when `immutable` is set"
        if new.get("immutable") is not True:
            found.append(f"immutable: {forbidden}")
        if (new.get("data") or {}) != (old.get("data") or {}):
            found.append(f"data: {forbidden}")
    return tuple(found)


def _validate(
    resource: Resource, obj: dict[str, Any], field_validation: str, old: dict[str, Any] | None = None
) -> None:
    """Refuse an Ingress, a Secret or a custom resource as a real API server refuses it
    (policy/api_validation.py, policy/refused_objects.py): a fix that only the lab would store must
    fail its test as it fails on a cluster. A custom resource's unknown fields are refused when the
    client asks for strict field validation (kubectl's default), else pruned from what is stored.
    `old`: the object an update or a patch replaces (a Secret's type and immutable data stay)."""
    name = str(_meta_name(obj))
    verdict = server_verdict({**obj, "apiVersion": obj.get("apiVersion") or resource.api_version})
    if verdict is not None:
        found = tuple(r.message for r in verdict.refused)
        if not found and verdict.pruned:
            _unknown_fields(resource, obj, verdict.pruned, field_validation)
    elif resource.kind == "Ingress":
        found = api_refusals({**obj, "apiVersion": obj.get("apiVersion") or resource.api_version})
    elif resource.kind == "Secret":
        try:
            found = _secret_update_refusals(resource, obj, old) + secret_refusals(secret_from(obj), obj)
        except InputError as exc:  # a `data` value that is not base64: the body does not even decode
            raise status.bad_request(f"{exc.where}: {exc.problem}") from None
    else:
        return
    if found:
        # as apierrors.NewInvalid words it: kubectl prints the causes, one line each
        shown = found[0] if len(found) == 1 else "[" + ", ".join(found) + "]"
        qualified = f"{resource.kind}.{resource.group}" if resource.group else resource.kind
        causes = [dict(zip(("field", "message"), m.split(": ", 1), strict=False)) for m in found]
        details = {"name": name, "group": resource.group, "kind": resource.kind, "causes": causes}
        raise status.ApiError(status.status(422, "Invalid", f'{qualified} "{name}" is invalid: {shown}', details))


def _unknown_fields(resource: Resource, obj: dict[str, Any], pruned: tuple[Path, ...], field_validation: str) -> None:
    """Strict: 400, as apiextensions-apiserver's decoder words it (customresource_handler.go,
    `strict decoding error: unknown field "spec.x"`, wrapped as "cannot be handled as"); otherwise
    the fields are dropped, as its pruning drops them (Warn, the server's default, adds a warning)."""
    if field_validation == "Strict":
        unknown = ", ".join(f'unknown field "{dotted(p)}"' for p in pruned)
        version = resource.api_version.rpartition("/")[2]
        raise status.bad_request(
            f'{resource.kind} in version "{version}" cannot be handled as a {resource.kind}: '
            f"strict decoding error: {unknown}"
        )
    for path in pruned:
        parent: Any = obj
        for part in path[:-1]:
            parent = parent[part]
        parent.pop(path[-1], None)


def _meta_name(obj: dict[str, Any]) -> object:
    meta = obj.get("metadata")
    return meta.get("name", "") if isinstance(meta, dict) else ""
