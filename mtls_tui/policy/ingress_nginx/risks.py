"""Each ingress-nginx annotation's risk, for the ConfigMap's annotations-risk-level.

`Extractor.Extract` (internal/ingress/annotations/annotations.go) asks every annotation
parser to `Validate` the Ingress's annotations before it parses any: `CheckAnnotationRisk`
(parser/validators.go) fails for an annotation, or one of its AnnotationAliases, whose `Risk`
is above the level, and the whole Ingress is then skipped by the store (store.go syncIngress).
The levels below are each parser's `Risk:` field at v1.15.1 (internal/ingress/annotations/
<package>/main.go, the package named in the comment); annotations not listed are Low (0).
Levels: Low 0 < Medium 1 < High 2 < Critical 3 (parser/validators.go; StringRiskToRisk reads
anything else as Low).
"""

from __future__ import annotations

RISK_NAMES = ("Low", "Medium", "High", "Critical")

ANNOTATION_RISK: dict[str, int] = {
    "allowlist-source-range": 1,  # ipallowlist
    "app-root": 1,  # rewrite
    "auth-cache-duration": 1,  # authreq
    "auth-cache-key": 1,  # authreq
    "auth-proxy-set-headers": 1,  # authreq
    "auth-realm": 1,  # auth
    "auth-request-redirect": 1,  # authreq
    "auth-response-headers": 1,  # authreq
    "auth-signin": 2,  # authreq
    "auth-signin-redirect-param": 1,  # authreq
    "auth-snippet": 3,  # authreq
    "auth-tls-error-page": 2,  # authtls
    "auth-tls-match-cn": 2,  # authtls
    "auth-tls-secret": 1,  # authtls
    "auth-tls-verify-client": 1,  # authtls
    "auth-url": 2,  # authreq
    "canary-by-cookie": 1,  # canary
    "canary-by-header": 1,  # canary
    "canary-by-header-pattern": 1,  # canary
    "canary-by-header-value": 1,  # canary
    "configuration-snippet": 3,  # snippet
    "cors-allow-headers": 1,  # cors
    "cors-allow-methods": 1,  # cors
    "cors-allow-origin": 1,  # cors
    "cors-expose-headers": 1,  # cors
    "custom-headers": 1,  # customheaders
    "denylist-source-range": 1,  # ipdenylist
    "fastcgi-index": 1,  # fastcgi
    "fastcgi-params-configmap": 1,  # fastcgi
    "force-ssl-redirect": 1,  # rewrite
    "mirror-host": 2,  # mirror
    "mirror-target": 2,  # mirror
    "modsecurity-snippet": 3,  # modsecurity
    "modsecurity-transaction-id": 2,  # modsecurity
    "opentelemetry-operation-name": 1,  # opentelemetry
    "preserve-trailing-slash": 1,  # rewrite
    "proxy-body-size": 1,  # proxy
    "proxy-cookie-domain": 1,  # proxy
    "proxy-cookie-path": 1,  # proxy
    "proxy-next-upstream": 1,  # proxy
    "proxy-redirect-from": 1,  # proxy
    "proxy-redirect-to": 1,  # proxy
    "proxy-ssl-ciphers": 1,  # proxyssl
    "proxy-ssl-name": 2,  # proxyssl
    "proxy-ssl-secret": 1,  # proxyssl
    "rewrite-target": 1,  # rewrite
    "server-alias": 2,  # alias
    "server-snippet": 3,  # serversnippet
    "session-cookie-domain": 1,  # sessionaffinity
    "session-cookie-expires": 1,  # sessionaffinity
    "session-cookie-max-age": 1,  # sessionaffinity
    "session-cookie-name": 1,  # sessionaffinity
    "session-cookie-path": 1,  # sessionaffinity
    "stream-snippet": 3,  # streamsnippet
    "upstream-hash-by": 2,  # upstreamhashby
    "whitelist-source-range": 1,  # ipallowlist
    "x-forwarded-prefix": 1,  # xforwardedprefix
}

# The Low ones, named so that every annotation the controller reads is known here (a key that is
# none of these is ignored, or a misspelling): docs/user-guide/nginx-configuration/annotations.md at
# v1.15.1, less the annotations above.
LOW_RISK: tuple[str, ...] = (
    "affinity",
    "affinity-canary-behavior",
    "affinity-mode",
    "auth-always-set-cookie",
    "auth-keepalive",
    "auth-keepalive-requests",
    "auth-keepalive-share-vars",
    "auth-keepalive-timeout",
    "auth-method",
    "auth-secret",
    "auth-secret-type",
    "auth-tls-pass-certificate-to-upstream",
    "auth-tls-verify-depth",
    "auth-type",
    "backend-protocol",
    "canary",
    "canary-weight",
    "canary-weight-total",
    "client-body-buffer-size",
    "connection-proxy-header",
    "cors-allow-credentials",
    "cors-max-age",
    "custom-http-errors",
    "default-backend",
    "enable-access-log",
    "enable-cors",
    "enable-global-auth",
    "enable-modsecurity",
    "enable-opentelemetry",
    "enable-owasp-core-rules",
    "enable-rewrite-log",
    "from-to-www-redirect",
    "http2-push-preload",
    "limit-burst-multiplier",
    "limit-connections",
    "limit-rate",
    "limit-rate-after",
    "limit-rpm",
    "limit-rps",
    "limit-whitelist",
    "load-balance",
    "mirror-request-body",
    "opentelemetry-trust-incoming-span",
    "permanent-redirect",
    "permanent-redirect-code",
    "proxy-buffer-size",
    "proxy-buffering",
    "proxy-buffers-number",
    "proxy-busy-buffers-size",
    "proxy-connect-timeout",
    "proxy-http-version",
    "proxy-max-temp-file-size",
    "proxy-next-upstream-timeout",
    "proxy-next-upstream-tries",
    "proxy-read-timeout",
    "proxy-request-buffering",
    "proxy-send-timeout",
    "proxy-ssl-protocols",
    "proxy-ssl-server-name",
    "proxy-ssl-verify",
    "proxy-ssl-verify-depth",
    "satisfy",
    "service-upstream",
    "session-cookie-change-on-failure",
    "session-cookie-conditional-samesite-none",
    "session-cookie-samesite",
    "session-cookie-secure",
    "ssl-ciphers",
    "ssl-passthrough",
    "ssl-prefer-server-ciphers",
    "ssl-redirect",
    "temporal-redirect",
    "temporal-redirect-code",
    "upstream-hash-by-subset",
    "upstream-hash-by-subset-size",
    "upstream-vhost",
    "use-regex",
)
KNOWN_ANNOTATIONS = frozenset(ANNOTATION_RISK) | frozenset(LOW_RISK)
