"""Plain frozen dataclasses shared by every layer.

Nothing here performs I/O or imports a heavy library, so the TUI, the CLI and the
rules can all depend on it without paying for `cryptography` or the Kubernetes
client at import time.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any


class Severity(str, enum.Enum):
    """`error` breaks mTLS; `warning` works here but breaks elsewhere or soon."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True)
class Finding:
    """One diagnosis. `code` is a stable public identifier (see DESIGN.md)."""

    code: str
    severity: Severity
    title: str
    detail: str
    fix: str
    subject: str
    evidence: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        data["evidence"] = list(self.evidence)
        return data


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Errors first; the order of rules is kept within a severity."""
    return sorted(findings, key=lambda f: f.severity.rank)


@dataclass(frozen=True)
class SubjectAltNames:
    dns: tuple[str, ...] = ()
    ip: tuple[str, ...] = ()
    uri: tuple[str, ...] = ()
    email: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.dns or self.ip or self.uri or self.email)


@dataclass(frozen=True)
class CertFacts:
    """What a person checks first about a certificate, already decoded."""

    subject: str
    subject_cn: str | None
    issuer: str
    serial: str
    version: int
    not_before: datetime
    not_after: datetime
    sans: SubjectAltNames
    key_type: str
    key_bits: int | None
    key_curve: str | None
    signature_algorithm: str
    signature_hash: str | None
    is_ca: bool | None
    path_length: int | None
    key_usage: tuple[str, ...]
    extended_key_usage: tuple[str, ...]
    subject_key_id: str | None
    authority_key_id: str | None
    sha256: str
    self_signed: bool
    crl_urls: tuple[str, ...]
    ocsp_urls: tuple[str, ...]

    def time_left(self, now: datetime) -> timedelta:
        return self.not_after - now

    @property
    def has_eku(self) -> bool:
        return bool(self.extended_key_usage)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["not_before"] = self.not_before.isoformat()
        data["not_after"] = self.not_after.isoformat()
        return data


@dataclass(frozen=True)
class VerifyError:
    """One error OpenSSL reported while verifying a chain."""

    code: int
    reason: str
    depth: int
    subject: str


@dataclass(frozen=True)
class ChainVerdict:
    """What nginx (OpenSSL's X509_verify_cert, as libssl sets it up) decides.

    `reason` is the error nginx would log (`client SSL certificate verify error:
    (code:reason)`): OpenSSL's last error. `verifies_with_more_depth` tells a chain
    that is only too long from one that is broken.
    """

    accepted: bool
    verify_depth: int
    purpose: str
    error_code: int | None = None
    reason: str | None = None
    error_depth: int | None = None
    errors: tuple[VerifyError, ...] = ()
    chain_subjects: tuple[str, ...] = ()
    verifies_with_more_depth: bool = False
    intermediates_used: int | None = None
