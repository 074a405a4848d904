"""The last N records of a followed stream, as one log view shows them.

A busy controller writes faster than anyone reads, so the buffer is a ring: memory
stays flat and the oldest lines go first (`dropped` says how many). The filtered
view is kept up to date one record at a time, because a pane asks for it many times
a second and refiltering ten thousand lines each time would be the TUI's main cost.
Pausing freezes what the person is reading while the stream goes on underneath.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable

from mtls_tui.logs.records import SEVERITY_RANK, LogRecord, SeverityLetter

DEFAULT_CAPACITY = 10_000


class LogBuffer:
    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("a log buffer holds at least one record")
        self._ring: deque[LogRecord] = deque(maxlen=capacity)
        self._visible: deque[LogRecord] = deque()
        self._pattern: re.Pattern[str] | None = None
        self._invert = False
        self._min_rank = 0
        self._pods: frozenset[str] | None = None
        self._frozen: list[LogRecord] | None = None
        self._frozen_view: list[LogRecord] | None = None
        self.dropped = 0  # records pushed out of the ring by newer ones
        self.pending = 0  # records that arrived since pause(): what resume() will add to the view

    @property
    def capacity(self) -> int:
        return self._ring.maxlen or 0

    @property
    def paused(self) -> bool:
        return self._frozen is not None

    def __len__(self) -> int:
        return len(self._ring)

    def append(self, record: LogRecord) -> bool:
        """Whether the view's snapshot gained the record, so a pane can draw just that line."""
        ring = self._ring
        if len(ring) == ring.maxlen:
            self.dropped += 1
            # The view is the ring's matching records in ring order, so an evicted
            # record that was visible is the view's first one.
            if self._visible and self._visible[0] is ring[0]:
                self._visible.popleft()
        ring.append(record)
        visible = self._matches(record)
        if visible:
            self._visible.append(record)
        if self._frozen is not None:
            self.pending += 1
            return False
        return visible

    def extend(self, records: Iterable[LogRecord]) -> int:
        """How many of the records the view's snapshot gained."""
        return sum(self.append(record) for record in records)

    def set_filter(
        self,
        pattern: str | re.Pattern[str] | None = None,
        *,
        invert: bool = False,
        min_severity: SeverityLetter | None = None,
        pods: Iterable[str] | None = None,
    ) -> None:
        """Replace all filters at once. `pattern` is searched in the whole raw line
        (re.error for a bad one); `invert` shows the lines it does not match; an empty
        or absent `pods` means every pod."""
        if isinstance(pattern, str):
            pattern = re.compile(pattern) if pattern else None
        self._pattern = pattern
        self._invert = invert and self._pattern is not None
        self._min_rank = SEVERITY_RANK[min_severity]
        self._pods = frozenset([pods] if isinstance(pods, str) else pods) if pods else None
        self._visible = deque(record for record in self._ring if self._matches(record))
        self._frozen_view = None

    def pause(self) -> None:
        if self._frozen is None:
            self._frozen = list(self._ring)
            self.pending = 0

    def resume(self) -> None:
        self._frozen = None
        self._frozen_view = None
        self.pending = 0

    def snapshot(self) -> list[LogRecord]:
        """The records the view shows, oldest first. While paused: the records held at
        `pause()`, under the current filters, so filtering still works on a frozen view."""
        if self._frozen is None:
            return list(self._visible)
        if self._frozen_view is None:
            self._frozen_view = [record for record in self._frozen if self._matches(record)]
        return list(self._frozen_view)

    def _matches(self, record: LogRecord) -> bool:
        if self._pods is not None and record.pod not in self._pods:
            return False
        if SEVERITY_RANK[record.severity] < self._min_rank:
            return False
        if self._pattern is None:
            return True
        return (self._pattern.search(record.raw) is None) == self._invert
