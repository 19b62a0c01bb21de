package advisory

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// A signed advisory bundle is a directory or zip holding OSV JSON files, a
// manifest listing each file's SHA-256 and size, and a detached ed25519
// signature over the manifest's exact bytes. Signing the manifest rather
// than the archive lets the same bundle travel as a zip or an unpacked
// directory.
const (
	ManifestName  = "clawgov-advisories.json"
	SignatureName = "clawgov-advisories.json.sig"
	bundleFormat  = "clawgov-advisories/1"

	maxBundleFiles = 5000
	maxBundleBytes = 64 << 20
	maxFileBytes   = 4 << 20
)

// Manifest lists the files of a bundle.
type Manifest struct {
	Format  string         `json:"format"`
	Created string         `json:"created"`
	KeyID   string         `json:"key_id"`
	Files   []ManifestFile `json:"files"`
}

// ManifestFile is one OSV file in the bundle.
type ManifestFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Key file headers: one line, "<header> <base64>".
const (
	privHeader = "clawgov-ed25519-private"
	pubHeader  = "clawgov-ed25519-public"
)

// GenerateKey makes a signing key pair and returns the two key files'
// contents.
func GenerateKey() (priv, pub []byte, err error) {
	pk, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	priv = fmt.Appendf(nil, "%s %s\n", privHeader, base64.StdEncoding.EncodeToString(sk.Seed()))
	pub = fmt.Appendf(nil, "%s %s\n", pubHeader, base64.StdEncoding.EncodeToString(pk))
	return priv, pub, nil
}

// ParsePrivateKey reads a private key file.
func ParsePrivateKey(b []byte) (ed25519.PrivateKey, error) {
	raw, err := keyField(b, privHeader, ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	return ed25519.NewKeyFromSeed(raw), nil
}

// ParsePublicKey reads a public key file.
func ParsePublicKey(b []byte) (ed25519.PublicKey, error) {
	raw, err := keyField(b, pubHeader, ed25519.PublicKeySize)
	if err != nil {
		return nil, err
	}
	return ed25519.PublicKey(raw), nil
}

func keyField(b []byte, header string, size int) ([]byte, error) {
	f := strings.Fields(string(b))
	if len(f) != 2 || f[0] != header {
		return nil, fmt.Errorf("not a %s key file", header)
	}
	raw, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil || len(raw) != size {
		return nil, fmt.Errorf("malformed %s key", header)
	}
	return raw, nil
}

// KeyID is a short fingerprint of a public key.
func KeyID(pk ed25519.PublicKey) string {
	s := sha256.Sum256(pk)
	return hex.EncodeToString(s[:8])
}

// Relevant reports whether an OSV record concerns OpenClaw: one of
// Packages or an official @openclaw/* plugin. OSV's per-ecosystem exports
// hold every npm advisory; only these belong in a bundle.
func Relevant(r *OSVRecord) bool {
	for _, af := range r.Affected {
		if slices.Contains(Packages, af.Package.Name) || strings.HasPrefix(af.Package.Name, "@openclaw/") {
			return true
		}
	}
	return false
}

// Sign builds a signed bundle zip from the OSV files in from: a directory
// or a zip such as OSV's own export. Each record is parsed first, so an
// organisation cannot publish garbage by accident; records that do not
// concern OpenClaw are left out unless keepAll. It returns how many records
// were signed and how many were left out.
func Sign(from string, key ed25519.PrivateKey, now time.Time, w io.Writer, keepAll bool) (int, int, error) {
	src, err := readSourceFiles(from)
	if err != nil {
		return 0, 0, err
	}
	files := map[string][]byte{}
	var names []string
	skipped := 0
	for n, b := range src {
		if !strings.HasSuffix(n, ".json") || n == ManifestName {
			continue
		}
		r, err := ParseOSV(b)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %w", n, err)
		}
		if !keepAll && !Relevant(r) {
			skipped++
			continue
		}
		files[n] = b
		names = append(names, n)
	}
	if len(names) == 0 {
		return 0, skipped, fmt.Errorf("%s: no OSV records concerning OpenClaw (%d others left out)", from, skipped)
	}
	sort.Strings(names)
	m := Manifest{Format: bundleFormat, Created: now.UTC().Format(time.RFC3339), KeyID: KeyID(key.Public().(ed25519.PublicKey))}
	for _, n := range names {
		s := sha256.Sum256(files[n])
		m.Files = append(m.Files, ManifestFile{Name: n, SHA256: hex.EncodeToString(s[:]), Size: int64(len(files[n]))})
	}
	mb, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return 0, 0, err
	}
	sig := ed25519.Sign(key, mb)
	zw := zip.NewWriter(w)
	put := func(name string, b []byte) error {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: now.UTC()})
		if err != nil {
			return err
		}
		_, err = fw.Write(b)
		return err
	}
	if err := put(ManifestName, mb); err != nil {
		return 0, 0, fmt.Errorf("write bundle: %w", err)
	}
	if err := put(SignatureName, []byte(base64.StdEncoding.EncodeToString(sig)+"\n")); err != nil {
		return 0, 0, fmt.Errorf("write bundle: %w", err)
	}
	for _, n := range names {
		if err := put(n, files[n]); err != nil {
			return 0, 0, fmt.Errorf("write bundle: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return 0, 0, fmt.Errorf("write bundle: %w", err)
	}
	return len(names), skipped, nil
}

// readSourceFiles reads the .json files of a directory or zip to sign.
// Nested paths (as some exports use) are flattened to their base name;
// two records with the same name are an error.
func readSourceFiles(from string) (map[string][]byte, error) {
	st, err := os.Stat(from)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", from, err)
	}
	out := map[string][]byte{}
	var total int64
	add := func(name string, b []byte) error {
		base := path.Base(name)
		if _, dup := out[base]; dup {
			return fmt.Errorf("%s: two records named %s", from, base)
		}
		total += int64(len(b))
		if total > 8*maxBundleBytes {
			return fmt.Errorf("%s: larger than %d bytes", from, 8*maxBundleBytes)
		}
		out[base] = b
		return nil
	}
	if st.IsDir() {
		entries, err := os.ReadDir(from)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", from, err)
		}
		for _, e := range entries {
			if e.IsDir() || !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			b, err := os.ReadFile(filepath.Join(from, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", e.Name(), err)
			}
			if err := add(e.Name(), b); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	zr, err := zip.OpenReader(from)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable zip or directory: %w", from, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") || !strings.HasSuffix(f.Name, ".json") {
			continue
		}
		if f.UncompressedSize64 > maxFileBytes {
			return nil, fmt.Errorf("%s: %s is larger than %d bytes", from, f.Name, maxFileBytes)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", from, f.Name, err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, maxFileBytes+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", from, f.Name, err)
		}
		if err := add(f.Name, b); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Bundle is a verified bundle: its manifest and OSV records.
type Bundle struct {
	Manifest Manifest
	KeyID    string
	Records  []*OSVRecord
	Names    []string
}

// ErrUnsigned means the bundle carries no signature.
var ErrUnsigned = errors.New("bundle is not signed")

// ReadBundle loads a bundle from a directory or zip and verifies it against
// the trusted keys. Any problem (not a zip, truncated, unsigned, signature
// by an unknown key, a file changed, added or missing, a record that is not
// OSV) is an error; nothing is returned half-verified.
func ReadBundle(p string, trusted []ed25519.PublicKey) (*Bundle, error) {
	files, err := readBundleFiles(p)
	if err != nil {
		return nil, err
	}
	mb, ok := files[ManifestName]
	if !ok {
		return nil, fmt.Errorf("bundle %s: no %s (not a clawgov advisory bundle)", p, ManifestName)
	}
	sigText, ok := files[SignatureName]
	if !ok {
		return nil, fmt.Errorf("bundle %s: %w (no %s)", p, ErrUnsigned, SignatureName)
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(sigText)))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("bundle %s: malformed signature", p)
	}
	if len(trusted) == 0 {
		return nil, fmt.Errorf("bundle %s: no trusted keys configured (use --trusted-key or put KEY.pub files in the trusted-keys directory)", p)
	}
	keyID := ""
	for _, k := range trusted {
		if ed25519.Verify(k, mb, sig) {
			keyID = KeyID(k)
			break
		}
	}
	if keyID == "" {
		return nil, fmt.Errorf("bundle %s: signature does not verify with any trusted key (tampered manifest or unknown signer)", p)
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(mb))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("bundle %s: manifest: %w", p, err)
	}
	if m.Format != bundleFormat {
		return nil, fmt.Errorf("bundle %s: manifest format %q, want %q", p, m.Format, bundleFormat)
	}
	if len(m.Files) == 0 {
		return nil, fmt.Errorf("bundle %s: manifest lists no files", p)
	}
	listed := map[string]bool{ManifestName: true, SignatureName: true}
	b := &Bundle{Manifest: m, KeyID: keyID}
	for _, f := range m.Files {
		if listed[f.Name] {
			return nil, fmt.Errorf("bundle %s: manifest lists %s twice", p, f.Name)
		}
		listed[f.Name] = true
		data, ok := files[f.Name]
		if !ok {
			return nil, fmt.Errorf("bundle %s: %s is listed in the manifest but missing", p, f.Name)
		}
		s := sha256.Sum256(data)
		if hex.EncodeToString(s[:]) != f.SHA256 || int64(len(data)) != f.Size {
			return nil, fmt.Errorf("bundle %s: %s does not match its manifest hash (tampered)", p, f.Name)
		}
		r, err := ParseOSV(data)
		if err != nil {
			return nil, fmt.Errorf("bundle %s: %s: %w", p, f.Name, err)
		}
		b.Records = append(b.Records, r)
		b.Names = append(b.Names, f.Name)
	}
	for n := range files {
		if !listed[n] {
			return nil, fmt.Errorf("bundle %s: %s is not listed in the signed manifest (added after signing)", p, n)
		}
	}
	return b, nil
}

// readBundleFiles reads the top-level files of a directory or zip, with
// limits on count and size. Subdirectories and odd names are refused.
func readBundleFiles(p string) (map[string][]byte, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", p, err)
	}
	files := map[string][]byte{}
	var total int64
	addFile := func(name string, size int64, open func() (io.ReadCloser, error)) error {
		if name != path.Base(name) || name == "." || name == ".." || strings.ContainsAny(name, "\\\x00") {
			return fmt.Errorf("bundle %s: unexpected entry %q (bundles hold top-level files only)", p, name)
		}
		if _, dup := files[name]; dup {
			return fmt.Errorf("bundle %s: duplicate entry %s", p, name)
		}
		if len(files) >= maxBundleFiles {
			return fmt.Errorf("bundle %s: more than %d files", p, maxBundleFiles)
		}
		if size > maxFileBytes {
			return fmt.Errorf("bundle %s: %s is larger than %d bytes", p, name, maxFileBytes)
		}
		rc, err := open()
		if err != nil {
			return fmt.Errorf("bundle %s: %s: %w", p, name, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(io.LimitReader(rc, maxFileBytes+1))
		if err != nil {
			return fmt.Errorf("bundle %s: %s: %w", p, name, err)
		}
		if len(b) > maxFileBytes {
			return fmt.Errorf("bundle %s: %s is larger than %d bytes", p, name, maxFileBytes)
		}
		total += int64(len(b))
		if total > maxBundleBytes {
			return fmt.Errorf("bundle %s: larger than %d bytes", p, maxBundleBytes)
		}
		files[name] = b
		return nil
	}
	if st.IsDir() {
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("bundle %s: %w", p, err)
		}
		for _, e := range entries {
			if e.IsDir() {
				return nil, fmt.Errorf("bundle %s: unexpected directory %s", p, e.Name())
			}
			if !e.Type().IsRegular() {
				return nil, fmt.Errorf("bundle %s: %s is not a regular file", p, e.Name())
			}
			info, err := e.Info()
			if err != nil {
				return nil, fmt.Errorf("bundle %s: %w", p, err)
			}
			full := filepath.Join(p, e.Name())
			if err := addFile(e.Name(), info.Size(), func() (io.ReadCloser, error) { return os.Open(full) }); err != nil {
				return nil, err
			}
		}
		return files, nil
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: not a readable zip or directory: %w", p, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			return nil, fmt.Errorf("bundle %s: unexpected directory %s", p, f.Name)
		}
		if err := addFile(f.Name, int64(f.UncompressedSize64), f.Open); err != nil {
			if errors.Is(err, zip.ErrChecksum) || errors.Is(err, zip.ErrFormat) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("bundle %s: corrupt or truncated zip: %w", p, err)
			}
			return nil, err
		}
	}
	return files, nil
}

// TrustedKeys loads the public keys from files and from every *.pub file in
// dir (missing dir is fine), plus the keys embedded in the binary.
func TrustedKeys(dir string, files []string) ([]ed25519.PublicKey, error) {
	keys, err := LoadPublicKeys(dir, files)
	return append(EmbeddedKeys(), keys...), err
}

// LoadPublicKeys reads public key files and every *.pub file in dir
// (missing dir is fine), in that order, dir's sorted by name.
func LoadPublicKeys(dir string, files []string) ([]ed25519.PublicKey, error) {
	var keys []ed25519.PublicKey
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("trusted key %s: %w", f, err)
		}
		k, err := ParsePublicKey(b)
		if err != nil {
			return nil, fmt.Errorf("trusted key %s: %w", f, err)
		}
		keys = append(keys, k)
	}
	if dir != "" {
		matches, err := fs.Glob(os.DirFS(dir), "*.pub")
		if err == nil {
			sort.Strings(matches)
			for _, m := range matches {
				b, err := os.ReadFile(filepath.Join(dir, m))
				if err != nil {
					return nil, fmt.Errorf("trusted key %s: %w", m, err)
				}
				k, err := ParsePublicKey(b)
				if err != nil {
					return nil, fmt.Errorf("trusted key %s: %w", filepath.Join(dir, m), err)
				}
				keys = append(keys, k)
			}
		}
	}
	return keys, nil
}

// EmbeddedKeys are the publishers whose bundles every clawgov binary
// trusts. The project publishes no feed yet, so the list is empty and
// trust comes from keys the user configures.
func EmbeddedKeys() []ed25519.PublicKey { return nil }
