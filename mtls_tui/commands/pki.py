"""`mtls-tui pki DIR`: the seed's CA, server and client certificates, for a workshop."""

from __future__ import annotations

import argparse
from pathlib import Path

from mtls_tui.errors import CannotRun
from mtls_tui.lab.pki import folder_lock, prepare_folder, write_seed_pki


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("pki", help="issue the seed's PKI (CA, meow.com server, Fern client) into a folder")
    parser.add_argument("folder", metavar="DIR")
    parser.add_argument("--force", action="store_true", help="replace a PKI already in DIR (its CA key is lost)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    existing = [name for name in ("ca.key", "ca.crt", "client.key", "server.key") if (folder / name).exists()]
    if existing and not args.force:
        raise CannotRun(
            f"{folder} already holds {', '.join(existing)}: a new CA would invalidate every certificate "
            "it signed; use another DIR or --force"
        )
    prepare_folder(folder)
    with folder_lock(folder):  # not under a lab that serves this folder's certificates
        write_seed_pki(folder, replace=True)
    print(f"wrote ca.crt, server.crt, client.crt, their keys (mode 0600) and my-certs.json (the Secret) to {folder}/")
    return 0
