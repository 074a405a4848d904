"""The rules that make the controller's store keep nothing of an Ingress: a word of
annotation-value-word-blocklist, an annotation riskier than annotations-risk-level, a value that
fails validation (auth-tls's, server-alias's, the other parsers' of validators.py).
Separate: these drop the whole Ingress, whichever annotation failed, before its auth-tls applies.
"""

from __future__ import annotations

import re
from dataclasses import replace

from mtls_tui.model import ClusterSnapshot, ControllerObj, Finding, IngressObj, Severity
from mtls_tui.policy.ingress_nginx.annotations import PREFIX
from mtls_tui.policy.ingress_nginx.ingress_findings import annotate, configmap_words, ingress_finding, ingress_words
from mtls_tui.policy.ingress_nginx.releases import controller_rules
from mtls_tui.policy.ingress_nginx.risks import ANNOTATION_RISK, RISK_NAMES
from mtls_tui.policy.ingress_nginx.validators import SERVER_NAME_CHARS, invalid_values
from mtls_tui.safe_text import clipped
from mtls_tui.shell import arg


def dropped_finding(ingress: IngressObj, name: str, value: str, expected: str, example: str, why: str = "") -> Finding:
    """`parser.checkAnnotation` failed: Extract returns the validation error and the store
    keeps nothing of the Ingress (`annotations.go` Extract, `IsValidationError`)."""
    return ingress_finding(
        code="annotation-invalid-value",
        severity=Severity.ERROR,
        title=f"{name} '{clipped(value)}' is not {expected}: the Ingress is ignored",
        detail=f"The annotation fails the controller's validation{why}; the controller logs 'validation error on ingress "
        f"{ingress.ref}: annotation {name} contains invalid value' and drops the whole Ingress: no server, no "
        "paths, no certificate for its hosts.",
        fix=annotate(ingress, name, example),
        ingress=ingress,
        evidence=(f"{PREFIX}{name}: {clipped(value)}",),
    )


def invalid_value_findings(
    ingress: IngressObj, controller: ControllerObj | None, snapshot: ClusterSnapshot
) -> list[Finding]:
    """The drops of `validators.invalid_values`, one finding each; the fix writes the
    value the user most likely meant, or removes the annotation (its default applies)."""
    findings = []
    for bad in invalid_values(ingress, controller, snapshot):
        found = dropped_finding(ingress, bad.name, bad.value, bad.expected, bad.example or "", bad.why)
        if bad.example is None:
            remove = f"kubectl annotate ingress {ingress_words(ingress)} {arg(ingress.prefix + bad.name + '-')}"
            found = replace(found, fix=remove, then="or set it to " + bad.expected)
        findings.append(found)
    return findings


def blocklisted(ingress: IngressObj, controller: ControllerObj | None) -> Finding | None:
    """store.go syncIngress: with annotation-value-word-blocklist set, checkBadAnnotationValue
    splits it on "," (after TrimSpace, the words themselves untrimmed) and skips the whole
    Ingress ("skipping ingress …: … annotation contains invalid word …") when the value of one
    of its annotations under the controller's prefix contains a word, before any is parsed. A
    list that trims to nothing holds the empty word, which every value contains."""
    if controller is None or controller.word_blocklist == "":
        return None
    words = controller.word_blocklist.strip().split(",")
    hit = next(
        (
            (key, word)
            for key, value in ingress.annotations
            if key.startswith(PREFIX)
            for word in words
            if word in value
        ),
        None,
    )
    if hit is None:
        return None
    key, word = hit
    shown = key.replace(PREFIX, ingress.prefix, 1)
    return ingress_finding(
        code="annotation-blocklisted",
        severity=Severity.ERROR,
        title=f"{shown} holds '{word}', a word the controller's annotation-value-word-blocklist forbids: "
        "the whole Ingress is skipped",
        detail=f"The controller's ConfigMap {controller.config_map} sets annotation-value-word-blocklist. The store "
        "skips an Ingress whose annotation values contain one of its words (store.go syncIngress, "
        "checkBadAnnotationValue: a substring match), and the admission webhook refuses it: none of its hosts "
        "and paths are served.",
        fix=f"kubectl get configmap {configmap_words(controller)} -o jsonpath='{{.data.annotation-value-word-blocklist}}'"
        f"  # change {shown}'s value ({_blocklist_way_out(key, word)}) or take the word off this list",
        ingress=ingress,
        evidence=(
            f"{shown}: {ingress.annotation(key)}",
            f"annotation-value-word-blocklist: {controller.word_blocklist}",
        ),
    )


def _blocklist_way_out(key: str, word: str) -> str:
    """How the blocked annotation's value can do without the word: only auth-tls-secret's value is
    a Secret's name (another Secret holds the same CA); any other value is written anew."""
    if key == PREFIX + "auth-tls-secret":
        return f"name a Secret whose namespace/name holds no '{word}'"
    return f"a value without '{word}'"


def too_risky(ingress: IngressObj, controller: ControllerObj | None) -> Finding | None:
    """`Extractor.Extract` (annotations/annotations.go) validates each group's annotations
    against the ConfigMap's annotations-risk-level before parsing; one annotation riskier than
    that level fails the whole Ingress (RiskyAnnotationError), which the store then skips
    (store.go syncIngress: `klog.Error(err); return`): none of its rules are served. Any
    annotation counts, not only auth-tls ones: a configuration-snippet (Critical) beside the
    auth-tls annotations drops them all under the default level High."""
    written = controller.annotations_risk_level if controller is not None else "High"  # v1.15.1's default
    level = written.lower()
    allowed = next((i for i, name in enumerate(RISK_NAMES) if name.lower() == level), 0)
    over = [
        k[len(PREFIX) :]
        for k, _ in ingress.annotations
        if k.startswith(PREFIX) and ANNOTATION_RISK.get(k[len(PREFIX) :], 0) > allowed
    ]
    if not over:
        return None
    config = controller.config_map if controller is not None else "ingress-nginx/ingress-nginx-controller"
    remove = " ".join(arg(ingress.prefix + k + "-") for k in over)
    return ingress_finding(
        code="annotation-too-risky",
        severity=Severity.ERROR,
        title=f"{', '.join(over)} {'is' if len(over) == 1 else 'are'} riskier than the controller allows "
        f"(annotations-risk-level {written}): the whole Ingress is ignored",
        detail=f"The controller runs with annotations-risk-level {written} (ConfigMap "
        f"{config}, or the release's default: High since v1.12); "
        f"{', '.join(f'{k} is {RISK_NAMES[ANNOTATION_RISK[k]]}' for k in over)} risk (the annotation's parser, "
        "internal/ingress/annotations/*/main.go). An Ingress with an annotation over the level is rejected whole "
        '("annotation group … contains risky annotation"; the admission webhook refuses it too), so none of its '
        "hosts and paths are served by it.",
        fix=f"kubectl annotate ingress {ingress_words(ingress)} {remove}  # or raise annotations-risk-level in "
        f"ConfigMap {config}",
        ingress=ingress,
        evidence=(f"annotations-risk-level: {written}",),
    )


def alias_refused(ingress: IngressObj, controller: ControllerObj | None) -> Finding | None:
    """server-alias (annotations/alias/main.go, Validator parser.ValidateArrayOfServerName): each
    comma-separated name, trimmed, must match IsValidRegex, or checkAnnotation returns a validation
    error, annotations.go Extract returns it, and store.go syncIngress stores nothing of the Ingress
    ("klog.Error(err); return"). nginx's own space-separated `server_name a b` form fails it.
    Not checked when validation is off (checkAnnotation: EnableAnnotationValidation) or the value is ''."""
    value = ingress.annotation(PREFIX + "server-alias")
    if not value or not controller_rules(controller).validators:
        return None
    bad = [name.strip() for name in value.split(",") if not SERVER_NAME_CHARS.fullmatch(name.strip())]
    if not bad:
        return None
    names = [n for n in re.split(r"[\s,]+", value) if n]
    if names and all(SERVER_NAME_CHARS.fullmatch(n) for n in names):
        fix = annotate(ingress, "server-alias", ",".join(dict.fromkeys(names)))
    else:
        fix = f"kubectl annotate ingress {ingress_words(ingress)} {arg(ingress.prefix + 'server-alias-')}"
    return ingress_finding(
        code="annotation-invalid-value",
        severity=Severity.ERROR,
        title=f"server-alias '{clipped(value)}' is not a comma-separated list of server names: the Ingress is ignored",
        detail="alias/main.go validates server-alias with parser.ValidateArrayOfServerName: every name between "
        f"commas must match IsValidRegex (letters, digits and -._~/: plus regex characters; no space), and "
        f"'{clipped(bad[0])}' does not. annotations.go Extract returns the validation error and store.go syncIngress "
        "keeps nothing of the Ingress: no server, paths, certificate or auth-tls from it; its hosts are served by "
        "other Ingresses, if any, without its settings. Separate aliases with commas, not spaces.",
        fix=fix,
        ingress=ingress,
        evidence=(f"{PREFIX}server-alias: {clipped(value)}",),
    )
