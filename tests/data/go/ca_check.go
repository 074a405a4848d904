// What ingress-nginx (controller-v1.15.1) makes of a Secret's ca.crt, on Go's own encoding/pem and
// crypto/x509: internal/net/ssl/ssl.go CheckCACert (reached from store/backend_ssl.go
// getPemCertificate, directly or through CreateCACert) calls pem.Decode until it finds no block,
// x509.ParseCertificate on each block's bytes whatever its type, and fails when no certificate was
// found. This program makes the same calls (written here, not copied): tests/test_secret_encodings.py
// feeds it ca.crt values on stdin (a JSON list of base64 strings) and holds
// mtls_tui/policy/secret_store.py ca_refusal to what it prints (a JSON list, in order).
package main

import (
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"crypto/x509"
	"os"
)

type outcome struct {
	Error  string   `json:"error"`  // CheckCACert's error, "" when it accepts the value
	Blocks []string `json:"blocks"` // the type of every block pem.Decode found, in order
	Certs  int      `json:"certs"`  // the certificates CheckCACert returns
}

func check(ca []byte) outcome {
	out := outcome{Blocks: []string{}}
	rest := ca
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		out.Blocks = append(out.Blocks, block.Type)
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			out.Error = err.Error()
			out.Certs = 0
			return out
		}
		out.Certs++
	}
	if out.Certs == 0 {
		out.Error = "error decoding CA certificate/s"
	}
	return out
}

func main() {
	var values []string
	if err := json.NewDecoder(os.Stdin).Decode(&values); err != nil {
		panic(err)
	}
	results := []outcome{}
	for _, v := range values {
		ca, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			panic(err)
		}
		results = append(results, check(ca))
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		panic(err)
	}
}
