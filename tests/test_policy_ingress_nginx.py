"""ingress-nginx's annotation rules, per-host merging and the policy finding codes."""

from __future__ import annotations

import base64
import copy
from datetime import UTC, datetime

import pytest

from mtls_tui.diagnose.hosts import host_report
from mtls_tui.lab.objects import controller_objects, meow_ingress, seed_objects
from mtls_tui.lab.pki import SeedPki
from mtls_tui.model import SecretProblem
from mtls_tui.policy.ingress_nginx.hosts import host_policies
from mtls_tui.policy.kube_objects import snapshot_from_objects

P = "nginx.ingress.kubernetes.io/"
NOW = datetime.now(UTC)


def report(objects, host: str = "meow.com", **snapshot_changes):
    snapshot = snapshot_from_objects(objects, "test")
    if snapshot_changes:
        from dataclasses import replace

        snapshot = replace(snapshot, **snapshot_changes)
    policy = next(p for p in host_policies(snapshot) if p.host == host)
    return policy, host_report(policy, snapshot, NOW)


def with_ingress(pki: SeedPki, *ingresses) -> list[dict]:
    objects = [o for o in seed_objects(pki) if o["kind"] != "Ingress"]
    return objects + list(ingresses)


def codes(result) -> dict[str, str]:
    return {f.code: f.severity.value for f in result[1].findings}


def test_seed_is_configured(pki: SeedPki) -> None:
    policy, result = report(seed_objects(pki))
    assert policy.policy.secret == "default/my-certs" and policy.policy.verify_depth == 1
    assert "ssl_verify_client on;" in policy.directives
    assert "ssl_client_certificate /etc/ingress-controller/ssl/default-my-certs.pem;" in policy.directives
    assert result.state == "works" and not [f for f in result.findings if f.severity.value == "error"]
    assert [f for f in result.findings if f.severity.value == "warning"]  # the seed's v1 certificates: warnings beside


@pytest.mark.parametrize(
    ("annotations", "code", "expect"),
    [
        ({P + "auth-tls-secret": "my-certs"}, "annotation-secret-format", "error"),
        (
            {P + "auth-tls-secret": "default/my-certs", P + "auth-tls-verify-client": "yes"},
            "annotation-invalid-value",
            "warning",
        ),
        (
            {P + "auth-tls-secret": "default/my-certs", P + "auth-tls-verify-depth": "two"},
            "annotation-invalid-value",
            "warning",
        ),
        (
            {P + "auth-tls-secret": "default/my-certs", P + "auth-tls-error-page": "https://errors.example/?from=mtls"},
            "annotation-invalid-value",
            "error",
        ),
        (
            {P + "auth-tls-secret": "default/my-certs", P + "auth-tls-error-page": "not a url"},
            "annotation-invalid-value",
            "error",
        ),
        (
            {P + "auth-tls-secret": "default/my-certs", P + "auth-tls-pass-certificate-to-upstream": "yes"},
            "annotation-invalid-value",
            "error",
        ),
        (
            {P + "auth-tls-secret": "default/my-certs", P + "auth-tls-match-cn": "Fern"},
            "annotation-invalid-value",
            "error",
        ),
        ({"nginx.org/ssl-client-certificate": "default/my-certs"}, "annotation-wrong-prefix", "error"),
        ({"ingress.kubernetes.io/auth-tls-secret": "default/my-certs"}, "annotation-wrong-prefix", "error"),
        ({P + "auth-tls-secrets": "default/my-certs"}, "annotation-wrong-prefix", "error"),
        ({P + "auth-tls-secret": "other/my-certs"}, "annotation-cross-namespace", "error"),
    ],
)
def test_annotation_rules(pki: SeedPki, annotations: dict, code: str, expect: str) -> None:
    assert codes(report(with_ingress(pki, meow_ingress(annotations))))[code] == expect


def test_silent_rewrites_become_the_controller_values(pki: SeedPki) -> None:
    policy, _ = report(
        with_ingress(
            pki,
            meow_ingress(
                {
                    P + "auth-tls-secret": "default/my-certs",
                    P + "auth-tls-verify-client": "On",
                    P + "auth-tls-verify-depth": "0",
                }
            ),
        )
    )
    assert policy.policy.verify_client == "on" and policy.policy.verify_depth == 1


def controller_config(**data: str) -> dict:
    """The controller's ConfigMap, as --configmap=$(POD_NAMESPACE)/ingress-nginx-controller names it."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
        "data": data,
    }


def test_cross_namespace_allowed_by_the_configmap(pki: SeedPki) -> None:
    """Since v1.12 a setting of the controller's ConfigMap, not a flag: config.go
    AllowCrossNamespaceResources `json:"allow-cross-namespace-resources"` (default false), read by
    authtls/main.go Parse via GetSecurityConfiguration. pkg/flags/flags.go has no such flag."""
    cross = with_ingress(pki, meow_ingress({P + "auth-tls-secret": "other/my-certs"}))
    assert "annotation-cross-namespace" not in codes(
        report([*cross, controller_config(**{"allow-cross-namespace-resources": "true"})])
    )
    assert "annotation-cross-namespace" in codes(
        report([*cross, controller_config(**{"allow-cross-namespace-resources": "false"})])
    )
    assert "annotation-cross-namespace" in codes(report(cross))  # no ConfigMap among the files: the default
    flagged = [o for o in cross if o["kind"] not in ("Deployment", "Pod", "IngressClass")]
    flagged += controller_objects(extra_args=("--allow-cross-namespace-resources=true",))
    assert "annotation-cross-namespace" in codes(report(flagged))  # not a flag of v1.15.1


@pytest.mark.parametrize(
    ("level", "annotation", "dropped"),
    [
        ("Medium", "auth-tls-match-cn", True),  # match-cn is High risk (authtls/main.go)
        ("Medium", "auth-tls-error-page", True),  # High
        ("Medium", "auth-tls-verify-depth", False),  # Low
        ("Low", "auth-tls-verify-client", True),  # Medium: and auth-tls-secret (Medium) alone too
        ("High", "auth-tls-match-cn", False),  # the default level (config.go)
        ("bogus", "auth-tls-verify-depth", True),  # StringRiskToRisk: unknown is Low; the Secret (Medium) is over it
    ],
)
def test_annotations_risk_level(pki: SeedPki, level: str, annotation: str, dropped: bool) -> None:
    """annotations/annotations.go Extract: Validate (parser/validators.go CheckAnnotationRisk) before
    Parse; one annotation over the ConfigMap's annotations-risk-level rejects the whole Ingress, and
    store.go syncIngress skips it: the host is not served by it."""
    value = {
        "auth-tls-match-cn": "CN=Fern",
        "auth-tls-error-page": "https://err.example/",
        "auth-tls-verify-depth": "2",
        "auth-tls-verify-client": "on",
    }[annotation]
    ingress = meow_ingress({P + "auth-tls-secret": "default/my-certs", P + annotation: value})
    objects = [*with_ingress(pki, ingress), controller_config(**{"annotations-risk-level": level})]
    snapshot = snapshot_from_objects(objects, "test")
    policy = next(p for p in host_policies(snapshot) if p.host == "meow.com")
    found = [f for f in policy.findings if f.code == "annotation-too-risky"]
    assert bool(found) == dropped and policy.served == (not dropped), (level, annotation, policy.findings)
    if dropped:
        assert f"annotations-risk-level {level}" in found[0].title
        assert found[0].fix.startswith("kubectl annotate ingress meow-ingress -n default ")


def test_first_ingress_wins_and_conflicts_are_named(pki: SeedPki) -> None:
    first = meow_ingress(name="a-first")
    first["metadata"]["creationTimestamp"] = "2026-01-01T00:00:00Z"
    second = meow_ingress(
        {P + "auth-tls-secret": "default/my-certs", P + "auth-tls-verify-depth": "3"}, name="b-second"
    )
    second["metadata"]["creationTimestamp"] = "2026-02-01T00:00:00Z"
    open_paths = meow_ingress({}, name="c-open")
    open_paths["metadata"]["creationTimestamp"] = "2026-03-01T00:00:00Z"
    policy, result = report(with_ingress(pki, second, first, open_paths))
    assert policy.mtls_from.name == "a-first" and policy.policy.verify_depth == 1
    titles = [f.title for f in result.findings if f.code == "mtls-host-conflict"]
    assert any("default/b-second" in t and "default/a-first wins" in t for t in titles)
    assert any("default/c-open" in t for t in titles)


def test_missing_tls_section(pki: SeedPki) -> None:
    assert codes(report(with_ingress(pki, meow_ingress(tls=False))))["tls-section-missing"] == "error"


def test_secret_missing_ca_names_the_keys(pki: SeedPki) -> None:
    objects = seed_objects(pki)
    secret = next(o for o in objects if o["kind"] == "Secret")
    del secret["data"]["ca.crt"]
    policy, result = report(objects)
    finding = next(f for f in result.findings if f.code == "secret-missing-ca")
    assert "tls.crt, tls.key" in finding.detail and finding.severity.value == "error"
    # a keypair without ca.crt: the controller keeps the Secret and quietly checks no client certificates
    assert "turns mTLS off" in finding.title and not policy.denied and policy.directives == ()


def test_secret_with_neither_keypair_nor_ca_denies_the_locations(pki: SeedPki) -> None:
    objects = seed_objects(pki)
    secret = next(o for o in objects if o["kind"] == "Secret")
    secret["data"] = {"notes.txt": "aGVsbG8="}
    policy, result = report(objects)
    finding = next(f for f in result.findings if f.code == "secret-missing-ca")
    # store/backend_ssl.go getPemCertificate (default branch) → authtls.Parse LocationDenied → nginx.tmpl `return 403;`
    assert (
        policy.denied and "answers 403" in finding.detail and "contains no keypair or CA certificate" in finding.detail
    )


@pytest.mark.parametrize(
    ("key", "expect"),
    [
        ("nginx.org/ssl-services", None),  # F5's own business: not judged
        ("nginx.org/ssl-client-certificate", "error"),  # meant as mTLS, no confident match: no guessed key
        ("ingress.kubernetes.io/auth-tls-secret", "error"),
    ],
)
def test_foreign_prefixes(pki: SeedPki, key: str, expect: str | None) -> None:
    _, result = report(with_ingress(pki, meow_ingress({key: "default/my-certs"})))
    found = [f for f in result.findings if f.code == "annotation-wrong-prefix"]
    assert [f.severity.value for f in found] == ([expect] if expect else [])
    assert all("*" not in f.fix for f in found)
    _, result = report(
        with_ingress(pki, meow_ingress({key: "default/my-certs", P + "auth-tls-secret": "default/my-certs"}))
    )
    leftovers = [f for f in result.findings if f.code == "annotation-wrong-prefix"]
    if key.endswith("auth-tls-secret"):  # the right one is set too: a leftover, not a break
        assert [f.severity.value for f in leftovers] == ["warning"]


def test_secret_not_found_and_forbidden(pki: SeedPki) -> None:
    objects = [o for o in seed_objects(pki) if o["kind"] != "Secret"]
    assert codes(report(objects))["secret-not-found"] == "error"
    problem = SecretProblem(
        "default/my-certs", "forbidden", 'secrets "my-certs" is forbidden: User "x" cannot get resource "secrets"'
    )
    found = codes(report(objects, secret_problems=(problem,)))
    assert found["secret-forbidden"] == "warning" and "secret-not-found" not in found


def test_controller_and_class(pki: SeedPki) -> None:
    no_controller = [
        o for o in seed_objects(pki) if o["kind"] not in ("Deployment", "Pod") or "meow" in o["metadata"]["name"]
    ]
    assert codes(report(no_controller))["controller-not-found"] == "error"
    other_class = meow_ingress()
    other_class["spec"]["ingressClassName"] = "traefik"
    assert codes(report(with_ingress(pki, other_class)))["ingress-class-mismatch"] == "error"


def test_removed_api_version(pki: SeedPki) -> None:
    old = copy.deepcopy(meow_ingress())
    old["apiVersion"] = "extensions/v1beta1"
    assert codes(report(with_ingress(pki, old)))["ingress-api-removed"] == "error"


def test_secret_certificates_are_checked(pki: SeedPki) -> None:
    from mtls_tui.certs.issue import issue_leaf

    objects = seed_objects(pki)
    secret = next(o for o in objects if o["kind"] == "Secret")
    import base64

    other = issue_leaf("meow.com", pki.ca)
    secret["data"]["tls.key"] = base64.b64encode(other.key_pem()).decode()
    policy, result = report(objects)
    assert codes((None, result))["key-mismatch"] == "error"
    # ssl.CreateSSLCert: tls.X509KeyPair fails, so the controller refuses the whole Secret (403) and
    # serves the fake certificate (extractTLSSecretName finds no usable keypair)
    assert policy.denied and codes((None, result))["secret-unusable"] == "error"
    assert {c.secret_key for c in result.certs} == {"ca.crt", "tls.crt"}


@pytest.mark.parametrize(("flag", "annotated"), [(True, True), (False, True), (True, False)])
def test_ssl_passthrough(pki: SeedPki, flag: bool, annotated: bool) -> None:
    """controller.go getBackendServers marks the server SSLPassthrough from the annotation; only with
    --enable-ssl-passthrough (pkg/flags/flags.go) does nginx.go generateTemplate hand the host's TLS to
    the backend (PassthroughBackends), so nginx never checks a client certificate there."""
    annotations = {P + "auth-tls-secret": "default/my-certs"}
    if annotated:
        annotations[P + "ssl-passthrough"] = "true"
    objects = [
        o
        for o in with_ingress(pki, meow_ingress(annotations))
        if o["kind"] not in ("Deployment", "Pod", "IngressClass")
    ]
    objects += controller_objects(extra_args=("--enable-ssl-passthrough",) if flag else ())
    policy, result = report(objects)
    found = codes((policy, result))
    if flag and annotated:
        assert found.get("ssl-passthrough") == "error" and policy.passthrough and not policy.client_checks
        assert result.state == "not enforced" and "passes through to the backend" in result.verdict
        assert not [d for d in policy.directives if d.startswith("ssl_verify_client")]
    elif annotated:
        assert found.get("ssl-passthrough-inactive") == "info" and "ssl_verify_client on;" in policy.directives
    else:
        assert "ssl-passthrough" not in found and "ssl-passthrough-inactive" not in found and not policy.passthrough


@pytest.mark.parametrize("names_host", [True, False])
def test_default_ssl_certificate(pki: SeedPki, names_host: bool) -> None:
    """--default-ssl-certificate (pkg/flags/flags.go): where a host would get the fake certificate
    (no tls: entry; controller.go createServers), getDefaultSSLCertificate serves that Secret instead."""
    from mtls_tui.certs.issue import issue_leaf
    from mtls_tui.lab.pki import secret_manifest

    objects = [
        o for o in with_ingress(pki, meow_ingress(tls=False)) if o["kind"] not in ("Deployment", "Pod", "IngressClass")
    ]
    objects += controller_objects(extra_args=("--default-ssl-certificate=ingress-nginx/wildcard",))
    default = secret_manifest(pki, name="wildcard", namespace="ingress-nginx")
    names = ["meow.com", "*.meow.com"] if names_host else ["other.example"]
    leaf = issue_leaf(names[0], pki.ca, v1=False, sans=names)
    default["data"]["tls.crt"] = base64.b64encode(leaf.cert_pem()).decode()
    default["data"]["tls.key"] = base64.b64encode(leaf.key_pem()).decode()
    policy, result = report([*objects, default])
    found = codes((policy, result))
    assert policy.tls_secret == "ingress-nginx/wildcard"
    if names_host:
        assert found.get("tls-default-certificate") == "info" and "tls-section-missing" not in found
    else:
        missing = next(f for f in result.findings if f.code == "tls-section-missing")
        assert (
            "the default certificate ingress-nginx/wildcard" in missing.title
            and "does not name meow.com" in missing.title
        )


def test_watch_namespace(pki: SeedPki) -> None:
    """--watch-namespace (pkg/flags/flags.go): store.go New lists Ingresses with
    informers.WithNamespace(namespace): an Ingress elsewhere is never seen, so never served."""
    objects = [o for o in with_ingress(pki, meow_ingress()) if o["kind"] not in ("Deployment", "Pod", "IngressClass")]
    elsewhere = objects + controller_objects(extra_args=("--watch-namespace=team-a",))
    policy, result = report(elsewhere)
    assert "ingress-namespace-unwatched" in codes((policy, result)) and not policy.served
    here = objects + controller_objects(extra_args=("--watch-namespace=default",))
    policy, result = report(here)
    assert "ingress-namespace-unwatched" not in codes((policy, result)) and policy.served


def _labelled(objects: list[dict], labels: dict[str, str] | None) -> list[dict]:
    """The objects with Namespace default labelled (None: no Namespace among them)."""
    rest = [o for o in objects if not (o["kind"] == "Namespace" and o["metadata"]["name"] == "default")]
    if labels is None:
        return rest
    return [*rest, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default", "labels": labels}}]


@pytest.mark.parametrize(
    ("selector", "labels", "served", "complete"),
    [
        ("team=payments", {"team": "payments"}, True, True),
        ("team=payments", {"team": "shop"}, False, True),
        ("team=payments", {}, False, True),
        ("team=payments", None, True, False),  # manifests without the Namespace: not judged
        ("team=payments", None, False, True),  # a cluster without it: "Namespace … not existed"
        ("team notin (legacy)", {}, True, True),
        ("kubernetes.io/metadata.name=default", {}, True, True),  # the API server's own label
    ],
)
def test_watch_namespace_selector(pki: SeedPki, selector, labels, served, complete) -> None:
    """--watch-namespace-selector (pkg/flags/flags.go labels.Parse): store.go New takes an Ingress
    only when `watchedNamespace` matches its namespace's labels; a namespace it cannot find is
    not watched; a selector that does not parse stops the controller at start."""
    objects = [o for o in with_ingress(pki, meow_ingress()) if o["kind"] not in ("Deployment", "Pod", "IngressClass")]
    objects = _labelled(objects, labels) + controller_objects(extra_args=(f"--watch-namespace-selector={selector}",))
    snapshot = snapshot_from_objects(objects, "test", complete=complete)
    [policy] = [p for p in host_policies(snapshot) if p.host == "meow.com"]
    unwatched = [f for f in policy.findings if f.code == "ingress-namespace-unwatched"]
    assert not [f for f in policy.findings if f.code == "controller-not-starting"]
    assert policy.served is served and bool(unwatched) is not served, [f.title for f in policy.findings]
    if unwatched and labels is not None:
        assert unwatched[0].fix == "kubectl label namespace default team=payments --overwrite"
    if labels is None and not complete:  # the namespace's labels were not read: not judged, and said so
        assert "Namespace default" in policy.unseen


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (("--watch-namespace-selector=team in (",), "failed to parse --watch-namespace-selector"),
        (("--watch-namespace=default", "--watch-namespace-selector=team=a"), "mutually exclusive"),
        (("--enable-annotation-validation=no",), "is not a boolean"),
        (("--disable-catch-all=yes",), "is not a boolean"),
    ],
)
def test_flags_the_controller_refuses(pki: SeedPki, args, why) -> None:
    """pkg/flags/flags.go ParseFlags returns an error and the controller exits: labels.Parse
    fails, --watch-namespace with --watch-namespace-selector, a boolean pflag cannot parse."""
    objects = [o for o in with_ingress(pki, meow_ingress()) if o["kind"] not in ("Deployment", "Pod", "IngressClass")]
    policy, result = report(objects + controller_objects(extra_args=args))
    [finding] = [f for f in policy.findings if f.code == "controller-not-starting"]
    assert not policy.served and why in finding.title and finding.fix.startswith("kubectl get deployment ")


@pytest.mark.parametrize(
    ("tag", "setting", "refused"),
    [
        ("v1.11.3", None, False),  # v1.10-v1.11: config.go NewDefault AllowCrossNamespaceResources true
        ("v1.12.0", None, True),  # v1.12: false
        ("v1.11.3", "false", True),  # the ConfigMap's setting wins
        ("v1.15.1", "true", False),
    ],
)
def test_cross_namespace_default_by_release(pki: SeedPki, tag: str, setting: str | None, refused: bool) -> None:
    """The default moved at v1.12 (config.go NewDefault at controller-v1.11.0: true; at
    controller-v1.12.0: false); the controller's image tag says which release runs."""
    cross = with_ingress(pki, meow_ingress({P + "auth-tls-secret": "other/my-certs"}))
    objects = [o for o in cross if o["kind"] not in ("Deployment", "Pod", "IngressClass")] + controller_objects()
    for obj in objects:
        if obj["kind"] == "Deployment":
            obj["spec"]["template"]["spec"]["containers"][0]["image"] = (
                f"registry.k8s.io/ingress-nginx/controller:{tag}"
            )
    if setting is not None:
        objects.append(controller_config(**{"allow-cross-namespace-resources": setting}))
    assert ("annotation-cross-namespace" in codes(report(objects))) == refused


def test_the_controllers_event_is_evidence(pki: SeedPki) -> None:
    """store.go syncIngress records AnnotationParsingFailed with the controller's own words: the
    finding about that Ingress's annotations carries it."""
    cross = with_ingress(pki, meow_ingress({P + "auth-tls-secret": "other/my-certs"}))
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "meow-ingress.1", "namespace": "default"},
        "involvedObject": {"kind": "Ingress", "name": "meow-ingress", "namespace": "default"},
        "type": "Warning",
        "reason": "AnnotationParsingFailed",
        "message": "Error parsing annotations: location denied, reason: cross namespace secrets are not supported",
        "count": 3,
    }
    _, result = report([*cross, event])
    finding = next(f for f in result.findings if f.code == "annotation-cross-namespace")
    assert (
        "event Warning AnnotationParsingFailed (x3): Error parsing annotations: location denied, reason: "
        "cross namespace secrets are not supported"
    ) in finding.evidence


def test_annotations_prefix(pki: SeedPki) -> None:
    """--annotations-prefix (pkg/flags/flags.go; parser.GetAnnotationWithPrefix): the controller reads
    its annotations under that prefix only. Under it, mTLS is configured as usual and fixes name it;
    the default prefix's auth-tls annotations are ignored, which is its own error."""
    base = [o for o in seed_objects(pki) if o["kind"] not in ("Ingress", "Deployment", "Pod", "IngressClass")]
    controller = controller_objects(extra_args=("--annotations-prefix=custom.example.com",))
    custom = meow_ingress(
        {"custom.example.com/auth-tls-secret": "default/my-certs", "custom.example.com/auth-tls-verify-depth": "x"}
    )
    policy, result = report([*base, *controller, custom])
    assert policy.policy is not None and policy.policy.secret == "default/my-certs"
    depth = next(f for f in result.findings if f.code == "annotation-invalid-value")
    assert "custom.example.com/auth-tls-verify-depth" in depth.fix, depth.fix
    default = meow_ingress()  # nginx.ingress.kubernetes.io/auth-tls-*: not read by this controller
    policy, result = report([*base, *controller, default])
    assert policy.policy is None and result.state == "not enforced"
    wrong = next(f for f in result.findings if f.code == "annotation-wrong-prefix" and "ignored" in f.title)
    assert "custom.example.com/auth-tls-secret=default/my-certs" in wrong.fix


# --- which Ingresses reach the host's server (controller.go, v1.15.1) -------------------------


def host_only(ingress: dict) -> dict:
    """The Ingress's rule for its host without `http:` (a host-only rule)."""
    for rule in ingress["spec"]["rules"]:
        rule.pop("http", None)
    return ingress


def test_auth_tls_in_a_rule_without_http_does_not_reach_the_host(pki: SeedPki) -> None:
    """controller.go getBackendServers: `if rule.HTTP == nil && host != defServerName { continue }`
    comes before `server.AuthTLSError = …` and `server.CertificateAuth = anns.CertificateAuth`:
    the mTLS Ingress's host-only rule leaves the server without client checks, while the other
    Ingress's paths (createServers made the server either way) are served."""
    asks = host_only(meow_ingress(name="a-mtls"))
    asks["metadata"]["creationTimestamp"] = "2026-01-01T00:00:00Z"
    paths = meow_ingress({}, name="b-paths")
    paths["metadata"]["creationTimestamp"] = "2026-02-01T00:00:00Z"
    policy, result = report(with_ingress(pki, asks, paths))
    assert policy.policy is None and not policy.client_checks and policy.directives == ()
    assert policy.served and policy.tls_secret == "default/my-certs"  # the server and its certificate stay
    assert codes((policy, result))["mtls-rule-without-http"] == "error"
    assert result.state == "not enforced" and "rule without http" in result.verdict
    assert result.lead.code == "mtls-rule-without-http"


def test_a_host_only_rule_beside_a_rule_with_paths_keeps_mtls(pki: SeedPki) -> None:
    """The same Ingress with a second rule for the host that has paths: that rule applies it."""
    both = meow_ingress()
    both["spec"]["rules"].insert(0, {"host": "meow.com"})
    policy, result = report(with_ingress(pki, both))
    assert policy.client_checks and "mtls-rule-without-http" not in codes((policy, result))


def test_auth_tls_of_a_host_only_rule_loses_to_the_rule_with_paths(pki: SeedPki) -> None:
    """Another Ingress's rule with paths gives the host its client checks: the host-only one is
    only named (a warning), and its CA is not the one loaded."""
    asks = host_only(meow_ingress({P + "auth-tls-secret": "default/other"}, name="a-first"))
    asks["metadata"]["creationTimestamp"] = "2026-01-01T00:00:00Z"
    second = meow_ingress(name="b-second")
    second["metadata"]["creationTimestamp"] = "2026-02-01T00:00:00Z"
    policy, result = report(with_ingress(pki, asks, second))
    assert policy.mtls_from.name == "b-second" and policy.policy.secret == "default/my-certs"
    assert codes((policy, result))["mtls-rule-without-http"] == "warning"


def canary(ingress: dict) -> dict:
    ingress["metadata"]["annotations"][P + "canary"] = "true"
    ingress["metadata"]["annotations"][P + "canary-weight"] = "10"
    return ingress


def test_a_host_only_canaries_name_gets_no_server(pki: SeedPki) -> None:
    """createServers: `if anns.Canary.Enabled { continue }` in both of its loops: no server and no
    certificate for a host only a canary names; getBackendServers then puts the canary's
    auth-tls on the catch-all server (`if server == nil { server = servers[defServerName] }`).
    e2e test/e2e/annotations/canary.go: 'should return 404 status for requests to the canary if
    no matching ingress is found'."""
    policy, result = report(with_ingress(pki, canary(meow_ingress(name="meow-canary"))))
    assert not policy.served
    assert codes((policy, result))["host-canary-only"] == "error"
    assert result.state == "broken" and "makes no server" in result.verdict


def test_a_canary_beside_the_main_ingress_brings_its_mtls(pki: SeedPki) -> None:
    """getBackendServers reads every Ingress's auth-tls, canaries included: a canary with the
    annotations gives the main Ingress's server its client checks (the server is the main's)."""
    main = meow_ingress({}, name="a-main")
    main["metadata"]["creationTimestamp"] = "2026-01-01T00:00:00Z"
    beside = canary(meow_ingress(name="b-canary"))
    beside["metadata"]["creationTimestamp"] = "2026-02-01T00:00:00Z"
    policy, result = report(with_ingress(pki, main, beside))
    assert policy.served and policy.client_checks and policy.mtls_from.name == "b-canary"
    assert "host-canary-only" not in codes((policy, result))


@pytest.mark.parametrize("value", ["false", "yes", ""])
def test_a_canary_annotation_go_does_not_read_as_true_is_no_canary(pki: SeedPki, value: str) -> None:
    """canary.Parse: GetBoolAnnotation (strconv.ParseBool); an error leaves Enabled false."""
    ingress = meow_ingress()
    ingress["metadata"]["annotations"][P + "canary"] = value
    policy, _ = report(with_ingress(pki, ingress))
    assert policy.served and policy.client_checks


def with_config(pki: SeedPki, settings: dict[str, str], *ingresses) -> list[dict]:
    objects = [o for o in with_ingress(pki, *ingresses) if o["kind"] != "ConfigMap"]
    deployment = controller_objects()
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
        "data": settings,
    }
    return objects + [o for o in deployment if o["kind"] != "ConfigMap"] + [config]


@pytest.mark.parametrize(
    ("blocklist", "annotations", "skipped"),
    [
        # store.go syncIngress → checkBadAnnotationValue: a substring of any value under the prefix
        ("root,{", {P + "auth-tls-secret": "default/root-ca"}, True),
        ("load_module,{,}", {P + "auth-tls-match-cn": "CN=client-[0-9]{3}"}, True),
        ("load_module, lua_package", {P + "auth-tls-secret": "default/my-certs"}, False),
        (" , ", {P + "auth-tls-secret": "default/my-certs"}, True),  # trims to "": the empty word is in every value
        ("my-certs", {"other.example/x": "my-certs", P + "auth-tls-secret": "default/ca"}, False),  # other prefixes
        ("", {P + "auth-tls-secret": "default/root-ca"}, False),  # config.go NewDefault: "" (no check)
    ],
)
def test_a_blocklisted_word_skips_the_whole_ingress(pki: SeedPki, blocklist, annotations, skipped) -> None:
    objects = with_config(pki, {"annotation-value-word-blocklist": blocklist}, meow_ingress(annotations))
    policy, result = report(objects)
    found = [f for f in result.findings if f.code == "annotation-blocklisted"]
    assert bool(found) is skipped and policy.served is not skipped
    if skipped:
        assert result.state == "broken" and found[0].fix.startswith("kubectl get configmap ingress-nginx-controller")


@pytest.mark.parametrize("value", ["/my-certs", "default/ my-certs", "default/My-Certs"])
def test_a_secret_reference_no_secret_can_have_answers_403(pki: SeedPki, value: str) -> None:
    """authtls.Parse: ParseNameNS passes (an empty namespace becomes the Ingress's), then
    store.GetAuthCertificate looks the Secret up by the value as written: no Secret has that
    key (the API server's names are DNS-1123), a location denial, `return 403;`. With manifest
    files too: no file can hold it."""
    policy, result = report(with_ingress(pki, meow_ingress({P + "auth-tls-secret": value})), complete=False)
    found = next(f for f in result.findings if f.code == "annotation-secret-format")
    assert policy.denied and result.state == "broken" and "names no Secret" in found.title
    assert found.fix.endswith(f"{P}auth-tls-secret=default/{value.split('/')[1].strip()} --overwrite")


def test_an_auth_tls_key_in_other_case_is_not_read(pki: SeedPki) -> None:
    """Annotations are a map[string]string: parser.GetStringAnnotation reads the exact key."""
    policy, result = report(with_ingress(pki, meow_ingress({P + "Auth-TLS-Secret": "default/my-certs"})))
    assert policy.policy is None and result.state == "not enforced"
    assert codes((policy, result))["annotation-wrong-prefix"] == "error"


# --- annotations-risk-level and snippets (annotations.go Extract, controller.go dropSnippetDirectives) ---


def snippet_case(pki: SeedPki, settings: dict[str, str] | None, *ingresses) -> list[dict]:
    return with_config(pki, settings or {}, *ingresses) if settings is not None else with_ingress(pki, *ingresses)


@pytest.mark.parametrize(
    ("name", "settings", "dropped"),
    [
        # serversnippet/main.go, snippet/main.go: Risk Critical; config.go NewDefault: AnnotationsRiskLevel "High"
        ("configuration-snippet", {}, True),
        ("server-snippet", {}, True),
        ("server-snippet", None, True),  # no controller among the files: v1.15.1's defaults
        ("server-snippet", {"annotations-risk-level": "Critical"}, False),
        ("upstream-hash-by", {"annotations-risk-level": "Medium"}, True),  # upstreamhashby/main.go: High
        ("proxy-body-size", {}, False),  # proxy/main.go: Medium
    ],
)
def test_any_annotation_over_the_risk_level_drops_the_ingress(pki: SeedPki, name, settings, dropped) -> None:
    """Extractor.Extract calls every parser's Validate (CheckAnnotationRisk) before parsing: one
    annotation over annotations-risk-level fails the whole Ingress, auth-tls included, and the
    store skips it (store.go syncIngress)."""
    ingress = meow_ingress({**meow_ingress()["metadata"]["annotations"], P + name: "x"})
    policy, result = report(snippet_case(pki, settings, ingress))
    found = [f for f in result.findings if f.code == "annotation-too-risky"]
    assert bool(found) is dropped and policy.served is not dropped
    if dropped:
        assert name in found[0].title


def test_a_dropped_mtls_ingress_beside_a_plain_one_leaves_the_host_open(pki: SeedPki) -> None:
    """The plain Ingress still makes the host's server, with no client checks: not enforced."""
    risky = meow_ingress({**meow_ingress()["metadata"]["annotations"], P + "server-snippet": "add_header X 1;"})
    plain = meow_ingress({}, name="meow-plain")
    policy, result = report(with_config(pki, {}, risky, plain))
    assert policy.served and not policy.client_checks
    assert result.state == "not enforced" and "does not serve it" in result.verdict
    assert result.lead.code == "annotation-too-risky"


ALLOWED = {"annotations-risk-level": "Critical", "allow-snippet-annotations": "true"}


@pytest.mark.parametrize(
    ("name", "snippet", "settings", "code"),
    [
        ("server-snippet", "ssl_verify_client off;", ALLOWED, "snippet-breaks-nginx"),
        ("configuration-snippet", "ssl_verify_client off;", ALLOWED, "snippet-breaks-nginx"),
        ("server-snippet", "if ($ssl_client_verify != SUCCESS) { return 403; }", ALLOWED, "snippet-client-checks"),
        # config.go NewDefault AllowSnippetAnnotations false (v1.9.0 on): dropSnippetDirectives removes it
        ("server-snippet", "ssl_verify_client off;", {"annotations-risk-level": "Critical"}, None),
    ],
)
def test_snippets_that_touch_client_certificates(pki: SeedPki, name, snippet, settings, code) -> None:
    annotations = {
        **meow_ingress()["metadata"]["annotations"],
        P + "auth-tls-verify-client": "optional",
        P + name: snippet,
    }
    policy, result = report(with_config(pki, settings, meow_ingress(annotations)))
    found = {f.code for f in result.findings} & {"snippet-breaks-nginx", "snippet-client-checks"}
    assert found == ({code} if code else set())
    if code == "snippet-breaks-nginx":
        assert result.state == "broken"
    elif code == "snippet-client-checks":  # optional + its own check: only a probe can tell
        assert result.state == "unverified" and any("server-snippet" in u for u in policy.unseen)
    else:
        assert result.state == "not enforced"


@pytest.mark.nginx
@pytest.mark.parametrize(
    ("server", "location", "error"),
    [
        ("ssl_verify_client on;\n  ssl_verify_client off;", "", '"ssl_verify_client" directive is duplicate'),
        ("ssl_verify_client on;", "ssl_verify_client off;", '"ssl_verify_client" directive is not allowed here'),
        ("ssl_verify_client on;", "ssl_verify_depth 2;", '"ssl_verify_depth" directive is not allowed here'),
    ],
)
def test_nginx_refuses_a_snippet_that_repeats_the_client_check(nginx_binary: str, tmp_path, server, location, error):
    """What snippet-breaks-nginx says, measured: the template writes the server-snippet after the
    rendered ssl_verify_client, and a configuration-snippet inside a location; `nginx -t` (the
    controller's testTemplate) refuses both."""
    import subprocess

    from mtls_tui.certs.issue import issue_ca
    from mtls_tui.lab.pki import write_file

    ca = issue_ca("Snippet CA")
    write_file(tmp_path / "ca.crt", ca.cert_pem())
    write_file(tmp_path / "ca.key", ca.key_pem(), private=True)
    (tmp_path / "logs").mkdir()
    (tmp_path / "nginx.conf").write_text(
        "error_log logs/error.log;\npid logs/nginx.pid;\nevents {}\nhttp {\n server {\n  listen 127.0.0.1:1 ssl;\n"
        f"  ssl_certificate {tmp_path}/ca.crt;\n  ssl_certificate_key {tmp_path}/ca.key;\n"
        f"  ssl_client_certificate {tmp_path}/ca.crt;\n  {server}\n  location / {{ {location} return 200; }}\n }}\n}}\n"
    )
    done = subprocess.run(
        [nginx_binary, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode != 0 and error in done.stderr


@pytest.mark.parametrize(
    ("name", "snippet", "mode", "code", "state"),
    [
        # nginx.tmpl: $cfg.ServerSnippet after define "SERVER" (its ssl_verify_client): duplicate
        ("server-snippet", "ssl_verify_client optional;", "on", "snippet-breaks-nginx", "broken"),
        # $all.Cfg.LocationSnippet inside every location: ssl_verify_client is not taken there
        ("location-snippet", "ssl_verify_depth 2;", "on", "snippet-breaks-nginx", "broken"),
        # an `if` of its own: optional lets nginx through, the snippet refuses (measured below)
        (
            "location-snippet",
            "if ($ssl_client_verify != SUCCESS) { return 403; }",
            "optional",
            "snippet-client-checks",
            "unverified",
        ),
        (
            "server-snippet",
            "if ($ssl_client_verify != SUCCESS) { return 403; }",
            "optional",
            "snippet-client-checks",
            "unverified",
        ),
        ("server-snippet", "add_header X-Team a;", "on", None, "works"),
    ],
)
def test_configmap_snippets_reach_every_host(pki: SeedPki, name, snippet, mode, code, state) -> None:
    """The ConfigMap's server-snippet and location-snippet are written into every server and every
    location (nginx.tmpl; config.go: "If disabled, only snippets added via ConfigMap are added"):
    allow-snippet-annotations (false by default) does not keep them out."""
    annotations = {**meow_ingress()["metadata"]["annotations"], P + "auth-tls-verify-client": mode}
    policy, result = report(with_config(pki, {name: snippet}, meow_ingress(annotations)))
    found = [f for f in result.findings if f.code in ("snippet-breaks-nginx", "snippet-client-checks")]
    assert [f.code for f in found] == ([code] if code else []) and result.state == state, result.verdict
    if code:
        assert found[0].subject == "ConfigMap ingress-nginx/ingress-nginx-controller"
    if code == "snippet-client-checks":
        assert any(name in u for u in policy.unseen)


@pytest.mark.parametrize(
    ("has_ca", "code", "state"), [(True, None, "works"), (False, "snippet-client-checks", "broken")]
)
def test_the_configmap_http_snippet_reaches_servers_without_their_own_checks(pki: SeedPki, has_ca, code, state) -> None:
    """nginx.tmpl writes $cfg.HTTPSnippet into `http {}`: a server with rendered client checks keeps
    its own (measured below); one without (a Secret with no ca.crt: mTLS off, secret-missing-ca stays an
    error) inherits the snippet's, which the tool names instead of calling the host open."""
    snippet = "ssl_client_certificate /etc/ingress-controller/origin-ca.pem;\nssl_verify_client on;"
    objects = with_config(pki, {"http-snippet": snippet}, meow_ingress())
    if not has_ca:
        del next(o for o in objects if o["kind"] == "Secret")["data"]["ca.crt"]
    policy, result = report(objects)
    found = [f.code for f in result.findings if f.code.startswith("snippet-")]
    assert found == ([code] if code else []) and result.state == state, result.verdict


@pytest.mark.nginx
def test_a_server_keeps_its_own_client_checks_over_the_http_levels(pki: SeedPki, nginx_binary: str) -> None:
    """Measured: `ssl_verify_client on` and a CA at http level (where the ConfigMap's http-snippet
    lands); a server without its own asks every client (400 without a certificate), a server with
    its own `ssl_verify_client optional` (rendered auth-tls) lets them in (200)."""
    import httpx

    from mtls_tui.lab.nginx import Nginx, free_port
    from mtls_tui.lab.pki import write_file

    port = free_port()

    def body(prefix) -> str:
        write_file(prefix / "s.crt", pki.server.cert_pem())
        write_file(prefix / "s.key", pki.server.key_pem(), private=True)
        write_file(prefix / "ca.crt", pki.ca.cert_pem())
        return (
            f"ssl_client_certificate {prefix}/ca.crt;\nssl_verify_client on;\n"
            f"ssl_certificate {prefix}/s.crt;\nssl_certificate_key {prefix}/s.key;\n"
            f"server {{\n  listen 127.0.0.1:{port} ssl;\n  server_name plain.com;\n  location / {{ return 200; }}\n}}\n"
            f"server {{\n  listen 127.0.0.1:{port} ssl;\n  server_name meow.com;\n"
            f"  ssl_client_certificate {prefix}/ca.crt;\n  ssl_verify_client optional;\n  location / {{ return 200; }}\n}}"
        )

    with Nginx(body, [port], binary=nginx_binary):
        with httpx.Client(verify=False, timeout=5) as client:
            answers = {}
            for host in ("plain.com", "meow.com"):
                request = client.build_request(
                    "GET", f"https://127.0.0.1:{port}/", headers={"Host": host}, extensions={"sni_hostname": host}
                )
                answers[host] = client.send(request).status_code
    assert answers == {"plain.com": 400, "meow.com": 200}


@pytest.mark.nginx
@pytest.mark.parametrize("where", ["server", "location"])
def test_a_snippet_check_refuses_what_optional_lets_in(pki: SeedPki, nginx_binary: str, where: str) -> None:
    """Why a ConfigMap snippet's own check makes an optional host unverified, not open, measured:
    the server ingress-nginx renders for auth-tls-verify-client optional (ssl_verify_client
    optional) with `if ($ssl_client_verify != SUCCESS) { return 403; }` where nginx.tmpl writes the
    ConfigMap's server-snippet or location-snippet: 403 without a certificate, 200 with one."""
    import ssl

    import httpx

    from mtls_tui.lab.nginx import Nginx, free_port
    from mtls_tui.lab.pki import write_file

    port = free_port()
    check = "if ($ssl_client_verify != SUCCESS) { return 403; }"

    def body(prefix) -> str:
        write_file(prefix / "s.crt", pki.server.cert_pem())
        write_file(prefix / "s.key", pki.server.key_pem(), private=True)
        write_file(prefix / "ca.crt", pki.ca.cert_pem())
        return (
            f"server {{\n  listen 127.0.0.1:{port} ssl;\n  server_name meow.com;\n"
            f"  ssl_certificate {prefix}/s.crt;\n  ssl_certificate_key {prefix}/s.key;\n"
            f"  ssl_client_certificate {prefix}/ca.crt;\n  ssl_verify_client optional;\n  ssl_verify_depth 1;\n"
            f"  {check if where == 'server' else ''}\n"
            f'  location / {{ {check if where == "location" else ""} return 200 "upstream\\n"; }}\n}}'
        )

    with Nginx(body, [port], binary=nginx_binary) as server:
        assert server.prefix is not None
        write_file(server.prefix / "c.crt", pki.client.cert_pem())
        write_file(server.prefix / "c.key", pki.client.key_pem(), private=True)
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        context.load_cert_chain(str(server.prefix / "c.crt"), str(server.prefix / "c.key"))
        url, headers = f"https://127.0.0.1:{port}/", {"Host": "meow.com"}
        without = httpx.get(url, headers=headers, verify=False, timeout=5)
        with httpx.Client(verify=context, timeout=5) as client:
            with_cert = client.get(url, headers=headers)
    assert (without.status_code, with_cert.status_code) == (403, 200)


@pytest.mark.parametrize(
    ("value", "settings", "denial"),
    [
        ("default/my-certs", {}, None),  # GetAuthCertificate takes it: nginx's certificate to the backend
        ("default/upstream-client", {}, "local SSL certificate default/upstream-client was not found"),
        ("upstream-client", {}, "invalid format (namespace/name) found in 'upstream-client'"),  # k8s.ParseNameNS
        ("other/my-certs", {}, "cross namespace secrets are not supported"),
        # allowed across namespaces, the Secret itself is looked up (and is not there)
        ("other/my-certs", {"allow-cross-namespace-resources": "true"}, "other/my-certs was not found"),
    ],
)
def test_a_proxy_ssl_secret_the_controller_cannot_use_denies_the_paths(pki: SeedPki, value, settings, denial) -> None:
    """proxyssl/main.go proxySSL.Parse (v1.15.1): a bad reference is a LocationDeniedError;
    annotations.go Extract sets the Ingress's Denied, nginx.tmpl renders `return 503;` in each of its
    locations, after nginx checked the client's certificate (measured in test_controller_conformance)."""
    annotations = {**meow_ingress()["metadata"]["annotations"], P + "proxy-ssl-secret": value}
    _, result = report(with_config(pki, settings, meow_ingress(annotations)))
    found = [f for f in result.findings if f.code == "location-denied"]
    if denial is None:
        assert not found and result.state == "works", result.verdict
    else:
        assert len(found) == 1 and denial in found[0].title and result.state == "broken", result.verdict
        assert found[0].severity.value == "error" and "503" in found[0].title


def test_a_proxy_ssl_secret_not_among_the_files_is_unverified(pki: SeedPki) -> None:
    annotations = {**meow_ingress()["metadata"]["annotations"], P + "proxy-ssl-secret": "default/upstream-client"}
    policy, result = report(with_ingress(pki, meow_ingress(annotations)), complete=False)
    assert result.state == "unverified" and any("upstream-client" in u for u in policy.unseen), result.verdict


def basic_auth_secret(name: str, key: str = "auth", namespace: str = "default") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "data": {key: base64.b64encode(b"fern:$apr1$Xk1kWmY8$3Zr6r2qZpC5l4m0hX2m3o/\n").decode()},
    }


@pytest.mark.parametrize(
    ("annotations", "secrets", "settings", "denial"),
    [
        ({"auth-type": "basic", "auth-secret": "basic-auth"}, [basic_auth_secret("basic-auth")], {}, None),
        ({"auth-type": "digest", "auth-secret": "default/basic-auth"}, [basic_auth_secret("basic-auth")], {}, None),
        # auth-map: each key is a user, any keys do
        (
            {"auth-type": "basic", "auth-secret": "m", "auth-secret-type": "auth-map"},
            [basic_auth_secret("m", "fern")],
            {},
            None,
        ),
        ({"auth-type": "basic", "auth-secret": "basic-auth"}, [], {}, 'secrets "basic-auth" not found'),
        # kubectl create secret generic basic-auth --from-file=htpasswd: the key is not `auth` (dumpSecretAuthFile)
        (
            {"auth-type": "basic", "auth-secret": "basic-auth"},
            [basic_auth_secret("basic-auth", "htpasswd")],
            {},
            "does not contain a key with value auth",
        ),
        ({"auth-type": "basic"}, [], {}, "error reading secret name from annotation"),
        (
            {"auth-type": "basic", "auth-secret": "other/basic-auth"},
            [basic_auth_secret("basic-auth", namespace="other")],
            {},
            "cross namespace usage of secrets is not allowed",
        ),
        (
            {"auth-type": "basic", "auth-secret": "other/basic-auth"},
            [basic_auth_secret("basic-auth", namespace="other")],
            {"allow-cross-namespace-resources": "true"},
            None,
        ),
        ({"auth-secret": "nothere"}, [], {}, None),  # no auth-type: the parser stops, nothing is denied
    ],
)
def test_basic_auth_the_controller_cannot_use_denies_the_paths(
    pki: SeedPki, annotations, secrets, settings, denial
) -> None:
    """auth/main.go auth.Parse (v1.15.1): a missing or unusable auth-secret is a LocationDeniedError;
    annotations.go Extract sets Denied and nginx.tmpl renders `return 503;` in the locations, after the
    client certificate is checked (conformance C92, C93 on real nginx). auth-secret and auth-type are
    basic authentication's own annotations, never misspellings of auth-tls ones."""
    given = {**meow_ingress()["metadata"]["annotations"], **{P + k: v for k, v in annotations.items()}}
    _, result = report(with_config(pki, settings, meow_ingress(given)) + secrets)
    found = [f for f in result.findings if f.code == "location-denied"]
    assert not [f for f in result.findings if f.code == "annotation-wrong-prefix"], result.findings
    if denial is None:
        assert not found and result.state == "works", result.verdict
    else:
        assert len(found) == 1 and denial in found[0].title and result.state == "broken", result.verdict


def test_basic_auth_secret_not_among_the_files_is_unverified(pki: SeedPki) -> None:
    annotations = {**meow_ingress()["metadata"]["annotations"], P + "auth-type": "basic", P + "auth-secret": "htpw"}
    policy, result = report(with_ingress(pki, meow_ingress(annotations)), complete=False)
    assert result.state == "unverified" and any("htpw" in u for u in policy.unseen), result.verdict


# --- which controller serves which Ingress (store.go, v1.15.1) ----------------------------------


def second_controller(name: str = "internal", extra_args: tuple[str, ...] = ()) -> list[dict]:
    """A second ingress-nginx (another Deployment, --ingress-class and --controller-class) and its
    IngressClass, as a second Helm release makes them."""
    objects = copy.deepcopy(controller_objects(replicas=1, extra_args=extra_args))
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    deployment["metadata"].update(name=f"ingress-nginx-{name}", namespace=f"ingress-{name}")
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    args[:] = [
        a.replace("--controller-class=k8s.io/ingress-nginx", f"--controller-class=k8s.io/{name}").replace(
            "--ingress-class=nginx", f"--ingress-class={name}"
        )
        for a in args
    ]
    klass = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": name},
        "spec": {"controller": f"k8s.io/{name}"},
    }
    return [deployment, klass]


def of_class(ingress: dict, klass: str, created: str) -> dict:
    ingress["spec"]["ingressClassName"] = klass
    ingress["metadata"]["creationTimestamp"] = created
    return ingress


def test_two_controllers_on_one_host_render_a_server_each(pki: SeedPki) -> None:
    """store.go New, ingressClassEventHandler AddFunc: a controller lists only the IngressClasses whose
    spec.controller is its --controller-class; GetIngressClass refuses an Ingress whose
    ingressClassName is not among them. So each controller renders its own server for meow.com from
    its own Ingresses: the plain Ingress of class nginx is not covered by the internal controller's
    auth-tls, and the nginx controller's server asks no client certificate."""
    public = of_class(meow_ingress({}, name="meow-public"), "nginx", "2026-01-01T00:00:00Z")
    secure = of_class(meow_ingress(name="meow-secure"), "internal", "2026-01-02T00:00:00Z")
    policy, result = report([*with_ingress(pki, public, secure), *second_controller()])
    assert policy.mtls_from.name == "meow-secure" and policy.client_checks
    assert policy.controller.ref == "ingress-internal/ingress-nginx-internal"
    assert [i.name for i in policy.ingresses] == ["meow-secure"]
    conflicts = [f for f in result.findings if f.code == "mtls-other-controller-open"]
    assert [f.severity.value for f in conflicts] == ["error"], [f.title for f in conflicts]
    assert result.state == "not enforced" and result.lead is conflicts[0]  # an open door at the other address
    assert "also served by ingress-nginx/ingress-nginx-controller (default/meow-public) without client" in (
        conflicts[0].title
    )
    assert conflicts[0].fix == (
        "kubectl annotate ingress meow-public -n default nginx.ingress.kubernetes.io/auth-tls-secret=default/my-certs "
        "nginx.ingress.kubernetes.io/auth-tls-verify-client=on --overwrite"
    )
    # the old merge said the plain Ingress's paths required client certificates: not so
    assert not [f for f in conflicts if "require client certificates too" in f.title]


def test_two_controllers_each_with_client_checks(pki: SeedPki) -> None:
    """Both controllers' Ingresses ask client certificates: each server has its own; the other is named (info)."""
    public = of_class(meow_ingress(name="meow-public"), "nginx", "2026-01-01T00:00:00Z")
    secure = of_class(meow_ingress(name="meow-secure"), "internal", "2026-01-02T00:00:00Z")
    policy, result = report([*with_ingress(pki, public, secure), *second_controller()])
    assert policy.mtls_from.name == "meow-public" and policy.client_checks
    [other] = [f for f in result.findings if f.code == "mtls-host-conflict"]
    assert other.severity.value == "info" and "ingress-internal/ingress-nginx-internal" in other.title
    assert result.state == "works"


def catch_all(ingress: dict) -> dict:
    ingress["spec"]["defaultBackend"] = {"service": {"name": "meow-svc", "port": {"number": 80}}}
    return ingress


@pytest.mark.parametrize(
    ("args", "backend", "ignored"),
    [
        (("--disable-catch-all=true",), True, True),
        (("--disable-catch-all",), True, True),  # a bare boolean flag is true (pflag NoOptDefVal)
        (("--disable-catch-all=true",), False, False),  # no spec.defaultBackend: not a catch-all
        (("--disable-catch-all=false",), True, False),
        ((), True, False),  # pkg/flags/flags.go: disable-catch-all defaults to false
    ],
)
def test_disable_catch_all_ignores_an_ingress_with_a_default_backend(pki: SeedPki, args, backend, ignored) -> None:
    """store.go New, ingEventHandler AddFunc: `if hasCatchAllIngressRule(ing.Spec) && disableCatchAll`
    → "Ignoring add for catch-all ingress because of --disable-catch-all", return: the Ingress is never
    stored, rules and auth-tls included (hasCatchAllIngressRule: `spec.DefaultBackend != nil`; e2e
    test/e2e/settings/disable_catch_all.go 'should ignore catch all Ingress with backend and rules')."""
    ingress = catch_all(meow_ingress()) if backend else meow_ingress()
    objects = [o for o in with_ingress(pki, ingress) if o["kind"] not in ("Deployment", "Pod", "IngressClass")]
    policy, result = report(objects + controller_objects(extra_args=args))
    found = [f for f in result.findings if f.code == "ingress-catch-all-ignored"]
    assert bool(found) is ignored and policy.served is not ignored and policy.client_checks is not ignored
    if ignored:
        assert result.state == "broken" and found[0].fix == (
            "kubectl patch ingress meow-ingress -n default --type json -p "
            """'[{"op":"remove","path":"/spec/defaultBackend"}]'"""
        )


def test_disable_catch_all_leaves_the_host_to_the_plain_ingress(pki: SeedPki) -> None:
    """The mTLS Ingress has spec.defaultBackend and is ignored; the plain Ingress for the same host is
    stored and makes the server: no client checks, and the mTLS Ingress's error says why."""
    secure = of_class(catch_all(meow_ingress(name="meow")), "nginx", "2026-01-01T00:00:00Z")
    plain = of_class(meow_ingress({}, name="meow-plain"), "nginx", "2026-01-02T00:00:00Z")
    objects = [o for o in with_ingress(pki, secure, plain) if o["kind"] not in ("Deployment", "Pod", "IngressClass")]
    policy, result = report(objects + controller_objects(extra_args=("--disable-catch-all=true",)))
    assert policy.served and not policy.client_checks and policy.policy is None
    assert codes((policy, result))["ingress-catch-all-ignored"] == "error"
    # the plain Ingress serves the host without client checks: the door is open, and the ignored one says why
    assert result.state == "not enforced" and result.lead.code == "ingress-catch-all-ignored"


def by_annotation(ingress: dict, klass: str) -> dict:
    """The class given by the deprecated annotation instead of spec.ingressClassName."""
    del ingress["spec"]["ingressClassName"]
    ingress["metadata"]["annotations"]["kubernetes.io/ingress.class"] = klass
    return ingress


def ingress_class(name: str, controller: str) -> dict:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": name},
        "spec": {"controller": controller},
    }


def test_the_class_annotation_is_compared_with_the_flag_not_with_ingress_classes(pki: SeedPki) -> None:
    """store.go GetIngressClass: without spec.ingressClassName, `class != icConfig.AnnotationValue`
    (--ingress-class, pkg/flags/flags.go default "nginx") → "ingress class annotation is not equal to the
    expected by Ingress Controller"; IngressClass objects are not looked at. An IngressClass
    nginx-public of k8s.io/ingress-nginx does not make the annotation nginx-public served."""
    objects = [
        *with_ingress(pki, by_annotation(meow_ingress(), "nginx-public")),
        ingress_class("nginx-public", "k8s.io/ingress-nginx"),
    ]
    policy, result = report(objects)
    [found] = [f for f in result.findings if f.code == "ingress-class-mismatch"]
    assert not policy.served and result.state == "broken" and "--ingress-class is nginx" in found.title
    assert found.fix == "kubectl annotate ingress meow-ingress -n default kubernetes.io/ingress.class=nginx --overwrite"
    # the controller run with --ingress-class=nginx-public takes it
    flagged = [o for o in objects if o["kind"] not in ("Deployment", "Pod")]
    flagged += [
        o for o in controller_objects(extra_args=("--ingress-class=nginx-public",)) if o["kind"] != "IngressClass"
    ]
    policy, result = report(flagged)
    assert policy.served and policy.client_checks and "ingress-class-mismatch" not in codes((policy, result))


@pytest.mark.parametrize("controllers", [True, False])
def test_the_class_annotation_nginx_is_served_though_the_nginx_ingress_class_is_f5s(pki: SeedPki, controllers) -> None:
    """The same GetIngressClass: annotation nginx equals the default --ingress-class; that the IngressClass
    named nginx belongs to F5 (nginx.org/ingress-controller) does not matter. With the Deployment among the
    files and without it (ingress-nginx with its default flags assumed)."""
    objects = [o for o in with_ingress(pki, by_annotation(meow_ingress(), "nginx")) if o["kind"] != "IngressClass"]
    objects.append(ingress_class("nginx", "nginx.org/ingress-controller"))
    if not controllers:
        objects = [o for o in objects if o["kind"] not in ("Deployment", "Pod")]
    snapshot = snapshot_from_objects(objects, "test", complete=controllers)
    [policy] = [p for p in host_policies(snapshot) if p.host == "meow.com"]
    assert policy.served and policy.client_checks
    assert not [f for f in policy.findings if f.code == "ingress-class-mismatch"]


@pytest.mark.parametrize(("by_name", "served"), [(True, True), (False, False)])
def test_ingress_class_by_name(pki: SeedPki, by_name: bool, served: bool) -> None:
    """store.go ingressClassEventHandler AddFunc: with --ingress-class-by-name, an IngressClass whose name is
    --ingress-class (icConfig.AnnotationValue) is stored although its spec.controller is another's
    (foundClassByName); GetIngressClass then finds it for spec.ingressClassName."""
    objects = [o for o in with_ingress(pki, meow_ingress()) if o["kind"] not in ("Deployment", "Pod", "IngressClass")]
    objects.append(ingress_class("nginx", "example.com/other"))
    args = ("--ingress-class-by-name=true",) if by_name else ()
    objects += [o for o in controller_objects(extra_args=args) if o["kind"] != "IngressClass"]
    policy, result = report(objects)
    assert policy.served is served and policy.client_checks is served
    assert ("ingress-class-mismatch" in codes((policy, result))) is not served
    # by name only: another IngressClass of example.com/other is not taken
    other = [o for o in objects if o["kind"] != "Ingress"] + [ingress_class("other", "example.com/other")]
    renamed = meow_ingress()
    renamed["spec"]["ingressClassName"] = "other"
    policy, _ = report([*other, renamed])
    assert not policy.served


@pytest.mark.parametrize(
    ("alias", "args", "dropped"),
    [
        ("www.meow.com alias.meow.com", (), True),  # nginx's space-separated form: a space in one name
        ("www.meow.com, alias.meow.com", (), False),  # ValidateServerName trims each name
        ("~^www\\d+\\.meow\\.com$", (), False),  # IsValidRegex allows regex characters
        ("www.meow.com;", (), True),
        ("www.meow.com alias.meow.com", ("--enable-annotation-validation=false",), False),  # checkAnnotation skips
        ("", (), False),  # "We don't run validation against empty values"
    ],
)
def test_a_server_alias_that_fails_validation_drops_the_ingress(pki: SeedPki, alias, args, dropped) -> None:
    """alias/main.go: server-alias has Validator parser.ValidateArrayOfServerName (validators.go: each
    comma-separated name, TrimSpace'd, must match IsValidRegex); checkAnnotation returns a
    ValidationError, annotations.go Extract returns it, store.go syncIngress logs it and stores nothing."""
    ingress = meow_ingress()
    ingress["metadata"]["annotations"][P + "server-alias"] = alias
    objects = [o for o in with_ingress(pki, ingress) if o["kind"] not in ("Deployment", "Pod", "IngressClass")]
    policy, result = report(objects + controller_objects(extra_args=args))
    found = [f for f in result.findings if f.code == "annotation-invalid-value" and "server-alias" in f.title]
    assert bool(found) is dropped and policy.served is not dropped and policy.client_checks is not dropped
    if dropped:
        assert result.state == "broken"
    if dropped and " " in alias:
        assert found[0].fix == (
            "kubectl annotate ingress meow-ingress -n default "
            "nginx.ingress.kubernetes.io/server-alias=www.meow.com,alias.meow.com --overwrite"
        )


def test_a_dropped_alias_ingress_leaves_the_host_to_the_plain_one(pki: SeedPki) -> None:
    """The mTLS Ingress is dropped; the plain Ingress for the host makes the server, with no client check."""
    secure = of_class(meow_ingress(name="meow"), "nginx", "2026-01-01T00:00:00Z")
    secure["metadata"]["annotations"][P + "server-alias"] = "www.meow.com alias.meow.com"
    plain = of_class(meow_ingress({}, name="meow-public"), "nginx", "2026-01-02T00:00:00Z")
    policy, result = report(with_ingress(pki, secure, plain))
    assert policy.served and not policy.client_checks and policy.policy is None
    assert codes((policy, result))["annotation-invalid-value"] == "error"
    assert result.state == "not enforced" and result.lead.code == "annotation-invalid-value"  # the plain one serves it
    assert not [f for f in result.findings if "require client certificates too" in f.title]


def default_backend_only(ingress: dict) -> dict:
    """The Ingress with its rule's backend as spec.defaultBackend and no rules."""
    catch_all(ingress)
    del ingress["spec"]["rules"]
    return ingress


def test_auth_tls_of_an_ingress_with_only_a_default_backend_is_never_applied(pki: SeedPki) -> None:
    """controller.go createServers: an Ingress with a defaultBackend and `len(ing.Spec.Rules) == 0`
    configures the catch-all server `_`; getBackendServers sets AuthTLSError and CertificateAuth only
    inside `for _, rule := range ing.Spec.Rules`: with no rule its auth-tls reaches no server. meow.com
    (its tls: host) has no server: the default server proxies the backend with no client check."""
    policy, result = report(with_ingress(pki, default_backend_only(meow_ingress())))
    [found] = [f for f in result.findings if f.code == "mtls-catch-all-unapplied"]
    assert found.severity.value == "error" and result.state == "broken"
    assert not policy.served and not policy.client_checks and policy.directives == ()
    assert "meow.com reaches that backend without a client certificate" in found.title
    # beside it, an Ingress whose rule for meow.com gives the server client checks: only named
    rules = of_class(meow_ingress(name="meow-rules"), "nginx", "2026-01-02T00:00:00Z")
    policy, result = report(with_ingress(pki, default_backend_only(meow_ingress()), rules))
    [found] = [f for f in result.findings if f.code == "mtls-catch-all-unapplied"]
    assert found.severity.value == "warning" and policy.client_checks and policy.mtls_from.name == "meow-rules"


def test_a_default_backend_beside_rules_is_no_catch_all(pki: SeedPki) -> None:
    """With rules, the defaultBackend is only the default upstream of its rules ('defines both a backend and
    rules'): the rules apply the auth-tls as usual."""
    policy, result = report(with_ingress(pki, catch_all(meow_ingress())))
    assert policy.client_checks and "mtls-catch-all-unapplied" not in codes((policy, result))


def wildcard_and_alias(pki: SeedPki, alias: str, *, other_has_mtls: bool = False) -> list[dict]:
    wild = meow_ingress(name="wild", host="*.example.com")
    wild["spec"]["tls"][0]["hosts"] = ["*.example.com"]
    other = meow_ingress({} if not other_has_mtls else None, name="other", host="other.com")
    other["metadata"]["annotations"][P + "server-alias"] = alias
    return with_ingress(pki, wild, other)


@pytest.mark.parametrize(
    ("alias", "taken"),
    [
        ("x.example.com", "x.example.com"),  # exact beats the regex server_name buildServerName renders
        ("*.com", "every name"),  # a leading wildcard beats it too
        ("www.*", "www.example.com"),  # and a trailing one
        ("x.y.example.com", None),  # two labels: the regex `[\w-]+` would not have matched it anyway
        ("*.example.com", None),  # createServers drops an alias when a server of that exact name exists
        ("~^x\\.example\\.com$", None),  # regexes go in order: not judged
        ("a.other.org", None),
    ],
)
def test_a_server_alias_takes_names_from_an_mtls_wildcard_host(pki: SeedPki, alias: str, taken) -> None:
    """template.go buildServerName: `*.example.com` → `~^(?<subdomain>[\\w-]+)\\.example\\.com$`;
    nginx's server selection takes exact and wildcard names before regexes; createServers keeps an
    alias unless a server of exactly that name exists (the allAliases loop)."""
    snapshot = snapshot_from_objects(wildcard_and_alias(pki, alias), "test")
    policy = next(p for p in host_policies(snapshot) if p.host == "*.example.com")
    result = host_report(policy, snapshot, NOW)
    found = [f for f in result.findings if f.code == "alias-takes-wildcard-names"]
    if taken is None:
        assert not found
    else:
        assert found and taken in found[0].title and result.state == "not enforced"


def test_an_alias_on_a_server_with_its_own_client_checks_takes_nothing_open(pki: SeedPki) -> None:
    snapshot = snapshot_from_objects(wildcard_and_alias(pki, "x.example.com", other_has_mtls=True), "test")
    policy = next(p for p in host_policies(snapshot) if p.host == "*.example.com")
    assert "alias-takes-wildcard-names" not in {f.code for f in host_report(policy, snapshot, NOW).findings}


def acme_solver(host: str = "meow.com") -> dict:
    """cert-manager's HTTP-01 solver Ingress for the host (its own name, one path under the challenge)."""
    solver = meow_ingress({}, name="cm-acme-http-solver-x7k2m", host=host, tls=False)
    solver["spec"]["rules"][0]["http"]["paths"][0]["path"] = "/.well-known/acme-challenge/token"
    solver["spec"]["rules"][0]["http"]["paths"][0]["pathType"] = "ImplementationSpecific"
    return solver


@pytest.mark.parametrize(
    ("match_cn", "solver", "issuer", "expect"),
    [
        ("CN=Fern", True, False, "error"),  # the solver is there: its challenge gets 403
        ("CN=Fern", False, True, "warning"),  # cert-manager issues the certificate: a challenge may come
        (None, True, True, None),  # no match-CN check: HTTP is not checked, the challenge passes
        ("CN=Fern|", True, False, None),  # a pattern an empty subject matches lets it through
    ],
)
def test_match_cn_refuses_the_acme_challenge(pki: SeedPki, match_cn, solver, issuer, expect) -> None:
    """kubernetes/ingress-nginx issues 10185 and 9250: the match-CN `if` is in the server, port 80
    included, and /.well-known/acme-challenge is not redirected (config.go NoTLSRedirectLocations)."""
    annotations = dict(meow_ingress()["metadata"]["annotations"])
    if match_cn:
        annotations[P + "auth-tls-match-cn"] = match_cn
    if issuer:
        annotations["cert-manager.io/cluster-issuer"] = "letsencrypt"
    objects = with_ingress(pki, meow_ingress(annotations), *([acme_solver()] if solver else []))
    policy, result = report(objects)
    found = [f for f in result.findings if f.code == "match-cn-refuses-acme"]
    assert [f.severity.value for f in found] == ([expect] if expect else [])
    assert not [f for f in found if f.fix]  # no command: dropping the check would admit every certificate of the CA
    assert not [f for f in result.findings if f.code == "mtls-host-conflict" and "acme" in f.title]


@pytest.mark.parametrize(("protocol", "named"), [("HTTPS", True), ("GRPCS", True), ("HTTP", False)])
def test_pass_certificate_is_a_header_not_tls_to_the_backend(pki: SeedPki, protocol: str, named: bool) -> None:
    """kubernetes/ingress-nginx issue 5922: pass-certificate renders only `proxy_set_header ssl-client-cert`
    (nginx.tmpl); nginx's own TLS to an HTTPS backend cannot carry the client's certificate."""
    annotations = {P + "auth-tls-pass-certificate-to-upstream": "true", P + "backend-protocol": protocol}
    policy, result = report(with_ingress(pki, meow_ingress(annotations)))
    found = [f for f in result.findings if f.code == "pass-certificate-not-tls"]
    assert bool(found) is named
    if named:
        assert result.lead.code == "pass-certificate-not-tls" and not found[0].fix


def test_a_class_annotation_of_another_controller_without_a_controller_among_the_files(pki: SeedPki) -> None:
    """store.go GetIngressClass compares kubernetes.io/ingress.class with --ingress-class only
    (pkg/flags/flags.go default "nginx"): with no controller among the files, its default decides."""
    ingress = meow_ingress()
    ingress["spec"].pop("ingressClassName", None)
    ingress["metadata"]["annotations"]["kubernetes.io/ingress.class"] = "traefik"
    objects = [o for o in with_ingress(pki, ingress) if o["kind"] not in ("Deployment", "Pod")]
    snapshot = snapshot_from_objects(objects, "test", complete=False)
    policy = next(p for p in host_policies(snapshot) if p.host == "meow.com")
    assert not policy.served
    assert "ingress-class-mismatch" in {f.code for f in host_report(policy, snapshot, NOW).findings}


@pytest.mark.parametrize(
    ("controller", "nginx_annotations", "listed"),
    [
        ("traefik.io/ingress-controller", False, False),  # Traefik's: its reader judges it (successors/traefik.py)
        ("nginx.org/ingress-controller", False, False),  # F5's: likewise (successors/f5_nginx.py)
        ("traefik.io/ingress-controller", True, True),  # ingress-nginx's annotations on it: say they are ignored
        ("haproxy.org/ingress-controller", False, True),  # a controller no reader here judges: say so
    ],
)
def test_another_readers_ingress_is_not_an_ingress_nginx_host(pki: SeedPki, controller, nginx_annotations, listed):
    ingress = meow_ingress(None if nginx_annotations else {})
    ingress["spec"]["ingressClassName"] = "other"
    klass = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": "other"},
        "spec": {"controller": controller},
    }
    snapshot = snapshot_from_objects([*with_ingress(pki, ingress), klass], "test")
    hosts = {p.host: p for p in host_policies(snapshot)}
    assert ("meow.com" in hosts) is listed
    if listed:
        assert not hosts["meow.com"].served
