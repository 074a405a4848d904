"""Read Kubernetes manifests from files and folders (`check --manifests`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mtls_tui.errors import InputError, yaml_documents
from mtls_tui.sources.files import read_bytes

SUFFIXES = {".yaml", ".yml", ".json"}


def manifest_files(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
        else:
            files.append(path)
    return files


def read_manifests(paths: list[str]) -> list[dict[str, Any]]:
    """Every object in the files, Lists unpacked. Raises InputError with file:line.

    No size limit: a cluster's worth of manifests is large and legitimate. What is bounded is
    the work per byte: YAML aliases may not expand without end, nesting is bounded, and
    devices and pipes without a writer are refused (`read_bytes`)."""
    objects: list[dict[str, Any]] = []
    for path in manifest_files(paths):
        data = read_bytes(str(path), limit=None)
        for doc in yaml_documents(data, str(path)):
            if isinstance(doc, dict) and isinstance(doc.get("items"), list) and str(doc.get("kind", "")).endswith("List"):
                objects += [item for item in doc["items"] if isinstance(item, dict)]
            elif isinstance(doc, dict) and doc.get("kind"):
                objects.append(doc)
    if not objects:
        raise InputError(", ".join(paths), "holds no Kubernetes objects")
    return objects
