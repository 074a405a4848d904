"""`LabCluster`: a local Kubernetes API server the real client and kubectl accept unchanged.

It issues its own PKI (so it also exercises client-certificate auth to the API, the
way kubeadm clusters are reached), holds objects in memory, and lets a test or the
lab change them live, feed container logs, cut streams and withhold permissions.
"""

from __future__ import annotations

import base64
import copy
import shutil
import ssl
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from mtls_tui.certs.issue import Issued, issue_ca, issue_leaf, new_key
from mtls_tui.lab.cluster import resources
from mtls_tui.lab.cluster.access import Access
from mtls_tui.lab.cluster.api import Api
from mtls_tui.lab.cluster.logs import LogBook, PodLog, container_for
from mtls_tui.lab.cluster.server import ApiServer
from mtls_tui.lab.cluster.status import not_found
from mtls_tui.lab.cluster.store import Store
from mtls_tui.lab.leftovers import API_FOLDER_PREFIX, private_folder
from mtls_tui.lab.pki import write_file

USER = "mtls-lab-admin"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class LabCluster:
    """Single use: `start()` once, `stop()` once (or use it as a context manager)."""

    def __init__(
        self,
        objects: Iterable[dict[str, Any]] = (),
        *,
        history: int = 1000,
        log_lines: int = 100_000,
        bookmark_interval: float = 1.0,
    ) -> None:
        self.ca = issue_ca("mtls-lab-apiserver-ca", key=new_key("ec"))
        self._serving = issue_leaf(
            "mtls-lab-apiserver",
            self.ca,
            key=new_key("ec"),
            v1=False,
            sans=["127.0.0.1", "localhost"],
            eku=["serverAuth"],
        )
        self.client: Issued = issue_leaf(USER, self.ca, key=new_key("ec"), v1=False, eku=["clientAuth"])
        self._store = Store(history)
        self._logs = LogBook(self._store, log_lines)
        self._access = Access()
        self._api = Api(self._store, self._logs, self._access, lambda: f"127.0.0.1:{self.port}", bookmark_interval)
        self._server: ApiServer | None = None
        self._thread: threading.Thread | None = None
        self._folder: Path | None = None
        self._resources: ExitStack | None = None
        for obj in objects:
            self.apply(obj)

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> LabCluster:
        if self._server is not None or self._store.closed:
            raise RuntimeError("a LabCluster starts once")
        with ExitStack() as stack:  # a start that fails half way releases what it took, in reverse
            # A private folder marked with our pid, as the lab's others: one killed with SIGKILL
            # has it (and the serving key in it) reaped by the next lab (leftovers.reap).
            self._folder = private_folder(API_FOLDER_PREFIX)
            stack.callback(self._remove_folder)
            cert, key = self._folder / "apiserver.crt", self._folder / "apiserver.key"
            write_file(cert, self._serving.cert_pem())
            write_file(key, self._serving.key_pem(), private=True)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_cert_chain(cert, key)
            context.load_verify_locations(cadata=self.ca.cert_pem().decode())
            context.verify_mode = ssl.CERT_OPTIONAL  # no certificate: a 401 Status rather than a failed handshake
            context.set_alpn_protocols(["http/1.1"])
            self._server = ApiServer(self._api, context)
            stack.callback(self._close_server)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="mtls-lab-apiserver",
                daemon=True,
            )
            self._thread.start()
            stack.callback(self._stop_serving)
            self._resources = stack.pop_all()
        return self

    def stop(self) -> None:
        """End every stream, then every connection, then remove the key files; safe to call twice."""
        self._store.close()  # first, and also when never started: a later start() is refused
        resources, self._resources = self._resources, None
        if resources is not None:
            resources.close()

    def _stop_serving(self) -> None:
        """Stop accepting, cut every connection and wait for the serving thread."""
        assert self._server is not None and self._thread is not None
        self._server.stop()
        self._thread.join()
        self._thread = None

    def _close_server(self) -> None:
        assert self._server is not None
        self._server.server_close()
        self._server = None

    def _remove_folder(self) -> None:
        assert self._folder is not None
        shutil.rmtree(self._folder, ignore_errors=True)
        self._folder = None

    def __enter__(self) -> LabCluster:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the lab cluster is not running")
        return self._server.server_port

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def requests(self) -> Counter[str]:
        """The requests served so far, by method and path (`GET /api/v1/secrets`; every page
        of a LIST is one): what a reader costs the API server."""
        return self._api.served

    @property
    def resource_version(self) -> str:
        return str(self._store.version)

    def write_kubeconfig(self, path: str | Path, context: str = "mtls-lab", namespace: str = "default") -> Path:
        """A kubeconfig with everything inline, so it works wherever it is copied (mode 0600: it holds a key)."""
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "preferences": {},
            "clusters": [
                {
                    "name": context,
                    "cluster": {"server": self.url, "certificate-authority-data": _b64(self.ca.cert_pem())},
                }
            ],
            "users": [
                {
                    "name": f"{context}-{USER}",
                    "user": {
                        "client-certificate-data": _b64(self.client.cert_pem()),
                        "client-key-data": _b64(self.client.key_pem()),
                    },
                }
            ],
            "contexts": [
                {"name": context, "context": {"cluster": context, "user": f"{context}-{USER}", "namespace": namespace}}
            ],
            "current-context": context,
        }
        path = Path(path)
        write_file(path, yaml.safe_dump(config, sort_keys=False).encode(), private=True)
        path.chmod(0o600)  # write_file keeps the mode of a file that already existed
        return path

    # --- live changes -------------------------------------------------------------------

    def apply(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Create or replace, as `kubectl apply` would: watchers see ADDED or MODIFIED."""
        return self._store.put(obj)

    def delete(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        return self._store.delete(resources.find(kind), namespace or "default", name)

    def get(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        obj = self._store.get(resources.find(kind), namespace or "default", name)
        return copy.deepcopy(obj)

    def objects(self, kind: str) -> list[dict[str, Any]]:
        return copy.deepcopy(self._store.select(resources.find(kind), None, lambda obj: True))

    def all_objects(self) -> list[dict[str, Any]]:
        return [
            obj for resource in resources.RESOURCES if resource.kind != "Event" for obj in self.objects(resource.kind)
        ]

    def on_change(self, callback: Callable[[str], None]) -> None:
        """`callback(kind)` after every change, from whoever made it (kubectl included).
        It runs under the store's lock: it must only take note, not read the store."""
        self._store.subscribe(lambda change: callback(change.resource.kind))

    def compact_history(self) -> None:
        self._store.compact()

    def forbid(self, verb: str, resource: str, namespace: str | None = None) -> None:
        """Deny `verb` on `resource` (plural, or `pods/log`) in `namespace`, or everywhere."""
        self._access.forbid(verb, resource, namespace)

    def allow(self, verb: str, resource: str, namespace: str | None = None) -> None:
        self._access.allow(verb, resource, namespace)

    # --- logs ---------------------------------------------------------------------------

    def pod_file(self, namespace: str, pod: str, path: str, data: bytes) -> None:
        """A file in the pod's container, for `kubectl exec POD -- cat PATH`."""
        self._api.files.setdefault((namespace, pod), {})[path] = data

    def pod_log(self, namespace: str, pod: str, container: str | None = None) -> PodLog:
        """The log a container writes; the pod must exist (its only container is the default)."""
        pods = resources.find("Pod")
        obj = self._store.get(pods, namespace, pod)
        if obj is None:
            raise not_found(pods, pod)
        return self._logs.log(namespace, pod, container_for(obj, container))

    def cut_log_streams(self, namespace: str | None = None, pod: str | None = None) -> int:
        """Drop open follow streams without their closing chunk, as a lost connection does; returns how many."""
        return self._logs.cut(namespace, pod)
