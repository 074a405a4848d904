"""Text fields that say, in the footer, how to leave them.

While a text field has focus Textual leaves out of the footer every key the field takes as text
(q, p, r, c, e, ?): they are typed, not run. The footer then went empty, and nothing said how to
get out of the `/` filter or a path field. Each field here lists esc, and enter where it does
something of its own; both do what they did before (the app's or the pane's handlers).
"""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input


class HostFilter(Input):
    """The host list's `/` filter: esc clears it, enter keeps it (k9s's keys); both go back to the list."""

    BINDINGS = [
        Binding("escape", "app.leave_field", "Clear filter"),
        Binding("enter", "submit", "Keep filter"),
    ]

    def on_blur(self) -> None:
        """Empty, it gives its row back to the list until `/` asks for it again."""
        if not self.value:
            self.add_class("-hidden")


class LogsFilter(Input):
    """The Logs tab's filter, applied as it is typed: esc (or enter) keeps it and goes back to the logs."""

    BINDINGS = [Binding("escape", "submit", "Back to the logs")]


class ProbeField(Input):
    """A field of the Probe tab's form: enter sends the probe, esc goes back to the host list."""

    BINDINGS = [
        Binding("escape", "app.leave_field", "Leave the field"),
        Binding("enter", "submit", "Probe"),
    ]


class PathField(Input):
    """The file name asked for by `o`: enter opens it, esc closes the question."""

    BINDINGS = [
        Binding("escape", "screen.dismiss", "Close"),
        Binding("enter", "submit", "Open"),
    ]
