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
