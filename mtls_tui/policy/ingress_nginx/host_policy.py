"""HostPolicy: one host's server as the controller configures it, the result the diagnosis, the
rendered nginx configuration and the migration read; and which hosts get one. Separate so that
its readers import the type without the rules that build it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mtls_tui.model import ControllerObj, Finding, IngressObj, MtlsPolicy
from mtls_tui.policy.ingress_nginx.annotations import PREFIX


@dataclass(frozen=True)
class HostPolicy:
    """One host (nginx `server`) as the controller configures it."""

    host: str
    policy: MtlsPolicy | None  # the winning auth-tls annotations; None: no served Ingress asks
    ingresses: tuple[IngressObj, ...]
    mtls_from: IngressObj | None
    tls_secret: str | None  # the Secret whose certificate the server presents; None: the fake certificate
    controller: ControllerObj | None
    findings: tuple[Finding, ...]
    directives: tuple[str, ...]
    denial: str | None = None  # the server's AuthTLSError: `return 403;` before any location
    served: bool = True  # False when every Ingress for the host was dropped (or serves another class): no server block
    client_checks: bool = False  # ssl_verify_client is rendered: the winning Secret gave a CA file
    unseen: tuple[str, ...] = ()  # inputs the verdict depends on that could not be read
    denied_secret: str | None = None  # the auth-tls Secret the controller refused, when that is the denial
    asks_mtls: bool = False  # a served Ingress for the host names an auth-tls Secret
    controller_unseen: bool = False  # manifests: the controller is not among them; ingress-nginx is assumed
    service_unseen: bool = False  # manifests: the controller is, its Service is not (load_balancer.service_unseen)
    passthrough: bool = False  # ssl-passthrough with --enable-ssl-passthrough: nginx never terminates TLS here
    # the auth-tls-match-cn nginx renders at server level whatever the CA and verify mode, when it
    # refuses an empty subject: a request that brings no verified certificate gets 403 from it
    cn_gate: str | None = None
    # Ingresses for the host that ask for client certificates but that the controller does not
    # serve (dropped, ignored), while others serve the host: their error is why nobody is asked
    unserved_askers: tuple[str, ...] = ()
    # the Location denied reason of the server's `/` location (nginx.tmpl: `return 503;` in it)
    root_location_denial: str | None = None

    @property
    def denied(self) -> bool:
        return self.denial is not None

    @property
    def unchecked(self) -> list[str]:
        """What the verdict could not check, as the report's "not checked" lists it: `unseen`, then the
        notes that leave the state as it is (a controller or a Service not among the files)."""
        return [
            *self.unseen,
            *(["the controller (not among the files: ingress-nginx assumed)"] if self.controller_unseen else []),
            *(
                ["the controller's Service (not among the files: its load balancer's TLS and PROXY protocol)"]
                if self.service_unseen
                else []
            ),
        ]


def listed_ingress(ingress: IngressObj) -> bool:
    """An Ingress whose hosts have a HostPolicy: it has a tls: section or names an auth-tls Secret."""
    return bool(ingress.tls) or ingress.annotation(PREFIX + "auth-tls-secret") is not None


def listed_hosts(ingresses: Iterable[IngressObj]) -> list[str]:
    """The hosts `host_policies` will list, as far as these Ingresses alone tell (before the
    Secrets and the controller are read), in the order first seen: the screen shows them while
    the rest of the snapshot is read."""
    return list(dict.fromkeys(host for ingress in ingresses if listed_ingress(ingress) for host in ingress.hosts))
