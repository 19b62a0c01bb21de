package registry

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Blobs is a content-addressed store on disk: a blob is kept at
// <dir>/sha256/<first 2 hex>/<64 hex> and read back only if its bytes
// still hash to its name, so a blob changed on disk is refused, never
// served.
type Blobs struct {
	Dir string
}

// ErrTampered says a blob's bytes no longer match its SHA-256.
var ErrTampered = errors.New("blob content does not match its SHA-256 (changed on disk)")

func validHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func (b *Blobs) path(sum string) (string, error) {
	if !validHex64(sum) {
		return "", fmt.Errorf("blob name %q: want 64 lowercase hex", sum)
	}
	return filepath.Join(b.Dir, "sha256", sum[:2], sum), nil
}

// Put stores data and returns its hex SHA-256. Writing is atomic (a
// temporary file renamed into place), and storing the same bytes twice,
// even at once, is harmless.
func (b *Blobs) Put(data []byte) (string, error) {
	s := sha256.Sum256(data)
	sum := hex.EncodeToString(s[:])
	p, _ := b.path(sum)
	if st, err := os.Stat(p); err == nil && st.Size() == int64(len(data)) {
		return sum, nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return "", fmt.Errorf("blob dir: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return "", fmt.Errorf("blob temp: %w", err)
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return "", fmt.Errorf("write blob: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return "", fmt.Errorf("sync blob: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("close blob: %w", err)
	}
	if err := os.Chmod(tmp, 0o440); err != nil {
		os.Remove(tmp)
		return "", err
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("store blob: %w", err)
	}
	return sum, nil
}

// Get reads the blob sum (at most max bytes) and checks its hash.
func (b *Blobs) Get(sum string, max int64) ([]byte, error) {
	p, err := b.path(sum)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("blob %s: %w", sum, ErrNotFound)
		}
		return nil, fmt.Errorf("open blob: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read blob: %w", err)
	}
	got := sha256.Sum256(data)
	if int64(len(data)) > max || hex.EncodeToString(got[:]) != sum {
		return nil, fmt.Errorf("blob %s: %w", sum, ErrTampered)
	}
	return data, nil
}

// Remove deletes a blob nothing refers to (after a failed publish).
func (b *Blobs) Remove(sum string) {
	if p, err := b.path(sum); err == nil {
		_ = os.Remove(p)
	}
}
