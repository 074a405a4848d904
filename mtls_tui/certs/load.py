"""Turn whatever a user points at into certificates and keys.

Users hand us what they have at 2 a.m.: a PEM bundle with `openssl x509 -text`
around it, DER, PKCS#12, a `kubectl get secret -o yaml` dump, the bare base64 that
`-o jsonpath='{.data.ca\\.crt}'` prints, a file PowerShell wrote as UTF-16. Each is
recognised by its content, not its name. Anything else is an `InputError` that says
what was found instead and where; nothing else escapes.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from mtls_tui.certs.content_cache import CACHED_BYTES, content_cache
from mtls_tui.certs.keys import PrivateKey
from mtls_tui.certs.secret_data import secret_values
from mtls_tui.errors import InputError, PassphraseNeeded

# What a PEM block is (kept for reference and callers); `_pem_blocks` finds the same blocks
# in linear time: this expression scans from every BEGIN line to its END line, which made
# 10,000 BEGIN lines without END lines (280 KB) take 25 s.
PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 #]+)-----\r?\n(.*?)-----END ([A-Z0-9 #]+)-----", re.S)
PEM_BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9 #]+)-----")
_PEM_MARKER = re.compile(rb"(?=-----(BEGIN|END) ([A-Z0-9 #]+)-----)")  # every BEGIN/END line, overlapping ones too
MANIFEST_KEY = re.compile(rb"(?m)^[ \t]*(apiVersion|kind)[ \t]*:")  # [ \t], not \s: \s spans lines (quadratic)
BASE64_TEXT = re.compile(rb"^[A-Za-z0-9+/=\s]+$")
PKCS7_DATA_OID = bytes.fromhex("06092a864886f70d010701")
KEY_BLOCKS = {
    b"PRIVATE KEY",
    b"RSA PRIVATE KEY",
    b"EC PRIVATE KEY",
    b"DSA PRIVATE KEY",
    b"ENCRYPTED PRIVATE KEY",
    b"OPENSSH PRIVATE KEY",
}
CERT_BLOCKS = {b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE"}
MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"\x7fELF", "an executable (ELF)"),
)
# cryptography's RSA consistency check costs ~25 ms a key. OpenSSL checks the key
# again when a handshake loads it, and key-mismatch compares public keys, so the
# check would only slow every probe down.
SKIP_RSA_CHECK = True
MAX_DEPTH = 3  # base64 inside a Secret inside base64: deeper is not a real input
# Key derivation rounds a PKCS#12 file or an encrypted key may ask for, summed over the file
# (its MAC and each encrypted part): OpenSSL makes 2,048 a part, Java 10,000 to 50,000, and
# 10,000,000 take under 2 s. Each round is paid before the pass phrase can be judged, so a
# file asking for 2**31 would hang for many minutes.
MAX_KDF_ROUNDS = 10_000_000


@dataclass(frozen=True)
class LoadedCert:
    cert: x509.Certificate
    origin: str
    secret_key: str | None = None  # the Secret key it came from (`ca.crt`, `tls.crt`)
    secret: str | None = None  # `namespace/name` of that Secret


@dataclass(frozen=True)
class LoadedKey:
    key: PrivateKey = field(repr=False)
    origin: str
    secret_key: str | None = None
    secret: str | None = None


@dataclass(frozen=True)
class SecretEntry:
    """One key of a Secret: its name, size and what it held (never its bytes)."""

    name: str
    size: int
    holds: str


@dataclass(frozen=True)
class SecretInfo:
    namespace: str
    name: str
    type: str
    entries: tuple[SecretEntry, ...]
    origin: str
    values: tuple[tuple[str, bytes], ...] = field(default=(), repr=False)  # for the controller's reading; never shown

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class Material:
    """Everything one input held, in the order it held it."""

    origin: str
    certs: tuple[LoadedCert, ...] = ()
    keys: tuple[LoadedKey, ...] = ()
    crls: tuple[x509.CertificateRevocationList, ...] = ()
    secrets: tuple[SecretInfo, ...] = ()
    notes: tuple[str, ...] = ()
    # a client certificate given with no key, and no key file beside it (the edge looked: the core
    # does no I/O): a fix makes that key instead of naming a file that is not there
    no_key_beside: bool = False

    def __add__(self, other: Material) -> Material:
        return Material(
            origin=self.origin,
            certs=self.certs + other.certs,
            keys=self.keys + other.keys,
            crls=self.crls + other.crls,
            secrets=self.secrets + other.secrets,
            notes=self.notes + other.notes,
        )

    @property
    def empty(self) -> bool:
        return not (self.certs or self.keys or self.crls or self.secrets)

    def renamed(self, old: str, new: str) -> Material:
        """The same material read from `new` instead of `old` (every origin starts with it):
        equal bytes in many Secrets are parsed once and named after each."""

        def moved(origin: str) -> str:
            return new + origin.removeprefix(old) if origin.startswith(old) else origin

        return Material(
            origin=moved(self.origin),
            certs=tuple(replace(c, origin=moved(c.origin)) for c in self.certs),
            keys=tuple(replace(k, origin=moved(k.origin)) for k in self.keys),
            crls=self.crls,
            secrets=tuple(replace(s, origin=moved(s.origin)) for s in self.secrets),
            notes=self.notes,
        )

    def describe(self) -> str:
        parts = [f"{len(self.certs)} certificate(s)"] if self.certs else []
        parts += [f"{len(self.keys)} private key(s)"] if self.keys else []
        parts += [f"{len(self.crls)} CRL(s)"] if self.crls else []
        return ", ".join(parts) or "nothing usable"


def load_material(data: bytes, origin: str, password: bytes | None = None) -> Material:
    """Recognise `data` by content. Raises only `InputError` (and its `PassphraseNeeded`).
    cryptography's warnings about what it tolerates (a BER PKCS#12, a negative serial number)
    are not printed: the terminal gets one report or one line, nothing between."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            material = _load(data, origin, password, depth=0)
    except InputError:
        raise
    except RecursionError:
        raise InputError(origin, "could not be read (nested too deeply)") from None
    except Exception as exc:  # noqa: BLE001 - the contract: hostile input never escapes as a traceback
        raise InputError(origin, f"could not be read ({_first_line(exc)})") from None
    if material.empty:
        raise InputError(origin, "holds no certificate, key or CRL" + _notes_suffix(material.notes))
    return material


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _notes_suffix(notes: Iterable[str]) -> str:
    notes = list(notes)
    return f" ({'; '.join(notes)})" if notes else ""


def _decode_text(data: bytes) -> bytes:
    """UTF-16 with a BOM (PowerShell's `>`) and UTF-8 BOMs become plain bytes."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return data
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:]
    return data


def _load(data: bytes, origin: str, password: bytes | None, depth: int) -> Material:
    if depth > MAX_DEPTH:
        raise InputError(origin, "nested too deeply (base64 inside base64)")
    data = _decode_text(data)
    if not data.strip():
        raise InputError(origin, "is empty")
    stripped = data.lstrip()
    if stripped[:1] in (b"{", b"[") or MANIFEST_KEY.search(data):
        return _load_manifest(data, origin, password, depth)
    if PEM_BEGIN.search(data):
        return _load_pem(data, origin, password)
    if BASE64_TEXT.match(data) and len(stripped) >= 16:
        decoded = _b64(data, origin)
        return _load(decoded, f"{origin} (base64)", password, depth + 1)
    return _load_binary(data, origin, password)


def _b64(data: bytes, where: str) -> bytes:
    """Bare base64, as `kubectl get secret -o jsonpath='{.data.ca\\.crt}'` prints it: white space
    a terminal or an editor added is dropped (a Secret's `data` is stricter: secret_data.py)."""
    compact = re.sub(rb"\s+", b"", data)
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise InputError(where, "looks like base64 but does not decode") from None


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


class _Lines:
    """Line numbers of increasing offsets, counting each newline once (not from the top each time)."""

    def __init__(self, data: bytes) -> None:
        self.data, self.offset, self.line = data, 0, 1

    def __call__(self, offset: int) -> int:
        if offset < self.offset:
            return _line_of(self.data, offset)
        self.line += self.data.count(b"\n", self.offset, offset)
        self.offset = offset
        return self.line


@dataclass(frozen=True)
class _Block:
    start: int
    end: int
    label: bytes
    end_label: bytes


def _pem_blocks(data: bytes) -> Iterator[_Block | tuple[int, bytes]]:
    """What `PEM_BLOCK.finditer` and the BEGIN lines between its matches give, in order and in
    linear time: a `_Block` for each block, and (offset, label) for a BEGIN line that starts
    no block (no line break after it, or no END line after it). A block runs from a BEGIN line
    to the first END line after it, whatever its label, as the expression has it."""
    begins: list[tuple[int, bytes]] = []
    end_starts: list[int] = []
    end_labels: list[bytes] = []
    for marker in _PEM_MARKER.finditer(data):
        if marker.group(1) == b"BEGIN":
            begins.append((marker.start(), marker.group(2)))
        else:
            end_starts.append(marker.start())
            end_labels.append(marker.group(2))
    covered = 0
    for start, label in begins:
        if start < covered:
            continue
        header_end = start + 16 + len(label)
        body = (
            header_end + 1
            if data[header_end : header_end + 1] == b"\n"
            else header_end + 2
            if data[header_end : header_end + 2] == b"\r\n"
            else -1
        )
        index = bisect.bisect_left(end_starts, body) if body >= 0 else len(end_starts)
        if index == len(end_starts):
            yield start, label  # starts no block
            continue
        covered = end_starts[index] + 14 + len(end_labels[index])
        yield _Block(start, covered, label, end_labels[index])


def _load_pem(data: bytes, origin: str, password: bytes | None) -> Material:
    certs: list[LoadedCert] = []
    keys: list[LoadedKey] = []
    crls: list[x509.CertificateRevocationList] = []
    notes: list[str] = []
    line_of = _Lines(data)

    def unfinished(offset: int, label: bytes) -> InputError:
        return InputError(
            f"{origin}:{line_of(offset)}", f"'-----BEGIN {label.decode()}-----' has no END line (truncated PEM?)"
        )

    pending: tuple[int, bytes] | None = None  # the first BEGIN line since the last block that starts none
    for found in _pem_blocks(data):
        if not isinstance(found, _Block):
            pending = pending or found
            continue
        if pending and pending[0] + 16 + len(pending[1]) <= found.start:
            raise unfinished(*pending)
        pending = None
        label, end_label = found.label, found.end_label
        line = line_of(found.start)
        where = f"{origin}:{line}"
        if label != end_label:
            raise InputError(
                where, f"BEGIN {label.decode()} ends with END {end_label.decode()} (truncated or pasted PEM?)"
            )
        block = data[found.start : found.end]
        if label in CERT_BLOCKS:
            if label == b"TRUSTED CERTIFICATE":
                block = block.replace(b"TRUSTED CERTIFICATE", b"CERTIFICATE")
                notes.append(f"line {line}: OpenSSL TRUSTED CERTIFICATE read without its trust settings")
            certs.append(
                LoadedCert(read_certificate(x509.load_pem_x509_certificate, block, where, label.decode()), where)
            )
        elif label in KEY_BLOCKS:
            keys.append(LoadedKey(_pem_key(block, where, password), where))
        elif label == b"X509 CRL":
            try:
                crls.append(x509.load_pem_x509_crl(block))
            except ValueError:
                raise InputError(where, "X509 CRL block is damaged (its base64 or DER does not decode)") from None
        else:
            notes.append(f"line {line}: a {label.decode()} block, not used here")
    if pending:
        raise unfinished(*pending)
    return Material(origin, tuple(certs), tuple(keys), tuple(crls), (), tuple(notes))


# --- certificates cryptography reads lazily ---------------------------------------------

_PARSE_ERROR = re.compile(r"ParseError \{ kind: (\w+)(?:.*?location: \[(.*?)\])?")


def _reason(exc: BaseException) -> str:
    """cryptography's words, with its Rust parser's debug form made readable."""
    text = _first_line(exc)
    parsed = _PARSE_ERROR.search(text)
    if parsed:
        kind = re.sub(r"(?<!^)(?=[A-Z])", " ", parsed.group(1)).lower()
        where = " / ".join(part.strip().strip('"') for part in (parsed.group(2) or "").split(",") if part.strip())
        return f"{kind} in {where}" if where else kind
    return text


def unreadable_part(cert: x509.Certificate) -> str | None:
    """The first part of `cert` that cryptography cannot decode, and why; None when every
    part reads. The DER parses at load, but names, extensions and the key are decoded on
    first access, and a hostile certificate raises there (duplicate extensions, invalid
    UTF-8 in a name, a malformed extension value, an unknown key algorithm)."""
    checks: tuple[tuple[str, Callable[[], object]], ...] = (
        ("its version", lambda: cert.version),
        ("its serial number", lambda: cert.serial_number),
        ("its subject", lambda: cert.subject),
        ("its issuer", lambda: cert.issuer),
        ("its validity dates", lambda: (cert.not_valid_before_utc, cert.not_valid_after_utc)),
        ("its extensions", lambda: [ext.value for ext in cert.extensions]),
        ("its public key", cert.public_key),
        ("its signature algorithm", lambda: cert.signature_algorithm_oid),
    )
    for part, read in checks:
        try:
            read()
        except Exception as exc:  # noqa: BLE001 - each of cryptography's own types (DuplicateExtension, InvalidVersion, ...)
            return f"{part} could not be read ({_reason(exc)})"
    return None


def fully_read(cert: x509.Certificate, where: str) -> x509.Certificate:
    """`cert`, once every part of it decodes; else an InputError (an `input-unreadable`
    finding) here rather than a traceback wherever the part is first used."""
    problem = unreadable_part(cert)
    if problem:
        raise InputError(where, f"the certificate cannot be fully read: {problem}")
    return cert


def read_certificate(
    load: Callable[[bytes], x509.Certificate], data: bytes, where: str, what: str = "CERTIFICATE"
) -> x509.Certificate:
    """Load a certificate (PEM or DER, by `load`) and decode every part of it now. The same
    bytes give the same (immutable) certificate: a CA that thousands of Secrets hold is
    read once, and its facts, cached by certificate, are worked out once."""
    cert = _read_whole(load, data)
    if cert is not None:
        return cert
    try:
        cert = load(data)
    except x509.InvalidVersion as exc:
        raise InputError(where, f"the certificate has an invalid X.509 version ({exc})") from None
    except ValueError:
        raise InputError(where, f"{what} block is damaged (its base64 or DER does not decode)") from None
    return fully_read(cert, where)


@content_cache(4096, CACHED_BYTES)
def _read_whole(load: Callable[[bytes], x509.Certificate], data: bytes) -> x509.Certificate | None:
    """The certificate when every part of it decodes, else None: `read_certificate` then
    reads it again to say where and why."""
    try:
        cert = load(data)
    except Exception:  # noqa: BLE001 - any failure takes the path that names it
        return None
    return cert if unreadable_part(cert) is None else None


# --- keys and PKCS#12 ---------------------------------------------------------------------

# The options every command that reads keys has (sources/files.py: --pass, PASS_ENV and a prompt on a terminal).
GIVE_PASS = "give its pass phrase with --pass PHRASE or the environment variable MTLS_TUI_PASS"


def passphrase_detail(error: PassphraseNeeded) -> str:
    """The finding's detail for an input that is readable once its pass phrase is known."""
    what = (
        "a PKCS#12 file protected by a password"
        if "(PKCS#12)" in error.where
        else "a private key encrypted with a pass phrase"
    )
    return (
        f"This input is {what}; it can be read with the pass phrase: --pass PHRASE, the environment variable "
        "MTLS_TUI_PASS, or the prompt when standard input is a terminal."
    )


def _der_items(data: bytes, start: int, end: int) -> Iterator[tuple[int, int, int]]:
    """(tag, content start, content end) of each DER item in data[start:end]; stops at the first malformed one."""
    pos = start
    while pos + 2 <= end:
        tag = data[pos]
        if tag & 0x1F == 0x1F:
            return  # high tag numbers do not occur in what we look into
        length, pos = data[pos + 1], pos + 2
        if length & 0x80:
            count = length & 0x7F
            if count == 0 or count > 4 or pos + count > end:
                return
            length, pos = int.from_bytes(data[pos : pos + count], "big"), pos + count
        if pos + length > end:
            return
        yield tag, pos, pos + length
        pos += length


def kdf_rounds(data: bytes, max_depth: int = 64) -> int:
    """The key derivation rounds a DER structure asks for, summed: every INTEGER that follows
    an OCTET STRING in a SEQUENCE (PKCS#12 MacData and PBE parameters, PBKDF2 and scrypt
    parameters: salt, then the count), looking into OCTET STRINGs that hold DER, as PKCS#12
    nests its parts. Linear in the data for each level of nesting, and the levels are bounded."""
    total = 0
    stack = [(0, len(data), 0, False)]  # (start, end, depth, a SEQUENCE's contents)
    while stack:
        start, end, depth, in_sequence = stack.pop()
        previous = None
        for tag, begin, finish in _der_items(data, start, end):
            if in_sequence and tag == 0x02 and previous == 0x04 and finish - begin <= 9:
                total += max(0, int.from_bytes(data[begin:finish], "big", signed=True))
            if depth < max_depth:
                if tag & 0x20:
                    stack.append((begin, finish, depth + 1, tag == 0x30))
                elif tag == 0x04 and finish > begin and data[begin] == 0x30:
                    stack.append((begin, finish, depth + 1, False))
            previous = tag
    return total


def _check_rounds(der: bytes, where: str) -> None:
    rounds = kdf_rounds(der)
    if rounds > MAX_KDF_ROUNDS:
        raise InputError(
            where,
            f"asks for {rounds:,} key derivation rounds (limit {MAX_KDF_ROUNDS:,}): refused, "
            "reading it would take minutes or more",
        )


def _pem_der(block: bytes) -> bytes:
    """The DER inside a PEM block (headers such as Proc-Type have no DER to look into)."""
    lines = block.splitlines()[1:-1]
    if any(b":" in line for line in lines):
        return b""
    try:
        return base64.b64decode(b"".join(lines), validate=False)
    except (binascii.Error, ValueError):
        return b""


def _pem_key(block: bytes, where: str, password: bytes | None) -> PrivateKey:
    if b"OPENSSH PRIVATE KEY" in block[:40]:
        raise InputError(where, "an OpenSSH private key, not a TLS key (convert: ssh-keygen -p -m PEM -f FILE)")
    if password is not None and b"ENCRYPTED PRIVATE KEY" in block[:40]:
        _check_rounds(_pem_der(block), where)
    try:
        key = serialization.load_pem_private_key(
            block, password=password, unsafe_skip_rsa_key_validation=SKIP_RSA_CHECK
        )
    except TypeError:
        if password is None:
            raise PassphraseNeeded(where, f"the private key is encrypted: {GIVE_PASS}") from None
        raise InputError(where, "a pass phrase was given but the key is not encrypted") from None
    except ValueError as exc:
        if password is not None and "password" in str(exc).lower():
            raise InputError(where, "wrong pass phrase for the encrypted private key") from None
        raise InputError(where, "private key block is damaged (its base64 or DER does not decode)") from None
    except UnsupportedAlgorithm as exc:
        raise InputError(where, f"unsupported private key ({_first_line(exc)})") from None
    return key  # type: ignore[return-value]


DER_CRL_NOTE = (
    "a DER CRL: nginx's ssl_crl and ingress-nginx read PEM only (openssl crl -inform DER -in FILE -out FILE.pem)"
)


def _load_binary(data: bytes, origin: str, password: bytes | None) -> Material:
    for magic, what in MAGIC:
        if data.startswith(magic):
            raise InputError(origin, f"is {what}, not a certificate, key, bundle or manifest")
    if data[:1] == b"\x30":
        where = f"{origin} (DER)"
        try:
            cert = x509.load_der_x509_certificate(data)
        except x509.InvalidVersion as exc:
            raise InputError(where, f"the certificate has an invalid X.509 version ({exc})") from None
        except ValueError:
            pass
        else:
            return Material(origin, certs=(LoadedCert(fully_read(cert, where), where),))
        if password is not None:
            _check_rounds(data, origin)
        try:
            key = serialization.load_der_private_key(
                data, password=password, unsafe_skip_rsa_key_validation=SKIP_RSA_CHECK
            )
            return Material(origin, keys=(LoadedKey(key, where),))  # type: ignore[arg-type]
        except (ValueError, TypeError, UnsupportedAlgorithm):
            pass
        try:
            return Material(origin, crls=(x509.load_der_x509_crl(data),), notes=(DER_CRL_NOTE,))
        except ValueError:
            pass
        if PKCS7_DATA_OID in data[:64]:
            return _load_pkcs12(data, origin, password)
    if _looks_textual(data):
        first = data.strip().splitlines()[0][:60].decode("utf-8", "replace")
        raise InputError(origin, f"is text, not a certificate, key, bundle or manifest (starts with {first!r})")
    raise InputError(
        origin, f"is binary data, not a certificate, key, bundle or manifest (first bytes: {data[:8].hex(' ')})"
    )


def _looks_textual(data: bytes) -> bool:
    try:
        text = data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return sum(ch.isprintable() or ch in "\r\n\t" for ch in text) > 0.95 * len(text)


def _load_pkcs12(data: bytes, origin: str, password: bytes | None) -> Material:
    where = f"{origin} (PKCS#12)"
    _check_rounds(data, where)
    try:
        p12 = pkcs12.load_pkcs12(data, password)
    except ValueError:
        if password is None:
            raise PassphraseNeeded(where, f"is password-protected: {GIVE_PASS}") from None
        raise InputError(where, "wrong PKCS#12 password (or the file is damaged)") from None
    certs: list[LoadedCert] = []
    if p12.cert is not None:
        certs.append(LoadedCert(fully_read(p12.cert.certificate, where), where))
    certs += [LoadedCert(fully_read(c.certificate, where), where) for c in p12.additional_certs]
    keys = (LoadedKey(p12.key, where),) if p12.key is not None else ()  # type: ignore[arg-type]
    return Material(origin, tuple(certs), keys)


def _load_manifest(data: bytes, origin: str, password: bytes | None, depth: int) -> Material:
    from mtls_tui.documents import yaml_documents  # PyYAML when a manifest is read, not at the screen's first frame

    documents = [d for d in yaml_documents(data, origin, "YAML or JSON") if d is not None]
    parts: list[Material] = []
    kinds: list[str] = []
    for doc in documents:
        for obj in _objects(doc):
            kind = str(obj.get("kind", "?"))
            if kind == "Secret":
                parts.append(_load_secret(obj, origin, password, depth))
            else:
                kinds.append(kind)
    material = _joined(origin, parts)
    if not material.secrets:
        found = ", ".join(sorted(set(kinds))) or "no Kubernetes object"
        raise InputError(origin, f"is a manifest without a Secret (found {found})")
    return material


def _objects(doc: Any) -> list[dict[str, Any]]:
    if not isinstance(doc, dict):
        return []
    if doc.get("kind") == "List" or (str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list)):
        return [item for item in doc.get("items") or [] if isinstance(item, dict)]
    return [doc]


def _load_secret(obj: dict[str, Any], origin: str, password: bytes | None, depth: int) -> Material:
    metadata = obj.get("metadata")
    meta = metadata if isinstance(metadata, dict) else {}
    name = str(meta.get("name", "?"))
    namespace = str(meta.get("namespace", "default"))
    label = f"{origin}: Secret {namespace}/{name}"
    if not any(isinstance(obj.get(field), dict) and obj.get(field) for field in ("data", "stringData")):
        raise InputError(label, "has no data or stringData")
    values = secret_values(obj, label)
    parts: list[Material] = []
    entries: list[SecretEntry] = []
    for key, value in values.items():
        where = f"{label}, key {key}"
        try:
            part = _load(value, where, password, depth + 1) if value.strip() else Material(where)
        except PassphraseNeeded:
            raise
        except InputError as exc:
            entries.append(SecretEntry(key, len(value), f"unreadable: {exc.problem}"))
            parts.append(Material(origin, notes=(str(exc),)))
            continue
        entries.append(SecretEntry(key, len(value), part.describe() if value.strip() else "empty"))
        parts.append(
            Material(
                origin,
                certs=tuple(replace(c, secret_key=key, secret=f"{namespace}/{name}") for c in part.certs),
                keys=tuple(replace(k, secret_key=key, secret=f"{namespace}/{name}") for k in part.keys),
                crls=part.crls,
                notes=part.notes,
            )
        )
    info = SecretInfo(namespace, name, str(obj.get("type", "Opaque")), tuple(entries), label, tuple(values.items()))
    parts.append(Material(origin, secrets=(info,)))
    return _joined(origin, parts)


def _joined(origin: str, parts: list[Material]) -> Material:
    """The parts in order, as `+` would give them, in one pass (adding them one by one copied
    everything so far each time: 64,000 keys in one Secret took 8 s)."""
    return Material(
        origin,
        certs=tuple(c for part in parts for c in part.certs),
        keys=tuple(k for part in parts for k in part.keys),
        crls=tuple(c for part in parts for c in part.crls),
        secrets=tuple(s for part in parts for s in part.secrets),
        notes=tuple(n for part in parts for n in part.notes),
    )
