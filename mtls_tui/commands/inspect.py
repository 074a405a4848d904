"""`mtls-tui inspect`: read the files, run the certificate rules, print the report."""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import UTC, datetime

from mtls_tui.commands import print_json
from mtls_tui.diagnose.inspect import Input, InputRole, inspect_inputs, unusable
from mtls_tui.errors import CannotRun
from mtls_tui.report.console import print_inspect, terminal_console
from mtls_tui.report.data import inspect_dict
from mtls_tui.sources.files import key_looked_for, passphrase, read_input


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "inspect",
        help="facts and findings for certificates, keys, bundles and Secret manifests",
        description="Facts for every file; with --ca and --cert, nginx's verdict on that client chain; "
        "with --server-cert and --host, the server checks.",
    )
    parser.add_argument(
        "files", nargs="*", metavar="FILE", help="PEM, DER, PKCS#12, Secret manifest (YAML/JSON) or base64 PEM"
    )
    parser.add_argument("--ca", metavar="FILE", help="the CA bundle the server trusts (the Secret's ca.crt)")
    parser.add_argument(
        "--cert", metavar="FILE", help="the client certificate (and the intermediates the client sends)"
    )
    parser.add_argument("--key", metavar="FILE", help="the client's private key")
    parser.add_argument("--crl", metavar="FILE", help="the CRLs nginx checks the client against (the Secret's ca.crl)")
    parser.add_argument("--server-cert", metavar="FILE", help="the server certificate (the Secret's tls.crt)")
    parser.add_argument(
        "--host", metavar="NAME", help="the host name clients use (checked against the server certificate)"
    )
    parser.add_argument(
        "--verify-depth",
        type=_depth,
        default=1,
        metavar="N",
        help="auth-tls-verify-depth (default 1, as ingress-nginx)",
    )
    parser.add_argument(
        "--pass",
        dest="passphrase",
        metavar="PHRASE",
        help="pass phrase for encrypted keys and PKCS#12 (or env MTLS_TUI_PASS; else a prompt)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object with a findings list")
    parser.set_defaults(run=run)


MAX_DEPTH = 2**31 - 1  # OpenSSL's verify depth is a C int: more would wrap around
# The flags that name a file, with what they name it as (argparse's attribute, the input's role).
FLAG_ROLES: tuple[tuple[str, InputRole], ...] = (
    ("ca", "ca"),
    ("cert", "cert"),
    ("key", "key"),
    ("crl", "crl"),
    ("server_cert", "server-cert"),
)


def _key_looked_for(item: Input, key: str | None) -> Input:
    if item.role != "cert" or item.material is None:
        return item
    return replace(item, material=key_looked_for(item.material, item.name, key))


def _depth(value: str) -> int:
    try:
        depth = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {value!r}") from None
    if not 0 <= depth <= MAX_DEPTH:
        raise argparse.ArgumentTypeError(f"must be from 0 to {MAX_DEPTH}")
    return depth


def run(args: argparse.Namespace) -> int:
    named: list[tuple[str, InputRole]] = [(path, "file") for path in args.files]
    named += [(getattr(args, attr), role) for attr, role in FLAG_ROLES if getattr(args, attr)]
    if not named:
        raise CannotRun(
            "nothing to inspect: name a FILE or use --ca/--cert/--key/--server-cert (see mtls-tui inspect --help)"
        )
    password = passphrase(args.passphrase)
    inputs: list[Input] = [_key_looked_for(read_input(path, role, password), args.key) for path, role in named]
    if (error := unusable(inputs)) is not None:
        raise error
    now = datetime.now(UTC)
    report = inspect_inputs(inputs, host=args.host, verify_depth=args.verify_depth, now=now)
    if args.json:
        print_json(inspect_dict(report))
    else:
        print_inspect(terminal_console(), report, now)
    return 1 if report.has_error else 0
