"""The screen's notices, one at a time: the controller's (`messages.Notice`) and the app's own.

Textual stacks its toasts upwards from the bottom right; at 80x24 two of them (`c` pressed
twice, a copy then the next notice) covered the finding's detail, fix line included. A new
notice replaces the one on screen. An error goes too when a later notice comes: what failed
is also written where it happened (the Verdict tab for a read, the Probe tab for a probe).
"""

from __future__ import annotations

from typing import Any

from textual.app import App

from mtls_tui.tui import messages
from mtls_tui.tui.controller import while_running


class OneNoticeApp(App[None]):
    def notify(self, message: str, **kwargs: Any) -> None:
        self.clear_notifications()
        super().notify(message, **kwargs)

    @while_running
    def on_notice(self, message: messages.Notice) -> None:
        self.notify(message.text, severity=message.severity, timeout=message.timeout)
