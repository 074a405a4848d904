"""What a diagnosis looks at: a cluster context or manifest files (or the lab, a
cluster), the user's client certificate files, and where to probe.

Plain settings: the edges read what they name (`sources.snapshot.source_for`,
`sources.files.read_client`), so the same Session drives the CLI, the screen and a
browser session attached to a served lab (which receives it as JSON).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from mtls_tui.diagnose.certificates import input_label
from mtls_tui.diagnose.reproduce import probe_target
from mtls_tui.model import Forced, ProbeSpec
from mtls_tui.policy.ingress_nginx.host_policy import HostPolicy
from mtls_tui.shell import arg

PROBE_TIMEOUT = 10.0  # seconds a host's probe may take, as `check --timeout` defaults


@dataclass
class Session:
    context: str | None = None
    kubeconfig: str | None = None
    namespace: str | None = None
    manifests: list[str] = field(default_factory=list)
    cert: str | None = None
    key: str | None = None
    cacert: str | None = None
    connect: str | None = None  # ADDR:PORT where every host is probed (the lab's gateway)
    passphrase: str | None = field(default=None, repr=False)
    label: str = ""
    # --controller: judge every object as if this controller served it (None: as each one's class
    # says: policy/successors/forced.py); also whose data plane's logs the screen follows
    controller: Forced | None = None
    # --exec: read each ingress-nginx controller pod's rendered nginx.conf (`cat`, by exec) and
    # compare it with what its objects say; the user's consent, as exec reaches into the pods
    exec_conf: bool = False
    frozen_now: datetime | None = None  # a fixed clock, for screenshots that must not change with the date

    def now(self) -> datetime:
        return self.frozen_now or datetime.now(UTC)

    def describe(self) -> str:
        if self.label:
            return self.label
        if self.manifests:
            return "manifests " + " ".join(map(input_label, self.manifests))
        return f"context {self.context or '(current)'}"

    def check_command(self) -> str:
        """`mtls-tui check` on the input this session reads, as a printed fix names it: the same
        manifest files (or context, kubeconfig, namespace), not the kubeconfig's current cluster."""
        words = ["mtls-tui", "check"]
        if self.manifests:
            words += ["--manifests", *(arg(path) for path in self.manifests)]
        for flag, value in (("--context", self.context), ("--kubeconfig", self.kubeconfig)):
            if value and not self.manifests:
                words += [flag, arg(value)]
        if self.namespace:
            words += ["--namespace", arg(self.namespace)]
        return " ".join(words)

    def no_probe_reason(self, host: str) -> str:
        """Why `probe_spec` has no address for a host, in the user's terms."""
        if self.manifests and not self.connect:
            return f"manifest files are not a running cluster: nothing in them says where {host} is served"
        return f"no address is known for {host}: its Ingress has none in its status, and no --connect was given"

    def probe_spec(
        self,
        policy: HostPolicy | str,
        *,
        url: str | None = None,
        resolve: str | None = None,
        host: str | None = None,
        cert: str | None = None,
        key: str | None = None,
        cacert: str | None = None,
        insecure: bool = True,
        timeout: float = PROBE_TIMEOUT,
    ) -> ProbeSpec | None:
        """The probe of a host: at its own address (or `connect`) unless `url` says otherwise;
        `host` is a Host header other than the URL's host (SNI and Host disagree, as with
        curl -H). None: the host has no address to probe. `policy` is an ingress-nginx host's,
        or a host name alone (another controller's host: probed at `connect` only)."""
        if url is None:
            name, ingresses = (policy, ()) if isinstance(policy, str) else (policy.host, policy.ingresses)
            target = probe_target(name, ingresses, self.connect)
            if target is None:
                return None
            url, resolve = target
        return ProbeSpec(
            url,
            resolve=resolve,
            cert=cert if cert is not None else self.cert,
            key=key if key is not None else self.key,
            cacert=cacert if cacert is not None else self.cacert,
            insecure=insecure,
            headers=(("Host", host),) if host else (),
            passphrase=self.passphrase.encode() if self.passphrase is not None else None,
            timeout=timeout,
        )
