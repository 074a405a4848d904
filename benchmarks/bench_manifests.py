"""`check --manifests` on bench_check.py's estate written as ONE file, in YAML (a List, as
`kubectl get ingress,secret -A -o yaml` writes it) and in JSON (`-o json`), against the floor
measured in the same run: the same file parsed by the fastest loader available (LibYAML's
CSafeLoader and json, each as called and with the collector paused; orjson when installed).
The check runs with the collector paused too, as the command runs it.
At 1,250 and 5,000 Ingresses (half with mTLS and a Secret each), so that growth shows.

Goals (issue 13): the check within 2x the floor; peak memory within 3x the file's size.
Each figure is the median of RUNS runs, each run in a fresh interpreter; times are wall
clock with the CPU time beside them (on a shared machine the CPU time moves less).
Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_manifests.py
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES, RUNS = (1250, 5000), 3


# --- what a child interpreter measures (`bench_manifests.py --child KIND FILE`) -----------------


def _clock():
    import time

    wall, cpu = time.perf_counter(), time.process_time()
    return lambda: (time.perf_counter() - wall, time.process_time() - cpu)


def floor_yaml(path: str) -> dict[str, tuple[float, float]]:
    """CSafeLoader as anyone calls it, then with the collector paused (the fastest it parses)."""
    import gc

    import yaml

    data = Path(path).read_bytes()
    clock = _clock()
    yaml.load(data, Loader=yaml.CSafeLoader)
    plain = clock()
    gc.collect()
    gc.disable()
    clock = _clock()
    yaml.load(data, Loader=yaml.CSafeLoader)
    return {"CSafeLoader": plain, "CSafeLoader, collector paused": clock()}


def floor_json(path: str) -> dict[str, tuple[float, float]]:
    """json as anyone calls it, then with the collector paused (as `check` runs); orjson too when installed."""
    import gc

    data = Path(path).read_bytes()
    clock = _clock()
    json.loads(data)
    found = {"json": clock()}
    gc.collect()
    gc.disable()
    clock = _clock()
    json.loads(data)
    found["json, collector paused"] = clock()
    try:
        import orjson
    except ImportError:
        return found
    clock = _clock()
    orjson.loads(data)
    found["orjson, collector paused"] = clock()
    return found


def read(path: str) -> dict[str, tuple[float, float]]:
    """mtls-tui's reader alone: every document's value, as `check` gets them (collector paused)."""
    import gc

    from mtls_tui.documents import documents
    from mtls_tui.sources.files import read_bytes

    gc.disable()
    clock = _clock()
    for _ in documents(read_bytes(path, limit=None), path):
        pass
    return {"read": clock()}


def pipeline(path: str) -> dict[str, tuple[float, float]]:
    """The in-process check, step by step: read and turn into the model's objects, the rules,
    the JSON report (written to /dev/null, as a pipe gets it). The collector is paused, as
    `check` pauses it (commands/check.py `run`)."""
    import contextlib
    import gc

    from mtls_tui.commands.check import print_report
    from mtls_tui.service.pipeline import check
    from mtls_tui.service.session import Session
    from mtls_tui.sources.snapshot import source_for

    gc.disable()
    session = Session(manifests=[path])
    clock = _clock()
    snapshot = source_for(session).load()
    loaded = clock()
    diagnosis = check(session, snapshot, None, None)
    judged = clock()
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        print_report(diagnosis, True)
    done = clock()
    return {
        "read + objects": loaded,
        "rules": tuple(j - r for j, r in zip(judged, loaded, strict=True)),
        "report": tuple(d - j for d, j in zip(done, judged, strict=True)),
        "check": done,
    }


CHILDREN = {"floor-yaml": floor_yaml, "floor-json": floor_json, "read": read, "pipeline": pipeline}


def child(kind: str, path: str) -> dict[str, tuple[float, float]]:
    done = subprocess.run([sys.executable, __file__, "--child", kind, path], capture_output=True, text=True, check=True)
    return {name: tuple(value) for name, value in json.loads(done.stdout).items()}


# --- the parent ----------------------------------------------------------------------------


def medians(kind: str, path: str) -> dict[str, tuple[float, float]]:
    runs = [child(kind, path) for _ in range(RUNS)]
    return {
        name: (statistics.median(r[name][0] for r in runs), statistics.median(r[name][1] for r in runs))
        for name in runs[0]
    }


def process(path: str) -> tuple[float, int]:
    """The whole command in a fresh interpreter: (median seconds, median peak RSS in MB)."""
    from tests.test_hostile_readers import run_measured

    runs = []
    for _ in range(RUNS):
        code, seconds, peak_mb, stderr = run_measured(
            ["check", "--manifests", path, "--no-probe", "--json"], timeout=300
        )
        if code not in (0, 1):
            raise SystemExit(f"check failed on {path}: {stderr.strip()}")
        runs.append((seconds, peak_mb))
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def write_estate(folder: Path, ingresses: int) -> dict[str, Path]:
    import yaml

    from benchmarks.bench_check import objects

    listed = {"apiVersion": "v1", "kind": "List", "items": objects(ingresses)}
    paths = {"YAML": folder / f"estate-{ingresses}.yaml", "JSON": folder / f"estate-{ingresses}.json"}
    with open(paths["YAML"], "w") as handle:
        yaml.dump(listed, handle, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), default_flow_style=False)
    paths["JSON"].write_text(json.dumps(listed, indent=4))
    return paths


def seconds(pair: tuple[float, float]) -> str:
    return f"{pair[0]:6.2f} s ({pair[1]:5.2f} CPU)"


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="mtls-tui-bench-manifests-"))
    try:
        empty = folder / "empty.yaml"
        empty.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
        base_peak = process(str(empty))[1]
        print(
            f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {RUNS} runs, medians; "
            f"ratios are to the fastest floor, by wall time (CPU time in brackets)"
        )
        print(
            f"peak RSS of `check` on a one-object file (interpreter and imports): {base_peak} MB; memory below is the peak above it"
        )
        growth: dict[str, list[float]] = {}
        for ingresses in SIZES:
            paths = write_estate(folder, ingresses)
            print(f"\n{ingresses:,} Ingresses ({ingresses // 2:,} with mTLS and their Secrets), one file")
            for form, path in paths.items():
                size_mb = path.stat().st_size / 2**20
                floors = medians("floor-yaml" if form == "YAML" else "floor-json", str(path))
                fastest_name = min(floors, key=lambda name: floors[name][0])
                fastest = floors[fastest_name]
                ours = {**medians("read", str(path)), **medians("pipeline", str(path))}
                whole, peak = process(str(path))
                print(f"  {form} {size_mb:.1f} MB")
                for name, pair in floors.items():
                    print(f"    floor {name:29} {seconds(pair)}")
                for name in ("read", "read + objects", "rules", "report", "check"):
                    ratio = ours[name][0] / fastest[0]
                    print(
                        f"    {'check in-process' if name == 'check' else name:35} {seconds(ours[name])}  "
                        f"{ratio:5.2f}x the floor ({ours[name][1] / fastest[1]:.2f}x)"
                    )
                verdict = "met" if ours["check"][0] <= 2 * fastest[0] else "NOT met"
                print(
                    f"    check, whole process                {whole:6.2f} s             {whole / fastest[0]:5.2f}x the floor  "
                    f"(goal, in-process: <= 2x {fastest_name}: {verdict})"
                )
                memory = peak - base_peak
                print(
                    f"    peak memory                         {memory:4d} MB above the imports = {memory / size_mb:.2f}x the file "
                    f"(goal < 3x: {'met' if memory < 3 * size_mb else 'NOT met'}; whole process {peak} MB)"
                )
                for name, value in (
                    ("floor", fastest[0]),
                    ("read", ours["read"][0]),
                    ("check", ours["check"][0]),
                    ("memory", memory),
                    ("size", size_mb),
                ):
                    growth.setdefault(f"{form} {name}", []).append(value)
        print(f"\ngrowth from {SIZES[0]:,} to {SIZES[1]:,} Ingresses ({SIZES[1] / SIZES[0]:.0f}x the objects):")
        for name, (small, large) in growth.items():
            print(f"  {name:12} {large / small:5.2f}x")
        print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(CHILDREN[sys.argv[2]](sys.argv[3])))
    else:
        main()
