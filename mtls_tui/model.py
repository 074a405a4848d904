"""Plain frozen dataclasses shared by every layer.

Nothing here performs I/O or imports a heavy library, so the TUI, the CLI and the
rules can all depend on it without paying for `cryptography` or the Kubernetes
client at import time.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, Literal, get_args

from mtls_tui.safe_text import multi_line, one_line
from mtls_tui.shell import first_program, split_note


class Severity(str, enum.Enum):
    """`error` breaks mTLS; `warning` works here but breaks elsewhere or soon."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


FIX_PROGRAMS = frozenset(
    {"kubectl", "openssl", "curl", "mtls-tui", "getent", "nc", "ip", "printf", "cat", "base64", "diff", "date", "mv"}
)


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One diagnosis. `code` is a stable public identifier (see DESIGN.md). Keyword-only:
    five of its fields are strings, and a title passed where the detail belongs would not fail."""

    code: str
    severity: Severity
    title: str
    detail: str
    fix: str
    subject: str
    evidence: tuple[str, ...] = ()
    then: str = ""  # what to do once the fix has run, in words: never part of the command

    def __post_init__(self) -> None:
        """Findings quote certificates, Ingresses and servers: their control characters are
        shown, never sent to a terminal (safe_text), whichever view prints them. A fix written
        with a `# then …` tail keeps the command, and the words go to `then` (shell.split_note:
        zsh would pass them to the program)."""
        fix, note = split_note(one_line(self.fix))
        object.__setattr__(self, "fix", fix)
        object.__setattr__(self, "then", "; ".join(t for t in (note, one_line(self.then)) if t))
        for name in ("title", "subject"):
            object.__setattr__(self, name, one_line(getattr(self, name)))
        object.__setattr__(self, "detail", multi_line(self.detail))
        object.__setattr__(self, "evidence", tuple(one_line(e) for e in self.evidence))

    @property
    def is_command(self) -> bool:
        """The fix is a shell command (what `c` copies), not prose: it starts with a program
        the fixes use. A test holds every fix to this."""
        return first_program(self.fix) in FIX_PROGRAMS

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "title": self.title,
            "detail": self.detail,
            "fix": self.fix,
            "then": self.then,
            "subject": self.subject,
            "evidence": list(self.evidence),
        }


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Errors first; the order of rules is kept within a severity."""
    return sorted(findings, key=lambda f: f.severity.rank)


def unique_findings(findings: list[Finding]) -> list[Finding]:
    """The first of each finding that says the same thing about the same subject (code, title,
    subject): two rules, or two probe attempts, that reach one conclusion show it once."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    for finding in findings:
        key = (finding.code, finding.title, finding.subject)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out


# What a certificate is to the verdict: a CA of the bundle, the leaf a server or client presents,
# an intermediate between them, or (a file given without saying) just a certificate.
CertRole = Literal["ca", "server", "client", "intermediate", "certificate"]
ROLE_TITLES: dict[CertRole, str] = {
    "ca": "CA",
    "server": "server",
    "client": "client",
    "intermediate": "intermediate",
    "certificate": "certificate",
}


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

    def __post_init__(self) -> None:
        """A certificate's names are attacker-chosen text: shown, never interpreted."""
        object.__setattr__(self, "subject", one_line(self.subject))
        object.__setattr__(self, "issuer", one_line(self.issuer))
        if self.subject_cn is not None:
            object.__setattr__(self, "subject_cn", one_line(self.subject_cn))
        sans = self.sans
        object.__setattr__(
            self,
            "sans",
            SubjectAltNames(
                *(tuple(one_line(v) for v in values) for values in (sans.dns, sans.ip, sans.uri, sans.email))
            ),
        )

    def time_left(self, now: datetime) -> timedelta:
        return self.not_after - now

    @property
    def has_eku(self) -> bool:
        return bool(self.extended_key_usage)

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["sans"] = {
            "dns": list(self.sans.dns),
            "ip": list(self.sans.ip),
            "uri": list(self.sans.uri),
            "email": list(self.sans.email),
        }
        data["not_before"] = self.not_before.isoformat()
        data["not_after"] = self.not_after.isoformat()
        for name in ("key_usage", "extended_key_usage", "crl_urls", "ocsp_urls"):
            data[name] = list(data[name])
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
    (code:reason)`): OpenSSL's last error; with `unsigned_key` nginx never gets that far.
    `verifies_with_more_depth` tells a chain that is only too long from one that is broken.
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
    # the client's key in words when no TLS 1.3 signature scheme fits it (certs/verify.py TLS13_EC_CURVES): an OpenSSL
    # client over TLS 1.3 sends no certificate, nginx answers 400 'No required SSL certificate was sent'
    unsigned_key: str | None = None


# `--controller NAME`: who the objects are judged for when their classes do not say
# (policy/successors/forced.py). Here, not there: the command line offers them without importing the rules.
Forced = Literal[
    "ingress-nginx",
    "envoy-gateway",
    "istio",
    "nginx-gateway-fabric",
    "traefik",
    "traefik-ingress-nginx",
    "f5-nginx",
]
FORCED: tuple[Forced, ...] = get_args(Forced)


# auth-tls-verify-client, as ingress-nginx accepts it (case-sensitive) and nginx's ssl_verify_client takes it.
VerifyMode = Literal["on", "off", "optional", "optional_no_ca"]
VERIFY_MODES: tuple[VerifyMode, ...] = get_args(VerifyMode)


@dataclass(frozen=True)
class MtlsPolicy:
    """What a controller is configured to do for one host, in one common shape.

    ingress-nginx's six auth-tls annotations map onto it (policy/ingress_nginx/);
    the lab's gateway renders nginx directives from it.
    """

    host: str
    secret: str | None = None  # `namespace/name` of the auth-tls Secret; None: no client certificates asked
    verify_client: VerifyMode = "on"
    verify_depth: int = 1
    error_page: str | None = None
    pass_certificate: bool = False
    match_cn: str | None = None  # `CN=<regex>`, matched against the whole subject DN

    @property
    def mtls(self) -> bool:
        return self.secret is not None


@dataclass(frozen=True)
class ProbeTimings:
    """Milliseconds from httpx's trace extension; None where a phase did not happen. `tls` is
    the client's handshake; `verdict` the probe's read after a TLS 1.3 handshake, before it
    writes, until the server's verdict on the client certificate (an alert, a close, a session
    ticket) or the end of that wait: apart, and out of `first_byte` and `total`."""

    connect: float | None = None
    tls: float | None = None
    first_byte: float | None = None
    total: float | None = None
    verdict: float | None = None


# Why a probe got no HTTP answer. The two `server-cert-` kinds are finding codes too: the probe
# refused the server as curl would.
ProbeFailureKind = Literal[
    "dns",
    "refused",
    "timeout",
    "unreachable",
    "tls-alert",
    "tls-error",
    "closed",
    "not-tls",
    "server-cert-untrusted",
    "server-cert-hostname-mismatch",
]
# When the server's verdict came: in the handshake; on the first read after it, before the probe
# wrote (TLS 1.3 sends the verdict on the client certificate there); or after the request was sent.
ProbeFailureWhen = Literal["handshake", "first read", "after the request"]


@dataclass(frozen=True)
class ProbeFailure:
    """Why no HTTP answer came; `alert` names the TLS alert for `tls-alert` (RFC 8446's name),
    `alert_number` its number; `when` says when it came."""

    kind: ProbeFailureKind
    message: str
    alert: str | None = None
    alert_number: int | None = None
    when: ProbeFailureWhen | None = None


@dataclass(frozen=True)
class ProbeResult:
    """One request: what was sent, what the handshake showed, what came back."""

    label: str
    url: str
    connect_to: str
    sni: str | None
    host_header: str
    sent_client_cert: bool
    user_agent: str
    verified_server: bool
    cert_file: str | None = None  # the client certificate file sent, for fix commands
    timings: ProbeTimings = ProbeTimings()
    tls_version: str | None = None
    cipher: str | None = None
    alpn: str | None = None
    http_version: str | None = None
    server_cert: CertFacts | None = None
    fake_certificate: bool = False
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""
    body_truncated: bool = False
    echo: tuple[tuple[str, str], ...] = ()
    failure: ProbeFailure | None = None
    server_verify_error: str | None = None  # why curl would refuse the server; the answer is from a retry as -k
    server_verify_kind: ProbeFailureKind | None = None  # server-cert-untrusted or server-cert-hostname-mismatch
    cert_requested: bool | None = None  # the server sent a CertificateRequest; None: not seen (no handshake)
    acceptable_cas: tuple[
        str, ...
    ] = ()  # the CA names in it (RFC 2253), as nginx takes them from ssl_client_certificate
    first_read: str | None = None  # TLS 1.3: what the read before the request saw (the server's verdict comes there)
    curl: str = ""
    openssl: str = ""

    def __post_init__(self) -> None:
        """What a server sent is shown with its control characters made visible."""
        object.__setattr__(self, "body", multi_line(self.body))
        object.__setattr__(self, "headers", tuple((one_line(k), one_line(v)) for k, v in self.headers))
        object.__setattr__(self, "echo", tuple((one_line(k), one_line(v)) for k, v in self.echo))
        if self.server_verify_error:
            object.__setattr__(self, "server_verify_error", one_line(self.server_verify_error))

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def echoed(self, name: str) -> str | None:
        return next((v for k, v in self.echo if k == name), None)


@dataclass(frozen=True)
class ProbeSpec:
    """A probe as curl's options name it. File names, never key bytes."""

    url: str
    resolve: str | None = None  # HOST:PORT:ADDR
    cacert: str | None = None
    cert: str | None = None
    key: str | None = None
    passphrase: bytes | None = field(default=None, repr=False)
    insecure: bool = False
    no_sni: bool = False  # as `openssl s_client -noservername`: the handshake names no server
    timeout: float = 10.0
    headers: tuple[tuple[str, str], ...] = ()
    http2: bool = False
    body_limit: int = 16 * 1024
    probe_id: str = ""  # sent in the User-Agent, to find the probe's own access-log lines; random when empty


ANNOTATIONS_PREFIX = "nginx.ingress.kubernetes.io/"  # ingress-nginx's default (parser.DefaultAnnotationsPrefix)


@dataclass(frozen=True)
class IngressTLS:
    hosts: tuple[str, ...]
    secret_name: str | None


@dataclass(frozen=True)
class IngressPath:
    """One `rules[].http.paths[]` entry: where a request goes. Migrating a host (policy/migrate)
    routes the same paths to the same Service and port on the new controller."""

    host: str
    path: str
    path_type: str
    service: str | None  # None: a `resource` backend, which no successor's route can name
    port_number: int | None = None
    port_name: str | None = None


@dataclass(frozen=True)
class IngressObj:
    """An Ingress as the controller reads it (any API version, already normalised)."""

    namespace: str
    name: str
    api_version: str
    annotations: tuple[tuple[str, str], ...]
    ingress_class: str | None
    class_source: str  # "spec.ingressClassName", "annotation" or "none"
    hosts: tuple[str, ...]
    tls: tuple[IngressTLS, ...]
    created: str
    uid: str = ""
    addresses: tuple[str, ...] = ()  # status.loadBalancer.ingress ip/hostname
    paths: tuple[IngressPath, ...] = ()  # its routes, for `migrate` (the mTLS rules only name them)
    # hosts whose every rule here has no `http:` (a host-only rule): the controller applies none of
    # this Ingress's auth-tls to them (controller.go getBackendServers: `rule.HTTP == nil` → continue)
    bare_hosts: tuple[str, ...] = ()
    # the annotation prefix its controller reads (--annotations-prefix): fixes name it; the rules
    # read the annotations translated to the default one (policy/ingress_nginx/prefixes.py with_controller_prefixes)
    prefix: str = ANNOTATIONS_PREFIX
    # spec.defaultBackend is set: a catch-all Ingress, which a controller run with --disable-catch-all
    # never stores (store.go hasCatchAllIngressRule), and whose auth-tls reaches no host when it has no rules
    default_backend: bool = False
    # what the API server refuses in it (policy/api_validation.py), checked for manifest files
    # only: such an Ingress never reaches the cluster, and no controller serves it
    refused: tuple[str, ...] = ()

    @cached_property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    def annotation(self, key: str) -> str | None:
        return self._by_key.get(key)

    @cached_property
    def _by_key(self) -> dict[str, str]:
        """The rules ask each Ingress for a dozen annotations: one look-up each, not a walk.
        Built backwards, so that were a key ever repeated, its first value would answer."""
        return dict(reversed(self.annotations))


@dataclass(frozen=True)
class SecretObj:
    namespace: str
    name: str
    type: str
    data: tuple[tuple[str, bytes], ...] = field(repr=False)
    # what the API server refuses in it (policy/api_validation.py), checked for manifest files only:
    # such a Secret never exists in the cluster (ClusterSnapshot.refused_secrets holds it)
    refused: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    def get(self, key: str) -> bytes | None:
        return next((v for k, v in self.data if k == key), None)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.data)


@dataclass(frozen=True)
class SecretProblem:
    """A referenced Secret we could not read: `not-found` or `forbidden` (with the API's message)."""

    ref: str
    status: str
    message: str


@dataclass(frozen=True)
class IngressClassObj:
    name: str
    controller: str
    is_default: bool


@dataclass(frozen=True)
class PodObj:
    namespace: str
    name: str
    phase: str
    ready: bool
    containers: tuple[str, ...]
    restarts: int
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ControllerObj:
    """An ingress-nginx controller Deployment: the flags that change what it serves, and the
    settings of its ConfigMap (`--configmap`) that change what its annotations may do."""

    namespace: str
    name: str
    ingress_class: str
    controller_class: str
    watch_without_class: bool
    allow_cross_namespace: bool  # ConfigMap allow-cross-namespace-resources (config.go, default false)
    image: str
    pods: tuple[PodObj, ...] = ()
    config_map: str | None = None  # `namespace/name` from --configmap; None: the controller runs without one
    config_seen: bool = True  # False: that ConfigMap was not read (manifests without it, RBAC): defaults assumed
    annotations_risk_level: str = "High"  # ConfigMap annotations-risk-level (config.go, default "High")
    ssl_passthrough: bool = False  # --enable-ssl-passthrough: a TCP proxy on :443 hands annotated hosts to the backend
    default_certificate: str | None = None  # --default-ssl-certificate `namespace/name`: served instead of the fake one
    annotations_prefix: str = ANNOTATIONS_PREFIX  # --annotations-prefix (with its "/")
    watch_namespace: str | None = None  # --watch-namespace: the only namespace whose Ingresses it serves (None: all)
    watch_namespace_selector: str | None = None  # --watch-namespace-selector: a label selector on namespaces
    annotation_validation: bool = True  # --enable-annotation-validation (pkg/flags/flags.go, default true)
    start_error: str | None = None  # why its flags stop it at start (pkg/flags/flags.go ParseFlags); None: they do not
    # ConfigMap ssl-redirect / force-ssl-redirect: the defaults of the annotations of the same names
    # (config.go NewDefault: true / false), which decide whether plain HTTP is redirected to HTTPS
    ssl_redirect: bool = True
    force_ssl_redirect: bool = False
    # ConfigMap annotation-value-word-blocklist, as written (config.go NewDefault: ""): an Ingress with
    # one of its words in an annotation value is skipped whole (store.go checkBadAnnotationValue)
    word_blocklist: str = ""
    # ConfigMap allow-snippet-annotations (config.go NewDefault: false since v1.9.0, true before):
    # without it the controller drops the snippets (controller.go dropSnippetDirectives)
    allow_snippets: bool = False
    # ConfigMap use-forwarded-headers (config.go NewDefault: false): the client's own
    # X-Forwarded-Proto then sets the scheme the HTTPS redirect looks at (lua_ingress.lua rewrite)
    use_forwarded_headers: bool = False
    # ConfigMap use-proxy-protocol (config.go UseProxyProtocol, default false): template.go
    # commonListenOptions adds `proxy_protocol` to nginx's http and https listens
    use_proxy_protocol: bool = False
    # ConfigMap server-snippet / location-snippet (config.go ServerSnippet, LocationSnippet): nginx.tmpl
    # writes them into every server (after the rendered ssl_* directives) and every location, whatever
    # allow-snippet-annotations says (that setting is about annotations only)
    server_snippet: str = ""
    location_snippet: str = ""
    # ConfigMap http-snippet (config.go HTTPSnippet): written into `http {}`, so its ssl_* directives are
    # what every server without its own (no rendered client checks) inherits
    http_snippet: str = ""
    # --disable-catch-all (pkg/flags/flags.go, default false): Ingresses with spec.defaultBackend are ignored
    disable_catch_all: bool = False
    # --ingress-class-by-name (pkg/flags/flags.go, default false): the IngressClass named --ingress-class is
    # taken whatever its spec.controller (store.go ingressClassEventHandler AddFunc, foundClassByName)
    ingress_class_by_name: bool = False
    # ConfigMap global-allowed-response-headers (template/configmap.go: split at ',', trimmed, names of
    # letters, digits, '-' and '_' kept; default none): the only headers custom-headers may add
    allowed_response_headers: tuple[str, ...] = ()
    # the labels of its pod template: what the selector of its Service (the cloud load balancer) matches
    pod_labels: tuple[tuple[str, str], ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class SuccessorController:
    """A successor's controller Deployment (Envoy Gateway, Traefik, F5 NGINX, istiod): its image
    names the release whose rules apply (policy/successors/releases.py); `args` are its main
    container's, for the flags a release reads (F5's -enable-preview-policies)."""

    implementation: str  # an `Implementation` of policy/successors/common.py
    namespace: str
    name: str
    image: str
    args: tuple[str, ...] = ()
    container: int = 0  # the main container's index, for a printed `kubectl patch`
    has_args: bool = False  # the main container has an `args` list (a JSON patch appends to it)

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class RenderedConf:
    """A controller pod's /etc/nginx/nginx.conf as `cat` printed it through exec; `problem` says
    why it could not be read (then `text` is None)."""

    namespace: str
    pod: str
    text: str | None
    problem: str | None = None
    command: str = ""  # what ran, as the user could run it


@dataclass(frozen=True)
class LogEvidence:
    """A controller log line that names a finding's cause (logs/classify.py `Highlight`): its
    finding code, the objects it names (`namespace/name`, hosts) and the line as written."""

    code: str
    refs: tuple[str, ...]
    line: str


@dataclass(frozen=True)
class NamespaceObj:
    """A Namespace's labels: what `--watch-namespace-selector` matches."""

    name: str
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class EventObj:
    namespace: str
    kind: str
    name: str
    type: str
    reason: str
    message: str
    count: int
    last_seen: str


@dataclass(frozen=True, eq=False)
class KubeResource:
    """An object the ingress-nginx model does not type (Gateway API, Envoy Gateway, Traefik,
    F5 NGINX and Istio objects, ConfigMaps, ReferenceGrants), kept as the API gave it so each
    successor's reader in policy/successors/ reads the fields its controller reads."""

    api_version: str
    kind: str
    namespace: str
    name: str
    body: dict[str, Any] = field(repr=False)

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


@dataclass(frozen=True)
class ClusterSnapshot:
    """Everything `check` and the TUI need, read in one pass (one LIST per resource type)."""

    source: str
    ingresses: tuple[IngressObj, ...] = ()
    ingress_classes: tuple[IngressClassObj, ...] = ()
    controllers: tuple[ControllerObj, ...] = ()
    secrets: tuple[SecretObj, ...] = ()
    secret_problems: tuple[SecretProblem, ...] = ()
    # Secrets of manifest files that the API server refuses: never in the cluster, so not in `secrets`
    refused_secrets: tuple[SecretObj, ...] = ()
    # the same for custom resources (their CRD's schema refuses them): known absent, not merely unseen
    refused_resources: tuple[KubeResource, ...] = ()
    events: tuple[EventObj, ...] = ()
    resources: tuple[KubeResource, ...] = ()  # successors' objects and ConfigMaps (policy/successors/)
    rendered: tuple[RenderedConf, ...] = ()  # read with --exec: what each controller pod rendered
    log_evidence: tuple[LogEvidence, ...] = ()  # with --exec: controller log lines that name a cause
    namespaces: tuple[NamespaceObj, ...] = ()  # read when a controller selects namespaces by label
    namespaces_read: bool = False  # True: `namespaces` are all the cluster has (a namespace not in it does not exist)
    # what could not be read (manifest documents: input-unreadable; objects our credentials may
    # not read: objects-forbidden): the rest is judged without them
    unreadable: tuple[Finding, ...] = ()
    controllers_known: bool = True  # False for manifests without the controller's Deployment
    complete: bool = True  # a cluster (or the lab): what is not here does not exist; False for manifest files
    # objects other than Secrets our credentials may not read, as (kind, namespace, name); "" for any:
    # not among `resources`, yet not known missing (references.presence says "forbidden")
    forbidden: tuple[tuple[str, str, str], ...] = ()
    # the successors' controller Deployments found (manifest files: those among them; a cluster: the
    # bounded lookups of sources/kube.py); an implementation with none is read at its current release
    successor_controllers: tuple[SuccessorController, ...] = ()

    @cached_property
    def _secrets_by_ref(self) -> dict[str, SecretObj]:
        return {s.ref: s for s in self.secrets}

    @cached_property
    def _problems_by_ref(self) -> dict[str, SecretProblem]:
        return {p.ref: p for p in self.secret_problems}

    def secret(self, ref: str) -> SecretObj | None:
        return self._secrets_by_ref.get(ref)

    def secret_problem(self, ref: str) -> SecretProblem | None:
        return self._problems_by_ref.get(ref)

    def refused_secret(self, ref: str) -> SecretObj | None:
        return next((s for s in self.refused_secrets if s.ref == ref), None)

    @cached_property
    def _resources_by_kind(self) -> dict[str, tuple[KubeResource, ...]]:
        kinds: dict[str, list[KubeResource]] = {}
        for resource in self.resources:
            kinds.setdefault(resource.kind, []).append(resource)
        return {kind: tuple(found) for kind, found in kinds.items()}

    def of_kind(self, kind: str, group: str | None = None) -> tuple[KubeResource, ...]:
        """The resources of one kind (and API group, when given), in the order read."""
        found = self._resources_by_kind.get(kind, ())
        return found if group is None else tuple(r for r in found if r.group == group)
