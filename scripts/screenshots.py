"""Make the README's screenshots from the lab: the main screen, each tab, a broken
set-up, and the main screen at 80x24. Usage: python scripts/screenshots.py DIR [LAB_DIR]

The lab runs in the folder `make demo` uses (default `demo`) on a fixed port, so the paths
and addresses in the pictures are the ones a reader of the README gets from `make demo`."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from mtls_tui.lab.environment import Lab
from mtls_tui.tui.app import MtlsApp

TABS = (
    ("1", "verdict"),
    ("2", "certificates"),
    ("3", "ingress-secret"),
    ("4", "probe"),
    ("5", "logs"),
    ("w", "walkthrough"),
)


async def settle(app: MtlsApp, pilot, seconds: float = 0.4) -> None:
    await pilot.pause(seconds)
    for _ in range(50):  # the probe and the cluster read run in workers
        if app.controller.reports and all(r.probe for r in app.controller.reports):
            break
        await pilot.pause(0.1)
    await pilot.pause(seconds)


async def shoot(lab: Lab, out: Path, size: tuple[int, int], shots) -> None:
    app = MtlsApp(lab.session(), lab=lab)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        for key, name in shots:
            await pilot.press(key)
            await pilot.pause(0.6)
            app.save_screenshot(str(out / f"{name}.svg"))


PORT = 8443  # the gateway's, on screen in the Probe tab


async def main(out: Path, folder: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with Lab(folder, "healthy", port=PORT) as lab:
        await shoot(lab, out, (120, 40), TABS)
        await shoot(lab, out, (80, 24), [("1", "main-80x24")])
    with Lab(folder, "wrong-ca", port=PORT) as lab:
        await shoot(lab, out, (120, 40), [("1", "broken-wrong-ca")])
    print(f"wrote {', '.join(sorted(p.name for p in out.glob('*.svg')))} to {out}/")


if __name__ == "__main__":
    asyncio.run(
        main(
            Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots"),
            Path(sys.argv[2] if len(sys.argv) > 2 else "demo"),
        )
    )
