"""What the Kubernetes API server refuses in an Ingress or a Secret read from manifest files.

A file can hold an object that `kubectl apply` never gets into the cluster: an Ingress with an
uppercase host, an IP address as host or a path without `pathType`; a Secret of type
kubernetes.io/tls that holds only ca.crt. The controller then never sees it, so judging it as
written would say "works" for an object that does not exist. Objects read from a cluster passed
these checks (or older ones) when they were stored, and are not checked again.

Every rule and message below is kubernetes/kubernetes pkg/apis/networking/validation/
validation.go (ValidateIngressCreate, ValidateIngressSpec, validateIngressRules,
validateHTTPIngressPath, validateIngressBackend, validateIngressTLS), pkg/apis/core/validation/
validation.go (ValidateSecret) and the name checks of k8s.io/apimachinery pkg/util/validation
(IsDNS1123Subdomain, IsWildcardDNS1123Subdomain, IsDNS1035Label, IsValidPortName,
IsValidPortNum, IsConfigMapKey). A JSON field of the wrong type is refused before validation,
by the API server's strict decoding. The annotations' total size is every kind's rule
(k8s.io/apimachinery pkg/api/validation/objectmeta.go ValidateAnnotations, ValidateAnnotationsSize),
so it also holds for the custom resources of refused_objects.py.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any

from mtls_tui.model import Finding, IngressObj, SecretObj, Severity
from mtls_tui.policy.values import as_dict, as_list

CLASS_ANNOTATION = "kubernetes.io/ingress.class"
_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_SUBDOMAIN = re.compile(rf"{_LABEL}(\.{_LABEL})*", re.ASCII)
WILDCARD_SUBDOMAIN = re.compile(rf"\*\.{_LABEL}(\.{_LABEL})*", re.ASCII)
DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?", re.ASCII)
PORT_NAME = re.compile(r"[-a-z0-9]+", re.ASCII)
SLOPPY_IPV4 = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}", re.ASCII)  # netutils.ParseIPSloppy takes leading zeros
SUPPORTED_PATH_TYPES = '"Exact", "ImplementationSpecific", "Prefix"'
INVALID_PATH_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
INVALID_PATH_SUFFIXES = ("/..", "/.")

CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+", re.ASCII)
MAX_SECRET_BYTES = 1024 * 1024  # core.MaxSecretSize
MAX_ANNOTATION_BYTES = 256 * 1024  # objectmeta.go TotalAnnotationSizeLimitB
# field.TooLong's words at apimachinery v0.36.3 (pkg/util/validation/field/errors.go; older releases
# said "must have at most N bytes"): ValidateAnnotations passes it no value, so none is quoted
ANNOTATIONS_TOO_LONG = f"metadata.annotations: Too long: may not be more than {MAX_ANNOTATION_BYTES} bytes"
TLS_SECRET_KEYS = ("tls.crt", "tls.key")  # core.TLSCertKey, core.TLSPrivateKeyKey
SUBDOMAIN_MESSAGE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character"
)
WILDCARD_MESSAGE = (
    "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must "
    "consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character"
)


def api_refusals(obj: dict[str, Any]) -> tuple[str, ...]:
    """The API server's messages for this Ingress (`field: Invalid value: "x": why`), empty when
    it would store it. Only networking.k8s.io/v1: the removed APIs are refused whole elsewhere."""
    if obj.get("apiVersion") != "networking.k8s.io/v1":
        return ()
    return tuple(dict.fromkeys(_refusals(obj)))


def api_refused_finding(ingress: IngressObj) -> Finding | None:
    """An Ingress of a manifest file that the API server refuses: `kubectl apply` fails, so the
    cluster never holds it and no controller serves its hosts. An Ingress with no host at all (no
    rules, no defaultBackend, a `spec` that is no object) is reported with the files' findings, as
    no host's report would name it."""
    if not ingress.refused:
        return None
    field_name, _, why = ingress.refused[0].partition(": ")
    more = f" (and {len(ingress.refused) - 1} more)" if len(ingress.refused) > 1 else ""
    return Finding(
        code="ingress-refused-by-api",
        severity=Severity.ERROR,
        title=f"the API server refuses this Ingress at {field_name}{more}: kubectl apply fails, nothing of it is served",
        detail="Kubernetes validates every Ingress it stores (pkg/apis/networking/validation/validation.go "
        f"ValidateIngressCreate): {why}. The object never reaches the cluster, so no controller reads its hosts, "
        "paths or annotations. Correct the file (hosts in lowercase and never an IP address, a pathType on every "
        "path, a Service name and port on every backend, 256 KiB of annotations at most), then apply it again.",
        fix="",  # the change is to the file, which only its author can make
        subject=f"Ingress {ingress.ref}",
        evidence=ingress.refused,
    )


def annotation_refusals(obj: dict[str, Any]) -> tuple[str, ...]:
    """ValidateAnnotationsSize: the sum of len(key) + len(value) over `metadata.annotations` (Go's
    len, so UTF-8 bytes) above 256 KiB refuses the object, whatever its kind. Client-side `kubectl
    apply` also writes the whole object into its last-applied-configuration annotation, which counts
    too: that client's share is not added here, as the file does not say how it is applied."""
    annotations = as_dict(as_dict(obj.get("metadata")).get("annotations"))
    size = sum(len(str(k).encode()) + len(str(v).encode()) for k, v in annotations.items())
    return (ANNOTATIONS_TOO_LONG,) if size > MAX_ANNOTATION_BYTES else ()


def secret_refusals(secret: SecretObj, obj: dict[str, Any]) -> tuple[str, ...]:
    """ValidateSecret's messages for this Secret (`data` and `stringData` merged, as the API server
    merges them before it validates; `obj` the object as written, for its metadata), empty when it
    would store it."""
    return tuple(dict.fromkeys([*_secret_refusals(secret), *annotation_refusals(obj)]))


def _secret_refusals(secret: SecretObj) -> Iterator[str]:
    yield from _subdomain("metadata.name", secret.name)
    for key in secret.keys:
        if len(key) > 253 or not CONFIG_KEY.fullmatch(key) or key in (".", "..") or key.startswith(".."):
            yield (
                f"data[{key}]: Invalid value: {_quoted(key)}: a valid config key must consist of alphanumeric "
                "characters, '-', '_' or '.'"
            )
    if sum(len(value) for _, value in secret.data) > MAX_SECRET_BYTES:
        yield f"data: Too long: may not be more than {MAX_SECRET_BYTES} bytes"
    if secret.type == "kubernetes.io/tls":
        yield from (f"data[{key}]: Required value" for key in TLS_SECRET_KEYS if key not in secret.keys)


def _refusals(obj: dict[str, Any]) -> Iterator[str]:
    meta = as_dict(obj.get("metadata"))
    name = meta.get("name")
    if isinstance(name, str) and name:
        yield from _subdomain("metadata.name", name)
    yield from annotation_refusals(obj)
    if "spec" in obj and not isinstance(obj["spec"], dict):  # decoding into IngressSpec fails before validation
        yield f"spec: Invalid type: {_quoted(obj['spec'])}: an object is expected (json: cannot unmarshal it into IngressSpec)"
        return
    spec = as_dict(obj.get("spec"))
    rules, default = spec.get("rules"), spec.get("defaultBackend")
    if not rules and default is None:
        yield "spec: Invalid value: either `defaultBackend` or `rules` must be specified"
    if isinstance(default, dict):
        yield from _backend("spec.defaultBackend", default)
    for i, rule in enumerate(as_list(rules)):
        yield from _rule(f"spec.rules[{i}]", as_dict(rule))
    for i, entry in enumerate(map(as_dict, as_list(spec.get("tls")))):
        for j, host in enumerate(as_list(entry.get("hosts"))):
            yield from _host(f"spec.tls[{i}].hosts[{j}]", str(host), ip_refused=False)
        secret = entry.get("secretName")
        if isinstance(secret, str) and secret:
            yield from _subdomain(f"spec.tls[{i}].secretName", secret)
    klass = spec.get("ingressClassName")
    if isinstance(klass, str) and klass:
        yield from _subdomain("spec.ingressClassName", klass)
        annotation = as_dict(meta.get("annotations")).get(CLASS_ANNOTATION)
        if annotation is not None and annotation != klass:  # ValidateIngressCreate
            yield (
                f"annotations.{CLASS_ANNOTATION}: Invalid value: {_quoted(annotation)}: "
                "must match `ingressClassName` when both are specified"
            )


def _rule(at: str, rule: dict[str, Any]) -> Iterator[str]:
    host = rule.get("host")
    if isinstance(host, str) and host:
        yield from _host(f"{at}.host", host, ip_refused=True)
    http = rule.get("http")
    if http is None:
        return
    paths = as_dict(http).get("paths")
    if not paths:
        yield f"{at}.http.paths: Required value"
    for i, path in enumerate(as_list(paths)):
        yield from _path(f"{at}.http.paths[{i}]", as_dict(path))


def _host(at: str, host: str, *, ip_refused: bool) -> Iterator[str]:
    """validateIngressRules refuses an IP address; validateIngressTLS checks only the name's form."""
    if ip_refused and _is_ip(host):
        yield f"{at}: Invalid value: {_quoted(host)}: must be a DNS name, not an IP address"
    if "*" in host:
        if len(host) > 253 or not WILDCARD_SUBDOMAIN.fullmatch(host):
            yield f"{at}: Invalid value: {_quoted(host)}: {WILDCARD_MESSAGE} (e.g. '*.example.com')"
    else:
        yield from _subdomain(at, host)


def _path(at: str, path: dict[str, Any]) -> Iterator[str]:
    kind, value = path.get("pathType"), path.get("path")
    value = value if isinstance(value, str) else ""
    if kind is None:
        yield f"{at}.pathType: Required value: pathType must be specified"
        return
    if kind in ("Exact", "Prefix"):
        if not value.startswith("/"):
            yield f"{at}.path: Invalid value: {_quoted(value)}: must be an absolute path"
        yield from (
            f"{at}.path: Invalid value: {_quoted(value)}: must not contain '{s}'"
            for s in INVALID_PATH_SEQUENCES
            if s in value
        )
        yield from (
            f"{at}.path: Invalid value: {_quoted(value)}: cannot end with '{s}'"
            for s in INVALID_PATH_SUFFIXES
            if value.endswith(s)
        )
    elif kind == "ImplementationSpecific":
        if value and not value.startswith("/"):
            yield f"{at}.path: Invalid value: {_quoted(value)}: must be an absolute path"
    else:
        yield f"{at}.pathType: Unsupported value: {_quoted(kind)}: supported values: {SUPPORTED_PATH_TYPES}"
    yield from _backend(f"{at}.backend", as_dict(path.get("backend")))


def _backend(at: str, backend: dict[str, Any]) -> Iterator[str]:
    service, resource = backend.get("service"), backend.get("resource")
    if service is not None and resource is not None:
        yield f'{at}: Invalid value: "": cannot set both resource and service backends'
        return
    if resource is not None:
        return  # a TypedLocalObjectReference: no mTLS rule depends on its form
    if not isinstance(service, dict):
        yield f'{at}: Invalid value: "": resource or service backend is required'
        return
    name = service.get("name")
    if not name:
        yield f"{at}.service.name: Required value"
    elif not isinstance(name, str) or len(name) > 63 or not DNS1035_LABEL.fullmatch(name):
        yield (
            f"{at}.service.name: Invalid value: {_quoted(name)}: a DNS-1035 label must consist of lower case "
            "alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character"
        )
    port = as_dict(service.get("port"))
    number, port_name = port.get("number"), port.get("name")
    if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
        yield f"{at}.service.port.number: Invalid value: {_quoted(number)}: must be an integer (the API server's decoding)"
    elif port_name and number:
        yield f'{at}: Invalid value: "": cannot set both port name & port number'
    elif port_name:
        yield from _port_name(f"{at}.service.port.name", port_name)
    elif number:
        if not 1 <= number <= 65535:
            yield f"{at}.service.port.number: Invalid value: {number}: must be between 1 and 65535, inclusive"
    else:
        yield f"{at}: Required value: port name or number is required"


def _port_name(at: str, name: object) -> Iterator[str]:
    """IsValidPortName: an IANA service name."""
    text = name if isinstance(name, str) else str(name)
    if (
        len(text) > 15
        or not PORT_NAME.fullmatch(text)
        or not re.search(r"[a-z]", text)
        or "--" in text
        or text.startswith("-")
        or text.endswith("-")
    ):
        yield (
            f"{at}: Invalid value: {_quoted(text)}: a port name must be no more than 15 characters of lower case "
            "letters, digits and '-', with at least one letter, and no '-' at either end or twice in a row"
        )


def _subdomain(at: str, value: str) -> Iterator[str]:
    if len(value) > 253 or not DNS1123_SUBDOMAIN.fullmatch(value):
        yield f"{at}: Invalid value: {_quoted(value)}: {SUBDOMAIN_MESSAGE} (e.g. 'example.com')"


def _is_ip(host: str) -> bool:
    if SLOPPY_IPV4.fullmatch(host):
        return all(int(part) <= 255 for part in host.split("."))
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return True


def _quoted(value: object) -> str:
    """As the API server quotes a value: Go's %q of a string, the plain number otherwise."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)
