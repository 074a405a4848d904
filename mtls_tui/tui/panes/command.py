"""A printed command on the screen, copy-safe at any width. Textual folds a word wider than
the pane (`text-overflow: fold`, its default for Static), so a mouse copy of
`…auth-tls-secret=default/my-` then `certs` ran another command. Here the command is laid out
as shell lines that fit the pane, each ending in a continuation (`shell.fold_command`), shown
unwrapped (`text-wrap: nowrap` in app.tcss): the lines, copied as shown, run the command as
`c` copies it. Textual's own selection copies the widget's text, these lines.
"""

from __future__ import annotations

import textwrap

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from mtls_tui.shell import fold_command


class CommandLines(Widget):
    """`label` then `command`, laid out again at every width the pane takes."""

    def __init__(self, label: Text, **kwargs) -> None:
        super().__init__(**kwargs)
        self.label = label
        self.command = ""
        self.instead: str | None = None

    def show(self, command: str | None, instead: str | None = None) -> None:
        """`instead`: said in place of a command that needs more than one line, where the whole
        command is (the try line's, at 80 columns: its lines pushed the fix itself off the screen)."""
        self.command, self.instead = command or "", instead
        self.display = command is not None
        self.refresh(layout=True)

    def shown(self, command: str) -> CommandLines:
        """This widget showing `command`, to mount."""
        self.show(command)
        return self

    def lines(self, width: int) -> list[str]:
        lines = fold_command(self.command, max(width, 1), len(self.label))
        return [self.instead] if self.instead is not None and len(lines) > 1 else lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))

    def render(self) -> Text:
        return self.label + Text("\n".join(self.lines(self.content_region.width)))


# A toast's size at most (Toast in app.tcss): four fifths of the screen wide, less its border and
# padding (three columns), and six rows high; what goes past the sixth row is cut.
TOAST_ROWS = 6


def toast_width(screen_width: int) -> int:
    return max(screen_width * 4 // 5 - 3, 1)


def copied_note(code: str, screen_width: int, place: str | None = None) -> str:
    """What `c` says it copied: which finding's fix, never the command itself. A toast wraps a long
    word where it must (`my-cert` / `s`), so a mouse copy of a command in it ran another one; the
    Verdict tab shows the fix as shell lines that paste whole. `place`: what to run first (the
    lab's KUBECONFIG and folder), as shell lines that fit the toast, or where it is when they do
    not (a cut line would run another command)."""
    width = toast_width(screen_width)
    note = f"Copied the fix of {code} (OSC 52); nothing to paste? Copy its fix: lines on the Verdict tab."
    if place is None:
        return note
    lines = fold_command(place, width)
    if len(textwrap.wrap(note, width)) + 1 + len(lines) > TOAST_ROWS or max(map(len, lines)) > width:
        return f"{note} Run it in a terminal after the export and cd at the top of the walkthrough (w)."
    return "\n".join([note, "Run it in a terminal after:", *lines])
