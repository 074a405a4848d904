"""The seed's PKI, issued in-process and written where an instructor or a test wants it.

Private keys are written mode 0600 (a new file, renamed into place) and never printed;
a CA key already in the folder is never replaced without being asked to (`replace`), and
the seed PKI found there is kept between runs unless a fresh one is asked for (`fresh`).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509

from mtls_tui.certs.issue import Issued, issue_ca, issue_leaf, new_key
from mtls_tui.errors import CannotRun


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
    server = issue_leaf(
        "meow.com",
        ca,
        serial=1,
        key=new_key(bits=key_bits),
        v1=not v3,
        days=days,
        sans=["meow.com"] if v3 else (),
        eku=["serverAuth"] if v3 else (),
    )
    client = issue_leaf(
        "Fern", ca, serial=2, key=new_key(bits=key_bits), v1=not v3, days=days, eku=["clientAuth"] if v3 else ()
    )
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
    """Write `data` to a new file beside `path` and rename it into place: a private one is
    created 0600 (a key that was 0644 ends up 0600, not rewritten in place at its old mode),
    a reader never sees half a file, and a symlink at `path` is replaced, not followed."""
    mode = 0o600 if private else 0o644
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(
            temporary,
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0),
            mode,
        )
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except OSError as exc:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise CannotRun(f"cannot write {path}: {exc.strerror or exc}") from None


LOCK = ".mtls-tui.lock"


@contextmanager
def folder_lock(folder: Path, label: str | None = None) -> Iterator[None]:
    """Hold the folder for one lab (or one `pki`) at a time: a second one sharing it would
    rewrite the certificates the first one serves and judges. The lock is the kernel's
    (flock), so a lab killed with SIGKILL leaves no stale lock behind."""
    import fcntl

    label = label or str(folder)
    try:
        fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError as exc:
        raise CannotRun(f"cannot lock {label}: {exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise CannotRun(
                f"{label} is in use by another lab (pid {holder}): stop it, or give this one another folder"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


SEED_NAMES = {"ca": "Fern Cert Authority", "server": "meow.com", "client": "Fern"}


def read_seed_pki(folder: Path) -> SeedPki:
    """The seed PKI already in `folder` (a lab's, or `mtls-tui pki`'s), or CannotRun saying why
    it is not the seed's: a file missing or unreadable, a key that does not belong to its
    certificate, names that are not the seed's, a leaf its CA did not sign. Dates are not
    judged here (`out_of_date`): an expired lab PKI is still the lab's, which `fresh` may replace."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

    from mtls_tui.certs.keys import key_matches
    from mtls_tui.certs.load import load_material
    from mtls_tui.errors import InputError
    from mtls_tui.sources.files import read_bytes

    issued: dict[str, Issued] = {}
    for stem, name in SEED_NAMES.items():
        try:
            cert = load_material(read_bytes(str(folder / f"{stem}.crt")), f"{stem}.crt").certs
            key = load_material(read_bytes(str(folder / f"{stem}.key")), f"{stem}.key").keys
        except (InputError, CannotRun) as exc:
            raise CannotRun(str(exc).replace(f"{folder}{os.sep}", "")) from None
        if len(cert) != 1 or len(key) != 1:
            raise CannotRun(f"{stem}.crt and {stem}.key must hold one certificate and one key each")
        if not isinstance(
            key[0].key,
            (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey),
        ) or not key_matches(cert[0].cert, key[0].key):
            raise CannotRun(f"{stem}.key is not the key of {stem}.crt")
        cn = cert[0].cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        if [a.value for a in cn] != [name]:
            raise CannotRun(f"{stem}.crt is not the seed's {stem} certificate (CN={name})")
        issued[stem] = Issued(cert[0].cert, key[0].key)
    for stem in ("server", "client"):
        try:
            issued[stem].cert.verify_directly_issued_by(issued["ca"].cert)
        except Exception:  # noqa: BLE001 - wrong issuer name, bad signature, unsupported algorithm
            raise CannotRun(f"{stem}.crt was not signed by ca.crt") from None
    return SeedPki(issued["ca"], issued["server"], issued["client"])


def secret_manifest(pki: SeedPki, name: str = "my-certs", namespace: str = "default") -> dict:
    """`kubectl create secret generic my-certs --from-file=tls.crt=... --from-file=tls.key=... --from-file=ca.crt=...`"""

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "type": "Opaque",
        "data": {
            "ca.crt": b64(pki.ca.cert_pem()),
            "tls.crt": b64(pki.server.cert_pem()),
            "tls.key": b64(pki.server.key_pem()),
        },
    }


def _certificates(pki: SeedPki) -> list[tuple[str, x509.Certificate]]:
    return [("ca.crt", pki.ca.cert), ("server.crt", pki.server.cert), ("client.crt", pki.client.cert)]


def out_of_date(pki: SeedPki, now: datetime | None = None) -> str | None:
    """Why a kept PKI cannot serve the lab today (a certificate expired, or not valid yet
    because the clock was set back), or None."""
    now = now or datetime.now(UTC)
    for name, cert in _certificates(pki):
        if now >= cert.not_valid_after_utc:
            return f"{name} expired on {cert.not_valid_after_utc:%Y-%m-%d}"
        if now < cert.not_valid_before_utc:
            return f"{name} is not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
    return None


def ends_soon(pki: SeedPki, now: datetime | None = None) -> str | None:
    """The certificate that ends first, when it ends within the span `check` warns about
    (cert-expires-soon): a presenter learns it before the workshop, not during it."""
    from mtls_tui.diagnose.certificates import SOON

    now = now or datetime.now(UTC)
    name, cert = min(_certificates(pki), key=lambda pair: pair[1].not_valid_after_utc)
    left = cert.not_valid_after_utc - now
    if left >= SOON:
        return None
    return f"{name} expires on {cert.not_valid_after_utc:%Y-%m-%d} (in {left.days} days)"


def write_seed_pki(folder: Path, pki: SeedPki | None = None, *, replace: bool = False, fresh: bool = False) -> SeedPki:
    """ca.crt/key, server.crt/key, client.crt/key and my-certs.json (the Secret) in `folder`.

    The seed PKI already there (the lab's from an earlier run, or `mtls-tui pki`'s) is kept,
    so that addresses, fingerprints and certificates handed out stay the same between runs:
    it is returned and used instead of `pki`. It is replaced by `pki` with `fresh`, or when
    `replace`. Any other CA key is never replaced unless `replace`. A kept PKI must serve
    today: out of date, or in another form than asked for (`--v3`), it is CannotRun naming
    `--fresh`. Keys are written to new files created 0600 and renamed into place."""
    prepare_folder(folder)
    pki = pki or seed_pki()
    if not replace and (folder / "ca.key").exists():
        try:
            existing = read_seed_pki(folder)
        except CannotRun as why:
            raise CannotRun(
                f"{folder} holds a ca.key that is not the lab's PKI ({why}); the lab never replaces a CA key "
                "unasked: give it another --dir, or --force to replace it"
            ) from None
        if not fresh:
            if existing.client.cert.version != pki.client.cert.version:
                form = "v3 (SAN and EKU)" if existing.client.cert.version is x509.Version.v3 else "the article's v1"
                raise CannotRun(
                    f"{folder} holds {form} certificates under its ca.key, not the form asked for "
                    "(--v3): --fresh issues them anew (a new CA), or give the lab another --dir"
                )
            problem = out_of_date(existing)
            if problem:
                raise CannotRun(f"{folder} holds the lab's PKI, but its {problem}: --fresh issues a new one (a new CA)")
            write_file(folder / "my-certs.json", json.dumps(secret_manifest(existing), indent=2).encode(), private=True)
            return existing
    for stem, issued in (("ca", pki.ca), ("server", pki.server), ("client", pki.client)):
        write_file(folder / f"{stem}.key", issued.key_pem(), private=True)
        write_file(folder / f"{stem}.crt", issued.cert_pem())
    write_file(folder / "my-certs.json", json.dumps(secret_manifest(pki), indent=2).encode(), private=True)
    return pki
