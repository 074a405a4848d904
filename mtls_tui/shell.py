"""Printed commands are pasted into a shell: every value in them that came from outside
(a certificate's subject, an Ingress's name or annotation, a host, a file name, what a
server answered) goes through here, so that pasting runs the intended command and nothing
else. One home for quoting; the findings build commands with these and nothing else.
"""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

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
