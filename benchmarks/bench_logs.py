"""Parse-and-classify throughput of the log core, against its floor, and the memory of one log view.

The stream is what a followed pod delivers: kubelet-prefixed lines as bytes, in 4 KiB
chunks, cut into lines by the follower's own `lines()`. The floor is that stream merely
split into lines and timestamps (each line's kubelet prefix decoded by the parser's own
`_kubelet_time`); the figure is the same stream split into lines, each parsed and
classified. Both run in the same process, alternately, best of PASSES (other processes
share the machine's cores), at two sizes so that growth shows. Beside them, what a followed
pod's thread does with each line in the product: its kubelet stamp read for the reconnect's
dedupe, the line parsed, and merged in time order with the other pods' lines.

Goals (issue 13): at least 200,000 lines/s on one core, and no less than a third of the
floor, over a mix like a busy ingress-nginx controller's (mostly access lines, some klog,
a few nginx error lines, stray text); memory that stays flat however long the stream
runs. Prints figures; asserts nothing.
"""

from __future__ import annotations

import os
import random
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from mtls_tui.logs.buffer import LogBuffer
from mtls_tui.logs.classify import classify
from mtls_tui.logs.parse import _kubelet_time, parse_line
from mtls_tui.sources.logs import ControllerLogs, _PodStream
from mtls_tui.sources.streams import lines as stream_lines

SIZES = (200_000, 1_000_000)
LINES = SIZES[-1]
PASSES = 3
GOAL, GOAL_FLOOR_SHARE = 200_000, 1 / 3
CHUNK = 4096  # what the follower asks the stream for
POD, CONTAINER = "ingress-nginx-controller-7d9f", "controller"
VIEW_CAPACITY = 10_000
MIX = (("access", 0.72), ("klog", 0.18), ("nginx-error", 0.05), ("other", 0.05))

AGENTS = (
    "curl/8.5.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "kube-probe/1.30",
    "Go-http-client/2.0",
)
PROBE_AGENT = "mtls-tui/0.1.0 probe/3f9a01bc-0"
PROBE_SHARE = 0.001
PATHS = ("/", "/api/v1/items?page=2", "/healthz", "/static/app.3f1c1b.js", "/login")
# (template, weight): a controller with a broken mTLS set-up repeats its complaint on
# every sync, among its routine lines.
KLOG = (
    ('I{md} {t}       7 main.go:107] "successfully validated configuration, accepting" ingress="default/meow"', 30),
    ('I{md} {t}       7 controller.go:190] "Configuration changes detected, backend reload required"', 10),
    ('I{md} {t}       7 controller.go:210] "Backend successfully reloaded"', 10),
    (
        'I{md} {t}       7 event.go:377] Event(v1.ObjectReference{{Kind:"Pod", Namespace:"ingress-nginx", '
        "Name:\"ingress-nginx-controller-7d9f\", APIVersion:\"v1\"}}): type: 'Normal' reason: 'RELOAD' "
        "NGINX reload triggered",
        10,
    ),
    (
        'W{md} {t}       7 controller.go:1109] Error obtaining Endpoints for Service "default/meow-svc": '
        'no object matching key "default/meow-svc" in local store',
        20,
    ),
    (
        'E{md} {t}       7 annotations.go:216] "error reading Ingress annotation" err="location denied, reason: '
        'cross namespace secrets are not supported" name="CertificateAuth" ingress="default/meow"',
        5,
    ),
    (
        'W{md} {t}       7 backend_ssl.go:47] Error obtaining X.509 certificate: secret "default/my-certs" '
        "contains no keypair or CA certificate",
        5,
    ),
    (
        'I{md} {t}       7 store.go:619] "secret was updated and it is used in ingress annotations. Parsing" '
        'secret="default/my-certs"',
        2,
    ),
)
NGINX_ERRORS = (
    "{d} [info] 31#31: *{c} client SSL certificate verify error: (20:unable to get local issuer certificate) "
    'while reading client request headers, client: 10.0.0.{n}, server: meow.com, request: "GET / HTTP/1.1", host: "meow.com"',
    "{d} [info] 31#31: *{c} client sent no required SSL certificate while reading client request headers, "
    'client: 10.0.0.{n}, server: meow.com, request: "GET / HTTP/2.0", host: "meow.com"',
    "{d} [error] 32#32: *{c} upstream timed out (110: Operation timed out) while connecting to upstream, "
    'client: 10.0.0.{n}, server: meow.com, request: "GET /api HTTP/1.1", upstream: "http://10.1.2.3:8080/api", host: "meow.com"',
    "{d} [notice] 27#27: signal process started",
)
OTHER = (
    "-------------------------------------------------------------------------------",
    "NGINX Ingress controller",
    "  Release:       v1.15.1",
    "\tgoroutine 1 [running]:",
)


def make_stream(count: int, seed: int = 7) -> list[str]:
    """Kubelet-prefixed lines, as the log source reads them (`timestamps=true`)."""
    rng = random.Random(seed)
    kinds = rng.choices([kind for kind, _ in MIX], weights=[weight for _, weight in MIX], k=count)
    start = datetime(2026, 11, 28, 21, 45, 34, tzinfo=UTC)
    lines = []
    for index, kind in enumerate(kinds):
        moment = start + timedelta(microseconds=index * 250)
        prefix = moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z "
        lines.append(prefix + _line(kind, rng, moment, index))
    return lines


def _line(kind: str, rng: random.Random, moment: datetime, index: int) -> str:
    if kind == "access":
        status = rng.choice((200, 200, 200, 200, 304, 400, 403, 404, 502))
        upstream = "-" if status == 400 else rng.choice(("10.1.2.3:8080", "10.1.2.3:8080, 10.1.2.4:8080"))
        remote = rng.choice(("10.0.0.1", "192.168.49.1", "2001:db8::1"))
        agent = PROBE_AGENT if rng.random() < PROBE_SHARE else rng.choice(AGENTS)
        return (
            f'{remote} - - [{moment:%d/%b/%Y:%H:%M:%S} +0000] "GET {rng.choice(PATHS)} HTTP/2.0" {status} '
            f'{rng.randint(0, 9000)} "-" "{agent}" {rng.randint(30, 900)} 0.{rng.randint(0, 999):03d} '
            f"[default-meow-svc-80] [] {upstream} {'-' if upstream == '-' else rng.randint(0, 9000)} "
            f"{'-' if upstream == '-' else '0.002'} {'-' if upstream == '-' else status} {index:032x}"
        )
    if kind == "klog":
        template = rng.choices([template for template, _ in KLOG], weights=[weight for _, weight in KLOG])[0]
        return template.format(md=f"{moment:%m%d}", t=f"{moment:%H:%M:%S.%f}")
    if kind == "nginx-error":
        return rng.choice(NGINX_ERRORS).format(d=f"{moment:%Y/%m/%d %H:%M:%S}", c=index, n=index % 250)
    return rng.choice(OTHER)


class _Delivered:
    """The stream as the Kubernetes client hands it to the follower: chunks of bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, amount: int, decode_content: bool = False) -> Iterator[bytes]:
        return (self.data[at : at + amount] for at in range(0, len(self.data), amount))


def floor(data: bytes) -> int:
    """Split into lines and timestamps, and nothing more."""
    count = 0
    for line in stream_lines(_Delivered(data)):
        _kubelet_time(line[: line.find(" ", 0, 40)])
        count += 1
    return count


def parse_and_classify(data: bytes) -> int:
    highlights = 0
    for line in stream_lines(_Delivered(data)):
        if classify(parse_line(line, POD, CONTAINER, with_timestamp=True)):
            highlights += 1
    return highlights


def follow(data: bytes) -> int:
    """A followed pod's thread (`_PodStream`), fed the stream; the merge flushed every
    1,000 lines (the follower flushes every `window` seconds)."""
    merged: list = []
    follower = ControllerLogs(SimpleNamespace(get=None), merged.append, window=0)
    pod = _PodStream(follower, "ingress-nginx", POD, CONTAINER)
    count = 0
    for line in stream_lines(_Delivered(data)):
        pod._take(line)
        count += 1
        if count % 1000 == 0:
            follower.merger.flush(everything=True)
            merged.clear()
    follower.merger.flush(everything=True)
    return count


def timed(run: Callable[[bytes], int], data: bytes, times: list[float]) -> int:
    started = time.perf_counter()
    result = run(data)
    times.append(time.perf_counter() - started)
    return result


def throughput(lines: list[str]) -> None:
    data = ("\n".join(lines) + "\n").encode()
    floors: list[float] = []
    figures: list[float] = []
    followed: list[float] = []
    for _ in range(PASSES):
        timed(floor, data, floors)
        highlights = timed(parse_and_classify, data, figures)
        timed(follow, data, followed)
    count = len(lines)
    floor_rate, rate, follow_rate = count / min(floors), count / min(figures), count / min(followed)
    share = rate / floor_rate
    print(
        f"{count:>9,} lines: parse + classify {rate:9,.0f} lines/s ({highlights:,} highlights), "
        f"floor {floor_rate:11,.0f} lines/s; {share:.3f} of the floor "
        f"(goals >={GOAL:,}: {'met' if rate >= GOAL else 'NOT met'}, "
        f">={GOAL_FLOOR_SHARE:.3f}: {'met' if share >= GOAL_FLOOR_SHARE else 'NOT met'})"
    )
    print(
        f"{'':>9}         a followed pod's thread (stamp, dedupe, parse, merge) {follow_rate:9,.0f} lines/s, "
        f"{follow_rate / floor_rate:.3f} of the floor"
    )


def main() -> None:
    print(f"load average at start: {', '.join(f'{v:.2f}' for v in os.getloadavg())} ({os.cpu_count()} cores)")
    lines = make_stream(LINES)
    mix = Counter(parse_line(line, with_timestamp=True).kind for line in lines[:100_000])
    print(
        f"stream: {LINES:,} lines, {sum(map(len, lines)) / 1e6:.0f} MB; mix of the first 100,000: "
        + ", ".join(f"{kind} {count / 1000:.1f}%" for kind, count in mix.most_common())
    )
    print(f"best of {PASSES} passes, floor and figure alternately, the stream delivered in {CHUNK:,}-byte chunks:")
    for size in SIZES:
        throughput(lines[:size])

    bare = [line.split(" ", 1)[1] for line in lines]
    started = time.perf_counter()
    for line in bare:
        classify(parse_line(line, POD, CONTAINER))
    print(
        f"parse + classify of the same lines without kubelet timestamps (times from the lines): "
        f"{LINES / (time.perf_counter() - started):,.0f} lines/s"
    )
    del bare

    # Bytes, as a log stream delivers them: decoding inside the traced loop counts each
    # line's text against the view, as it will be in the TUI.
    received = [line.encode() for line in lines]
    del lines
    tracemalloc.start()
    view = LogBuffer(VIEW_CAPACITY)
    view.set_filter(min_severity="W")
    checkpoints = {100_000, LINES}
    for count, data in enumerate(received, start=1):
        view.append(parse_line(data.decode(), POD, CONTAINER, with_timestamp=True))
        if count in checkpoints:
            current, peak = tracemalloc.get_traced_memory()
            print(
                f"{VIEW_CAPACITY:,}-record view (filter: W and worse) after {count:>9,} lines: "
                f"current {current / 1e6:5.1f} MB, peak {peak / 1e6:5.1f} MB, dropped {view.dropped:,}, "
                f"visible {len(view.snapshot()):,}"
            )
    tracemalloc.stop()
    print(f"load average at end: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
