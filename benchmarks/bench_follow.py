"""Following 3 controller pods that each write 20,000 lines/s for 10 s.

The lab's API server runs in a child process (as a real one runs elsewhere) and
feeds the lines; this process follows all three pods into a 10,000-line LogBuffer
and samples its own memory. Goal (issue 5): memory flat and under 150 MB. Prints
the rate that arrived, memory samples and the peak; asserts nothing.
"""

from __future__ import annotations

import multiprocessing
import resource
import shutil
import tempfile
import threading
import time
from pathlib import Path

PODS, RATE, SECONDS = 3, 20_000, 10
LINE = (
    '10.0.0.1 - - [28/Nov/2026:21:45:34 +0000] "GET /api/v1/items HTTP/2.0" 200 512 "-" "curl/8.5.0" 39 0.001 '
    "[default-meow-svc-80] [] 10.1.2.3:8080 512 0.001 200 3f1c1b9e7a0b4c5d8e9f"
)


def serve(folder: str, ready, go, done) -> None:
    from mtls_tui.lab.cluster import LabCluster
    from mtls_tui.lab.objects import CONTROLLER_NAMESPACE, controller_objects, namespace

    with LabCluster([namespace(CONTROLLER_NAMESPACE), *controller_objects(replicas=PODS)], log_lines=50_000) as cluster:
        cluster.write_kubeconfig(Path(folder) / "kubeconfig")
        pods = sorted(p["metadata"]["name"] for p in cluster.objects("Pod"))
        logs = [cluster.pod_log(CONTROLLER_NAMESPACE, pod, "controller") for pod in pods]
        ready.set()
        go.wait()
        per_tick = RATE // 100  # every 10 ms
        start = time.perf_counter()
        tick = 0
        while time.perf_counter() - start < SECONDS:
            for log in logs:
                log.extend([LINE] * per_tick)
            tick += 1
            time.sleep(max(0.0, start + tick * 0.01 - time.perf_counter()))
        done.wait(30)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    from mtls_tui.logs.buffer import LogBuffer
    from mtls_tui.sources.kube import KubeSource
    from mtls_tui.sources.logs import ControllerLogs

    folder = tempfile.mkdtemp(prefix="mtls-tui-bench-")
    ready, go, done = multiprocessing.Event(), multiprocessing.Event(), multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(folder, ready, go, done))
    server.start()
    ready.wait(30)
    source = KubeSource(kubeconfig=str(Path(folder) / "kubeconfig"))
    buffer = LogBuffer()
    lock = threading.Lock()
    received = [0]

    def take(record) -> None:
        with lock:
            buffer.append(record)
            received[0] += 1

    follower = ControllerLogs(source, take, tail=0)
    runner = threading.Thread(target=follower.run, daemon=True)
    runner.start()
    time.sleep(1.0)
    base = rss_mb()
    go.set()
    samples = []
    start = time.perf_counter()
    while time.perf_counter() - start < SECONDS + 2:
        time.sleep(1.0)
        samples.append((time.perf_counter() - start, received[0], rss_mb()))
    follower.stop()
    runner.join(3)
    done.set()
    server.join(30)
    source.close()
    shutil.rmtree(folder, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{PODS} pods x {RATE:,} lines/s for {SECONDS} s = {PODS * RATE * SECONDS:,} lines written")
    print("  t(s)   lines received   rate(lines/s)   RSS(MB)")
    last_t, last_n = 0.0, 0
    for t, n, rss in samples:
        print(f"  {t:4.1f}   {n:14,}   {int((n - last_n) / (t - last_t)):13,}   {rss:7.1f}")
        last_t, last_n = t, n
    print(
        f"received {received[0]:,} lines ({received[0] / (PODS * RATE * SECONDS):.0%}); buffer holds {len(buffer):,}, dropped {buffer.dropped:,}"
    )
    print(
        f"memory: {base:.1f} MB before the flood, peak RSS {peak:.1f} MB "
        f"(goal flat and under 150 MB -> {'met' if peak < 150 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
