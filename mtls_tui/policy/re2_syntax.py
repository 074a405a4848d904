"""Whether Go's `regexp` would compile a pattern, judged by a real RE2.

ingress-nginx validates `auth-tls-match-cn` with Go's `regexp.Compile`, which speaks
RE2 syntax: no look-around, no back-references, repetition counts up to 1000. A
hand-written check would drift; the RE2 library is the reference Go's package follows.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would print every refusal on stderr, over the screen


@lru_cache(maxsize=512)
def re2_error(pattern: str) -> str | None:
    """RE2's reason for refusing `pattern`, or None when it compiles."""
    try:
        re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        message = exc.args[0] if exc.args else str(exc)
        return message.decode(errors="replace") if isinstance(message, bytes) else str(message)
    return None


@lru_cache(maxsize=512)
def compile_re2(pattern: str) -> Any:  # re2 publishes no types: a compiled pattern with .search()
    """A compiled RE2 pattern (raises re2.error on bad syntax), for matching many subjects."""
    return re2.compile(pattern, _OPTIONS)


def re2_search(pattern: str, text: str) -> bool | None:
    """Whether `pattern` matches anywhere in `text`, in linear time (None: not RE2 syntax).
    For a pattern the controller accepted, the answer is PCRE's too; Python's `re` could
    backtrack for minutes on `(x+x+)+y` against a hostile subject."""
    if re2_error(pattern) is not None:
        return None
    return compile_re2(pattern).search(text) is not None
