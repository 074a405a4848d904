"""The screen's way to `migrate --verify` (service.ports.MigrationVerifier): the engine
(lab/verify.py: nginx, Envoy, Go) is imported when a verification runs, not when the app starts."""

from __future__ import annotations

from typing import Any


def verify_migration(*args: Any, **kwargs: Any) -> Any:
    from mtls_tui.lab.verify import verify

    return verify(*args, **kwargs)
