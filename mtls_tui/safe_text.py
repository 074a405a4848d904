"""Text that came from outside (a certificate's fields, a server's answer, a log line) is
shown with its control characters made visible: an ESC from a hostile CN or response body
must not reach the terminal, where it could retitle the window, move the cursor or hide
what the screen says. One home for the rule; the model applies it to every finding, every
certificate's facts and every probe answer, and the panes to the rest.
"""

from __future__ import annotations

import re

_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: str) -> str:
    """Every control character shown (newlines too): for names, titles, commands. The bidi
    overrides are shown as well: they reorder what a reader sees of a command."""
    return _LINE.sub(_shown, text) if _LINE.search(text) else text


def multi_line(text: str) -> str:
    """Control characters shown, newlines and tabs kept (CRLF read as a newline): for bodies and details."""
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    return _TEXT.sub(_shown, text) if _TEXT.search(text) else text


QUOTED_CHARS = 120  # a user's value in a finding's title, detail or evidence line
ROW_CHARS = 1024  # a screen row that shows the value itself (the Ingress pane): a long regex stays readable


def clipped(value: str, limit: int = QUOTED_CHARS) -> str:
    """A user's value as the findings and the screen quote it: whole up to `limit` characters,
    else its start and its size. An annotation may hold up to 256 KiB (a file's, more): quoted
    whole it made a report of megabytes and a screen that folded it for minutes. The JSON's own
    fields (the policy, the directives) keep it whole, bounded by the API server's limit."""
    if len(value) <= limit:
        return value
    return f"{value[:limit]}… ({len(value.encode()):,} bytes)"
