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
