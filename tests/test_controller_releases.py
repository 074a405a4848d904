"""The same auth-tls annotations on other ingress-nginx releases, and with annotation validation off.

Each expectation was read in kubernetes/ingress-nginx at the tags named (git show TAG:PATH):

- AUTHTLS  internal/ingress/annotations/authtls/main.go: authVerifyClientRegex (anchored by
           "Missing anchors in regular expression" #11718/#11719: controller-v1.10.4, v1.11.2),
           redirectRegex (improved v1.10.6/v1.11.4, named redirects v1.12.6/v1.13.2),
           commonNameRegex (v1.9.1–v1.9.5; before v1.9 `CN=` unanchored, checked in Parse itself)
- VALID    internal/ingress/annotations/parser/validators.go checkAnnotation (`EnableAnnotationValidation`),
           CommonNameAnnotationValidator (from v1.9.6)
- FLAGS    pkg/flags/flags.go: --enable-annotation-validation (default true, from v1.9.1)
- CONFIG   internal/ingress/controller/config/config.go NewDefault (security settings from v1.9.1)
- TMPL     rootfs/etc/nginx/template/nginx.tmpl define "SERVER": `MatchCN | quote` from v1.11.5 and
           v1.12.1 (absent at v1.12.0), `error_page 495 496 = {{ ErrorPage }};` as given, `return 403;`
           under AuthTLSError unchanged from v1.0.0 to v1.15.1

What nginx does with what a release writes is measured here on the real nginx.
"""

from __future__ import annotations

import base64
import shlex
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mtls_tui.certs.issue import Issued, issue_ca, issue_leaf, new_key
from mtls_tui.lab.environment import gateway_hosts
from mtls_tui.lab.gateway import Gateway
from mtls_tui.lab.objects import controller_objects, namespace
from mtls_tui.lab.pki import write_file
from mtls_tui.model import ProbeSpec
from mtls_tui.policy.ingress_nginx.auth_tls import parse_auth_tls
from mtls_tui.policy.ingress_nginx.releases import (
    ERROR_PAGE_V1,
    ERROR_PAGE_V2,
    ERROR_PAGE_V3,
    release_of,
    rules_for,
)
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.sources.probe import run_probe

P = "nginx.ingress.kubernetes.io/"
IMAGE = "registry.k8s.io/ingress-nginx/controller:v{}@sha256:" + "0" * 64


@pytest.mark.parametrize(
    ("release", "anchored", "page", "match_cn", "quoted", "security"),
    [
        ((1, 8, 5), False, ERROR_PAGE_V1, "contains-cn", False, False),
        ((1, 9, 5), False, ERROR_PAGE_V1, "charset", False, True),
        ((1, 9, 6), False, ERROR_PAGE_V1, "re2", False, True),
        ((1, 10, 3), False, ERROR_PAGE_V1, "re2", False, True),
        ((1, 10, 4), True, ERROR_PAGE_V1, "re2", False, True),
        ((1, 10, 6), True, ERROR_PAGE_V2, "re2", False, True),
        ((1, 11, 1), False, ERROR_PAGE_V1, "re2", False, True),
        ((1, 11, 2), True, ERROR_PAGE_V1, "re2", False, True),
        ((1, 11, 4), True, ERROR_PAGE_V2, "re2", False, True),
        ((1, 11, 5), True, ERROR_PAGE_V2, "re2", True, True),
        ((1, 12, 0), True, ERROR_PAGE_V2, "re2", False, True),
        ((1, 12, 1), True, ERROR_PAGE_V2, "re2", True, True),
        ((1, 12, 6), True, ERROR_PAGE_V3, "re2", True, True),
        ((1, 13, 1), True, ERROR_PAGE_V2, "re2", True, True),
        ((1, 13, 2), True, ERROR_PAGE_V3, "re2", True, True),
        ((1, 15, 1), True, ERROR_PAGE_V3, "re2", True, True),
    ],
)
def test_rules_by_release(release, anchored, page, match_cn, quoted, security) -> None:
    """Each row read at controller-vX.Y.Z (module docstring); a wrong boundary fails its row."""
    rules = rules_for(release)
    assert (rules.verify_client_anchored, rules.error_page, rules.match_cn, rules.match_cn_quoted) == (
        anchored,
        page,
        match_cn,
        quoted,
    )
    assert rules.security_settings is security and rules.validators is security


def test_release_from_the_image_tag() -> None:
    assert release_of("registry.k8s.io/ingress-nginx/controller:v1.11.3@sha256:abc") == (1, 11, 3)
    assert release_of("controller:v1.12") == (1, 12, 0)
    assert release_of("registry.k8s.io/ingress-nginx/controller@sha256:abc") is None
    assert release_of("my-mirror:5000/controller:latest") is None
    assert rules_for(None).named == "v1.15.1 (assumed)" and rules_for((1, 10, 3)).named == "v1.10.3"


@pytest.fixture(scope="module")
def pki() -> tuple[Issued, Issued, Issued]:
    ca = issue_ca("Release CA", key=new_key("ec"))
    server = issue_leaf("server", ca, key=new_key("ec"), v1=False, sans=["*.release.test"])
    client = issue_leaf("release client", ca, key=new_key("ec"), v1=False, eku=["clientAuth"])
    return ca, server, client


def objects(
    pki, host: str, annotations: dict[str, str], release: str = "1.15.1", args: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    ca, server, _ = pki
    b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
    return [
        namespace("default"),
        *controller_objects(extra_args=args, image=IMAGE.format(release)),
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "ca", "namespace": "default"},
            "data": {"ca.crt": b64(ca.cert_pem())},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/tls",
            "metadata": {"name": "tls", "namespace": "default"},
            "data": {"tls.crt": b64(server.cert_pem()), "tls.key": b64(server.key_pem())},
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {
                "name": host.split(".")[0],
                "namespace": "default",
                "annotations": {P + "auth-tls-secret": "default/ca", **{P + k: v for k, v in annotations.items()}},
            },
            "spec": {
                "ingressClassName": "nginx",
                "tls": [{"hosts": [host], "secretName": "tls"}],
                "rules": [
                    {
                        "host": host,
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "echo", "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ],
            },
        },
    ]


def parsed(pki, annotations: dict[str, str], release: str = "1.15.1", args: tuple[str, ...] = ()):
    snapshot = snapshot_from_objects(objects(pki, "r.release.test", annotations, release, args), "releases")
    return parse_auth_tls(snapshot.ingresses[0], snapshot.controllers[0], snapshot)


# (annotations, release, flags) → (dropped, the policy's fields checked, finding codes)
CASES = [
    pytest.param(
        {"auth-tls-verify-client": "Optional"},
        "1.10.3",
        (),
        False,
        {"verify_client": "optional"},
        {"mtls-not-enforced"},
        id="AUTHTLS v1.10.3: 'Optional' contains 'on' (no anchors), written as given; nginx reads it optional",
    ),
    pytest.param(
        {"auth-tls-verify-client": "Optional"},
        "1.10.4",
        (),
        False,
        {"verify_client": "on"},
        {"annotation-invalid-value"},
        id="AUTHTLS v1.10.4: anchored and case-sensitive: 'Optional' becomes on",
    ),
    pytest.param(
        {"auth-tls-verify-client": "none"},
        "1.11.1",
        (),
        False,
        {"verify_client": "on"},
        {"annotation-invalid-value"},
        id="AUTHTLS v1.11.1: 'none' contains 'on', written as given; nginx refuses it",
    ),
    pytest.param(
        {"auth-tls-error-page": "@mtls-error"},
        "1.12.5",
        (),
        True,
        {},
        {"annotation-invalid-value"},
        id="AUTHTLS v1.12.5: redirectRegex takes no @location: validation error, Ingress dropped",
    ),
    pytest.param(
        {"auth-tls-error-page": "@mtls-error"},
        "1.12.6",
        (),
        False,
        {"error_page": "@mtls-error"},
        set(),
        id="AUTHTLS v1.12.6: named redirects allowed (#13820)",
    ),
    pytest.param(
        {"auth-tls-error-page": "https://errors.example/mtls/denied"},
        "1.10.5",
        (),
        True,
        {},
        {"annotation-invalid-value"},
        id="AUTHTLS v1.10.5: the first redirectRegex takes one path segment: dropped",
    ),
    pytest.param(
        {"auth-tls-error-page": "https://errors.example/mtls/denied"},
        "1.10.6",
        (),
        False,
        {"error_page": "https://errors.example/mtls/denied"},
        set(),
        id="AUTHTLS v1.10.6: improved redirectRegex (#12321) takes the path",
    ),
    pytest.param(
        {"auth-tls-match-cn": "CN=.*client"},
        "1.9.5",
        (),
        True,
        {},
        {"annotation-invalid-value"},
        id="AUTHTLS v1.9.5: commonNameRegex has no '.' '*' regex characters beyond ()|=: dropped",
    ),
    pytest.param(
        {"auth-tls-match-cn": "CN=.*client"},
        "1.9.6",
        (),
        False,
        {"match_cn": "CN=.*client"},
        set(),
        id="VALID v1.9.6: CommonNameAnnotationValidator compiles the regex",
    ),
    pytest.param(
        {"auth-tls-match-cn": "O=Release"},
        "1.8.5",
        (),
        False,
        {"secret": "default/ca"},
        {"match-cn-ignored"},
        id="AUTHTLS v1.8.5 Parse: no 'CN=' in the value: MatchCN silently empty, every trusted client gets in",
    ),
    pytest.param(
        {"auth-tls-match-cn": "O=Release"},
        "1.15.1",
        ("--enable-annotation-validation=false",),
        False,
        {"match_cn": "O=Release"},
        set(),
        id="VALID/FLAGS: validation off: the value is used as given, a PCRE on the whole DN",
    ),
    pytest.param(
        {"auth-tls-pass-certificate-to-upstream": "yes"},
        "1.15.1",
        ("--enable-annotation-validation=false",),
        False,
        {"pass_certificate": False},
        {"annotation-invalid-value"},
        id="CHECK parseBool: validation off, 'yes' is no Go bool: InvalidAnnotationContent, false, not dropped",
    ),
    pytest.param(
        {"auth-tls-pass-certificate-to-upstream": "yes"},
        "1.15.1",
        (),
        True,
        {},
        {"annotation-invalid-value"},
        id="VALID ValidateBool: validation on, 'yes' drops the Ingress",
    ),
    pytest.param(
        {"auth-tls-match-cn": "CN=release client"},
        "1.11.4",
        (),
        False,
        {"match_cn": "CN=release client"},
        {"annotation-invalid-value"},
        id="TMPL v1.11.4: match-CN written without quotes: a space breaks nginx's parse",
    ),
    pytest.param(
        {"auth-tls-match-cn": "CN=release client"},
        "1.11.5",
        (),
        False,
        {"match_cn": "CN=release client"},
        set(),
        id="TMPL v1.11.5: `| quote`: the space is inside a quoted string",
    ),
]


@pytest.mark.parametrize(("annotations", "release", "args", "dropped", "fields", "codes"), CASES)
def test_auth_tls_by_release(pki, annotations, release, args, dropped, fields, codes) -> None:
    result = parsed(pki, annotations, release, args)
    assert result.dropped is dropped, [f.title for f in result.findings]
    assert {k: result.policy_fields.get(k) for k in fields} == fields
    assert codes <= {f.code for f in result.findings}, [f.title for f in result.findings]
    if not codes:
        assert not [f for f in result.findings if f.severity.name == "ERROR"], [f.title for f in result.findings]


def test_the_secret_is_not_validated_with_validation_off(pki) -> None:
    """VALID: without validators a name outside BasicCharsRegex is not a validation error; the
    Secret is looked up by it, not found: location denied, the host answers 403 (TMPL)."""
    on = parsed(pki, {"auth-tls-secret": "default/ca*"})
    off = parsed(pki, {"auth-tls-secret": "default/ca*"}, args=("--enable-annotation-validation=false",))
    assert on.dropped and not on.denied
    assert off.denied and not off.dropped and "not found" in (off.denial or "")


def test_cross_namespace_before_the_setting_existed(pki) -> None:
    """CONFIG/AUTHTLS: v1.8 has no AllowCrossNamespaceResources and no refusal; v1.12 refuses by default."""
    old, new = (
        parsed(pki, {"auth-tls-secret": "other/ca"}, "1.8.5"),
        parsed(pki, {"auth-tls-secret": "other/ca"}, "1.12.0"),
    )
    assert "cross namespace" not in (old.denial or "") and "was not found" in (old.denial or "")  # looked up
    assert new.denial == "cross namespace secrets are not supported"


def test_a_boolean_flag_takes_no_separate_value(pki) -> None:
    """pflag (parseLongArg, NoOptDefVal "true"): `--enable-annotation-validation false` sets the
    flag to true and leaves "false" as an argument: validation stays on."""
    snapshot = snapshot_from_objects(
        objects(pki, "r.release.test", {}, args=("--enable-annotation-validation", "false")), "releases"
    )
    assert snapshot.controllers[0].annotation_validation is True
    snapshot = snapshot_from_objects(
        objects(pki, "r.release.test", {}, args=("--enable-annotation-validation=false",)), "releases"
    )
    assert snapshot.controllers[0].annotation_validation is False


def nginx_test(nginx_binary: str, folder: Path, server_lines: list[str]) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on one TLS server holding `server_lines` as a release renders them."""
    _, server, _ = pki_for_conf(folder)
    conf = folder / "nginx.conf"
    conf.write_text(
        f"pid {folder}/nginx.pid;\nerror_log {folder}/error.log;\nevents {{}}\nhttp {{\n access_log off;\n"
        f" server {{\n  listen 127.0.0.1:9 ssl;\n  ssl_certificate {server[0]};\n  ssl_certificate_key {server[1]};\n"
        f"  ssl_client_certificate {server[0]};\n  ssl_verify_depth 1;\n"
        + "".join(f"  {line}\n" for line in server_lines)
        + "  location / { return 200; }\n }\n}\n"
    )
    return subprocess.run([nginx_binary, "-t", "-p", str(folder), "-c", str(conf)], capture_output=True, text=True)


def pki_for_conf(folder: Path) -> tuple[None, tuple[str, str], None]:
    if not (folder / "s.crt").exists():
        ca = issue_ca("conf CA", key=new_key("ec"))
        leaf = issue_leaf("conf.test", ca, key=new_key("ec"), v1=False, sans=["conf.test"])
        write_file(folder / "s.crt", leaf.cert_pem())
        write_file(folder / "s.key", leaf.key_pem(), private=True)
    return None, (str(folder / "s.crt"), str(folder / "s.key")), None


@pytest.mark.nginx
@pytest.mark.parametrize(
    ("lines", "accepted"),
    [
        (["ssl_verify_client Optional;"], True),  # ngx_conf_set_enum_slot compares without case
        (["ssl_verify_client ON;"], True),
        (["ssl_verify_client none;"], False),  # v1.11.1 writes it: 'none' contains 'on'
        (["if ( $ssl_client_s_dn !~ CN=release client ) { return 403; }"], False),  # v1.11.4, no quote
        (['if ( $ssl_client_s_dn !~ "CN=release client" ) { return 403; }'], True),  # v1.11.5, `| quote`
        ([r"if ( $ssl_client_s_dn !~ CN=release\sclient(,|$) ) { return 403; }"], True),  # match_cn_for, unquoted
        (["if ( $ssl_client_s_dn !~ CN=(unclosed ) { return 403; }"], False),  # PCRE refuses it
        (["ssl_verify_client on;", "error_page 495 496 = https://e.example/x; add_header X-Injected 1;"], True),
    ],
)
def test_what_nginx_makes_of_what_a_release_writes(nginx_binary: str, tmp_path: Path, lines, accepted) -> None:
    done = nginx_test(nginx_binary, tmp_path, lines)
    assert (done.returncode == 0) is accepted, done.stderr


@pytest.mark.nginx
def test_validation_off_lets_an_error_page_inject_a_directive(pki, nginx_binary: str, tmp_path: Path) -> None:
    """With --enable-annotation-validation=false the error page is written as given: the real
    nginx runs what follows its ';', and the tool names it as an error, not as a page."""
    host = "inject.release.test"
    annotations = {"auth-tls-error-page": "https://errors.example/denied; add_header X-Injected yes always"}
    objs = objects(pki, host, annotations, args=("--enable-annotation-validation=false",))
    result = parse_auth_tls(*(lambda s: (s.ingresses[0], s.controllers[0], s))(snapshot_from_objects(objs, "r")))
    assert "annotation-injects-config" in {f.code for f in result.findings}
    _, _, client = pki
    write_file(tmp_path / "c.crt", client.cert_pem())
    write_file(tmp_path / "c.key", client.key_pem(), private=True)
    hosts = [h for h in gateway_hosts(objs) if h.policy.host == host]
    with Gateway(hosts, nginx_binary=nginx_binary) as gateway:
        results = run_probe(
            ProbeSpec(
                gateway.url(host),
                resolve=gateway.resolve(host),
                insecure=True,
                timeout=5,
                cert=str(tmp_path / "c.crt"),
                key=str(tmp_path / "c.key"),
            )
        )
    assert [r.status for r in results] == [302, 200]
    assert all(dict(r.headers).get("x-injected") == "yes" for r in results), [r.headers for r in results]


@pytest.mark.parametrize("release", ["1.9.5", "1.10.3", "1.15.1"])
def test_the_match_cn_fix_is_one_this_release_takes(pki, release) -> None:
    """client-cert-cn-rejected's fix for a CN with a space, read back by the same release: no
    validation error, nothing nginx refuses (v1.10.3 writes it unquoted: `\\s`; v1.9.5's
    validator takes no `\\`, `,` or `$`)."""
    from mtls_tui.certs.load import load_material
    from mtls_tui.diagnose.hosts import host_report
    from mtls_tui.policy.ingress_nginx.hosts import host_policies

    _, _, client = pki
    objs = objects(pki, "cn.release.test", {"auth-tls-match-cn": "CN=someone-else"}, release)
    snapshot = snapshot_from_objects(objs, "releases")
    [policy] = [p for p in host_policies(snapshot) if p.host == "cn.release.test"]
    material = load_material(client.cert_pem() + client.key_pem(), "client.crt")
    report = host_report(policy, snapshot, datetime.now(UTC), client=material)
    [rejected] = [f for f in report.findings if f.code == "client-cert-cn-rejected"]
    [value] = [w.split("=", 1)[1] for w in shlex.split(rejected.fix) if w.startswith(P + "auth-tls-match-cn=")]
    again = parsed(pki, {"auth-tls-match-cn": value}, release)
    assert not again.dropped and not [f for f in again.findings if f.severity.name == "ERROR"], (value, again.findings)
    policy_again = [
        p
        for p in host_policies(
            snapshot_from_objects(objects(pki, "cn.release.test", {"auth-tls-match-cn": value}, release), "r")
        )
        if p.host == "cn.release.test"
    ][0]
    report = host_report(policy_again, snapshot, datetime.now(UTC), client=material)
    assert "client-cert-cn-rejected" not in {f.code for f in report.findings}, value


def test_an_unquoted_match_cn_fix_keeps_the_name(pki) -> None:
    """TMPL before v1.11.5: the refused `CN=release client` is fixed by `\\s` for the space (one
    nginx token, the same PCRE match), which the same release then takes without complaint."""
    refused = parsed(pki, {"auth-tls-match-cn": "CN=release client"}, "1.11.4")
    [finding] = [f for f in refused.findings if f.severity.name == "ERROR"]
    [value] = [w.split("=", 1)[1] for w in shlex.split(finding.fix) if w.startswith(P + "auth-tls-match-cn=")]
    assert value == r"CN=release\sclient"
    again = parsed(pki, {"auth-tls-match-cn": value}, "1.11.4")
    assert not [f for f in again.findings if f.severity.name == "ERROR"] and again.policy_fields["match_cn"] == value
