"""The screen's export: one host's diagnosis as Markdown (for a ticket) and JSON (for a script)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from mtls_tui.diagnose.hosts import HostReport
from mtls_tui.diagnose.successors import SuccessorReport
from mtls_tui.report.data import host_dict, successor_dict
from mtls_tui.report.markdown import host_markdown


def export_stem(folder: Path, host: str) -> Path:
    """Not with_suffix: host names hold dots; and a host from a manifest may hold '/' or '..':
    the name stays one file name inside `folder`."""
    return folder / ("mtls-tui-" + re.sub(r"[^A-Za-z0-9.-]", "_", host.replace("*", "wildcard")).lstrip("."))


def write_exports(report: HostReport | SuccessorReport, source: str, folder: Path) -> tuple[Path, Path]:
    stem = export_stem(folder, report.host)
    markdown, data = Path(f"{stem}.md"), Path(f"{stem}.json")
    markdown.write_text(host_markdown(report, source))
    as_data = successor_dict(report) if isinstance(report, SuccessorReport) else host_dict(report)
    data.write_text(json.dumps(as_data, indent=2))
    return markdown, data
