package release

import (
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/advisory"
)

func keypair(t testing.TB) (ed25519.PrivateKey, ed25519.PublicKey) {
	t.Helper()
	priv, pub, err := advisory.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	sk, err := advisory.ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := advisory.ParsePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return sk, pk
}

func writeFiles(t *testing.T, dir string, files map[string]string) []string {
	t.Helper()
	var out []string
	for n, c := range files {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func TestSumsRoundTripAndSha256sumFormat(t *testing.T) {
	dir := t.TempDir()
	files := writeFiles(t, dir, map[string]string{"b.deb": "bee", "a.rpm": "", "clawgov_linux_amd64.tar.gz": "x"})
	b, err := MakeSums(files)
	if err != nil {
		t.Fatal(err)
	}
	// sha256sum(1) would print exactly this, sorted by name.
	// (the SHA-256 of the empty file a.rpm comes first).
	want := "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  a.rpm\n"
	if !strings.HasPrefix(string(b), want) || strings.Count(string(b), "\n") != 3 {
		t.Fatalf("first line %q", strings.SplitN(string(b), "\n", 2)[0])
	}
	s, err := ParseSums(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 3 || string(s.Bytes()) != string(b) {
		t.Fatalf("round trip: %v\n%s", s, s.Bytes())
	}
	res, err := CheckFiles(s, files)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if !r.OK {
			t.Errorf("%s: %s", r.Name, r.Why)
		}
	}
	// A changed byte and an unlisted file both fail.
	os.WriteFile(files[0], []byte("changed"), 0o644)
	extra := writeFiles(t, dir, map[string]string{"evil.deb": "x"})
	res, err = CheckFiles(s, append(files, extra...))
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{}
	for _, r := range res {
		if !r.OK {
			bad[r.Name] = r.Why
		}
	}
	if len(bad) != 2 || !strings.Contains(bad["evil.deb"], "not listed") || !strings.Contains(bad[filepath.Base(files[0])], "differs") {
		t.Fatalf("failures: %v", bad)
	}
}

func TestParseSums(t *testing.T) {
	h := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		in, err string
	}{
		{h + "  clawgov.deb\n", ""},
		{h + " *clawgov.deb\r\n\n", ""},
		{strings.ToUpper(h) + "  clawgov.deb", ""},
		{h + " clawgov.deb\n", "line 1"},
		{h[:63] + "  x\n", "line 1"},
		{strings.Repeat("zz", 32) + "  x\n", "not 64 hex"},
		{h + "  ../etc/passwd\n", "not a plain file name"},
		{h + "  dir/x\n", "not a plain file name"},
		{h + "  x\n" + h + "  x\n", "listed twice"},
		{"", "lists no files"},
		{"\n\n", "lists no files"},
	} {
		_, err := ParseSums([]byte(tc.in))
		if tc.err == "" && err != nil {
			t.Errorf("%q: %v", tc.in, err)
		}
		if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
		}
	}
}

func TestSignVerify(t *testing.T) {
	sk, pk := keypair(t)
	_, other := keypair(t)
	sums := []byte(strings.Repeat("ab", 32) + "  clawgov.deb\n")
	sig := Sign(sums, sk)
	id, err := VerifySignature(sums, sig, []ed25519.PublicKey{other, pk})
	if err != nil || id != advisory.KeyID(pk) {
		t.Fatalf("good signature: %q %v", id, err)
	}
	for name, c := range map[string]struct {
		sums, sig []byte
		keys      []ed25519.PublicKey
	}{
		"changed list":  {append([]byte("00"), sums[2:]...), sig, []ed25519.PublicKey{pk}},
		"unknown key":   {sums, sig, []ed25519.PublicKey{other}},
		"garbage sig":   {sums, []byte("not base64!\n"), []ed25519.PublicKey{pk}},
		"truncated sig": {sums, sig[:20], []ed25519.PublicKey{pk}},
	} {
		if _, err := VerifySignature(c.sums, c.sig, c.keys); !errors.Is(err, ErrVerify) {
			t.Errorf("%s: %v, want ErrVerify", name, err)
		}
	}
	if _, err := VerifySignature(sums, sig, nil); err == nil || errors.Is(err, ErrVerify) || !strings.Contains(err.Error(), "no trusted release keys") {
		t.Errorf("no keys: %v", err)
	}
}

func FuzzParseSums(f *testing.F) {
	h := strings.Repeat("0f", 32)
	f.Add([]byte(h + "  a.deb\n" + h + " *b.rpm\n"))
	f.Add([]byte(h + "  \x00\n"))
	f.Add([]byte("\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSums(b)
		if err != nil {
			return
		}
		// What parses re-serialises to a list that parses to the same.
		again, err := ParseSums(s.Bytes())
		if err != nil || len(again) != len(s) {
			t.Fatalf("re-parse: %v", err)
		}
		for n, v := range s {
			if again[n] != v || checkName(n) != nil {
				t.Fatalf("entry %q", n)
			}
		}
	})
}
