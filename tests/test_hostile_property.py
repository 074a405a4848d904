"""Issue 11: mutated certificates, keys, Secrets and manifests through the loaders and the
whole inspect and check pipelines. Only the project's own errors may come out of
`load_material` (InputError), and the CLI answers with 0, 1 or 2 and nothing else
escapes it; each run stays under a time bound.

The same corpus and mutations run for minutes in benchmarks/fuzz_inputs.py.
"""

from __future__ import annotations

import base64
import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mtls_tui.certs.load import load_material
from mtls_tui.errors import InputError
from mtls_tui.lab.pki import SeedPki, secret_manifest
from tests.test_hostile_certs import hostile_certificates, pem, run_main

RUN_SECONDS = 5.0  # one input through every command; local files of a few hundred KB take milliseconds
MAX_SIZE = 400_000  # bytes a mutated input may grow to


@dataclass(frozen=True)
class Seed:
    name: str
    data: bytes
    manifest: bool = False  # also run `check --manifests` on it


def _crl(pki: SeedPki) -> bytes:
    now = datetime.now(UTC)
    revoked = x509.RevokedCertificateBuilder().serial_number(2).revocation_date(now).build()
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(pki.ca.cert.subject)
        .last_update(now)
        .next_update(now + timedelta(days=7))
        .add_revoked_certificate(revoked)
    )
    return builder.sign(pki.ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def _ingress(secret: str = "default/my-certs") -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "meow-ingress",
            "namespace": "default",
            "annotations": {
                "nginx.ingress.kubernetes.io/auth-tls-secret": secret,
                "nginx.ingress.kubernetes.io/auth-tls-verify-client": "on",
                "nginx.ingress.kubernetes.io/auth-tls-verify-depth": "1",
            },
        },
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": ["meow.com"], "secretName": "my-certs"}],
            "rules": [
                {
                    "host": "meow.com",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "meow", "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ],
        },
    }


def seeds(pki: SeedPki) -> list[Seed]:
    """What users hand the tool, well formed: every shape the loader recognises, and manifests."""
    secret = secret_manifest(pki)
    secret["data"]["ca.crl"] = base64.b64encode(_crl(pki)).decode()
    key_der = pki.client.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    p12 = pkcs12.serialize_key_and_certificates(
        b"fern", pki.client.key, pki.client.cert, [pki.ca.cert], serialization.NoEncryption()
    )
    events_pods = [
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "e", "namespace": "default"},
            "count": 3,
            "involvedObject": {"kind": "Ingress", "name": "meow-ingress"},
            "reason": "Sync",
            "message": "synced",
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "ingress-nginx-controller",
                "namespace": "ingress-nginx",
                "labels": {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
            },
            "spec": {"template": {"spec": {"containers": [{"name": "controller", "args": ["--ingress-class=nginx"]}]}}},
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "ingress-nginx-controller-1",
                "namespace": "ingress-nginx",
                "labels": {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
            },
            "status": {
                "phase": "Running",
                "containerStatuses": [{"name": "controller", "ready": True, "restartCount": 0}],
            },
        },
    ]
    hostile = hostile_certificates()
    return [
        Seed("ca.pem", pki.ca.cert_pem()),
        Seed("bundle.pem", pki.client.cert_pem() + b"subject=CN=Fern\n" + pki.ca.cert_pem() + pki.client.key_pem()),
        Seed("client.der", pki.client.cert.public_bytes(serialization.Encoding.DER)),
        Seed("key.pem", pki.client.key_pem()),
        Seed("key.der", key_der),
        Seed("client.p12", p12),
        Seed("crl.pem", _crl(pki)),
        Seed("base64.txt", base64.b64encode(pki.ca.cert_pem())),
        Seed("hostile.pem", b"".join(pem(der) for der in hostile.values())),
        Seed("hostile.der", hostile["duplicate-basic-constraints"]),
        Seed("secret.yaml", yaml.safe_dump(secret).encode(), manifest=True),
        Seed("secret.json", json.dumps(secret).encode(), manifest=True),
        Seed(
            "list.json",
            json.dumps({"apiVersion": "v1", "kind": "List", "items": [secret, _ingress()]}).encode(),
            manifest=True,
        ),
        Seed("set.yaml", yaml.safe_dump_all([secret, _ingress(), *events_pods]).encode(), manifest=True),
    ]


@lru_cache(maxsize=1)
def _hostile_values() -> tuple[Any, ...]:
    return (
        None,
        True,
        -1,
        10**40,
        1e308,
        float("nan"),
        "",
        "x" * 5000,
        "\x1b[31m\x00\n'\"$(touch pwned)",
        [],
        {},
        [[[[[]]]]],
        {"a": {"b": {"c": {}}}},
        "*.example.com",
        "default/",
        "/x",
        "a" * 300 + "/b",
        "CN=(",
        "(" * 50,
        "9" * 30,
        "-----BEGIN CERTIFICATE-----\n",
        base64.b64encode(b"\x30\x80" * 20).decode(),
    )


# --- mutations -----------------------------------------------------------------------------------


class Chooser:
    """Where a mutation's choices come from: hypothesis (shrinkable) or a seeded random (fuzz_inputs.py)."""

    def __init__(self, draw: Callable[[Any], Any] | None = None, rng: random.Random | None = None) -> None:
        self.draw, self.rng = draw, rng

    def integer(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high)) if self.draw else self.rng.randint(low, high)

    def choice(self, options: list | tuple) -> Any:
        return self.draw(st.sampled_from(options)) if self.draw else self.rng.choice(options)

    def binary(self, low: int, high: int) -> bytes:
        if self.draw:
            return self.draw(st.binary(min_size=low, max_size=high))
        return self.rng.randbytes(self.rng.randint(low, high))


def byte_mutation(pick: Chooser, data: bytes) -> bytes:
    size = len(data)
    at = pick.integer(0, max(size - 1, 0))
    kind = pick.choice(["flip", "set", "insert", "delete", "duplicate", "truncate", "repeat"])
    if kind == "flip" and size:
        return data[:at] + bytes([data[at] ^ (1 << pick.integer(0, 7))]) + data[at + 1 :]
    if kind == "set" and size:
        return data[:at] + bytes([pick.choice([0x00, 0x30, 0x80, 0x82, 0xFF, 0x06, 0x02, 0x0A, 0x2D])]) + data[at + 1 :]
    if kind == "insert":
        return data[:at] + pick.binary(1, 16) + data[at:]
    if kind == "delete":
        return data[:at] + data[at + pick.integer(1, 64) :]
    if kind == "duplicate":
        length = pick.integer(1, 200)
        return data[:at] + data[at : at + length] * 2 + data[at + length :]
    if kind == "repeat":  # a line many times over (up to MAX_SIZE): the quadratic cases lived here
        start = data.rfind(b"\n", 0, at) + 1
        end = data.find(b"\n", at)
        line = data[start : end + 1 if end >= 0 else size][:4096] or b"\n"
        times = min(pick.integer(2, 5000), max(2, (MAX_SIZE - size) // len(line)))
        return data[:start] + line * times + data[start:]
    return data[:at]


_PEM = re.compile(rb"(-----BEGIN [A-Z0-9 ]+-----\r?\n)([A-Za-z0-9+/=\r\n]+)(-----END [A-Z0-9 ]+-----)")


def der_mutation(pick: Chooser, data: bytes) -> bytes | None:
    """A mutation of the DER inside one PEM block, base64 re-encoded: it reaches the DER parser."""
    blocks = list(_PEM.finditer(data[:MAX_SIZE]))
    if not blocks:
        return None
    block = blocks[pick.integer(0, len(blocks) - 1)]
    try:
        der = base64.b64decode(block.group(2))
    except ValueError:  # binascii.Error: an earlier mutation broke the base64
        return None
    for _ in range(pick.integer(1, 3)):
        der = byte_mutation(pick, der)
    return data[: block.start(2)] + base64.encodebytes(der) + data[block.end(2) :]


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, prefix + (index,))
    return found


def _set(document: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    holder = document
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = value
    return document


def structure_mutation(pick: Chooser, data: bytes) -> bytes | None:
    """A value somewhere in a manifest replaced by a hostile one (or a Secret value's DER mutated);
    None when an earlier mutation left nothing this can walk (then the bytes are mutated instead)."""
    try:
        return _structure_mutation(pick, data)
    except (RecursionError, ValueError, TypeError, KeyError, IndexError):
        return None


def _structure_mutation(pick: Chooser, data: bytes) -> bytes | None:
    """A value somewhere in a manifest replaced by a hostile one (or a Secret value's DER mutated)."""
    try:
        documents = list(yaml.safe_load_all(data))
    except Exception:  # noqa: BLE001 - not YAML PyYAML can build (an earlier mutation): mutate the bytes instead
        return None
    if not documents:
        return None
    index = pick.integer(0, len(documents) - 1)
    document = documents[index]
    paths = _paths(document)
    path = paths[pick.integer(0, len(paths) - 1)]
    if (
        pick.choice([True, False])
        and path
        and path[-1] in ("ca.crt", "tls.crt", "tls.key", "ca.crl")
        and "data" in path
    ):
        holder = document
        for step in path[:-1]:
            holder = holder[step]
        try:
            decoded = base64.b64decode(str(holder[path[-1]]))
        except (ValueError, TypeError):
            return None
        mutated_value = der_mutation(pick, decoded) or byte_mutation(pick, decoded)
        holder[path[-1]] = base64.b64encode(mutated_value).decode()
    else:
        documents[index] = _set(document, path, pick.choice(_hostile_values()))
    try:
        if data.lstrip()[:1] in (b"{", b"["):
            return json.dumps(documents[0] if len(documents) == 1 else documents).encode()
        return yaml.safe_dump_all(documents).encode()
    except (ValueError, RecursionError, yaml.YAMLError):
        return None


RAW_YAML = (
    b"count: " + b"1" * 5000,
    b"when: 2026-13-45",
    b"loop: &loop [*loop]",
    b"bin: !!binary '%%%'",
    b"? [a, b]: c",
    b"obj: !!python/object/apply:os.system ['true']",
    b"ref: *nowhere",
    b"deep: " + b"[" * 300 + b"]" * 300,
    b"merge: {<<: [1, 2]}",
    b"set: !!set {a, b}",
    b"tab:\t- x",
    b"nul: \x00",
    b"big: 1e999",
    b"neg: -0x1",
    b"--- !!str",
    b"...",
    b"%YAML 1.3",
    b"bom: \xef\xbb\xbf",
    b"kind: " + b"Secret" * 1000,
)


def raw_yaml_mutation(pick: Chooser, data: bytes) -> bytes:
    """A line of YAML PyYAML parses but may not build (or a directive, or a stray marker), at a line start."""
    lines = data.split(b"\n")
    at = pick.integer(0, len(lines))
    indent = re.match(rb"[ ]*", lines[at] if at < len(lines) else b"").group(0)
    lines.insert(at, indent + pick.choice(RAW_YAML))
    return b"\n".join(lines)


def mutate(pick: Chooser, corpus: list[Seed]) -> tuple[Seed, bytes]:
    seed = pick.choice(corpus)
    data = seed.data
    for _ in range(pick.integer(1, 3)):
        kind = pick.choice(["bytes", "der", "structure", "raw"] if seed.manifest else ["bytes", "der"])
        if kind == "raw":
            data = raw_yaml_mutation(pick, data)[:MAX_SIZE]
            continue
        changed = (
            der_mutation(pick, data)
            if kind == "der"
            else structure_mutation(pick, data)
            if kind == "structure"
            else None
        )
        data = (changed if changed is not None else byte_mutation(pick, data))[:MAX_SIZE]
    return seed, data


# --- the pipeline ------------------------------------------------------------------------------------


def run_pipeline(seed: Seed, data: bytes, folder: Path) -> list[str]:
    """Everything one input goes through; returns what went wrong (empty: nothing)."""
    problems = []
    started = time.perf_counter()
    try:
        load_material(data, seed.name)
    except InputError:
        pass
    path = folder / seed.name
    path.write_bytes(data)
    commands = [["inspect", str(path), "--json"]]
    if seed.manifest:
        commands.append(["check", "--manifests", str(path), "--json", "--no-probe"])
    for argv in commands:
        code, out, err = run_main(*argv)
        if code not in (0, 1, 2):
            problems.append(f"{argv[0]}: exit {code}")
        if code in (0, 1):
            json.loads(out)  # a whole JSON document on stdout
        elif err.count("\n") != 1:
            problems.append(f"{argv[0]}: exit 2 without exactly one line on stderr: {err!r}")
    elapsed = time.perf_counter() - started
    if elapsed > RUN_SECONDS:
        problems.append(f"took {elapsed:.1f} s")
    return problems


def test_the_seeds_are_read(pki: SeedPki, tmp_path: Path) -> None:
    for seed in seeds(pki):
        assert not run_pipeline(seed, seed.data, tmp_path), seed.name


@settings(
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_mutated_inputs_end_as_findings_or_one_line(data: st.DataObject, pki: SeedPki, tmp_path: Path) -> None:
    seed, mutated_bytes = mutate(Chooser(data.draw), seeds_of(pki))
    assert not run_pipeline(seed, mutated_bytes, tmp_path), (seed.name, mutated_bytes[:200])


_SEEDS: dict[int, list[Seed]] = {}


def seeds_of(pki: SeedPki) -> list[Seed]:
    return _SEEDS.setdefault(id(pki), seeds(pki))


# --- a Secret's certificates as the controller reads them (policy/secret_store.py) ------------------


def _secret_set(pki: SeedPki, **replaced: bytes) -> bytes:
    data = {"ca.crt": pki.ca.cert_pem(), "tls.crt": pki.server.cert_pem(), "tls.key": pki.server.key_pem(), **replaced}
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "my-certs", "namespace": "default"},
        "data": {k.replace("_", "."): base64.b64encode(v).decode() for k, v in data.items()},
    }
    return yaml.safe_dump_all([secret, _ingress()]).encode()


def test_a_ca_crt_with_an_invalid_version_is_refused_not_raised(pki: SeedPki, tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    path.write_bytes(_secret_set(pki, **{"ca.crt": pem(hostile_certificates()["invalid-version"])}))
    assert run_main("inspect", str(path), "--json")[0] in (0, 1)
    assert run_main("check", "--manifests", str(path), "--json", "--no-probe")[0] in (0, 1)


def test_a_tls_crt_with_an_unknown_key_algorithm_is_refused_not_raised(pki: SeedPki, tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    path.write_bytes(_secret_set(pki, **{"tls.crt": pem(hostile_certificates()["unknown-key-algorithm"])}))
    assert run_main("check", "--manifests", str(path), "--json", "--no-probe")[0] in (0, 1)


def test_a_tls_crt_whose_key_is_off_its_curve_is_refused_not_raised(pki: SeedPki, tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    path.write_bytes(_secret_set(pki, **{"tls.crt": pem(hostile_certificates()["invalid-public-key"])}))
    assert run_main("inspect", str(path), "--json")[0] in (0, 1)


def _unknown_algorithm_key() -> bytes:
    """A PKCS#8 key whose algorithm OID no library knows (id-ecPublicKey's last arc changed)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from tests.test_hostile_certs import der_oid

    der = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem(der.replace(der_oid("1.2.840.10045.2.1"), der_oid("1.2.840.10045.2.9")), "PRIVATE KEY")


def test_a_key_with_an_unknown_algorithm_is_one_line(tmp_path: Path) -> None:
    """Alone, nothing to judge: one line, exit 2 (DESIGN's exit statuses; it was a report, exit 1)."""
    path = tmp_path / "unknown.key"
    path.write_bytes(_unknown_algorithm_key())
    code, out, err = run_main("inspect", str(path), "--json")
    assert code == 2 and out == "" and err.count("\n") == 1 and "unsupported private key" in err, err


def test_a_tls_key_with_an_unknown_algorithm_is_refused_not_raised(pki: SeedPki, tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    path.write_bytes(_secret_set(pki, **{"tls.key": _unknown_algorithm_key()}))
    assert run_main("check", "--manifests", str(path), "--json", "--no-probe")[0] in (0, 1)
