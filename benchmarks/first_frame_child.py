"""Child process for bench_tui.py: start the app on manifests, exit after its first frame."""

import time

START = time.perf_counter()

import sys  # noqa: E402

from mtls_tui.service.session import Session  # noqa: E402
from mtls_tui.tui.app import MtlsApp  # noqa: E402


class FirstFrame(MtlsApp):
    def on_mount(self) -> None:  # the app's own on_mount runs too (Textual calls each class's handler)
        self.call_after_refresh(self.report)

    def report(self) -> None:
        heavy = "kubernetes" in sys.modules
        print(f"{(time.perf_counter() - START) * 1000:.1f} {int(heavy)}", flush=True)
        self.exit()


if __name__ == "__main__":
    FirstFrame(Session(manifests=sys.argv[1:])).run(headless=True)
