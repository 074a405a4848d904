"""What an ingress-nginx Ingress for the same host expected and a successor does not do: a
migration leaves the old Ingress beside the new Gateway, and its annotations are the user's
expectation (DESIGN.md "What cannot carry over from ingress-nginx")."""

from __future__ import annotations

from mtls_tui.model import ClusterSnapshot, Finding, Severity
from mtls_tui.policy.successors.common import ClientCertMode, DataPlane, Implementation

PREFIX = "nginx.ingress.kubernetes.io/"
INGRESS_NGINX_DEFAULT_DEPTH = 1  # auth-tls-verify-depth default (DESIGN.md annotation table)


def _depth(value: str | None) -> int:
    """ingress-nginx: a non-integer or 0 silently becomes 1."""
    try:
        depth = int(value or "")
    except ValueError:
        return INGRESS_NGINX_DEFAULT_DEPTH
    return depth if depth > 0 else INGRESS_NGINX_DEFAULT_DEPTH


def verify_depth_ignored(
    snapshot: ClusterSnapshot,
    *,
    host: str,
    implementation: Implementation,
    data_plane: DataPlane,
    mode: ClientCertMode,
    verify_depth: int | None,
    subject: str,
) -> Finding | None:
    """verify-depth-ignored: an Ingress with mTLS for `host` verified to depth N (default 1);
    the successor verifies to `verify_depth` (None: Envoy and Go set no limit: docs/successors.md
    E13, T9; NGINX Gateway Fabric 4: G16). Deeper chains are now accepted, or, above 4, refused."""
    if mode == "none" or data_plane == "unknown":
        return None
    for ingress in snapshot.ingresses:
        annotations = dict(ingress.annotations)
        if host not in ingress.hosts or not annotations.get(PREFIX + "auth-tls-secret"):
            continue
        old = _depth(annotations.get(PREFIX + "auth-tls-verify-depth"))
        if verify_depth == old:
            return None
        now = "no limit" if verify_depth is None else f"depth {verify_depth}"
        effect = (
            f"client chains with more than {old} intermediate(s) are now accepted"
            if verify_depth is None or verify_depth > old
            else f"client chains with more than {verify_depth} intermediates, accepted before, are now refused"
        )
        return Finding(
            code="verify-depth-ignored",
            severity=Severity.WARNING,
            title=f"{host}: ingress-nginx verified to depth {old}; {implementation} verifies with {now}",
            detail=f"Ingress {ingress.ref} set auth-tls-verify-depth {old} for {host}; {subject} cannot carry it: "
            f"{effect}. Gateway API has no depth field (gateway_types.go: implementation specific; GEP-91), "
            "Envoy Gateway and Istio set no max_verify_depth (measured: depth 2 accepted), NGINX Gateway Fabric "
            "fixes 4.",
            fix="openssl verify -show_chain -CAfile ca.crt -untrusted chain.pem client.crt  "
            "# count the intermediates your clients send",
            subject=subject,
            evidence=(
                f"Ingress {ingress.ref}: {PREFIX}auth-tls-verify-depth="
                + annotations.get(PREFIX + "auth-tls-verify-depth", "(unset: 1)"),
            ),
        )
    return None
