"""`migrate`'s pure core: the generated objects mean what ingress-nginx did (read back by the
successors' own readers), and every annotation that does not carry over gives its finding."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from mtls_tui.certs.issue import issue_crl, issue_leaf
from mtls_tui.lab.objects import meow_ingress, seed_objects
from mtls_tui.lab.pki import SeedPki, secret_manifest
from mtls_tui.model import ClusterSnapshot, Severity
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.migrate import TARGETS, HostMigration, Target, migrate
from mtls_tui.policy.migrate.after import tls_secret
from mtls_tui.policy.successors import client_validations

PREFIX = "nginx.ingress.kubernetes.io/"
EG_CLASS = {
    "apiVersion": "gateway.networking.k8s.io/v1",
    "kind": "GatewayClass",
    "metadata": {"name": "eg"},
    "spec": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"},
}


def seed_snapshot(pki: SeedPki, annotations: dict[str, str] | None = None, extra: list[dict] = ()) -> ClusterSnapshot:
    objects = seed_objects(pki)
    if annotations is not None:
        objects = [o for o in objects if o["kind"] != "Ingress"]
        full = {PREFIX + k: v for k, v in annotations.items()}
        objects.append(meow_ingress({PREFIX + "auth-tls-secret": "default/my-certs", **full}))
    return snapshot_from_objects([*objects, *extra], "test")


def only(snapshot: ClusterSnapshot, target: Target) -> HostMigration:
    plan = migrate(snapshot, target)
    assert plan.findings == ()
    (host,) = plan.hosts
    return host


def read_back(host: HostMigration, snapshot: ClusterSnapshot) -> list[Any]:
    """The generated objects, as a cluster would hold them once applied, with the Secrets the printed
    commands create from `snapshot`'s (after.tls_secret; Envoy Gateway drops a listener whose Secret
    does not exist). The Envoy Gateway GatewayClass is the user's: added here so the reader knows whose
    Gateway it is."""
    made = [tls_secret(c, snapshot, host.host) for c in host.secret_commands]
    objects = [*host.objects, *made, *([EG_CLASS] if host.target == "envoy-gateway" else [])]
    return client_validations(snapshot_from_objects(objects, "generated"))


def codes(host: HostMigration) -> dict[str, Severity]:
    return {f.code: f.severity for f in host.findings}


@pytest.mark.parametrize("target", TARGETS)
def test_the_seed_reads_back_as_require_and_verify_with_the_ingress_ca(pki: SeedPki, target: Target) -> None:
    """The successor's reader, given only the generated objects, finds the same decision:
    a certificate is required and verified against the CA of the Ingress's Secret."""
    snapshot = seed_snapshot(pki)
    host = only(snapshot, target)
    (validation,) = read_back(host, snapshot)
    assert validation.host == "meow.com" and validation.port == 443
    assert validation.mode == "require-and-verify" and validation.breakage is None
    assert validation.ca_pem == pki.ca.cert_pem()
    assert validation.implementation == ("gateway-api" if target == "gateway-api" else target)


@pytest.mark.parametrize("target", TARGETS)
def test_no_private_key_in_any_object_and_the_route_keeps_the_backend(pki: SeedPki, target: Target) -> None:
    host = only(seed_snapshot(pki), target)
    text = repr(host.objects)
    key_b64 = base64.b64encode(pki.server.key_pem()).decode()
    assert "PRIVATE KEY" not in text and key_b64[:40] not in text and "tls.key" not in text
    assert "meow-svc" in text and "80" in text
    secrets = [o for o in host.objects if o["kind"] == "Secret"]
    assert all(set(o["data"]) <= {"ca.crt", "ca.crl", "cacert", "crl"} for o in secrets)


def test_secrets_with_a_key_are_commands_never_objects(pki: SeedPki) -> None:
    """The seed's Secret is Opaque: Gateway API wants kubernetes.io/tls, Istio wants it in
    istio-system: a command creates it; Traefik reads tls.crt/tls.key from any Secret."""
    for target in ("gateway-api", "envoy-gateway", "f5-nginx", "istio"):
        (command,) = only(seed_snapshot(pki), target).secret_commands
        assert command.create.startswith("kubectl create secret tls ") and command.create.endswith(
            "--dry-run=client -o yaml"
        )
        assert "istio-system" in command.create if target == "istio" else "-n default" in command.create
    assert only(seed_snapshot(pki), "traefik").secret_commands == ()


def test_a_tls_typed_secret_is_referenced_by_name(pki: SeedPki) -> None:
    typed = {**secret_manifest(pki, name="meow-tls"), "type": "kubernetes.io/tls"}
    ingress = meow_ingress()
    ingress["spec"]["tls"][0]["secretName"] = "meow-tls"
    objects = [o for o in seed_objects(pki) if o["kind"] != "Ingress"] + [typed, ingress]
    host = only(snapshot_from_objects(objects, "t"), "gateway-api")
    assert host.secret_commands == ()
    gateway = next(o for o in host.objects if o["kind"] == "Gateway")
    assert gateway["spec"]["listeners"][0]["tls"]["certificateRefs"][0]["name"] == "meow-tls"


def test_the_seed_findings_per_target(pki: SeedPki) -> None:
    """Depth 1 (the default) is kept only by F5; only F5 still answers HTTP 400."""
    for target in TARGETS:
        found = codes(only(seed_snapshot(pki), target))
        assert ("migrate-verify-depth" in found) == (target != "f5-nginx"), target
        assert ("migrate-tls-alert" in found) == (target != "f5-nginx"), target
        assert found["migrate-pass-certificate"] is Severity.INFO
        assert not any(s is Severity.ERROR for s in found.values()), (target, found)


def test_match_cn_has_no_subject_matcher_anywhere(pki: SeedPki) -> None:
    """The seed's client certificates are v1 (no SAN): no SAN matcher can replace the regex."""
    snapshot = seed_snapshot(pki, {"auth-tls-match-cn": "CN=Fern"})
    for target in TARGETS:
        finding = next(f for f in only(snapshot, target).findings if f.code == "migrate-match-cn")
        assert finding.severity is Severity.ERROR
        assert "every certificate from the CA gets in" in finding.title
        assert "No client certificate the regex admits" in finding.detail


def test_match_cn_proposes_the_sans_of_the_admitted_certificates(pki: SeedPki) -> None:
    """A client certificate stored in a Secret, with a SAN and a subject the regex admits: Envoy
    Gateway and Istio get its SAN proposed; the others say no matcher exists."""
    client = issue_leaf("Fern", pki.ca, serial=9, v1=False, sans=["fern.clients.example"], eku=["clientAuth"])
    other = issue_leaf("Mallory", pki.ca, serial=10, v1=False, sans=["mallory.example"], eku=["clientAuth"])
    stored = [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": "default"},
            "data": {"client.crt": base64.b64encode(issued.cert_pem()).decode()},
        }
        for name, issued in (("fern-client", client), ("mallory-client", other))
    ]
    snapshot = seed_snapshot(pki, {"auth-tls-match-cn": "CN=Fern"}, stored)
    eg = next(f for f in only(snapshot, "envoy-gateway").findings if f.code == "migrate-match-cn")
    assert eg.severity is Severity.WARNING
    assert "fern.clients.example" in eg.fix and "mallory" not in eg.fix and "subjectAltNames" in eg.fix
    assert "api/v1alpha1/tls_types.go" in eg.detail
    traefik = next(f for f in only(snapshot, "traefik").findings if f.code == "migrate-match-cn")
    assert traefik.severity is Severity.ERROR and "buildTLSConfig" in traefik.detail


def test_error_page(pki: SeedPki) -> None:
    snapshot = seed_snapshot(pki, {"auth-tls-error-page": "https://example.com/get-a-cert"})
    for target in TARGETS:
        finding = next(f for f in only(snapshot, target).findings if f.code == "migrate-error-page")
        assert "https://example.com/get-a-cert" in finding.title and "no page" in finding.title
    f5 = next(f for f in only(snapshot, "f5-nginx").findings if f.code == "migrate-error-page")
    assert "addIngressMTLSConfig" in f5.detail


def test_verify_depth_is_kept_only_by_f5(pki: SeedPki) -> None:
    snapshot = seed_snapshot(pki, {"auth-tls-verify-depth": "2"})
    f5 = only(snapshot, "f5-nginx")
    assert "migrate-verify-depth" not in codes(f5)
    policy = next(o for o in f5.objects if o["kind"] == "Policy")
    assert policy["spec"]["ingressMTLS"]["verifyDepth"] == 2
    eg = next(f for f in only(snapshot, "envoy-gateway").findings if f.code == "migrate-verify-depth")
    assert "auth-tls-verify-depth 2" in eg.title and "setTLSValidationContext" in eg.detail
    gw = next(f for f in only(snapshot, "gateway-api").findings if f.code == "migrate-verify-depth")
    assert "ssl_verify_depth 4" in gw.detail


def crl_snapshot(pki: SeedPki) -> ClusterSnapshot:
    crl = issue_crl(pki.ca)
    secret = secret_manifest(pki)
    secret["data"]["ca.crl"] = base64.b64encode(crl).decode()
    objects = [o for o in seed_objects(pki) if not (o["kind"] == "Secret")] + [secret]
    return snapshot_from_objects(objects, "crl")


def test_a_crl_is_dropped_by_gateway_api_and_traefik_and_kept_by_the_others(pki: SeedPki) -> None:
    snapshot = crl_snapshot(pki)
    for target in ("gateway-api", "traefik"):
        finding = next(f for f in only(snapshot, target).findings if f.code == "migrate-crl-dropped")
        assert finding.severity is Severity.ERROR and "revoked client certificates get in" in finding.title
    for target in ("envoy-gateway", "f5-nginx", "istio"):
        host = only(snapshot, target)
        assert "migrate-crl-dropped" not in codes(host)
        (validation,) = read_back(host, snapshot)
        if target == "istio":  # the Istio reader does not model CRLs: the key istiod reads is checked instead
            cacert = next(o for o in host.objects if o["metadata"]["name"].endswith("-cacert"))
            assert base64.b64decode(cacert["data"]["crl"]).startswith(b"-----BEGIN X509 CRL-----")
            assert validation.mode == "require-and-verify" and validation.ca_pem == pki.ca.cert_pem()
            continue
        assert validation.crl, target
        assert validation.mode == "require-and-verify" and validation.ca_pem == pki.ca.cert_pem()
    ctp = next(o for o in only(snapshot, "envoy-gateway").objects if o["kind"] == "ClientTrafficPolicy")
    assert ctp["spec"]["tls"]["clientValidation"]["crl"]["refs"][0]["kind"] == "ConfigMap"


def test_two_hosts_on_one_port_with_one_certificate_are_named(pki: SeedPki) -> None:
    """One certificate for meow.com and purr.com (SANs), one Secret, two Ingresses: ingress-nginx
    gave each host its own server; a Gateway's port (and EG's overlapping listeners) would not."""
    both = issue_leaf("meow.com", pki.ca, serial=11, v1=False, sans=["meow.com", "purr.com"], eku=["serverAuth"])
    shared = SeedPki(pki.ca, both, pki.client)
    objects = seed_objects(shared) + [meow_ingress(name="purr-ingress", host="purr.com")]
    snapshot = snapshot_from_objects(objects, "two")
    for target in ("gateway-api", "envoy-gateway"):
        plan = migrate(snapshot, target)
        assert [h.host for h in plan.hosts] == ["meow.com", "purr.com"]
        finding = next(f for f in plan.hosts[0].findings if f.code == "migrate-shared-scope")
        assert "purr.com" in finding.title and "FrontendTLSConfig" in finding.detail
        assert finding.evidence == ("host purr.com on port 443 with the same certificate",)
    eg = next(f for f in migrate(snapshot, "envoy-gateway").hosts[1].findings if f.code == "migrate-shared-scope")
    assert "meow.com" in eg.title and "checkOverlappingCertificates" in eg.detail
    for target in ("traefik", "f5-nginx", "istio"):  # SNI host scope: kept
        assert all("migrate-shared-scope" not in codes(h) for h in migrate(snapshot, target).hosts)


def test_pass_certificate_names_the_headers_to_read(pki: SeedPki) -> None:
    snapshot = seed_snapshot(pki, {"auth-tls-pass-certificate-to-upstream": "true"})
    expected = {
        "gateway-api": "none",
        "envoy-gateway": "x-forwarded-client-cert",
        "traefik": "X-Forwarded-Tls-Client-Cert",
        "f5-nginx": "$ssl_client_escaped_cert",
        "istio": "x-forwarded-client-cert",
    }
    for target, header in expected.items():
        finding = next(f for f in only(snapshot, target).findings if f.code == "migrate-pass-certificate")
        assert finding.severity is Severity.WARNING and "ssl-client-cert" in finding.title
        assert header in finding.detail, target
    ctp = next(o for o in only(snapshot, "envoy-gateway").objects if o["kind"] == "ClientTrafficPolicy")
    assert ctp["spec"]["headers"]["xForwardedClientCert"]["mode"] == "SanitizeSet"


def test_envoy_gateway_xfcc_is_said_written_only_when_it_is(pki: SeedPki) -> None:
    """The finding says whether this plan forwards the certificate: the ClientTrafficPolicy's XFCC
    header is written only for auth-tls-pass-certificate-to-upstream (build.py); without it the
    plan writes no ClientTrafficPolicy at all, and the finding must not say one was written."""
    for passed in (False, True):
        annotations = {"auth-tls-pass-certificate-to-upstream": "true"} if passed else {}
        plan = only(seed_snapshot(pki, annotations), "envoy-gateway")
        finding = next(f for f in plan.findings if f.code == "migrate-pass-certificate")
        written = [o for o in plan.objects if o["kind"] == "ClientTrafficPolicy"]
        assert bool(written) == passed, [o["kind"] for o in plan.objects]
        assert ("The ClientTrafficPolicy written here sets it" in finding.detail) == passed, finding.detail
        assert ("None is written here" in finding.detail) == (not passed), finding.detail


def test_400_becomes_a_tls_alert_except_on_f5(pki: SeedPki) -> None:
    for target in TARGETS:
        found = [f for f in only(seed_snapshot(pki), target).findings if f.code == "migrate-tls-alert"]
        if target == "f5-nginx":
            assert found == []
            continue
        (finding,) = found
        assert "instead of HTTP 400" in finding.title and "retry logic" in finding.detail


def test_optional_verification(pki: SeedPki) -> None:
    """optional keeps its meaning where the target has verify-if-given; the core Gateway API has
    only AllowInsecureFallback, which lets any certificate in: an error."""
    snapshot = seed_snapshot(pki, {"auth-tls-verify-client": "optional"})
    core = next(f for f in only(snapshot, "gateway-api").findings if f.code == "migrate-verify-mode")
    assert core.severity is Severity.ERROR
    for target in ("envoy-gateway", "traefik", "f5-nginx", "istio"):
        (validation,) = read_back(only(snapshot, target), snapshot)
        assert validation.mode == "verify-if-given", target


def test_host_filter_and_nothing_to_migrate(pki: SeedPki) -> None:
    snapshot = seed_snapshot(pki)
    assert [h.host for h in migrate(snapshot, "istio", host="meow.com").hosts] == ["meow.com"]
    plan = migrate(snapshot, "istio", host="purr.com")
    assert plan.hosts == () and plan.findings[0].code == "migrate-nothing"
    assert plan.findings[0].severity is Severity.ERROR


def test_a_ca_not_among_the_manifests_is_named_with_the_command_to_read_it(pki: SeedPki) -> None:
    objects = [o for o in seed_objects(pki) if o["kind"] != "Secret"]
    host = only(snapshot_from_objects(objects, "no secret", complete=False), "gateway-api")
    finding = next(f for f in host.findings if f.code == "migrate-ca-unavailable")
    assert finding.severity is Severity.ERROR
    assert finding.fix == "kubectl get secret my-certs -n default -o yaml > my-certs-secret.yaml"  # never over ca.crt
    assert [o["kind"] for o in host.objects] == ["Gateway", "HTTPRoute"]


def test_a_secret_without_ca_crt_is_no_ca_to_carry_over(pki: SeedPki) -> None:
    """store/backend_ssl.go getPemCertificate: a keypair Secret without ca.crt gives no CA file, so
    ingress-nginx checked no client: migrate says so (the review saw 'not among the inputs' for a
    Secret that was, and a 'got in through tls.crt' for a host everyone got into)."""

    def drop_ca(secret: dict) -> None:
        secret["data"].pop("ca.crt")

    objects = seed_objects(pki)
    drop_ca(next(o for o in objects if o["kind"] == "Secret"))
    host = only(snapshot_from_objects(objects, "no ca.crt"), "envoy-gateway")
    codes = {f.code: f for f in host.findings}
    finding = codes["migrate-ca-unavailable"]
    assert finding.title.startswith("Secret default/my-certs holds no ca.crt: ingress-nginx checked no client")
    assert finding.fix == "" and "not among the inputs" not in finding.detail
    assert "migrate-keypair-trust" not in codes


def test_a_port_by_name_is_not_guessed(pki: SeedPki) -> None:
    ingress = meow_ingress()
    ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"] = {"name": "http"}
    objects = [o for o in seed_objects(pki) if o["kind"] != "Ingress"] + [ingress]
    host = only(snapshot_from_objects(objects, "named port"), "istio")
    finding = next(f for f in host.findings if f.code == "migrate-backend-unroutable")
    assert "meow-svc:http" in finding.title and finding.severity is Severity.ERROR


def test_a_rule_without_a_host(pki: SeedPki) -> None:
    """Traefik applies TLS options only to routers with a Host, F5 needs spec.host: an error there;
    Istio and the Gateway API take a listener without a hostname."""
    ingress = meow_ingress()
    del ingress["spec"]["rules"][0]["host"]
    ingress["spec"]["tls"][0]["hosts"] = []
    objects = [o for o in seed_objects(pki) if o["kind"] != "Ingress"] + [ingress]
    snapshot = snapshot_from_objects(objects, "no host")
    for target in TARGETS:
        host = only(snapshot, target)
        assert host.host == "*" and host.file_name == "wildcard.yaml"
        assert ("migrate-no-host" in codes(host)) == (target in ("traefik", "f5-nginx")), target
        assert "migrate-no-server-certificate" in codes(host)


@pytest.mark.parametrize(
    ("target", "controller", "annotation"),
    [
        ("traefik", "traefik.io/ingress-controller", "traefik.ingress.kubernetes.io/router.tls.options"),
        ("f5-nginx", "nginx.org/ingress-controller", "nginx.org/policies"),
    ],
)
def test_the_ingress_form_reads_back_the_same(pki: SeedPki, target: Target, controller: str, annotation: str) -> None:
    """--ingress-class: an Ingress of the target's class selects the client policy by annotation
    (Traefik: `<namespace>-<name>@kubernetescrd`; F5: nginx.org/policies), and reads back the same."""
    plan = migrate(seed_snapshot(pki), target, ingress_class="their-class")
    (host,) = plan.hosts
    ingress = next(o for o in host.objects if o["kind"] == "Ingress")
    assert ingress["spec"]["ingressClassName"] == "their-class" and annotation in ingress["metadata"]["annotations"]
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"] == {
        "name": "meow-svc",
        "port": {"number": 80},
    }
    klass = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": "their-class"},
        "spec": {"controller": controller},
    }
    (validation,) = client_validations(snapshot_from_objects([*host.objects, klass], "generated"))
    assert validation.mode == "require-and-verify" and validation.ca_pem == pki.ca.cert_pem()
    assert validation.implementation == target


def test_f5_virtualserver_redirects_plain_http(pki: SeedPki) -> None:
    """F5 renders the port 80 listener of a VirtualServer whatever its TLS (nginx.virtualserver.tmpl
    makeHTTPListener) and redirects only with tls.redirect.enable (virtualserver.go
    generateTLSRedirectConfig); nginx checks client certificates on TLS only, so without it http://
    would reach the upstream with none, where ingress-nginx redirected (ssl-redirect, 308)."""
    host = only(seed_snapshot(pki), "f5-nginx")
    [vs] = [o for o in host.objects if o["kind"] == "VirtualServer"]
    assert vs["spec"]["tls"]["redirect"] == {"enable": True, "code": 308}


def test_optional_no_ca_names_the_expired_certificate_it_lets_in(pki: SeedPki) -> None:
    """nginx optional_no_ca refuses an expired certificate (ngx_ssl_verify_error_optional takes an
    unknown issuer only); accept-untrusted on the other targets does not."""
    snapshot = seed_snapshot(pki, {"auth-tls-verify-client": "optional_no_ca"})
    for target in ("gateway-api", "envoy-gateway", "traefik", "istio"):
        found = next(f for f in only(snapshot, target).findings if f.code == "migrate-verify-mode")
        assert "expired certificate" in found.title and found.severity is Severity.ERROR, target
    f5 = [f for f in only(snapshot, "f5-nginx").findings if f.code == "migrate-verify-mode"]
    assert not [f for f in f5 if "expired" in f.title]  # the same nginx directive: nothing changes


@pytest.mark.parametrize("target", TARGETS)
def test_plain_http_that_reached_the_upstream_is_said_to_close(pki: SeedPki, target: Target) -> None:
    """ssl-redirect false: ingress-nginx served http:// to the upstream with no certificate
    (lua_ingress.lua redirect_to_https; nginx asks certificates on TLS only: check's
    mtls-plain-http). Every target's objects serve the host over HTTPS only, so that hole closes:
    a warning saying what a plain HTTP client gets now, from the target's source. force-ssl-redirect
    (and the default, with a tls: section) redirected before: nothing to say."""
    opened = only(seed_snapshot(pki, {"ssl-redirect": "false"}), target)
    [found] = [f for f in opened.findings if f.code == "migrate-plain-http"]
    assert found.severity is Severity.WARNING and found.subject == "host meow.com"
    assert "ssl-redirect is false" in found.detail and "default/meow-ingress" in " ".join(found.evidence)
    said = {
        "gateway-api": "connection is refused",
        "envoy-gateway": "connection to port 80 is refused",
        "traefik": "404 page not found",
        "f5-nginx": "308 to https://",
        "istio": "refused or reset",
    }[target]
    assert said in found.detail, found.detail
    for closed in ({}, {"ssl-redirect": "false", "force-ssl-redirect": "true"}, {"ssl-redirect": "bogus"}):
        host = only(seed_snapshot(pki, closed), target)
        assert "migrate-plain-http" not in codes(host), closed  # a bad value is the default (rewrite.Parse): true


def test_a_host_without_a_tls_section_had_plain_http_open(pki: SeedPki) -> None:
    """No tls: section: no certificate is configured for the host, so ssl-redirect redirects nothing
    (certificate.lua configured_for_current_request): http:// reached the upstream before."""
    objects = [o for o in seed_objects(pki) if o["kind"] != "Ingress"]
    ingress = meow_ingress({PREFIX + "auth-tls-secret": "default/my-certs"})
    ingress["spec"].pop("tls")
    host = only(snapshot_from_objects(objects + [ingress], "no-tls"), "envoy-gateway")
    [found] = [f for f in host.findings if f.code == "migrate-plain-http"]
    assert (
        "no tls: section for the host, so no redirect" in found.detail
        and "no tls: section for the host" in found.evidence
    )


def test_a_wildcard_host_on_traefik_names_the_release_it_needs(pki: SeedPki) -> None:
    """Host(`*.meow.com`) matches subdomains from Traefik v3.7.0 (commit ea92a3e150, pkg/muxer/muxer.go
    DomainMatchHostExpression); v3.6.24's Host compares literally and its HostSNI regex refuses `*`."""
    objects = [o for o in seed_objects(pki) if o["kind"] != "Ingress"]
    ingress = meow_ingress({PREFIX + "auth-tls-secret": "default/my-certs"}, host="*.meow.com")
    host = only(snapshot_from_objects([*objects, ingress], "wildcard"), "traefik")
    route = next(o for o in host.objects if o["kind"] == "IngressRoute")
    assert route["spec"]["routes"][0]["match"] == "Host(`*.meow.com`)"
    assert any("needs Traefik v3.7.0+" in n for n in host.notes), host.notes
    assert not any("v3.7.0" in n for n in only(seed_snapshot(pki), "traefik").notes)


def test_a_class_not_among_the_files_is_named_in_the_notes(pki: SeedPki) -> None:
    """The source host's verdict is unverified when its IngressClass is not among the files
    (ingress-class-not-in-manifests): the migration's "before" rests on that assumption, and says so
    (the review saw migrate go ahead without a word)."""
    objects = [o for o in seed_objects(pki) if o["kind"] != "Deployment"]  # files: no controller among them
    ingress = next(o for o in objects if o["kind"] == "Ingress")
    ingress["spec"]["ingressClassName"] = "traefik"
    host = only(snapshot_from_objects(objects, "files", complete=False), "envoy-gateway")
    assert any("not checked on ingress-nginx: IngressClass traefik" in note for note in host.notes), host.notes
    files = [o for o in seed_objects(pki) if o["kind"] != "Deployment"]
    plain = only(snapshot_from_objects(files, "files", complete=False), "envoy-gateway")
    assert not any("IngressClass" in note for note in plain.notes)
