"""`mtls-tui pki DIR`: the seed's CA, server and client certificates, for a workshop."""

from __future__ import annotations

import argparse
from pathlib import Path

from mtls_tui.lab.pki import write_seed_pki


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("pki", help="issue the seed's PKI (CA, meow.com server, Fern client) into a folder")
    parser.add_argument("folder", metavar="DIR")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    write_seed_pki(folder)
    print(f"wrote ca.crt, server.crt, client.crt, their keys (mode 0600) and my-certs.json (the Secret) to {folder}/")
    return 0
