"""ingress-nginx's reading of the auth-tls annotations, host by host.

The controller's rules (v1.15.1, see DESIGN.md) are reproduced exactly, including
the silent ones: an unknown verify mode becomes `on`, a bad depth becomes 1, the
first Ingress for a host that sets mTLS wins, a Secret in another namespace is
refused. Each rewrite or refusal becomes a finding that says what the controller
does instead.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from mtls_tui.model import ClusterSnapshot, ControllerObj, Finding, IngressObj, MtlsPolicy, Severity
from mtls_tui.policy.api_validation import api_refused_finding
from mtls_tui.policy.ingress_nginx.annotations import AUTH_TLS_KEYS, PREFIX, go_bool_annotation
from mtls_tui.policy.ingress_nginx.auth_tls import (
    BARE_AUTH_TLS,
    ParsedAuthTls,
    parse_auth_tls,
    pass_certificate_into_tls,
)
from mtls_tui.policy.ingress_nginx.conflicts import conflicts
from mtls_tui.policy.ingress_nginx.controller_secrets import crl_path, secret_path
from mtls_tui.policy.ingress_nginx.dropped import alias_refused, invalid_value_findings
from mtls_tui.policy.ingress_nginx.host_policy import HostPolicy, listed_ingress
from mtls_tui.policy.ingress_nginx.ingress_findings import annotate, ingress_finding, ingress_words
from mtls_tui.policy.ingress_nginx.locations import (
    external_auth_skipped,
    location_denial,
    location_denial_findings,
    root_location_owner,
)
from mtls_tui.policy.ingress_nginx.match_cn_gate import acme_refused, cn_gate_plain_http, cn_gate_redirect, with_cn_gate
from mtls_tui.policy.ingress_nginx.prefixes import (
    ignored_prefix_finding,
    with_controller_prefixes,
    wrong_prefix_findings,
)
from mtls_tui.policy.ingress_nginx.redirects import error_page_loop, not_redirected, plain_http
from mtls_tui.policy.ingress_nginx.secret_findings import (
    ca_key_in_secret,
    denied_secret_findings,
    missing_ca,
    not_in_manifests,
    secret_access,
    unserved_ca_keypair,
)
from mtls_tui.policy.ingress_nginx.serving import (
    anothers,
    class_not_in_manifests,
    class_unseen,
    removed_api_finding,
    serving_controller,
    watches,
)
from mtls_tui.policy.ingress_nginx.snippets import client_snippets
from mtls_tui.policy.ingress_nginx.tls import default_certificate, ssl_passthrough, tls_certificate
from mtls_tui.policy.nginx_directives import location_directives, match_cn_directives, server_directives
from mtls_tui.policy.re2_syntax import re2_search
from mtls_tui.shell import arg, comment, json_arg


def _order(ingresses: list[IngressObj]) -> list[IngressObj]:
    """`store.sortIngressSlice`: oldest creationTimestamp first; on equal timestamps the
    greater `namespace/name` first (`return in > jn`)."""
    by_name = sorted(ingresses, key=lambda i: f"{i.namespace}/{i.name}", reverse=True)
    return sorted(by_name, key=lambda i: i.created)  # stable: ties keep the name order


def host_policies(snapshot: ClusterSnapshot) -> list[HostPolicy]:
    snapshot = with_controller_prefixes(snapshot)
    parsed: dict[str, ParsedAuthTls] = {}
    per_ingress: dict[str, list[Finding]] = {}
    controllers: dict[str, ControllerObj | None] = {}
    ignored: set[str] = set()
    ordered = _order(list(snapshot.ingresses))
    for ingress in ordered:
        controller, class_finding = serving_controller(ingress, snapshot)
        controllers[ingress.ref] = controller
        refused = api_refused_finding(ingress)
        if class_finding is not None or refused is not None:
            ignored.add(ingress.ref)
        result = parse_auth_tls(ingress, controller, snapshot)
        alias = alias_refused(ingress, controller)
        if alias is not None:  # Extract returns the first validation error, whichever annotation it was
            result = replace(result, dropped=True, findings=(*result.findings, alias))
        invalid = invalid_value_findings(ingress, controller, snapshot)
        if invalid:  # any other parser's validation error that its Parse returns drops it too
            result = replace(result, dropped=True, findings=(*result.findings, *invalid))
        parsed[ingress.ref] = result
        into_tls = pass_certificate_into_tls(ingress)  # before the auth-tls findings: it is what the user meant
        findings = [refused] if refused else []
        findings += wrong_prefix_findings(ingress) + ([into_tls] if into_tls else []) + list(result.findings)
        findings += [f for f in (ignored_prefix_finding(ingress),) if f]
        removed = removed_api_finding(ingress)
        findings += [f for f in (removed, class_finding) if f]
        per_ingress[ingress.ref] = findings

    hosts: dict[str, list[IngressObj]] = {}
    catch_alls = {i.ref: _catch_all_hosts(i) for i in ordered if _catch_all_only(i, parsed[i.ref], ignored)}
    for ingress in ordered:
        for host in catch_alls.get(ingress.ref, ingress.hosts):
            hosts.setdefault(host, []).append(ingress)
    reports = []
    for host, ingresses in hosts.items():
        served = [
            i for i in ingresses if not parsed[i.ref].dropped and i.ref not in ignored and i.ref not in catch_alls
        ]
        if not served and all(anothers(i, snapshot) for i in ingresses):
            continue  # every Ingress for the host is another controller's, with nothing of ingress-nginx's
        report = _per_controller(host, ingresses, served, parsed, per_ingress, controllers, snapshot)
        if report is not None:
            unapplied = [_catch_all_auth_tls(host, i, report) for i in ingresses if i.ref in catch_alls]
            reports.append(replace(report, findings=report.findings + tuple(unapplied)) if unapplied else report)
    servers = {
        host: [i for i in ingresses if not parsed[i.ref].dropped and i.ref not in ignored and not _canary(i)]
        for host, ingresses in hosts.items()
    }
    return _aliases_over_wildcards(reports, servers, controllers)


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


def _aliases_over_wildcards(
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


def _catch_all_only(ingress: IngressObj, parsed: ParsedAuthTls, ignored: set[str]) -> bool:
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


def _catch_all_hosts(ingress: IngressObj) -> tuple[str, ...]:
    """Where the user expects the catch-all's auth-tls: the hosts of its tls: section, or any host."""
    return tuple(dict.fromkeys(h for entry in ingress.tls for h in entry.hosts)) or ("*",)


def _catch_all_auth_tls(host: str, ingress: IngressObj, report: HostPolicy) -> Finding:
    """The catch-all Ingress's auth-tls is never applied (`_catch_all_only`): its backend answers every
    host no server claims, with the default certificate and no client check."""
    hosts = [h for h in _catch_all_hosts(ingress) if h != "*"]
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


def _per_controller(
    host: str,
    ingresses: list[IngressObj],
    served: list[IngressObj],
    parsed: dict[str, ParsedAuthTls],
    per_ingress: dict[str, list[Finding]],
    controllers: dict[str, ControllerObj | None],
    snapshot: ClusterSnapshot,
) -> HostPolicy | None:
    """Each controller stores only the Ingresses of its own class (store.go: the IngressClass event
    handler keeps the classes whose spec.controller is its --controller-class, GetIngressClass
    refuses the rest) and renders its own server for the host from them: only Ingresses served by
    the same controller combine. The host's policy is that of the controller asked for client
    certificates (or, failing that, the first); each other controller serving the host is named
    beside it, with what its own server asks."""
    groups: dict[str, list[IngressObj]] = {}
    for ingress in served:
        controller = controllers[ingress.ref]
        groups.setdefault(controller.ref if controller is not None else "", []).append(ingress)
    if len(groups) < 2:
        return _host_policy(host, ingresses, served, parsed, per_ingress, controllers, snapshot)
    mine = {ref: {i.ref for i in group} for ref, group in groups.items()}
    reports = [
        (ref, report)
        for ref, group in groups.items()
        if (
            report := _host_policy(
                host,
                [i for i in ingresses if i.ref in mine[ref] or i not in served],
                group,
                parsed,
                per_ingress,
                controllers,
                snapshot,
            )
        )
        is not None
    ]
    if not reports:
        return None
    ranked = sorted(reports, key=lambda r: (not r[1].client_checks, not r[1].asks_mtls))  # stable: first served first
    _, chosen = ranked[0]
    extra: list[Finding] = []
    for ref, other in ranked[1:]:
        extra += [f for i in groups[ref] for f in per_ingress[i.ref]]
        extra.append(_other_controller(host, chosen, other, groups[ref]))
    return replace(chosen, findings=chosen.findings + tuple(extra))


def _other_controller(host: str, chosen: HostPolicy, other: HostPolicy, served_there: list[IngressObj]) -> Finding:
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


def _host_policy(
    host: str,
    ingresses: list[IngressObj],
    served: list[IngressObj],
    parsed: dict[str, ParsedAuthTls],
    per_ingress: dict[str, list[Finding]],
    controllers: dict[str, ControllerObj | None],
    snapshot: ClusterSnapshot,
) -> HostPolicy | None:
    """`getBackendServers` for one host: the first served Ingress with an auth-tls error sets the
    server's AuthTLSError; the first whose Secret gives a CA file sets its client checks; the
    first with a `tls:` section picks its certificate (`createServers`)."""
    findings: list[Finding] = [f for i in ingresses for f in per_ingress[i.ref]]
    # createServers skips canary Ingresses: they make no server and pick no certificate, but
    # getBackendServers still applies their auth-tls to the server their host has
    makers = [i for i in served if not _canary(i)]
    # getBackendServers skips a host-only rule (`rule.HTTP == nil`) before it reads auth-tls
    applying = [i for i in served if host not in i.bare_hosts]
    asking = [i for i in applying if parsed[i.ref].policy_fields]
    with_ca = [i for i in asking if parsed[i.ref].ca or parsed[i.ref].secret_unseen]
    denied_by = next((i for i in applying if parsed[i.ref].denied), None)
    tls_from = next((i for i in makers if i.tls), None) or next((i for i in ingresses if i.tls), None)
    if not asking and not any(map(listed_ingress, ingresses)):
        return None
    winner = with_ca[0] if with_ca else (asking[0] if asking else None)
    cn_gate = _cn_gate(with_ca, applying, parsed)
    findings += _bare_rule_findings(host, served, applying, parsed)
    if served and not makers:
        findings.append(_canary_only(host, served))
    fields = parsed[winner.ref].policy_fields if winner else {}
    policy = MtlsPolicy(host, **fields) if winner else None
    client_checks = bool(with_ca)
    unseen: list[str] = [  # --watch-namespace-selector: labels not among the files decide whether it is served
        f"Namespace {i.namespace}"
        for i in served
        if (c := controllers[i.ref]) is not None and watches(c, i.namespace, snapshot) is None
    ]
    unclassed = [i for i in served if class_unseen(i, snapshot)]
    unseen += [f"IngressClass {i.ingress_class}" for i in unclassed]
    findings += [class_not_in_manifests(i) for i in unclassed]
    if winner and with_ca:  # without a CA file nothing is required of anyone: no winner over the others
        findings += conflicts(host, winner, applying, parsed)
    if denied_by is not None and len(served) > 1:
        others = [i.ref for i in served if i.ref != denied_by.ref]
        findings.append(
            ingress_finding(
                code="mtls-host-conflict",
                severity=Severity.ERROR,
                title=f"{denied_by.ref}'s auth-tls error makes all of {host} answer 403, {', '.join(others)} included",
                detail="The first Ingress for a host whose auth-tls annotations fail sets the server's AuthTLSError "
                "(controller.go getBackendServers), and the template renders `return 403;` at server level: "
                "every path of the host is refused, whatever the other Ingresses configure.",
                fix=f"kubectl annotate ingress {ingress_words(denied_by)} {denied_by.prefix}auth-tls-secret-  "
                "# or fix the value, as its own finding says",
                ingress=denied_by,
                evidence=(f"denied: {parsed[denied_by.ref].denial}",),
            )
        )
    controller = next((controllers[i.ref] for i in served if controllers[i.ref]), None)
    tls_secret, tls_findings, tls_unseen = tls_certificate(host, makers, snapshot, bool(winner))
    if tls_secret is None and tls_findings and controller is not None and controller.default_certificate:
        tls_secret, tls_findings, tls_unseen = default_certificate(host, tls_findings, controller, snapshot)
    findings += tls_findings
    unseen += tls_unseen
    if tls_secret:
        findings += secret_access(tls_secret, "TLS", tls_from or ingresses[0], snapshot)
    auth_ref = policy.secret if policy is not None else None  # always set: a winner's fields name its Secret
    if winner and auth_ref is not None:
        findings += secret_access(auth_ref, "auth-tls", winner, snapshot)
        if parsed[winner.ref].secret_unseen:
            unseen.append(f"Secret {auth_ref}")
            if not snapshot.complete and snapshot.secret_problem(auth_ref) is None:
                findings.append(not_in_manifests(auth_ref, winner))
        secret = snapshot.secret(auth_ref)
        if secret is not None and not client_checks:
            findings.append(missing_ca(host, secret, winner, snapshot, refused_all=cn_gate is not None))
        elif secret is not None and unserved_ca_keypair(secret, snapshot) is not None:
            findings += [kept] if (kept := ca_key_in_secret(secret, f"Ingress {winner.ref}")) else []
    for ingress in served:
        result = parsed[ingress.ref]
        if result.stored is not None and result.stored.error:
            findings += denied_secret_findings(host, ingress, result, snapshot)
        elif result.denial and "was not found" in result.denial:
            findings += secret_access(
                ingress.annotation(PREFIX + "auth-tls-secret") or "", "auth-tls", ingress, snapshot
            )
    denial = parsed[denied_by.ref].denial if denied_by else None
    passthrough, passthrough_findings = ssl_passthrough(host, served, winner, controller, snapshot)
    findings += passthrough_findings
    if passthrough:
        unseen.append("the backend's own TLS (ssl-passthrough)")
    if denial or passthrough:
        cn_gate = None  # `return 403;` answers first; a passed-through host never reaches the server block
    if cn_gate is not None:
        mode = policy.verify_client if policy is not None and client_checks else None
        findings = with_cn_gate(host, findings, cn_gate, mode, winner, policy.secret if policy is not None else None)
    elif client_checks and not denial and not passthrough:
        tls_fix = next((f.fix for f in tls_findings if f.code == "tls-section-missing"), None)
        findings += plain_http(host, [i for i in applying if not _canary(i)], makers, controller, tls_fix)
    if policy is not None and client_checks and not denial and not passthrough:
        findings += error_page_loop(host, policy, winner)
    root_denial = None
    if not denial and not passthrough:  # a server-level 403, or no nginx at all, answers before any location
        locations = [i for i in applying if not _canary(i)]
        denied, denied_unseen = location_denial_findings(host, locations, controllers, snapshot)
        findings += denied
        unseen += denied_unseen
        findings += external_auth_skipped(host, locations, controllers, snapshot)
        root = root_location_owner(host, makers, locations)
        root_denial = location_denial(root, controllers[root.ref], snapshot)[0] if root else None
    if cn_gate is not None:
        acme = acme_refused(host, ingresses, cn_gate)
        asked = policy is not None and client_checks and policy.verify_client != "off"
        served_http = not_redirected([i for i in applying if not _canary(i)], makers, controller) if asked else []
        redirected = [i for i in applying if not _canary(i) and i not in served_http] if asked else []
        findings += acme or (
            cn_gate_plain_http(host, served_http, cn_gate)
            if served_http
            else cn_gate_redirect(host, redirected, cn_gate)
            if redirected
            else []
        )
    snippet_findings = client_snippets(host, makers, controller, client_checks and not denial and not passthrough)
    if any(f.code == "snippet-client-checks" for f in snippet_findings):  # the snippet may refuse them itself
        findings = [
            replace(
                f,
                title=f.title.replace(
                    "requests without a client certificate get in",
                    "nginx's own check lets requests without a client certificate through; the snippet decides",
                ),
            )
            if f.code == "mtls-not-enforced"
            else f
            for f in findings
        ]
    findings += snippet_findings
    unseen += [f.evidence[0] for f in snippet_findings if f.code == "snippet-client-checks"]
    directives: tuple[str, ...] = ()
    if passthrough:
        directives = ("# ssl-passthrough: the controller's TCP proxy hands this host's TLS to the backend",)
    elif denial:
        directives = (f"# {comment(denial)}", "return 403;")
    elif policy and auth_ref is not None and client_checks:
        stored = parsed[winner.ref].stored if winner else None
        keypair = stored.keypair if stored else True
        crl = crl_path(auth_ref) if stored is not None and stored.crl else None  # unseen: no CRL we know of
        directives = tuple(server_directives(policy, secret_path(auth_ref, keypair), crl) + location_directives(policy))
    elif cn_gate is not None:
        directives = tuple(match_cn_directives(cn_gate))
    return HostPolicy(
        host,
        policy,
        tuple(ingresses),
        winner,
        tls_secret,
        controller,
        tuple(findings),
        directives,
        denial=denial,
        served=bool(makers),
        client_checks=client_checks and not denial and not passthrough,
        unseen=tuple(dict.fromkeys(unseen)),
        denied_secret=denied_by.annotation(PREFIX + "auth-tls-secret")
        if denied_by and parsed[denied_by.ref].stored
        else None,
        # an auth-tls-secret (under any prefix), or other auth-tls annotations that ask for client certificates
        # without one: either way the Ingress means certificates to be asked, and a request without one gets in
        asks_mtls=any(key.lower().endswith("auth-tls-secret") for i in ingresses for key, _ in i.annotations)
        or any(f.code == "annotation-invalid-value" and f.title.startswith(BARE_AUTH_TLS) for f in findings),
        controller_unseen=not snapshot.controllers_known and bool(served),
        passthrough=passthrough,
        cn_gate=cn_gate,
        unserved_askers=tuple(
            i.ref
            for i in ingresses
            if i not in served and any(key.lower().endswith("auth-tls-secret") for key, _ in i.annotations)
        )
        if makers
        else (),
        root_location_denial=root_denial,
    )


def _cn_gate(with_ca: list[IngressObj], applying: list[IngressObj], parsed: dict[str, ParsedAuthTls]) -> str | None:
    """The MatchCN of the CertificateAuth the server ends with, when an empty subject fails it.
    getBackendServers sets `server.CertificateAuth = anns.CertificateAuth` for each Ingress in
    turn while the server has no CA file: the first with a CA file stops it; without one, the last
    Ingress applying to the host leaves its own (none, if it has no auth-tls). nginx.tmpl renders
    `if ($ssl_client_s_dn !~ MatchCN) { return 403 }` from it whatever the CA file and verify
    mode: without a verified certificate the subject is empty."""
    final = with_ca[0] if with_ca else (applying[-1] if applying else None)
    gate = parsed[final.ref].policy_fields.get("match_cn") if final is not None else None
    return gate if gate and re2_search(gate, "") is False else None


def _canary(ingress: IngressObj) -> bool:
    """canary.Parse: parser.GetBoolAnnotation("canary"); a value it cannot read is false."""
    return go_bool_annotation(ingress, "canary", False)


def _canary_only(host: str, served: list[IngressObj]) -> Finding:
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


def _bare_rule_findings(
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
