package advisory

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var bundleNow = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// newRecord is a small OSV record newer than anything embedded.
func newRecord(id string) []byte {
	return []byte(`{"schema_version":"1.4.0","id":"` + id + `","modified":"2026-11-01T00:00:00Z","published":"2026-11-01T00:00:00Z",
 "aliases":["CVE-2026-99999"],"summary":"Test advisory for the update path",
 "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
 "affected":[{"package":{"ecosystem":"npm","name":"openclaw"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2026.10.1"}]}]}]}`)
}

type keys struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
}

func newKeys(t *testing.T) keys {
	t.Helper()
	privB, pubB, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ParsePrivateKey(privB)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(pubB)
	if err != nil {
		t.Fatal(err)
	}
	return keys{priv, pub}
}

// makeBundle signs a directory with one new record and returns the zip path.
func makeBundle(t *testing.T, k keys) string {
	t.Helper()
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "GHSA-zzzz-zzzz-zzzz.json"), newRecord("GHSA-zzzz-zzzz-zzzz"), 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, _, err := Sign(src, k.priv, bundleNow, &buf, false); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "bundle.zip")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// unzipTo extracts a bundle zip into a directory (the unpacked form).
func unzipTo(t *testing.T, zipPath string) string {
	t.Helper()
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	dir := t.TempDir()
	for _, f := range zr.File {
		rc, _ := f.Open()
		var b bytes.Buffer
		b.ReadFrom(rc)
		rc.Close()
		os.WriteFile(filepath.Join(dir, f.Name), b.Bytes(), 0o644)
	}
	return dir
}

func TestUpdateAcceptsSignedBundle(t *testing.T) {
	k := newKeys(t)
	cache := t.TempDir()
	for _, form := range []string{"zip", "dir"} {
		t.Run(form, func(t *testing.T) {
			p := makeBundle(t, k)
			if form == "dir" {
				p = unzipTo(t, p)
			}
			res, err := Update(p, cache, []ed25519.PublicKey{k.pub})
			if err != nil {
				t.Fatal(err)
			}
			if !res.InUse || res.Records != 1 {
				t.Errorf("result %+v", res)
			}
			db, src, err := Current(cache)
			if err != nil || src.Kind != "cache" {
				t.Fatalf("Current: %v %+v", err, src)
			}
			a, ok := db.Get("CVE-2026-99999")
			if !ok || a.Provenance["summary"] != "bundle:GHSA-zzzz-zzzz-zzzz.json" {
				t.Fatalf("bundle record missing or without provenance: %+v", a)
			}
			if got := matchIDs(db, "openclaw", "2026.9.6", MatchAffected); !strings.Contains(strings.Join(got, ","), "GHSA-zzzz-zzzz-zzzz") {
				t.Errorf("updated database does not match 2026.9.6: %v", got)
			}
			emb, _ := Embedded()
			if len(db.Advisories) != len(emb.Advisories)+1 {
				t.Errorf("embedded advisories lost: %d vs %d", len(db.Advisories), len(emb.Advisories))
			}
		})
	}
}

// TestUpdateRefusesBadBundles: every bad input is refused with a one-line
// error and the cached database stays byte-for-byte what it was.
func TestUpdateRefusesBadBundles(t *testing.T) {
	k := newKeys(t)
	other := newKeys(t)
	cache := t.TempDir()
	if _, err := Update(makeBundle(t, k), cache, []ed25519.PublicKey{k.pub}); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(cache, cacheFile))
	if err != nil {
		t.Fatal(err)
	}
	good := makeBundle(t, k)
	goodBytes, _ := os.ReadFile(good)

	cases := map[string]struct {
		make    func(t *testing.T) string
		trusted []ed25519.PublicKey
		want    string
	}{
		"unsigned dir": {func(t *testing.T) string {
			d := unzipTo(t, good)
			os.Remove(filepath.Join(d, SignatureName))
			return d
		}, []ed25519.PublicKey{k.pub}, "not signed"},
		"plain OSV dir": {func(t *testing.T) string {
			d := t.TempDir()
			os.WriteFile(filepath.Join(d, "GHSA-zzzz-zzzz-zzzz.json"), newRecord("GHSA-zzzz-zzzz-zzzz"), 0o644)
			return d
		}, []ed25519.PublicKey{k.pub}, "no clawgov-advisories.json"},
		"wrong key": {func(t *testing.T) string { return good }, []ed25519.PublicKey{other.pub}, "does not verify"},
		"no keys":   {func(t *testing.T) string { return good }, nil, "no trusted keys"},
		"tampered record": {func(t *testing.T) string {
			d := unzipTo(t, good)
			p := filepath.Join(d, "GHSA-zzzz-zzzz-zzzz.json")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(b, []byte("2026.10.1"), []byte("2026.10.2"), 1), 0o644)
			return d
		}, []ed25519.PublicKey{k.pub}, "tampered"},
		"tampered manifest": {func(t *testing.T) string {
			d := unzipTo(t, good)
			p := filepath.Join(d, ManifestName)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(b, []byte(`"size"`), []byte(`"size" `), 1), 0o644)
			return d
		}, []ed25519.PublicKey{k.pub}, "does not verify"},
		"added file": {func(t *testing.T) string {
			d := unzipTo(t, good)
			os.WriteFile(filepath.Join(d, "GHSA-yyyy-yyyy-yyyy.json"), newRecord("GHSA-yyyy-yyyy-yyyy"), 0o644)
			return d
		}, []ed25519.PublicKey{k.pub}, "not listed"},
		"missing file": {func(t *testing.T) string {
			d := unzipTo(t, good)
			os.Remove(filepath.Join(d, "GHSA-zzzz-zzzz-zzzz.json"))
			return d
		}, []ed25519.PublicKey{k.pub}, "missing"},
		"garbage signed OSV": {func(t *testing.T) string {
			src := t.TempDir()
			os.WriteFile(filepath.Join(src, "x.json"), []byte(`{"id":"GHSA-aaaa-bbbb-cccc","modified":"2026-11-01T00:00:00Z","affected":[{"package":{"name":"openclaw"}}]}`), 0o644)
			var buf bytes.Buffer
			if _, _, err := Sign(src, k.priv, bundleNow, &buf, false); err != nil {
				t.Fatal(err)
			}
			// Replace the record after signing with garbage and re-sign
			// the manifest honestly: the signature is fine, the content
			// is not OSV.
			d := unzipTo(t, writeTemp(t, buf.Bytes()))
			os.WriteFile(filepath.Join(d, "x.json"), []byte("garbage{"), 0o644)
			resign(t, d, k.priv)
			return d
		}, []ed25519.PublicKey{k.pub}, "not an OSV record"},
		"truncated zip": {func(t *testing.T) string {
			return writeTemp(t, goodBytes[:len(goodBytes)/2])
		}, []ed25519.PublicKey{k.pub}, "zip"},
		"garbage file": {func(t *testing.T) string {
			return writeTemp(t, []byte("this is not a zip at all"))
		}, []ed25519.PublicKey{k.pub}, "zip"},
		"missing path": {func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope.zip") }, []ed25519.PublicKey{k.pub}, "no such file"},
		"subdirectory": {func(t *testing.T) string {
			d := unzipTo(t, good)
			os.Mkdir(filepath.Join(d, "sub"), 0o755)
			return d
		}, []ed25519.PublicKey{k.pub}, "unexpected directory"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Update(c.make(t), cache, c.trusted)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			after, _ := os.ReadFile(filepath.Join(cache, cacheFile))
			if !bytes.Equal(before, after) {
				t.Error("cached database changed")
			}
			entries, _ := os.ReadDir(cache)
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), ".tmp-") {
					t.Errorf("temp file left behind: %s", e.Name())
				}
			}
		})
	}
}

func writeTemp(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "b.zip")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// resign rewrites the manifest of an unpacked bundle for its current files
// and signs it, to build "validly signed but bad content" cases.
func resign(t *testing.T, dir string, key ed25519.PrivateKey) {
	t.Helper()
	os.Remove(filepath.Join(dir, ManifestName))
	os.Remove(filepath.Join(dir, SignatureName))
	entries, _ := os.ReadDir(dir)
	m := Manifest{Format: bundleFormat, Created: bundleNow.Format(time.RFC3339), KeyID: KeyID(key.Public().(ed25519.PublicKey))}
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		m.Files = append(m.Files, ManifestFile{Name: e.Name(), SHA256: sha256hex(b), Size: int64(len(b))})
	}
	mb := mustJSON(t, m)
	os.WriteFile(filepath.Join(dir, ManifestName), mb, 0o644)
	os.WriteFile(filepath.Join(dir, SignatureName), []byte(b64(ed25519.Sign(key, mb))), 0o644)
}

func TestCurrentIgnoresCorruptOrOlderCache(t *testing.T) {
	cache := t.TempDir()
	os.WriteFile(filepath.Join(cache, cacheFile), []byte("{garbage"), 0o644)
	_, src, err := Current(cache)
	if err != nil || src.Kind != "embedded" || !strings.Contains(src.Note, "ignored") {
		t.Errorf("corrupt cache: %v %+v", err, src)
	}
	emb, _ := Embedded()
	old := *emb
	old.Modified = "2000-01-01"
	b, _ := old.Encode()
	os.WriteFile(filepath.Join(cache, cacheFile), b, 0o644)
	if _, src, _ := Current(cache); src.Kind != "embedded" {
		t.Errorf("older cache preferred: %+v", src)
	}
}

func TestKeyFiles(t *testing.T) {
	priv, pub, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePublicKey(priv); err == nil {
		t.Error("private key accepted as public")
	}
	if _, err := ParsePrivateKey(pub); err == nil {
		t.Error("public key accepted as private")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "org.pub"), pub, 0o644)
	ks, err := TrustedKeys(dir, nil)
	if err != nil || len(ks) != 1 {
		t.Fatalf("TrustedKeys: %v %d", err, len(ks))
	}
	os.WriteFile(filepath.Join(dir, "bad.pub"), []byte("nonsense"), 0o644)
	if _, err := TrustedKeys(dir, nil); err == nil {
		t.Error("malformed trusted key accepted")
	}
}

// FuzzReadBundle: arbitrary bytes as a bundle never panic and are never
// accepted (no input without the private key can carry a valid signature).
func FuzzReadBundle(f *testing.F) {
	privB, pubB, _ := GenerateKey()
	priv, _ := ParsePrivateKey(privB)
	pub, _ := ParsePublicKey(pubB)
	src := f.TempDir()
	os.WriteFile(filepath.Join(src, "GHSA-zzzz-zzzz-zzzz.json"), newRecord("GHSA-zzzz-zzzz-zzzz"), 0o644)
	var good bytes.Buffer
	Sign(src, priv, bundleNow, &good, false)
	other, _, _ := GenerateKey()
	otherKey, _ := ParsePrivateKey(other)
	var foreign bytes.Buffer
	Sign(src, otherKey, bundleNow, &foreign, false)
	f.Add(foreign.Bytes())
	f.Add(good.Bytes()[:len(good.Bytes())/3])
	f.Add([]byte("PK\x03\x04garbage"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if bytes.Equal(b, good.Bytes()) {
			return
		}
		p := filepath.Join(t.TempDir(), "b.zip")
		os.WriteFile(p, b, 0o644)
		if _, err := ReadBundle(p, []ed25519.PublicKey{pub}); err == nil {
			// Only a re-packing of the genuinely signed manifest can pass.
			if !bytes.Contains(b, []byte(ManifestName)) {
				t.Fatal("bundle without a manifest accepted")
			}
		}
	})
}

// TestSignFromOSVExport: an OSV-style export zip (other npm packages, a
// nested path) becomes a bundle of the OpenClaw records only.
func TestSignFromOSVExport(t *testing.T) {
	k := newKeys(t)
	var exp bytes.Buffer
	zw := zip.NewWriter(&exp)
	for name, body := range map[string][]byte{
		"npm/GHSA-zzzz-zzzz-zzzz.json": newRecord("GHSA-zzzz-zzzz-zzzz"),
		"GHSA-llll-llll-llll.json":     bytes.ReplaceAll(bytes.ReplaceAll(newRecord("GHSA-llll-llll-llll"), []byte(`"openclaw"`), []byte(`"lodash"`)), []byte("CVE-2026-99999"), []byte("CVE-2026-88888")),
		"README.txt":                   []byte("not a record"),
	} {
		w, _ := zw.Create(name)
		w.Write(body)
	}
	zw.Close()
	src := writeTemp(t, exp.Bytes())
	var out bytes.Buffer
	n, skipped, err := Sign(src, k.priv, bundleNow, &out, false)
	if err != nil || n != 1 || skipped != 1 {
		t.Fatalf("Sign = %d, %d, %v; want 1 kept, 1 left out", n, skipped, err)
	}
	b, err := ReadBundle(writeTemp(t, out.Bytes()), []ed25519.PublicKey{k.pub})
	if err != nil || len(b.Records) != 1 || b.Records[0].ID != "GHSA-zzzz-zzzz-zzzz" {
		t.Fatalf("bundle: %v %+v", err, b)
	}
	out.Reset()
	if n, _, err := Sign(src, k.priv, bundleNow, &out, true); err != nil || n != 2 {
		t.Fatalf("Sign --all = %d, %v", n, err)
	}
	// Update ignores the unrelated record of an --all bundle.
	res, err := Update(writeTemp(t, out.Bytes()), t.TempDir(), []ed25519.PublicKey{k.pub})
	if err != nil || res.Records != 1 || res.Skipped != 1 {
		t.Fatalf("Update = %+v, %v", res, err)
	}
	// Nothing about OpenClaw: refused with a reason.
	only := t.TempDir()
	os.WriteFile(filepath.Join(only, "x.json"), bytes.ReplaceAll(newRecord("GHSA-llll-llll-llll"), []byte(`"openclaw"`), []byte(`"lodash"`)), 0o644)
	if _, _, err := Sign(only, k.priv, bundleNow, &out, false); err == nil || !strings.Contains(err.Error(), "no OSV records concerning OpenClaw") {
		t.Errorf("irrelevant-only source: %v", err)
	}
}
