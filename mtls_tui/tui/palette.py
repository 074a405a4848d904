"""The command palette's entries (ctrl+p): the keys' actions by name, plus what has no
key: another kubeconfig context or namespace, and the lab's scenarios by name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from textual.app import SystemCommand

if TYPE_CHECKING:
    from mtls_tui.tui.app import MtlsApp


def palette_commands(app: MtlsApp) -> Iterator[SystemCommand]:
    from mtls_tui.sources.kube import context_names

    controller = app.controller
    yield SystemCommand(
        "Run probe", "Probe the selected host without and with the client certificate", app.action_probe
    )
    yield SystemCommand("Refresh", "Read the cluster again", app.action_refresh)
    yield SystemCommand("Copy fix", "Copy the first fix command of the selected host", app.action_copy_fix)
    yield SystemCommand("Export report", "Write the diagnosis as Markdown and JSON", app.action_export)
    yield SystemCommand(
        "Open client certificate",
        "Judge a certificate file against each host and probe with it",
        app.action_open_client,
    )
    if not controller.session.manifests:
        for name in context_names(controller.session.kubeconfig):
            yield SystemCommand(
                f"Context: {name}",
                "Read this kubeconfig context instead",
                lambda n=name: controller.switch_source(context=n),
            )
        snapshot = controller.diagnosis.snapshot if controller.diagnosis else None
        yield SystemCommand(
            "Namespace: all", "Ingresses of every namespace", lambda: controller.switch_source(namespace="")
        )
        for namespace in sorted({i.namespace for i in snapshot.ingresses}) if snapshot else []:
            yield SystemCommand(
                f"Namespace: {namespace}",
                "Only this namespace's Ingresses",
                lambda n=namespace: controller.switch_source(namespace=n),
            )
    if controller.lab is not None:
        yield SystemCommand(
            "Lab walkthrough", "The article's steps as a checklist with live state", app.action_walkthrough
        )
        for name, description in controller.lab.scenarios().items():
            yield SystemCommand(f"Lab scenario: {name}", description, lambda n=name: controller.switch_scenario(n))
