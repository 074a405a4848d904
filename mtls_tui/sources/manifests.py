"""Read Kubernetes manifests from files and folders (`check --manifests`).

No size limit: a cluster's worth of manifests (`kubectl get ingress,secret -A -o yaml`, a
`helm template` of the estate) is large and legitimate. What is bounded is the work per
byte (`documents.py`: aliases, nesting) and what may be opened (`read_bytes`: devices,
pipes without a writer). Documents, and a YAML List's objects, are read one at a time and
handed on as objects, so a broken document is reported with its file and line while the
others are still judged, and the whole estate never stands in memory as dicts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mtls_tui.diagnose.certificates import STDIN, input_label, unreadable_finding
from mtls_tui.documents import documents
from mtls_tui.errors import InputError
from mtls_tui.model import Finding
from mtls_tui.shell import arg
from mtls_tui.sources.files import cannot_open, read_bytes

SUFFIXES = {".yaml", ".yml", ".json"}


def manifest_files(paths: list[str]) -> list[Path]:
    """The files a user's paths name: a file as given, a folder's manifest files at any depth. A
    path or folder that cannot be looked at stops the command with one line naming it (a folder
    we may not list would otherwise read as one holding no objects, which hides the cause)."""
    files: list[Path] = []
    for path in map(Path, paths):
        try:
            folder = path.is_dir()
        except OSError as exc:  # the path's own folder may not be searched
            raise cannot_open(path, exc) from None
        if not folder:
            files.append(path)
            continue
        found: list[Path] = []

        def refused(exc: OSError) -> None:
            raise cannot_open(exc.filename, exc, " (a folder under --manifests cannot be listed)")

        for root, _, names in os.walk(path, onerror=refused):
            found += (Path(root) / n for n in names if Path(n).suffix in SUFFIXES)
        files += sorted(p for p in found if p.is_file())
    return files


class ManifestSet:
    """The objects of manifest files, read one document at a time (`objects`). A document that
    cannot be read becomes an `input-unreadable` finding in `unreadable`; when no object at all
    could be read, `objects` raises InputError (the command cannot run: exit status 2)."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths
        self.unreadable: list[Finding] = []
        self._errors: list[InputError] = []

    def objects(self) -> Iterator[dict[str, Any]]:
        """Every object in the files, in order, Lists unpacked; a file that cannot be opened
        raises CannotRun (`read_bytes`)."""
        count = 0
        for path in manifest_files(self.paths):
            label = input_label(str(path))
            for document in documents(read_bytes(str(path), limit=None), label, items=True):
                if document.error is not None:
                    self._unreadable(label, document.error, document.lines)
                    continue
                objects = [document.value] if document.item else _objects(document.value)
                objects.reverse()
                while objects:  # taken out one at a time: each dict is freed once it is turned into the model's objects
                    obj = objects.pop()
                    if isinstance(obj, dict):
                        count += 1
                        yield obj
        if not count and self._errors:
            first, more = self._errors[0], len(self._errors) - 1
            raise InputError(
                first.where,
                first.problem + (f" (and {more} more unreadable document{'s' * (more > 1)})" if more else ""),
            )
        if not count:
            raise InputError(", ".join(self.paths), "holds no Kubernetes objects")

    def _unreadable(self, path: str, error: InputError, lines: tuple[int, int]) -> None:
        self._errors.append(error)
        self.unreadable.append(
            unreadable_finding(
                error.where,
                error.problem,
                # standard input is read and gone: no file to show the document of
                fix=f"sed -n '{lines[0]},{lines[1]}p' {arg(path)}  # the document that could not be read"
                if path != STDIN
                else "",
                detail="This document could not be read; the other documents were read and judged. An Ingress or "
                "Secret in it was not seen: a host that needs it shows it as not among the files.",
            )
        )


def _objects(document: Any) -> list[Any]:
    """The objects a document holds: a List's own `items` (not a copy, so that taking them out
    frees them), or the document itself when it has a kind. A List is a document with an `items`
    list, whatever its kind, as kubectl decodes it (apimachinery's unstructuredJSONScheme)."""
    if not isinstance(document, dict):
        return []
    items = document.get("items")
    if isinstance(items, list):
        return items
    return [document] if document.get("kind") else []
