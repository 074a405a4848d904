"""The lab's mistakes: each changes the objects (and the client's files) the way the
real mistake would, and names the finding that must appear.

A scenario is pure: seed PKI and objects in, objects and the client to probe with
out. The lab applies it to its API server and rebuilds its gateway from the result.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from mtls_tui.certs.issue import Issued, issue_ca, issue_crl, issue_intermediate, issue_leaf
from mtls_tui.lab.objects import controller_objects, meow_ingress, namespace, seed_objects
from mtls_tui.lab.pki import SeedPki

P = "nginx.ingress.kubernetes.io/"


@dataclass(frozen=True)
class Client:
    """What the lab's user probes with: the chain (leaf first) and key, or nothing."""

    chain: tuple[Issued, ...] = ()

    @property
    def cert_pem(self) -> bytes:
        return b"".join(c.cert_pem() for c in self.chain)

    @property
    def key_pem(self) -> bytes:
        return self.chain[0].key_pem()


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    expect: str  # the finding code that names the mistake and carries its fix: the screen lists it first
    build: Callable[[SeedPki], tuple[list[dict[str, Any]], Client]]
    reloads: bool = True  # False: the controller is stuck: edits reach the API server, not nginx
    # what nginx loaded at its last reload, when that is not the objects (None: the objects)
    loaded: Callable[[SeedPki], list[dict[str, Any]]] | None = None


def _replace_ingress(objects: list[dict[str, Any]], ingress: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] != "Ingress"] + [ingress]


def _annotations(**extra: str) -> dict[str, str]:
    base = {P + "auth-tls-verify-client": "on", P + "auth-tls-secret": "default/my-certs"}
    base.update({P + k.replace("_", "-"): v for k, v in extra.items()})
    return base


def healthy(pki: SeedPki):
    return seed_objects(pki), Client((pki.client,))


def no_client_cert(pki: SeedPki):
    return seed_objects(pki), Client()


def ca_rotated(pki: SeedPki):
    """The CA in my-certs was replaced by `kubectl apply`; the Secret also holds the server's
    keypair, so the controller's CA sha did not change and nginx was not reloaded (store/
    backend_ssl.go getPemCertificate, SSLCert.Equal; kubernetes/ingress-nginx #10669). The
    client is one of the new CA's: the Secret trusts it, nginx does not yet."""
    rotated = issue_ca("Rotated Cert Authority")
    objects = seed_objects(pki)
    secret = next(o for o in objects if o["kind"] == "Secret" and o["metadata"]["name"] == "my-certs")
    secret["data"]["ca.crt"] = base64.b64encode(rotated.cert_pem()).decode()
    return objects, Client((issue_leaf("Fern", rotated, serial=3, days=300),))


def wrong_ca(pki: SeedPki):
    other = issue_ca("Other Cert Authority")
    return seed_objects(pki), Client((issue_leaf("Fern", other, serial=2),))


def expired_client(pki: SeedPki):
    start = datetime.now(UTC) - timedelta(days=400)
    return seed_objects(pki), Client((issue_leaf("Fern", pki.ca, serial=2, not_before=start, days=365),))


def missing_ca_key(pki: SeedPki):
    objects = copy.deepcopy(seed_objects(pki))
    secret = next(o for o in objects if o["kind"] == "Secret")
    del secret["data"]["ca.crt"]
    return objects, Client((pki.client,))


def revoked_client(pki: SeedPki):
    """The CA revoked Fern's certificate and the Secret carries the CRL (ca.crl → ssl_crl)."""
    objects = copy.deepcopy(seed_objects(pki))
    secret = next(o for o in objects if o["kind"] == "Secret")
    secret["data"]["ca.crl"] = base64.b64encode(issue_crl(pki.ca, [pki.client.cert])).decode()
    return objects, Client((pki.client,))


def depth_too_small(pki: SeedPki):
    """Two intermediates between the client and the root; the Ingress allows one."""
    first = issue_intermediate("Fern Issuing CA 1", pki.ca)
    second = issue_intermediate("Fern Issuing CA 2", first)
    leaf = issue_leaf("Fern", second, v1=False, eku=["clientAuth"])
    ingress = meow_ingress(_annotations(auth_tls_verify_depth="1"))
    return _replace_ingress(seed_objects(pki), ingress), Client((leaf, second, first))


def bad_secret_ref(pki: SeedPki):
    ingress = meow_ingress({P + "auth-tls-verify-client": "on", P + "auth-tls-secret": "my-certs"})
    return _replace_ingress(seed_objects(pki), ingress), Client((pki.client,))


def cross_namespace(pki: SeedPki):
    objects = seed_objects(pki)
    secret = copy.deepcopy(next(o for o in objects if o["kind"] == "Secret"))
    secret["metadata"]["namespace"] = "certs"
    ingress = meow_ingress({P + "auth-tls-verify-client": "on", P + "auth-tls-secret": "certs/my-certs"})
    return _replace_ingress(objects + [namespace("certs"), secret], ingress), Client((pki.client,))


def no_tls_section(pki: SeedPki):
    return _replace_ingress(seed_objects(pki), meow_ingress(tls=False)), Client((pki.client,))


def match_cn_mismatch(pki: SeedPki):
    return _replace_ingress(seed_objects(pki), meow_ingress(_annotations(auth_tls_match_cn="CN=Fernando"))), Client(
        (pki.client,)
    )


def verify_off(pki: SeedPki):
    ingress = meow_ingress({P + "auth-tls-verify-client": "off", P + "auth-tls-secret": "default/my-certs"})
    return _replace_ingress(seed_objects(pki), ingress), Client((pki.client,))


# Set-ups that work on ingress-nginx and change when moved (mtls-tui migrate --verify shows how).


def migrate_match_cn(pki: SeedPki):
    """auth-tls-match-cn admits CN=Fern only; no successor matches the subject DN."""
    return _replace_ingress(seed_objects(pki), meow_ingress(_annotations(auth_tls_match_cn="CN=Fern"))), Client(
        (pki.client,)
    )


def migrate_deep_chain(pki: SeedPki):
    """A client two intermediates below the CA, allowed by verify-depth 2; Envoy and Go set no depth at all."""
    first = issue_intermediate("Fern Issuing CA 1", pki.ca)
    second = issue_intermediate("Fern Issuing CA 2", first)
    leaf = issue_leaf("Fern", second, v1=False, eku=["clientAuth"])
    ingress = meow_ingress(_annotations(auth_tls_verify_depth="2"))
    return _replace_ingress(seed_objects(pki), ingress), Client((leaf, second, first))


def migrate_crl(pki: SeedPki):
    """The Secret's ca.crl revokes a former client's certificate (not Fern's); Gateway API core and Traefik read no CRL."""
    objects = copy.deepcopy(seed_objects(pki))
    former = issue_leaf("Former Employee", pki.ca, serial=99)
    secret = next(o for o in objects if o["kind"] == "Secret")
    secret["data"]["ca.crl"] = base64.b64encode(issue_crl(pki.ca, [former.cert])).decode()
    return objects, Client((pki.client,))


def migrate_two_hosts(pki: SeedPki):
    """meow.com asks for client certificates, status.meow.com on the same port does not; Gateway API decides per port."""
    status = meow_ingress({}, name="status-ingress", host="status.meow.com")
    return seed_objects(pki) + [status], Client((pki.client,))


# The controller's own settings (issue 16): its flags and its ConfigMap change what the annotations do.


def _controller_config(**data: str) -> dict[str, Any]:
    """The ConfigMap `--configmap=$(POD_NAMESPACE)/ingress-nginx-controller` names (the chart's)."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
        "data": data,
    }


def cross_namespace_allowed(pki: SeedPki):
    """As cross-namespace, with the ConfigMap's allow-cross-namespace-resources: "true": no error."""
    objects, client = cross_namespace(pki)
    return [*objects, _controller_config(**{"allow-cross-namespace-resources": "true"})], client


def ssl_passthrough(pki: SeedPki):
    """ssl-passthrough on the Ingress and --enable-ssl-passthrough on the controller: nginx never
    sees the handshake, auth-tls does nothing (the backend's TLS decides)."""
    objects = [o for o in seed_objects(pki) if o["kind"] not in ("Deployment", "Pod", "IngressClass")]
    objects += controller_objects(extra_args=("--enable-ssl-passthrough",))
    ingress = meow_ingress(_annotations(ssl_passthrough="true"))
    return _replace_ingress(objects, ingress), Client((pki.client,))


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("healthy", "the seed's set-up as the article makes it: mTLS works", "probe-ok", healthy),
        Scenario(
            "no-client-cert",
            "the client forgets --cert/--key: nginx answers 400",
            "probe-no-client-cert",
            no_client_cert,
        ),
        Scenario("wrong-ca", "the client certificate is signed by another CA", "client-cert-untrusted", wrong_ca),
        Scenario("expired-client", "the client certificate expired a month ago", "cert-expired", expired_client),
        Scenario(
            "revoked-client",
            "the Secret's ca.crl revokes the client certificate",
            "client-cert-revoked",
            revoked_client,
        ),
        Scenario(
            "missing-ca-key", "the Secret has tls.crt and tls.key but no ca.crt", "secret-missing-ca", missing_ca_key
        ),
        Scenario(
            "depth-too-small",
            "the client chain has two intermediates, the Ingress allows depth 1",
            "chain-too-deep",
            depth_too_small,
        ),
        Scenario(
            "bad-secret-ref",
            "auth-tls-secret is 'my-certs', without its namespace",
            "annotation-secret-format",
            bad_secret_ref,
        ),
        Scenario(
            "cross-namespace",
            "auth-tls-secret points at a Secret in another namespace",
            "annotation-cross-namespace",
            cross_namespace,
        ),
        Scenario(
            "no-tls-section",
            "the Ingress has no tls: entry: the controller's fake certificate, and no redirect from plain HTTP",
            "mtls-plain-http",
            no_tls_section,
        ),
        Scenario(
            "match-cn-mismatch",
            "auth-tls-match-cn wants CN=Fernando, the client is CN=Fern",
            "client-cert-cn-rejected",
            match_cn_mismatch,
        ),
        Scenario(
            "migrate-match-cn",
            "works here; auth-tls-match-cn CN=Fern does not carry over (mtls-tui migrate --verify)",
            "probe-ok",
            migrate_match_cn,
        ),
        Scenario(
            "migrate-deep-chain",
            "works here (verify-depth 2); moved, the depth is kept by F5 only",
            "probe-ok",
            migrate_deep_chain,
        ),
        Scenario(
            "migrate-crl",
            "works here; the CRL revoking a former client is dropped by Gateway API core and Traefik",
            "probe-ok",
            migrate_crl,
        ),
        Scenario(
            "migrate-two-hosts",
            "meow.com with mTLS and status.meow.com without, on one port: per port on Gateway API",
            "probe-ok",
            migrate_two_hosts,
        ),
        Scenario(
            "cross-namespace-allowed",
            "the Secret is in another namespace and the controller's ConfigMap allows it: no error",
            "probe-ok",
            cross_namespace_allowed,
        ),
        Scenario(
            "ssl-passthrough",
            "ssl-passthrough with --enable-ssl-passthrough: TLS goes to the backend, auth-tls does nothing",
            "ssl-passthrough",
            ssl_passthrough,
        ),
        Scenario(
            "ca-rotated",
            "the CA in my-certs was replaced, the controller did not reload: the new CA's clients get 400",
            "controller-ca-stale",
            ca_rotated,
            loaded=seed_objects,
        ),
        Scenario(
            "stale-controller",
            "the controller stops reloading: change the Secret (kubectl apply), then check --exec finds it",
            "probe-ok",
            healthy,
            reloads=False,
        ),
        Scenario(
            "verify-off",
            "auth-tls-verify-client off: no client certificate is required",
            "mtls-not-enforced",
            verify_off,
        ),
    )
}
