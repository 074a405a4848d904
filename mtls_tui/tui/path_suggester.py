"""File-name completion for the inputs that take a path, as a shell's Tab completes:
type the start of a name and → (or End) takes the rest. The folder is listed in a
thread, so a slow or network disk never stalls typing."""

from __future__ import annotations

import asyncio
import os

from textual.suggester import Suggester


def complete_path(value: str) -> str | None:
    """`value` extended to the first name in its folder that starts with what was typed
    (a folder gets its '/'); None when nothing extends it. Hidden names only when asked."""
    folder, slash, stem = value.rpartition("/")
    base = os.path.expanduser(folder + slash) if slash else "."
    try:
        names = sorted(
            entry.name + ("/" if entry.is_dir() else "")
            for entry in os.scandir(base)
            if entry.name.startswith(stem) and (stem.startswith(".") or not entry.name.startswith("."))
        )
    except OSError:
        return None
    longer = [name for name in names if len(name) > len(stem)]
    return value + longer[0][len(stem) :] if longer else None


class PathSuggester(Suggester):
    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)  # files come and go: no cache

    async def get_suggestion(self, value: str) -> str | None:
        return await asyncio.to_thread(complete_path, value) if value else None
