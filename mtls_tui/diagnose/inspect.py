"""`inspect`: what the user's files are, and what nginx and clients will make of them.

Inputs arrive already read (a `Material` or the `InputError` that reading raised),
so this module stays pure and the same report feeds the CLI, JSON and the TUI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import PurePath
from typing import Literal

from cryptography.hazmat.primitives.serialization import Encoding

from mtls_tui.certs.facts import cert_facts
from mtls_tui.certs.keys import describe_public_key, key_matches
from mtls_tui.certs.load import DER_CRL_NOTE, LoadedCert, LoadedKey, Material, SecretInfo, passphrase_detail
from mtls_tui.certs.openssl_binding import UNLIMITED_DEPTH
from mtls_tui.certs.verify import nginx_verdict
from mtls_tui.diagnose import certificates as rules
from mtls_tui.errors import InputError, PassphraseNeeded
from mtls_tui.model import CertFacts, CertRole, ChainVerdict, Finding, SecretObj, Severity, sort_findings
from mtls_tui.policy.ingress_nginx.secret_findings import ca_key_in_secret, end_entities_only, unusable_fix
from mtls_tui.policy.secret_commands import SECRET_KEY_FILES, add_ca_command
from mtls_tui.policy.secret_store import ca_keypair, stored_secret
from mtls_tui.shell import arg

# What the user named a file as: the command-line flag (--ca, --cert, …) or a plain FILE argument.
InputRole = Literal["file", "ca", "cert", "key", "crl", "server-cert"]
ROLE_BY_SECRET_KEY: dict[str, CertRole] = {"ca.crt": "ca", "tls.crt": "server"}


@dataclass(frozen=True)
class Input:
    """One thing the user named, and as what."""

    name: str
    role: InputRole
    material: Material | None = None
    error: InputError | None = None


@dataclass(frozen=True)
class CertView:
    origin: str
    role: CertRole
    facts: CertFacts


@dataclass(frozen=True)
class KeyView:
    """A private key's description: never its bytes."""

    origin: str
    key_type: str
    bits: int | None
    matches: str | None  # the subject of the certificate it belongs to, when one was given


@dataclass(frozen=True)
class InspectReport:
    certs: tuple[CertView, ...]
    secrets: tuple[SecretInfo, ...]
    client_verdict: ChainVerdict | None
    findings: tuple[Finding, ...]
    notes: tuple[str, ...]
    keys: tuple[KeyView, ...] = ()

    @property
    def has_error(self) -> bool:
        return any(f.severity.value == "error" for f in self.findings)


def _role_of(
    loaded: LoadedCert, facts: CertFacts, input_role: InputRole, index: int, ca_pairs: frozenset[str]
) -> CertRole:
    if input_role == "ca":
        return "ca"
    if input_role == "cert":
        return "client" if index == 0 else "intermediate"
    if input_role == "server-cert":
        return "server" if index == 0 else "intermediate"
    if loaded.secret_key == "tls.crt" and loaded.secret in ca_pairs and index == 0:  # a CA's files as a TLS Secret
        return "ca"
    if loaded.secret_key in ROLE_BY_SECRET_KEY:
        return ROLE_BY_SECRET_KEY[loaded.secret_key] if index == 0 or loaded.secret_key == "ca.crt" else "intermediate"
    return "ca" if facts.is_ca else "certificate"


def _pem(material: Material) -> bytes:
    """The material's certificates as one PEM file: what a Secret's ca.crt holds."""
    return b"".join(c.cert.public_bytes(Encoding.PEM) for c in material.certs)


def _where(loaded: LoadedCert, piped: Piped | None = None) -> rules.Where:
    if loaded.secret_key:
        return rules.Where(loaded.origin, SECRET_KEY_FILES.get(loaded.secret_key, loaded.secret_key), loaded.secret)
    if piped is not None and any(loaded is c for c in piped.material.certs):
        return rules.Where(loaded.origin, piped.saved_as)
    return rules.Where(loaded.origin, rules.file_of(loaded.origin))


@dataclass(frozen=True)
class Piped:
    """The input read from standard input (`-`: one at most, it is read once): no file a fix
    could read or write, so fixes name the file the words ask the user to save it as first."""

    role: InputRole
    material: Material
    saved_as: str
    key: str | None  # its private key's file, as the fixes name it (None: a key or CRL has none)

    def told(self, finding: Finding) -> Finding:
        """A fix naming the saved file says, before it, to save the input there (and its key)."""
        named = [n for n in (self.saved_as, self.key) if n and _names(finding.fix, n)]
        if self.saved_as not in named:
            return finding
        what = {"ca": "The CA", "key": "The key", "crl": "The CRL"}.get(self.role, "The certificate")
        key = f", and its private key as {self.key}," if self.key in named and self.key != self.saved_as else ""
        files = "those files" if key else "that file"
        save = f"{what} was read from standard input: save it as {self.saved_as}{key} first; the fix works on {files}."
        return replace(finding, detail=f"{save}\n{finding.detail}" if finding.detail else save)


def _names(command: str, file: str) -> bool:
    """`command` names `file` as a word of its own (not the tail of a longer path)."""
    return re.search(rf"(?<![\w./-]){re.escape(arg(file))}(?![\w./-])", command) is not None


def _piped(inputs: list[Input], files: rules.Files) -> Piped | None:
    """The input read from standard input, and the seed's name for a file of its role (any
    name would do: the words say which one the fix reads)."""
    given = next((i for i in inputs if i.name == "-"), None)
    if given is None or given.material is None:
        return None
    names: dict[InputRole, str] = {
        "cert": files.cert,
        "ca": files.ca,
        "server-cert": files.server_cert,
        "key": files.key,
        "crl": files.crl,
        "file": _beside(inputs, "certificate.pem"),
    }
    saved_as = names[given.role]
    key = files.key if given.role == "cert" else rules.sibling_file(saved_as, ".key")
    return Piped(given.role, given.material, saved_as, None if given.role in ("key", "crl") else key)


def _first(inputs: list[Input], role: InputRole) -> Material | None:
    """What the first input given as `role` holds, when it could be read."""
    return next((i.material for i in inputs if i.role == role and i.material is not None), None)


def inspect_inputs(
    inputs: list[Input],
    *,
    host: str | None = None,
    verify_depth: int = 1,
    now: datetime,
) -> InspectReport:
    cert, client = _name(inputs, "cert", _beside(inputs, "client.crt")), _first(inputs, "cert")
    key_given = any(i.role == "key" for i in inputs)
    cert_piped = any(i.role == "cert" and i.name == "-" for i in inputs)  # its key is to be saved beside it
    files = rules.Files(
        ca=_name(inputs, "ca", _beside(inputs, "ca.crt")),
        cert=cert,
        key=_name(inputs, "key", _key_file(cert, client)),
        server_cert=_name(inputs, "server-cert", _beside(inputs, "server.crt")),
        crl=_name(inputs, "crl", _beside(inputs, "ca.crl")),
        host=host,
        key_missing=client is not None and client.no_key_beside and not key_given and not cert_piped,
    )
    piped = _piped(inputs, files)
    findings: list[Finding] = [
        rules.unreadable_finding(
            i.error.where,
            i.error.problem,
            detail=passphrase_detail(i.error) if isinstance(i.error, PassphraseNeeded) else None,
        )
        for i in inputs
        if i.error
    ]
    findings += [wrong for i in inputs if i.material is not None and (wrong := _wrong_kind(i, i.material))]
    findings += [_der_crl(i) for i in inputs if i.material is not None and DER_CRL_NOTE in i.material.notes]
    bundle = [
        cert_facts(c.cert) for i in inputs if i.role == "ca" and i.material for c in i.material.certs
    ]  # who signs
    no_ca = {  # each --ca file of end-entity certificates only, (subject, issuer) each
        rules.input_label(i.name): held
        for i in inputs
        if i.role == "ca" and i.material and (held := end_entities_only(_pem(i.material)))
    }
    files = replace(files, not_ca=frozenset(no_ca))
    findings += [rules.no_ca_finding(name, held, files) for name, held in no_ca.items()]
    ca_pairs = frozenset(  # Secrets made with `kubectl create secret tls` from a CA's own files
        s.ref for i in inputs if i.material for s in i.material.secrets if ca_keypair(_secret_obj(s))
    )
    views: list[CertView] = []
    ca_certs: list[LoadedCert] = []
    facts_by_id: dict[int, CertFacts] = {}
    for item in inputs:
        if item.material is None:
            continue
        for loaded in _per_secret_key_index(item.material.certs):
            facts = cert_facts(loaded[1].cert)
            facts_by_id[id(loaded[1])] = facts
            role = _role_of(loaded[1], facts, item.role, loaded[0], ca_pairs)
            views.append(CertView(loaded[1].origin, role, facts))
            if role == "ca" and loaded[1].secret_key != "tls.crt":  # the controller's CA file: ca.crt's (or --ca)
                ca_certs.append(loaded[1])
            where = _where(loaded[1], piped)
            signed = files
            if role in ("client", "server"):
                signed = rules.signing_files(
                    replace(files, ca_days_left=rules.issuer_days_left(facts, bundle, now)), facts, bundle
                )
            findings += rules.validity_findings(facts, where, role, signed, now)
            findings += rules.strictness_findings(facts, where, role, signed)
        findings += _pair_findings(item.material, facts_by_id, files)

    verdict = None
    if client is not None and client.certs:
        leaf = client.certs[0]
        leaf_facts = facts_by_id[id(leaf)]
        key_input = _first(inputs, "key")
        keys = (key_input.keys if key_input else ()) or client.keys
        if keys and not key_matches(leaf.cert, keys[0].key):
            findings.append(
                rules.key_mismatch_finding(
                    leaf.origin, leaf_facts.subject, keys[0].origin, files.cert, rules.file_of(keys[0].origin)
                )
            )
        refused = any(
            stored_secret(_secret_obj(s)).error
            for i in inputs
            if i.role == "ca" and i.material
            for s in i.material.secrets
        )
        if ca_certs and not refused:  # a CA Secret the controller refuses answers 403 to everyone: no verdict to give
            crls = [
                crl for i in inputs if i.material and DER_CRL_NOTE not in i.material.notes for crl in i.material.crls
            ]  # as ssl_crl loads the Secret's ca.crl: PEM only
            verdict = nginx_verdict(
                [c.cert for c in ca_certs], [c.cert for c in client.certs], verify_depth, at=now, crls=crls
            )
            ca_facts = [facts_by_id[id(c)] for c in ca_certs]
            files = rules.signing_files(
                replace(files, ca_days_left=rules.issuer_days_left(leaf_facts, ca_facts, now)), leaf_facts, ca_facts
            )
            findings += rules.client_chain_findings(
                verdict, leaf_facts, [f.subject for f in ca_facts], _where(leaf, piped), files, cas=tuple(ca_facts)
            )
            findings += rules.outlives_issuer_findings(leaf_facts, ca_facts, _where(leaf, piped), files, now)
            findings += rules.root_admits_all_findings(verdict, leaf_facts, ca_facts, _where(leaf, piped))

    server = _server_chain(inputs)
    if server and not (server[0].secret in ca_pairs and server[0].secret_key == "tls.crt"):
        leaf_facts = facts_by_id[id(server[0])]
        findings += rules.server_findings(leaf_facts, host, _where(server[0], piped), files)
        if ca_certs and _first(inputs, "ca") is not None:
            server_verdict = nginx_verdict(
                [c.cert for c in ca_certs], [c.cert for c in server], UNLIMITED_DEPTH, purpose="server", at=now
            )
            findings += rules.server_chain_finding(server_verdict, leaf_facts, _where(server[0], piped), files)

    secrets = tuple(s for i in inputs if i.material for s in i.material.secrets)
    findings += [f for s in secrets for f in auth_tls_secret_findings(s)]
    notes = tuple(n for i in inputs if i.material for n in i.material.notes)
    findings = [rules.with_new_key_then(f, files) for f in findings]  # a fix that makes the missing key says so
    findings = [piped.told(f) for f in findings] if piped is not None else findings
    return InspectReport(tuple(views), secrets, verdict, tuple(sort_findings(findings)), notes, _key_views(inputs))


def unusable(inputs: list[Input]) -> InputError | None:
    """The first input's problem when no input can be used: none could be read, or each holds
    the wrong kind for its flag. The command cannot run then (exit status 2, one line), as
    `check` stops on a certificate or a manifest set it cannot read (DESIGN's exit statuses);
    beside one input it can judge, the others are findings in its report."""
    problems = [i.error or _wrong_problem(i) for i in inputs]
    if not problems or any(problem is None for problem in problems):
        return None
    first, problem = inputs[0], problems[0]
    return problem if isinstance(problem, InputError) else InputError(rules.input_label(first.name), str(problem))


def _secret_obj(info: SecretInfo) -> SecretObj:
    return SecretObj(info.namespace, info.name, info.type, info.values)


def auth_tls_secret_findings(info: SecretInfo) -> list[Finding]:
    """A Secret read on its own is most often the auth-tls Secret someone is debugging: say what
    ingress-nginx makes of it as one (store/backend_ssl.go getPemCertificate)."""
    secret = _secret_obj(info)
    stored = stored_secret(secret)
    held = ", ".join(k for k, _ in info.values) or "no keys"
    if stored.error:
        code = "secret-missing-ca" if "no keypair or CA" in stored.error else "secret-unusable"
        return [
            Finding(
                code=code,
                severity=Severity.ERROR,
                title=f"as an auth-tls Secret, ingress-nginx refuses {info.ref}: the host would answer 403",
                detail=f"getPemCertificate: {stored.error}. It holds {held}. An Ingress naming it in auth-tls-secret is denied: "
                "every path of its host answers 403.",
                fix=unusable_fix(secret) if code == "secret-unusable" else add_ca_command(info.ref),
                subject=info.origin,
                evidence=(f"keys: {held}",),
            )
        ]
    ca_key = ca_key_in_secret(secret, info.origin)
    if not stored.ca:
        # most often a plain TLS Secret, not meant for auth-tls; a CA's keypair is meant for it
        tls_typed = info.type == "kubernetes.io/tls" and ca_key is None
        return [
            Finding(
                code="secret-missing-ca",
                severity=Severity.WARNING if tls_typed else Severity.ERROR,
                title=f"{info.ref} has no ca.crt: as an auth-tls Secret it turns mTLS off",
                detail=f"It holds {held}. ingress-nginx keeps the keypair, renders no client-certificate checks, and says so "
                "only at -v=3 ('has no 'ca.crt' key, mutual authentication disabled'): clients without a certificate get in."
                + (f" {ca_key.detail}" if ca_key else ""),
                fix=ca_key.fix if ca_key else add_ca_command(info.ref),
                subject=info.origin,
                evidence=(f"keys: {held}", *(ca_key.evidence if ca_key else ())),
            )
        ]
    return [ca_key] if ca_key else []


def _key_views(inputs: list[Input]) -> tuple[KeyView, ...]:
    certs = _all_certs(inputs)
    views = []
    for key in (k for i in inputs if i.material for k in i.material.keys):
        kind, bits, _ = describe_public_key(key.key.public_key())
        owner = next((c for c in certs if key_matches(c.cert, key.key)), None)
        views.append(KeyView(key.origin, kind, bits, cert_facts(owner.cert).subject if owner else None))
    return tuple(views)


EXPECTED: dict[InputRole, str] = {
    "ca": "certificate",
    "cert": "certificate",
    "server-cert": "certificate",
    "key": "private key",
    "crl": "CRL",
}


def _der_crl(item: Input) -> Finding:
    return Finding(
        code="crl-invalid",
        severity=Severity.ERROR,
        title=f"{item.name} is a DER CRL: nginx and ingress-nginx read PEM only",
        detail="nginx's ssl_crl refuses to start with it (X509_LOOKUP_load_file: no certificate or crl found) and "
        "ingress-nginx refuses the Secret; it is not applied to the verdict here either.",
        fix=f"openssl crl -inform DER -in {arg(item.name)} -out {arg(item.name + '.pem')}",
        subject=item.name,
    )


def _wrong_problem(item: Input) -> str | None:
    """What is wrong with a file read whole that holds no kind its flag expects."""
    want, material = EXPECTED.get(item.role), item.material
    if material is None or want is None:
        return None
    has = {"private key": material.keys, "CRL": material.crls}.get(want, material.certs)
    return None if has else f"given as --{item.role} but holds {material.describe()}, no {want}"


def _wrong_kind(item: Input, material: Material) -> Finding | None:
    """A key given as --cert (or a certificate as --key): say so instead of judging nothing."""
    problem = _wrong_problem(item)
    if problem is None:
        return None
    want, flag, holds = EXPECTED[item.role], "--" + item.role, material.describe()
    if want == "certificate" and material.keys:
        fix = f"mtls-tui inspect --cert CERTIFICATE --key {arg(item.name)}  # this file is the key; give the certificate with --cert"
    elif want == "private key" and material.certs:
        fix = (
            f"mtls-tui inspect --cert {arg(item.name)} --key KEY  # this file is a certificate; give its key with --key"
        )
    else:
        fix = None
    return rules.unreadable_finding(
        rules.input_label(item.name),
        problem,
        fix,
        f"The file was read: it holds {holds}, not the {want} {flag} expects.",
    )


def _beside(inputs: list[Input], name: str) -> str:
    """A file the user did not name, for a fix to name, is guessed next to the ones they did (the
    seed's layout); never the client's key (`_key_file`)."""
    folder = PurePath(inputs[0].name).parent if inputs and inputs[0].name != "-" else PurePath(".")
    return str(folder / name)


def _key_file(cert: str, client: Material | None) -> str:
    """The client's key when --key was not given: in the certificate's own file (a PEM with its
    key, a PKCS#12), else the file named like it, beside it (`mine.crt`: `mine.key`), as `check`
    names it. The edge looked whether that file exists (Material.no_key_beside): when it does
    not, a fix makes it rather than naming it. Its content is never read here."""
    return cert if client is not None and client.keys else rules.sibling_file(cert, ".key")


def _name(inputs: list[Input], role: InputRole, default: str) -> str:
    """The file given for `role`; a Secret manifest given as the CA is no certificate file for
    openssl's -CA: its ca.crt is then named as the seed names it, beside it."""
    given = next((i for i in inputs if i.role == role), None)
    if given is None or given.name == "-" or (given.material is not None and given.material.secrets):
        return default  # standard input: no file to name (Piped)
    return given.name


def _all_certs(inputs: list[Input]) -> list[LoadedCert]:
    return [c for i in inputs if i.material for c in i.material.certs]


def _per_secret_key_index(certs: tuple[LoadedCert, ...]) -> list[tuple[int, LoadedCert]]:
    """Index of each certificate within its Secret key (or its file), for role guessing."""
    seen: dict[str | None, int] = {}
    out = []
    for cert in certs:
        index = seen.get(cert.secret_key, 0)
        seen[cert.secret_key] = index + 1
        out.append((index, cert))
    return out


def _pair_findings(material: Material, facts_by_id: dict[int, CertFacts], files: rules.Files) -> list[Finding]:
    """A file (or Secret) holding both certificates and keys: each key must fit one of them."""
    findings = []
    for key in material.keys:
        candidates = [c for c in material.certs if c.secret_key in (None, _cert_key_for(key))]
        if candidates and not any(key_matches(c.cert, key.key) for c in candidates):
            leaf = candidates[0]
            findings.append(
                rules.key_mismatch_finding(
                    leaf.origin,
                    facts_by_id[id(leaf)].subject,
                    key.origin,
                    rules.file_of(leaf.origin),
                    rules.file_of(key.origin),
                )
            )
    return findings


def _cert_key_for(key: LoadedKey) -> str | None:
    return "tls.crt" if key.secret_key == "tls.key" else key.secret_key


def _server_chain(inputs: list[Input]) -> list[LoadedCert]:
    server = _first(inputs, "server-cert")
    if server is not None:
        return list(server.certs)
    return [c for c in _all_certs(inputs) if c.secret_key == "tls.crt"]
