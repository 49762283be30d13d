package k8senv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// pki is the key material of one test control plane, generated in Go
// (crypto/x509): a CA, the API server's serving certificate, an admin client
// certificate (group system:masters, so RBAC lets it do anything) and the
// service-account signing key pair. Everything is ECDSA P-256: generating it
// takes a few milliseconds.
type pki struct {
	CAFile, CAKeyFile       string
	ServingCert, ServingKey string
	AdminCert, AdminKey     string
	SAPrivateKey, SAPublic  string
	caPEM, adminCertPEM     []byte
	adminKeyPEM             []byte
	caCert                  *x509.Certificate
	caKey                   *ecdsa.PrivateKey
	serial                  int64
}

func newPKI(dir string) (*pki, error) {
	p := &pki{
		CAFile:       filepath.Join(dir, "ca.crt"),
		CAKeyFile:    filepath.Join(dir, "ca.key"),
		ServingCert:  filepath.Join(dir, "apiserver.crt"),
		ServingKey:   filepath.Join(dir, "apiserver.key"),
		AdminCert:    filepath.Join(dir, "admin.crt"),
		AdminKey:     filepath.Join(dir, "admin.key"),
		SAPrivateKey: filepath.Join(dir, "sa.key"),
		SAPublic:     filepath.Join(dir, "sa.pub"),
	}
	notBefore := time.Now().Add(-time.Hour)
	notAfter := time.Now().Add(7 * 24 * time.Hour)

	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "gennaker-test-ca"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	p.caCert, err = x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	p.caKey = caKey
	p.serial = 1
	p.caPEM = pemBlock("CERTIFICATE", caDER)
	if err := writeFile(p.CAFile, p.caPEM); err != nil {
		return nil, err
	}
	if err := writeKey(p.CAKeyFile, caKey); err != nil {
		return nil, err
	}

	if _, _, err := p.issue(p.ServingCert, p.ServingKey, pkix.Name{CommonName: "kube-apiserver"},
		x509.ExtKeyUsageServerAuth,
		[]string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
		[]net.IP{net.ParseIP("127.0.0.1"), net.ParseIP(serviceIP)}); err != nil {
		return nil, err
	}
	p.adminCertPEM, p.adminKeyPEM, err = p.issue(p.AdminCert, p.AdminKey,
		pkix.Name{CommonName: "gennaker-test-admin", Organization: []string{"system:masters"}},
		x509.ExtKeyUsageClientAuth, nil, nil)
	if err != nil {
		return nil, err
	}

	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	if err := writeKey(p.SAPrivateKey, saKey); err != nil {
		return nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return nil, err
	}
	if err := writeFile(p.SAPublic, pemBlock("PUBLIC KEY", pubDER)); err != nil {
		return nil, err
	}
	return p, nil
}

// issue signs a leaf certificate with the CA and writes it and its key.
func (p *pki) issue(certFile, keyFile string, subject pkix.Name, usage x509.ExtKeyUsage, dns []string, ips []net.IP) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	p.serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(p.serial),
		Subject:      subject,
		NotBefore:    p.caCert.NotBefore,
		NotAfter:     p.caCert.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		DNSNames:     dns,
		IPAddresses:  ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, &key.PublicKey, p.caKey)
	if err != nil {
		return nil, nil, err
	}
	certPEM = pemBlock("CERTIFICATE", der)
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	keyPEM = pemBlock("EC PRIVATE KEY", keyDER)
	if err := writeFile(certFile, certPEM); err != nil {
		return nil, nil, err
	}
	if err := writeFile(keyFile, keyPEM); err != nil {
		return nil, nil, err
	}
	return certPEM, keyPEM, nil
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	return writeFile(path, pemBlock("EC PRIVATE KEY", der))
}

func writeFile(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("k8senv: %w", err)
	}
	return nil
}
