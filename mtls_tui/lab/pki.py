"""The seed's PKI, issued in-process and written where an instructor or a test wants it.

Private keys are written mode 0600 and never printed.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path

from mtls_tui.certs.issue import Issued, issue_ca, issue_leaf, new_key
from mtls_tui.sources.files import CannotRun


@dataclass(frozen=True)
class SeedPki:
    ca: Issued
    server: Issued
    client: Issued


def seed_pki(key_bits: int = 2048, v3: bool = False) -> SeedPki:
    """The seed's three certificates (CA v3; server and client v1, as `openssl x509 -req`
    makes them), or with `v3` the form strict clients want: SAN and EKU.

    The seed uses 4096-bit keys; 2048 keeps the lab quick and is still accepted at
    security level 2.
    """
    ca = issue_ca("Fern Cert Authority", key=new_key(bits=key_bits), days=356)
    days = 356 if v3 else 365  # the seed's leaves outlive its CA by 9 days; the v3 form ends with it
    server = issue_leaf("meow.com", ca, serial=1, key=new_key(bits=key_bits), v1=not v3, days=days,
                        sans=["meow.com"] if v3 else (), eku=["serverAuth"] if v3 else ())
    client = issue_leaf("Fern", ca, serial=2, key=new_key(bits=key_bits), v1=not v3, days=days, eku=["clientAuth"] if v3 else ())
    return SeedPki(ca, server, client)


def prepare_folder(folder: Path, label: str | None = None) -> None:
    """Create `folder` (and its parents) or raise CannotRun naming it as the user did (`label`)."""
    label = label or str(folder)
    if folder.exists() and not folder.is_dir():
        raise CannotRun(f"{label} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CannotRun(f"cannot create {label}: {exc.strerror or exc}") from None


def write_file(path: Path, data: bytes, private: bool = False) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except OSError as exc:
        raise CannotRun(f"cannot write {path}: {exc.strerror or exc}") from None


def secret_manifest(pki: SeedPki, name: str = "my-certs", namespace: str = "default") -> dict:
    """`kubectl create secret generic my-certs --from-file=tls.crt=... --from-file=tls.key=... --from-file=ca.crt=...`"""
    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "type": "Opaque",
        "data": {"ca.crt": b64(pki.ca.cert_pem()), "tls.crt": b64(pki.server.cert_pem()), "tls.key": b64(pki.server.key_pem())},
    }


def write_seed_pki(folder: Path, pki: SeedPki | None = None) -> SeedPki:
    """ca.crt/key, server.crt/key, client.crt/key and my-certs.json (the Secret) in `folder`."""
    prepare_folder(folder)
    pki = pki or seed_pki()
    for stem, issued in (("ca", pki.ca), ("server", pki.server), ("client", pki.client)):
        write_file(folder / f"{stem}.crt", issued.cert_pem())
        write_file(folder / f"{stem}.key", issued.key_pem(), private=True)
    write_file(folder / "my-certs.json", json.dumps(secret_manifest(pki), indent=2).encode(), private=True)
    return pki
