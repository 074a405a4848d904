"""Where a successor's release decides who gets in: one table per controller, each rule citing the
file, function and commit it was read at (git show TAG:PATH in the fetched repositories).

The release comes from the controller Deployment's image tag, as for ingress-nginx
(policy/ingress_nginx/releases.py `release_of`). No Deployment seen, several releases seen, or a
tag that names none (a digest alone, `latest`): the current release's rules apply and the report
says which release was assumed; where a rule differs by release, a finding says what was not
checked instead of letting the assumed release's answer stand as the only one.

Envoy Gateway (envoyproxy/gateway):
- EG_ALL_CA_BLOCKS  v1.0.0–v1.6.7 internal/gatewayapi/tls.go `validateCertificate(s)`: pem.Decode of
  the *first* PEM block of each caCertificateRef only, refused when expired or not yet valid, and
  clienttrafficpolicy.go buildListenerTLSParameters fails the policy ("invalid certificate in NAME");
  the other blocks go to Envoy unchecked. Commit c52327a8de (#7734, issue #7608; first in v1.7.0)
  `filterValidCertificates`: every block checked, the bad ones dropped, the policy invalid only when
  none is left. The issue names v1.6; the code is the same from v1.0.0 (commit 4ebe6a9b52).
- EG_CA_REENCODED  the same commit: before it buildListenerTLSParameters appends each caCertificateRef's
  data as written (`irCACert.Certificate = append(irCACert.Certificate, caCertBytes...)`, v1.0.0–v1.6.7),
  so a CA that does not end in a newline runs into the next one ("-----END CERTIFICATE----------BEGIN
  CERTIFICATE-----") and Envoy refuses the bundle (envoyproxy/gateway#5369); from v1.7.0 each kept block
  is written again by pem.EncodeToMemory (filterValidCertificates, then v1.9.0 appendDedupPEMCertsWithSeen),
  which ends it in a newline. The crl.refs are appended as written in every release (v1.6.0–v1.9.0).
- EG_MODE_FIRST  before v1.8.0 buildListenerTLSParameters writes the client validation
  (CACertificate, RequireClientCertificate) only after every CA reference was read: a CA failure
  leaves the listener without the policy's validation. v1.8.0 writes the mode first
  (ClientValidationEnabled, convertClientValidationModeType before the CA loop).
- EG_CRL_INDEXED  tls.clientValidation.crl arrived in v1.6.0 (commit 6740675597, #7199), but the
  provider loaded no object named only by crl.refs: internal/provider/kubernetes/controller.go
  processCTPCrlRefs (and its indexer in indexers.go) came with commit fe57c708a3 (#7829, issue #7805),
  first in v1.6.2 (cherry-pick 633fb3c56a) and v1.7.0. On v1.6.0 and v1.6.1 the translator's
  validateAndGetDataAtKeyInRef finds no such Secret ("failed to get crl from ref: secret NS/NAME does
  not exist"), the policy is Invalid and every route on its listeners answers HTTP 500; an object the
  policy also names in caCertificateRefs is loaded (processCTPCACertificateRefs) and read.
Traefik (traefik/traefik):
- TRAEFIK_BROKEN_CLOSES  commit 7e3fe48b80 "Handle broken TLS conf better" (#9572, issue #9557; first
  in v2.9.6): pkg/tls/tlsmanager.go Manager.Get returns no config for broken or unknown options,
  pkg/server/router/tcp/manager.go buildEntryPointHandler gives the host the closing route
  (brokenTLSRouter), pkg/server/router/router.go buildRouterHandler refuses the router. Before it
  (the same code at v2.8.8 and v2.9.5; `tlsConfig = &tls.Config{}` on error since v2.0.0), Get
  answered an empty tls.Config with the error, buildEntryPointHandler `continue`d without an entry
  for the host, so its SNI got the default TLS options and the router was served: fail open. A
  broken `default` option was that empty config itself: no client certificate asked. The issue
  names v2.9; the source says every v2 release before v2.9.6.
- TRAEFIK_CA_CRT  commit 0a3e40332a "Improve CA certificate loading from kubernetes secret" (first in
  v2.5.0): pkg/provider/kubernetes/crd/kubernetes.go getCABlocks reads `tls.ca`, then `ca.crt`. Before
  it (read at v2.0.0 and v2.4.14) getCABlocks reads `tls.ca` only ("the tls.ca entry is missing from
  secret NS/NAME"), buildTLSOptions logs it and skips the Secret: a CA Secret with `ca.crt` alone gives
  the option no CA (traefik/traefik issue 8511, PR 7068: "I had a secret with key ca.crt which did not
  work"). With clientAuthType RequireAndVerifyClientCert the option then fails to build, which those
  releases serve with the default options (TRAEFIK_BROKEN_CLOSES): fail open either way.
- TRAEFIK_IO_GROUP  commit 7af9d16208 "Introduce traefik.io API Group CRDs" (first in v2.10.0): before
  it pkg/provider/kubernetes/crd reads traefik.containo.us only (v2.9.5 has no traefikio client), so a
  traefik.io TLSOption or IngressRoute does not exist for it.
- TRAEFIK_CRD_QUALIFIED  commit df00d82fc7 "Honor allowCrossNamespace with chain middleware CRD" (first in
  v2.11.43, v3.6.14, v3.7.0): pkg/provider/kubernetes/crd/kubernetes.go resolveReference refuses a name
  ending in `@kubernetescrd` while allowCrossNamespace is off ("when allowCrossNamespace is disabled,
  @kubernetescrd references are disallowed"); v3.0.0–v3.6.13 take it. An IngressRoute's refused
  tls.options leaves its route unbuilt (kubernetes_http.go loadIngressRouteConfiguration `continue`).
- TRAEFIK_CROSS_PROVIDER  commit 28604083a4 "Add CrossProviderNamespaces option" (first in v2.11.46,
  v3.6.17, v3.7.1; not in v3.7.0): with providers.kubernetesCRD.crossProviderNamespaces set, resolveReference
  refuses any `NAME@provider` from a namespace the list lacks (isCrossProviderNamespaceAllowed); with
  providers.kubernetesIngress.crossProviderNamespaces set, ingress/kubernetes.go
  loadConfigurationFromIngresses skips a whole Ingress of a namespace the list lacks whose annotations name
  middlewares or TLS options ("Skipping Ingress: cross-provider TLS option reference is not allowed").
F5 NGINX Ingress Controller (nginx/kubernetes-ingress):
- F5_PREVIEW  pkg/apis/configuration/validation/policy.go validatePolicySpec, v1.10.0–v2.1.2:
  "ingressMTLS is a preview policy. Preview policies must be enabled to use via cli argument
  -enable-preview-policies" unless the flag is set (cmd/nginx-ingress/main.go, default false).
  The Policy is rejected (internal/k8s/controller.go getPolicies "Policy %s is invalid"), and
  internal/configs/virtualserver.go generatePolicies answers "Policy %s is missing or invalid" with
  `return 500`. Commit 069ca8e26 (#2566, first in v2.2.0) "Unbind policy from preview policies".
  v1.9 had ingressMTLS in the v1alpha1 Policy with no gate.
Istio (istio/istio):
- ISTIO_CREDENTIAL_NAMES  the 1.26 CRD has `credentialNames` (manifests/charts/base/files/
  crd-all.gen.yaml), but pkg/config/validation/validation.go validateTLSOptions at 1.26.x knows only
  `credentialName`: MUTUAL/OPTIONAL_MUTUAL/SIMPLE with credentialNames alone fails "MUTUAL TLS
  requires a server certificate" (and a private key, a client CA bundle), and the validation
  webhook refuses the Gateway (issue #56598); pilot/ at 1.26.x reads no CredentialNames. Commit
  af4d964e019 (#55760, first in 1.27.0) reads and validates them. 1.25's CRD has no such field.
- ISTIO_SECRET_CA  pilot/pkg/model/gateway.go mergeGateways authorizes, for each server credential,
  `<credential>-cacert` in MUTUAL only; pilot/pkg/xds/sds.go filterAuthorizedResources denies any
  kubernetes-gateway:// resource not so authorized. A Gateway API frontend CA of kind Secret is
  requested as `<ca secret>-cacert` (conversion.go buildCaCertificateReference, CaCertCredentialName;
  security/model/authentication.go ApplyCredentialSDSToServerCommonTLSContext), so before 1.31 it
  reaches Envoy only when it is the listener's own certificate Secret and the mode is MUTUAL: else
  the validation context never arrives and every connection is closed. 1c4665799bf (#60278, in
  1.31.0-alpha.0 on) authorizes the CaCertCredentialName itself, in any mode. A ConfigMap CA is
  always allowed (sds.go). Read at 1.30.3 and 1.31.0-rc.0.
- ISTIO_OPTIONAL_CACERT  the `<credential>-cacert` of an OPTIONAL_MUTUAL listener (the CA of its own
  certificate Secret) is denied in every release read (issues #60618, #60113); fixed on master
  only, commit f1a56063393 (#60720).
- ISTIO_FRONTEND_MODE  pilot/pkg/config/kube/gateway/conversion.go buildTLS at 1.30.3 reads the
  frontend's caCertificateRefs and no `mode` ("TODO: add 'Mode'"): AllowInsecureFallback is served as
  AllowValidOnly (MUTUAL), and no InsecureFrontendValidationMode condition is written. Commit
  b9a243785f9 (#60824, first in 1.31.0-alpha.2) renders it OPTIONAL_MUTUAL with insecureSkipVerify.
- ISTIO_CA_CONDITIONS  at 1.30.3 buildListener reports a frontend CA it cannot use as ResolvedRefs=False
  InvalidCertificateRef (RefNotPermitted without a ReferenceGrant), Programmed=False Invalid "Bad TLS
  configuration", and leaves the listener Accepted=True (testdata/invalid.status.yaml.golden,
  invalid-frontendvalidation-*); commit ec082098894 (#60052, first in 1.31.0-alpha.0) reports the
  spec's InvalidCACertificateRef / InvalidCACertificateKind and Accepted=False NoValidCACertificate.
  In both, the listener's server is not built (gateway_collection.go: Valid = programmed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mtls_tui.model import ClusterSnapshot, Finding, Severity, SuccessorController
from mtls_tui.policy.controller_images import PRODUCTS, Product
from mtls_tui.policy.go_bools import GO_BOOLS
from mtls_tui.policy.ingress_nginx.releases import Release, release_of
from mtls_tui.shell import arg, json_arg

EG_ALL_CA_BLOCKS: Release = (1, 7, 0)
EG_MODE_FIRST: Release = (1, 8, 0)
EG_CA_REENCODED: Release = EG_ALL_CA_BLOCKS  # the same commit c52327a8de
EG_CRL_INDEXED: tuple[Release, Release] = ((1, 6, 0), (1, 6, 2))  # from, to (excluded): CRL objects not loaded
TRAEFIK_BROKEN_CLOSES: Release = (2, 9, 6)
TRAEFIK_IO_GROUP: Release = (2, 10, 0)
TRAEFIK_CA_CRT: Release = (2, 5, 0)
# resolveReference refuses `NAME@kubernetescrd` while allowCrossNamespace is off: commit df00d82fc7, first in
# v2.11.43, v3.6.14 and v3.7.0 (not in v3.0.0–v3.6.13). From, to (excluded; None: every later release).
TRAEFIK_CRD_QUALIFIED: tuple[tuple[Release, Release | None], ...] = (((2, 11, 43), (3, 0, 0)), ((3, 6, 14), None))
# Provider.CrossProviderNamespaces: commit 28604083a4, first in v2.11.46, v3.6.17 and v3.7.1 (not in v3.7.0).
TRAEFIK_CROSS_PROVIDER: tuple[tuple[Release, Release | None], ...] = (
    ((2, 11, 46), (3, 0, 0)),
    ((3, 6, 17), (3, 7, 0)),
    ((3, 7, 1), None),
)
F5_PREVIEW: tuple[Release, Release] = ((1, 10, 0), (2, 2, 0))  # from, to (excluded)
F5_PREVIEW_FLAG = "enable-preview-policies"
ISTIO_CREDENTIAL_NAMES: Release = (1, 27, 0)
# No release read has f1a56063393; a release after the newest one read may have it: not known.
ISTIO_NEWEST_READ: Release = (1, 30, 3)
ISTIO_SECRET_CA: Release = (1, 31, 0)  # 1c4665799bf: a frontend CA Secret authorized in any mode
ISTIO_FRONTEND_MODE: Release = (1, 31, 0)  # b9a243785f9: AllowInsecureFallback read
ISTIO_CA_CONDITIONS: Release = (1, 31, 0)  # ec082098894: the spec's reasons for an unusable frontend CA
# The newest release read of each (docs/successors.md "Sources read"): assumed when none is seen.
CURRENT: dict[str, Release] = {
    "envoy-gateway": (1, 9, 0),
    "traefik": (3, 7, 9),
    "f5-nginx": (5, 5, 4),
    "istio": ISTIO_NEWEST_READ,
}


@dataclass(frozen=True)
class ControllerRelease:
    """The release a successor's rules are read at, and the controller it came from."""

    product: Product
    release: Release | None  # None: not seen (or several, or a tag naming none): `current` assumed
    controller: SuccessorController | None = None
    why_assumed: str = ""

    @property
    def at(self) -> Release:
        return self.release or CURRENT[self.product.implementation]

    @property
    def seen(self) -> bool:
        return self.release is not None

    @property
    def named(self) -> str:
        version = "v" + ".".join(map(str, self.at))
        return f"{self.product.title} {version}" + ("" if self.seen else f" (assumed: {self.why_assumed})")

    def between(self, first: Release, last: Release | None = None) -> bool:
        """The release is `first` or later, and before `last` (excluded)."""
        return self.at >= first and (last is None or self.at < last)


def release_for(snapshot: ClusterSnapshot, implementation: str) -> ControllerRelease:
    """The release of the implementation's controller in the snapshot."""
    product = PRODUCTS[implementation]
    mine = [c for c in snapshot.successor_controllers if c.implementation == implementation]
    if not mine:
        return ControllerRelease(product, None, why_assumed="no controller Deployment seen")
    releases = {release_of(c.image) for c in mine}
    if len(releases) > 1:
        named = ", ".join(f"{c.ref} {c.image}" for c in mine)
        return ControllerRelease(product, None, mine[0], f"several controllers: {named}")
    release = releases.pop()
    if release is None:
        return ControllerRelease(product, None, mine[0], f"the image {mine[0].image} names no release")
    return ControllerRelease(product, release, mine[0])


def go_flag(args: Iterable[str], name: str) -> bool:
    """A boolean flag as Go's `flag` package reads it: `-name` or `--name` alone is true,
    `-name=VALUE` is strconv.ParseBool's VALUE (a value it refuses stops the program; read as false)."""
    value = False
    for raw in args:
        flag, eq, given = raw.lstrip("-").partition("=")
        if raw.startswith("-") and flag == name:
            value = GO_BOOLS.get(given, False) if eq else True
    return value


def go_value(args: Iterable[str], name: str, default: str) -> str:
    """A string flag as Go's `flag` package reads it: `-name=VALUE`, `--name=VALUE`, or `-name VALUE`
    (the next argument); the last one given wins."""
    value, items = default, list(args)
    for index, raw in enumerate(items):
        flag, eq, given = raw.lstrip("-").partition("=")
        if raw.startswith("-") and flag == name:
            value = given if eq else (items[index + 1] if index + 1 < len(items) else value)
    return value


def traefik_cross_namespace(controller: SuccessorController | None) -> bool:
    """providers.kubernetesCRD.allowCrossNamespace (traefik/traefik v3.7.9 pkg/provider/kubernetes/crd/
    kubernetes.go Provider.AllowCrossNamespace, default false) as the controller's args set it: Traefik's
    flags are case-insensitive, `--name` alone is true, `--name=VALUE` is strconv.ParseBool's VALUE. A
    controller not seen (or set by a file or the environment, not read here) counts as the default."""
    if controller is None:
        return False
    value = False
    for raw in controller.args:
        flag, eq, given = raw.lstrip("-").partition("=")
        if raw.startswith("-") and flag.lower() == "providers.kubernetescrd.allowcrossnamespace":
            value = GO_BOOLS.get(given, False) if eq else True
    return value


def traefik_cross_provider_namespaces(
    release: ControllerRelease, provider: str = "kubernetescrd"
) -> tuple[str, ...] | None:
    """providers.<provider>.crossProviderNamespaces (v3.7.9 pkg/provider/kubernetes/crd/kubernetes.go and
    ingress/kubernetes.go Provider.CrossProviderNamespaces, both from commit 28604083a4) as the controller's
    args set it (`--NAME=a,b`, Traefik's flags are case-insensitive), on a release that has it
    (TRAEFIK_CROSS_PROVIDER); None: not set, every namespace may name another provider's object
    (isCrossProviderNamespaceAllowed, and the Ingress provider's `p.CrossProviderNamespaces != nil`: a nil list
    allows all)."""
    controller = release.controller
    if controller is None or not any(release.between(*span) for span in TRAEFIK_CROSS_PROVIDER):
        return None
    found: tuple[str, ...] | None = None
    for raw in controller.args:
        flag, eq, given = raw.lstrip("-").partition("=")
        if raw.startswith("-") and eq and flag.lower() == f"providers.{provider}.crossprovidernamespaces":
            found = tuple(n.strip() for n in given.split(",") if n.strip())
    return found


# --- the rules --------------------------------------------------------------------------------


def eg_first_ca_block_only(release: ControllerRelease) -> bool:
    return not release.between(EG_ALL_CA_BLOCKS)


def eg_ca_refs_joined_as_written(release: ControllerRelease) -> bool:
    return not release.between(EG_CA_REENCODED)


def eg_mode_written_first(release: ControllerRelease) -> bool:
    return release.between(EG_MODE_FIRST)


def eg_crl_refs_unloaded(release: ControllerRelease) -> bool:
    """The release reads crl.refs but never loads an object named only there (EG_CRL_INDEXED)."""
    return release.between(*EG_CRL_INDEXED)


def traefik_broken_options_close(release: ControllerRelease) -> bool:
    return release.between(TRAEFIK_BROKEN_CLOSES)


def traefik_reads_io_group(release: ControllerRelease) -> bool:
    return release.between(TRAEFIK_IO_GROUP)


def traefik_refuses_crd_qualified(release: ControllerRelease) -> bool:
    """resolveReference refuses `NAME@kubernetescrd` while allowCrossNamespace is off (TRAEFIK_CRD_QUALIFIED)."""
    return any(release.between(*span) for span in TRAEFIK_CRD_QUALIFIED)


def traefik_ca_keys(release: ControllerRelease) -> tuple[str, ...]:
    """The keys getCABlocks reads a TLSOption's CA from, in its order (TRAEFIK_CA_CRT)."""
    return ("tls.ca", "ca.crt") if release.between(TRAEFIK_CA_CRT) else ("tls.ca",)


def f5_policy_gated(release: ControllerRelease) -> bool:
    """The release refuses ingressMTLS without -enable-preview-policies, and its controller (when
    seen) does not set it."""
    if not release.between(*F5_PREVIEW):
        return False
    return release.controller is None or not go_flag(release.controller.args, F5_PREVIEW_FLAG)


def istio_reads_credential_names(release: ControllerRelease) -> bool:
    return release.between(ISTIO_CREDENTIAL_NAMES)


def istio_reads_frontend_mode(release: ControllerRelease) -> bool:
    return release.between(ISTIO_FRONTEND_MODE)


def istio_spec_ca_conditions(release: ControllerRelease) -> bool:
    return release.between(ISTIO_CA_CONDITIONS)


def istio_secret_ca_denied(release: ControllerRelease, *, optional: bool, own_secret: bool) -> bool:
    """A Gateway API listener's client CA of kind Secret never reaches Envoy (ISTIO_SECRET_CA):
    before 1.31, unless it is the listener's own certificate Secret in MUTUAL."""
    return not release.between(ISTIO_SECRET_CA) and (optional or not own_secret)


# --- findings ---------------------------------------------------------------------------------


RELEASE_UNSEEN = "controller-release-unseen"  # the finding `unchecked` makes: the verdict rests on an assumed release


def unchecked(release: ControllerRelease, subject: str, elsewhere: str) -> Finding:
    """A rule differs by release and the release was not seen: the verdict uses the assumed one;
    `elsewhere` says what the other releases do with the same objects."""
    where = release.controller
    columns = arg(
        "custom-columns=NAMESPACE:.metadata.namespace,NAME:.metadata.name,IMAGE:.spec.template.spec.containers[*].image"
    )
    fix = (
        f"kubectl get deployment {arg(where.name)} -n {arg(where.namespace)} -o {columns}"
        if where is not None
        else f"kubectl get deployments -A -l {arg(release.product.selector)} -o {columns}"
    )
    return Finding(
        code=RELEASE_UNSEEN,
        severity=Severity.WARNING,
        title=f"not checked: which {release.product.title} release serves this; the verdict is {release.named}'s",
        detail=f"{elsewhere} The release is read from the controller Deployment's image tag "
        "(policy/successors/releases.py); add the Deployment to --manifests, or let the tool read it.",
        fix=fix,
        subject=subject,
        evidence=(f"assumed {release.named}",),
    )


def f5_preview_fix(release: ControllerRelease) -> str:
    """Add -enable-preview-policies to the controller's args (or show where, when it was not seen)."""
    return add_arg_command(release, f"-{F5_PREVIEW_FLAG}")


def add_arg_command(release: ControllerRelease, flag: str) -> str:
    """Add `flag` to the controller's args (or show the controllers, when it was not seen)."""
    where = release.controller
    if where is None:
        return f"kubectl get deployments -A -l {arg(release.product.selector)} -o yaml"
    path = f"/spec/template/spec/containers/{where.container}/args"
    op = (
        {"op": "add", "path": path + "/-", "value": flag}
        if where.has_args
        else {"op": "add", "path": path, "value": [flag]}
    )
    return f"kubectl patch deployment {arg(where.name)} -n {arg(where.namespace)} --type json -p {json_arg([op])}"


def set_arg_command(release: ControllerRelease, flag: str, value: str) -> str:
    """Set `--flag=value` in the controller's args: the last arg naming the flag (case-insensitive, as
    Traefik's) is replaced in place, so no second occurrence is left to argue with it; else it is added."""
    where = release.controller
    named = [
        i
        for i, raw in enumerate(where.args if where is not None else ())
        if raw.startswith("-") and raw.lstrip("-").partition("=")[0].lower() == flag.lstrip("-").lower()
    ]
    if where is None or not named:
        return add_arg_command(release, f"{flag}={value}")
    path = f"/spec/template/spec/containers/{where.container}/args/{named[-1]}"
    op = {"op": "replace", "path": path, "value": f"{flag}={value}"}
    return f"kubectl patch deployment {arg(where.name)} -n {arg(where.namespace)} --type json -p {json_arg([op])}"
