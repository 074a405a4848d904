"""Shared by the Gateway API, Envoy Gateway and Istio reader tests: load a manifest of
tests/data/successors/ as `check --manifests` does (sources.manifests.ManifestSet), read it
with `client_validations`, and put each answer `predict` gives in a short form the tables of the
tests can hold. The expected values are each manifest's "Expected" line in
tests/data/successors/README.md (and the file's own header comment)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from mtls_tui.model import FIX_PROGRAMS, ClusterSnapshot
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.successors import client_validations
from mtls_tui.policy.successors.common import ClientValidation, TlsVersion, WireAnswer, predict
from mtls_tui.sources.manifests import ManifestSet

DATA = Path(__file__).parent / "data" / "successors"
CLIENTS = ("none", "trusted", "other-ca", "expired")


def load(path: Path, complete: bool = True) -> ClusterSnapshot:
    """The file's objects as `check --manifests` reads them (ManifestSet, snapshot_from_objects).
    `complete` True: as a cluster holding exactly these objects, which is what the README's
    Expected lines describe; False: as manifest files, where an object not among them may still
    exist (it is then "unseen": assumed present, with a warning), as `check --manifests` judges."""
    return snapshot_from_objects(ManifestSet([str(path)]).objects(), f"manifests {path.name}", complete=complete)


def with_controller(path: Path, controller: str, folder: Path) -> Path:
    """The same manifest with the GatewayClass's controllerName replaced: one Gateway read by
    another implementation (the gateway-api files name Envoy Gateway's class)."""
    documents = [d for d in yaml.safe_load_all(path.read_text()) if d]
    for document in documents:
        if document.get("kind") == "GatewayClass":
            document["spec"]["controllerName"] = controller
    out = folder / path.name
    out.write_text(yaml.safe_dump_all(documents))
    return out


def short(answer: WireAnswer) -> str:
    """`alert 116+` (after the handshake), `alert 48`, `200`, `500`, `closed`, `refused`."""
    if answer.kind == "tls-alert":
        return f"alert {answer.alert}" + ("+" if answer.after_handshake else "")
    if answer.kind == "connection-closed":
        return "closed"
    if answer.kind == "refused":
        return "refused"
    return str(answer.status)


def answers(validation: ClientValidation, tls: TlsVersion = "1.3") -> tuple[str, ...]:
    """predict() for no certificate, a trusted one, one from another CA, an expired one."""
    return tuple(short(predict(validation, client, tls)) for client in CLIENTS)


@dataclass(frozen=True)
class Expect:
    mode: str
    answers: tuple[str, str, str, str]  # none, trusted, other-ca, expired (TLS 1.3)
    codes: frozenset[str] = frozenset()
    breakage: str | None = None
    implementation: str = "envoy-gateway"


def check(validation: ClientValidation, expect: Expect) -> None:
    assert validation.implementation == expect.implementation
    assert validation.mode == expect.mode, validation
    assert validation.breakage == expect.breakage, validation
    assert answers(validation) == expect.answers, answers(validation)
    assert {f.code for f in validation.findings} == expect.codes, [(f.code, f.title) for f in validation.findings]
    assert_fixes_runnable(validation)


def read(path: Path, complete: bool = True) -> list[ClientValidation]:
    return client_validations(load(path, complete))


def one(path: Path, complete: bool = True) -> ClientValidation:
    found = read(path, complete)
    assert len(found) == 1, found
    return found[0]


def assert_fixes_runnable(validation: ClientValidation) -> None:
    """Every fix is a command of FIX_PROGRAMS (each piped program too) or, for mtls-port-scope,
    an edit naming the field; no finding carries private key bytes; every fail-open (mode not
    enforcing, no breakage, a finding present) has an ERROR finding that names its object."""
    for finding in validation.findings:
        if finding.code == "mtls-port-scope":
            assert finding.fix.startswith("edit "), finding.fix
        else:
            assert finding.is_command, finding.fix
            for part in finding.fix.split("#", 1)[0].split("|"):
                assert part.split()[0] in FIX_PROGRAMS, finding.fix
        whole = " ".join((finding.title, finding.detail, finding.fix, *finding.evidence))
        assert "PRIVATE KEY" not in whole
    if validation.mode in ("none", "request", "verify-if-given", "require-any") and validation.breakage is None:
        # a fail-open is said by a finding naming its object: an error, or the warning mtls-fallback-mode when
        # the objects chose the mode themselves (as ingress-nginx's optional: README, exit status)
        said = [f for f in validation.findings if f.severity.value == "error" or f.code == "mtls-fallback-mode"]
        if validation.findings:
            assert said and all(f.subject for f in said), validation.findings


def manifests(folder: str) -> list[str]:
    return sorted(p.name for p in (DATA / folder).glob("*.yaml"))


def readme_expected(folder: str, name: str) -> str:
    """The README's "Expected:" text for one file (so a test can quote the oracle it follows)."""
    for line in (DATA / "README.md").read_text().splitlines():
        if line.startswith(f"- `{folder}/{name}`"):
            return line.partition("Expected:")[2].partition("Source:")[0].strip()
    raise AssertionError(f"{folder}/{name} has no line in README.md")


# The user's certificates that OpenSSL refuses with an error no table kind covers: its kind, and
# OpenSSL's verify error (x509_vfy.h). Issued in Python against the manifests' CA (pki/ca.key).
ODD_CLIENTS: dict[str, tuple[str, int]] = {
    "not-yet-valid": ("not-yet-valid", 9),  # X509_V_ERR_CERT_NOT_YET_VALID
    "same-name-ca": ("bad-signature", 7),  # X509_V_ERR_CERT_SIGNATURE_FAILURE
}


def odd_clients(folder: Path) -> dict[str, tuple[Path, Path]]:
    """Write the ODD_CLIENTS certificates and keys into `folder`: a client certificate valid from
    next month, signed by the manifests' CA; and an X.509 v1 one (no authority key id, so the CA
    is found by name alone, as the seed flow issues them) signed by a CA made again under the
    same name with another key (the audit's pki2)."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from mtls_tui.certs.issue import Issued, issue_leaf, new_key
    from mtls_tui.lab.pki import write_file

    ca_cert = x509.load_pem_x509_certificate((DATA / "pki" / "ca.crt").read_bytes())
    ca = Issued(ca_cert, load_pem_private_key((DATA / "pki" / "ca.key").read_bytes(), None))  # type: ignore[arg-type]
    same_name = Issued(ca_cert, new_key())  # RSA as the CA: OpenSSL only tries an issuer of its key type
    issued = {
        "not-yet-valid": issue_leaf(
            "client", ca, v1=False, eku=["clientAuth"], not_before=datetime.now(UTC) + timedelta(days=30)
        ),
        "same-name-ca": issue_leaf("client", same_name, v1=True),
    }
    paths = {}
    for name, cert in issued.items():
        paths[name] = (folder / f"{name}.crt", folder / f"{name}.key")
        write_file(paths[name][0], cert.cert_pem())
        write_file(paths[name][1], cert.key_pem(), private=True)
    return paths
