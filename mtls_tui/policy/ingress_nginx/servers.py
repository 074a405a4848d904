"""Where controller.go createServers and getBackendServers, merging Ingresses into servers,
change who is asked for a certificate: server-alias names taken from an mTLS wildcard host, the
catch-all Ingress, canary Ingresses, rules without http:, and the same host served by another
controller.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from mtls_tui.model import ControllerObj, Finding, IngressObj, Severity
from mtls_tui.policy.ingress_nginx.annotations import AUTH_TLS_KEYS, PREFIX, go_bool_annotation
from mtls_tui.policy.ingress_nginx.auth_tls import ParsedAuthTls
from mtls_tui.policy.ingress_nginx.host_policy import HostPolicy
from mtls_tui.policy.ingress_nginx.ingress_findings import annotate, ingress_finding, ingress_words
from mtls_tui.shell import arg, json_arg


def _aliases(ingress: IngressObj) -> list[str]:
    """alias.Parse: the comma-separated names, trimmed, without empties and repeats, sorted."""
    return sorted(
        {name.strip() for name in (ingress.annotation(PREFIX + "server-alias") or "").split(",") if name.strip()}
    )


def _takes_from(alias: str, suffix: str) -> list[str]:
    """The names under the wildcard host `*.SUFFIX` that nginx gives to a server with this alias.
    buildServerName (template.go) renders `*.SUFFIX` as a regex (one label, then SUFFIX), and
    nginx (ngx_http_find_virtual_server) tries exact names, then leading, then trailing wildcards,
    before any regex: such an alias always wins. A regex alias is left out (regexes go in order)."""
    if alias.startswith("~"):
        return []
    if alias.startswith("*.") or alias.startswith("."):
        domain = alias.lstrip("*").lstrip(".").lower()
        return ["*"] if suffix == domain or suffix.endswith("." + domain) else []  # every name
    if alias.endswith(".*"):
        label = alias[:-2]
        return [f"{label}.{suffix}"] if re.fullmatch(r"[\w-]+", label) else []
    return [alias] if re.fullmatch(r"[\w-]+\." + re.escape(suffix), alias, re.IGNORECASE) else []


def aliases_over_wildcards(
    reports: list[HostPolicy], servers: dict[str, list[IngressObj]], controllers: dict[str, ControllerObj | None]
) -> list[HostPolicy]:
    """A server-alias on a server that asks no client certificate takes names from an mTLS
    wildcard host of the same controller. createServers gives a server the aliases of its first
    Ingress that has some, and drops an alias only when a server of exactly that name exists."""
    checked = {r.host for r in reports if r.client_checks}
    result = []
    for report in reports:
        if not (report.host.startswith("*.") and report.client_checks and report.served):
            result.append(report)
            continue
        suffix = report.host[2:].lower()
        taken = []
        for host, ingresses in servers.items():
            first = next((i for i in ingresses if _aliases(i)), None)
            if first is None or host in checked or controllers.get(first.ref) != report.controller:
                continue
            for alias in _aliases(first):
                if alias in servers or alias == host:
                    continue  # createServers: a server of that name exists, the alias is dropped
                taken += [(name, alias, host, first) for name in _takes_from(alias, suffix)]
        result.append(
            replace(report, findings=report.findings + tuple(_alias_taken(report.host, taken))) if taken else report
        )
    return result


def _alias_taken(wildcard: str, taken: list[tuple[str, str, str, IngressObj]]) -> list[Finding]:
    found = []
    for ingress in dict.fromkeys(i for _, _, _, i in taken):
        mine = [(name, alias, host) for name, alias, host, i in taken if i is ingress]
        named = list(dict.fromkeys(name for name, _, _ in mine))
        names = (
            f"every name under {wildcard} reaches"
            if "*" in named
            else f"{', '.join(named)}, under {wildcard}, {'reaches' if len(named) == 1 else 'reach'}"
        )
        host = mine[0][2]
        keep = [a for a in _aliases(ingress) if a not in {alias for _, alias, _ in mine}]
        fix = (
            annotate(ingress, "server-alias", ",".join(keep))
            if keep
            else f"kubectl annotate ingress {ingress_words(ingress)} {arg(ingress.prefix + 'server-alias-')}"
        )
        found.append(
            ingress_finding(
                code="alias-takes-wildcard-names",
                severity=Severity.ERROR,
                title=f"{names} the server of {host} (server-alias of {ingress.ref}), which asks no client certificate",
                detail=f"The controller renders the wildcard host {wildcard} as a regular expression server_name "
                "(template.go buildServerName), and nginx chooses a server by exact name, then by wildcard name, "
                "before it tries regular expressions: the TLS name and the Host header of these names select the "
                f"server of {host}, whose server-alias lists them, and it checks no client certificate. Measured on "
                "nginx 1.22.",
                fix=fix,
                ingress=ingress,
                evidence=tuple(
                    f"{ingress.ref}: server-alias {alias}" for alias in dict.fromkeys(a for _, a, _ in mine)
                ),
            )
        )
    return found


def catch_all_only(ingress: IngressObj, parsed: ParsedAuthTls, ignored: set[str]) -> bool:
    """A served Ingress with spec.defaultBackend, no rules, and auth-tls annotations: createServers makes
    it the catch-all server's backend (`len(ing.Spec.Rules) == 0`: "Using it to configure the catch-all
    server"), and getBackendServers sets AuthTLSError and CertificateAuth only inside
    `for _, rule := range ing.Spec.Rules`: its auth-tls reaches no server, not even `_`."""
    return (
        not ingress.hosts
        and ingress.default_backend
        and not parsed.dropped
        and ingress.ref not in ignored
        and ingress.annotation(PREFIX + "auth-tls-secret") is not None
    )


def catch_all_hosts(ingress: IngressObj) -> tuple[str, ...]:
    """Where the user expects the catch-all's auth-tls: the hosts of its tls: section, or any host."""
    return tuple(dict.fromkeys(h for entry in ingress.tls for h in entry.hosts)) or ("*",)


def catch_all_auth_tls(host: str, ingress: IngressObj, report: HostPolicy) -> Finding:
    """The catch-all Ingress's auth-tls is never applied (`catch_all_only`): its backend answers every
    host no server claims, with the default certificate and no client check."""
    hosts = [h for h in catch_all_hosts(ingress) if h != "*"]
    rule: dict[str, Any] = {"http": {"paths": [{"path": "/", "pathType": "Prefix"}]}}
    rules = [{"host": h, **rule} for h in hosts] or [rule]
    operations: list[dict[str, Any]] = [{"op": "add", "path": "/spec/rules", "value": rules}]
    operations += [
        {"op": "copy", "from": "/spec/defaultBackend", "path": f"/spec/rules/{n}/http/paths/0/backend"}
        for n in range(len(rules))
    ]
    elsewhere = report.client_checks  # another Ingress's rule for the host gives its server client checks
    return ingress_finding(
        code="mtls-catch-all-unapplied",
        severity=Severity.WARNING if elsewhere else Severity.ERROR,
        title=f"{ingress.ref} has only spec.defaultBackend: its auth-tls is never applied"
        + (f"; {host} takes its client checks from {report.mtls_from.ref}" if elsewhere and report.mtls_from else "")
        + (
            ""
            if elsewhere
            else f", and {host if host != '*' else 'every host'} reaches that backend without a client certificate"
        ),
        detail="An Ingress with a defaultBackend and no rules configures the catch-all server `_` (controller.go "
        "createServers: 'defines a backend but no rule. Using it to configure the catch-all server'), but "
        "getBackendServers applies auth-tls (AuthTLSError, CertificateAuth) only inside `for _, rule := range "
        "ing.Spec.Rules`: with no rule, never. Every host no other Ingress claims is proxied to that backend by "
        "the default server, with the default certificate and no client check; its tls: section names no server. "
        "A rule per host with the same backend makes the server and applies the annotations.",
        fix=f"kubectl patch ingress {ingress_words(ingress)} --type json -p {json_arg(operations)}",
        ingress=ingress,
        evidence=(f"{ingress.ref}: spec.defaultBackend set, spec.rules empty",),
    )


def other_controller(host: str, chosen: HostPolicy, other: HostPolicy, served_there: list[IngressObj]) -> Finding:
    """Another controller renders its own server for `host` from its own Ingresses: a client whose
    DNS (or load balancer) reaches that controller's address meets that server's checks, not these."""
    names = ", ".join(i.ref for i in served_there)
    who = other.controller.ref if other.controller is not None else "another controller"
    mine = chosen.controller.ref if chosen.controller is not None else "the controller above"
    first = next((i for i in served_there if host not in i.bare_hosts), served_there[0])
    evidence = tuple(
        f"{i.ref}: class {i.ingress_class or '(none)'} via {i.class_source}, served by {who}" for i in served_there
    )
    if other.client_checks and other.policy is not None:
        return ingress_finding(
            code="mtls-host-conflict",
            severity=Severity.INFO,
            title=f"{host} is also served by {who} ({names}), which asks client certificates with its own settings",
            detail=f"Each ingress-nginx controller stores only the Ingresses of its own IngressClass (store.go "
            f"IngressClass event handler, GetIngressClass) and renders its own server for {host}. {who} takes its "
            f"client checks from {other.mtls_from.ref if other.mtls_from else names} (auth-tls-secret "
            f"{other.policy.secret}, verify-client {other.policy.verify_client}); {mine} from its own. Which one a "
            "client meets depends on the address its DNS gives for the host.",
            fix=f"kubectl get ingress {ingress_words(first)} -o yaml  # the settings {who} applies to {host}",
            ingress=first,
            evidence=evidence,
        )
    source = chosen.mtls_from
    settings = [
        f"{first.prefix}{k}={v}"
        for k in AUTH_TLS_KEYS
        if source is not None and (v := source.annotation(PREFIX + k)) is not None
    ]
    fix = (
        f"kubectl annotate ingress {ingress_words(first)} {' '.join(arg(a) for a in settings)} --overwrite"
        if settings
        else f"kubectl get ingress {ingress_words(first)} -o yaml  # {who} serves {host} from it"
    )
    return ingress_finding(
        code="mtls-other-controller-open",
        severity=Severity.ERROR,
        title=f"{host} is also served by {who} ({names}) without client certificates: clients reaching that "
        "controller's address get in",
        detail=f"Each ingress-nginx controller stores only the Ingresses of its own IngressClass (store.go "
        f"IngressClass event handler, GetIngressClass) and renders its own server for {host} from them: "
        f"{source.ref if source else 'the Ingress'}'s auth-tls applies to {mine}'s server only, and {who}'s server "
        "for the same host asks no client certificate. Which one a client meets depends on the address its DNS "
        "gives for the host. Giving the other controller's Ingress the same auth-tls annotations closes that door.",
        fix=fix,
        ingress=first,
        evidence=evidence,
    )


def canary(ingress: IngressObj) -> bool:
    """canary.Parse: parser.GetBoolAnnotation("canary"); a value it cannot read is false."""
    return go_bool_annotation(ingress, "canary", False)


def canary_only(host: str, served: list[IngressObj]) -> Finding:
    names = ", ".join(i.ref for i in served)
    return ingress_finding(
        code="host-canary-only",
        severity=Severity.ERROR,
        title=f"only canary Ingresses name {host} ({names}): the controller makes no server for it",
        detail="createServers skips an Ingress marked canary, so no server block answers to this host: its requests "
        "reach the catch-all server `_`, whose default backend answers 404. getBackendServers then applies the "
        "canary's annotations, auth-tls included, to that catch-all server, for every host it answers. A canary "
        "needs a main Ingress for the same host (e2e canary: 'should return 404 status for requests to the canary "
        "if no matching ingress is found').",
        fix=f"kubectl annotate ingress {ingress_words(served[0])} {arg(served[0].prefix + 'canary-')}  "
        "# or create the main Ingress for the host",
        ingress=served[0],
        evidence=tuple(f"{i.ref}: {PREFIX}canary: {i.annotation(PREFIX + 'canary')}" for i in served),
    )


def bare_rule_findings(
    host: str, served: list[IngressObj], applying: list[IngressObj], parsed: dict[str, ParsedAuthTls]
) -> list[Finding]:
    """An Ingress that asks for client certificates through a rule without `http:` for this host:
    getBackendServers `continue`s on `rule.HTTP == nil` before it reads AuthTLSError or
    CertificateAuth, so its auth-tls never reaches the host's server."""
    found = []
    askers = [i.ref for i in applying if parsed[i.ref].policy_fields]
    for ingress in served:
        if ingress in applying or not (parsed[ingress.ref].policy_fields or parsed[ingress.ref].denied):
            continue
        settings = [
            f"{ingress.prefix}{k}={v}" for k in AUTH_TLS_KEYS if (v := ingress.annotation(PREFIX + k)) is not None
        ]
        if askers:
            fix = f"kubectl get ingress {ingress_words(ingress)} -o yaml  # its auth-tls annotations never apply to {host}"
        elif applying:  # the Ingress that serves the host's paths takes the same settings
            fix = f"kubectl annotate ingress {ingress_words(applying[0])} {' '.join(arg(a) for a in settings)} --overwrite"
        else:
            fix = (
                f"kubectl edit ingress {ingress_words(ingress)}  # give the {host} rule an http: section with its paths"
            )
        found.append(
            ingress_finding(
                code="mtls-rule-without-http",
                severity=Severity.WARNING if askers else Severity.ERROR,
                title=f"{ingress.ref} names {host} only in a rule without http: its auth-tls does not apply there"
                + (f"; {host} takes its client-certificate settings from {askers[0]}" if askers else ""),
                detail="For each rule, getBackendServers (controller.go) skips a rule whose `http` is missing "
                "(`rule.HTTP == nil`, logged as 'does not contain any HTTP rule, using default backend') before it "
                "sets the server's AuthTLSError and CertificateAuth. The server still exists, with its certificate, "
                "and asks no client certificate unless another Ingress's rule for the host has paths.",
                fix=fix,
                ingress=ingress,
                evidence=(f"{ingress.ref}: rules[host={host}] has no http",),
            )
        )
    return found
