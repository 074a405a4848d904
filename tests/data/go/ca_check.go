// What ingress-nginx (controller-v1.15.1) makes of a Secret's ca.crt, on Go's own encoding/pem and
// crypto/x509: internal/net/ssl/ssl.go CheckCACert (reached from store/backend_ssl.go
// getPemCertificate, directly or through CreateCACert) calls pem.Decode until it finds no block,
// x509.ParseCertificate on each block's bytes whatever its type, and fails when no certificate was
// found. And a Secret's tls.crt and tls.key: internal/net/ssl/ssl.go CreateSSLCert takes the first
// block pem.Decode finds in cert + "\n" + key, which must be a CERTIFICATE that x509.ParseCertificate
// takes, then calls crypto/tls X509KeyPair(cert, key), as NGINX Gateway Fabric's ValidateTLS and F5
// NGINX Ingress Controller's ValidateTLSSecret do alone. This program makes the same calls (written
// here, not copied): tests/test_secret_encodings.py feeds it values on stdin (a JSON list: a base64
// string for a ca.crt, a list of two base64 strings for a tls.crt and its tls.key) and holds
// mtls_tui/policy/secret_store.py ca_refusal and keypair_refusal, and certs/go_x509.py
// x509_keypair_refusal, to what it prints (a JSON list, in order). An object {"ngf": base64} or
// {"f5": base64} is a ca.crt as NGINX Gateway Fabric v2.6.7 (internal/controller/state/graph/shared/
// secrets/secrets.go ValidateCA) or F5 NGINX Ingress Controller v5.5.4 (internal/k8s/secrets/
// validation.go ValidateCASecret, past its type and key checks) reads it: the first block only.
// {"pool": base64} is a CA as Traefik v3.7.9 loads it (pkg/tls/tlsmanager.go buildTLSConfig: one
// x509.CertPool, AppendCertsFromPEM on each CA value, "invalid certificate(s) content" when it adds
// none); {"eg": base64} as Envoy Gateway v1.9.0 filters it (internal/gatewayapi/tls.go
// filterValidCACertificates: every block pem.Decode finds, x509.ParseCertificates on its bytes
// whatever its type, each certificate valid now, the blocks kept written again by
// pem.EncodeToMemory), printing what Envoy would get; {"eg-first": base64} as v1.0.0-v1.6.7
// validateCertificates reads it (the first block only); {"eg-crt": base64, "eg-key": base64} a listener's
// Secret as v1.9.0 parseCertsFromTLSSecretsData checks it (egServing). Only Go's error strings and certificates
// are printed, never a key's bytes (a key block fails ParseCertificates and is never kept).
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"
)

type outcome struct {
	Error  string   `json:"error"`  // CheckCACert's error, "" when it accepts the value
	Blocks []string `json:"blocks"` // the type of every block pem.Decode found, in order
	Certs  int      `json:"certs"`  // the certificates CheckCACert returns
	// for a tls.crt and tls.key: X509KeyPair's error alone ("" when it accepts them); Error is then
	// CreateSSLCert's, with its own wrapping
	KeyPair string `json:"keypair,omitempty"`
	// for Envoy Gateway's filter: the bytes it keeps for Envoy (base64)
	Kept string `json:"kept,omitempty"`
}

// traefikPool: buildTLSConfig's pool for one CA value.
func traefikPool(ca []byte) outcome {
	out := outcome{Blocks: []string{}}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		out.Error = "invalid certificate(s) content"
	}
	out.Certs = len(pool.Subjects()) //nolint:staticcheck // the count of what was added, for the test
	return out
}

// egCertBlock: validateCertBlock's checks on one block's bytes.
func egCertBlock(der []byte) error {
	certs, err := x509.ParseCertificates(der)
	if err != nil {
		return err
	}
	now := time.Now()
	for _, cert := range certs {
		if now.After(cert.NotAfter) {
			return fmt.Errorf("certificate %s has expired since %v", cert.Subject.CommonName, cert.NotAfter)
		}
		if now.Before(cert.NotBefore) {
			return fmt.Errorf("certificate %s will be valid after %v", cert.Subject.CommonName, cert.NotBefore)
		}
	}
	return nil
}

// egFilter: what filterValidCACertificates keeps, and its error when it keeps nothing.
func egFilter(data []byte) outcome {
	out := outcome{Blocks: []string{}}
	var kept []byte
	var errs []error
	for rest := data; len(rest) > 0; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		out.Blocks = append(out.Blocks, block.Type)
		if err := egCertBlock(block.Bytes); err != nil {
			errs = append(errs, err)
			continue
		}
		out.Certs++
		kept = append(kept, pem.EncodeToMemory(block)...)
	}
	switch {
	case len(kept) > 0:
		out.Kept = base64.StdEncoding.EncodeToString(kept)
	case len(errs) > 0:
		out.Error = errors.Join(errs...).Error()
	default:
		out.Error = "unable to decode pem data for certificate"
	}
	return out
}

// egServing: what Envoy Gateway v1.9.0 internal/gatewayapi/tls.go parseCertsFromTLSSecretsData says of one
// Secret's tls.crt and tls.key (its words after "NS/NAME "; "" when it keeps the Secret): every block of the
// chain must hold certificates valid now, the chain written again block by block, its first block one
// certificate; the key the first block typed PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY (else the
// first block), parsed by the parser its type names, then X509KeyPair on the chain and that key written
// again. Only Go's error strings are printed.
func egServing(crt, key []byte) outcome {
	out := outcome{Blocks: []string{}}
	const valid = "must contain valid tls.crt and tls.key, "
	var chain []byte
	for rest := crt; len(rest) > 0; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		out.Blocks = append(out.Blocks, block.Type)
		if err := egCertBlock(block.Bytes); err != nil {
			out.Error = valid + "unable to validate certificate in tls.crt: " + err.Error()
			return out
		}
		chain = append(chain, pem.EncodeToMemory(block)...)
	}
	if len(chain) == 0 {
		out.Error = valid + "unable to validate certificate in tls.crt: unable to decode pem data for certificate"
		return out
	}
	first, _ := pem.Decode(chain)
	if _, err := x509.ParseCertificate(first.Bytes); err != nil {
		out.Error = valid + "unable to parse certificate in tls.crt: " + err.Error()
		return out
	}
	var keyBlock *pem.Block
	for rest := key; len(rest) > 0; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if keyBlock == nil {
			keyBlock = block
		}
		if block.Type == "PRIVATE KEY" || block.Type == "RSA PRIVATE KEY" || block.Type == "EC PRIVATE KEY" {
			keyBlock = block
			break
		}
	}
	if keyBlock == nil {
		out.Error = valid + "unable to decode pem data in tls.key"
		return out
	}
	var err error
	switch keyBlock.Type {
	case "PRIVATE KEY":
		if _, err = x509.ParsePKCS8PrivateKey(keyBlock.Bytes); err != nil {
			out.Error = valid + "unable to parse PKCS8 formatted private key in tls.key"
		}
	case "RSA PRIVATE KEY":
		if _, err = x509.ParsePKCS1PrivateKey(keyBlock.Bytes); err != nil {
			out.Error = valid + "unable to parse PKCS1 formatted private key in tls.key"
		}
	case "EC PRIVATE KEY":
		if _, err = x509.ParseECPrivateKey(keyBlock.Bytes); err != nil {
			out.Error = valid + "unable to parse EC formatted private key in tls.key"
		}
	default:
		out.Error = valid + keyBlock.Type + " key format found in tls.key, supported formats are PKCS1, PKCS8 or EC"
	}
	if out.Error != "" {
		return out
	}
	if _, err := tls.X509KeyPair(chain, pem.EncodeToMemory(keyBlock)); err != nil {
		out.Error = "must contain a matching tls.crt and tls.key: " + err.Error()
	}
	return out
}

// egFirst: validateCertificates before v1.7.
func egFirst(data []byte) outcome {
	out := outcome{Blocks: []string{}}
	block, _ := pem.Decode(data)
	if block == nil {
		out.Error = "unable to decode pem data for certificate"
	} else if err := egCertBlock(block.Bytes); err != nil {
		out.Error = err.Error()
	}
	return out
}

func createSSLCert(cert, key []byte) outcome {
	out := outcome{Blocks: []string{}}
	if _, err := tls.X509KeyPair(cert, key); err != nil {
		out.KeyPair = err.Error()
	}
	joined := append(append(append([]byte{}, cert...), '\n'), key...)
	block, _ := pem.Decode(joined)
	switch {
	case block == nil:
		out.Error = "no valid PEM formatted block found"
	case block.Type != "CERTIFICATE":
		out.Error = "no certificate PEM data found, make sure certificate content starts with 'BEGIN CERTIFICATE'"
	default:
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			out.Error = err.Error()
		} else if out.KeyPair != "" {
			out.Error = "certificate and private key does not have a matching public key: " + out.KeyPair
		}
	}
	return out
}

// firstBlock: the checks ValidateCA and ValidateCASecret share, in their words (NGF quotes with %q,
// F5 with '%s').
func firstBlock(data []byte, field, got string) string {
	block, _ := pem.Decode(data)
	if block == nil {
		return "the data field " + field + " must hold a valid CERTIFICATE PEM block"
	}
	if block.Type != "CERTIFICATE" {
		return "the data field " + field + " must hold a valid CERTIFICATE PEM block, but got " + fmt.Sprintf(got, block.Type)
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		return fmt.Errorf("failed to validate certificate: %w", err).Error()
	}
	return ""
}

func validateCA(caData []byte) string {
	data := make([]byte, base64.StdEncoding.DecodedLen(len(caData)))
	if _, err := base64.StdEncoding.Decode(data, caData); err != nil {
		data = caData
	}
	return firstBlock(data, `"ca.crt"`, "%q")
}

func decode(v string) []byte {
	data, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		panic(err)
	}
	return data
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
	var values []json.RawMessage
	if err := json.NewDecoder(os.Stdin).Decode(&values); err != nil {
		panic(err)
	}
	results := []outcome{}
	for _, raw := range values {
		var ca string
		var pair []string
		var first map[string]string
		if json.Unmarshal(raw, &ca) == nil {
			results = append(results, check(decode(ca)))
		} else if json.Unmarshal(raw, &pair) == nil && len(pair) == 2 {
			results = append(results, createSSLCert(decode(pair[0]), decode(pair[1])))
		} else if json.Unmarshal(raw, &first) == nil && first["ngf"] != "" {
			results = append(results, outcome{Blocks: []string{}, Error: validateCA(decode(first["ngf"]))})
		} else if json.Unmarshal(raw, &first) == nil && first["f5"] != "" {
			results = append(results, outcome{Blocks: []string{}, Error: firstBlock(decode(first["f5"]), "ca.crt", "'%s'")})
		} else if json.Unmarshal(raw, &first) == nil && first["pool"] != "" {
			results = append(results, traefikPool(decode(first["pool"])))
		} else if json.Unmarshal(raw, &first) == nil && first["eg"] != "" {
			results = append(results, egFilter(decode(first["eg"])))
		} else if json.Unmarshal(raw, &first) == nil && first["eg-crt"] != "" {
			results = append(results, egServing(decode(first["eg-crt"]), decode(first["eg-key"])))
		} else if json.Unmarshal(raw, &first) == nil && first["eg-first"] != "" {
			results = append(results, egFirst(decode(first["eg-first"])))
		} else {
			panic(errors.New("want a base64 string, a list of two or an object"))
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		panic(err)
	}
}
