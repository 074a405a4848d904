"""The lab's Kubernetes API server, driven by the real `kubernetes` client and kubectl.

Everything goes through real HTTPS with client certificates; nothing reaches into the
server's internals, so a green run means the tool's own cluster reader will work.
"""

from __future__ import annotations

import base64
import glob
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import urllib3
import yaml
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

from mtls_tui.lab.cluster import LabCluster
from mtls_tui.lab.objects import seed_objects
from mtls_tui.lab.pki import SeedPki, write_file
from tests.conftest import require

TIERS = ["a", "b", "c", "a", "b", "c", "a", "b", "c", "a"]


def secret(name: str, namespace: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
        "type": "Opaque",
        "data": {},
    }


def pod(name: str, namespace: str, containers: tuple[str, ...] = ("app",), phase: str = "Running") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
        "spec": {"nodeName": "lab-node", "containers": [{"name": c, "image": "busybox"} for c in containers]},
        "status": {
            "phase": phase,
            "containerStatuses": [
                {"name": c, "image": "busybox", "imageID": "busybox@sha256:00", "ready": True, "restartCount": 0}
                for c in containers
            ],
        },
    }


def event(name: str, kind: str, target: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": "default"},
        "involvedObject": {"kind": kind, "name": target, "namespace": "default"},
        "reason": "Sync",
        "type": "Normal",
        "message": f"{kind} {target} synced",
        "lastTimestamp": "2026-01-01T00:00:00Z",
    }


def lab_objects(pki: SeedPki) -> list[dict[str, Any]]:
    selected = [
        secret(f"s-{i}", "sel", {"tier": tier, **({"team": "x"} if i % 2 else {})}) for i, tier in enumerate(TIERS)
    ]
    pods = [pod("web", "logs"), pod("multi", "logs", ("app", "sidecar")), pod("idle", "logs", phase="Pending")]
    events = [
        event("e1", "Ingress", "meow-ingress"),
        event("e2", "Ingress", "other"),
        event("e3", "Pod", "meow-ingress"),
    ]
    return [*seed_objects(pki), *selected, *pods, *events]


@pytest.fixture(scope="module")
def lab(pki: SeedPki) -> Iterator[LabCluster]:
    with LabCluster(lab_objects(pki), bookmark_interval=0.2) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def kubeconfig(lab: LabCluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return lab.write_kubeconfig(tmp_path_factory.mktemp("kube") / "config")


@pytest.fixture(scope="module")
def api(kubeconfig: Path) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(config_file=str(kubeconfig), context="mtls-lab")
    yield api_client
    api_client.close()


@pytest.fixture(scope="module")
def https(lab: LabCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A plain HTTPS client holding the lab's client certificate, for what the Python client cannot send."""
    folder = tmp_path_factory.mktemp("client")
    write_file(folder / "client.crt", lab.client.cert_pem())
    write_file(folder / "client.key", lab.client.key_pem(), private=True)
    context = ssl.create_default_context(cadata=lab.ca.cert_pem().decode())
    context.load_cert_chain(folder / "client.crt", folder / "client.key")
    with httpx.Client(base_url=lab.url, verify=context) as session:
        yield session


@pytest.fixture()
def core(api: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api)


def raw(func: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The JSON as sent, as the tool's own reader takes it."""
    return json.loads(func(*args, _preload_content=False, **kwargs).data)


def failure(exc: pytest.ExceptionInfo[ApiException]) -> dict[str, Any]:
    return json.loads(exc.value.body)


# --- objects, lists, selectors, pages --------------------------------------------------


def test_objects_carry_server_metadata(lab: LabCluster, core: client.CoreV1Api) -> None:
    created = lab.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "meta"}, "data": {"a": "1"}})
    got = raw(core.read_namespaced_config_map, "meta", "default")
    assert got["kind"] == "ConfigMap" and got["apiVersion"] == "v1" and got["metadata"]["namespace"] == "default"
    assert got["metadata"]["uid"] == created["metadata"]["uid"]
    datetime.strptime(got["metadata"]["creationTimestamp"], "%Y-%m-%dT%H:%M:%SZ")
    changed = lab.apply({**created, "data": {"a": "2"}})
    assert changed["metadata"]["uid"] == created["metadata"]["uid"]
    assert int(changed["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])
    assert changed["metadata"]["resourceVersion"] == lab.resource_version
    assert lab.get("ConfigMap", "default", "meta")["data"] == {"a": "2"}


def test_list_shape_as_the_real_server(core: client.CoreV1Api, lab: LabCluster) -> None:
    listed = raw(core.list_namespaced_secret, "sel")
    assert listed["kind"] == "SecretList" and listed["apiVersion"] == "v1"
    assert listed["metadata"] == {"resourceVersion": lab.resource_version}
    assert [s["metadata"]["name"] for s in listed["items"]] == [f"s-{i}" for i in range(10)]
    assert all("kind" not in s and "apiVersion" not in s for s in listed["items"])
    typed = core.list_secret_for_all_namespaces()  # the generated models accept it
    assert {"my-certs", "s-0"} <= {s.metadata.name for s in typed.items}


@pytest.mark.parametrize(
    "selector, expected",
    [
        ("tier=a", lambda i, t: t == "a"),
        ("tier==b", lambda i, t: t == "b"),
        ("tier!=a", lambda i, t: t != "a"),
        ("tier in (a, c)", lambda i, t: t in "ac"),
        ("tier notin (a)", lambda i, t: t != "a"),
        ("team", lambda i, t: i % 2 == 1),
        ("!team", lambda i, t: i % 2 == 0),
        ("tier in (a,b),team=x", lambda i, t: t in "ab" and i % 2 == 1),
        ("tier=a,!team", lambda i, t: t == "a" and i % 2 == 0),
    ],
)
def test_label_selectors(core: client.CoreV1Api, selector: str, expected: Any) -> None:
    names = {s.metadata.name for s in core.list_namespaced_secret("sel", label_selector=selector).items}
    assert names == {f"s-{i}" for i, tier in enumerate(TIERS) if expected(i, tier)}


def test_bad_label_selector_is_400(core: client.CoreV1Api) -> None:
    with pytest.raises(ApiException) as exc:
        core.list_namespaced_secret("sel", label_selector="tier in a")
    assert exc.value.status == 400 and failure(exc)["reason"] == "BadRequest"


def test_field_selectors(core: client.CoreV1Api) -> None:
    def names(func: Any, *args: Any, selector: str) -> set[str]:
        return {o["metadata"]["name"] for o in raw(func, *args, field_selector=selector)["items"]}

    assert names(
        core.list_namespaced_event, "default", selector="involvedObject.kind=Ingress,involvedObject.name=meow-ingress"
    ) == {"e1"}
    assert names(core.list_event_for_all_namespaces, selector="involvedObject.name=meow-ingress") == {"e1", "e3"}
    assert names(core.list_namespaced_pod, "logs", selector="status.phase=Running") == {"web", "multi"}
    assert names(core.list_namespaced_pod, "logs", selector="status.phase!=Running,spec.nodeName=lab-node") == {"idle"}
    assert names(core.list_secret_for_all_namespaces, selector="metadata.namespace=sel,metadata.name=s-3") == {"s-3"}
    with pytest.raises(ApiException) as exc:
        core.list_namespaced_secret("sel", field_selector="spec.foo=bar")
    assert failure(exc)["message"] == "field label not supported: spec.foo"


def test_pages_with_limit_and_continue(lab: LabCluster, core: client.CoreV1Api) -> None:
    pages, token = [], None
    while True:
        page = raw(core.list_namespaced_secret, "sel", limit=3, **({"_continue": token} if token else {}))
        pages.append(page)
        token = page["metadata"].get("continue")
        if not token:
            break
    assert [len(p["items"]) for p in pages] == [3, 3, 3, 1]
    assert [p["metadata"].get("remainingItemCount") for p in pages] == [7, 4, 1, None]
    assert [s["metadata"]["name"] for p in pages for s in p["items"]] == [f"s-{i}" for i in range(10)]
    assert len({p["metadata"]["resourceVersion"] for p in pages}) == 1
    first = raw(core.list_namespaced_secret, "sel", limit=2)
    lab.apply(secret("later", "elsewhere"))
    lab.compact_history()
    with pytest.raises(ApiException) as exc:
        core.list_namespaced_secret("sel", limit=2, _continue=first["metadata"]["continue"])
    assert exc.value.status == 410 and failure(exc)["reason"] == "Expired"


# --- errors ------------------------------------------------------------------------------


def test_not_found_status(core: client.CoreV1Api, api: client.ApiClient) -> None:
    with pytest.raises(ApiException) as exc:
        core.read_namespaced_secret("nope", "default")
    assert failure(exc) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'secrets "nope" not found',
        "reason": "NotFound",
        "details": {"name": "nope", "kind": "secrets"},
        "code": 404,
    }
    with pytest.raises(ApiException) as exc:
        client.NetworkingV1Api(api).read_namespaced_ingress("nope", "default")
    assert failure(exc)["message"] == 'ingresses.networking.k8s.io "nope" not found'
    assert failure(exc)["details"] == {"name": "nope", "group": "networking.k8s.io", "kind": "ingresses"}


def test_forbid_and_allow(lab: LabCluster, core: client.CoreV1Api) -> None:
    user = 'User "mtls-lab-admin"'
    lab.forbid("list", "secrets", "default")
    lab.forbid("get", "secrets")
    lab.forbid("get", "pods/log", "logs")
    try:
        with pytest.raises(ApiException) as exc:
            core.read_namespaced_pod_log("web", "logs")
        assert (
            failure(exc)["message"]
            == f'pods "web" is forbidden: {user} cannot get resource "pods/log" in API group "" in the namespace "logs"'
        )

        with pytest.raises(ApiException) as exc:
            core.list_namespaced_secret("default")
        assert exc.value.status == 403 and failure(exc)["reason"] == "Forbidden"
        assert (
            failure(exc)["message"]
            == f'secrets is forbidden: {user} cannot list resource "secrets" in API group "" in the namespace "default"'
        )
        with pytest.raises(ApiException) as exc:
            core.list_secret_for_all_namespaces()
        assert (
            failure(exc)["message"]
            == f'secrets is forbidden: {user} cannot list resource "secrets" in API group "" at the cluster scope'
        )
        with pytest.raises(ApiException) as exc:
            core.read_namespaced_secret("my-certs", "default")
        assert (
            failure(exc)["message"]
            == f'secrets "my-certs" is forbidden: {user} cannot get resource "secrets" in API group "" in the namespace "default"'
        )
        assert failure(exc)["details"] == {"name": "my-certs", "kind": "secrets"}
        assert core.list_namespaced_secret("sel").items  # only the default namespace is denied
        assert core.list_namespaced_config_map("default") is not None
    finally:
        lab.allow("list", "secrets")
        lab.allow("get", "secrets")
        lab.allow("get", "pods/log")
    with pytest.raises(ValueError):
        lab.forbid("list", "secret")  # a typo must not silently deny nothing
    assert core.read_namespaced_secret("my-certs", "default").metadata.name == "my-certs"
    assert core.list_secret_for_all_namespaces().items


def test_unauthorized_without_client_certificate(lab: LabCluster) -> None:
    trust = ssl.create_default_context(cadata=lab.ca.cert_pem().decode())
    with httpx.Client(verify=trust) as anonymous:
        response = anonymous.get(f"{lab.url}/api/v1/namespaces/default/secrets/my-certs")
    assert response.status_code == 401
    assert response.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }


def test_discovery_and_unknown_paths(https: httpx.Client) -> None:
    assert https.get("/version").json()["gitVersion"].startswith("v1.")
    groups = {g["name"]: [v["version"] for v in g["versions"]] for g in https.get("/apis").json()["groups"]}
    assert groups == {  # Gateway API and Envoy Gateway are installed in the lab; Traefik, F5 and Istio are not
        "apps": ["v1"],
        "networking.k8s.io": ["v1"],
        "discovery.k8s.io": ["v1"],
        "gateway.networking.k8s.io": ["v1", "v1beta1"],
        "gateway.envoyproxy.io": ["v1alpha1"],
        "certificates.k8s.io": ["v1beta1"],  # ClusterTrustBundles (Envoy Gateway caCertificateRefs)
    }
    assert {"secrets", "pods", "pods/log", "events", "namespaces"} <= {
        r["name"] for r in https.get("/api/v1").json()["resources"]
    }
    assert https.get("/openapi/v2").text == "404 page not found\n"
    unknown = https.get("/api/v1/widgets")
    assert (
        unknown.status_code == 404 and unknown.json()["message"] == "the server could not find the requested resource"
    )
    too_new = https.get("/api/v1/secrets", params={"resourceVersion": "999999"})
    assert too_new.status_code == 504 and too_new.json()["message"].startswith(
        "Too large resource version: 999999, current: "
    )


# --- watches -----------------------------------------------------------------------------


def collect(stream: Iterator[dict[str, Any]], count: int, into: list[dict[str, Any]]) -> threading.Thread:
    def run() -> None:
        for item in stream:
            into.append(item)
            if len(into) == count:
                return

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def until(condition: Any, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_watch_sees_live_apply_and_delete(lab: LabCluster, core: client.CoreV1Api) -> None:
    start = lab.resource_version
    watcher = watch.Watch()
    events: list[dict[str, Any]] = []
    thread = collect(
        watcher.stream(
            core.list_namespaced_config_map,
            "live",
            resource_version=start,
            timeout_seconds=5,
            label_selector="watched=yes",
        ),
        4,
        events,
    )
    base = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "w", "namespace": "live", "labels": {"watched": "yes"}},
    }
    lab.apply({**base, "data": {"v": "1"}})
    lab.apply({**base, "data": {"v": "2"}})
    lab.apply({**base, "metadata": {**base["metadata"], "labels": {"watched": "no"}}})  # leaves the selector
    lab.apply({**base, "data": {"v": "3"}})  # comes back
    thread.join(5)
    watcher.stop()
    assert [(e["type"], e["object"].data) for e in events] == [
        ("ADDED", {"v": "1"}),
        ("MODIFIED", {"v": "2"}),
        ("DELETED", None),
        ("ADDED", {"v": "3"}),
    ]
    events.clear()
    watcher = watch.Watch()
    thread = collect(
        watcher.stream(
            core.list_namespaced_config_map, "live", resource_version=lab.resource_version, timeout_seconds=5
        ),
        1,
        events,
    )
    assert lab.delete("ConfigMap", "live", "w") is not None
    thread.join(5)
    watcher.stop()
    assert [(e["type"], e["object"].metadata.name) for e in events] == [("DELETED", "w")]
    assert int(events[0]["object"].metadata.resource_version) == int(lab.resource_version)


def test_watch_from_zero_lists_first_then_bookmarks(core: client.CoreV1Api) -> None:
    response = core.list_namespaced_secret(
        "sel", watch=True, resource_version="0", allow_watch_bookmarks=True, timeout_seconds=1, _preload_content=False
    )
    events = [json.loads(line) for line in response.read().splitlines()]
    added = [e for e in events if e["type"] == "ADDED"]
    assert [e["object"]["metadata"]["name"] for e in added] == [f"s-{i}" for i in range(10)]
    assert added[0]["object"]["kind"] == "Secret"
    bookmarks = [e for e in events if e["type"] == "BOOKMARK"]
    assert bookmarks and set(bookmarks[0]["object"]) == {"kind", "apiVersion", "metadata"}
    assert set(bookmarks[0]["object"]["metadata"]) == {"resourceVersion"}


def test_watch_from_compacted_version_is_expired(lab: LabCluster, core: client.CoreV1Api) -> None:
    old = int(lab.resource_version)
    lab.apply(secret("bump", "expired"))
    lab.compact_history()
    response = core.list_namespaced_secret(
        "expired", watch=True, resource_version=str(old), timeout_seconds=5, _preload_content=False
    )
    assert response.status == 200
    events = [json.loads(line) for line in response.read().splitlines()]
    assert events == [
        {
            "type": "ERROR",
            "object": {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": f"too old resource version: {old} ({lab.resource_version})",
                "reason": "Expired",
                "code": 410,
            },
        }
    ]
    with pytest.raises(ApiException) as exc:  # the client's Watch turns it into 410 Gone
        list(watch.Watch().stream(core.list_namespaced_secret, "expired", resource_version=str(old), timeout_seconds=5))
    assert exc.value.status == 410


# --- logs --------------------------------------------------------------------------------


def test_logs_tail_since_and_timestamps(lab: LabCluster, core: client.CoreV1Api, https: httpx.Client) -> None:
    log = lab.pod_log("logs", "web")
    when = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    log.extend(["", "boot"])
    for n in range(5):
        log.append(f"old {n}", when=when - timedelta(hours=1))
    log.append("recent", when=when.replace(year=2999))
    assert core.read_namespaced_pod_log("web", "logs", tail_lines=2) == "old 4\nrecent\n"
    stamped = core.read_namespaced_pod_log("web", "logs", tail_lines=2, timestamps=True)
    assert stamped == "2026-01-02T02:04:05.123456000Z old 4\n2999-01-02T03:04:05.123456000Z recent\n"
    assert core.read_namespaced_pod_log("web", "logs", since_seconds=60) == "\nboot\nrecent\n"
    since_time = https.get(
        "/api/v1/namespaces/logs/pods/web/log", params={"sinceTime": "2026-01-02T02:04:06Z", "tailLines": 2}
    )
    assert since_time.text == "boot\nrecent\n"  # the Python client has no since_time; kubectl --since-time sends it


def test_several_containers_need_a_name(lab: LabCluster, core: client.CoreV1Api) -> None:
    with pytest.raises(ApiException) as exc:
        core.read_namespaced_pod_log("multi", "logs")
    assert exc.value.status == 400
    assert failure(exc)["message"] == "a container name must be specified for pod multi, choose one of: [app sidecar]"
    lab.pod_log("logs", "multi", "sidecar").append("from the sidecar")
    assert core.read_namespaced_pod_log("multi", "logs", container="sidecar") == "from the sidecar\n"
    assert core.read_namespaced_pod_log("multi", "logs", container="app") == ""
    with pytest.raises(ApiException) as exc:
        core.read_namespaced_pod_log("missing", "logs")
    assert failure(exc)["message"] == 'pods "missing" not found'


def follow(core: client.CoreV1Api, name: str, **kwargs: Any) -> Any:
    return core.read_namespaced_pod_log(name, "logs", follow=True, _preload_content=False, **kwargs)


def test_follow_then_cut(lab: LabCluster, core: client.CoreV1Api) -> None:
    lab.apply(pod("cut", "logs"))
    log = lab.pod_log("logs", "cut")
    log.extend(["one", "two", "three"])
    response = follow(core, "cut", tail_lines=1)
    chunks = response.stream(1024)
    assert next(chunks) == b"three\n"
    log.append("four")
    assert next(chunks) == b"four\n"
    assert lab.cut_log_streams("logs", "cut") == 1
    with pytest.raises(urllib3.exceptions.ProtocolError):  # no closing chunk: the connection just broke
        next(chunks)
    response = follow(core, "cut", tail_lines=0)  # reconnecting works and sends only what is new
    log.append("five")
    assert next(response.stream(1024)) == b"five\n"
    response.close()


def test_deleting_the_pod_ends_its_stream_cleanly(lab: LabCluster, core: client.CoreV1Api) -> None:
    lab.apply(pod("doomed", "logs"))
    lab.pod_log("logs", "doomed").append("bye")
    response = follow(core, "doomed", timestamps=True)
    threading.Timer(0.2, lambda: lab.delete("Pod", "logs", "doomed")).start()
    body = response.read()  # ends without a ProtocolError
    assert body.endswith(b"Z bye\n") and body.count(b"\n") == 1


# --- lifecycle ---------------------------------------------------------------------------


def test_kubeconfig_is_private(kubeconfig: Path) -> None:
    assert kubeconfig.stat().st_mode & 0o777 == 0o600
    document = yaml.safe_load(kubeconfig.read_text())
    assert document["current-context"] == "mtls-lab"
    assert document["contexts"][0]["context"]["namespace"] == "default"
    assert {"client-certificate-data", "client-key-data"} <= set(document["users"][0]["user"])


def _read_or_empty(path: Path) -> str:
    """Another lab's folder may go away while it is looked at."""
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def test_stop_closes_open_streams_promptly(tmp_path: Path) -> None:
    threads = set(threading.enumerate())
    cluster = LabCluster([pod("web", "default")]).start()
    served = ssl.get_server_certificate(("127.0.0.1", cluster.port)).strip()
    folder = next(
        f
        for f in glob.glob(os.path.join(tempfile.gettempdir(), "mtls-lab-api-*"))  # other labs may run too
        if _read_or_empty(Path(f, "apiserver.crt")) == served
    )
    assert os.stat(folder).st_mode & 0o777 == 0o700
    assert os.stat(os.path.join(folder, "apiserver.key")).st_mode & 0o777 == 0o600
    api_client = config.new_client_from_config(
        config_file=str(cluster.write_kubeconfig(tmp_path / "config")), context="mtls-lab"
    )
    core = client.CoreV1Api(api_client)
    cluster.pod_log("default", "web").append("hello")
    log_stream = core.read_namespaced_pod_log("web", "default", follow=True, _preload_content=False)
    watch_stream = core.list_namespaced_pod("default", watch=True, _preload_content=False)
    readers = [threading.Thread(target=r.read, daemon=True) for r in (log_stream, watch_stream)]
    for reader in readers:
        reader.start()
    port = cluster.port
    started = time.monotonic()
    cluster.stop()
    assert time.monotonic() - started < 1.0
    for reader in readers:
        reader.join(2)
    api_client.close()
    for extra in set(threading.enumerate()) - threads:  # a request's handler ends once its stream is closed
        extra.join(3)
    assert set(threading.enumerate()) <= threads
    assert not os.path.exists(folder)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


# --- kubectl -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kubectl(kubeconfig: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    binary = require("kubectl", shutil.which("kubectl"))
    cache = tmp_path_factory.mktemp("kubectl-cache")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [binary, "--kubeconfig", str(kubeconfig), "--cache-dir", str(cache), *args],
            capture_output=True,
            text=True,
            timeout=30,
        )

    return run


def test_kubectl_get(kubectl: Any, lab: LabCluster) -> None:
    ingresses = kubectl("get", "ingress", "-A")
    assert ingresses.returncode == 0, ingresses.stderr
    header, row = ingresses.stdout.splitlines()[:2]
    assert header.split() == ["NAMESPACE", "NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"]
    assert row.split()[:5] == ["default", "meow-ingress", "nginx", "meow.com", "80,"]
    pods = kubectl("get", "pods", "-n", "ingress-nginx")
    assert pods.returncode == 0, pods.stderr
    assert [line.split()[:3] for line in pods.stdout.splitlines()[1:]] == [
        [p["metadata"]["name"], "1/1", "Running"]
        for p in lab.objects("Pod")
        if p["metadata"]["namespace"] == "ingress-nginx"
    ]
    missing = kubectl("get", "secret", "nope")
    assert missing.returncode == 1 and 'Error from server (NotFound): secrets "nope" not found' in missing.stderr


def test_kubectl_get_yaml_without_openapi_schemas(kubectl: Any, lab: LabCluster) -> None:
    """No schemas are served (v2 absent, v3 holds only PATCH operations): kubectl still shows objects."""
    absent = kubectl("get", "--raw", "/openapi/v2")
    assert absent.returncode == 1 and "(NotFound)" in absent.stderr
    root = kubectl("get", "--raw", "/openapi/v3")
    assert root.returncode == 0 and "apis/networking.k8s.io/v1" in root.stdout
    shown = kubectl("get", "secret", "my-certs", "-o", "yaml")
    assert shown.returncode == 0, shown.stderr
    assert yaml.safe_load(shown.stdout)["data"] == lab.get("Secret", "default", "my-certs")["data"]


def test_kubectl_create_and_delete(kubectl: Any, lab: LabCluster, tmp_path: Path) -> None:
    """Dynamic (JSON) writes work, validated as kubectl does it against a server that says it
    validates fields itself (the PATCH operations of /openapi/v3)."""
    manifest = tmp_path / "cm.json"
    manifest.write_text(
        json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "from-kubectl"}, "data": {"a": "b"}})
    )
    created = kubectl("create", "-f", str(manifest))
    assert created.returncode == 0, created.stderr
    assert lab.get("ConfigMap", "default", "from-kubectl")["data"] == {"a": "b"}
    deleted = kubectl("delete", "configmap", "from-kubectl")
    assert deleted.returncode == 0, deleted.stderr
    assert lab.get("ConfigMap", "default", "from-kubectl") is None


@pytest.mark.parametrize(
    "command",
    [
        ["secret", "generic", "typed", "--type=nginx.org/ca", "--from-file=ca.crt=blob", "--from-literal=x=y"],
        ["secret", "generic", "plain", "--from-file=cacert=blob"],
        ["configmap", "both", "--from-file=text", "--from-file=bin=blob", "--from-literal=k=v"],
    ],
    ids=["secret-typed", "secret", "configmap"],
)
def test_kubectl_create_typed_sends_protobuf_the_lab_reads(
    kubectl: Any, lab: LabCluster, tmp_path: Path, command: list[str]
) -> None:
    """`kubectl create secret|configmap` posts protobuf (kubectl v1.32.4 -v=8: Content-Type
    application/vnd.kubernetes.protobuf), as any API server accepts for these kinds: the lab stores
    what kubectl itself renders of the command (--dry-run=client -o json), binary bytes included."""
    (tmp_path / "blob").write_bytes(b"\x00\xffbinary\n")
    (tmp_path / "text").write_text("h\u00e9llo")
    args = ["create", *(a.replace("=blob", f"={tmp_path}/blob").replace("=text", f"={tmp_path}/text") for a in command)]
    rendered = kubectl(*args, "--dry-run=client", "-o", "json")
    assert rendered.returncode == 0, rendered.stderr
    created = kubectl(*args)
    assert created.returncode == 0, created.stderr
    want = json.loads(rendered.stdout)
    kind, name = want["kind"], want["metadata"]["name"]
    stored = lab.get(kind, "default", name)
    assert stored is not None
    if kind == "Secret":  # the server's default (SetDefaults_Secret), which the client's render leaves out
        want.setdefault("type", "Opaque")
    assert {k: stored.get(k) for k in ("data", "binaryData", "type")} == {
        k: want.get(k) for k in ("data", "binaryData", "type")
    }
    assert kubectl("delete", command[0], name).returncode == 0


def test_a_secret_is_stored_as_the_api_server_stores_it(kubectl: Any, lab: LabCluster, tmp_path: Path) -> None:
    """kube-apiserver defaults a Secret's type to Opaque (pkg/apis/core/v1/defaults.go SetDefaults_Secret)
    and merges the write-only stringData into data, its keys over data's (conversion.go
    Convert_v1_Secret_To_core_Secret): `kubectl get -o json` shows no stringData. The lab does the same,
    on create and on patch, so what the tool reads back from it is what a cluster would give."""
    manifest = tmp_path / "secret.json"
    body = {"data": {"ca.crt": base64.b64encode(b"old").decode(), "kept": "a2VwdA=="}, "stringData": {"ca.crt": "new"}}
    manifest.write_text(json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "written"}, **body}))
    created = kubectl("create", "-f", str(manifest))
    assert created.returncode == 0, created.stderr
    shown = json.loads(kubectl("get", "secret", "written", "-o", "json").stdout)
    assert "stringData" not in shown and shown["type"] == "Opaque"
    assert {k: base64.b64decode(v) for k, v in shown["data"].items()} == {"ca.crt": b"new", "kept": b"kept"}
    patched = kubectl("patch", "secret", "written", "--type", "merge", "-p", '{"stringData": {"x": "y"}}')
    assert patched.returncode == 0, patched.stderr
    after = lab.get("Secret", "default", "written")
    assert "stringData" not in after and base64.b64decode(after["data"]["x"]) == b"y"
    assert kubectl("delete", "secret", "written").returncode == 0


def test_kubectl_annotate_patch_and_apply(kubectl: Any, lab: LabCluster, tmp_path: Path) -> None:
    """The verbs the printed fixes use: merge patch, JSON patch, and apply on an existing object."""
    annotated = kubectl("annotate", "ingress", "meow-ingress", "example/x=1", "--overwrite")
    assert annotated.returncode == 0, annotated.stderr
    assert lab.get("Ingress", "default", "meow-ingress")["metadata"]["annotations"]["example/x"] == "1"
    removed = kubectl(
        "patch",
        "ingress",
        "meow-ingress",
        "--type",
        "json",
        "-p",
        '[{"op":"remove","path":"/metadata/annotations/example~1x"}]',
    )
    assert removed.returncode == 0, removed.stderr
    assert "example/x" not in lab.get("Ingress", "default", "meow-ingress")["metadata"]["annotations"]
    missing = kubectl(
        "patch",
        "ingress",
        "meow-ingress",
        "--type",
        "json",
        "-p",
        '[{"op":"replace","path":"/metadata/annotations/nope","value":"1"}]',
    )
    assert missing.returncode == 1 and "missing key" in missing.stderr
    secret = lab.get("Secret", "default", "my-certs")
    manifest = tmp_path / "secret.json"
    manifest.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "my-certs", "namespace": "default"},
                "data": {**secret["data"], "extra": "eA=="},
            }
        )
    )
    applied = kubectl("apply", "-f", str(manifest))
    assert applied.returncode == 0, applied.stderr
    assert lab.get("Secret", "default", "my-certs")["data"]["extra"] == "eA=="
    lab.apply(secret)  # the module's other tests see the seed's Secret


def test_dry_runs_change_nothing(kubectl: Any, lab: LabCluster, tmp_path: Path) -> None:
    """kubectl diff and --dry-run=server preview on a real API server: the lab must not apply them."""
    before = lab.get("Ingress", "default", "meow-ingress")
    changed = {
        **before,
        "metadata": {
            **before["metadata"],
            "annotations": {
                **before["metadata"]["annotations"],
                "nginx.ingress.kubernetes.io/auth-tls-verify-client": "off",
            },
        },
    }
    for key in ("resourceVersion", "uid", "creationTimestamp"):
        changed["metadata"].pop(key, None)
    manifest = tmp_path / "ingress.json"
    manifest.write_text(json.dumps(changed))
    diff = kubectl("diff", "-f", str(manifest))
    assert diff.returncode == 1 and 'auth-tls-verify-client: "off"' in diff.stdout, diff.stderr  # 1: differences found
    applied = kubectl("apply", "--dry-run=server", "-f", str(manifest))
    assert applied.returncode == 0 and "server dry run" in applied.stdout, applied.stderr
    deleted = kubectl("delete", "secret", "my-certs", "--dry-run=server")
    assert deleted.returncode == 0 and "server dry run" in deleted.stdout, deleted.stderr
    assert lab.get("Ingress", "default", "meow-ingress") == before
    assert lab.get("Secret", "default", "my-certs") is not None
