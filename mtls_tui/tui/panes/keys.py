"""The app's keys a pane keeps working but leaves out of its footer.

At 80 columns the footer holds about five keys beside `? Help`; a pane with keys of its own
(the findings' h and c, the logs' space) listed the app's six after them, and `? Help` was cut.
There r (read again) and e (export) work unlisted: the help screen (`?`) lists them.
"""

from __future__ import annotations

from textual.binding import Binding

UNLISTED_APP_KEYS = (
    Binding("r", "app.refresh", "Refresh", show=False),
    Binding("e", "app.export", "Export", show=False),
)
