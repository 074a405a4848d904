"""`check --manifests`: the seed's own files, as the article writes them."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mtls_tui.cli import main

SEED_INGRESS = """
apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  annotations:
    nginx.ingress.kubernetes.io/auth-tls-verify-client: "on"
    nginx.ingress.kubernetes.io/auth-tls-secret: "default/my-certs"
  name: meow-ingress
  namespace: default
spec:
  rules:
  - host: meow.com
    http:
      paths:
      - backend:
          serviceName: meow-svc
          servicePort: 80
        path: /
  tls:
  - hosts:
    - meow.com
    secretName: my-certs
"""
# The seed's Ingress as networking.k8s.io/v1 takes it: a v1 backend and a pathType on the path (the API
# server refuses a v1 path without one: pkg/apis/networking/validation/validation.go validateHTTPIngressPath)
SEED_INGRESS_V1 = (
    SEED_INGRESS.replace("extensions/v1beta1", "networking.k8s.io/v1")
    .replace(
        "serviceName: meow-svc\n          servicePort: 80",
        "service:\n            name: meow-svc\n            port:\n              number: 80",
    )
    .replace("        path: /\n", "        path: /\n        pathType: Prefix\n")
)


def seed_secret(seed_dir: Path) -> dict:
    """What `kubectl create secret generic my-certs --from-file=...` stores."""
    files = {"tls.crt": "server.crt", "tls.key": "server.key", "ca.crt": "ca.crt"}
    data = {key: base64.b64encode((seed_dir / name).read_bytes()).decode() for key, name in files.items()}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "my-certs", "namespace": "default"},
        "type": "Opaque",
        "data": data,
    }


def test_seed_manifests_only_the_removed_api(
    seed_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "secret.yaml").write_text(yaml.safe_dump(seed_secret(seed_dir)))
    (tmp_path / "ingress.yaml").write_text(SEED_INGRESS)
    code = main(["check", "--manifests", str(tmp_path), "--json"])
    report = json.loads(capsys.readouterr().out)
    errors = [f["code"] for f in report["findings"] if f["severity"] == "error"]
    assert errors == ["ingress-api-removed"] and code == 1
    host = report["hosts"][0]
    assert host["host"] == "meow.com" and host["policy"]["secret"] == "default/my-certs"
    assert "ssl_verify_depth 1;" in host["directives"]


def test_secret_data_broken_over_lines(seed_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Base64 in a block scalar, 76 characters a line (`base64` and editors write it so): the API
    server skips the line breaks, and so does the verdict, for check and inspect alike."""
    secret = seed_secret(seed_dir)
    lines = "".join(
        f"    {key}: |\n"
        + "".join(f"      {line}\n" for line in base64.encodebytes(base64.b64decode(value)).decode().splitlines())
        for key, value in secret["data"].items()
    )
    (tmp_path / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: my-certs, namespace: default}\ntype: Opaque\ndata:\n" + lines
    )
    (tmp_path / "ingress.yaml").write_text(SEED_INGRESS)
    code = main(["check", "--manifests", str(tmp_path), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert [f["code"] for f in report["findings"] if f["severity"] == "error"] == ["ingress-api-removed"] and code == 1
    assert {c["secret_key"] for c in report["hosts"][0]["certificates"]} == {"ca.crt", "tls.crt"}
    main(["inspect", str(tmp_path / "secret.yaml"), "--json"])
    inspected = json.loads(capsys.readouterr().out)
    assert {k["name"]: k["size"] for k in inspected["secrets"][0]["keys"]}["ca.crt"] == len(
        (seed_dir / "ca.crt").read_bytes()
    )


def test_bad_manifest_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("kind: Ingress\nmetadata: {name: [unclosed\n")
    out = subprocess.run(
        [sys.executable, "-m", "mtls_tui", "check", "--manifests", str(tmp_path / "broken.yaml")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "broken.yaml:2" in out.stderr and out.stderr.count("\n") == 1


def test_unknown_host_is_one_line(seed_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "all.yaml").write_text(yaml.safe_dump(seed_secret(seed_dir)) + "---\n" + SEED_INGRESS)
    out = subprocess.run(
        [sys.executable, "-m", "mtls_tui", "check", "--manifests", str(tmp_path), "--host", "purr.com"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "hosts: meow.com" in out.stderr


def test_re_sign_fixes_end_with_the_ca(seed_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A printed re-sign must not make a certificate that outlives its CA (the seed's CA has 356 days)."""
    import re

    (tmp_path / "all.yaml").write_text(yaml.safe_dump(seed_secret(seed_dir)) + "---\n" + SEED_INGRESS_V1)
    main(
        [
            "check",
            "--manifests",
            str(tmp_path / "all.yaml"),
            "--cert",
            str(seed_dir / "client.crt"),
            "--key",
            str(seed_dir / "client.key"),
            "--json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    days = [int(d) for f in report["findings"] for d in re.findall(r"-days (\d+) -CA", f["fix"])]
    assert days and max(days) <= 356  # the CA was made with -days 356 moments ago


def test_equal_secrets_are_each_named_where_they_are_read(
    seed_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Equal bytes in many Secrets are parsed once (diagnose/hosts.py `_parsed_content`); every
    finding still names the Secret it was found in, for a readable CA and for a damaged one."""
    good = seed_secret(seed_dir)
    damaged_ca = (seed_dir / "ca.crt").read_text().rsplit("-----END", 1)[0]  # a PEM cut before its END line
    documents = []
    for team in ("team-a", "team-b"):
        for name, ca in (("good", good["data"]["ca.crt"]), ("cut", base64.b64encode(damaged_ca.encode()).decode())):
            secret = {**good, "metadata": {"name": name, "namespace": team}, "data": {**good["data"], "ca.crt": ca}}
            ingress = yaml.safe_load(SEED_INGRESS_V1)
            ingress["metadata"] = {
                "name": f"{name}-ingress",
                "namespace": team,
                "annotations": {"nginx.ingress.kubernetes.io/auth-tls-secret": f"{team}/{name}"},
            }
            ingress["spec"] = {
                "rules": [  # with paths: a host-only rule would bring no auth-tls (getBackendServers)
                    {
                        "host": f"{name}.{team}.meow.com",
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
                "tls": [{"hosts": [f"{name}.{team}.meow.com"], "secretName": name}],
            }
            documents += [secret, ingress]
    (tmp_path / "all.yaml").write_text(yaml.safe_dump_all(documents))
    main(["check", "--manifests", str(tmp_path / "all.yaml"), "--json", "--no-probe"])
    report = json.loads(capsys.readouterr().out)
    hosts = {h["host"]: h for h in report["hosts"]}
    for team in ("team-a", "team-b"):
        good_keys = {c["secret_key"] for c in hosts[f"good.{team}.meow.com"]["certificates"]}
        unreadable = [
            f["title"] + f["detail"]
            for f in hosts[f"cut.{team}.meow.com"]["findings"]
            if f["code"] == "input-unreadable"
        ]
        assert "ca.crt" in good_keys
        assert not [f for f in hosts[f"good.{team}.meow.com"]["findings"] if f["code"] == "input-unreadable"]
        assert unreadable and all(f"Secret {team}/cut, key ca.crt" in text for text in unreadable), unreadable


def _classed(seed_dir: Path, folder: Path, klass: str) -> Path:
    """The seed's v1 Ingress asking for `klass` by spec.ingressClassName, beside its Secret, no IngressClass."""
    ingress = yaml.safe_load(SEED_INGRESS_V1)
    ingress["spec"]["ingressClassName"] = klass
    path = folder / "objects.yaml"
    path.write_text(yaml.safe_dump_all([ingress, seed_secret(seed_dir)]))
    return path


@pytest.mark.parametrize(("klass", "other"), [("traefik", "Traefik"), ("istio", "Istio"), ("nginx-internal", None)])
def test_a_class_not_among_the_files_leaves_the_host_unverified(
    seed_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], klass: str, other: str | None
) -> None:
    """store.go GetIngressClass: ingress-nginx reads an Ingress only when the IngressClass it names has
    spec.controller k8s.io/ingress-nginx. Without the class among the files that is an assumption, and
    `traefik` is Traefik's own default class (traefik pkg/provider/kubernetes/ingress/kubernetes.go
    traefikDefaultIngressClass), where the nginx annotations do nothing: never "works"."""
    code = main(["check", "--manifests", str(_classed(seed_dir, tmp_path, klass)), "--json", "--no-probe"])
    host = json.loads(capsys.readouterr().out)["hosts"][0]
    assert host["state"] == "unverified" and code == 0, host["verdict"]
    assert f"IngressClass {klass}" in host["unchecked"]
    [finding] = [f for f in host["findings"] if f["code"] == "ingress-class-not-in-manifests"]
    assert finding["severity"] == "warning"
    assert ("anyone gets in" in finding["detail"]) == bool(other) and (other or "") in finding["detail"]
    assert finding["fix"] == f"kubectl get ingressclass {klass} -o yaml > {klass}-ingressclass.yaml"
    assert finding["then"] == "add it to --manifests"


def test_the_default_class_is_ingress_nginx_s_without_its_object(
    seed_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`nginx` is ingress-nginx's --ingress-class default (pkg/flags/flags.go) and its chart's class name."""
    main(["check", "--manifests", str(_classed(seed_dir, tmp_path, "nginx")), "--json", "--no-probe"])
    host = json.loads(capsys.readouterr().out)["hosts"][0]
    assert host["state"] == "works" and "ingress-class-not-in-manifests" not in {f["code"] for f in host["findings"]}


def test_the_class_fix_run_as_printed_settles_who_serves_the_host(
    seed_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The fix, as printed, with the real kubectl against the lab's API server holding Traefik's
    IngressClass; with the file it wrote among the manifests, Traefik's reader judges the host and
    says the auth-tls annotations leave it open (mtls-fail-open), and ingress-nginx ignores it."""
    from tests.test_policy_fixes_run import run_as_printed

    objects = _classed(seed_dir, tmp_path, "traefik")
    main(["check", "--manifests", str(objects), "--json", "--no-probe"])
    [finding] = [
        f
        for f in json.loads(capsys.readouterr().out)["hosts"][0]["findings"]
        if f["code"] == "ingress-class-not-in-manifests"
    ]
    klass = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": "traefik"},
        "spec": {"controller": "traefik.io/ingress-controller"},
    }
    done, _ = run_as_printed(finding["fix"], [klass], tmp_path)
    assert done.returncode == 0, done.stderr
    main(["check", "--manifests", str(objects), str(tmp_path / "traefik-ingressclass.yaml"), "--json", "--no-probe"])
    report = json.loads(capsys.readouterr().out)
    nginx = report["hosts"][0]
    assert nginx["state"] == "broken" and "ingress-class-mismatch" in {f["code"] for f in nginx["findings"]}
    [traefik] = report["other_controllers"]
    assert traefik["state"] == "not enforced" and "mtls-fail-open" in {f["code"] for f in traefik["findings"]}


@pytest.mark.parametrize("nginx_class", [False, True])
def test_an_ingress_traefik_serves_is_not_handed_to_an_ingress_nginx_class_made_for_it(
    seed_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], nginx_class: bool
) -> None:
    """IngressClass traefik names traefik.io/ingress-controller: Traefik's reader judges the host. With an
    ingress-nginx IngressClass, moving the Ingress to it is the fix; without one, the command that makes
    one comes with its condition (on a cluster running only Traefik it would leave the host served by
    nobody, as the review saw), and both point at Traefik's verdict."""
    objects = _classed(seed_dir, tmp_path, "traefik")
    classes = [("traefik", "traefik.io/ingress-controller")] + (
        [("nginx", "k8s.io/ingress-nginx")] if nginx_class else []
    )
    (tmp_path / "classes.yaml").write_text(
        yaml.safe_dump_all(
            [
                {
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "IngressClass",
                    "metadata": {"name": n},
                    "spec": {"controller": c},
                }
                for n, c in classes
            ]
        )
    )
    main(["check", "--manifests", str(objects), str(tmp_path / "classes.yaml"), "--json", "--no-probe"])
    report = json.loads(capsys.readouterr().out)
    [mismatch] = [f for f in report["hosts"][0]["findings"] if f["code"] == "ingress-class-mismatch"]
    assert "other_controllers" in mismatch["detail"]
    if nginx_class:
        assert (
            mismatch["fix"].startswith("kubectl patch ingress meow-ingress")
            and '"ingressClassName":"nginx"' in mismatch["fix"]
        )
    else:
        assert "controller: k8s.io/ingress-nginx" in mismatch["fix"] and "served by nobody" in mismatch["detail"]
    assert report["other_controllers"][0]["state"] == "not enforced"


def test_piped_text_has_no_spaces_at_line_ends(
    seed_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """rich pads a table's cells to their width; in a pipe or a file the lines end at their last word
    (the review grepped padded lines)."""
    (tmp_path / "secret.yaml").write_text(yaml.safe_dump(seed_secret(seed_dir)))
    (tmp_path / "ingress.yaml").write_text(SEED_INGRESS)
    main(["check", "--manifests", str(tmp_path)])
    main(["inspect", str(tmp_path / "secret.yaml")])
    out = capsys.readouterr().out
    assert "ingress-api-removed" in out and "Secret default/my-certs" in out
    assert not [line for line in out.splitlines() if line.endswith(" ")]


def _exit_status(folder: Path, *options: str) -> subprocess.CompletedProcess:
    """The real command line, as a CI gate runs it."""
    return subprocess.run(
        [sys.executable, "-m", "mtls_tui", "check", "--manifests", str(folder), "--no-probe", "--json", *options],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("verify", "secret", "state"),
    [
        ("on", True, "works"),
        ("optional", True, "not enforced"),
        ("off", True, "not enforced"),
        ("optional_no_ca", True, "not enforced"),
        ("on", False, "unverified"),  # secret-not-in-manifests: the verdict depends on a Secret not read
    ],
)
def test_strict_exits_1_for_a_host_not_enforced_or_unverified(
    seed_dir: Path, tmp_path: Path, verify: str, secret: bool, state: str
) -> None:
    """The default stays the contract's (0: no error finding); --strict makes a chosen open door
    and an unverified host fail a gate too, with the same report."""
    ingress = SEED_INGRESS_V1.replace('auth-tls-verify-client: "on"', f'auth-tls-verify-client: "{verify}"')
    (tmp_path / "all.yaml").write_text((yaml.safe_dump(seed_secret(seed_dir)) + "---\n" if secret else "") + ingress)
    default, strict = _exit_status(tmp_path), _exit_status(tmp_path, "--strict")
    assert json.loads(default.stdout)["hosts"][0]["state"] == state, default.stdout
    assert json.loads(strict.stdout) == json.loads(default.stdout)
    assert default.returncode == 0, default.stderr
    assert strict.returncode == (0 if state == "works" else 1), strict.stderr


def test_strict_is_in_the_help() -> None:
    shown = subprocess.run([sys.executable, "-m", "mtls_tui", "check", "--help"], capture_output=True, text=True)
    assert "--strict" in shown.stdout and "not enforced" in shown.stdout and "unverified" in shown.stdout


def test_strict_on_the_labs_check(tmp_path: Path) -> None:
    """`lab --check` shares the exit status: the verify-off scenario (auth-tls-verify-client off)
    is `not enforced`, 0 by default and 1 with --strict."""
    lab = ["lab", "--dir", str(tmp_path / "lab"), "--gateway", "builtin", "--scenario", "verify-off", "--check"]
    runs = [
        subprocess.run(
            [sys.executable, "-m", "mtls_tui", *lab, "--json", *strict],
            capture_output=True,
            text=True,
            timeout=180,
        )
        for strict in ([], ["--strict"])
    ]
    for run in runs:
        assert json.loads(run.stdout)["hosts"][0]["state"] == "not enforced", run.stderr
    assert [run.returncode for run in runs] == [0, 1], [run.stderr for run in runs]
    refused = subprocess.run([sys.executable, "-m", "mtls_tui", *lab[:-1], "--strict"], capture_output=True, text=True)
    assert refused.returncode == 2 and "--strict needs --check" in refused.stderr


def test_the_probe_to_try_names_the_given_client_files(
    seed_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Where `check --manifests` cannot probe, its `try:` line is the probe to run: with the
    --cert and --key given (a user's files are seldom named client.crt in the working folder)."""
    (tmp_path / "secret.yaml").write_text(yaml.safe_dump(seed_secret(seed_dir)))
    (tmp_path / "ingress.yaml").write_text(SEED_INGRESS_V1)
    cert, key = seed_dir / "client.crt", seed_dir / "client.key"
    code = main(["check", "--manifests", str(tmp_path), "--cert", str(cert), "--key", str(key), "--no-probe"])
    [step] = [line.strip() for line in capsys.readouterr().out.splitlines() if line.strip().startswith("try:")]
    assert step == f"try: mtls-tui probe https://meow.com/ --cert {cert} --key {key}" and code == 0, step


def test_the_broken_headline_says_broken_once(
    seed_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`BROKEN meow.com  broken: ...` said it twice; the badge says it, as on the screen (JSON keeps
    the whole verdict). The Secret named without its namespace: annotation-secret-format, an error."""
    (tmp_path / "secret.yaml").write_text(yaml.safe_dump(seed_secret(seed_dir)))
    (tmp_path / "ingress.yaml").write_text(SEED_INGRESS_V1.replace("default/my-certs", "my-certs"))
    assert main(["check", "--manifests", str(tmp_path), "--no-probe"]) == 1
    [line] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("BROKEN")]
    assert line.startswith("BROKEN meow.com  ") and "broken:" not in line, line
    main(["check", "--manifests", str(tmp_path), "--no-probe", "--json"])
    assert json.loads(capsys.readouterr().out)["hosts"][0]["verdict"].startswith("broken: ")


@pytest.mark.parametrize(
    ("drop", "state", "unchecked"),
    [
        (None, "works", []),  # every object read, nothing wrong: DESIGN's works, said as predicted, not probed
        ("ConfigMap", "unverified", ["ConfigMap meow/meow-ca"]),  # the CA's ConfigMap not among the files
        ("GatewayClass", "unverified", ["GatewayClass eg"]),  # who serves the Gateway is not known
    ],
)
def test_a_successor_host_from_files_is_judged_as_an_ingress_nginx_one(
    tmp_path: Path, drop: str | None, state: str, unchecked: list[str]
) -> None:
    """DESIGN's host states hold for every controller: `works` when every input the verdict depends
    on was read and nothing is wrong (diagnose/successors.py successor_report), `unverified` naming
    what was not read (JSON `unchecked`, the verdict), so --strict can pass on a sound Gateway."""
    docs = [
        d
        for d in yaml.safe_load_all((Path(__file__).parent / "data/successors/gateway-api/healthy.yaml").read_text())
        if d and d["kind"] != drop
    ]
    (tmp_path / "gateway.yaml").write_text(yaml.safe_dump_all(docs))
    default, strict = _exit_status(tmp_path), _exit_status(tmp_path, "--strict")
    [host] = json.loads(default.stdout)["other_controllers"]
    assert (host["state"], host["unchecked"]) == (state, unchecked), host["verdict"]
    assert ("not probed" in host["verdict"]) if state == "works" else host["verdict"].startswith("unverified: ")
    assert default.returncode == 0 and strict.returncode == (0 if state == "works" else 1), strict.stderr


@pytest.mark.parametrize(
    "name",
    [
        "envoy-gateway/mode-request.yaml",
        "istio/optional-mutual.yaml",
        "traefik/verify-if-given.yaml",
        "f5-nginx/verify-optional.yaml",
        "gateway-api/insecure-fallback.yaml",
    ],
)
def test_a_successors_own_optional_mode_exits_as_ingress_nginxs_optional(tmp_path: Path, name: str) -> None:
    """README's exit status: a host whose own objects let clients in without a certificate (a choice,
    often so the application checks) is `not enforced` with a warning, exit 0, and 1 under --strict.
    Under a successor the same choice gave exit 1 (mtls-fallback-mode was an error): a gate that
    passed on ingress-nginx's optional failed on the migrated VerifyIfGiven (a new user's review)."""
    source = Path(__file__).parent / "data" / "successors" / name
    (tmp_path / "objects.yaml").write_bytes(source.read_bytes())
    default, strict = _exit_status(tmp_path), _exit_status(tmp_path, "--strict")
    hosts = json.loads(default.stdout)["other_controllers"]
    assert [h["state"] for h in hosts] == ["not enforced"], hosts
    codes = {f["code"]: f["severity"] for f in hosts[0]["findings"]}
    assert codes.get("mtls-fallback-mode", "warning") == "warning" and "error" not in codes.values(), codes
    assert (default.returncode, strict.returncode) == (0, 1), (default.stderr, strict.stderr)
