"""Read Kubernetes manifests from files and folders (`check --manifests`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mtls_tui.errors import InputError, yaml_input_error
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
    """Every object in the files, Lists unpacked. Raises InputError with file:line."""
    import yaml

    objects: list[dict[str, Any]] = []
    for path in manifest_files(paths):
        data = read_bytes(str(path))
        try:
            documents = list(yaml.safe_load_all(data))
        except yaml.YAMLError as exc:
            raise yaml_input_error(exc, str(path)) from None
        for doc in documents:
            if isinstance(doc, dict) and isinstance(doc.get("items"), list) and str(doc.get("kind", "")).endswith("List"):
                objects += [item for item in doc["items"] if isinstance(item, dict)]
            elif isinstance(doc, dict) and doc.get("kind"):
                objects.append(doc)
    if not objects:
        raise InputError(", ".join(paths), "holds no Kubernetes objects")
    return objects
