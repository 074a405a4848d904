"""What a probe's answers mean: results in, findings out.

nginx does not abort the handshake for a missing or bad client certificate; it
answers after it (400 or a 302 to the error page), so the HTTP answer is the
evidence. Envoy and Go refuse it with a TLS alert instead (diagnose/alerts.py), in
the handshake (TLS 1.2) or on the first read after it (TLS 1.3). The difference between
the attempt without and the attempt with the client certificate is the diagnosis.
"""

from __future__ import annotations

import ipaddress

from mtls_tui.diagnose.alerts import Alert, alert, alert_from_reason, tls_version_label
from mtls_tui.diagnose.reproduce import curl_by_name
from mtls_tui.model import Finding, MtlsPolicy, ProbeFailure, ProbeResult, Severity, unique_findings
from mtls_tui.policy.ingress_nginx.cert_answers import refused_answer
from mtls_tui.policy.nginx_answers import CERT_ERROR, CN_REFUSED, NO_CERT, PLAIN_HTTP
from mtls_tui.shell import arg, join


def _evidence(result: ProbeResult) -> tuple[str, ...]:
    lines = [
        f"{result.label}: {_answer(result)}",
        f"sent to {result.connect_to}, SNI {result.sni or '(none)'}, Host {result.host_header}",
    ]
    if result.server_cert:
        lines.append(f"server certificate: {result.server_cert.subject}")
    verify = result.echoed("ssl-client-verify")
    if verify:
        lines.append(f"upstream saw ssl-client-verify: {verify}")
    if result.cert_requested:
        lines.append(
            "the server asked for a client certificate from: "
            + ("; ".join(result.acceptable_cas) or "any CA (no names sent)")
        )
    elif result.cert_requested is False:
        lines.append("the server asked for no client certificate in the handshake")
    return tuple(lines)


def _answer(result: ProbeResult) -> str:
    if result.failure:
        return f"no HTTP answer ({result.failure.message})"
    location = result.header("location")
    snippet = _body_line(result)
    return f"HTTP {result.status}" + (f" → {location}" if location else "") + (f' "{snippet}"' if snippet else "")


def _body_line(result: ProbeResult) -> str:
    for marker in (NO_CERT, CERT_ERROR, CN_REFUSED, PLAIN_HTTP):
        if marker in result.body:
            return marker
    return ""


def _finding(
    *,
    code: str,
    severity: Severity,
    title: str,
    detail: str,
    fix: str,
    result: ProbeResult,
    evidence: tuple[str, ...] = (),
) -> Finding:
    """A finding about one probe attempt: its URL is the subject, what it saw the evidence, its curl the way to see it again."""
    return Finding(
        code=code,
        severity=severity,
        title=title,
        detail=detail,
        fix=fix,
        subject=result.url,
        evidence=_evidence(result) + evidence + (f"{REPRODUCE}{result.curl}",),
    )


REPRODUCE = "reproduce: "  # the evidence line holding the curl that sees it again: a view may lay it out as a command

_WHEN = {
    "handshake": "in the TLS handshake",
    "first read": "on the first read after the TLS handshake, before the request was sent (TLS 1.3: the server "
    "judges the client certificate after the client's handshake is done)",
    "after the request": "after the request was sent, without an HTTP answer",
}
_SHORT_WHEN = {
    "handshake": "in the handshake",
    "first read": "on the first read after the handshake",
    "after the request": "after the request",
}
_NO_CERT_ALERTS = (40, 116)  # handshake_failure (TLS 1.2), certificate_required (TLS 1.3): none sent, one required


def _failure_alert(failure: ProbeFailure) -> Alert:
    if failure.alert_number is not None:
        return alert(failure.alert_number)
    return alert_from_reason(f"SSL_ALERT_{(failure.alert or 'unknown').upper()}") or alert(-1)


def _alert_fix(found: Alert, result: ProbeResult) -> str:
    cert = result.cert_file or "client.crt"
    if not result.sent_client_cert and found.number in _NO_CERT_ALERTS:
        return result.curl.replace("curl -v", "curl -v --cert client.crt --key client.key", 1)
    fixes = {
        42: f"openssl x509 -noout -ext extendedKeyUsage -in {arg(cert)}  # Go needs 'TLS Web Client Authentication' "
        "(clientAuth); then: openssl verify -CAfile ca.crt -purpose sslclient " + arg(cert),
        43: f"openssl x509 -noout -ext extendedKeyUsage -in {arg(cert)}  # must list 'TLS Web Client Authentication' (clientAuth)",
        44: f'openssl crl -in ca.crl -noout -text | grep -A1 "$(openssl x509 -noout -serial -in {arg(cert)} | cut -d= -f2)"',
        45: f"openssl x509 -noout -dates -in {arg(cert)}  # and of every certificate of the chain it sends",
        46: f"openssl x509 -noout -ext subjectAltName -in {arg(cert)}  # compare with the policy's subjectAltNames matchers",
        48: f"openssl verify -CAfile ca.crt -untrusted {arg(cert)} {arg(cert)}  # ca.crt: the CA the server's policy names",
        114: f"openssl x509 -in {arg(cert)} -outform DER | openssl dgst -sha256  # compare with the policy's certificateHashes / spkiHashes",
    }
    return fixes.get(found.number, result.openssl)


def _alert_finding(result: ProbeResult, failure: ProbeFailure, other_attempt: bool) -> Finding:
    found = _failure_alert(failure)
    when = failure.when or "handshake"
    version = tls_version_label(result.tls_version)
    enforced = not result.sent_client_cert and found.number in _NO_CERT_ALERTS
    severity = (Severity.INFO if other_attempt else Severity.WARNING) if enforced else Severity.ERROR
    who = "with" if result.sent_client_cert else "without"
    detail = f"{found.label}: {found.meaning}."
    if enforced:
        detail += " The server requires a client certificate, as mTLS should." + (
            ""
            if other_attempt
            else " No client certificate was given, so mTLS itself is untested: probe again with --cert and --key."
        )
    elif result.sent_client_cert and found.about_client_cert:
        detail += " Envoy (Envoy Gateway, Istio) and Go (Traefik) refuse a client certificate with an alert, not an HTTP status."
    if when == "first read":
        detail += (
            " It came on the probe's first read after the handshake, which the probe does before it writes: "
            "a client that writes at once may see only a closed connection."
        )
    evidence: tuple[str, ...] = (
        f"alert: {found.number if found.number >= 0 else '?'} {found.name}",
        f"TLS version: {version}",
        f"when: {_WHEN[when]}",
    )
    if result.first_read:
        evidence += (f"first read: {result.first_read}",)
    return _finding(
        code="probe-tls-alert",
        severity=severity,
        title=f"{who} a client certificate the server sent TLS {found.label} ({version}, {_SHORT_WHEN[when]})",
        detail=detail,
        fix=_alert_fix(found, result),
        result=result,
        evidence=evidence,
    )


def _closed_finding(result: ProbeResult, failure: ProbeFailure, other_attempt: bool) -> Finding:
    when = failure.when or "after the request"
    version = tls_version_label(result.tls_version)
    without = not result.sent_client_cert
    severity = (Severity.INFO if other_attempt else Severity.WARNING) if without else Severity.ERROR
    detail = (
        "The TLS handshake completed, then the server closed the connection with no TLS alert and no HTTP answer. "
        "NGINX Gateway Fabric does that for a missing or refused client certificate (error_page 495 496 → "
        "return 444); so does a listener that was not built. "
    )
    if without and other_attempt:
        detail += "The attempt with the client certificate shows whether it gets in."
    return _finding(
        code="probe-connection-closed",
        severity=severity,
        title=f"{'without' if without else 'with'} a client certificate the server closed the connection "
        f"({version}, {_SHORT_WHEN[when]}), no alert, no answer",
        detail=detail,
        fix=result.openssl,
        result=result,
        evidence=(f"TLS version: {version}", f"when: {_WHEN[when]}")
        + ((f"first read: {result.first_read}",) if result.first_read else ()),
    )


def failure_findings(result: ProbeResult, other_attempt: bool = False) -> list[Finding]:
    """`other_attempt`: the probe also ran the other attempt (with the certificate, for the one without)."""
    failure = result.failure
    if failure is None:
        return []
    if failure.kind == "tls-alert":
        return [_alert_finding(result, failure, other_attempt)]
    if failure.kind == "closed" and failure.when in ("first read", "after the request"):
        return [_closed_finding(result, failure, other_attempt)]
    if failure.kind in ("dns", "refused", "timeout", "unreachable"):
        fixes = {
            "dns": f"getent hosts {arg(result.host_header.split(':')[0])}  # or probe with --resolve HOST:PORT:ADDRESS",
            "refused": "kubectl get svc -A | grep -i ingress  # is the controller's Service exposed on the probed address?",
            "timeout": f"nc -vz {join(*result.connect_to.strip('[]').rsplit(':', 1))}  # a firewall or a wrong address drops the packets",
            "unreachable": "ip route get " + arg(result.connect_to.rsplit(":", 1)[0].strip("[]")),
        }
        return [
            _finding(
                code="probe-connect-failed",
                severity=Severity.ERROR,
                title=f"cannot reach {result.connect_to}: {failure.kind}",
                detail=failure.message,
                fix=fixes[failure.kind],
                result=result,
            )
        ]
    if failure.kind.startswith("server-cert-"):
        return [
            _finding(
                code=failure.kind,
                severity=Severity.ERROR,
                title=f"the server certificate was refused: {failure.message}",
                detail=failure.message,
                fix=f"openssl s_client -connect {arg(result.connect_to)} -servername "
                f"{arg(result.host_header.split(':')[0])} -showcerts </dev/null"
                "  # compare the chain's issuer with the CA given to --cacert",
                result=result,
            )
        ]
    fix = result.openssl
    if failure.kind == "not-tls":
        fix = f"curl -v {arg('http://' + result.connect_to + '/')}  # this port speaks plain HTTP: use the controller's HTTPS port"
    if failure.alert == "certificate_required":
        fix = result.curl.replace("curl -v", "curl -v --cert client.crt --key client.key", 1)  # asked in the handshake
    return [
        _finding(
            code="probe-handshake-failed",
            severity=Severity.ERROR,
            title=f"TLS handshake with {result.connect_to} failed: {failure.kind}",
            detail=failure.message,
            fix=fix,
            result=result,
        )
    ]


def server_findings(result: ProbeResult, host: str) -> list[Finding]:
    findings: list[Finding] = []
    if result.fake_certificate and result.sni is None and not _is_address(host):
        findings.append(_no_sni(result))  # the default server answered the handshake: the cause is the missing name
    elif result.fake_certificate and result.sni and result.sni.lower() != host.lower():
        findings.append(
            _finding(
                code="probe-fake-certificate",
                severity=Severity.ERROR,
                title=f"the TLS name {result.sni} got the controller's fake certificate",
                detail=f"The probe sent SNI {result.sni}, not {host}: no Ingress serves that name with a certificate, so the "
                f"controller answered with its fake one. It says nothing about the certificate of {host}.",
                fix=curl_by_name(result.curl, host, result.connect_to),
                result=result,
            )
        )
    elif result.fake_certificate:
        findings.append(
            _finding(
                code="probe-fake-certificate",
                severity=Severity.ERROR,
                title=f"{host} is served with the controller's fake certificate",
                detail="The controller found no usable certificate for this name: the Ingress has no tls: entry for "
                "the host, its tls Secret is missing or broken, or the SNI name matches no Ingress.",
                fix=f"kubectl get ingress -A -o wide | grep -F {arg(host)}  # add a tls: entry for the host, with a secretName",
                result=result,
            )
        )
    if result.server_verify_error:
        code = result.server_verify_kind or "server-cert-untrusted"
        findings.append(
            _finding(
                code=code,
                severity=Severity.ERROR,
                title=f"curl would refuse the server: {result.server_verify_error}",
                detail="We continued without verification (like -k) to see what the server answers.",
                fix=f"openssl s_client -connect {arg(result.connect_to)} -servername {arg(host)} -showcerts </dev/null  # see the chain the server sends",
                result=result,
            )
        )
    return findings


def _misdirected(result: ProbeResult) -> Finding:
    sni = result.sni or "(no SNI: the URL is an IP address)"
    if result.status == 404:
        why = (
            f"The handshake went to the server for SNI {sni}, but nginx picks the server for the request by "
            f"the Host header, {result.host_header}, which names no server: the default server answered "
            "(404 from the default backend) and the host behind the TLS name was never reached."
        )
    else:
        why = (
            f"The handshake went to the server for SNI {sni}, which asks for no client certificate, while the "
            f"Host header selects the mTLS host; nginx 1.22 answers 400 '{NO_CERT}', "
            "newer nginx 421 Misdirected Request."
        )
    return _finding(
        code="probe-misdirected",
        severity=Severity.ERROR,
        title=f"the TLS name {sni} and the Host header {result.host_header} select different server blocks",
        detail=why,
        fix=curl_by_name(result.curl, result.host_header, result.connect_to),
        result=result,
    )


def answer_findings(
    without: ProbeResult | None, with_cert: ProbeResult | None, policy: MtlsPolicy | None, ingress: str = "INGRESS"
) -> list[Finding]:
    findings: list[Finding] = []
    if without and not without.failure:
        findings += _without_cert_findings(without, with_cert, policy, ingress)
    if with_cert and not with_cert.failure:
        findings += _with_cert_findings(with_cert, policy, ingress)
    return findings


def _sni_differs(result: ProbeResult) -> bool:
    return bool(result.sni and result.sni.lower() != result.host_header.split(":")[0].lower())


def _misdirected_answer(result: ProbeResult) -> bool:
    """421; or SNI and Host apart and an answer from another server: the no-certificate 400 of
    an mTLS server the handshake did not ask for, or the default server's 404."""
    return result.status == 421 or (_sni_differs(result) and (NO_CERT in result.body or result.status == 404))


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _no_sni(result: ProbeResult) -> Finding:
    host = result.host_header.split(":")[0]
    return _finding(
        code="probe-no-sni",
        severity=Severity.ERROR,
        title="the client sent no TLS server name (SNI): nginx never asked for the certificate",
        detail="Without SNI nginx finishes the handshake in its default server, which asks for no client certificate; "
        f"the Host header then picks {host}'s server, whose ssl_verify_client finds none and answers 400 '{NO_CERT}' "
        "(newer nginx: 421). The certificate is fine; the client must name the host in the "
        "handshake (connect by name, not by address, or set the TLS server name).",
        fix=curl_by_name(result.curl, result.host_header, result.connect_to),
        result=result,
    )


def _cert_not_forwarded(result: ProbeResult, plain_http: bool = False) -> Finding:
    asked = {
        True: "it asked for a client certificate",
        False: "it never asked for a client certificate",
        None: "whether it asked is unknown",
    }[result.cert_requested]
    said = (
        f"'{PLAIN_HTTP}': something in front decrypted our request and "
        "forwarded it as plain HTTP to the controller's HTTPS port"
        if plain_http
        else f"'{NO_CERT}'"
    )
    return _finding(
        code="probe-cert-not-forwarded",
        severity=Severity.ERROR,
        title="the client certificate was sent, but nginx says none arrived: TLS ends before ingress-nginx",
        detail=f"SNI and Host agree, yet nginx answered {said}. The server that finished our "
        f"handshake is not the one that judged the request ({asked}): a load balancer or proxy in front of the "
        "controller terminates TLS and opens its own connection without the client's certificate. Pass TCP through "
        "to the controller (no TLS listener or certificate on the load balancer), or terminate mTLS at the load "
        "balancer instead.",
        fix="kubectl get svc -A -o wide | grep -i ingress  # the Service (and its load balancer) must pass TCP 443 through, not terminate TLS",
        result=result,
    )


def _denied_answer(result: ProbeResult) -> bool:
    """nginx's own 403 page, not match-CN's text: the server-level `return 403;` that
    nginx.tmpl renders for a host whose auth-tls annotations failed (AuthTLSError)."""
    return result.status == 403 and CN_REFUSED not in result.body


def _denied(result: ProbeResult) -> Finding:
    return _finding(
        code="probe-location-denied",
        severity=Severity.ERROR,
        title="nginx answers 403 for every request to this host",
        detail="ingress-nginx renders `return 403;` at server level when an Ingress for the host has auth-tls "
        "annotations it cannot use (annotations.go Extract sets AuthTLSError; nginx.tmpl): a malformed or "
        "cross-namespace auth-tls-secret, a Secret that is missing or that the controller refuses. Every path "
        "answers 403, with or without a client certificate, other Ingresses' paths on the host included.",
        fix="kubectl get ingress -A -o yaml | grep -n auth-tls  # and the controller's log: error reading Ingress annotation",
        result=result,
    )


def _without_cert_findings(
    without: ProbeResult, with_cert: ProbeResult | None, policy: MtlsPolicy | None, ingress: str
) -> list[Finding]:
    if _denied_answer(without):
        return [_denied(without)]
    if without.status == 400 and PLAIN_HTTP in without.body:
        return [_cert_not_forwarded(without, plain_http=True)]
    if _misdirected_answer(without):  # the fix is the curl with the certificate, when there is one
        return [_misdirected(with_cert if with_cert and not with_cert.failure else without)]
    if without.status == 400 and NO_CERT in without.body:
        fix = "" if with_cert else without.curl.replace("curl -v", "curl -v --cert client.crt --key client.key", 1)
        return [
            _finding(
                code="probe-no-client-cert",
                severity=Severity.INFO if with_cert else Severity.WARNING,
                title=f"without a client certificate nginx answers 400 '{NO_CERT}'",
                detail="The host requires a client certificate (auth-tls-verify-client on), as configured."
                + (
                    ""
                    if with_cert
                    else " No client certificate was given, so mTLS itself is untested: probe again with --cert and --key."
                ),
                fix=fix,
                result=without,
            )
        ]
    redirect = without.status in (301, 302, 303, 307, 308)
    if redirect and (with_cert is None or with_cert.status != without.status):
        return [
            _finding(
                code="probe-no-client-cert",
                severity=Severity.INFO,
                title=f"without a client certificate nginx redirects to {without.header('location')}",
                detail="That is the auth-tls-error-page: nginx sends clients without a valid certificate there.",
                fix="",
                result=without,
            )
        ]
    unverified = without.echoed("ssl-client-verify") in (None, "NONE")
    if without.status is not None and without.status < 400 and not redirect and unverified:
        if policy is not None and policy.mtls and policy.verify_client != "on":
            return [
                _finding(
                    code="probe-mtls-not-enforced",
                    severity=Severity.WARNING,
                    title=f"a request without a client certificate got HTTP {without.status}: verify-client is {policy.verify_client}",
                    detail=f"auth-tls-verify-client {policy.verify_client} lets clients without a certificate through; only "
                    "'on' makes nginx require one.",
                    fix=f"kubectl annotate ingress {ingress} nginx.ingress.kubernetes.io/auth-tls-verify-client=on --overwrite",
                    result=without,
                )
            ]
        if policy is not None and not policy.mtls:
            return []  # TLS only: nothing was asked of the client
        if policy is not None and (policy.error_page or "").startswith("/"):
            return [  # cert_answers.refused_answer: the page's path answers a refused request, unchecked
                _finding(
                    code="probe-mtls-not-enforced",
                    severity=Severity.ERROR,
                    title=f"a request without a client certificate got HTTP {without.status}: "
                    f"{refused_answer(policy.error_page, '400')}",
                    detail=f"auth-tls-error-page {policy.error_page} is a path: nginx passes a request its client "
                    "check refuses to that path on this server (an internal redirect, not a 302), and whatever "
                    "serves the path answers it.",
                    fix="",
                    result=without,
                )
            ]
        if policy is not None:  # the annotations ask for certificates: the Secret or the Ingress order let it down
            namespace, _, name = (policy.secret or "/").partition("/")
            return [
                _finding(
                    code="probe-mtls-not-enforced",
                    severity=Severity.ERROR,
                    title=f"a request without a client certificate got HTTP {without.status}",
                    detail="The annotations ask for client certificates (auth-tls-verify-client on), yet nginx did not: a Secret "
                    "without ca.crt makes the controller turn mTLS off quietly, and only the first Ingress for a host sets it.",
                    fix=f"kubectl get secret {arg(name)} -n {arg(namespace)} -o jsonpath='{{.data}}' | grep -c ca.crt  # 0: add ca.crt to the Secret",
                    result=without,
                )
            ]
        return [
            _finding(
                code="probe-mtls-not-enforced",
                severity=Severity.WARNING,
                title=f"a request without a client certificate got HTTP {without.status}",
                detail="The server did not insist on a client certificate: mTLS is off or optional here, or the Ingress "
                "carrying the auth-tls annotations does not serve this host.",
                fix='kubectl get ingress -A -o yaml | grep -n auth-tls  # auth-tls-verify-client must be "on"',
                result=without,
            )
        ]
    return []


def _inspect_command(result: ProbeResult, policy: MtlsPolicy | None) -> str:
    depth = policy.verify_depth if policy is not None else 1
    return (
        f"mtls-tui inspect --ca ca.crt --cert {arg(result.cert_file or 'client.crt')} --verify-depth {depth}"
        "  # ca.crt: the Secret's; when the Secret holds a ca.crl too, add --crl ca.crl (its ca.crl)"
    )


def _upstream_failed(result: ProbeResult, ingress: str) -> Finding:
    """502 comes from nginx when the upstream leg fails: after the client's certificate was accepted."""
    namespace = ingress.split(" -n ")[-1] if " -n " in ingress else "NAMESPACE"
    return _finding(
        code="probe-upstream-failed",
        severity=Severity.ERROR,
        title="HTTP 502: the client got through, the connection from nginx to the upstream failed",
        detail="mTLS at the ingress passed; the upstream leg broke. When the application itself speaks HTTPS and asks for "
        "a client certificate, nginx presents none unless the Ingress names one with proxy-ssl-secret, and the "
        "controller's log says 'SSL_do_handshake() failed ... certificate required' (or 'handshake failure') "
        "'while SSL handshaking to upstream'. Otherwise the log names the refused or timed-out upstream.",
        fix=f"kubectl annotate ingress {ingress} nginx.ingress.kubernetes.io/proxy-ssl-secret={namespace}/upstream-client "
        "--overwrite  # upstream-client: a Secret with tls.crt, tls.key (and ca.crt) the upstream trusts",
        result=result,
    )


def _with_cert_findings(result: ProbeResult, policy: MtlsPolicy | None, ingress: str = "INGRESS") -> list[Finding]:
    if _misdirected_answer(result):
        return [_misdirected(result)]
    verify = result.echoed("ssl-client-verify")
    subject = result.echoed("ssl-client-subject-dn")
    issuer = result.echoed("ssl-client-issuer-dn")
    if result.status == 400 and PLAIN_HTTP in result.body:
        return [_cert_not_forwarded(result, plain_http=True)]
    if result.status == 400 and NO_CERT in result.body and result.sni is None:
        return [_no_sni(result)]
    if result.status == 400 and NO_CERT in result.body and result.status != 421:
        return [_cert_not_forwarded(result)]
    if result.status == 421:
        return [_misdirected(result)]
    if _denied_answer(result):
        return [_denied(result)]
    if result.status == 400 and CERT_ERROR in result.body:
        return [
            _finding(
                code="probe-cert-rejected",
                severity=Severity.ERROR,
                title=f"nginx rejected the client certificate: 400 '{CERT_ERROR}'",
                detail="The certificate was sent but did not verify against the CA nginx loaded (the Secret's ca.crt "
                "at its last reload) at the Ingress's verify depth, or its ca.crl revokes it. `mtls-tui inspect` gives OpenSSL's reason; the controller logs "
                "'client SSL certificate verify error: (N:reason)'.",
                fix=_inspect_command(result, policy),
                result=result,
            )
        ]
    if result.status in (301, 302, 303, 307, 308):
        return [
            _finding(
                code="probe-cert-rejected",
                severity=Severity.ERROR,
                title=f"nginx sent the client to the error page {result.header('location')} even with the certificate",
                detail="auth-tls-error-page catches 495/496: the certificate did not verify.",
                fix=_inspect_command(result, policy),
                result=result,
            )
        ]
    if result.status == 403 and CN_REFUSED in result.body:
        return [
            _finding(
                code="probe-cn-rejected",
                severity=Severity.ERROR,
                title="the certificate verified, but auth-tls-match-cn refused its subject: 403",
                detail="nginx matches the whole subject DN ($ssl_client_s_dn) against the annotation's regex.",
                fix="kubectl get ingress -A -o yaml | grep auth-tls-match-cn  # compare with: openssl x509 -noout -subject -nameopt RFC2253 -in client.crt",
                result=result,
            )
        ]
    if verify == "SUCCESS":
        return [
            _finding(
                code="probe-ok",
                severity=Severity.INFO,
                # what this proves: HTTPS checks the certificate (whether plain HTTP or a request
                # without one gets in is other findings' to say, and the headline's)
                title=f"over HTTPS with the client certificate, the upstream saw ssl-client-verify SUCCESS for {subject}",
                detail=f"subject {subject}, issuer {issuer}, HTTP {result.status}.",
                fix="",
                result=result,
            )
        ]
    if verify and verify.startswith("FAILED"):
        return [
            _finding(
                code="probe-cert-unverified",
                severity=Severity.WARNING,
                title=f"nginx passed an unverified certificate on: ssl-client-verify {verify}",
                detail="auth-tls-verify-client optional_no_ca forwards certificates that failed verification; the "
                "upstream must check ssl-client-verify itself.",
                fix="",
                result=result,
            )
        ]
    if result.status is not None and result.status < 400 and verify == "NONE":
        return [
            _finding(
                code="probe-unconfirmed",
                severity=Severity.INFO,
                title=f"HTTP {result.status} with the client certificate, but nginx did not check it: ssl-client-verify NONE",
                detail="nginx asked for no certificate on this connection (auth-tls-verify-client off, or no usable ca.crt), "
                "so the certificate the client holds was never judged.",
                fix="",
                result=result,
            )
        ]
    if result.status is not None and result.status < 400:
        return [
            _finding(
                code="probe-unconfirmed",
                severity=Severity.INFO,
                title=f"HTTP {result.status} with the client certificate; the upstream does not echo ssl-client-verify",
                detail="The request succeeded, but only an echoing upstream shows whether nginx verified the certificate.",
                fix="",
                result=result,
            )
        ]
    if result.status == 502:
        return [_upstream_failed(result, ingress)]
    return [
        _finding(
            code="probe-unexpected-status",
            severity=Severity.WARNING,
            title=f"HTTP {result.status} with the client certificate",
            detail="Not an answer nginx gives for client certificates: it comes from the upstream or another proxy.",
            fix="",
            result=result,
        )
    ]


def probe_findings(
    results: list[ProbeResult], policy: MtlsPolicy | None = None, ingress: str = "INGRESS"
) -> list[Finding]:
    """All findings for one probe (one or two attempts). `ingress`: `NAME -n NAMESPACE` for fixes."""
    without = next((r for r in results if not r.sent_client_cert), None)
    with_cert = next((r for r in results if r.sent_client_cert), None)
    host = results[0].host_header.split(":")[0] if results else ""
    findings: list[Finding] = []
    for result in results:
        findings += failure_findings(result, other_attempt=len(results) > 1)
    answered = next(
        (r for r in reversed(results) if not r.failure), None
    )  # with the certificate first: its curl is the fix
    if answered:
        findings += server_findings(answered, host)
    findings += answer_findings(without, with_cert, policy, ingress)
    return unique_findings(findings)
