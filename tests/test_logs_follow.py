"""Following every controller pod of the lab's API server with the real client."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from mtls_tui.lab.cluster import LabCluster
from mtls_tui.lab.objects import CONTROLLER_NAMESPACE, controller_pod, seed_objects
from mtls_tui.lab.pki import SeedPki
from mtls_tui.sources.kube import KubeSource
from mtls_tui.sources.logs import ControllerLogs

PODS = ("ingress-nginx-controller-5984b97644-qbwtv", "ingress-nginx-controller-5984b97644-x7k2m")


def klog(i: int) -> str:
    return f'I1128 21:45:{i % 60:02d}.000000       7 nginx.go:271] "line {i}"'


def wait_for(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture()
def following(pki: SeedPki, tmp_path: Path):
    with LabCluster(seed_objects(pki)) as lab:
        source = KubeSource(kubeconfig=str(lab.write_kubeconfig(tmp_path / "kubeconfig")))
        records = []
        follower = ControllerLogs(source, records.append, tail=10, window=0.05)
        runner = threading.Thread(target=follower.run, daemon=True)
        runner.start()
        assert wait_for(lambda: len(follower.streams) == 2 and all(s.connects for s in follower.streams.values()))
        yield lab, follower, runner, records
        follower.stop()
        runner.join(2)
        source.close()


def texts(records, pod: str | None = None) -> list[str]:
    return [r.text for r in records if pod is None or r.pod == pod]


def test_two_pods_at_once_in_time_order(following) -> None:
    lab, _, _, records = following
    for i in range(20):
        lab.pod_log(CONTROLLER_NAMESPACE, PODS[i % 2], "controller").append(klog(i))
        time.sleep(0.005)
    assert wait_for(lambda: len(records) == 20)
    assert texts(records) == [klog(i) for i in range(20)]  # merged across pods in time order
    assert {r.pod for r in records} == set(PODS) and records[0].kind == "klog"


def test_replaced_pod_is_followed(following) -> None:
    lab, follower, _, records = following
    lab.delete("Pod", CONTROLLER_NAMESPACE, PODS[0])
    lab.apply(controller_pod("ingress-nginx-controller-5984b97644-newpd"))
    assert wait_for(lambda: any(k[1].endswith("newpd") and s.connects for k, s in follower.streams.items()))
    assert not any(k[1] == PODS[0] for k in follower.streams)
    lab.pod_log(CONTROLLER_NAMESPACE, "ingress-nginx-controller-5984b97644-newpd", "controller").append(klog(1))
    assert wait_for(lambda: texts(records, "ingress-nginx-controller-5984b97644-newpd") == [klog(1)])


def test_cut_stream_is_resumed_without_loss_or_repeat(following) -> None:
    lab, follower, _, records = following
    log = lab.pod_log(CONTROLLER_NAMESPACE, PODS[0], "controller")
    for i in range(5):
        log.append(klog(i))
    assert wait_for(lambda: len(texts(records, PODS[0])) == 5)
    assert lab.cut_log_streams(CONTROLLER_NAMESPACE, PODS[0]) == 1
    for i in range(5, 10):  # written while no stream is open
        log.append(klog(i))
    assert wait_for(lambda: len(texts(records, PODS[0])) >= 10)
    time.sleep(0.3)
    assert texts(records, PODS[0]) == [klog(i) for i in range(10)]
    assert follower.streams[(CONTROLLER_NAMESPACE, PODS[0])].connects == 2


def test_stop_returns_within_a_second(following) -> None:
    _, follower, runner, _ = following
    start = time.monotonic()
    follower.stop()
    runner.join(2)
    assert not runner.is_alive() and time.monotonic() - start < 1.0
    assert not any(s.is_alive() for s in follower.streams.values())


def test_probe_is_tied_to_its_access_log_line(tmp_path: Path, nginx_binary: str) -> None:
    from dataclasses import replace

    from mtls_tui.lab.environment import Lab
    from mtls_tui.logs.classify import probe_id
    from mtls_tui.policy.ingress_nginx.hosts import host_policies
    from mtls_tui.sources.probe import run_probe
    from mtls_tui.sources.snapshot import source_for

    with Lab(tmp_path / "pki", nginx_binary=nginx_binary) as lab:
        session = lab.session()
        source = KubeSource(session.context, None, session.kubeconfig)
        records = []
        follower = ControllerLogs(source, records.append, tail=0, window=0.05)
        runner = threading.Thread(target=follower.run, daemon=True)
        runner.start()
        spec = replace(session.probe_spec(host_policies(source_for(session).load())[0]), probe_id="cafe0001")
        results = run_probe(spec)
        assert wait_for(lambda: {probe_id(r) for r in records} >= {"cafe0001-0", "cafe0001-1"})
        follower.stop()
        runner.join(2)
        source.close()
    lines = {probe_id(r): r for r in records if probe_id(r)}
    assert lines["cafe0001-0"].parsed.status == results[0].status == 400
    assert lines["cafe0001-1"].parsed.status == results[1].status == 200


def test_logs_command_marks_mtls_lines(pki: SeedPki, tmp_path: Path) -> None:
    import subprocess
    import sys

    with LabCluster(seed_objects(pki)) as lab:
        kubeconfig = str(lab.write_kubeconfig(tmp_path / "kubeconfig"))
        log = lab.pod_log(CONTROLLER_NAMESPACE, PODS[0], "controller")
        log.append(klog(1))
        log.append(
            "2026/11/28 21:45:34 [info] 31#31: *5 client SSL certificate verify error: (20:unable to get local issuer certificate) "
            'while reading client request headers, client: 10.0.0.1, server: meow.com, request: "GET / HTTP/1.1", host: "meow.com"'
        )

        def run(*extra: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "mtls_tui", "logs", "--kubeconfig", kubeconfig, *extra],
                capture_output=True,
                text=True,
                timeout=60,
                env={"COLUMNS": "300", "PATH": "/usr/bin:/bin"},
            )

        out = run()
        assert out.returncode == 0 and "line 1" in out.stdout
        assert "◀ probe-cert-rejected" in out.stdout and "(20:unable to get local issuer certificate)" in out.stdout
        grep = run("--grep", "verify error")
        assert "line 1" not in grep.stdout and "verify error" in grep.stdout
        bad = run("--since", "ten minutes")
        assert bad.returncode == 2 and "is not a duration" in bad.stderr


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        # RFC3339Nano as the kubelet writes it (pkg/kubelet/kuberuntime/logs: time.RFC3339Nano),
        # which trims trailing zeros: the fraction is read as nanoseconds, not as text.
        ("2026-11-28T21:45:34.090212345Z", 1_795_902_334_090_212_345),
        ("2026-11-28T21:45:34.09Z", 1_795_902_334_090_000_000),
        ("2026-11-28T21:45:34Z", 1_795_902_334_000_000_000),
        ("2026-11-28T21:45:35.000000001Z", 1_795_902_335_000_000_001),
        ("2026-11-28T21:45:34.1234567891Z", 1_795_902_334_123_456_789),  # past nanoseconds: cut
        ("2026-11-28T21:45:34.\u0661\u0662Z", 1_795_902_334_000_000_000),  # not ASCII digits: no fraction
    ],
)
def test_kubelet_stamp_in_nanoseconds(stamp: str, expected: int) -> None:
    """A reconnect skips lines up to the last one seen by this number, so it must order
    lines within a second and across seconds (the second is remembered between lines)."""
    from datetime import UTC, datetime

    from mtls_tui.sources.logs import _kubelet_stamp, _nanos

    assert expected // 10**9 == int(datetime(2026, 11, 28, 21, 45, 34 + (":35." in stamp), tzinfo=UTC).timestamp())
    assert _nanos(_kubelet_stamp(f"{stamp} I1128 21:45:34.090212       7 nginx.go:271] x")) == expected
    assert _nanos(_kubelet_stamp(stamp)) == expected  # a line that is only a stamp


def test_unreadable_kubelet_stamp_is_now() -> None:
    from mtls_tui.sources.logs import _nanos

    before = time.time_ns()
    assert before <= _nanos("2026-11-28 21:45:34") <= time.time_ns()
