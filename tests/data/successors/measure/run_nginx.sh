#!/usr/bin/env bash
# Measure nginx (Debian's) with the directives F5 NGINX Ingress Controller and
# NGINX Gateway Fabric render for client validation:
#   F5 (nginx.virtualserver.tmpl, IngressMTLS): ssl_client_certificate; ssl_verify_client on; ssl_verify_depth 1;
#   F5 invalid policy (policy.go ErrorReturn): return 500; and no ssl_verify_client
#   NGF (servers_template.go): ssl_verify_client on; ssl_verify_depth 4; error_page 495 496 = @frontend_tls_verify_failed; -> return 444;
# Usage: run_nginx.sh [WORKDIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-/tmp/mtls-measure-nginx}
NGINX=${NGINX:-nginx}
P1=${P1:-18446}; P2=${P2:-18447}; P3=${P3:-18448}
mkdir -p "$work/logs" "$work/tmp"; rm -f "$work"/logs/*
[ -f "$work/pki/ca.crt" ] || "$here/make_pki.sh" "$work/pki" >/dev/null
cat > "$work/nginx.conf" <<CONF
daemon off;
pid $work/nginx.pid;
error_log $work/logs/error.log info;
events {}
http {
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  log_format m '\$remote_addr "\$request" \$status ssl_client_verify=\$ssl_client_verify s_dn="\$ssl_client_s_dn" proto=\$ssl_protocol';
  access_log $work/logs/access.log m;
  ssl_protocols TLSv1.2 TLSv1.3;  # nginx 1.22's default lacks TLSv1.3 (added to the default in 1.23.4)
  server { # F5 NGINX Ingress Controller, valid ingressMTLS policy
    listen 127.0.0.1:$P1 ssl; server_name meow.com;
    ssl_certificate $work/pki/server.crt; ssl_certificate_key $work/pki/server.key;
    ssl_client_certificate $work/pki/ca.crt; ssl_verify_client on; ssl_verify_depth 1;
    location / { return 200 "ok verify=\$ssl_client_verify\n"; }
  }
  server { # NGINX Gateway Fabric, AllowValidOnly
    listen 127.0.0.1:$P2 ssl; server_name meow.com;
    ssl_certificate $work/pki/server.crt; ssl_certificate_key $work/pki/server.key;
    ssl_client_certificate $work/pki/ca.crt; ssl_verify_client on; ssl_verify_depth 4;
    error_page 495 496 = @frontend_tls_verify_failed;
    location @frontend_tls_verify_failed { return 444; }
    location / { return 200 "ok verify=\$ssl_client_verify\n"; }
  }
  server { # F5 NGINX Ingress Controller, invalid ingressMTLS policy (server-level return 500)
    listen 127.0.0.1:$P3 ssl; server_name meow.com;
    ssl_certificate $work/pki/server.crt; ssl_certificate_key $work/pki/server.key;
    return 500;
  }
}
CONF
"$NGINX" -v 2>&1
"$NGINX" -c "$work/nginx.conf" -p "$work" & ng=$!
trap 'kill $ng 2>/dev/null; wait $ng 2>/dev/null || true' EXIT
for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/$P3) 2>/dev/null && break; sleep 0.1; done
set +e
for p in "$P1 F5-ingressMTLS(verify on, depth 1)" "$P2 NGF(verify on, depth 4, 495/496->444)" "$P3 F5-invalid-policy(return 500)"; do
  echo "== python ssl probe: ${p#* } (port ${p%% *})"
  python3 "$here/probe.py" --pki "$work/pki" --port "${p%% *}" ${JSON:+--json}
done
kill $ng; wait $ng 2>/dev/null
echo "== nginx access log"; cat "$work/logs/access.log"
echo "== nginx error log (client certificate lines)"
grep -E 'client (sent|SSL)|certificate' "$work/logs/error.log" | sed -E 's/^[0-9\/: ]+//; s/client: 127.0.0.1, server: meow.com, //; s/\*[0-9]+ //' | sort | uniq -c
