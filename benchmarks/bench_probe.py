"""The probe against curl, same request, same nginx, same run.

Goal (issue 3): the probe's total within 1.3x of curl's. Prints medians over RUNS
requests, the ratio, and the TLS handshake time separately. Asserts nothing.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mtls_tui.lab.gateway import Gateway, GatewayHost
from mtls_tui.lab.pki import seed_pki, write_seed_pki
from mtls_tui.model import MtlsPolicy, ProbeSpec
from mtls_tui.sources.probe import probe

RUNS = 40


def curl_once(url: str, resolve: str, folder: Path) -> tuple[float, float, float]:
    out = subprocess.run(
        [
            "curl",
            "-sk",
            "-o",
            "/dev/null",
            "--resolve",
            resolve,
            "--cert",
            str(folder / "client.crt"),
            "--key",
            str(folder / "client.key"),
            "-w",
            "%{time_connect} %{time_appconnect} %{time_total}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    connect, appconnect, total = (float(v) * 1000 for v in out)
    return connect, appconnect - connect, total


def serve(folder: Path, ports: multiprocessing.Queue, stop: multiprocessing.Event) -> None:
    """The gateway (nginx + echo upstream) in its own process, so the echo thread
    does not share the probe's interpreter: curl gets the same courtesy."""
    pki = load_pki(folder)
    host = GatewayHost(MtlsPolicy("meow.com", secret="default/my-certs"), *pki)
    with Gateway([host]) as gateway:
        ports.put(gateway.port)
        stop.wait()


def load_pki(folder: Path) -> tuple[bytes, bytes, bytes]:
    return (folder / "server.crt").read_bytes(), (folder / "server.key").read_bytes(), (folder / "ca.crt").read_bytes()


def main() -> None:
    if not shutil.which("curl"):
        sys.exit("curl is not installed: apt-get install curl")
    folder = Path(tempfile.mkdtemp(prefix="mtls-tui-bench-"))
    write_seed_pki(folder, seed_pki())
    ports: multiprocessing.Queue = multiprocessing.Queue()
    stop = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(folder, ports, stop))
    server.start()
    try:
        port = ports.get(timeout=30)
        url, resolve = f"https://meow.com:{port}/", f"meow.com:{port}:127.0.0.1"
        spec = ProbeSpec(
            url, resolve=resolve, insecure=True, cert=str(folder / "client.crt"), key=str(folder / "client.key")
        )
        asyncio.run(probe(spec))  # warm imports and the page cache
        curl_once(url, resolve, folder)
        curl_totals, curl_tls, probe_totals, probe_tls, probe_walls = [], [], [], [], []
        for _ in range(RUNS):
            _, tls, total = curl_once(url, resolve, folder)
            curl_totals.append(total)
            curl_tls.append(tls)
            start = time.perf_counter()
            results = asyncio.run(probe(spec))
            probe_walls.append((time.perf_counter() - start) * 1000)
            with_cert = results[1]
            assert with_cert.status == 200, with_cert.failure
            probe_totals.append(with_cert.timings.total)
            probe_tls.append(with_cert.timings.tls)
    finally:
        stop.set()
        server.join(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
    med = statistics.median
    print(f"seed chain (RSA 2048), real nginx on loopback, {RUNS} runs, medians")
    print(
        f"curl, one request with the client certificate:      total {med(curl_totals):7.2f} ms   TLS handshake {med(curl_tls):6.2f} ms"
    )
    print(
        f"probe, the same request (httpx, recorded total):    total {med(probe_totals):7.2f} ms   TLS handshake {med(probe_tls):6.2f} ms"
    )
    print(f"probe, both attempts end to end (wall, in process): total {med(probe_walls):7.2f} ms")
    ratio = med(probe_totals) / med(curl_totals)
    print(f"ratio probe/curl (request total): {ratio:.2f}x  (goal <= 1.3x: {'met' if ratio <= 1.3 else 'NOT met'})")
    print(f"ratio probe/curl (whole probe, wall): {med(probe_walls) / med(curl_totals):.2f}x")


if __name__ == "__main__":
    main()
