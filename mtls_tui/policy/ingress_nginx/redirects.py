"""Where the host's server sends a client instead of checking its certificate: plain HTTP not
redirected to HTTPS (nginx checks client certificates on TLS only), an auth-tls-error-page
on the host itself, which redirects a refused client back without end, and one that is a path
on the host, which hands the refused request to the upstream serving that path.
"""

from __future__ import annotations

import re

from mtls_tui.model import ControllerObj, Finding, IngressObj, IngressPath, MtlsPolicy, Severity
from mtls_tui.policy.ingress_nginx.annotations import PREFIX, go_bool_annotation
from mtls_tui.policy.ingress_nginx.ingress_findings import annotate, configmap_words, ingress_finding, ingress_words
from mtls_tui.policy.kube_objects import config_bool
from mtls_tui.shell import arg


def not_redirected(
    locations: list[IngressObj], makers: list[IngressObj], controller: ControllerObj | None
) -> list[IngressObj]:
    """The Ingresses whose locations serve plain HTTP instead of redirecting it to HTTPS (lua_ingress.lua
    redirect_to_https: force-ssl-redirect, or ssl-redirect when a tls: section gives the host a certificate)."""
    configured = any(i.tls for i in makers)
    ssl_default = controller.ssl_redirect if controller is not None else True
    force_default = controller.force_ssl_redirect if controller is not None else False
    forwarded = controller is not None and controller.use_forwarded_headers
    return [
        i
        for i in locations
        if forwarded  # `pass_access_scheme = $http_x_forwarded_proto`: "https" from the client skips any redirect
        or (
            not go_bool_annotation(i, "force-ssl-redirect", force_default)
            and not (configured and go_bool_annotation(i, "ssl-redirect", ssl_default))
        )
    ]


def plain_http(
    host: str,
    locations: list[IngressObj],
    makers: list[IngressObj],
    controller: ControllerObj | None,
    tls_fix: str | None = None,
) -> list[Finding]:
    """The host's server listens for plain HTTP too (nginx.tmpl define "SERVER": buildHTTPListener),
    and nginx checks client certificates only on TLS connections (ngx_http_request.c
    ngx_http_process_request: the verify checks sit under `if (c->ssl)`). What keeps HTTP out is
    lua_ingress.lua redirect_to_https: force-ssl-redirect, or ssl-redirect when a certificate is
    configured for the host (certificate.lua configured_for_current_request: createServers gave
    the server an SSLCert, which only an Ingress with a `tls:` section does). Per location, each
    annotation defaulting to the ConfigMap's setting (rewrite.Parse). Without a tls: section the fix
    is `tls_fix`, the one that gives the host its certificate: with it ssl-redirect redirects, where
    force-ssl-redirect alone would send clients to the fake certificate."""
    configured = any(i.tls for i in makers)
    ssl_default = controller.ssl_redirect if controller is not None else True
    force_default = controller.force_ssl_redirect if controller is not None else False
    forwarded = controller is not None and controller.use_forwarded_headers
    opened = not_redirected(locations, makers, controller)
    if not opened:
        return []
    first = opened[0]
    why = (
        "use-forwarded-headers is true, so a request that says X-Forwarded-Proto: https is not redirected"
        if forwarded
        else "no tls: section for the host, so no redirect to HTTPS"
        if not configured
        else f"ssl-redirect is false for {', '.join(i.ref for i in opened)}"
    )
    force = (
        f"kubectl annotate ingress {ingress_words(first)} {arg(first.prefix + 'force-ssl-redirect=true')} --overwrite"
    )
    if forwarded and controller is not None:
        fix = (
            f"kubectl patch configmap {configmap_words(controller)} --type merge -p "
            + arg('{"data":{"use-forwarded-headers":"false"}}')
            + "  # or have the proxy in front overwrite X-Forwarded-Proto and close port 80"
        )
    elif not configured and tls_fix is not None:
        redirects = all(go_bool_annotation(i, "ssl-redirect", ssl_default) for i in opened)
        fix = tls_fix if redirects else f"{tls_fix} && {force}"
    else:
        fix = force
    return [
        ingress_finding(
            code="mtls-plain-http",
            severity=Severity.ERROR,
            title=f"http://{host}/ is served without a client certificate: {why}",
            detail="The host's server listens on port 80 as well, and nginx asks for client certificates only on TLS "
            "connections: a plain HTTP request reaches the upstream with no certificate (nor ssl-client-verify). "
            "ingress-nginx redirects HTTP to HTTPS only with force-ssl-redirect, or with ssl-redirect (the default) "
            "when the host has a certificate from a tls: section (lua_ingress.lua redirect_to_https).",
            fix=fix,
            ingress=first,
            evidence=tuple(  # the values in effect (annotation, else the ConfigMap's), as a ConfigMap writes them
                f"{i.ref}: ssl-redirect: {config_bool(go_bool_annotation(i, 'ssl-redirect', ssl_default))}, "
                f"force-ssl-redirect: {config_bool(go_bool_annotation(i, 'force-ssl-redirect', force_default))}"
                for i in opened
            )
            + (("no tls: section for the host",) if not configured else ())
            + (("use-forwarded-headers: true",) if forwarded else ()),
        )
    ]


def error_page_loop(host: str, policy: MtlsPolicy, winner: IngressObj | None) -> list[Finding]:
    """`error_page 495 496 = URL;` sends a client the certificate check refused to URL with a 302;
    when URL is on this host (a URL naming it, or a name-less one such as `errors.example/x`, which
    nginx sends as a relative Location), the redirected request is refused the same way and redirected
    again, without end (measured on nginx 1.22: still 302 after five redirects). A path or a named
    location is no redirect (cert_answers.refused_answer; a path: `error_page_path`)."""
    page = policy.error_page or ""
    if not page or page[:1] in "/@" or winner is None:
        return []
    rest = page.split("://", 1)[1] if "://" in page else ""
    target = rest.split("/", 1)[0].split(":", 1)[0].lower() if rest else host
    if target != host.lower() and not (host.startswith("*.") and target.endswith(host[1:].lower())):
        return []
    return [
        ingress_finding(
            code="error-page-loop",
            severity=Severity.WARNING,
            title=f"auth-tls-error-page {page} is on {host} itself: a refused client is redirected there, refused "
            "again, and redirected without end",
            detail="nginx answers a request the client-certificate check refuses with a 302 to the error page "
            "(error_page 495 496 = URL); the page's own request goes to the same server, is refused for the same "
            "reason, and is redirected again. Browsers stop with 'too many redirects'. Put the page on a host "
            "without client certificates.",
            fix=annotate(winner, "auth-tls-error-page", ERROR_PAGE_ELSEWHERE),
            ingress=winner,
            evidence=(f"{PREFIX}auth-tls-error-page: {page}",),
        )
    ]


# the page the error-page fixes name: an absolute URL on a host of its own (a 302 there, no loop)
ERROR_PAGE_ELSEWHERE = "https://errors.example.com/mtls"


def page_route(host: str, page: str, locations: list[IngressObj]) -> tuple[IngressObj, IngressPath] | None:
    """The Ingress and its path on `host` that serve the URI `page`, as nginx picks the location (the
    longest prefix; an Exact path only itself), or None: the server's own `location /` of the default
    backend (nginx.tmpl, when no Ingress has `/`) answers it."""
    best: tuple[IngressObj, IngressPath] | None = None
    for ingress in locations:
        for route in ingress.paths:
            path = route.path or "/"
            if route.host != host or (route.path_type == "Exact" and page != path):
                continue
            # Prefix: whole segments (a `/p/` location and `= /p`); ImplementationSpecific: nginx's own prefix
            prefix = path if route.path_type != "Prefix" or path.endswith("/") else path + "/"
            if page != path and not page.startswith(prefix):
                continue
            if best is None or len(path) > len(best[1].path or "/"):
                best = (ingress, route)
    return best


def error_page_path(
    host: str, policy: MtlsPolicy, winner: IngressObj | None, locations: list[IngressObj]
) -> list[Finding]:
    """auth-tls-error-page a path (authtls redirectRegex admits `/x`): nginx.tmpl renders
    `error_page 495 496 = /x;`, and ngx_http_send_error_page makes it an internal redirect on the same
    server (no 302, no new certificate check): a request without a certificate, or with one that fails,
    reaches the location serving /x, and with an Ingress path there its upstream answers it, told
    ssl-client-verify NONE or FAILED:<reason>. Measured on nginx 1.22: tests/test_field_reports_nginx_5.py
    (verify on, /cert-error: 200 from the upstream without a certificate)."""
    page = policy.error_page or ""
    if not page.startswith("/") or policy.verify_client != "on" or winner is None:
        return []
    found = page_route(host, page, locations)
    if found is None:
        return []
    route_ingress, route = found
    to = f"Service {route.service}" if route.service else f"the backend of Ingress {route_ingress.ref}"
    return [
        ingress_finding(
            code="error-page-served",
            severity=Severity.ERROR,
            title=f"auth-tls-error-page {page} is a path on {host}: a request without a certificate reaches {to}",
            detail=f"nginx answers a request the client-certificate check refuses with what {page} on the same server "
            "answers (error_page 495 496 = /path is an internal redirect, not a 302, and the certificate is not checked "
            f"again): Ingress {route_ingress.ref} sends {page} to {to}, which gets every refused request (as GET, with "
            "ssl-client-verify NONE or FAILED) and answers it. Put the page on a host without client certificates.",
            fix=annotate(winner, "auth-tls-error-page", ERROR_PAGE_ELSEWHERE),
            ingress=winner,
            evidence=(f"{PREFIX}auth-tls-error-page: {page}", f"Ingress {route_ingress.ref} path {route.path or '/'}"),
        )
    ]


def error_page_named(
    host: str, policy: MtlsPolicy, winner: IngressObj | None, makers: list[IngressObj], controller: ControllerObj | None
) -> list[Finding]:
    """auth-tls-error-page a named location (authtls redirectRegex admits `@name`): nginx.tmpl renders
    `error_page 495 496 = @name;`, and the only named locations ingress-nginx writes into a server are
    custom-http-errors' `@custom_…`; a server-snippet (the Ingress's or the ConfigMap's) can add one.
    Without it nginx logs 'could not find named location "@name"' and answers 500 to every refused
    request (measured on nginx 1.22: tests/test_field_reports_nginx_5.py)."""
    page = policy.error_page or ""
    # nginx.tmpl define "CUSTOM_ERRORS" writes `location @custom_<upstream>_<code>` into servers for
    # custom-http-errors (the ConfigMap's in every server, an Ingress's per location): such a name may exist
    if not page.startswith("@") or page.startswith("@custom_") or winner is None:
        return []
    allowed = controller is None or controller.allow_snippets  # else dropSnippetDirectives drops them
    snippets = [i.annotation(PREFIX + "server-snippet") or "" for i in makers if allowed]
    snippets.append(controller.server_snippet if controller is not None else "")
    if any(re.search(rf"location\s+{re.escape(page)}\s*\{{", text) for text in snippets):
        return []
    return [
        ingress_finding(
            code="error-page-no-location",
            severity=Severity.WARNING,
            title=f"auth-tls-error-page {page} names a location {host}'s server does not have: a refused client gets 500",
            detail=f"nginx sends a request the client-certificate check refuses to the named location {page} "
            "(error_page 495 496 = @name), and ingress-nginx writes no named location into a host's server: nginx "
            f"logs 'could not find named location \"{page}\"' and answers 500 Internal Server Error instead of a "
            "page. Name a URL on a host without client certificates.",
            fix=annotate(winner, "auth-tls-error-page", ERROR_PAGE_ELSEWHERE),
            ingress=winner,
            evidence=(f"{PREFIX}auth-tls-error-page: {page}",),
        )
    ]
