"""Field reports, reproduced: real mTLS failures from GitHub issues and Q&A threads
(collected in /tmp/research/field-reports.md), each rebuilt with real certificates and
the Kubernetes objects of the report, diagnosed the way a user runs the tool
(`mtls-tui check --manifests … --cert … --key … --connect … --json`, `inspect`,
`probe`), held to a real nginx configured as ingress-nginx renders those objects, and,
where the tool prints a command, fixed by running that command as printed: openssl and
shell in the test's folder, kubectl against the lab's API server holding the objects.

Every test asserts what the report establishes (the cause, what nginx answers), not
what the tool happens to print. One nginx serves every case by SNI
(`<case>.field.test`, one wildcard server certificate); a fix that changes objects gets
its own nginx, rendered from the objects as kubectl left them.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from mtls_tui.certs.issue import Issued, issue_ca, issue_intermediate, issue_leaf, new_key
from mtls_tui.cli import main
from mtls_tui.lab.cluster import LabCluster
from mtls_tui.lab.environment import gateway_hosts
from mtls_tui.lab.gateway import Gateway, GatewayHost
from mtls_tui.lab.nginx import Nginx, NginxError, free_port
from mtls_tui.lab.objects import controller_objects, meow_ingress, namespace
from mtls_tui.lab.pki import write_file
from mtls_tui.model import MtlsPolicy, ProbeSpec
from mtls_tui.policy.nginx_answers import CERT_ERROR, NO_CERT, PLAIN_HTTP
from mtls_tui.sources.probe import run_probe
from tests.conftest import require

pytestmark = [pytest.mark.nginx, pytest.mark.openssl_cli]

P = "nginx.ingress.kubernetes.io/"
DOMAIN = "field.test"
NOW = datetime.now(UTC)


def fqdn(name: str) -> str:
    return f"{name}.{DOMAIN}"


def ec() -> Any:
    return new_key("ec")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def pem(*issued: Issued) -> bytes:
    return b"".join(i.cert_pem() for i in issued)


def sh(
    folder: Path, command: str, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """A command as a user types it, in bash, in `folder`."""
    done = subprocess.run(
        ["bash", "-c", command], check=False, cwd=folder, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 or not check, f"{command}\n{done.stderr}"
    return done


# --- Kubernetes objects -------------------------------------------------------------------


def mtls(secret: str, **extra: str) -> dict[str, str]:
    """The auth-tls annotations as the reports write them (`verify_depth="2"` → auth-tls-verify-depth)."""
    return {
        P + "auth-tls-verify-client": "on",
        P + "auth-tls-secret": secret,
        **{P + "auth-tls-" + k.replace("_", "-"): v for k, v in extra.items()},
    }


def ingress(
    name: str,
    annotations: dict[str, str],
    *,
    host: str | None = None,
    ns: str = "default",
    tls: bool = True,
    secret_name: str = "field-tls",
    path: str = "/",
    created: str | None = None,
) -> dict:
    obj = meow_ingress(annotations, tls=tls, name=name, host=host or fqdn(name), namespace_=ns)
    if tls:
        obj["spec"]["tls"][0]["secretName"] = secret_name
    obj["spec"]["rules"][0]["http"]["paths"][0]["path"] = path
    if created:
        obj["metadata"]["creationTimestamp"] = created
    return obj


def secret(name: str, data: dict[str, bytes], ns: str = "default", type_: str = "Opaque") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": ns},
        "type": type_,
        "data": {k: b64(v) for k, v in data.items()},
    }


# --- the PKIs -----------------------------------------------------------------------------


@dataclass
class World:
    """What every case shares: a folder for openssl's work and one server certificate for *.field.test."""

    folder: Path
    server: Issued

    @classmethod
    def make(cls, folder: Path) -> World:
        server_ca = ca("Field Server CA")
        server = issue_leaf("*." + DOMAIN, server_ca, v1=False, sans=["*." + DOMAIN], eku=["serverAuth"], key=ec())
        return cls(folder, server)

    def tls_secret(self, ns: str = "default", name: str = "field-tls") -> dict:
        return secret(
            name, {"tls.crt": self.server.cert_pem(), "tls.key": self.server.key_pem()}, ns, "kubernetes.io/tls"
        )

    def cluster(self, *namespaces: str) -> list[dict]:
        """A cluster with ingress-nginx (two pods, IngressClass nginx) and the TLS Secret in each namespace."""
        spaces = ["default", *namespaces]
        return [
            namespace("ingress-nginx"),
            *controller_objects(),
            *(namespace(ns) for ns in spaces),
            *(self.tls_secret(ns) for ns in spaces),
        ]

    def server_files(self) -> dict[str, bytes]:
        return {"server.crt": self.server.cert_pem(), "server.key": self.server.key_pem()}

    def workshop(self, name: str) -> Path:
        """A folder where a case's files are made with openssl, the server's keypair beside them (server.crt/key)."""
        folder = self.folder / name
        folder.mkdir()
        write_file(folder / "server.crt", self.server.cert_pem())
        write_file(folder / "server.key", self.server.key_pem(), private=True)
        return folder


def files_of(folder: Path, *names: str) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in names}


OPENSSL_CA_CNF = """\
[ ca ]
default_ca = this
[ this ]
dir = .
database = $dir/{stem}.index
crlnumber = $dir/{stem}.crlnumber
certificate = $dir/{stem}.crt
private_key = $dir/{stem}.key
new_certs_dir = $dir
serial = $dir/{stem}.serial
default_md = sha256
default_days = 30
default_crl_days = 30
policy = anything
unique_subject = no
[ anything ]
commonName = supplied
"""

OPENSSL_CA_FILES = ("{stem}.index", "{stem}.crlnumber", "{stem}.serial")


def openssl_ca(folder: Path, stem: str, config: str) -> tuple[str, ...]:
    """`openssl ca`'s configuration and database for the CA in {stem}.crt/{stem}.key: the CA.cnf a fix names."""
    (folder / config).write_text(OPENSSL_CA_CNF.format(stem=stem))
    (folder / f"{stem}.index").write_text("")
    (folder / f"{stem}.crlnumber").write_text("01\n")
    (folder / f"{stem}.serial").write_text("1000\n")
    return (config, *(name.format(stem=stem) for name in OPENSSL_CA_FILES))


def openssl_root(folder: Path, stem: str, cn: str) -> None:
    sh(
        folder,
        f"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout {stem}.key -out {stem}.crt "
        f"-days 400 -subj '/CN={cn}' -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign",
    )


def openssl_issue(folder: Path, stem: str, cn: str, issuer: str, ext: str) -> None:
    sh(
        folder,
        f"openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout {stem}.key -subj '/CN={cn}' | "
        f"openssl x509 -req -sha256 -days 300 -CA {issuer}.crt -CAkey {issuer}.key -CAcreateserial -out {stem}.crt "
        f"-extfile <(printf '{ext}')",
    )


CA_EXT = "basicConstraints=critical,CA:true\\nkeyUsage=critical,keyCertSign,cRLSign\\n"
CLIENT_EXT = "basicConstraints=CA:false\\nkeyUsage=critical,digitalSignature\\nextendedKeyUsage=clientAuth\\n"


# --- the cases ------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    objects: list[dict]  # everything `check --manifests` reads for this case
    files: dict[str, bytes] = dataclasses.field(
        default_factory=dict
    )  # the user's folder: client.crt, client.key, ca.crt…
    serve: list[GatewayHost] | None = None  # what nginx serves; None: what the controller renders for `objects`

    @property
    def host(self) -> str:
        return fqdn(self.name)


C = TypeVar("C")


def case_registry(
    _case: type[C],
) -> tuple[
    dict[str, Callable[[World], C]], Callable[[str], Callable[[Callable[[World, str], C]], Callable[[World, str], C]]]
]:
    """A field-report file's cases by name, and the decorator that registers a case's builder
    (it gets its name too): each file of reports keeps its own `Case` type."""
    builders: dict[str, Callable[[World], C]] = {}

    def builds(name: str) -> Callable[[Callable[[World, str], C]], Callable[[World, str], C]]:
        def register(build: Callable[[World, str], C]) -> Callable[[World, str], C]:
            builders[name] = lambda world: build(world, name)
            return build

        return register

    return builders, builds


BUILDERS, builds = case_registry(Case)


def ca(cn: str) -> Issued:
    return issue_ca(cn, key=ec(), days=400)


def client(cn: str, issuer: Issued, **options: Any) -> Issued:
    """A v3 client certificate (clientAuth) that ends before its CA."""
    return issue_leaf(cn, issuer, **{"v1": False, "eku": ["clientAuth"], "key": ec(), "days": 300, **options})


def client_chain(
    name: str, intermediates: int, *, cn: str = "client", **leaf: Any
) -> tuple[Issued, list[Issued], Issued]:
    """root → intermediates → leaf (v3, clientAuth), P-256 keys."""
    root = ca(f"{name} Root CA")
    chain = [root]
    for index in range(intermediates):
        chain.append(issue_intermediate(f"{name} Issuing CA {index + 1}", chain[-1], key=ec(), days=380))
    return root, chain[1:], client(cn, chain[-1], **leaf)


def user_files(leaf: Issued, *sent: Issued, authority: Issued | None = None) -> dict[str, bytes]:
    """client.crt (the leaf and what the client sends with it), client.key; ca.crt and ca.key when the user keeps the CA."""
    files = {"client.crt": pem(leaf, *sent), "client.key": leaf.key_pem()}
    if authority is not None:
        files.update({"ca.crt": authority.cert_pem(), "ca.key": authority.key_pem()})
    return files


@builds("a1")
def _a1(world: World, name: str) -> Case:
    root, (int1, int2), leaf = client_chain("A1", 2)
    return Case(
        name,
        world.cluster()
        + [
            secret("ca-a1", {"ca.crt": root.cert_pem()}),
            ingress(name, mtls("default/ca-a1", verify_depth="1")),
        ],
        user_files(leaf, int2, int1),
    )


@builds("a2")
def _a2(world: World, name: str) -> Case:
    """Plain nginx, certificates made with openssl as the LibreSSL thread's reporter made them."""
    folder = world.workshop(name)
    openssl_root(folder, "root", "Root")
    openssl_issue(folder, "int1", "int1", "root", CA_EXT)
    openssl_issue(folder, "int2", "int2", "int1", CA_EXT)
    openssl_issue(folder, "leaf", "leaf_int2", "int2", CLIENT_EXT)
    openssl_issue(folder, "leaf1", "leaf_int1", "int1", CLIENT_EXT)
    sh(folder, "cat leaf.crt int2.crt int1.crt > leaf_chain.crt && cat leaf1.crt int1.crt > leaf1_chain.crt")
    files = files_of(folder, "root.crt", "leaf.key", "leaf_chain.crt", "leaf1.key", "leaf1_chain.crt")
    server = world.server
    nginx = [
        GatewayHost(
            MtlsPolicy(fqdn(host), secret="plain/nginx", verify_depth=depth),
            server.cert_pem(),
            server.key_pem(),
            files["root.crt"],
        )
        for host, depth in (("a2", 1), ("a2-depth2", 2), ("a8", 0), ("a8-depth1", 1))
    ]
    return Case(name, [], files, serve=nginx)


@builds("a4")
def _a4(world: World, name: str) -> Case:
    root, (intermediate,), leaf = client_chain("A4", 1)
    files = user_files(leaf)  # the client sends its certificate alone
    files["INTERMEDIATE.crt"] = intermediate.cert_pem()
    return Case(
        name,
        world.cluster()
        + [
            secret("ca-secret", {"ca.crt": root.cert_pem()}),
            ingress(name, mtls("default/ca-secret", verify_depth="2")),
        ],
        files,
    )


@builds("a5")
def _a5(world: World, name: str) -> Case:
    root, (intermediate,), leaf = client_chain("A5", 1)
    files = user_files(leaf)  # a browser sends the leaf only
    files.update({"ca.crt": root.cert_pem(), "INTERMEDIATE.crt": intermediate.cert_pem()})
    return Case(
        name,
        world.cluster()
        + [
            secret("ca-a5", {"ca.crt": root.cert_pem()}),
            ingress(name, mtls("default/ca-a5")),
        ],
        files,
    )


@builds("a7")
def _a7(world: World, name: str) -> Case:
    root, (intermediate,), leaf = client_chain("A7", 1)
    files = user_files(leaf, intermediate)
    files.update({"ca.crt": intermediate.cert_pem(), "root.crt": root.cert_pem()})
    return Case(
        name,
        world.cluster()
        + [
            secret("ca-a7", {"ca.crt": intermediate.cert_pem()}),
            ingress(name, mtls("default/ca-a7")),
        ],
        files,
    )


@builds("b1")
def _b1(world: World, name: str) -> Case:
    """The tutorial's openssl-made client CA, and a client certificate it did not issue (self-signed)."""
    folder = world.workshop(name)
    openssl_root(folder, "ca", "Client CA")
    sh(
        folder,
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout client.key -out client.crt "
        "-days 300 -subj '/CN=client'",
    )
    files = files_of(folder, "ca.crt", "ca.key", "client.crt", "client.key")
    return Case(
        name,
        world.cluster()
        + [
            secret("client-ca", {"ca.crt": files["ca.crt"]}),
            ingress(name, mtls("default/client-ca")),
        ],
        files,
    )


@builds("c1")
def _c1(world: World, name: str) -> Case:
    """`kubectl create secret generic ca-cert --from-file=./CA.crt`: the data key is CA.crt."""
    authority = ca("C1 Client CA")
    leaf = client("client", authority)
    files = user_files(leaf)
    files["CA.crt"] = authority.cert_pem()
    return Case(
        name,
        world.cluster()
        + [
            secret("ca-cert", {"CA.crt": authority.cert_pem()}),
            ingress(name, mtls("default/ca-cert")),
        ],
        files,
    )


@builds("c2")
def _c2(world: World, name: str) -> Case:
    """A cert-manager style kubernetes.io/tls Secret holding the CA in tls.crt (and its key)."""
    authority = ca("C2 Client CA")
    leaf = client("client", authority)
    return Case(
        name,
        world.cluster()
        + [
            secret(
                "ca-key-pair",
                {"tls.crt": authority.cert_pem(), "tls.key": authority.key_pem()},
                type_="kubernetes.io/tls",
            ),
            ingress(name, mtls("default/ca-key-pair")),
        ],
        {**user_files(leaf), "ca.crt": authority.cert_pem()},
    )


@builds("c3")
def _c3(world: World, name: str) -> Case:
    """The tenant's CA file is DER (openssl x509 -outform DER): not a PEM certificate."""
    folder = world.workshop(name)
    openssl_root(folder, "ca", "C3 Client CA")
    openssl_issue(folder, "client", "client", "ca", CLIENT_EXT)
    sh(folder, "openssl x509 -in ca.crt -outform DER -out ca.der")
    files = files_of(folder, "ca.crt", "ca.der", "client.crt", "client.key")
    return Case(
        name,
        world.cluster()
        + [
            secret("mutual-tls-secret", {"ca.crt": files["ca.der"]}),
            ingress(name, mtls("default/mutual-tls-secret")),
        ],
        files,
    )


@builds("c4")
def _c4(world: World, name: str) -> Case:
    authority = ca("C4 Client CA")
    leaf = client("client", authority)
    other = ec()
    mismatched = secret(
        "tls-baremetal",
        {"tls.crt": world.server.cert_pem(), "tls.key": Issued(world.server.cert, other).key_pem()},
        type_="kubernetes.io/tls",
    )
    files = {**user_files(leaf), **world.server_files(), "other.key": Issued(leaf.cert, other).key_pem()}
    return Case(
        name,
        world.cluster()
        + [
            mismatched,
            secret("ca-c4", {"ca.crt": authority.cert_pem()}),
            ingress(name, mtls("default/ca-c4"), secret_name="tls-baremetal"),
        ],
        files,
    )


@builds("d1")
def _d1(world: World, name: str) -> Case:
    authority = ca("D1 Client CA")
    leaf = client("client", authority)
    return Case(
        name,
        world.cluster("coffee-system", "ingress")
        + [
            secret("client-cert", {"ca.crt": authority.cert_pem()}, ns="ingress"),
            ingress(name, mtls("ingress/client-cert"), ns="coffee-system"),
        ],
        user_files(leaf),
    )


NGINX_INC_LABELS = {"app.kubernetes.io/name": "nginx-ingress", "app.kubernetes.io/instance": "nginx-ingress"}


def nginx_inc_objects() -> list[dict]:
    """helm chart nginx-ingress-0.15.1 (NGINX Inc, app 2.4.1): its Deployment and IngressClass."""
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "nginx-ingress-nginx-ingress",
            "namespace": "nginx-ingress",
            "labels": dict(NGINX_INC_LABELS),
        },
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": dict(NGINX_INC_LABELS)},
            "template": {
                "metadata": {"labels": dict(NGINX_INC_LABELS)},
                "spec": {
                    "containers": [
                        {
                            "name": "nginx-ingress",
                            "image": "nginx/nginx-ingress:2.4.1",
                            "args": ["-nginx-configmaps=$(POD_NAMESPACE)/nginx-ingress", "-ingress-class=nginx"],
                        }
                    ]
                },
            },
        },
    }
    ingress_class = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": "nginx"},
        "spec": {"controller": "nginx.org/ingress-controller"},
    }
    return [namespace("nginx-ingress"), deployment, ingress_class]


@builds("e1")
def _e1(world: World, name: str) -> Case:
    authority = ca("E1 Client CA")
    leaf = client("client", authority)
    objects = [
        namespace("default"),
        world.tls_secret(),
        *nginx_inc_objects(),
        secret("cert-secret", {"ca.crt": authority.cert_pem()}),
        ingress(name, mtls("default/cert-secret")),
    ]
    # NGINX Inc's controller serves the host with its TLS certificate and ignores nginx.ingress.kubernetes.io/*
    nginx_inc = GatewayHost(MtlsPolicy(fqdn(name)), world.server.cert_pem(), world.server.key_pem())
    return Case(name, objects, user_files(leaf), serve=[nginx_inc])


@builds("e3")
def _e3(world: World, name: str) -> Case:
    authority = ca("E3 Client CA")
    leaf = client("client", authority)
    annotations = {"ingress.kubernetes.io/auth-tls-secret": "default/caingress", P + "auth-tls-verify-client": "on"}
    return Case(
        name,
        world.cluster()
        + [
            secret("caingress", {"ca.crt": authority.cert_pem()}),
            ingress(name, annotations),
        ],
        user_files(leaf),
    )


@builds("f1")
def _f1(world: World, name: str) -> Case:
    authority = ca("F1 Client CA")
    leaf = client("client", authority)
    broken = ingress(name, mtls("default/ca-f1"))
    del broken["spec"]["tls"][0]["secretName"]  # tls: - hosts: [h], no secretName
    return Case(name, world.cluster() + [secret("ca-f1", {"ca.crt": authority.cert_pem()}), broken], user_files(leaf))


@builds("g1")
def _g1(world: World, name: str) -> Case:
    authority = ca("G1 Client CA")
    leaf = client("client", authority)
    return Case(
        name,
        world.cluster()
        + [
            secret("ca-g1", {"ca.crt": authority.cert_pem()}),
            ingress("g1-a", mtls("default/ca-g1"), host=fqdn(name), path="/a", created="2026-01-01T00:00:00Z"),
            ingress("g1-b", {}, host=fqdn(name), path="/b", created="2026-02-01T00:00:00Z"),
        ],
        user_files(leaf),
    )


@builds("g2")
def _g2(world: World, name: str) -> Case:
    ca_prod, ca_qa = ca("G2 Prod CA"), ca("G2 QA CA")
    prod = client("prod-client", ca_prod)
    qa = client("qa-client", ca_qa)
    files = {
        **user_files(qa),
        "prod.crt": prod.cert_pem(),
        "prod.key": prod.key_pem(),
        "ca-prod.crt": ca_prod.cert_pem(),
        "ca-qa.crt": ca_qa.cert_pem(),
    }
    return Case(
        name,
        world.cluster()
        + [
            secret("ca-prod", {"ca.crt": ca_prod.cert_pem()}),
            secret("ca-qa", {"ca.crt": ca_qa.cert_pem()}),
            ingress("g2-prod", mtls("default/ca-prod"), host=fqdn(name), path="/prod", created="2026-01-01T00:00:00Z"),
            ingress("g2-qa", mtls("default/ca-qa"), host=fqdn(name), path="/qa", created="2026-02-01T00:00:00Z"),
        ],
        files,
    )


@builds("h1")
def _h1(world: World, name: str) -> Case:
    authority = ca("H1 Clients CA")
    leaf = client("client", authority)
    return Case(
        name,
        world.cluster()
        + [
            secret("clients-ca", {"ca.crt": authority.cert_pem()}),
            ingress(name, mtls("default/clients-ca")),
        ],
        user_files(leaf),
    )


def expired_case(world: World, name: str, verify_client: str) -> Case:
    authority = ca(f"{name.upper()} Client Root Certificate Authority")
    leaf = client("BadSSL Client Certificate", authority, not_before=NOW - timedelta(days=400), days=365)
    return Case(
        name,
        world.cluster()
        + [
            secret(f"ca-{name}", {"ca.crt": authority.cert_pem()}),
            ingress(name, {**mtls(f"default/ca-{name}"), P + "auth-tls-verify-client": verify_client}),
        ],
        user_files(leaf, authority=authority),
    )


BUILDERS["i1"] = lambda world: expired_case(world, "i1", "on")
BUILDERS["i2"] = lambda world: expired_case(world, "i2", "optional_no_ca")


@builds("i3")
def _i3(world: World, name: str) -> Case:
    """Vault's root and intermediate (pki, pki_int), made here with openssl; ssl_crl holds the intermediate's CRL only."""
    folder = world.workshop(name)
    openssl_root(folder, "ca", "Vault Root")
    openssl_issue(folder, "int", "Vault Intermediate", "ca", CA_EXT)
    openssl_issue(folder, "client", "client", "int", CLIENT_EXT)
    sh(folder, "cat client.crt int.crt > client-chain.crt && mv client-chain.crt client.crt")
    ca_files = openssl_ca(folder, "ca", "CA.cnf")
    int_files = openssl_ca(folder, "int", "int.cnf")
    sh(folder, "openssl ca -gencrl -config int.cnf -out ca.crl")
    files = files_of(
        folder,
        "ca.crt",
        "ca.key",
        "int.crt",
        "int.key",
        "client.crt",
        "client.key",
        "ca.crl",
        "server.crt",
        "server.key",
        *ca_files,
        *int_files,
    )
    data = {
        "tls.crt": files["server.crt"],
        "tls.key": files["server.key"],
        "ca.crt": files["ca.crt"],
        "ca.crl": files["ca.crl"],
    }
    return Case(name, world.cluster() + [secret("vault-mtls", data), ingress(name, mtls("default/vault-mtls"))], files)


@builds("i4")
def _i4(world: World, name: str) -> Case:
    """EasyRSA's single CA; its CRL (180 days) reached nextUpdate on 2025-07-02."""
    folder = world.workshop(name)
    openssl_root(folder, "ca", "Easy-RSA CA")
    openssl_issue(folder, "client", "client", "ca", CLIENT_EXT)
    ca_files = openssl_ca(folder, "ca", "CA.cnf")
    sh(
        folder,
        "openssl ca -gencrl -config CA.cnf -crl_lastupdate 20250102000000Z -crl_nextupdate 20250702000000Z -out ca.crl",
    )
    files = files_of(
        folder, "ca.crt", "ca.key", "client.crt", "client.key", "ca.crl", "server.crt", "server.key", *ca_files
    )
    data = {
        "tls.crt": files["server.crt"],
        "tls.key": files["server.key"],
        "ca.crt": files["ca.crt"],
        "ca.crl": files["ca.crl"],
    }
    return Case(name, world.cluster() + [secret("mtls-crl", data), ingress(name, mtls("default/mtls-crl"))], files)


@builds("i4b")
def _i4b(world: World, name: str) -> Case:
    """The lab's form of the same report: root and intermediate; the root's CRL is current, the intermediate's expired."""
    folder = world.workshop(name)
    openssl_root(folder, "ca", "Root")
    openssl_issue(folder, "int", "int1", "ca", CA_EXT)
    openssl_issue(folder, "client", "client", "int", CLIENT_EXT)
    sh(folder, "cat client.crt int.crt > client-chain.crt && mv client-chain.crt client.crt")
    root_files = openssl_ca(folder, "ca", "root.cnf")
    int_files = openssl_ca(folder, "int", "CA.cnf")  # the CA whose list expired: the one the fix's CA.cnf names
    sh(folder, "openssl ca -gencrl -config root.cnf -out root.crl")
    sh(
        folder,
        "openssl ca -gencrl -config CA.cnf -crl_lastupdate 20250102000000Z -crl_nextupdate 20250702000000Z -out int.crl",
    )
    sh(folder, "cat root.crl int.crl > ca.crl")
    files = files_of(
        folder,
        "ca.crt",
        "ca.key",
        "int.crt",
        "int.key",
        "client.crt",
        "client.key",
        "ca.crl",
        "server.crt",
        "server.key",
        *root_files,
        *int_files,
    )
    data = {
        "tls.crt": files["server.crt"],
        "tls.key": files["server.key"],
        "ca.crt": files["ca.crt"],
        "ca.crl": files["ca.crl"],
    }
    return Case(name, world.cluster() + [secret("chain-crl", data), ingress(name, mtls("default/chain-crl"))], files)


@builds("j1")
def _j1(world: World, name: str) -> Case:
    """A grid user certificate and an RFC 3820 proxy certificate signed by it (as voms-proxy-init makes one)."""
    folder = world.workshop(name)
    openssl_root(folder, "ca", "Grid CA")
    openssl_issue(folder, "user", "grid user", "ca", CLIENT_EXT)
    sh(
        folder,
        "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout proxy.key "
        "-subj '/CN=grid user/CN=12345' | openssl x509 -req -sha256 -days 1 -CA user.crt -CAkey user.key "
        "-set_serial 12345 -out proxy.crt "
        "-extfile <(printf 'keyUsage=critical,digitalSignature\\nproxyCertInfo=critical,language:id-ppl-inheritAll\\n')",
    )
    sh(folder, "cat proxy.crt user.crt > x509up.pem")
    files = files_of(folder, "ca.crt", "user.crt", "user.key", "proxy.key", "x509up.pem")
    return Case(
        name,
        world.cluster()
        + [
            secret("grid-ca", {"ca.crt": files["ca.crt"]}),
            ingress(name, mtls("default/grid-ca")),
        ],
        files,
    )


@builds("h2")
def _h2(world: World, name: str) -> Case:
    """The origin trusts the proxy's origin-pull CA; the proxy in front has Authenticated Origin Pulls off."""
    authority = ca("Origin Pull CA")
    pull = client("origin-pull.proxy.example", authority)
    visitor = client("visitor", ca("Some Visitor CA"))
    files = {**user_files(visitor), "origin-pull.crt": pull.cert_pem(), "origin-pull.key": pull.key_pem()}
    return Case(
        name,
        world.cluster()
        + [
            secret("origin-pull-ca", {"ca.crt": authority.cert_pem()}),
            ingress(name, mtls("default/origin-pull-ca")),
        ],
        files,
    )


@builds("k2")
def _k2(world: World, name: str) -> Case:
    authority = ca("K2 Client CA")
    return Case(
        name,
        world.cluster()
        + [
            secret("ca-k2", {"ca.crt": authority.cert_pem()}),
            ingress(name, mtls("default/ca-k2")),
        ],
        user_files(client("client", authority)),
    )


@builds("j2")
def _j2(world: World, name: str) -> Case:
    """The lab's chain (mk.sh): an intermediate with extendedKeyUsage=serverAuth signs a clientAuth leaf."""
    folder = world.workshop(name)
    openssl_root(folder, "ca", "Root")
    openssl_issue(folder, "intsrv", "intsrv", "ca", CA_EXT + "extendedKeyUsage=serverAuth\\n")
    openssl_issue(folder, "leaf", "leaf_viasrv", "intsrv", CLIENT_EXT)
    sh(folder, "cat leaf.crt intsrv.crt > client.crt && cp leaf.key client.key")
    files = files_of(folder, "ca.crt", "ca.key", "intsrv.crt", "intsrv.key", "leaf.crt", "client.crt", "client.key")
    return Case(
        name,
        world.cluster()
        + [
            secret("ca-j2", {"ca.crt": files["ca.crt"]}),
            ingress(name, mtls("default/ca-j2")),
        ],
        files,
    )


@builds("l1")
def _l1(world: World, name: str) -> Case:
    authority = ca("L1 Client CA")
    leaf = client("client", authority)
    return Case(
        name,
        world.cluster()
        + [
            secret("ca-l1", {"ca.crt": authority.cert_pem()}),
            ingress(name, mtls("default/ca-l1")),
            ingress("l1-default", {}),  # another server on the same address, without client certificates
        ],
        user_files(leaf),
    )


@builds("l2")
def _l2(world: World, name: str) -> Case:
    authority = ca("L2 Client CA")
    leaf = client("client", authority)
    return Case(
        name,
        world.cluster()
        + [
            secret("ca-l2", {"ca.crt": authority.cert_pem()}),
            ingress(name, mtls("default/ca-l2")),
        ],
        user_files(leaf),
    )


# --- running the tool, nginx and the fixes -------------------------------------------------


@dataclass
class Field:
    world: World
    cases: dict[str, Case]
    gateway: Gateway
    nginx_binary: str
    runs: int = 0

    def folder(self, tmp_path: Path, name: str) -> Path:
        """The user's folder: the case's files, keys 0600."""
        for file, data in self.cases[name].files.items():
            write_file(tmp_path / file, data, private=file.endswith(".key"))
        return tmp_path

    def check(
        self,
        capsys: pytest.CaptureFixture[str],
        folder: Path,
        name: str,
        *,
        objects: list[dict] | None = None,
        gateway: Gateway | None = None,
        cert: str | None = "client.crt",
        key: str | None = "client.key",
        probe: bool = True,
    ) -> dict:
        """`mtls-tui check --manifests cluster.json --host H --cert --key --connect 127.0.0.1:PORT --json`: the host's report."""
        case = self.cases[name]
        self.runs += 1
        manifests = folder / f"cluster-{self.runs}.json"
        manifests.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects or case.objects}))
        argv = ["check", "--manifests", str(manifests), "--host", case.host, "--json"]
        if cert:
            argv += ["--cert", str(folder / cert)]
        if key:
            argv += ["--key", str(folder / key)]
        if probe:
            argv += ["--connect", f"127.0.0.1:{(gateway or self.gateway).port}"]
        code = main(argv)
        out = json.loads(capsys.readouterr().out)
        [report] = [h for h in out["hosts"] if h["host"] == case.host]
        report["exit"] = code
        return report

    def nginx_log(self, host: str, gateway: Gateway | None = None) -> list[str]:
        """What nginx logged for requests to this server."""
        return [line for line in (gateway or self.gateway).error_log().splitlines() if f"server: {host}," in line]

    def fix_objects(self, fix: str, folder: Path, objects: list[dict]) -> list[dict]:
        """Run a printed fix exactly as printed; the objects as kubectl left them (`fix_in_cluster`)."""
        return fix_in_cluster(fix, folder, objects)[0]

    def gateway_for(self, objects: list[dict]) -> Gateway:
        """nginx as the controller renders these objects (after a fix)."""
        return Gateway(gateway_hosts(objects), nginx_binary=self.nginx_binary)


def fix_in_cluster(fix: str, folder: Path, objects: list[dict]) -> tuple[list[dict], str]:
    """Run a printed fix exactly as printed (bash, in the user's folder), with kubectl talking to a
    lab API server that holds `objects`: the objects as kubectl left them, and what the fix printed."""
    require("kubectl", shutil.which("kubectl"))
    with LabCluster(objects) as cluster:
        kubeconfig = cluster.write_kubeconfig(folder / "kubeconfig", context="field")
        done = sh(folder, fix, env={**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(folder)})
        after = cluster.all_objects()
    created = {_key(o): o["metadata"].get("creationTimestamp") for o in objects}
    for obj in after:  # the API server stamps its own creation time; the cluster's objects keep theirs
        if created.get(_key(obj)):
            obj["metadata"]["creationTimestamp"] = created[_key(obj)]
    return after, done.stdout


def _key(obj: dict) -> tuple[str, str | None, str]:
    return obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"]


def first_error(report: dict) -> dict | None:
    return next((f for f in report["findings"] if f["severity"] == "error"), None)


def codes(report: dict) -> list[str]:
    return [f["code"] for f in report["findings"]]


def attempt(report: dict, with_cert: bool) -> dict:
    return next(r for r in report["probe"] if r["sent_client_cert"] is with_cert)


def accepted(report: dict) -> bool:
    """nginx let the client through, verified: the upstream echoed ssl-client-verify SUCCESS."""
    answer = attempt(report, True)
    return answer["status"] == 200 and answer["echo"].get("ssl-client-verify") == "SUCCESS"


def probe(gateway: Gateway, host: str, folder: Path, cert: str = "client.crt", key: str = "client.key") -> list:
    return run_probe(
        ProbeSpec(
            gateway.url(host),
            resolve=gateway.resolve(host),
            insecure=True,
            timeout=5,
            cert=str(folder / cert),
            key=str(folder / key),
        )
    )


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main(list(argv) + ["--json"])
    return code, json.loads(capsys.readouterr().out)


def front_proxy(
    gateway: Gateway,
    host: str,
    server: Issued,
    binary: str,
    *,
    scheme: str = "https",
    client_pem: tuple[bytes, bytes] | None = None,
) -> tuple[Nginx, int]:
    """A proxy in front of the controller that ends the client's TLS itself, as Cloudflare's proxy or a load
    balancer with a TLS listener does, then opens its own connection (TLS or, `scheme="http"`, plain)."""
    port = free_port()

    def body(prefix: Path) -> str:
        write_file(prefix / "lb.crt", server.cert_pem())
        write_file(prefix / "lb.key", server.key_pem(), private=True)
        inner = [f"proxy_pass {scheme}://127.0.0.1:{gateway.port};", "proxy_set_header Host $host;"]
        if scheme == "https":
            inner += ["proxy_ssl_server_name on;", f"proxy_ssl_name {host};"]
        if client_pem:  # Authenticated Origin Pulls: the proxy presents its own client certificate
            write_file(prefix / "pull.crt", client_pem[0])
            write_file(prefix / "pull.key", client_pem[1], private=True)
            inner += [f"proxy_ssl_certificate {prefix}/pull.crt;", f"proxy_ssl_certificate_key {prefix}/pull.key;"]
        location = "\n".join(f"    {line}" for line in inner)
        return (
            f"server {{\n  listen 127.0.0.1:{port} ssl;\n  server_name {host};\n"
            f"  ssl_certificate {prefix}/lb.crt;\n  ssl_certificate_key {prefix}/lb.key;\n"
            f"  location / {{\n{location}\n  }}\n}}"
        )

    return Nginx(body, [port], binary=binary), port


@pytest.fixture(scope="module")
def field(nginx_binary: str, openssl_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Field]:
    world = World.make(tmp_path_factory.mktemp("field"))
    cases = {name: build(world) for name, build in BUILDERS.items()}
    hosts = [
        h for case in cases.values() for h in (case.serve if case.serve is not None else gateway_hosts(case.objects))
    ]
    with Gateway(hosts, nginx_binary=nginx_binary) as gateway:
        yield Field(world, cases, gateway, nginx_binary)


# --- A. chain shape, intermediates, verify depth -------------------------------------------


def test_a1_default_verify_depth_refuses_intermediate_signed_clients(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/110
    Cause: ssl_verify_depth 1 is too small for client certificates signed by intermediates (two, with OpenSSL ≥ 1.1)."""
    folder = field.folder(tmp_path, "a1")
    report = field.check(capsys, folder, "a1")
    top = first_error(report)
    assert top["code"] == "chain-too-deep" and "needs verify depth 2" in top["title"]
    assert report["state"] == "broken" and report["exit"] == 1
    answer = attempt(report, True)
    assert answer["status"] == 400 and CERT_ERROR in answer["body"]
    assert any("(20:unable to get local issuer certificate)" in line for line in field.nginx_log(fqdn("a1")))

    fixed = field.fix_objects(top["fix"], folder, field.cases["a1"].objects)
    with field.gateway_for(fixed) as gateway:
        after = field.check(capsys, folder, "a1", objects=fixed, gateway=gateway)
    assert after["state"] == "works" and accepted(after) and "probe-ok" in codes(after)


def test_a2_plain_nginx_default_depth_with_two_intermediates(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/libressl/portable/issues/1283
    Cause: the default `ssl_verify_depth 1` is too small for the intermediate chain; "Proper fix … `ssl_verify_depth 2;`".
    With OpenSSL 3 depth 1 admits one intermediate, so the failing chain has two (the report's own caveat)."""
    folder = field.folder(tmp_path, "a2")
    code, report = cli_json(
        capsys,
        "inspect",
        "--ca",
        str(folder / "root.crt"),
        "--cert",
        str(folder / "leaf_chain.crt"),
        "--key",
        str(folder / "leaf.key"),
    )
    top = first_error(report)
    assert code == 1 and top["code"] == "chain-too-deep"
    assert report["client_verdict"]["accepted"] is False and report["client_verdict"]["intermediates_used"] == 2
    assert "auth-tls-verify-depth=2" in top["fix"]
    refused = probe(field.gateway, fqdn("a2"), folder, "leaf_chain.crt", "leaf.key")
    assert refused[1].status == 400 and CERT_ERROR in refused[1].body
    # the fix, in plain nginx: ssl_verify_depth 2
    code, after = cli_json(
        capsys,
        "inspect",
        "--ca",
        str(folder / "root.crt"),
        "--cert",
        str(folder / "leaf_chain.crt"),
        "--key",
        str(folder / "leaf.key"),
        "--verify-depth",
        "2",
    )
    assert code == 0 and after["client_verdict"]["accepted"] is True
    answer = probe(field.gateway, fqdn("a2-depth2"), folder, "leaf_chain.crt", "leaf.key")[1]
    assert answer.status == 200 and answer.echoed("ssl-client-verify") == "SUCCESS"


def test_a8_verify_depth_zero_refuses_one_intermediate(field: Field, tmp_path: Path, capsys) -> None:
    """https://stackoverflow.com/questions/8431528/nginx-ssl-certificate-authentication-signed-by-intermediate-ca-chain
    Cause: the verify depth (`ssl_verify_depth 0`, also tried) is too small for a client certificate signed by an intermediate."""
    folder = field.folder(tmp_path, "a2")  # the same openssl-made root; here root → int1 → leaf, sent with int1
    code, report = cli_json(
        capsys,
        "inspect",
        "--ca",
        str(folder / "root.crt"),
        "--cert",
        str(folder / "leaf1_chain.crt"),
        "--key",
        str(folder / "leaf1.key"),
        "--verify-depth",
        "0",
    )
    top = first_error(report)
    assert code == 1 and top["code"] == "chain-too-deep" and "needs verify depth 1" in top["title"]
    refused = probe(field.gateway, fqdn("a8"), folder, "leaf1_chain.crt", "leaf1.key")[1]
    assert refused.status == 400 and CERT_ERROR in refused.body
    assert any("(20:unable to get local issuer certificate)" in line for line in field.nginx_log(fqdn("a8")))
    # the fix: a larger depth (1 suffices with OpenSSL >= 1.1)
    answer = probe(field.gateway, fqdn("a8-depth1"), folder, "leaf1_chain.crt", "leaf1.key")[1]
    assert answer.status == 200 and answer.echoed("ssl-client-verify") == "SUCCESS"


def test_a4_client_must_send_its_intermediate(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/5501
    Cause: ca.crt needs only the root; "The certificate passed into the client should contain the client's
    certificate, plus any intermediate certificates" — it sent the leaf alone."""
    folder = field.folder(tmp_path, "a4")
    report = field.check(capsys, folder, "a4")
    top = first_error(report)
    assert top["code"] == "client-cert-untrusted" and report["state"] == "broken"
    assert any("(21:unable to verify the first certificate)" in e for e in top["evidence"])
    assert attempt(report, True)["status"] == 400
    assert any("(21:unable to verify the first certificate)" in line for line in field.nginx_log(fqdn("a4")))

    command = re.search(
        r"cat \S+ INTERMEDIATE\.crt > client-chain\.crt", top["then"]
    )  # the fix's way for an intermediate
    assert command, top["then"]
    sh(folder, command.group(0))
    after = field.check(capsys, folder, "a4", cert="client-chain.crt")
    assert after["state"] == "works" and accepted(after)


def test_a5_server_ca_file_lacks_the_intermediate_for_browsers(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/smallstep/hello-mtls/issues/94
    Cause: browsers send the leaf only, and ssl_client_certificate holds only the root: "Server needs to have intermediates too"."""
    folder = field.folder(tmp_path, "a5")
    report = field.check(capsys, folder, "a5")
    top = first_error(report)
    assert top["code"] == "client-cert-untrusted" and report["state"] == "broken"
    assert "append it to ca.crt" in top["then"]
    assert attempt(report, True)["status"] == 400

    sh(folder, "cat INTERMEDIATE.crt >> ca.crt")  # the fix's second way, then the Secret updated from ca.crt
    fixed = field.fix_objects(
        "kubectl create secret generic ca-a5 -n default --from-file=ca.crt=ca.crt "
        "--dry-run=client -o yaml | kubectl apply -f -",
        folder,
        field.cases["a5"].objects,
    )
    with field.gateway_for(fixed) as gateway:
        after = field.check(capsys, folder, "a5", objects=fixed, gateway=gateway)
    assert after["state"] == "works" and accepted(after)


def test_a7_intermediate_alone_is_no_trust_anchor(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/4496
    Cause: ca.crt holds only the intermediate; without -partial_chain OpenSSL needs the self-signed root too."""
    folder = field.folder(tmp_path, "a7")
    report = field.check(capsys, folder, "a7")
    top = first_error(report)
    assert top["code"] == "client-cert-untrusted" and report["state"] == "broken"
    assert any("(2:unable to get issuer certificate)" in e for e in top["evidence"])
    assert "append it to ca.crt" in top["then"]
    assert any("(2:unable to get issuer certificate)" in line for line in field.nginx_log(fqdn("a7")))

    sh(folder, "cat root.crt >> ca.crt")
    fixed = field.fix_objects(
        "kubectl create secret generic ca-a7 -n default --from-file=ca.crt=ca.crt "
        "--dry-run=client -o yaml | kubectl apply -f -",
        folder,
        field.cases["a7"].objects,
    )
    with field.gateway_for(fixed) as gateway:
        after = field.check(capsys, folder, "a7", objects=fixed, gateway=gateway)
    assert after["state"] == "works" and accepted(after)


# --- B. wrong CA -----------------------------------------------------------------------------


def test_b1_client_certificate_not_issued_by_the_trusted_ca(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/getvictor/mtls/issues/4
    Cause: the certificate presented was not signed by the CA configured in ssl_client_certificate."""
    folder = field.folder(tmp_path, "b1")
    report = field.check(capsys, folder, "b1")
    top = first_error(report)
    assert top["code"] == "client-cert-untrusted" and report["state"] == "broken"
    assert any("(18:self-signed certificate)" in e for e in top["evidence"])
    answer = attempt(report, True)
    assert answer["status"] == 400 and CERT_ERROR in answer["body"]
    assert any("(18:self-signed certificate)" in line for line in field.nginx_log(fqdn("b1")))


def test_b1_printed_fix_signs_the_client_with_the_trusted_ca(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/getvictor/mtls/issues/4
    Cause: the client certificate was not issued by the trusted CA; the fix is a certificate that CA signed."""
    folder = field.folder(tmp_path, "b1")
    top = first_error(field.check(capsys, folder, "b1"))
    sh(folder, top["fix"])
    after = field.check(capsys, folder, "b1")
    assert after["state"] == "works" and accepted(after)


# --- C. the Secret's shape -------------------------------------------------------------------


def test_c1_ca_under_another_key_than_ca_crt(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/2918
    Cause: the CA file must be the Secret key `ca.crt`; `--from-file=./CA.crt` stored it as CA.crt."""
    folder = field.folder(tmp_path, "c1")
    report = field.check(capsys, folder, "c1")
    top = first_error(report)
    assert top["code"] == "secret-missing-ca" and "CA.crt" in top["detail"]
    assert report["state"] == "broken" and report["denied"]
    assert [r["status"] for r in report["probe"]] == [403, 403]  # "403 in the browser"

    # the report's fix: kubectl create secret generic ca-cert --from-file=ca.crt=./CA.crt
    fixed = field.fix_objects(
        "kubectl create secret generic ca-cert -n default --from-file=ca.crt=./CA.crt "
        "--dry-run=client -o yaml | kubectl apply -f -",
        folder,
        field.cases["c1"].objects,
    )
    with field.gateway_for(fixed) as gateway:
        after = field.check(capsys, folder, "c1", objects=fixed, gateway=gateway)
    assert after["state"] == "works" and accepted(after)


def test_c1_printed_fix_adds_ca_crt(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/2918
    Cause: the CA is stored under the key CA.crt, not ca.crt; the printed fix, run where the user made the Secret."""
    folder = field.folder(tmp_path, "c1")
    top = first_error(field.check(capsys, folder, "c1"))
    fixed = field.fix_objects(top["fix"], folder, field.cases["c1"].objects)
    with field.gateway_for(fixed) as gateway:
        after = field.check(capsys, folder, "c1", objects=fixed, gateway=gateway)
    assert after["state"] == "works" and accepted(after)


def test_c2_ca_in_tls_crt_is_no_client_ca(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/3250
    Cause: "The `ca.crt` field is the way to differentiate" a CA Secret; the CA sat in tls.crt of a TLS Secret."""
    folder = field.folder(tmp_path, "c2")
    report = field.check(capsys, folder, "c2")
    top = first_error(report)
    assert top["code"] == "secret-missing-ca"
    # ingress-nginx v1.x keeps the Secret as a keypair and renders no client checks: a request without a certificate gets in
    assert report["state"] == "not enforced" and attempt(report, False)["status"] == 200

    fixed = field.fix_objects(top["fix"], folder, field.cases["c2"].objects)
    with field.gateway_for(fixed) as gateway:
        after = field.check(capsys, folder, "c2", objects=fixed, gateway=gateway)
    assert after["state"] == "works" and accepted(after)
    assert attempt(after, False)["status"] == 400


def test_c3_der_ca_file_in_the_secret(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/4811
    Cause: a malformed (here DER, not PEM) certificate in the mTLS CA Secret; nginx cannot load it."""
    folder = field.folder(tmp_path, "c3")
    report = field.check(capsys, folder, "c3")
    top = first_error(report)
    assert top["code"] == "secret-unusable"
    assert "error decoding CA certificate" in " ".join(
        [top["title"], top["detail"], *top["evidence"]]
    )  # the controller's words
    assert report["state"] == "broken" and report["denied"]
    assert [r["status"] for r in report["probe"]] == [403, 403]
    # what the controller's check prevents: plain nginx refuses the DER file as the report's nginx did
    case = field.cases["c3"]
    raw = GatewayHost(
        MtlsPolicy(case.host, secret="default/mutual-tls-secret"),
        field.world.server.cert_pem(),
        field.world.server.key_pem(),
        case.files["ca.der"],
    )
    with (
        pytest.raises(NginxError, match="no certificate or crl found"),
        Gateway([raw], nginx_binary=field.nginx_binary),
    ):
        pass

    fixed = field.fix_objects(top["fix"], folder, case.objects)
    with field.gateway_for(fixed) as gateway:
        after = field.check(capsys, folder, "c3", objects=fixed, gateway=gateway)
    assert after["state"] == "works" and accepted(after)


def test_c4_tls_crt_and_tls_key_do_not_match(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/pull/851
    Cause: an Ingress TLS Secret whose certificate and private key do not belong together."""
    folder = field.folder(tmp_path, "c4")
    report = field.check(capsys, folder, "c4")
    top = first_error(report)
    assert top["code"] in ("tls-secret-unusable", "key-mismatch") and report["state"] == "broken"
    assert "match" in top["title"] + top["detail"]
    assert attempt(report, False)["fake_certificate"]
    # the client-side form: curl --cert leaf --key other.key
    code, inspected = cli_json(
        capsys, "inspect", "--cert", str(folder / "client.crt"), "--key", str(folder / "other.key")
    )
    assert code == 1 and first_error(inspected)["code"] == "key-mismatch"

    fixed = field.fix_objects(top["fix"], folder, field.cases["c4"].objects)
    with field.gateway_for(fixed) as gateway:
        after = field.check(capsys, folder, "c4", objects=fixed, gateway=gateway)
    assert after["state"] == "works" and accepted(after) and not attempt(after, True)["fake_certificate"]


# --- D. the Secret reference -----------------------------------------------------------------


def test_d1_auth_tls_secret_in_another_namespace(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/2375
    Cause: the auth-tls Secret lives in another namespace (ingress/client-cert for an Ingress in coffee-system);
    workaround: keep it in the Ingress's namespace."""
    folder = field.folder(tmp_path, "d1")
    report = field.check(capsys, folder, "d1")
    top = first_error(report)
    assert top["code"] == "annotation-cross-namespace" and report["state"] == "broken"
    assert [r["status"] for r in report["probe"]] == [403, 403]

    fixed = field.fix_objects(top["fix"], folder, field.cases["d1"].objects)
    with field.gateway_for(fixed) as gateway:
        after = field.check(capsys, folder, "d1", objects=fixed, gateway=gateway)
    assert after["state"] == "works" and accepted(after)


# --- E. annotations another controller reads --------------------------------------------------


def test_e1_nginx_inc_controller_ignores_community_annotations(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/9303
    Cause: the installed controller is NGINX Inc's (IngressClass controller nginx.org/ingress-controller), not ingress-nginx."""
    folder = field.folder(tmp_path, "e1")
    report = field.check(capsys, folder, "e1")
    top = first_error(report)
    assert top["code"] in ("ingress-class-mismatch", "controller-not-found") and report["state"] == "broken"
    assert "nginx.org/ingress-controller" in " ".join([top["title"], top["detail"], *top["evidence"]])
    assert attempt(report, False)["status"] == 200  # "I can still access the app without providing a certificate"

    # the report's fix: install kubernetes/ingress-nginx (registry.k8s.io/ingress-nginx/controller) in its place
    fixed = [
        o for o in field.cases["e1"].objects if o["kind"] not in ("Deployment", "IngressClass")
    ] + controller_objects()
    with field.gateway_for(fixed) as gateway:
        after = field.check(capsys, folder, "e1", objects=fixed, gateway=gateway)
    assert after["state"] == "works" and accepted(after)


def test_e1_printed_fix_changes_the_class(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/9303
    Cause: IngressClass nginx names nginx.org/ingress-controller; the printed fix must change something."""
    folder = field.folder(tmp_path, "e1")
    top = first_error(field.check(capsys, folder, "e1"))
    fixed = field.fix_objects(top["fix"], folder, field.cases["e1"].objects)
    after = field.check(capsys, folder, "e1", objects=fixed, probe=False)
    assert "ingress-class-mismatch" not in codes(after)


def test_e3_old_annotation_prefix_is_ignored(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/2029
    Cause: the prefix became nginx.ingress.kubernetes.io; `ingress.kubernetes.io/auth-tls-secret` is ignored, so verify-client alone does nothing."""
    folder = field.folder(tmp_path, "e3")
    report = field.check(capsys, folder, "e3")
    top = first_error(report)
    assert top["code"] == "annotation-wrong-prefix" and "ingress.kubernetes.io/auth-tls-secret" in top["title"]
    assert (
        report["state"] in ("broken", "not enforced") and attempt(report, False)["status"] == 200
    )  # "it's allow access"

    fixed = field.fix_objects(top["fix"], folder, field.cases["e3"].objects)
    with field.gateway_for(fixed) as gateway:
        after = field.check(capsys, folder, "e3", objects=fixed, gateway=gateway)
    assert after["state"] == "works" and accepted(after)
    assert attempt(after, False)["status"] == 400


# --- F. no TLS secret --------------------------------------------------------------------------


def test_f1_tls_entry_without_secret_name(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/4546
    Cause: no spec.tls[].secretName; "auth-tls-secret does not apply as an SSL certificate for the host"."""
    folder = field.folder(tmp_path, "f1")
    report = field.check(capsys, folder, "f1")
    top = first_error(report)
    assert top["code"] == "tls-section-missing" and "secretName" in top["title"]
    assert report["state"] == "broken" and attempt(report, False)["fake_certificate"]

    # the report's fix: add secretName to the host's tls: entry
    fixed = field.fix_objects(
        "kubectl patch ingress f1 -n default --type json -p "
        '\'[{"op":"add","path":"/spec/tls/0/secretName","value":"field-tls"}]\'',
        folder,
        field.cases["f1"].objects,
    )
    with field.gateway_for(fixed) as gateway:
        after = field.check(capsys, folder, "f1", objects=fixed, gateway=gateway)
    assert after["state"] == "works" and accepted(after) and not attempt(after, True)["fake_certificate"]


def test_f1_printed_fix_gives_the_host_its_certificate(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/4546
    Cause: the host's tls: entry has no secretName; the printed fix, with TLS-SECRET filled in."""
    folder = field.folder(tmp_path, "f1")
    top = first_error(field.check(capsys, folder, "f1"))
    fixed = field.fix_objects(top["fix"].replace("TLS-SECRET", "field-tls"), folder, field.cases["f1"].objects)
    with field.gateway_for(fixed) as gateway:
        after = field.check(capsys, folder, "f1", objects=fixed, gateway=gateway)
    assert after["state"] == "works" and not attempt(after, True)["fake_certificate"]


# --- G. per-host, not per-Ingress -------------------------------------------------------------


def test_g1_mtls_of_one_ingress_applies_to_every_path_of_the_host(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/4688
    Cause: client-auth directives are server (host) level in nginx: the mTLS Ingress turns it on for the other Ingress's paths too."""
    folder = field.folder(tmp_path, "g1")
    report = field.check(capsys, folder, "g1")
    top = report["findings"][0]  # nothing is broken for the mTLS Ingress: the top finding is the warning
    assert top["code"] == "mtls-host-conflict" and "default/g1-b" in top["title"]
    gateway = field.gateway
    _, opened = cli_json(capsys, "probe", gateway.url(fqdn("g1"), "/b"), "--resolve", gateway.resolve(fqdn("g1")), "-k")
    assert opened["results"][0]["status"] == 400 and NO_CERT in opened["results"][0]["body"]

    # the fix: the paths that must stay open move to another host name
    fixed = [o for o in field.cases["g1"].objects if o["metadata"]["name"] != "g1-b"]
    fixed.append(ingress("g1-b", {}, host=fqdn("g1-open"), path="/b"))
    with field.gateway_for(fixed) as gateway:
        after = field.check(capsys, folder, "g1", objects=fixed, gateway=gateway)
        _, opened = cli_json(
            capsys, "probe", gateway.url(fqdn("g1-open"), "/b"), "--resolve", gateway.resolve(fqdn("g1-open")), "-k"
        )
    assert "mtls-host-conflict" not in codes(after) and after["state"] == "works" and accepted(after)
    assert opened["results"][0]["status"] == 200


def test_g2_second_ingress_on_the_host_with_another_ca(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/3138
    Cause: one ssl_client_certificate per server: the first Ingress's auth-tls-secret wins, the other Ingress's clients get 400."""
    folder = field.folder(tmp_path, "g2")
    report = field.check(capsys, folder, "g2")  # with the QA client certificate
    top = first_error(report)
    assert top["code"] == "mtls-host-conflict" and "default/g2-qa" in top["title"]
    assert report["mtls_from"] == "default/g2-prod" and report["state"] == "broken"  # the first Ingress wins
    answer = attempt(report, True)
    assert answer["status"] == 400 and CERT_ERROR in answer["body"]
    prod = probe(field.gateway, fqdn("g2"), folder, "prod.crt", "prod.key")[1]
    assert prod.status == 200 and prod.echoed("ssl-client-verify") == "SUCCESS"

    # the report's fix: one CA bundle (both CAs) referenced by every Ingress of the host
    sh(folder, "cat ca-prod.crt ca-qa.crt > ca-both.crt")
    fixed = field.fix_objects(
        "kubectl create secret generic ca-prod -n default --from-file=ca.crt=ca-both.crt --dry-run=client -o yaml | kubectl apply -f - && "
        "kubectl annotate ingress g2-qa -n default nginx.ingress.kubernetes.io/auth-tls-secret=default/ca-prod --overwrite",
        folder,
        field.cases["g2"].objects,
    )
    with field.gateway_for(fixed) as gateway:
        after = field.check(capsys, folder, "g2", objects=fixed, gateway=gateway)
    assert after["state"] == "works" and accepted(after)


def test_g2_printed_fix_lets_the_qa_clients_in(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/3138
    Cause: the first Ingress's CA wins for the whole host; after the printed fix the QA client must get in."""
    folder = field.folder(tmp_path, "g2")
    top = first_error(field.check(capsys, folder, "g2"))
    fixed = field.fix_objects(top["fix"], folder, field.cases["g2"].objects)
    with field.gateway_for(fixed) as gateway:
        after = field.check(capsys, folder, "g2", objects=fixed, gateway=gateway)
    assert accepted(after)


# --- H. no client certificate ----------------------------------------------------------------


def test_h1_no_client_certificate_is_a_400_by_design(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/7176
    Cause: documented behaviour: with verify-client on, a request without a certificate gets HTTP 400, not a handshake failure."""
    folder = field.folder(tmp_path, "h1")
    report = field.check(capsys, folder, "h1", cert=None, key=None)
    top = report["findings"][0]
    assert top["code"] == "probe-no-client-cert" and first_error(report) is None and report["state"] == "works"
    answer = attempt(report, False)
    assert answer["status"] == 400 and NO_CERT in answer["body"] and answer["tls_version"]  # the handshake completed
    assert any("client sent no required SSL certificate" in line for line in field.nginx_log(fqdn("h1")))

    require("curl", shutil.which("curl"))
    assert top["fix"].startswith("curl ")
    done = sh(folder, top["fix"])  # exactly as printed, in the folder with client.crt and client.key
    assert re.search(r"< HTTP/\S+ 200", done.stderr) and "ssl-client-verify=SUCCESS" in done.stdout


def test_h2_proxy_in_front_without_authenticated_origin_pulls(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/EngineScript/EngineScript/issues/1
    Cause: the proxy in front (Cloudflare) opens its own TLS connection to the origin and presents no client
    certificate: "Set Authenticated Origin Pulls to On"."""
    folder = field.folder(tmp_path, "h2")
    host = fqdn("h2")
    front, port = front_proxy(field.gateway, host, field.world.server, field.nginx_binary)
    with front:
        code, report = cli_json(
            capsys,
            "probe",
            f"https://{host}:{port}/",
            "--resolve",
            f"{host}:{port}:127.0.0.1",
            "-k",
            "--cert",
            str(folder / "client.crt"),
            "--key",
            str(folder / "client.key"),
        )
    assert [r["status"] for r in report["results"]] == [
        400,
        400,
    ]  # every visitor: 'No required SSL certificate was sent'
    assert NO_CERT in report["results"][1]["body"]
    top = first_error(report)
    assert top["code"] == "probe-cert-not-forwarded" and code == 1

    # the fix: Authenticated Origin Pulls on, the proxy presents the origin-pull certificate the origin trusts
    pull = (field.cases["h2"].files["origin-pull.crt"], field.cases["h2"].files["origin-pull.key"])
    front, port = front_proxy(field.gateway, host, field.world.server, field.nginx_binary, client_pem=pull)
    with front:
        answer = run_probe(
            ProbeSpec(f"https://{host}:{port}/", resolve=f"{host}:{port}:127.0.0.1", insecure=True, timeout=5)
        )[0]
    assert answer.status == 200 and answer.echoed("ssl-client-verify") == "SUCCESS"
    assert answer.echoed("ssl-client-subject-dn") == "CN=origin-pull.proxy.example"


def test_k2_load_balancer_tls_listener_sends_plain_http_to_the_https_port(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/5565
    Cause: the NLB terminates TLS and sends unencrypted requests to nginx's TLS port; no client certificate can reach nginx."""
    folder = field.folder(tmp_path, "k2")
    host = fqdn("k2")
    front, port = front_proxy(field.gateway, host, field.world.server, field.nginx_binary, scheme="http")
    with front:
        _, report = cli_json(
            capsys,
            "probe",
            f"https://{host}:{port}/",
            "--resolve",
            f"{host}:{port}:127.0.0.1",
            "-k",
            "--cert",
            str(folder / "client.crt"),
            "--key",
            str(folder / "client.key"),
        )
    answer = report["results"][1]
    assert answer["status"] == 400 and PLAIN_HTTP in answer["body"]
    top = first_error(report)
    assert top is not None and top["code"] == "probe-cert-not-forwarded", report["findings"]


# --- I. expiry and CRLs ------------------------------------------------------------------------


def test_i1_client_certificate_expired(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/chromium/badssl.com/issues/482
    Cause: "the client cert expired"; the maintainer regenerated the client certificates."""
    folder = field.folder(tmp_path, "i1")
    report = field.check(capsys, folder, "i1")
    top = first_error(report)
    assert top["code"] == "cert-expired" and report["state"] == "broken"
    assert attempt(report, True)["status"] == 400
    assert any("(10:certificate has expired)" in line for line in field.nginx_log(fqdn("i1")))

    sh(folder, top["fix"])
    after = field.check(capsys, folder, "i1")
    assert after["state"] == "works" and accepted(after)


def test_i2_expired_certificate_refused_even_with_optional_no_ca(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/openssl/openssl/issues/14036
    Cause: the client certificate is expired; since OpenSSL 1.1.1i expiry is reported under optional_no_ca and nginx answers 400."""
    folder = field.folder(tmp_path, "i2")
    report = field.check(capsys, folder, "i2")
    top = first_error(report)
    assert top["code"] == "cert-expired" and report["state"] != "works"
    answer = attempt(report, True)
    assert answer["status"] == 400 and CERT_ERROR in answer["body"]
    assert any("(10:certificate has expired)" in line for line in field.nginx_log(fqdn("i2")))

    sh(folder, top["fix"])
    after = field.check(capsys, folder, "i2")
    assert accepted(after) and "cert-expired" not in codes(after)


def test_i3_ssl_crl_without_the_roots_crl(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/hashicorp/vault/issues/16311
    Cause: ssl_crl held only the intermediate's CRL; nginx needs a CRL for every CA of the chain, the root's included."""
    folder = field.folder(tmp_path, "i3")
    report = field.check(capsys, folder, "i3")
    top = first_error(report)
    assert top["code"] == "crl-missing" and "CN=Vault Root" in top["title"] and report["state"] == "broken"
    assert attempt(report, True)["status"] == 400
    assert any("(3:unable to get certificate CRL)" in line for line in field.nginx_log(fqdn("i3")))

    fixed = field.fix_objects(
        top["fix"], folder, field.cases["i3"].objects
    )  # CA.cnf: the root's openssl ca configuration
    with field.gateway_for(fixed) as gateway:
        after = field.check(capsys, folder, "i3", objects=fixed, gateway=gateway)
    assert after["state"] == "works" and accepted(after)


def test_i4_crl_past_next_update(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/nginx-proxy/nginx-proxy/pull/2636
    Cause: the CRL reached nextUpdate (EasyRSA's 180 days) and must be republished, or every mTLS request is refused."""
    folder = field.folder(tmp_path, "i4")
    report = field.check(capsys, folder, "i4")
    top = first_error(report)
    assert top["code"] == "crl-expired" and "2025-07-02" in top["title"] and report["state"] == "broken"
    assert attempt(report, True)["status"] == 400
    assert any("(12:CRL has expired)" in line for line in field.nginx_log(fqdn("i4")))

    fixed = field.fix_objects(top["fix"], folder, field.cases["i4"].objects)
    with field.gateway_for(fixed) as gateway:
        after = field.check(capsys, folder, "i4", objects=fixed, gateway=gateway)
    assert after["state"] == "works" and accepted(after)


def test_i4_printed_fix_keeps_the_other_crls_of_the_chain(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/nginx-proxy/nginx-proxy/pull/2636
    Cause: an expired CRL (here the intermediate's, beside the root's current one, as the lab reproduced it) must be republished."""
    folder = field.folder(tmp_path, "i4b")
    report = field.check(capsys, folder, "i4b")
    top = first_error(report)
    assert top["code"] == "crl-expired" and "CN=int1" in top["title"]
    fixed = field.fix_objects(top["fix"], folder, field.cases["i4b"].objects)
    with field.gateway_for(fixed) as gateway:
        after = field.check(capsys, folder, "i4b", objects=fixed, gateway=gateway)
    assert after["state"] == "works" and accepted(after)


# --- J. certificate type --------------------------------------------------------------------


def test_j1_rfc3820_proxy_certificate(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/8888
    Cause: an RFC 3820 proxy certificate; OpenSSL refuses it without X509_V_FLAG_ALLOW_PROXY_CERTS, which nginx never sets."""
    folder = field.folder(tmp_path, "j1")
    report = field.check(capsys, folder, "j1", cert="x509up.pem", key="proxy.key")
    top = first_error(report)
    assert top["code"] == "client-cert-untrusted" and report["state"] == "broken"
    assert "proxy certificates not allowed" in " ".join([top["title"], *top["evidence"]])
    assert attempt(report, True)["status"] == 400
    assert any(
        "(40:proxy certificates not allowed, please set the appropriate flag)" in line
        for line in field.nginx_log(fqdn("j1"))
    )

    # no nginx setting allows it: the end-entity certificate is the way in
    after = field.check(capsys, folder, "j1", cert="user.crt", key="user.key")
    assert after["state"] == "works" and accepted(after)


def test_j2_intermediate_with_server_auth_eku(field: Field, tmp_path: Path, capsys) -> None:
    """https://security.stackexchange.com/questions/237742/unsupported-certificate-purpose-for-nginx-client-auth?noredirect=1
    Cause: OpenSSL checks the purpose of every CA of the chain: the intermediate's extendedKeyUsage=serverAuth refuses its clientAuth leaf (26)."""
    folder = field.folder(tmp_path, "j2")
    report = field.check(capsys, folder, "j2")
    top = first_error(report)
    assert top["code"] == "client-cert-wrong-purpose" and "CN=intsrv" in top["title"] and report["state"] == "broken"
    assert attempt(report, True)["status"] == 400
    assert any(
        "(26:unsuitable certificate purpose)" in line or "(26:unsupported certificate purpose)" in line
        for line in field.nginx_log(fqdn("j2"))
    )

    sh(folder, top["fix"])  # re-issues intsrv.crt with clientAuth, signed by ca.crt with ca.key
    sh(folder, "cat leaf.crt intsrv.crt > client.crt")  # "then put it where it was (the client's chain file)"
    after = field.check(capsys, folder, "j2")
    assert after["state"] == "works" and accepted(after)


# --- L. SNI --------------------------------------------------------------------------------


def test_l1_sni_of_another_server_than_the_host_header(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/nginx/nginx.org/pull/302
    Cause: "nginx enforces Host == SNI in servers with enabled verification of client certificates"; the TLS name selected another server."""
    folder = field.folder(tmp_path, "l1")
    gateway, other, mtls_host = field.gateway, fqdn("l1-default"), fqdn("l1")
    code, report = cli_json(
        capsys,
        "probe",
        gateway.url(other),
        "--resolve",
        gateway.resolve(other),
        "-k",
        "-H",
        f"Host: {mtls_host}",
        "--cert",
        str(folder / "client.crt"),
        "--key",
        str(folder / "client.key"),
    )
    top = first_error(report)
    assert top["code"] == "probe-misdirected" and code == 1
    assert report["results"][1]["status"] in (400, 421)

    assert "--resolve" in top["fix"]  # the fix: the host in the URL, so SNI and Host agree
    code, after = cli_json(
        capsys,
        "probe",
        gateway.url(mtls_host),
        "--resolve",
        gateway.resolve(mtls_host),
        "-k",
        "--cert",
        str(folder / "client.crt"),
        "--key",
        str(folder / "client.key"),
    )
    assert code == 0 and "probe-ok" in [f["code"] for f in after["findings"]]
    assert after["results"][1]["echo"]["ssl-client-verify"] == "SUCCESS"


def test_l1_no_sni_lands_on_the_default_server(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/nginx/nginx.org/pull/302
    Cause: without SNI the default server's client-auth settings apply: the handshake asked for no certificate."""
    folder = field.folder(tmp_path, "l1")
    gateway = field.gateway
    _, report = cli_json(
        capsys,
        "probe",
        f"https://127.0.0.1:{gateway.port}/",
        "-k",
        "-H",
        f"Host: {fqdn('l1')}",
        "--cert",
        str(folder / "client.crt"),
        "--key",
        str(folder / "client.key"),
    )
    assert report["results"][1]["status"] == 400 and NO_CERT in report["results"][1]["body"]
    top = first_error(report)
    assert top["code"] in ("probe-no-sni", "probe-misdirected"), top["title"]


def test_l2_curl_to_the_load_balancer_name_with_a_host_header(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/nginx/kubernetes-ingress/issues/2608
    Cause: curl sends the NLB's hostname as SNI, so the handshake lands on the default server, which asks for no certificate."""
    folder = field.folder(tmp_path, "l2")
    gateway, nlb, mtls_host = field.gateway, "a1b2c3d4-1234.elb.us-east-1.amazonaws.com", fqdn("l2")
    code, report = cli_json(
        capsys,
        "probe",
        gateway.url(nlb),
        "--resolve",
        gateway.resolve(nlb),
        "-k",
        "-H",
        f"Host: {mtls_host}",
        "--cert",
        str(folder / "client.crt"),
        "--key",
        str(folder / "client.key"),
    )
    assert report["results"][1]["status"] == 400 and NO_CERT in report["results"][1]["body"]
    top = first_error(report)
    assert top["code"] in ("probe-misdirected", "probe-fake-certificate") and nlb in top["title"]
    assert f"--resolve {mtls_host}" in top["fix"]

    code, after = cli_json(
        capsys,
        "probe",
        gateway.url(mtls_host),
        "--resolve",
        gateway.resolve(mtls_host),
        "-k",
        "--cert",
        str(folder / "client.crt"),
        "--key",
        str(folder / "client.key"),
    )
    assert code == 0 and after["results"][1]["echo"]["ssl-client-verify"] == "SUCCESS"


SNI_MISTAKES = {  # the URL the user probed (its TLS name), with `-H "Host: <the mTLS host>"`
    "no-sni": lambda gateway: f"https://127.0.0.1:{gateway.port}/",
    "another-server": lambda gateway: gateway.url(fqdn("l1-default")),
    "load-balancer-name": lambda gateway: gateway.url("a1b2c3d4-1234.elb.us-east-1.amazonaws.com"),
}


@pytest.mark.parametrize("mistake", sorted(SNI_MISTAKES))
def test_l1_l2_printed_sni_fix_reaches_the_host(field: Field, tmp_path: Path, capsys, mistake: str) -> None:
    """https://github.com/nginx/nginx.org/pull/302 and https://github.com/nginx/kubernetes-ingress/issues/2608
    Cause: the TLS name (none, another server's, the load balancer's) is not the host's; the printed fix, run as printed, must get the client in."""
    folder = field.folder(tmp_path, "l1")
    url = SNI_MISTAKES[mistake](field.gateway)
    resolve = [] if mistake == "no-sni" else ["--resolve", f"{url.split('/')[2]}:127.0.0.1"]
    _, report = cli_json(
        capsys,
        "probe",
        url,
        *resolve,
        "-k",
        "-H",
        f"Host: {fqdn('l1')}",
        "--cert",
        str(folder / "client.crt"),
        "--key",
        str(folder / "client.key"),
    )
    top = first_error(report)
    assert report["results"][1]["status"] in (400, 421) and top["fix"].startswith("curl ")
    require("curl", shutil.which("curl"))
    done = sh(folder, top["fix"])  # exactly as printed, in the folder with client.crt and client.key
    assert re.search(r"< HTTP/\S+ 200", done.stderr) and "ssl-client-verify=SUCCESS" in done.stdout, top["fix"]
