"""Fuzz the readers and the inspect/check pipelines for minutes (issue 11).

The corpus and the mutations are tests/test_hostile_property.py's (well-formed
certificates, keys, PKCS#12, CRLs, Secrets and manifest sets, plus the hostile
certificates; byte, DER and structure mutations), drawn from a seeded random
instead of hypothesis, so it runs as long as asked. Inputs run in a forked worker
with an address-space limit; a worker that stops reporting is killed and its input
kept as a hang. Prints what it found (exceptions that escaped, hangs, slow inputs,
peak memory) and writes each finding's input to --out.

    .venv/bin/python benchmarks/fuzz_inputs.py --minutes 5
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import random
import resource
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HANG_SECONDS = 30.0
SLOW_SECONDS = 5.0
MEMORY_LIMIT = 2 * 2**30  # bytes of address space a worker may use


def _where(exc: BaseException) -> str:
    """The innermost frame in the project's code: where the exception escaped from."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/mtls_tui/" in f.filename]
    frame = frames[-1] if frames else traceback.extract_tb(exc.__traceback__)[-1]
    return f"{Path(frame.filename).relative_to(ROOT) if str(ROOT) in frame.filename else frame.filename}:{frame.lineno}"


def worker(seed: int, connection, current: str, folder: Path) -> None:
    """Generate and run inputs forever; report each result; `current` holds the input running now."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    from mtls_tui.lab.pki import seed_pki
    from tests.test_hostile_property import Chooser, mutate, run_pipeline, seeds

    rng = random.Random(seed)
    corpus = seeds(seed_pki())
    pick = Chooser(rng=rng)
    while True:
        case, data = mutate(pick, corpus)
        Path(current).write_bytes(case.name.encode() + b"\0" + data)
        started = time.perf_counter()
        try:
            problems = run_pipeline(case, data, folder)
            outcome = ("problem", "; ".join(problems)) if problems else ("ok", "")
        except BaseException as exc:  # noqa: BLE001 - what escaped is the finding
            if isinstance(exc, KeyboardInterrupt):
                return
            outcome = (
                "exception",
                f"{type(exc).__module__}.{type(exc).__qualname__} at {_where(exc)}: "
                f"{str(exc).splitlines()[0][:160] if str(exc) else ''}",
            )
        usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        connection.send((case.name, outcome, time.perf_counter() - started, usage, data if outcome[0] != "ok" else b""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "mtls-fuzz-findings")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    context = multiprocessing.get_context("fork")
    scratch = Path(tempfile.mkdtemp(prefix="mtls-fuzz-"))  # the workers' input files, removed at the end
    current = str(args.out / ".current")
    deadline = time.monotonic() + args.minutes * 60
    runs, by_seed = 0, Counter()
    found: dict[str, tuple[int, str, str]] = {}  # description -> (count, seed name, saved file)
    slowest: list[tuple[float, str, str]] = []
    peak = 0
    restarts = 0

    def keep(kind: str, description: str, name: str, data: bytes) -> None:
        key = f"{kind}: {description}"
        count, first, path = found.get(key, (0, name, ""))
        if not path:
            path = str(args.out / f"{kind}-{hashlib.sha256(data).hexdigest()[:12]}-{name}")
            Path(path).write_bytes(data)
        found[key] = (count + 1, first, path)

    while time.monotonic() < deadline:
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=worker, args=(args.seed + restarts, sender, current, scratch), daemon=True)
        process.start()
        sender.close()
        while time.monotonic() < deadline:
            if not receiver.poll(HANG_SECONDS):
                name, _, data = Path(current).read_bytes().partition(b"\0")
                keep("hang", f"no answer within {HANG_SECONDS:.0f} s", name.decode(), data)
                break
            try:
                name, (kind, detail), seconds, rss, data = receiver.recv()
            except EOFError:  # the worker died (a crash in C, or the memory limit)
                process.join(5)
                name, _, data = Path(current).read_bytes().partition(b"\0")
                keep("crash", f"worker exited with {process.exitcode}", name.decode(), data)
                break
            runs += 1
            by_seed[name] += 1
            peak = max(peak, rss)
            slowest = sorted(slowest + [(seconds, name, kind)], reverse=True)[:5]
            if kind != "ok":
                keep(kind, detail, name, data)
        process.kill()
        process.join()
        restarts += 1

    shutil.rmtree(scratch, ignore_errors=True)
    print(
        f"fuzz_inputs: {runs:,} inputs in {args.minutes:g} min (seed {args.seed}, {restarts} worker(s)); "
        f"peak RSS of a worker {peak} MB"
    )
    print("  by seed: " + ", ".join(f"{name} {count}" for name, count in sorted(by_seed.items())))
    print("  slowest: " + ", ".join(f"{seconds:.2f} s ({name}, {kind})" for seconds, name, kind in slowest))
    if not found:
        print("  found nothing: every input ended as a finding, a report or one line (exit 0, 1 or 2)")
        return 0
    print(f"  found {len(found)} distinct problem(s):")
    for description, (count, name, path) in sorted(found.items(), key=lambda item: -item[1][0]):
        print(f"    {count:5} x {description}  [first from {name}; input: {path}]")
    return 1


if __name__ == "__main__":
    sys.exit(main())
