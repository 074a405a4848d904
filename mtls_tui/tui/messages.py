"""What the controller tells the app, as typed messages (posted from worker threads;
Textual delivers them on the app's loop). The app turns each into pane updates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from textual.message import Message

from mtls_tui.diagnose.hosts import HostReport
from mtls_tui.diagnose.views import HostRow
from mtls_tui.logs.records import LogRecord
from mtls_tui.model import ProbeResult, ProbeSpec


class Loading(Message):
    """A read of the source is under way; `step` says which part."""

    def __init__(self, step: str) -> None:
        super().__init__()
        self.step = step


class LoadFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class HostsRead(Message):
    """Hosts from a page of Ingresses, listed before the first host list is decided."""

    def __init__(self, rows: Sequence[HostRow]) -> None:
        super().__init__()
        self.rows = rows


class Diagnosed(Message):
    """New reports: after a read (`fresh`: the host list may have changed) or after a probe of `host`."""

    def __init__(self, fresh: bool, host: str | None = None) -> None:
        super().__init__()
        self.fresh, self.host = fresh, host


class Judged(Message):
    """A batch of host reports computed by the judging worker for the diagnosis `reading`
    (a newer read makes the batch stale); `left` hosts are still waiting."""

    def __init__(self, reading: int, reports: Sequence[HostReport], left: int) -> None:
        super().__init__()
        self.reading, self.reports, self.left = reading, reports, left


class ClusterChanged(Message):
    """The watch saw an Ingress or Secret change."""

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what


class ProbeStarted(Message):
    def __init__(self, host: str, spec: ProbeSpec) -> None:
        super().__init__()
        self.host, self.spec = host, spec


class ProbeFailed(Message):
    """The probe could not run at all (a file it names, an address): no results."""

    def __init__(self, host: str, error: str) -> None:
        super().__init__()
        self.host, self.error = host, error


class ProbeDone(Message):
    """The probe's answers; `client_changed`: the session's client certificate file no longer
    holds what the verdict judged (a printed fix re-signed it), so the source is read again."""

    def __init__(self, host: str, results: Sequence[ProbeResult], client_changed: bool = False) -> None:
        super().__init__()
        self.host, self.results, self.client_changed = host, results, client_changed


class LogsNote(Message):
    """What the Logs tab is following, or why it follows nothing."""

    def __init__(self, note: str) -> None:
        super().__init__()
        self.note = note


class LogsArrived(Message):
    def __init__(self, records: list[LogRecord]) -> None:
        super().__init__()
        self.records = records


class Notice(Message):
    """Something the user should see once, whichever tab is showing."""

    def __init__(
        self, text: str, severity: Literal["information", "warning", "error"] = "information", timeout: float = 5
    ) -> None:
        super().__init__()
        self.text, self.severity, self.timeout = text, severity, timeout
