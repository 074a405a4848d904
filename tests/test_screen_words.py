"""Words on the screen where a Python value leaked: a log line in nginx's `combined` format (no
request time: F5 NGINX Ingress's and plain nginx's default, `log_format combined` in nginx's
ngx_http_log_module) showed `· Nones` on the Logs tab."""

from __future__ import annotations

from pathlib import Path

from mtls_tui.lab.pki import SeedPki
from mtls_tui.logs.parse import parse_line
from mtls_tui.tui.panes.logs import LogsPane
from tests.test_tui_panes import at_80x24, squeezed, text_of

COMBINED = (
    '2026-06-01T12:00:01.300000000Z 10.0.0.7 - - [01/Jun/2026:12:00:01 +0000] "GET / HTTP/1.1" 400 237 "-" "curl/8.5.0"'
)


async def test_a_combined_access_line_shows_no_none(tmp_path: Path, pki: SeedPki) -> None:
    record = parse_line(COMBINED, "nginx-ingress-7c9f", "controller", with_timestamp=True)
    assert record.parsed is not None and record.parsed.request_time is None  # the format has none
    async with at_80x24(tmp_path, pki, "5") as (app, pilot):
        pane = app.query_one(LogsPane)
        pane.add([record])
        await pilot.pause(0.3)
        shown = " ".join(text_of(app, pane.query_one("#logs-view")))
    assert squeezed("GET / HTTP/1.1 from 10.0.0.7 · curl/8.5.0") in squeezed(shown), shown
    assert "None" not in shown, shown
