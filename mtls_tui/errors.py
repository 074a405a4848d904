"""The project's own error type for input it cannot use.

Everything that reads user input raises `InputError` and nothing else, so every
edge can turn it into one clear line (`where: problem`) instead of a traceback.
"""

from __future__ import annotations


class InputError(Exception):
    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


class PassphraseNeeded(InputError):
    """An encrypted key or PKCS#12 file and no pass phrase: the edge may prompt and retry."""


def yaml_input_error(exc: Exception, origin: str, what: str = "YAML") -> InputError:
    """Point at the line where the broken construct starts (PyYAML's context mark),
    which is where a person has to look, rather than where the parser gave up."""
    mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
    where = f"{origin}:{mark.line + 1}" if mark else origin
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    return InputError(where, f"is not valid {what} ({context + ': ' if context else ''}{problem})")
