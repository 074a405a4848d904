"""Time to load and analyse a 1,000-certificate CA bundle, and one seed chain.

Goal (issue 2): the bundle under 0.5 s. Prints figures; asserts nothing.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime

from mtls_tui.certs.facts import cert_facts
from mtls_tui.certs.issue import issue_ca, new_key
from mtls_tui.certs.load import load_material
from mtls_tui.diagnose.inspect import Input, inspect_inputs
from mtls_tui.lab.pki import seed_pki

RUNS = 5


def best_of(label: str, func) -> float:
    """Cold each time: the facts cache is emptied, or runs after the first would measure it."""
    times = []
    for _ in range(RUNS):
        cert_facts.cache_clear()
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    print(f"{label:58} best {min(times) * 1000:8.1f} ms   median {statistics.median(times) * 1000:8.1f} ms")
    return min(times)


def main() -> None:
    key = new_key("ec")
    bundle = b"".join(issue_ca(f"Bundle CA {i}", key=key).cert_pem() for i in range(999))
    pki = seed_pki()
    bundle += pki.ca.cert_pem()
    now = datetime.now(UTC)
    print(f"bundle: 1,000 certificates, {len(bundle) / 1e6:.2f} MB PEM")

    best_of("load 1,000-certificate bundle (parse only)", lambda: load_material(bundle, "bundle.pem"))

    def analyse_bundle() -> None:
        inspect_inputs([Input("bundle.pem", "file", load_material(bundle, "bundle.pem"))], now=now)

    total = best_of("load + facts + rules, 1,000-certificate bundle", analyse_bundle)

    def verdict_against_bundle() -> None:
        inspect_inputs(
            [
                Input("bundle.pem", "ca", load_material(bundle, "bundle.pem")),
                Input("client.crt", "cert", load_material(pki.client.cert_pem(), "client.crt")),
                Input("client.key", "key", load_material(pki.client.key_pem(), "client.key")),
            ],
            now=now,
        )

    best_of("...plus nginx's verdict on the seed client against it", verdict_against_bundle)

    def seed_chain() -> None:
        inspect_inputs(
            [
                Input("ca.crt", "ca", load_material(pki.ca.cert_pem(), "ca.crt")),
                Input("client.crt", "cert", load_material(pki.client.cert_pem(), "client.crt")),
                Input("client.key", "key", load_material(pki.client.key_pem(), "client.key")),
                Input("server.crt", "server-cert", load_material(pki.server.cert_pem(), "server.crt")),
            ],
            host="meow.com",
            now=now,
        )

    best_of("one seed chain: CA, client + key, server, all rules", seed_chain)
    print(f"goal: bundle under 500 ms -> {'met' if total < 0.5 else 'NOT met'} ({total * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
