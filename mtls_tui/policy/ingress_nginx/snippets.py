"""Snippets (the Ingresses' annotations, the ConfigMap's) that write the client-certificate
directives or check $ssl_client_* themselves: which ones nginx gets, which break its
configuration, and which are checks of their own that these rules do not follow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mtls_tui.model import ControllerObj, Finding, IngressObj, Severity
from mtls_tui.policy.ingress_nginx.annotations import PREFIX
from mtls_tui.policy.ingress_nginx.ingress_findings import configmap_words, ingress_words
from mtls_tui.shell import arg, json_arg

# nginx directives and variables of the client-certificate check, as a snippet may write them
_CLIENT_DIRECTIVES = ("ssl_verify_client", "ssl_client_certificate", "ssl_verify_depth", "ssl_crl")


_CLIENT_WORDS = re.compile(r"\b(?:ssl_verify_client|ssl_client_certificate|ssl_verify_depth|ssl_crl)\b|\$ssl_client_")


@dataclass(frozen=True)
class _Snippet:
    """One snippet that nginx.tmpl writes into the host's server: where it comes from (`origin`,
    for the titles), whether it lands in a location, and the command that takes it out."""

    origin: str
    name: str
    text: str
    in_location: bool
    removal: str
    subject: str
    inherited: bool = False  # http level: a server's own ssl_* directives replace its (nginx's merge of levels)


def _snippets(makers: list[IngressObj], controller: ControllerObj) -> list[_Snippet]:
    """The annotations' snippets only with allow-snippet-annotations (else controller.go
    dropSnippetDirectives removes them); the host's server-snippet is the first Ingress's
    (createServers). The ConfigMap's snippets always: nginx.tmpl writes `$cfg.HTTPSnippet` into
    `http {}`, `$cfg.ServerSnippet` into every server after define "SERVER" and
    `$all.Cfg.LocationSnippet` into every location (config.go: "If disabled, only snippets added
    via ConfigMap are added")."""
    found: list[_Snippet] = []
    server_snippet_seen = False
    for ingress in makers if controller.allow_snippets else []:
        for name in ("server-snippet", "configuration-snippet"):
            text = ingress.annotation(PREFIX + name)
            if not text or (name == "server-snippet" and server_snippet_seen):
                continue
            server_snippet_seen = server_snippet_seen or name == "server-snippet"
            removal = f"kubectl annotate ingress {ingress_words(ingress)} {arg(ingress.prefix + name + '-')}"
            found.append(
                _Snippet(
                    f"{ingress.ref}'s", name, text, name == "configuration-snippet", removal, f"Ingress {ingress.ref}"
                )
            )
    config = controller.config_map or f"{controller.namespace}/{controller.name}"
    for name, text in (
        ("http-snippet", controller.http_snippet),
        ("server-snippet", controller.server_snippet),
        ("location-snippet", controller.location_snippet),
    ):
        if text:
            removal = f"kubectl patch configmap {configmap_words(controller)} --type json -p " + json_arg(
                [{"op": "remove", "path": f"/data/{name}"}]
            )
            found.append(
                _Snippet(
                    f"the ConfigMap {config}'s",
                    name,
                    text,
                    name == "location-snippet",
                    removal,
                    f"ConfigMap {config}",
                    inherited=name == "http-snippet",
                )
            )
    return found


def client_snippets(
    host: str, makers: list[IngressObj], controller: ControllerObj | None, rendered: bool
) -> list[Finding]:
    """Snippets that touch the client-certificate check (`_snippets`: which ones nginx gets). With
    the annotations, an annotations-risk-level below Critical drops the Ingress first
    (`too_risky`). The server-snippets land after the rendered ssl_* directives, the others inside
    locations: a repeated directive, or one nginx does not take in a location, fails `nginx -t`
    and the controller keeps its last good configuration; anything else (an `if` on
    $ssl_client_verify) is a check of its own that these rules do not follow. The http-snippet's
    directives only reach a server without rendered client checks (nginx merges a level's own
    directive over the one above): there they are checks of their own too."""
    if controller is None:
        return []
    found = []
    for snippet in _snippets(makers, controller):
        text, name = snippet.text, snippet.name
        if not _CLIENT_WORDS.search(text) or (snippet.inherited and rendered):
            continue
        written = [d for d in _CLIENT_DIRECTIVES if re.search(rf"(?:^|[;{{}}\s]){d}\s", text)]
        refused = written if snippet.in_location else [d for d in written if rendered and not snippet.inherited]
        if refused:
            why = "is not allowed in a location" if snippet.in_location else "is duplicate"
            found.append(
                Finding(
                    code="snippet-breaks-nginx",
                    severity=Severity.ERROR,
                    title=f"{snippet.origin} {name} writes {', '.join(refused)}: nginx refuses the configuration "
                    f'("{refused[0]}" directive {why})',
                    detail="The controller tests every new configuration with nginx -t before it reloads "
                    "(nginx.go OnUpdate, testTemplate); this one fails, so nginx keeps serving the last "
                    f"configuration that passed, for every host, and later changes fail the same way until "
                    f'the snippet goes. Measured on nginx 1.22: "{refused[0]}" directive {why}.',
                    fix=f"{snippet.removal}  # the auth-tls annotations render these directives",
                    subject=snippet.subject,
                    evidence=(f"{snippet.subject} {name}: {_snippet_words(text)}",),
                )
            )
        else:
            found.append(
                Finding(
                    code="snippet-client-checks",
                    severity=Severity.WARNING,
                    title=f"{snippet.origin} {name} checks client certificates itself: what it lets in is not "
                    "judged here",
                    detail="The snippet is written into nginx's configuration as it is; a check on "
                    "$ssl_client_verify or the subject can refuse what the auth-tls annotations let in, or the "
                    "reverse. A probe with and without a certificate shows what the host really does.",
                    fix="",
                    subject=snippet.subject,
                    evidence=(f"the checks in the {name} of {snippet.subject}", _snippet_words(text)),
                )
            )
    return found


def _snippet_words(text: str) -> str:
    return " ".join(text.split())[:200]
