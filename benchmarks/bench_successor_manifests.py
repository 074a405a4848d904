"""What checking successor objects against their CRDs costs `check --manifests`: a file of N
copies of tests/data/successors/envoy-gateway/healthy.yaml (a Gateway, an HTTPRoute, a
ClientTrafficPolicy, a ConfigMap and a Secret each, in their own namespace) is turned into a
snapshot as a cluster's objects (not checked) and as manifest files (each custom resource checked
by policy/crd_schema.py), then the whole command runs on it. Median of RUNS; prints, asserts nothing.

    .venv/bin/python benchmarks/bench_successor_manifests.py [N]
"""

from __future__ import annotations

import copy
import gc
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RUNS = 3


def estate(count: int) -> list[dict]:
    seed = [d for d in yaml.safe_load_all((ROOT / "tests/data/successors/envoy-gateway/healthy.yaml").read_text()) if d]
    out = [d for d in seed if d["kind"] == "GatewayClass"]
    for index in range(count):
        for doc in (copy.deepcopy(d) for d in seed if d["kind"] != "GatewayClass"):
            doc["metadata"]["namespace"] = f"ns{index}"
            for listener in doc["spec"].get("listeners", []) if doc["kind"] == "Gateway" else []:
                listener["hostname"] = f"h{index}.meow.com"
            if doc["kind"] == "HTTPRoute":
                doc["spec"]["hostnames"] = [f"h{index}.meow.com"]
            out.append(doc)
    return out


def main() -> None:
    from mtls_tui.policy.kube_objects import snapshot_from_objects

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1500
    docs = estate(count)
    gc.disable()
    for complete, what in ((True, "not checked (a cluster's)"), (False, "checked against the CRDs (files)")):
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            snapshot_from_objects(docs, "bench", complete=complete)
            times.append(time.perf_counter() - start)
        print(f"{len(docs)} objects, snapshot {what}: {statistics.median(times):.3f} s")
    gc.enable()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "successors.yaml"
        path.write_text(yaml.safe_dump_all(docs))
        command = [sys.executable, "-m", "mtls_tui", "check", "--manifests", str(path), "--no-probe", "--json"]
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
            times.append(time.perf_counter() - start)
        print(
            f"check --manifests on {path.stat().st_size / 1e6:.1f} MB: {statistics.median(times):.2f} s (whole process)"
        )


if __name__ == "__main__":
    main()
