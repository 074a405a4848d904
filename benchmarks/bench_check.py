"""`check --no-probe` on the lab's API server at 5,000 and 20,000 Ingresses (half of them
with mTLS, each with its Secret) in 200 namespaces, against its floor measured in the same
run on the same server: `kubectl get ingress -A -o json` plus `kubectl get secret -A -o json`.

Goals (issue 13): at most 1.0x the floor at each size; the 20,000 run no more than 4.4x
the 5,000 run (linear); requests grow with pages only, counted by the API server itself.
The runs alternate (check, then kubectl) so that a busy machine slows both alike; medians
and the spread are printed. Prints figures; asserts nothing.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from mtls_tui.lab.cluster import LabCluster
from mtls_tui.lab.objects import controller_objects, meow_ingress, namespace
from mtls_tui.lab.pki import secret_manifest, seed_pki

SIZES, NAMESPACES, RUNS = (5_000, 20_000), 200, 3
GOAL_RATIO, GOAL_GROWTH = 1.0, 4.4


def objects(ingresses: int) -> list[dict]:
    """The estate: every other Ingress with mTLS and its own Secret (bench_manifests.py writes it to files)."""
    pki = seed_pki()
    out = [namespace("ingress-nginx"), *controller_objects()]
    for n in range(NAMESPACES):
        out.append(namespace(f"team-{n}"))
    for i in range(ingresses):
        ns = f"team-{i % NAMESPACES}"
        if i % 2 == 0:
            out.append(secret_manifest(pki, name=f"certs-{i}", namespace=ns))
            annotations = {"nginx.ingress.kubernetes.io/auth-tls-secret": f"{ns}/certs-{i}"}
            ingress = meow_ingress(annotations, name=f"app-{i}", host=f"app-{i}.example", namespace_=ns)
            ingress["spec"]["tls"][0]["secretName"] = f"certs-{i}"
        else:
            ingress = meow_ingress({}, tls=False, name=f"app-{i}", host=f"app-{i}.example", namespace_=ns)
        out.append(ingress)
    return out


def timed(argv: list[str]) -> float:
    """Wall time; exit 1 is an answer (error findings), anything else a failure."""
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{argv[0]} failed: {done.stderr.strip()}")
    return time.perf_counter() - start


def served(cluster: LabCluster, run: Callable[[], object]) -> Counter[str]:
    """The requests the API server answered while `run` ran."""
    before = cluster.requests
    run()
    return cluster.requests - before


def spread(values: list[float]) -> str:
    return f"median {statistics.median(values):6.2f} s (runs {', '.join(f'{v:.2f}' for v in values)})"


def measure(size: int, kubectl: str, folder: Path) -> dict[str, float]:
    started = time.perf_counter()
    with LabCluster(objects(size)) as cluster:
        kubeconfig = str(cluster.write_kubeconfig(folder / f"kubeconfig-{size}"))
        check = [sys.executable, "-m", "mtls_tui", "check", "--kubeconfig", kubeconfig, "--no-probe", "--json"]
        floor = [
            [kubectl, "--kubeconfig", kubeconfig, "get", kind, "-A", "-o", "json"] for kind in ("ingress", "secret")
        ]
        print(
            f"\n{size:,} Ingresses ({size // 2:,} with mTLS and their Secrets) in {NAMESPACES} namespaces "
            f"(lab built in {time.perf_counter() - started:.0f} s)"
        )
        # Untimed first runs, counted: they fill kubectl's discovery cache and the server's item cache, for both.
        ours = served(cluster, lambda: timed(check))
        theirs = served(cluster, lambda: [timed(argv) for argv in floor])
        pages = {path: count for path, count in ours.items() if count > 1}
        print(
            f"requests served: check {sum(ours.values())} ({', '.join(f'{n} pages of {p}' for p, n in pages.items())}; "
            f"{sum(ours.values()) - sum(pages.values())} others), kubectl {sum(theirs.values())} (its discovery included)"
        )
        check_times, floor_times = [], []
        for _ in range(RUNS):
            check_times.append(timed(check))
            floor_times.append(sum(timed(argv) for argv in floor))
        ratio = statistics.median(check_times) / statistics.median(floor_times)
        print(f"mtls-tui check --no-probe --json:                    {spread(check_times)}")
        print(f"floor: kubectl get ingress + get secret -A -o json:  {spread(floor_times)}")
        print(f"ratio check/floor: {ratio:.2f}x (goal <= {GOAL_RATIO}x: {'met' if ratio <= GOAL_RATIO else 'NOT met'})")
    return {
        "check": statistics.median(check_times),
        "floor": statistics.median(floor_times),
        "requests": sum(ours.values()),
    }


def main() -> None:
    kubectl = shutil.which("kubectl")
    if not kubectl:
        raise SystemExit("kubectl not installed: no floor to measure against")
    folder = Path(tempfile.mkdtemp(prefix="mtls-tui-bench-"))
    print(f"load average at start: {', '.join(f'{v:.2f}' for v in os.getloadavg())} ({os.cpu_count()} cores)")
    try:
        small, large = (measure(size, kubectl, folder) for size in SIZES)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    growth = large["check"] / small["check"]
    print(
        f"\ngrowth {SIZES[0]:,} -> {SIZES[1]:,} Ingresses: check {growth:.2f}x "
        f"(goal <= {GOAL_GROWTH}x: {'met' if growth <= GOAL_GROWTH else 'NOT met'}), "
        f"floor {large['floor'] / small['floor']:.2f}x, requests {small['requests']} -> {large['requests']}"
    )
    print(f"load average at end: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
