// Package release writes and checks the signed checksum list of a clawgov
// release: SHA256SUMS in sha256sum(1) format (so `sha256sum -c` works as
// well) and SHA256SUMS.sig, a detached ed25519 signature over its exact
// bytes, made with the same keys and signature encoding as the advisory
// bundles (clawgov advisories keygen).
package release

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/clawgov/clawgov/internal/advisory"
)

const (
	SumsName      = "SHA256SUMS"
	SignatureName = "SHA256SUMS.sig"

	// maxSumsBytes bounds what is read as a checksum list: a release has
	// tens of files, not megabytes of them.
	maxSumsBytes = 1 << 20
)

// ErrVerify is a failed verification (bad signature, changed or unlisted
// file), as opposed to input that could not be read.
var ErrVerify = errors.New("verification failed")

// Sums maps a file's base name to its SHA-256 (lower-case hex).
type Sums map[string]string

// HashFile returns the SHA-256 of a file as lower-case hex.
func HashFile(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// MakeSums hashes files (paths; the list records base names) and returns
// the SHA256SUMS bytes, sorted by name so the same files give the same
// bytes.
func MakeSums(files []string) ([]byte, error) {
	s := Sums{}
	for _, p := range files {
		name := filepath.Base(p)
		if err := checkName(name); err != nil {
			return nil, err
		}
		if _, dup := s[name]; dup {
			return nil, fmt.Errorf("%s: two files with this name", name)
		}
		h, err := HashFile(p)
		if err != nil {
			return nil, err
		}
		s[name] = h
	}
	return s.Bytes(), nil
}

// Bytes is the sha256sum(1) text of s, sorted by name.
func (s Sums) Bytes() []byte {
	names := make([]string, 0, len(s))
	for n := range s {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, n := range names {
		fmt.Fprintf(&b, "%s  %s\n", s[n], n)
	}
	return b.Bytes()
}

func checkName(n string) error {
	if n == "" || n == "." || n == ".." || strings.ContainsAny(n, "/\\\x00\n\r") {
		return fmt.Errorf("%q: not a plain file name", n)
	}
	return nil
}

// ParseSums reads sha256sum(1) output: "HEX  NAME" or "HEX *NAME" per
// line. It is strict because it decides what a user installs: a line that
// is not exactly that, a name with a path, or a name listed twice (two
// different answers for one file) is an error naming the line.
func ParseSums(b []byte) (Sums, error) {
	if len(b) > maxSumsBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", SumsName, maxSumsBytes)
	}
	s := Sums{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), maxSumsBytes)
	line := 0
	for sc.Scan() {
		line++
		l := strings.TrimSuffix(sc.Text(), "\r")
		if l == "" {
			continue
		}
		if len(l) < 67 || (l[64:66] != "  " && l[64:66] != " *") {
			return nil, fmt.Errorf("%s line %d: want \"SHA256  NAME\"", SumsName, line)
		}
		sum, name := strings.ToLower(l[:64]), l[66:]
		if _, err := hex.DecodeString(sum); err != nil {
			return nil, fmt.Errorf("%s line %d: checksum is not 64 hex digits", SumsName, line)
		}
		if err := checkName(name); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", SumsName, line, err)
		}
		if _, dup := s[name]; dup {
			return nil, fmt.Errorf("%s line %d: %s listed twice", SumsName, line, name)
		}
		s[name] = sum
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", SumsName, err)
	}
	if len(s) == 0 {
		return nil, fmt.Errorf("%s: lists no files", SumsName)
	}
	return s, nil
}

// Sign returns the SHA256SUMS.sig bytes for sums.
func Sign(sums []byte, key ed25519.PrivateKey) []byte {
	return []byte(base64.StdEncoding.EncodeToString(ed25519.Sign(key, sums)) + "\n")
}

// VerifySignature checks sig over sums with the trusted keys and returns
// the ID of the key that made it.
func VerifySignature(sums, sig []byte, trusted []ed25519.PublicKey) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(sig)))
	if err != nil || len(raw) != ed25519.SignatureSize {
		return "", fmt.Errorf("%s: malformed signature: %w", SignatureName, ErrVerify)
	}
	if len(trusted) == 0 {
		return "", errors.New("no trusted release keys (give --key FILE, or put KEY.pub files in the release-keys directory)")
	}
	for _, k := range trusted {
		if ed25519.Verify(k, sums, raw) {
			return advisory.KeyID(k), nil
		}
	}
	return "", fmt.Errorf("%s does not verify with any trusted key (changed list or unknown signer): %w", SignatureName, ErrVerify)
}

// Result is the check of one file against the list.
type Result struct {
	Name string
	OK   bool
	// Why is set when !OK: "not listed", "checksum differs".
	Why string
}

// CheckFiles hashes each file and compares it with its entry in s.
func CheckFiles(s Sums, files []string) ([]Result, error) {
	var out []Result
	for _, p := range files {
		name := filepath.Base(p)
		want, ok := s[name]
		if !ok {
			out = append(out, Result{Name: name, Why: "not listed in " + SumsName})
			continue
		}
		got, err := HashFile(p)
		if err != nil {
			return nil, err
		}
		if got != want {
			out = append(out, Result{Name: name, Why: "SHA-256 differs from " + SumsName})
			continue
		}
		out = append(out, Result{Name: name, OK: true})
	}
	return out, nil
}

// DefaultKeyDir is where the packages install the release public key.
const DefaultKeyDir = "/etc/clawgov/release-keys"

// TrustedKeys are the release keys: files given by the user and every
// *.pub in dir. The binary embeds none (nor the advisory signers, which
// sign something else): trust comes from a key the user obtained through
// a channel of their own, or from the one an earlier verified package
// installed in DefaultKeyDir.
func TrustedKeys(dir string, files []string) ([]ed25519.PublicKey, error) {
	return advisory.LoadPublicKeys(dir, files)
}
