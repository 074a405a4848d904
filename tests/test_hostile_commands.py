"""Printed commands with hostile values: pasted into bash, they run the intended programs and
nothing else; and what came from outside never reaches the terminal as control characters.

Hostile values go where an attacker (or an accident) puts them: a certificate's CN, an
Ingress's host, name and annotations, a Secret's keys. Every fix the tool prints for them is
run in bash with the programs it names replaced by recorders (the subject here is what the
shell does with the words, not what kubectl or openssl would), and `touch` left real: an
injected command would leave a file behind.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from mtls_tui.certs.issue import issue_ca, issue_leaf, new_key
from mtls_tui.cli import main
from mtls_tui.commands.check import print_report
from mtls_tui.lab.pki import write_file
from mtls_tui.policy.kube_objects import snapshot_from_objects
from tests.conftest import RECORDED, run_fix

P = "nginx.ingress.kubernetes.io/"
HOSTILE = [
    "x'; touch PWNED1; echo '",
    "$(touch PWNED2)",
    "`touch PWNED3`",
    'a"; touch PWNED4; echo "',
    "n\ntouch PWNED5\n",
    "%n%s%x",
    "a/b+c=d\\e",
    "\x1b]0;owned\x07\x1b[2J",
]


def hostile_world(folder: Path, value: str) -> tuple[Path, Path]:
    """A certificate and objects that carry `value` in every place a fix quotes."""
    ca = issue_ca("Test CA", key=new_key("ec"))
    client = issue_leaf(value, ca, key=new_key("ec"), days=30, v1=True)
    server = issue_leaf(value, ca, key=new_key("ec"), v1=True)
    write_file(folder / "ca.crt", ca.cert_pem())
    write_file(folder / "client.crt", client.cert_pem())
    write_file(folder / "client.key", client.key_pem(), private=True)
    host = "evil.example" if "\n" in value or "\x1b" in value else f"evil{value}.example"
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": f"app{value}",
            "namespace": "default",
            "annotations": {
                P + "auth-tls-secret": f"default/{value}",
                P + "auth-tls-verify-clent": value,  # misspelt: the fix carries the value
                "ingress.kubernetes.io/auth-tls-verify-depth": value,  # old prefix: the fix carries it too
            },
        },
        "spec": {
            "rules": [
                {
                    "host": host,
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "s", "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ],
            "tls": [{"hosts": ["other.example"], "secretName": value}],
        },
    }
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": value, "namespace": "default"},
        "stringData": {
            f"CA{value}": ca.cert_pem().decode(),
            "tls.crt": server.cert_pem().decode(),
            "tls.key": server.key_pem().decode(),
        },
    }
    manifest = folder / "objects.yaml"
    manifest.write_text(yaml.safe_dump_all([ingress, secret]))
    return manifest, folder / "client.crt"


def second_world(folder: Path, value: str) -> Path:
    """Valid Secret references, so that the controller gets further: hostile Ingress names, a CA
    under a hostile key, a losing Ingress, another controller's class, an old API, optional mode."""
    ca = issue_ca("Test CA", key=new_key("ec"))
    other = issue_ca("Other CA", key=new_key("ec"))
    server = issue_leaf("server", ca, key=new_key("ec"), v1=False, sans=["ok.example"])

    def ingress(name: str, annotations: dict, created: str, **spec) -> dict:
        return {
            "apiVersion": spec.pop("api", "networking.k8s.io/v1"),
            "kind": "Ingress",
            "metadata": {
                "name": name,
                "namespace": "default",
                "creationTimestamp": created,
                "annotations": {P + k: v for k, v in annotations.items()},
            },
            "spec": {
                "ingressClassName": spec.pop("klass", "nginx"),
                "rules": [
                    {
                        "host": spec.pop("host", "ok.example"),
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "s", "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ],
                "tls": [{"hosts": ["ok.example"], "secretName": "pair"}],
            },
        }

    objects = [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {"name": "other"},
            "spec": {"controller": "example.com/other"},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "pair", "namespace": "default"},
            "stringData": {"tls.crt": server.cert_pem().decode(), "tls.key": server.key_pem().decode()},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "misnamed", "namespace": "default"},
            "stringData": {
                f"ca{value}": ca.cert_pem().decode(),
                "tls.crt": server.cert_pem().decode(),
                "tls.key": server.key_pem().decode(),
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "other", "namespace": "default"},
            "stringData": {"ca.crt": other.cert_pem().decode()},
        },
        ingress(
            f"first{value}",
            {"auth-tls-secret": "default/other", "auth-tls-verify-client": "optional"},
            "2026-01-01T00:00:00Z",
        ),
        ingress(f"second{value}", {"auth-tls-secret": "default/misnamed"}, "2026-01-02T00:00:00Z"),
        ingress(f"third{value}", {"auth-tls-secret": "default/other"}, "2026-01-03T00:00:00Z", klass="other"),
        ingress(
            f"fourth{value}",
            {"auth-tls-secret": "default/nothere"},
            "2026-01-04T00:00:00Z",
            host="b.example",
            api="networking.k8s.io/v1beta1",
        ),
        ingress(f"fifth{value}", {"auth-tls-secret": "default/misnamed"}, "2026-01-05T00:00:00Z", host="c.example"),
        # location denials: a hostile address list, and a custom-headers ConfigMap with a hostile header
        ingress(
            f"sixth{value}",
            {"allowlist-source-range": f"10.0.0.0/8 {value}", "custom-headers": "default/headers"},
            "2026-01-06T00:00:00Z",
            host="d.example",
        ),
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "headers", "namespace": "default"},
            "data": {f"X{value}": value},
        },
    ]
    path = folder / "second.yaml"
    path.write_text(yaml.safe_dump_all(objects))
    return path


def fixes_for(folder: Path, value: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    manifest, client = hostile_world(folder, value)
    found = []
    for args in (
        ["check", "--manifests", str(manifest), "--cert", str(client), "--key", str(folder / "client.key")],
        ["check", "--manifests", str(second_world(folder, value)), "--cert", str(client)],
        [
            "inspect",
            "--ca",
            str(folder / "ca.crt"),
            "--cert",
            str(client),
            "--server-cert",
            str(client),
            "--host",
            "evil.example",
        ],
    ):
        main([*args, "--json"])
        data = json.loads(capsys.readouterr().out)
        found += [f for h in data.get("hosts", []) for f in h["findings"]] + data.get("findings", [])
    # The files' objects with hostile names are refused as the API server refuses them
    # (ingress-refused-by-api); objects a cluster hands over are not checked again, so the second
    # world is judged as a cluster's too, and its hostile names reach the fixes that way.
    print_report(as_cluster(second_world(folder, value), client), True)
    data = json.loads(capsys.readouterr().out)
    found += [f for h in data["hosts"] for f in h["findings"]]
    CODES_SEEN.update(f["code"] for f in found if f["fix"])
    return [f["fix"] for f in found if f["fix"]]


def as_cluster(path: Path, client_file: Path):
    """The pipeline's diagnosis of these objects as a cluster's (complete, not validated again)."""
    from dataclasses import replace

    from mtls_tui.service.pipeline import check
    from mtls_tui.service.session import Session
    from mtls_tui.sources.files import read_client

    snapshot = snapshot_from_objects(list(yaml.safe_load_all(path.read_text())), "cluster", complete=True)
    snapshot = replace(snapshot, controllers_known=False)  # as the files: no controller Deployment among them
    client = read_client(str(client_file), None, None, prompt=False, key_hint="with --key")
    return check(Session(), snapshot, client, None)


CODES_SEEN: set[str] = set()


@pytest.mark.parametrize("value", HOSTILE, ids=[f"v{i}" for i in range(len(HOSTILE))])
def test_pasted_fixes_run_only_what_they_name(
    value: str, tmp_path: Path, recorders: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fixes = fixes_for(tmp_path, value, capsys)
    assert len(fixes) >= 5, fixes  # the hostile values reach several kinds of fix
    for fix in fixes:
        assert "\n" not in fix and "\x1b" not in fix, fix
        programs = [call[0] for call in run_fix(fix, tmp_path, recorders)]
        assert not list(tmp_path.glob("PWNED*")), f"injected by: {fix}"
        assert set(programs) <= set(RECORDED), (fix, programs)
        assert programs or " > " in fix, fix  # the recorders record (`> a/b.yaml` fails before the program)


def test_the_hostile_values_reach_many_kinds_of_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The worlds above put hostile values into the fixes of these codes (the test above pastes them all)."""
    fixes_for(tmp_path, HOSTILE[0], capsys)
    wanted = {
        "annotation-invalid-value",
        "annotation-wrong-prefix",
        "cert-v1",
        "server-cert-no-san",
        "server-cert-hostname-mismatch",
        "mtls-not-enforced",
        "mtls-host-conflict",
        "secret-missing-ca",
        "ingress-class-mismatch",
        "ingress-api-removed",
        "client-cert-untrusted",
        "tls-section-missing",
        "location-denied",
    }
    assert wanted <= CODES_SEEN, sorted(wanted - CODES_SEEN)


def test_the_subject_reaches_openssl_as_one_escaped_word(tmp_path: Path) -> None:
    """`-subj` gets /CN= and the value with openssl's own escapes, as a single argument."""
    from mtls_tui.shell import subject_arg

    words = subprocess.run(
        ["/bin/bash", "-c", f"printf '%s\\n' {subject_arg('a/b+c=d')}"], capture_output=True, text=True
    ).stdout
    assert words == "/CN=a\\/b\\+c\\=d\n"
    done = subprocess.run(
        [
            "/bin/bash",
            "-c",
            f"openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
            f"-keyout k.pem -subj {subject_arg('a/b+c=d')} | openssl req -noout -subject -nameopt RFC2253",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.stdout.strip() == "subject=CN=a/b\\+c=d", done.stderr  # one CN: the / and + stayed in the value


def test_no_control_character_from_outside_reaches_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    value = "\x1b]0;owned\x07\x1b[2Jx"
    manifest, client = hostile_world(tmp_path, value)
    main(["inspect", "--ca", str(tmp_path / "ca.crt"), "--cert", str(client), "--key", str(tmp_path / "client.key")])
    main(["check", "--manifests", str(manifest), "--cert", str(client), "--key", str(tmp_path / "client.key")])
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b]0;owned\\x07" in out  # shown, not swallowed


def test_text_output_prints_each_fix_on_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A fix folded over two lines and pasted runs its second line as a command of its own
    (seen with a long hostile issuer name): the text output keeps every fix on one physical line."""
    ca = issue_ca("Pad " * 6 + "x' $(touch PWNED) '", key=new_key("ec"))
    trusted = issue_ca("Trusted", key=new_key("ec"))
    client = issue_leaf("client " * 8, ca, key=new_key("ec"), v1=True)
    write_file(tmp_path / "ca.crt", trusted.cert_pem())
    write_file(tmp_path / "client.crt", client.cert_pem())
    args = ["inspect", "--ca", str(tmp_path / "ca.crt"), "--cert", str(tmp_path / "client.crt")]
    main(args + ["--json"])
    fixes = [f["fix"] for f in json.loads(capsys.readouterr().out)["findings"] if f["fix"]]
    main(args)
    lines = capsys.readouterr().out.splitlines()
    assert fixes and all(any(line.strip() == f"fix: {fix}" for line in lines) for fix in fixes)
