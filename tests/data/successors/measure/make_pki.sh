#!/usr/bin/env bash
# Issue the measurement PKI with openssl only (OpenSSL 3.0 is enough).
# Usage: make_pki.sh OUTDIR
#   ca.crt/ca.key          the trusted client CA ("meow CA")
#   other-ca.crt/.key      an unrelated CA (for "wrong CA")
#   server.crt/.key        server certificate for meow.com (SAN), signed by ca
#   client.crt/.key        valid client cert, EKU clientAuth, signed by ca
#   expired.crt/.key       client cert from ca, validity 2020-01-01..2020-01-02
#   wrongca.crt/.key       client cert signed by other-ca
#   noeku.crt/.key         client cert from ca whose EKU is serverAuth only
#   expired-ca.crt/.key    a self-signed CA that expired on 2020-01-01
#   deep.crt/.key          client cert two intermediates below ca (chain leaf+int2+int1 in deep.crt)
#   expired.crl            a CRL of ca, nothing revoked, nextUpdate 2020-01-02 (expired)
set -euo pipefail
out=${1:?usage: make_pki.sh OUTDIR}
mkdir -p "$out"; cd "$out"
subj() { echo "/O=mtls-tui measure/CN=$1"; }
ca() { # name CN
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.crt" -days 3650 \
    -subj "$(subj "$2")" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
ca ca "meow CA"
ca other-ca "other CA"
# openssl ca gives -startdate/-enddate (x509 -req cannot back-date on 3.0)
mkdir -p db && : > db/index.txt && echo 1000 > db/serial
cat > ca.cnf <<CNF
[ ca ]
default_ca = CA_default
[ CA_default ]
database = db/index.txt
serial = db/serial
new_certs_dir = db
default_md = sha256
policy = pol
unique_subject = no
copy_extensions = none
[ pol ]
organizationName = optional
commonName = supplied
[ server ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:meow.com
[ client ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
subjectAltName = DNS:client.meow.com
[ noeku ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:client.meow.com
CNF
leaf() { # name issuer ext CN [start end]
  openssl req -new -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$(subj "$4")" 2>/dev/null
  local dates=(-days 825)
  [ $# -ge 6 ] && dates=(-startdate "$5" -enddate "$6")
  openssl ca -batch -config ca.cnf -cert "$2.crt" -keyfile "$2.key" -extensions "$3" \
    "${dates[@]}" -in "$1.csr" -out "$1.crt" -notext 2>/dev/null
  rm -f "$1.csr"
}
leaf server ca server meow.com
leaf client ca client client
leaf expired ca client expired-client 20200101000000Z 20200102000000Z
leaf wrongca other-ca client wrongca-client
leaf noeku ca noeku noeku-client
# a client two intermediates below ca (depth 2): deep.crt holds leaf + int2 + int1, as a client sends it
cat >> ca.cnf <<CNF
[ v3int ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
CNF
openssl req -new -newkey rsa:2048 -nodes -keyout int1.key -out int1.csr -subj "$(subj "meow intermediate 1")" 2>/dev/null
openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -extensions v3int -days 825 -in int1.csr -out int1.crt -notext 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout int2.key -out int2.csr -subj "$(subj "meow intermediate 2")" 2>/dev/null
openssl ca -batch -config ca.cnf -cert int1.crt -keyfile int1.key -extensions v3int -days 825 -in int2.csr -out int2.crt -notext 2>/dev/null
leaf deep-leaf int2 client deep-client
cat deep-leaf.crt int2.crt int1.crt > deep.crt; cp deep-leaf.key deep.key
rm -f int1.csr int2.csr int1.key int2.key deep-leaf.key
# an expired self-signed CA (Envoy Gateway drops expired CAs from a bundle: tls.go filterValidCACertificates)
openssl req -new -newkey rsa:2048 -nodes -keyout expired-ca.key -out expired-ca.csr -subj "$(subj "expired CA")" 2>/dev/null
cat >> ca.cnf <<CNF
[ v3ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
CNF
openssl ca -batch -selfsign -config ca.cnf -keyfile expired-ca.key -extensions v3ca \
  -startdate 20190101000000Z -enddate 20200101000000Z -in expired-ca.csr -out expired-ca.crt -notext 2>/dev/null
rm -f expired-ca.csr
# an expired CRL of ca (Envoy Gateway refuses it: tls.go validateCrl "CRL is expired")
openssl ca -gencrl -config ca.cnf -cert ca.crt -keyfile ca.key \
  -crl_lastupdate 20200101000000Z -crl_nextupdate 20200102000000Z -out expired.crl 2>/dev/null
for c in client expired wrongca noeku server expired-ca; do
  printf '%-8s ' "$c"; openssl x509 -in "$c.crt" -noout -subject -issuer -enddate | tr '\n' ' '; echo
done
