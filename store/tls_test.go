package store

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeCA makes a CA and, if serverName is not "", a server certificate it
// signs for 127.0.0.1 and serverName. It returns the PEM files' paths.
func writeCA(t *testing.T, dir, serverName string) (caFile, certFile, keyFile string) {
	t.Helper()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caKey := key()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "facelogin test CA " + dir},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile = write("ca.pem", "CERTIFICATE", caDER)
	if serverName == "" {
		return caFile, "", ""
	}
	srvKey := key()
	srv := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: serverName},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{serverName}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	parsedCA, _ := x509.ParseCertificate(caDER)
	srvDER, err := x509.CreateCertificate(rand.Reader, srv, parsedCA, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(srvKey)
	if err != nil {
		t.Fatal(err)
	}
	return caFile, write("server.pem", "CERTIFICATE", srvDER), write("server-key.pem", "PRIVATE KEY", keyDER)
}

// A remote server that insists on TLS: the store verifies it against our
// CA, refuses plain connections' failure clearly, and refuses a server whose
// certificate another CA signed.
func TestMySQLTLS(t *testing.T) {
	dir := t.TempDir()
	caFile, certFile, keyFile := writeCA(t, dir, "db.facelogin.test")
	m := privateMariaDB(t, "--ssl-ca="+caFile, "--ssl-cert="+certFile, "--ssl-key="+keyFile, "--require-secure-transport=ON")
	if err := m.Admin("CREATE DATABASE facelogin"); err != nil {
		t.Fatal(err)
	}
	otherDir := t.TempDir()
	otherCA, _, _ := writeCA(t, otherDir, "")
	base := fmt.Sprintf("mysql://%s:%s@127.0.0.1:%d/facelogin", testMySQLUser, testMySQLPass, m.Port())

	tests := []struct {
		name string
		dsn  string
		tls  TLSConfig
		want error // nil: connects over TLS
	}{
		{"url options", base + "?tls=true&tls-ca=" + caFile, TLSConfig{}, nil},
		{"config options and server name", base, TLSConfig{CAFile: caFile, ServerName: "db.facelogin.test"}, nil},
		{"plain connection refused by the server", base, TLSConfig{}, ErrUnavailable},
		{"certificate from another CA", base + "?tls=true&tls-ca=" + otherCA, TLSConfig{}, ErrUnavailable},
		{"system roots do not know our CA", base + "?tls=true", TLSConfig{}, ErrUnavailable},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(tc.dsn, &logBuf{})
			cfg.TLS = tc.tls
			s, err := Open(ctxT(t), cfg)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					if s != nil {
						s.Close()
					}
					t.Fatalf("Open = %v, want %v", err, tc.want)
				}
				t.Log(err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if !strings.HasSuffix(s.Describe(), "(TLS)") {
				t.Errorf("Describe = %q", s.Describe())
			}
			var name, cipher string
			if err := s.db.QueryRowContext(ctxT(t), "SHOW SESSION STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher); err != nil || cipher == "" {
				t.Fatalf("Ssl_cipher %q, %v", cipher, err)
			}
			mustEnroll(t, s, fmt.Sprintf("ann%d", i), newTemplates(t, 0, 2))
		})
	}
}
