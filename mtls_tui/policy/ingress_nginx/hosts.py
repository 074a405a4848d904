"""host_policies: every host's HostPolicy, assembled as controller.go getBackendServers builds the
host's server. The Ingresses are taken in the store's order, each read once, grouped by host and
by controller, and each server judged by the rules of the modules beside this one: the one
module that calls them all, and none of them imports it.
"""

from __future__ import annotations

from dataclasses import replace

from mtls_tui.model import ClusterSnapshot, ControllerObj, Finding, IngressObj, MtlsPolicy, Severity
from mtls_tui.policy.api_validation import api_refused_finding
from mtls_tui.policy.ingress_nginx.annotations import PREFIX
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
from mtls_tui.policy.ingress_nginx.ingress_findings import ingress_finding, ingress_words
from mtls_tui.policy.ingress_nginx.lb_proxy import lb_proxy_mismatch
from mtls_tui.policy.ingress_nginx.load_balancer import lb_terminates_tls, lb_unseen, service_unseen
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
from mtls_tui.policy.ingress_nginx.redirects import (
    error_page_loop,
    error_page_named,
    error_page_path,
    not_redirected,
    plain_http,
)
from mtls_tui.policy.ingress_nginx.releases import controller_rules
from mtls_tui.policy.ingress_nginx.secret_findings import (
    ca_key_in_secret,
    denied_secret_findings,
    leaf_only_ca,
    missing_ca,
    not_in_manifests,
    secret_access,
    unserved_ca_keypair,
)
from mtls_tui.policy.ingress_nginx.servers import (
    aliases_over_wildcards,
    bare_rule_findings,
    canary,
    canary_only,
    catch_all_auth_tls,
    catch_all_hosts,
    catch_all_only,
    other_controller,
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
from mtls_tui.policy.secret_store import client_ca_file
from mtls_tui.shell import comment


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
    catch_alls = {i.ref: catch_all_hosts(i) for i in ordered if catch_all_only(i, parsed[i.ref], ignored)}
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
            unapplied = [catch_all_auth_tls(host, i, report) for i in ingresses if i.ref in catch_alls]
            reports.append(replace(report, findings=report.findings + tuple(unapplied)) if unapplied else report)
    servers = {
        host: [i for i in ingresses if not parsed[i.ref].dropped and i.ref not in ignored and not canary(i)]
        for host, ingresses in hosts.items()
    }
    return aliases_over_wildcards(reports, servers, controllers)


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
        extra.append(other_controller(host, chosen, other, groups[ref]))
    return replace(chosen, findings=chosen.findings + tuple(extra))


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
    makers = [i for i in served if not canary(i)]
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
    findings += bare_rule_findings(host, served, applying, parsed)
    if served and not makers:
        findings.append(canary_only(host, served))
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
    match_cn = cn_gate or (policy.match_cn if policy is not None else None)
    rules = controller_rules(controller)
    if match_cn and not rules.match_cn_change_reloads:  # #10915: what nginx runs may be an earlier value
        unseen.append(
            f"the auth-tls-match-cn nginx runs ({rules.named} applies a change to it alone only at its next "
            "reload: authtls Config.Equal)"
        )
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
        default = controller.default_certificate if controller else None
        if secret is not None and client_checks and (ca_file := client_ca_file(secret, default)) is not None:
            findings += [leaf] if (leaf := leaf_only_ca(host, secret, winner, ca_file)) else []
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
        findings += plain_http(host, [i for i in applying if not canary(i)], makers, controller, tls_fix)
        sent_back = not not_redirected([i for i in applying if not canary(i)], makers, controller)
        verify = policy.verify_client if policy is not None else "on"
        page = policy.error_page if policy is not None else None
        findings += lb_terminates_tls(host, verify, controller, snapshot, sent_back, page)
        findings += lb_proxy_mismatch(host, controller, snapshot)
        unseen += lb_unseen(controller, snapshot)
    if policy is not None and client_checks and not denial and not passthrough:
        findings += error_page_loop(host, policy, winner)
        findings += error_page_path(host, policy, winner, [i for i in applying if not canary(i)])
        findings += error_page_named(host, policy, winner, makers, controller)
    root_denial = None
    if not denial and not passthrough:  # a server-level 403, or no nginx at all, answers before any location
        locations = [i for i in applying if not canary(i)]
        denied, denied_unseen = location_denial_findings(host, locations, controllers, snapshot)
        findings += denied
        unseen += denied_unseen
        findings += external_auth_skipped(host, locations, controllers, snapshot)
        root = root_location_owner(host, makers, locations)
        root_denial = location_denial(root, controllers[root.ref], snapshot)[0] if root else None
    if cn_gate is not None:
        acme = acme_refused(host, ingresses, cn_gate)
        asked = policy is not None and client_checks and policy.verify_client != "off"
        served_http = not_redirected([i for i in applying if not canary(i)], makers, controller) if asked else []
        redirected = [i for i in applying if not canary(i) and i not in served_http] if asked else []
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
        service_unseen=client_checks and not denial and not passthrough and service_unseen(controller, snapshot),
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
