package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/clawgov/clawgov/internal/fleet/auth"
	"github.com/clawgov/clawgov/internal/fleet/store"
)

// SettingBootstrap holds the hash of the one-time bootstrap secret until
// it is consumed (then "used").
const SettingBootstrap = "bootstrap_secret_sha256"

// Bootstrap creates the one-time admin bootstrap secret on first start
// (no users yet, no secret issued). It returns the secret only when this
// call created it; a second server sharing the database gets "".
func Bootstrap(ctx context.Context, st store.Store) (string, error) {
	users, err := st.ListUsers(ctx)
	if err != nil {
		return "", err
	}
	if len(users) > 0 {
		return "", nil
	}
	secret := auth.NewToken("cgb_")
	ok, err := st.PutSettingIfAbsent(ctx, SettingBootstrap, store.HashToken(secret))
	if err != nil || !ok {
		return "", err
	}
	return secret, nil
}

// ConsumeBootstrap checks secret against the stored hash and marks it
// used, so it works once. The dashboard calls it to create the first admin.
func ConsumeBootstrap(ctx context.Context, st store.Store, secret string) (bool, error) {
	v, err := st.Setting(ctx, SettingBootstrap)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if v == "used" || v != store.HashToken(secret) {
		return false, nil
	}
	return true, st.PutSetting(ctx, SettingBootstrap, "used")
}

// SelfSigned loads or creates (first start) an ECDSA P-256 certificate
// and key in dir for hosts, and returns it with its SHA-256 fingerprint,
// which agents pin at enrollment (--fingerprint).
func SelfSigned(dir string, hosts []string) (tls.Certificate, string, error) {
	certPath, keyPath := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	if _, err := os.Stat(certPath); err == nil {
		return LoadCert(certPath, keyPath)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return tls.Certificate{}, "", fmt.Errorf("TLS directory: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "clawgov fleet server"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(5, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	if err := writeAtomic(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return tls.Certificate{}, "", err
	}
	if err := writeAtomic(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return tls.Certificate{}, "", err
	}
	return LoadCert(certPath, keyPath)
}

// LoadCert loads a PEM pair and returns its leaf fingerprint.
func LoadCert(certPath, keyPath string) (tls.Certificate, string, error) {
	c, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return c, "", fmt.Errorf("load TLS certificate: %w", err)
	}
	s := sha256.Sum256(c.Certificate[0])
	return c, hex.EncodeToString(s[:]), nil
}

func writeAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
