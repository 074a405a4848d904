"""The content caches: bounded by bytes as well as entries, and holding no content in their keys
(the fuzzer's workers grew to 2 GB on count-bounded caches; keypair_refusal's keys held private keys)."""

from __future__ import annotations

import threading
from collections import OrderedDict

from mtls_tui.certs.content_cache import content_cache
from mtls_tui.certs.issue import issue_ca, new_key
from mtls_tui.policy.secret_store import keypair_refusal


def test_entries_stay_under_the_byte_bound_least_recently_used_out() -> None:
    calls: list[bytes] = []

    @content_cache(max_entries=100, max_bytes=100)
    def parse(data: bytes) -> int:
        calls.append(data)
        return len(data)

    a, b, c = b"a" * 40, b"b" * 40, b"c" * 40
    assert [parse(a), parse(b), parse(a)] == [40, 40, 40] and calls == [a, b]  # a again: from the cache
    parse(c)  # 120 bytes would be held: b, the least recently used, goes
    assert parse.cache_held() == (2, 80)  # type: ignore[attr-defined]
    parse(a)
    parse(b)
    assert calls == [a, b, c, b]


def test_an_input_over_the_bound_is_parsed_every_time_and_never_kept() -> None:
    calls = []

    @content_cache(max_entries=10, max_bytes=10)
    def parse(data: bytes) -> int:
        calls.append(1)
        return 0

    parse(b"x" * 11)
    parse(b"x" * 11)
    assert len(calls) == 2 and parse.cache_held() == (0, 0)  # type: ignore[attr-defined]


def test_the_entry_bound_holds_too() -> None:
    @content_cache(max_entries=3, max_bytes=10**6)
    def parse(data: bytes) -> bytes:
        return data

    for i in range(10):
        parse(bytes([i]))
    assert parse.cache_held() == (3, 3)  # type: ignore[attr-defined]


def test_no_private_key_is_held_by_the_keypair_cache() -> None:
    ca = issue_ca("Cache CA", key=new_key("ec"))
    key = ca.key_pem()
    assert keypair_refusal(ca.cert_pem(), key) is None
    cells = [c.cell_contents for c in keypair_refusal.__closure__ or () if isinstance(c.cell_contents, OrderedDict)]
    [entries] = cells
    held = [part for entry_key in entries for part in entry_key]
    assert held and all(len(part) == 32 for part in held if isinstance(part, bytes))  # SHA-256 digests only
    assert key not in held and not any(b"PRIVATE KEY" in part for part in held if isinstance(part, bytes))


def test_threads_share_one_answer() -> None:
    seen: list[int] = []

    @content_cache(max_entries=50, max_bytes=10**6)
    def parse(data: bytes) -> int:
        return sum(data)

    def work() -> None:
        for i in range(200):
            seen.append(parse(bytes([i % 60])))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(seen)) == list(range(60)) and parse.cache_held()[0] <= 50  # type: ignore[attr-defined]
