// tlsserver: a standard-library crypto/tls HTTPS server that asks for client
// certificates the way Traefik does (Traefik's pkg/tls/tlsmanager.go buildTLSConfig
// sets tls.Config.ClientAuth and ClientCAs; no other verification hook).
// Build with the standard library only:  GOTOOLCHAIN=local GOPROXY=off go build -o tlsserver tlsserver.go
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"runtime"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18444", "listen address")
	certFile := flag.String("cert", "server.crt", "server certificate")
	keyFile := flag.String("key", "server.key", "server key")
	caFile := flag.String("ca", "ca.crt", "client CA bundle (Traefik: clientAuth.secretNames / caFiles)")
	mode := flag.String("clientauth", "RequireAndVerifyClientCert", "NoClientCert|RequestClientCert|RequireAnyClientCert|VerifyClientCertIfGiven|RequireAndVerifyClientCert")
	maxTLS := flag.String("maxtls", "", "highest TLS version: 1.2 or 1.3 (default: Go's, 1.3)")
	// Traefik's certificate store without the host's certificate (pkg/tls/tlsmanager.go UpdateConfigs skips
	// a Secret X509KeyPair refuses): Manager.Get's GetCertificate finds none for the name and answers the
	// store's default certificate, or, with the TLS option's sniStrict, no certificate (crypto/tls then sends
	// unrecognized_name). -cert/-key are then that default certificate.
	unloaded := flag.Bool("unloaded", false, "the host's certificate is not in the store: serve -cert/-key as the default")
	sniStrict := flag.Bool("snistrict", false, "with -unloaded: no default certificate (TLSOption sniStrict)")
	flag.Parse()

	modes := map[string]tls.ClientAuthType{
		"NoClientCert":               tls.NoClientCert,
		"RequestClientCert":          tls.RequestClientCert,
		"RequireAnyClientCert":       tls.RequireAnyClientCert,
		"VerifyClientCertIfGiven":    tls.VerifyClientCertIfGiven,
		"RequireAndVerifyClientCert": tls.RequireAndVerifyClientCert,
	}
	ca, ok := modes[*mode]
	if !ok {
		log.Fatalf("unknown client auth type %q", *mode)
	}
	pem, err := os.ReadFile(*caFile)
	if err != nil {
		log.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		log.Fatal("invalid certificate(s) content")
	}
	cfg := &tls.Config{ClientCAs: pool, ClientAuth: ca, NextProtos: []string{"h2", "http/1.1"}}
	switch *maxTLS {
	case "1.2":
		cfg.MaxVersion = tls.VersionTLS12
	case "1.3", "":
	default:
		log.Fatalf("unknown -maxtls %q", *maxTLS)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		subj := "-"
		if len(r.TLS.PeerCertificates) > 0 {
			subj = r.TLS.PeerCertificates[0].Subject.String()
		}
		log.Printf("request %s %s %s tls=%x peer=%q", r.Method, r.Host, r.URL.Path, r.TLS.Version, subj)
		fmt.Fprintf(w, "ok peer=%s\n", subj)
	})
	srv := &http.Server{Addr: *addr, Handler: h, TLSConfig: cfg, ErrorLog: log.New(os.Stderr, "", log.LstdFlags)}
	log.Printf("%s listening on %s clientauth=%s", runtime.Version(), *addr, *mode)
	if *unloaded {
		fallback, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			log.Fatal(err)
		}
		cfg.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			if *sniStrict {
				return nil, nil
			}
			return &fallback, nil
		}
		log.Fatal(srv.ListenAndServeTLS("", ""))
	}
	log.Fatal(srv.ListenAndServeTLS(*certFile, *keyFile))
}
