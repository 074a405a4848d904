"""Printed commands are pasted into a shell: every value in them that came from outside
(a certificate's subject, an Ingress's name or annotation, a host, a file name, what a
server answered) goes through here, so that pasting runs the intended command and nothing
else. One home for quoting; the findings build commands with these and nothing else.
"""

from __future__ import annotations

import json
import re
import shlex
from typing import Any, Literal

from mtls_tui.safe_text import one_line


def arg(value: object) -> str:
    """One shell word, whatever `value` holds (quotes, `$( )`, backticks, newlines)."""
    return shlex.quote(str(value))


def json_arg(value: Any) -> str:
    """A JSON document as one shell word (kubectl patch -p). A YAML timestamp from a file is
    written as the string kubectl would have sent."""
    return shlex.quote(json.dumps(value, separators=(",", ":"), default=str))


def split_note(command: str) -> tuple[str, str]:
    """A command as a runbook writes it (`kubectl get … -o yaml  # then add it to --manifests`)
    split into what runs and the words after `#`. Pasted into zsh, macOS's default shell, whose
    interactive default leaves `interactive_comments` off, the `#` and every word after it are
    arguments of the program, so a printed command never carries them. A `#` starts a comment,
    as in bash, only where it starts a word outside quotes; a command without one comes back
    whole, with "". One line at a time: a newline ends a comment. A leading "then" goes: the
    words are shown under a `then:` label."""
    if "#" not in command:  # most commands: no scan
        return command, ""
    quote = ""
    escaped = False
    for at, char in enumerate(command):
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (at == 0 or command[at - 1] in " \t;&|()<>"):
            words = command[at + 1 :].strip()
            return command[:at].rstrip(), re.sub(r"^then\b:?\s*", "", words)  # its label says "then"
    return command, ""


def comment(text: str) -> str:
    """Free text after `#`: a newline would end the comment and start a command, so control
    characters are shown, never kept."""
    return one_line(text)


def subject_arg(cn: str | None) -> str:
    """openssl's `-subj /CN=…` as one shell word: `/`, `+`, `=` and `\\` in the value are
    escaped with a backslash, as openssl's parse_name reads them."""
    value = re.sub(r"([\\/+=])", r"\\\1", cn or "NAME")
    return shlex.quote(f"/CN={value}")


PIPEFAIL = "(set -o pipefail && "
_CAPTURE = re.compile(r"[a-z_]+=\$\(")  # `ca=$(…) && …`: a read kept in a variable, its status kept


def pipefail(pipeline: str) -> str:
    """A pipeline whose first command's failure fails it (bash, zsh and POSIX-2024 shells), in
    a subshell, so the user's shell keeps its options: `kubectl get … | sed …` otherwise exits
    with sed's 0 when kubectl could not read, and the `&&` after it goes on."""
    return f"{PIPEFAIL}{pipeline})"


def first_program(command: str) -> str:
    """The program a printed command starts with, past the shell forms the fixes use around it
    (`pipefail`'s subshell, a read kept in a variable)."""
    command = command.removeprefix(PIPEFAIL)
    if (capture := _CAPTURE.match(command)) is not None:
        command = command[capture.end() :]
    return command.split(" ", 1)[0]


def join(*words: object) -> str:
    """A command from words that are each one argument (shlex.join for any objects)."""
    return " ".join(arg(w) for w in words)


# Where a printed command may be broken into shell lines: between words (` \`, the next line
# indented), inside an unquoted word (`\`: bash, zsh and POSIX sh drop a backslash-newline
# before they split words, so the word is whole again; the next line starts at its first
# column, since a space there would split it), or inside a '…' string (closed, continued,
# reopened: `'ab'\` then `'cd'` is `abcd`).
Break = Literal["space", "word", "quote"]
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/=:,@%+")
_AFTER = frozenset("=/,:")  # a word breaks best after these (a key=value, a path, a list)


def _breaks(command: str) -> dict[int, Break]:
    """Where `command` may break, by the index of the character that starts the next line.
    Conservative: nothing inside `${…}`, backquotes, "…", $'…' or after a `#` comment; inside
    `$(…)` and `<(…)`, where the shell reads lines as at the top, as anywhere else; a word breaks
    only between two plain characters."""
    breaks: dict[int, Break] = {}
    quote, depth, at = "", 0, 0
    while at < len(command):
        char = command[at]
        if quote == "'":
            if char == "'":
                quote = ""
            elif at > 0 and command[at - 1] != "'" and depth == 0:
                breaks[at] = "quote"
        elif quote == '"':
            if char == "\\":
                at += 1
            elif char == '"':
                quote = ""
        elif char == "\\":
            at += 1  # the escaped character stays with its backslash
        elif char in "'\"":
            quote = "" if command[at - 1 : at] == "$" else char
            if command[at - 1 : at] == "$":  # $'…': its escapes would read a break otherwise
                end = command.find("'", at + 1)
                at = len(command) if end < 0 else end
        elif char == "`" or command.startswith("${", at):
            depth += 1
        elif char in "}`" and depth:
            depth -= 1
        elif char == "#" and (at == 0 or command[at - 1] in " \t;&|()<>"):
            break
        elif depth == 0 and char in " \t" and at > 0:
            breaks.setdefault(at, "space")
        elif depth == 0 and at > 0 and char in _WORD_CHARS and command[at - 1] in _WORD_CHARS:
            if command[at - 2 : at - 1] != "\\" and command[at - 1] != "$":
                breaks[at] = "word"
        at += 1
    return breaks


def fold_command(command: str, width: int, first: int = 0) -> list[str]:
    """`command` as shell lines of at most `width` columns (the first line has `first` fewer),
    each ending in a continuation, so that the lines, pasted as shown, run the same command
    (tests/test_fix_portability.py pastes them into bash and zsh). Breaks between words first,
    then inside a word or a '…' string after `=`, `/`, `,` or `:`, then anywhere they allow; a
    line nothing can break stays whole and longer. A command of several lines (a here-document)
    is left as it is."""
    if "\n" in command or first + len(command) <= width:
        return command.split("\n")
    breaks = _breaks(command)
    lines: list[str] = []
    start, lead, room = 0, "", width - first
    while len(lead) + len(command) - start > room:
        fits = [at for at in breaks if start < at and len(lead) + at - start + 2 <= room]
        later = [at for at in breaks if at > start]
        if not fits and not later:
            break
        at = max(fits, key=lambda at: (_rank(command, at, breaks[at]), at)) if fits else min(later)
        kind = breaks[at]  # with nothing that fits: the shortest line past the edge
        if kind == "space":
            lines.append(f"{lead}{command[start:at].rstrip()} \\")
            start, lead = len(command) - len(command[at:].lstrip()), "  "
        else:
            close = "'" if kind == "quote" else ""
            lines.append(f"{lead}{command[start:at]}{close}\\")
            start, lead = at, "'" if kind == "quote" else ""
        room = width
    lines.append(lead + command[start:])
    return lines


def _rank(command: str, at: int, kind: Break) -> int:
    """Which break reads best: between words, then after a separator, then anywhere."""
    return 2 if kind == "space" else 1 if command[at - 1] in _AFTER else 0
