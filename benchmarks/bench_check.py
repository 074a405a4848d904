"""`check` over 5,000 Ingresses (2,500 with mTLS, each with its Secret) in 200
namespaces on the lab's API server, against `kubectl get ingress -A -o json` plus
`kubectl get secret -A -o json` on the same server in the same run.

Goal (issue 4): within 1.5x of kubectl's time; requests grow with pages, not with
Ingresses. Prints figures; asserts nothing.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mtls_tui.lab.cluster import LabCluster
from mtls_tui.lab.objects import controller_objects, meow_ingress, namespace
from mtls_tui.lab.pki import secret_manifest, seed_pki
from mtls_tui.sources.kube import KubeSource

INGRESSES, NAMESPACES, RUNS = 5000, 200, 3


def objects(ingresses: int = INGRESSES) -> list[dict]:
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


def kubectl_requests(kubeconfig: str) -> int:
    total = 0
    for kind in ("ingress", "secret"):
        log = subprocess.run(["kubectl", "--kubeconfig", kubeconfig, "get", kind, "-A", "-o", "json", "-v=6"],
                             capture_output=True, text=True, check=True).stderr
        total += len(re.findall(r'"(?:GET|POST)" url="|GET https://', log))
    return total


def check_requests(kubeconfig: str) -> int:
    source = KubeSource(kubeconfig=kubeconfig)
    try:
        source.snapshot()
    finally:
        source.close()
    return len(source.requests)


def main() -> None:
    kubectl = shutil.which("kubectl")
    folder = Path(tempfile.mkdtemp(prefix="mtls-tui-bench-"))
    try:
        with LabCluster(objects()) as cluster:
            kubeconfig = str(cluster.write_kubeconfig(folder / "kubeconfig"))
            check = [sys.executable, "-m", "mtls_tui", "check", "--kubeconfig", kubeconfig, "--no-probe", "--json"]
            ours = [timed(check) for _ in range(RUNS)]
            print(f"{INGRESSES} Ingresses ({INGRESSES // 2} with mTLS and their Secrets) in {NAMESPACES} namespaces, {RUNS} runs, medians")
            print(f"mtls-tui check (read + policy + certificate rules, JSON): {statistics.median(ours):6.2f} s, "
                  f"{check_requests(kubeconfig)} API requests")
            if not kubectl:
                print("kubectl not installed: no comparison")
                return
            theirs = [timed([kubectl, "--kubeconfig", kubeconfig, "get", "ingress", "-A", "-o", "json"])
                      + timed([kubectl, "--kubeconfig", kubeconfig, "get", "secret", "-A", "-o", "json"]) for _ in range(RUNS)]
            print(f"kubectl get ingress -A -o json + get secret -A -o json:  {statistics.median(theirs):6.2f} s, "
                  f"{kubectl_requests(kubeconfig)} API requests (discovery included)")
            ratio = statistics.median(ours) / statistics.median(theirs)
            print(f"ratio check/kubectl: {ratio:.2f}x (goal <= 1.5x: {'met' if ratio <= 1.5 else 'NOT met'})")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
