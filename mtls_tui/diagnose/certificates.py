"""Rules on certificates, keys and chains: facts and verdicts in, findings out.

Fixes name the user's own files (`Files`) so the command can be pasted as it is.
The seed's openssl commands are the reference for how a certificate is re-issued.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import PurePath

from cryptography import x509

from mtls_tui.certs.facts import cert_facts
from mtls_tui.certs.hostnames import name_matches
from mtls_tui.certs.load import Material
from mtls_tui.certs.openssl_binding import (
    X509_V_ERR_CERT_REVOKED,
    X509_V_ERR_CERT_SIGNATURE_FAILURE,
    X509_V_ERR_CRL_HAS_EXPIRED,
    X509_V_ERR_CRL_NOT_YET_VALID,
    X509_V_ERR_CRL_SIGNATURE_FAILURE,
    X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
    X509_V_ERR_INVALID_CA,
    X509_V_ERR_INVALID_PURPOSE,
    X509_V_ERR_KEY_USAGE_NO_CERTSIGN,
    X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
    X509_V_ERR_UNABLE_TO_GET_CRL,
    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
    X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE,
)
from mtls_tui.certs.subject import openssl_subject
from mtls_tui.model import CertFacts, CertRole, ChainVerdict, Finding, Severity, VerifyError
from mtls_tui.policy.nginx_answers import CERT_ERROR, NO_CERT, NO_CERT_LOGGED
from mtls_tui.policy.secret_commands import (
    SECRET_KEY_FILES,
    SEED_SECRET_KEYS,
    read_key_command,
    secret_update_command,
)
from mtls_tui.shell import arg, comment, subject_arg

SOON = timedelta(days=30)
ISSUER_NOT_FOUND = {
    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
    X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE,
}
# a self-signed client certificate, or a chain ending in a root the server does not trust
SELF_SIGNED = {X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN}
CRL_PROBLEMS = {
    X509_V_ERR_UNABLE_TO_GET_CRL,
    X509_V_ERR_CRL_SIGNATURE_FAILURE,
    X509_V_ERR_CRL_NOT_YET_VALID,
    X509_V_ERR_CRL_HAS_EXPIRED,
}
WEAK_HASHES = {"sha1", "md5", "md2", "md4"}


@dataclass(frozen=True)
class Files:
    """The user's file names, for fix commands. Defaults are the seed's names."""

    ca: str = "ca.crt"
    cert: str = "client.crt"
    key: str = "client.key"
    server_cert: str = "server.crt"
    crl: str = "ca.crl"
    host: str | None = None  # the name clients use, for subjectAltName in re-issue commands
    ca_days_left: int | None = None  # re-signed certificates end with the CA, not after it
    signer: str | None = None  # the issuer's file when it is an intermediate of the CA bundle (signing_files)
    ca_secret: str | None = None  # the Secret whose ca.crt is `ca`: a fix that changes the CA updates it too
    ca_secret_keys: tuple[str, ...] = SEED_SECRET_KEYS
    # No key was given and none sits beside the certificate (the edge looked: Material.no_key_beside):
    # a re-issue of `cert` makes `key` rather than naming a file that is not there.
    key_missing: bool = False
    # Files that hold no CA certificate (no_ca_finding): nothing is signed with them or renewed as a CA.
    not_ca: frozenset[str] = frozenset()

    @property
    def ca_key(self) -> str:
        return sibling_file(self.ca, ".key")

    @property
    def signer_files(self) -> tuple[str, str]:
        """(certificate, key) that sign a re-issued certificate: its issuer's."""
        signer = self.signer or self.ca
        return signer, sibling_file(signer, ".key")

    def key_for(self, cert: str) -> str:
        if cert == self.cert:
            return self.key
        return SECRET_KEY_FILES["tls.key"] if cert == SECRET_KEY_FILES["tls.crt"] else sibling_file(cert, ".key")


@dataclass(frozen=True)
class Where:
    """Where a certificate lives: `label` for people, `file` for fix commands.

    A certificate read from a Secret key has no file of its own; `file` is then the
    seed's name for it (server.crt for tls.crt) and the fix also updates the Secret.
    """

    label: str
    file: str
    secret: str | None = None
    secret_keys: tuple[str, ...] = SEED_SECRET_KEYS  # what the Secret holds, for the update


STDIN = "stdin"  # what reports call standard input, given as `-`: `-:1` read as an option


def input_label(path: str) -> str:
    """How reports name an input the user gave as `path`."""
    return STDIN if path == "-" else path


def sibling_file(path: str, suffix: str) -> str:
    return str(PurePath(path).with_suffix(suffix)) if PurePath(path).suffix else path + suffix


def _ago(delta: timedelta) -> str:
    seconds = abs(delta.total_seconds())
    if seconds < 3600:
        return f"{int(seconds // 60)} minutes"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)} hours"
    return f"{int(seconds // 86400)} days"


def new_key_command(key: str) -> str:
    """A new RSA key at `key`: OpenSSL 3 writes private keys mode 0600 (apps' bio_open_owner;
    measured here: -rw------- under umask 022)."""
    return f"openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out {arg(key)}"


def with_new_key_then(finding: Finding, files: Files) -> Finding:
    """A fix that makes the client's missing key (Files.key_missing) says which key now goes with
    the certificate: curl and openssl s_client take it beside --cert / -cert, nothing finds it alone."""
    makes = (new_key_command(files.key), f"-keyout {arg(files.key)}")
    if not files.key_missing or not any(made in finding.fix for made in makes):
        return finding
    use = (
        f"use the new key {files.key} with the certificate: curl --cert {arg(files.cert)} --key {arg(files.key)}, "
        f"mtls-tui check --cert {arg(files.cert)} --key {arg(files.key)}"
    )
    return replace(finding, then=f"{finding.then}; {use}" if finding.then else use)


def extfile(lines: list[str]) -> str:
    """`-extfile` from lines that may carry outside values (a host in subjectAltName): printf
    prints each quoted word as it is, so nothing in them is a format or a command. No lines: ""."""
    if not lines:
        return ""
    return " -extfile <(printf '%s\\n' " + " ".join(arg(line) for line in lines) + ")"


HOST_LIKE = re.compile(
    r"(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*", re.ASCII
)
# What every re-issued leaf carries, whichever finding printed the command: each fix makes the whole
# certificate, so running a second one (cert-v1, then server-cert-no-san, then cert-outlives-issuer)
# never undoes the first (the review saw a v3 certificate with its SAN turned back into v1).
LEAF_EXTENSIONS: dict[CertRole, tuple[str, ...]] = {
    "server": ("basicConstraints=CA:FALSE", "extendedKeyUsage=serverAuth"),
    "client": ("basicConstraints=CA:FALSE", "extendedKeyUsage=clientAuth"),
}


def whole_extensions(role: CertRole, cn: str | None, given: list[str] | None) -> list[str]:
    """The role's extensions, a server's SAN from its CN, then what the finding asks for (which wins).
    Every re-issue of a leaf writes them all, whatever the finding: fixes run one after another
    (cert-v1's, then cert-outlives-issuer's) must not turn the v3 certificate back into v1."""
    lines = list(LEAF_EXTENSIONS.get(role, ()))
    if role == "server" and cn and HOST_LIKE.fullmatch(cn):
        lines.append(f"subjectAltName=DNS:{cn}")
    merged = {line.split("=", 1)[0]: line for line in [*lines, *(given or [])]}
    return list(merged.values())


def signing_refusal(role: CertRole, where: Where, files: Files, *, writes_key: bool = False) -> str | None:
    """Why no re-sign command may be printed, or None. Every re-sign and re-issue command goes through
    here (reissue_command, new_key_fix): run as printed, a command that signs with a certificate that is
    not a CA, or writes the file it reads as the CA or the CA's key (`--ca client.crt`: `-CA client.crt
    -CAkey client.key -out client.crt`), overwrites the user's certificate with one nothing trusts."""
    signer, signer_key = files.signer_files
    not_ca = next((f for f in (signer, where.file if role == "ca" else None) if f in files.not_ca), None)
    if not_ca is not None:
        return (
            f"no re-sign command: {not_ca} holds no CA certificate, and signing with it makes a certificate no "
            "server trusts; get the certificate of the CA that issued yours (the server's ca.crt) and its key "
            "from whoever runs that CA, then run mtls-tui inspect again with --ca set to it"
        )
    written = {where.file, *([files.key_for(where.file)] if writes_key else [])}
    clash = sorted(written & {signer, signer_key}) if role != "ca" else []
    if clash:
        return (
            f"no re-sign command: it would write {' and '.join(clash)}, which it also reads as the CA "
            "(or its key); give the CA's own certificate with --ca"
        )
    return None


def reissue_command(
    role: CertRole,
    where: Where,
    files: Files,
    *,
    extensions: list[str] | None = None,
    cn: str | None = None,
    dn: str | None = None,
    new_key: bool = False,
    days: int = 365,
) -> str:
    """The seed's signing step for this certificate, optionally with an -extfile; with
    `new_key`, a fresh key too (a revoked certificate's key is not to be trusted again). What
    signing_refusal refuses is no command, only its words (as a `#` note: the finding's `then`)."""
    missing = files.key_missing and files.key_for(where.file) == files.key
    refusal = signing_refusal(role, where, files, writes_key=new_key or missing)
    if refusal is not None:
        return f"# {comment(refusal)}"
    whole = openssl_subject(dn) if dn else None  # the whole name, so O=, OU= survive; else the CN
    subject = arg(whole) if whole else subject_arg(cn)
    ca, ca_key = (arg(name) for name in files.signer_files)
    cert = arg(where.file)
    note = ""
    if role == "ca":
        # renewed from its own key and name: every certificate it signed verifies against the new one
        command = f"openssl req -x509 -sha256 -new -key {ca_key} -out {cert} -days 356 -subj {subject}"
        note = "  # the same key and name: the certificates it signed stay valid"
    else:
        # A new request from the existing key, piped: no .csr file needs to exist.
        ext = extfile(whole_extensions(role, cn, extensions))
        key_file = files.key_for(where.file)
        key = arg(key_file)
        days = min(days, files.ca_days_left) if files.ca_days_left else days
        if new_key:  # the old key is kept aside, not lost (it is not to be trusted again); none: nothing to keep
            kept = "" if missing else f"mv {key} {arg(key_file + '.revoked')} && "
            command = (
                f"{kept}openssl req -new -newkey rsa:4096 -nodes -keyout {key} "
                f"-subj {subject} | openssl x509 -req -sha256 -days {days} -CA {ca} -CAkey {ca_key} -CAcreateserial "
                f"-out {cert}{ext}"
            )
        else:
            made = f"{new_key_command(key_file)} && " if missing else ""  # the request needs a key
            command = (
                f"{made}openssl req -new -key {key} -subj {subject} | "
                f"openssl x509 -req -sha256 -days {days} -CA {ca} -CAkey {ca_key} -CAcreateserial "
                f"-out {cert}{ext}"
            )
    if where.secret:
        command += " && " + secret_update_command(where.secret, keys=where.secret_keys)
    return command + note


def validity_findings(facts: CertFacts, where: Where, role: CertRole, files: Files, now: datetime) -> list[Finding]:
    subject = where.label
    if facts.not_after < now:
        return [
            Finding(
                code="cert-expired",
                severity=Severity.ERROR,
                title=f"{facts.subject} expired {_ago(now - facts.not_after)} ago",
                detail=f"notAfter {facts.not_after:%Y-%m-%d %H:%M} UTC; OpenSSL (and so nginx) refuses it: "
                "'certificate has expired'.",
                fix=reissue_command(role, where, files, cn=facts.subject_cn, dn=facts.subject),
                subject=subject,
                evidence=(
                    f"notBefore {facts.not_before:%Y-%m-%d %H:%M} UTC",
                    f"notAfter {facts.not_after:%Y-%m-%d %H:%M} UTC",
                ),
            )
        ]
    if facts.not_before > now:
        return [
            Finding(
                code="cert-not-yet-valid",
                severity=Severity.ERROR,
                title=f"{facts.subject} is not valid for another {_ago(facts.not_before - now)}",
                detail=f"notBefore {facts.not_before:%Y-%m-%d %H:%M} UTC is in the future: a clock is wrong on the "
                "machine that issued it or on this one; OpenSSL refuses it: 'certificate is not yet valid'.",
                fix="date -u  # compare with the notBefore; fix the clock (timedatectl) or re-issue: "
                + reissue_command(role, where, files, cn=facts.subject_cn, dn=facts.subject),
                subject=subject,
                evidence=(f"notBefore {facts.not_before:%Y-%m-%d %H:%M} UTC",),
            )
        ]
    if facts.not_after - now < SOON:
        return [
            Finding(
                code="cert-expires-soon",
                severity=Severity.WARNING,
                title=f"{facts.subject} expires in {_ago(facts.not_after - now)}",
                detail=f"notAfter {facts.not_after:%Y-%m-%d %H:%M} UTC.",
                fix=reissue_command(role, where, files, cn=facts.subject_cn, dn=facts.subject),
                subject=subject,
            )
        ]
    return []


def stale_ca_copy_finding(facts: CertFacts, renewal: CertFacts, where: Where) -> Finding:
    """An expired CA beside a valid certificate with its subject and key (a renewal appended to the
    old one). OpenSSL takes the valid one: X509_STORE_CTX_get1_issuer (x509_lu.c) keeps looking past
    an issuer whose time check fails and returns one whose times are fine, and the client's
    signature verifies under either since the key is the same. Measured (audit x16, x16b): nginx 1.22
    / OpenSSL 3.0 answers 200, verify=SUCCESS, with the expired copy first or last. Only clutter."""
    fingerprint = facts.sha256.replace(":", "").lower()
    bundle = arg(where.file)
    drop = (
        'd=$(mktemp -d) && awk -v d="$d" \'/-----BEGIN CERTIFICATE-----/{n++; f=sprintf("%s/%04d.pem", d, n)} '
        f'f{{print > f}}\' {bundle} && for f in "$d"/*.pem; do '
        f'[ "$(openssl x509 -in "$f" -outform DER | openssl dgst -sha256 -r | cut -c1-64)" = {fingerprint} ] || cat "$f"; '
        f'done > {arg(where.file + ".new")} && rm -r "$d" && mv {arg(where.file + ".new")} {bundle}'
    )
    if where.secret:
        drop += " && " + secret_update_command(where.secret, keys=where.secret_keys)
    return Finding(
        code="ca-expired-copy",
        severity=Severity.WARNING,
        title=f"{where.file} holds an expired copy of {facts.subject} beside its valid renewal",
        detail=f"The copy expired {facts.not_after:%Y-%m-%d}; the renewal (same subject, same key) is valid until "
        f"{renewal.not_after:%Y-%m-%d}. OpenSSL picks the valid one, so nginx accepts the clients either CA signed; "
        "the expired copy only confuses whoever reads the file. It can go.",
        fix=drop,
        subject=where.label,
        evidence=(
            f"expired copy: serial {facts.serial}, notAfter {facts.not_after:%Y-%m-%d %H:%M} UTC",
            f"renewal: serial {renewal.serial}, notAfter {renewal.not_after:%Y-%m-%d %H:%M} UTC",
        ),
    )


def new_key_fix(role: CertRole, where: Where, files: Files, facts: CertFacts) -> str:
    """A new key beside the certificate, and the certificate signed again for it, same name."""
    refusal = signing_refusal(role, where, files, writes_key=True)
    if refusal is not None:
        return f"# {comment(refusal)}"
    return f"{new_key_command(files.key_for(where.file))} && " + reissue_command(
        role, where, replace(files, key_missing=False), cn=facts.subject_cn, dn=facts.subject
    )


def strictness_findings(facts: CertFacts, where: Where, role: CertRole, files: Files) -> list[Finding]:
    """What nginx accepts but stricter peers (Go, browsers, `cryptography`) refuse."""
    subject = where.label
    findings: list[Finding] = []
    if facts.version == 1:
        ext = {
            "client": ["basicConstraints=CA:FALSE", "extendedKeyUsage=clientAuth"],
            "server": [
                "basicConstraints=CA:FALSE",
                f"subjectAltName=DNS:{files.host or facts.subject_cn or 'HOST'}",
                "extendedKeyUsage=serverAuth",
            ],
        }.get(role)
        findings.append(
            Finding(
                code="cert-v1",
                severity=Severity.WARNING,
                title=f"{facts.subject} is an X.509 v1 certificate",
                detail="v1 certificates have no extensions (no SAN, no EKU, no basicConstraints). nginx accepts them; "
                "strict verifiers (Go, browsers, Python's cryptography) refuse them. The seed's "
                "`openssl x509 -req` commands make v1 certificates.",
                fix=reissue_command(role, where, files, extensions=ext, cn=facts.subject_cn, dn=facts.subject),
                subject=subject,
            )
        )
    if facts.key_type in ("RSA", "DSA") and facts.key_bits is not None and facts.key_bits < 2048:
        findings.append(
            Finding(
                code="weak-key",
                severity=Severity.WARNING,
                title=f"{facts.subject} has a {facts.key_bits}-bit {facts.key_type} key",
                detail="OpenSSL at security level 2 (Debian's default, many ingress images) refuses keys under "
                "2048 bits: 'EE/CA certificate key too weak'.",
                fix=new_key_fix(role, where, files, facts),
                subject=subject,
            )
        )
    if facts.signature_hash in WEAK_HASHES and not facts.self_signed:
        findings.append(
            Finding(
                code="weak-signature",
                severity=Severity.WARNING,
                title=f"{facts.subject} is signed with {facts.signature_hash.upper()}",
                detail=f"Signature algorithm {facts.signature_algorithm}: OpenSSL 3 refuses SHA-1 and MD5 "
                "signatures at security level 1 and above ('ca md too weak').",
                fix=reissue_command(role, where, files, cn=facts.subject_cn, dn=facts.subject),
                subject=subject,
            )
        )
    return findings


CA_EXTENSIONS = ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"]
# What OpenSSL refuses a CA of the path for, read from the errors it reports at that CA's depth
# (x509_vfy.c check_chain: check_ca fails → 79, then the ssl_client purpose → 26; internal_verify:
# keyUsage without keyCertSign → 32). nginx logs only the last one (26 or 32).
CA_CAUSES = {
    X509_V_ERR_KEY_USAGE_NO_CERTSIGN: "its keyUsage lacks keyCertSign (32:key usage does not include certificate signing)",
    X509_V_ERR_INVALID_CA: "it is not a CA: basicConstraints CA:FALSE or none (79:invalid CA certificate)",
    X509_V_ERR_INVALID_PURPOSE: "its extendedKeyUsage lacks clientAuth (26:unsuitable certificate purpose)",
}


def _cn_of(subject: str, default: str) -> str:
    return next((part[3:] for part in subject.replace("/", ",").split(",") if part.strip().startswith("CN=")), default)


def _ca_purpose_finding(
    verdict: ChainVerdict,
    error: VerifyError,
    leaf: CertFacts,
    ca_subjects: list[str],
    files: Files,
    subject: str,
    evidence: tuple[str, ...],
) -> Finding:
    """A CA of the path that OpenSSL refuses for the ssl_client purpose (error at its own depth): not a
    CA (CA:FALSE), a keyUsage without keyCertSign, or an extendedKeyUsage without clientAuth. The leaf
    is fine. A self-signed root is made again from its own key and name (`openssl req -x509`), so the
    client certificates it signed still verify; an intermediate is signed again by its issuer."""
    at_depth = {e.code for e in verdict.errors if e.depth == error.depth}
    first = next(code for code in CA_CAUSES if code in at_depth)  # the cause: the others follow from it
    root = error.depth == len(verdict.chain_subjects) - 1  # nginx builds no partial chain: the top is the root
    what = "the root CA" if root else "the intermediate"
    stem = cn_stem(_cn_of(error.subject, "intermediate"))
    if root:
        alone = ca_subjects == [error.subject]  # ca.crt is that root alone: made again in place
        cert, key = (files.ca, files.ca_key) if alone else (f"{stem}.crt", f"{stem}.key")
        fix = (
            f"openssl req -x509 -new -sha256 -days 356 -key {arg(key)} -subj {arg(openssl_subject(error.subject))} "
            + " ".join(f"-addext {arg(ext)}" for ext in CA_EXTENSIONS)
            + f" -out {arg(cert)}"
        )
        if alone and files.ca_secret:
            fix += " && " + secret_update_command(files.ca_secret, keys=files.ca_secret_keys)
        if not alone:
            fix += f"  # then put {comment(arg(cert))} in {comment(arg(files.ca))} in place of the old {comment(error.subject)}"
        remedy = (
            f"Make the root again as a CA, self-signed, from its own key ({key}) and name: the client certificates "
            "it signed stay valid. Re-signing it with another CA would make it an intermediate."
        )
    else:
        ext = [*CA_EXTENSIONS, "extendedKeyUsage=clientAuth,serverAuth"]
        fix = (
            f"openssl x509 -x509toreq -in {stem}.crt -signkey {stem}.key | openssl x509 -req -sha256 -days 365 "
            f"-CA {arg(files.ca)} -CAkey {arg(files.ca_key)} -CAcreateserial{extfile(ext)} -out {stem}.crt.new "
            f"&& mv {stem}.crt.new {stem}.crt"
        )
        remedy = (
            f"Re-issue the intermediate as a CA (CA:TRUE, keyCertSign, clientAuth in its EKU or no EKU), signed by "
            f"its issuer, with its own key ({stem}.key) and the issuer's ({files.ca_key}); then put it where it was "
            "(the client's chain file or ca.crt)."
        )
    title = {
        X509_V_ERR_KEY_USAGE_NO_CERTSIGN: f"{what} {error.subject} may not sign certificates (keyUsage without keyCertSign)",
        # CA:FALSE, or no basicConstraints at all (#3859's CA "missing an extension"): both fail check_ca
        X509_V_ERR_INVALID_CA: f"{what} {error.subject} is not a CA (no basicConstraints CA:TRUE)",
    }.get(first, f"{what} {error.subject} is not allowed for client authentication")
    return Finding(
        code="client-cert-wrong-purpose",
        severity=Severity.ERROR,
        title=title,
        detail=f"OpenSSL checks every CA of the chain: {error.subject} (depth {error.depth}) fails because {CA_CAUSES[first]}. "
        f"nginx refuses every client certificate under it and answers 400 '{CERT_ERROR}'. The client certificate "
        f"{leaf.subject} itself is fine. {remedy}",
        fix=fix,
        subject=subject,
        evidence=evidence,
    )


def _leaf_purpose_finding(
    verdict: ChainVerdict, leaf: CertFacts, where: Where, files: Files, evidence: tuple[str, ...]
) -> Finding:
    """The client certificate fails the ssl_client purpose (v3_purp.c check_purpose_ssl_client): an
    extendedKeyUsage without clientAuth, or a keyUsage with neither digitalSignature nor keyAgreement."""
    usages = ", ".join(leaf.extended_key_usage) or "none"
    key_usage = ", ".join(leaf.key_usage) or "none"
    eku_bad = bool(leaf.extended_key_usage) and "clientAuth" not in leaf.extended_key_usage
    ku_bad = bool(leaf.key_usage) and not {"digitalSignature", "keyAgreement"} & set(leaf.key_usage)
    causes = [
        *([f"its extendedKeyUsage ({usages}) lacks clientAuth"] if eku_bad else []),
        *([f"its keyUsage ({key_usage}) has neither digitalSignature nor keyAgreement"] if ku_bad else []),
    ]
    extensions = [
        *(["keyUsage=critical,digitalSignature"] if ku_bad else []),
        "extendedKeyUsage=clientAuth",
    ]
    return Finding(
        code="client-cert-wrong-purpose",
        severity=Severity.ERROR,
        title=f"{leaf.subject} is not allowed for client authentication"
        + (" (keyUsage without digitalSignature)" if ku_bad and not eku_bad else ""),
        detail=f"OpenSSL refuses it for the ssl_client purpose because {' and '.join(causes) or 'of its usages'} "
        f"(extendedKeyUsage: {usages}; keyUsage: {key_usage}); nginx answers 400 '{CERT_ERROR}'. The fix signs "
        "it again with " + " and ".join(extensions) + ".",
        fix=reissue_command("client", where, files, extensions=extensions, cn=leaf.subject_cn, dn=leaf.subject),
        subject=where.label,
        evidence=evidence,
    )


def file_of(label: str) -> str:
    """`client.crt:12` → `client.crt`, `bundle.der (DER)` → `bundle.der`."""
    head = label.split(" (", 1)[0]
    path, _, line = head.rpartition(":")
    return path if path and line.isdigit() else head


def signing_files(files: Files, leaf: CertFacts, issuers: list[CertFacts]) -> Files:
    """Who signs a re-issued certificate: its own issuer. When that is an intermediate of the
    CA bundle (not its self-signed root), its files are named after its CN (`issuing-ca.crt`,
    `issuing-ca.key`), as the intermediate's own fix names them, never `<bundle>.key`."""
    issuer = next((i for i in issuers if i.subject == leaf.issuer), None)
    if issuer is None or issuer.self_signed:
        return files
    return replace(files, signer=f"{cn_stem(issuer.subject_cn or 'intermediate')}.crt")


def ca_facts_in_use(bundle: list[x509.Certificate], now: datetime) -> list[CertFacts]:
    """The CA bundle's facts, a valid CA before an expired copy of it: the one OpenSSL takes, the one that re-signs."""
    return sorted((cert_facts(c) for c in bundle), key=lambda f: not f.not_before <= now <= f.not_after)


def client_files(
    client: Material,
    ca_facts: list[CertFacts],
    now: datetime,
    *,
    ca_secret: str | None = None,
    ca_secret_keys: tuple[str, ...] = SEED_SECRET_KEYS,
) -> tuple[Where, Files]:
    """Where the user's client certificate lives, and the files its fixes name: the key given or the one
    beside the certificate, and the CA that re-signs it (signing_files)."""
    leaf = client.certs[0]
    facts = cert_facts(leaf.cert)
    where = Where(leaf.origin, file_of(leaf.origin))
    key_file = file_of(client.keys[0].origin) if client.keys else sibling_file(where.file, ".key")
    files = Files(
        cert=where.file,
        key=key_file,
        ca_days_left=issuer_days_left(facts, ca_facts, now),
        ca_secret=ca_secret,
        ca_secret_keys=ca_secret_keys,
        key_missing=client.no_key_beside,
    )
    return where, signing_files(files, facts, ca_facts)


def cn_stem(cn: str) -> str:
    """A file name from a CN: what the fixes call an intermediate's files."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", cn.strip()).strip("-").lower() or "intermediate"


def issuer_days_left(leaf: CertFacts, issuers: list[CertFacts], now: datetime) -> int | None:
    """Whole days the CA that re-signs the leaf has left, for re-sign commands: its own issuer
    when the bundle holds it, else the bundle's first CA (the one `-CA` takes)."""
    issuer = next((i for i in issuers if i.subject == leaf.issuer), issuers[0] if issuers else None)
    return max((issuer.not_after - now).days, 1) if issuer is not None and issuer.not_after > now else None


def outlives_issuer_findings(
    leaf: CertFacts, issuers: list[CertFacts], where: Where, files: Files, now: datetime
) -> list[Finding]:
    """The seed's own commands make a CA for 356 days and leaves for 365: the leaves look
    valid for nine days after every handshake has started failing. Warn while there is time."""
    issuer = next((i for i in issuers if i.subject == leaf.issuer), None)
    if issuer is None or leaf.not_after - issuer.not_after < timedelta(hours=1) or issuer.not_after < now:
        return []  # (certificates issued together end within seconds of each other)
    gap = leaf.not_after - issuer.not_after
    return [
        Finding(
            code="cert-outlives-issuer",
            severity=Severity.WARNING,
            title=f"{leaf.subject} outlives its CA {issuer.subject} by {_ago(gap)}",
            detail=f"The CA expires {issuer.not_after:%Y-%m-%d} (in {_ago(issuer.not_after - now)}), the certificate "
            f"{leaf.not_after:%Y-%m-%d}. From the CA's end nginx refuses the certificate ('certificate has expired' "
            "at depth 1) although the certificate itself still looks valid. The fix signs it again to end with "
            "the CA; renewing the CA (and re-signing everything it issued) is the lasting one.",
            fix=reissue_command(
                "client" if where.file == files.cert else "server",
                where,
                files,
                cn=leaf.subject_cn,
                dn=leaf.subject,
                days=issuer_days_left(leaf, issuers, now) or 1,
            ),
            subject=where.label,
            evidence=(
                f"CA notAfter {issuer.not_after:%Y-%m-%d %H:%M} UTC",
                f"certificate notAfter {leaf.not_after:%Y-%m-%d %H:%M} UTC",
            ),
        )
    ]


def no_ca_finding(ca_file: str, held: tuple[tuple[str, str], ...], files: Files) -> Finding:
    """The CA bundle (--ca) holds end-entity certificates only, (subject, issuer) each, as
    policy/ingress_nginx/secret_findings.end_entities_only finds them for a Secret's ca.crt (measured
    there: nginx refuses every client, 21:unable to verify the first certificate): a client certificate
    given as the CA, a common mistake. No command re-signs with it (signing_refusal)."""
    issuers = ", ".join(dict.fromkeys(issuer for _, issuer in held))
    ask = files.cert if files.cert not in files.not_ca else ca_file
    return Finding(
        code="ca-bundle-no-ca",
        severity=Severity.ERROR,
        title=f"{ca_file} holds no CA certificate",
        detail=f"{ca_file}, given as the CA bundle the server trusts, holds only end-entity certificates "
        f"({', '.join(dict.fromkeys(subject for subject, _ in held))}), none a CA and none self-signed: nothing "
        f"verifies against it and nothing may be signed with it. Perhaps a client certificate was given as the CA; "
        f"the CA is its issuer ({issuers}).",
        fix=f"openssl x509 -noout -issuer -in {arg(ask)}",
        then="that issuer is the CA to get: its certificate (the server's ca.crt, e.g. the Secret's ca.crt) goes "
        "in --ca; its key stays with whoever runs it",
        subject=ca_file,
        evidence=tuple(f"{subject}: not a CA, issued by {issuer}" for subject, issuer in held),
    )


def key_mismatch_finding(cert_subject: str, cert_name: str, key_subject: str, cert_file: str, key_file: str) -> Finding:
    return Finding(
        code="key-mismatch",
        severity=Severity.ERROR,
        title=f"the private key does not belong to {cert_name}",
        detail=f"The public key in {cert_subject} differs from the one derived from {key_subject}. A client "
        "sending this pair fails the handshake (the server cannot check the signature); a server "
        "(Secret tls.crt/tls.key) is not loaded by the controller.",
        fix=f"diff <(openssl x509 -noout -pubkey -in {arg(cert_file)}) <(openssl pkey -pubout -in {arg(key_file)})  "
        "# find the key whose public key matches",
        subject=key_subject,
        evidence=(f"certificate: {cert_subject}", f"key: {key_subject}"),
    )


def client_chain_findings(
    verdict: ChainVerdict,
    leaf: CertFacts,
    ca_subjects: list[str],
    where: Where,
    files: Files,
    ingress: str = "INGRESS",
    cas: tuple[CertFacts, ...] = (),
) -> list[Finding]:
    """nginx's verdict on the client chain as findings; `client-cert-accepted` when it passes.
    `cas`: the CA bundle's facts, for a CA that shares the client's issuer name but not its key."""
    subject = where.label
    evidence = tuple(f"OpenSSL ({e.code}:{e.reason}) at depth {e.depth}, {e.subject}" for e in verdict.errors)
    chain = " → ".join(verdict.chain_subjects)
    if verdict.accepted:
        return [
            Finding(
                code="client-cert-accepted",
                severity=Severity.INFO,
                title=f"nginx accepts {leaf.subject} (verify depth {verdict.verify_depth})",
                detail=f"Chain {chain}: {verdict.intermediates_used} intermediate(s), within the verify depth.",
                fix="",
                subject=subject,
                evidence=(f"chain: {chain}",),
            )
        ]
    if verdict.unsigned_key is not None:
        return [_unsigned_key_finding(verdict, leaf, where, files)]
    nginx_line = f"nginx: client SSL certificate verify error: ({verdict.error_code}:{verdict.reason})"
    if verdict.verifies_with_more_depth and verdict.intermediates_used is not None:
        need = verdict.intermediates_used
        return [
            Finding(
                code="chain-too-deep",
                severity=Severity.ERROR,
                title=f"{leaf.subject} needs verify depth {need}, the Ingress allows {verdict.verify_depth}",
                detail=f"The chain verifies through {need} intermediate(s), but ssl_verify_depth "
                f"{verdict.verify_depth} allows {verdict.verify_depth}. nginx answers 400 "
                f"'{CERT_ERROR}'.",
                fix=f"kubectl annotate ingress {ingress} nginx.ingress.kubernetes.io/auth-tls-verify-depth={need} --overwrite",
                subject=subject,
                evidence=(nginx_line, f"chain: {' → '.join(verdict.chain_subjects)}") + evidence,
            )
        ]
    ca_error = next((e for e in verdict.errors if e.depth > 0 and e.code in CA_CAUSES), None)
    if ca_error is not None:
        return [_ca_purpose_finding(verdict, ca_error, leaf, ca_subjects, files, subject, (nginx_line,) + evidence)]
    purpose_error = next((e for e in verdict.errors if e.code == X509_V_ERR_INVALID_PURPOSE), None)
    if verdict.error_code == X509_V_ERR_INVALID_PURPOSE or purpose_error is not None:
        return [_leaf_purpose_finding(verdict, leaf, where, files, (nginx_line,) + evidence)]
    namesake = _namesake(verdict, leaf, cas, files)
    if verdict.error_code == X509_V_ERR_CERT_REVOKED:
        return [
            Finding(
                code="client-cert-revoked",
                severity=Severity.ERROR,
                title=f"{leaf.subject} is revoked by the Secret's ca.crl",
                detail=f"Serial {leaf.serial} is on the CRL of {leaf.issuer}; nginx (ssl_crl) answers 400 "
                f"'{CERT_ERROR}'. A revoked certificate stays revoked: issue a new one, with a new key.",
                fix=reissue_command("client", where, files, cn=leaf.subject_cn, dn=leaf.subject, new_key=True),
                subject=subject,
                evidence=(nginx_line,) + evidence,
            )
        ]
    return [
        Finding(
            code="client-cert-untrusted",
            severity=Severity.ERROR,
            title=f"nginx rejects {leaf.subject}: {verdict.reason}{_at_ca(verdict)}",
            detail=_untrusted_detail(verdict, leaf, ca_subjects, files) + namesake[0],
            fix=_untrusted_fix(verdict, leaf, ca_subjects, where, files),
            subject=subject,
            evidence=(nginx_line,) + evidence + namesake[1],
        )
    ]


def _namesake(
    verdict: ChainVerdict, leaf: CertFacts, cas: tuple[CertFacts, ...], files: Files
) -> tuple[str, tuple[str, ...]]:
    """A CA of the bundle named as the client's issuer whose key did not sign it: OpenSSL finds the
    issuer by name, then fails its signature (7:certificate signature failure) or, when the client's
    authorityKeyIdentifier differs from the CA's subjectKeyIdentifier, does not take it as the issuer
    at all (20). Two CAs with one name: the verdict and a check against the other CA's file disagree."""
    named = [ca for ca in cas if ca.subject == leaf.issuer]
    first = verdict.errors[0].depth if verdict.errors else None
    wrong_key = verdict.error_code == X509_V_ERR_CERT_SIGNATURE_FAILURE or verdict.error_code in ISSUER_NOT_FOUND
    if not named or first != 0 or not wrong_key:
        return "", ()
    where = f"the Secret {files.ca_secret}'s ca.crt" if files.ca_secret else files.ca
    said = (
        f" {where} holds a CA named {leaf.issuer}, the client's issuer's name, but its key did not sign the client "
        "certificate: two CAs share that name. openssl verify against another file with a CA of that name (a "
        "ca.crt in your folder) can pass; the server checks against this one."
    )
    aki = leaf.authority_key_id or "none (no authorityKeyIdentifier)"
    return said, (
        *(
            f"{where}: {ca.subject}, subjectKeyIdentifier {ca.subject_key_id or 'none'}, SHA-256 {ca.sha256}"
            for ca in named
        ),
        f"client certificate {leaf.subject}: issuer {leaf.issuer}, authorityKeyIdentifier {aki}",
    )


def _unsigned_key_finding(verdict: ChainVerdict, leaf: CertFacts, where: Where, files: Files) -> Finding:
    """No TLS 1.3 signature scheme fits the client's key (certs/verify.py TLS13_EC_CURVES): the client
    sends no certificate, so its chain does not matter; only a new key does."""
    tls12 = (
        "verified as usual"
        if leaf.key_type == "DSA"
        else "refused in the handshake (nginx logs 'wrong curve', the client gets the alert illegal_parameter)"
    )
    return Finding(
        code="client-key-not-for-tls13",
        severity=Severity.ERROR,
        title=f"{leaf.subject} cannot be sent over TLS 1.3: no signature scheme for {verdict.unsigned_key}",
        detail="TLS 1.3 signs with RSA, Ed25519, Ed448 or ECDSA on P-256, P-384 and P-521 only. ingress-nginx "
        f"offers TLS 1.3, so an OpenSSL client (curl, Python) sends no certificate with {verdict.unsigned_key}, "
        f"and nginx answers 400 '{NO_CERT}', whatever the chain.{too_weak_for_curl(leaf)} A client held to TLS "
        f"1.2 is {tls12}. A new key and the certificate signed again for it get through.",
        fix=new_key_fix("client", where, files, leaf),
        subject=where.label,
        evidence=(f"nginx: {NO_CERT_LOGGED}",),
    )


def too_weak_for_curl(leaf: CertFacts) -> str:
    """curl at OpenSSL's security level 2 (Debian's) will not load a client key under 112 bits of
    security, an EC key under 224 bits (measured: P-192, curl exit 58, no connection; Python's ssl
    EE_KEY_TOO_SMALL, tests/test_successors_client_keys.py)."""
    if leaf.key_type == "EC" and leaf.key_bits is not None and leaf.key_bits < 224:
        return f" curl does not even load a {leaf.key_bits}-bit EC key at security level 2 (exit 58)."
    return ""


def root_admits_all_findings(
    verdict: ChainVerdict, leaf: CertFacts, ca_facts: list[CertFacts], where: Where
) -> list[Finding]:
    """ca.crt lists intermediates beside their self-signed root, and nginx accepted the client through
    the root alone: none of the listed intermediates is on its chain. nginx loads every certificate of
    ssl_client_certificate as a trust anchor (ngx_ssl_client_certificate: SSL_CTX_load_verify_locations),
    and OpenSSL's X509_verify_cert without X509_V_FLAG_PARTIAL_CHAIN (nginx never sets it) builds the
    chain up to a self-signed certificate: the root admits every CA below it, and listing some of its
    intermediates narrows nothing (kubernetes/ingress-nginx issue 4725: "any other certificate issued by
    any of the other intermediates or Root CA is valid for authentication")."""
    path = verdict.chain_subjects
    listed = [f.subject for f in ca_facts if not f.self_signed]
    roots = {f.subject for f in ca_facts if f.self_signed}
    if not verdict.accepted or len(path) < 2 or not listed or path[-1] not in roots or set(listed) & set(path[1:-1]):
        return []
    through = path[1] if len(path) > 2 else path[-1]
    return [
        Finding(
            code="root-admits-every-ca",
            severity=Severity.WARNING,
            title=f"nginx accepts {leaf.subject} through {through}, which ca.crt does not list: its root {path[-1]} "
            "admits every CA it signed",
            detail="ca.crt lists intermediate CAs beside their root, as if only their clients were meant to get in. "
            "nginx trusts every certificate of the file, and OpenSSL builds each client's chain up to a self-signed "
            "root (nginx sets no partial-chain mode): a certificate from any CA under that root verifies, the "
            "intermediates listed beside it narrow nothing. To admit one intermediate's clients only, give them a "
            "root of their own, or check the subject with auth-tls-match-cn.",
            fix="",  # which clients are meant to get in is the user's to say
            subject=where.label,
            evidence=(f"chain: {' → '.join(path)}", *(f"ca.crt lists: {s}" for s in listed)),
        )
    ]


def _at_ca(verdict: ChainVerdict) -> str:
    """The CA OpenSSL's last error is about, when it is not the client certificate: an intermediate that
    expired, a root whose key is too weak ("certificate has expired" alone reads as the client's). From the
    error as the callback saw it: the context's error depth moves on after it (measured: 0 for an expired
    intermediate)."""
    last = [e for e in verdict.errors if e.code == verdict.error_code][-1:]
    return f" ({last[0].subject}, depth {last[0].depth})" if last and last[0].depth > 0 else ""


def _untrusted_detail(verdict: ChainVerdict, leaf: CertFacts, ca_subjects: list[str], files: Files) -> str:
    held = "; ".join(ca_subjects) or "nothing"
    if verdict.error_code in ISSUER_NOT_FOUND:
        last = verdict.chain_subjects[-1] if verdict.chain_subjects else leaf.subject
        return (
            f"The chain stops at {last}: its issuer ({_missing_issuer(verdict, leaf)}) is neither sent by the "
            f"client nor in {files.ca} (which holds {held}). nginx answers 400 '{CERT_ERROR}'."
        )
    if verdict.error_code in CRL_PROBLEMS:
        return (
            f"OpenSSL's reason: {verdict.reason}. With ssl_crl (the Secret's ca.crl) nginx checks every certificate "
            f"of the path, the root included, against a current CRL from its issuer. nginx answers 400 '{CERT_ERROR}'."
        )
    return f"OpenSSL's reason: {verdict.reason}. {files.ca} holds {held}. nginx answers 400 '{CERT_ERROR}'."


def _untrusted_fix(verdict: ChainVerdict, leaf: CertFacts, ca_subjects: list[str], where: Where, files: Files) -> str:
    cert_file = where.file
    if (
        verdict.error_code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT
        and verdict.chain_subjects[-1:]
        and verdict.chain_subjects[-1] in ca_subjects
    ):  # the CA file ends at an intermediate: no partial chains in nginx
        return (
            f"openssl x509 -noout -issuer -in {arg(files.ca)}  # that issuer (the root) is missing: append it to "
            f"{comment(arg(files.ca))}, then update the Secret; nginx accepts no chain that ends at an intermediate"
        )
    if verdict.error_code in ISSUER_NOT_FOUND | SELF_SIGNED:
        if signing_refusal("client", where, files) is not None:
            return reissue_command("client", where, files)  # its words only
        return (
            reissue_command("client", where, files, cn=leaf.subject_cn, dn=leaf.subject)
            + f"  # signs it with the CA the server trusts ({comment(' or '.join(ca_subjects) or 'its ca.crt')}: "
            f"{comment(' and '.join(arg(f) for f in files.signer_files))} must be that CA's); or, if the missing issuer "
            "is an intermediate of that CA, send it "
            f"with the certificate (cat {comment(arg(cert_file))} INTERMEDIATE.crt > client-chain.crt) or append it to "
            f"{comment(arg(files.ca))}"
        )
    ca, crl_file, fetch = files.ca, files.crl, ""
    if files.ca_secret:  # the CA the verdict used is the Secret's, not a ca.crt that may sit in the folder
        stem = cn_stem(files.ca_secret.replace("/", "-"))
        ca, crl_file = f"{stem}.secret-ca.crt", f"{stem}.secret-ca.crl"
        fetch = f"{read_key_command(files.ca_secret, 'ca.crt')} > {arg(ca)} && "
        if verdict.error_code in CRL_PROBLEMS:
            fetch += f"{read_key_command(files.ca_secret, 'ca.crl')} > {arg(crl_file)} && "
    crl = f" -crl_check_all -CRLfile {arg(crl_file)}" if verdict.error_code in CRL_PROBLEMS else ""
    return (
        f"{fetch}openssl verify -show_chain -purpose sslclient{crl} -CAfile {arg(ca)} "
        f"-untrusted {arg(cert_file)} {arg(cert_file)}"
    )


def _missing_issuer(verdict: ChainVerdict, leaf: CertFacts) -> str:
    """The issuer of the last certificate OpenSSL could place in the chain."""
    if len(verdict.chain_subjects) > 1:
        return f"the issuer of {verdict.chain_subjects[-1]}"
    return leaf.issuer


def _host_matches(pattern: str, host: str) -> bool:
    """RFC 6125, and no wildcard over a top-level domain alone (`*.com`)."""
    return name_matches(pattern, host) and (not pattern.startswith("*.") or pattern.rstrip(".").count(".") >= 2)


def host_covered(facts: CertFacts, host: str) -> tuple[bool, str]:
    """(covered, how). Without SANs, OpenSSL/curl fall back to the CN; browsers and Go do not."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if facts.sans:
        if address is not None:
            return str(address) in facts.sans.ip, "subjectAltName IP"
        return any(_host_matches(p, host) for p in facts.sans.dns), "subjectAltName DNS"
    if facts.subject_cn and address is None:
        return _host_matches(facts.subject_cn, host), "CN (no subjectAltName)"
    return False, "nothing (no subjectAltName, no CN)"


def _san_with(facts: CertFacts, name: str) -> str:
    """The subjectAltName line of a re-issued server certificate: every name it serves now (its
    SANs; without any, its CN when that is a host name, which clients fall back to) and `name`.
    A re-issue for one host must not take the others away."""
    cn = facts.subject_cn
    dns = list(facts.sans.dns) if facts.sans else ([cn] if cn and HOST_LIKE.fullmatch(cn) else [])
    names = [f"DNS:{n}" for n in dict.fromkeys([*dns, name])] + [f"IP:{ip}" for ip in facts.sans.ip]
    return "subjectAltName=" + ",".join(names)


def server_findings(facts: CertFacts, host: str | None, where: Where, files: Files) -> list[Finding]:
    findings: list[Finding] = []
    subject = where.label
    names = ", ".join(facts.sans.dns + facts.sans.ip) or f"CN={facts.subject_cn}"
    target = host or facts.subject_cn or "HOST"
    if not facts.sans:
        findings.append(
            Finding(
                code="server-cert-no-san",
                severity=Severity.WARNING,
                title=f"the server certificate {facts.subject} has no subjectAltName",
                detail="curl and nginx-era OpenSSL clients fall back to the CN, but browsers, Go (kubectl, "
                "Prometheus) and Python's httpx/requests with hostname checks refuse a certificate without "
                "SAN. The seed's openssl commands make such a certificate.",
                fix=reissue_command(
                    "server",
                    where,
                    files,
                    extensions=[_san_with(facts, target), "extendedKeyUsage=serverAuth"],
                    cn=facts.subject_cn,
                    dn=facts.subject,
                ),
                subject=subject,
            )
        )
    if host:
        covered, how = host_covered(facts, host)
        if not covered:
            findings.append(
                Finding(
                    code="server-cert-hostname-mismatch",
                    severity=Severity.ERROR,
                    title=f"the server certificate does not cover {host}",
                    detail=f"It names {names}; matched against {how}. Clients that check the name "
                    "(curl without -k, browsers) refuse the connection.",
                    fix=reissue_command(
                        "server",
                        where,
                        files,
                        extensions=[_san_with(facts, host)],
                        cn=facts.subject_cn,
                        dn=facts.subject,
                    ),
                    subject=subject,
                    evidence=(f"certificate names: {names}",),
                )
            )
    return findings


def server_chain_finding(verdict: ChainVerdict, leaf: CertFacts, where: Where, files: Files) -> list[Finding]:
    subject = where.label
    if verdict.accepted:
        return []
    return [
        Finding(
            code="server-cert-untrusted",
            severity=Severity.ERROR,
            title=f"the server certificate {leaf.subject} does not verify against {files.ca}: {verdict.reason}",
            detail=f"A client given {files.ca} (curl --cacert {files.ca}) refuses the server; it works only with -k.",
            fix=f"openssl verify -show_chain -CAfile {arg(files.ca)} {arg(where.file)}",
            subject=subject,
            evidence=tuple(f"OpenSSL ({e.code}:{e.reason}) at depth {e.depth}, {e.subject}" for e in verdict.errors),
        )
    ]


def unreadable_finding(where: str, problem: str, fix: str | None = None, detail: str | None = None) -> Finding:
    """`storeutl -noout` lists what a file holds without printing it: never a private key. Not
    for what it cannot tell: a manifest's error at a line (`where` ends in `:LINE`), a file over
    the size limit, standard input (the review saw it offered for all three)."""
    path = file_of(where)
    told = re.search(r":\d+$", where) is None and "too large" not in problem and path != STDIN
    return Finding(
        code="input-unreadable",
        severity=Severity.ERROR,
        title=f"{where}: {problem}",
        detail=detail or "This input is not a certificate, key, bundle or Secret manifest that could be read.",
        fix=fix
        or (f"openssl storeutl -noout {arg(path)}  # lists what the file holds, prints none of it" if told else ""),
        subject=where,
    )
