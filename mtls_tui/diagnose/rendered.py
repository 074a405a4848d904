"""What the controller rendered against what it should render: the host's `server` block in
each controller pod's /etc/nginx/nginx.conf (read with `--exec`), compared with the directives
the policy predicts (policy/nginx_directives.py) and the `# PEM sha:` the controller writes for
the Secret as it is now (policy/nginx_conf.py `pem_sha`, store/backend_ssl.go).

A different sha means the controller has not caught up with the Secret; a missing or different
directive means it serves something else than its objects say (a snippet, an older controller,
another controller's configuration); pods that disagree are half-way through a reload.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mtls_tui.model import ClusterSnapshot, Finding, RenderedConf, Severity
from mtls_tui.policy.ingress_nginx.host_policy import HostPolicy
from mtls_tui.policy.nginx_conf import pem_sha
from mtls_tui.shell import arg

# The directives that decide client certificates, compared by name.
WATCHED = ("ssl_client_certificate", "ssl_verify_client", "ssl_verify_depth", "ssl_crl", "return")
_SHA = re.compile(r"#\s*PEM sha:\s*([0-9a-f]{40})")


def server_block(conf: str, host: str) -> str | None:
    """The text between `## start server HOST` and `## end server HOST` (nginx.tmpl), None without it."""
    start, end = f"## start server {host}\n", f"## end server {host}"
    at = conf.find(start)
    if at < 0:
        return None
    stop = conf.find(end, at)
    return conf[at + len(start) : stop if stop >= 0 else len(conf)]


def _said(value: str | None) -> str:
    """A directive's value as nginx.conf writes it, `(none)` when the directive is absent."""
    return f"{value};" if value is not None else "(none)"


def _directives(block: str) -> dict[str, str]:
    """The watched directives at the server's top level: name → the rest of the line, trimmed."""
    found: dict[str, str] = {}
    for line in block.splitlines():
        words = line.strip().rstrip(";").split(None, 1)
        if words and words[0] in WATCHED and words[0] not in found:
            found[words[0]] = " ".join(words[1].split()) if len(words) > 1 else ""
    return found


_MISSING = "nginx.conf has no `## start server` block for the host: this controller does not serve it (yet)."
_DIFFERS = (
    "The controller's rendered server block differs from what the Ingress and Secret configure: a snippet, "
    "an older controller or a configuration not reloaded."
)
_STALE = (
    "The `# PEM sha:` in nginx.conf is the SHA-1 of the client CA file the controller wrote from the Secret "
    "(store/backend_ssl.go); the Secret as it is now gives another: the controller still serves the old "
    "certificates. It re-reads a Secret on its next sync; a stuck controller needs a restart."
)
_DISAGREE = (
    "Pods of one controller serve different configurations: a reload is half-way, or one pod is stuck. "
    "Clients get one or the other by chance."
)


def rendered_findings(policy: HostPolicy, snapshot: ClusterSnapshot) -> list[Finding]:
    if not snapshot.rendered or not policy.served or policy.host == "*":
        return []
    expected = _directives("\n".join(policy.directives))
    ref = policy.policy.secret if policy.policy else None
    secret = snapshot.secret(ref) if ref else None
    sha = pem_sha(secret) if secret is not None and policy.client_checks else None
    findings: list[Finding] = []
    seen: dict[str, str] = {}
    for pod in snapshot.rendered:
        if pod.text is None:
            continue
        block = server_block(pod.text, policy.host)
        if block is None:
            title = f"{pod.pod} has no server block for {policy.host}"
            findings.append(_finding(pod, "controller-conf-host-missing", title, _MISSING, ()))
            continue
        seen[pod.pod] = block
        live = _directives(block)
        differs = tuple(
            f"{name}: rendered {_said(live.get(name))}, expected {_said(expected.get(name))}"
            for name in WATCHED
            if live.get(name) != expected.get(name)
        )
        if differs:
            title = f"{pod.pod} serves {policy.host} with other client-certificate directives than its objects say"
            findings.append(_finding(pod, "controller-conf-differs", title, _DIFFERS, differs))
        head = block.split("ssl_client_certificate", 1)[0] if "ssl_client_certificate" in block else ""
        live_sha = _SHA.search(head)
        if sha is not None and live_sha is not None and live_sha[1] != sha:
            title = f"{pod.pod} has not caught up with Secret {ref}"
            evidence = (f"rendered: {live_sha[1]}", f"from the Secret now: {sha}")
            findings.append(_finding(pod, "controller-conf-stale", title, _STALE, evidence))
    if len(set(seen.values())) > 1:
        deployment = policy.controller.name if policy.controller else "ingress-nginx-controller"
        findings.append(
            Finding(
                code="controller-pods-disagree",
                severity=Severity.WARNING,
                title=f"the controller's pods render {policy.host} differently",
                detail=_DISAGREE,
                fix=f"kubectl rollout restart deployment -n {arg(snapshot.rendered[0].namespace)} {arg(deployment)}",
                subject=f"host {policy.host}",
                evidence=tuple(sorted(seen)),
            )
        )
    return findings


def _finding(pod: RenderedConf, code: str, title: str, detail: str, evidence: tuple[str, ...]) -> Finding:
    return Finding(
        code=code,
        severity=Severity.ERROR if code != "controller-conf-host-missing" else Severity.WARNING,
        title=title,
        detail=detail,
        fix=pod.command,
        subject=f"pod {pod.namespace}/{pod.pod}",
        evidence=(*evidence, f"read with: {pod.command}"),
    )


def unread_note(rendered: Sequence[RenderedConf]) -> Finding | None:
    """One line for what --exec could not read, and the permission that would allow it."""
    problems = [p for p in rendered if p.text is None]
    if not problems:
        return None
    first = problems[0]
    return Finding(
        code="controller-conf-unread",
        severity=Severity.WARNING,
        title=f"not checked: the rendered nginx.conf of {', '.join(p.pod for p in problems)} ({first.problem})",
        detail="The comparison of what the controller rendered with what its objects say needs `create` on "
        "pods/exec in the controller's namespace; the rest of the report does not depend on it.",
        # `pods/exec` there would name a pod called exec: the subresource is a flag of its own
        fix=f"kubectl auth can-i create pods --subresource=exec -n {arg(first.namespace)}",
        subject=f"pod {first.namespace}/{first.pod}",
        evidence=tuple(f"{p.pod}: {p.problem}" for p in problems),
    )
