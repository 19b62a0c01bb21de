package advisory

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// osvExport is a zip shaped like OSV's per-ecosystem export: records of
// other npm packages around the OpenClaw ones, in a nested folder.
func osvExport(t *testing.T, extra map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	files := map[string][]byte{
		"npm/GHSA-zzzz-zzzz-zzzz.json": newRecord("GHSA-zzzz-zzzz-zzzz"),
		"npm/GHSA-left-padx-0000.json": []byte(`{"schema_version":"1.4.0","id":"GHSA-left-padx-0000","modified":"2026-11-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"left-pad"}}]}`),
		"npm/MAL-2026-1.json":          []byte(`{"id":"MAL-2026-1","modified":"2026-11-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"evil-thing"}}]}`),
	}
	for k, v := range extra {
		files[k] = v
	}
	for name, b := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func serve(t *testing.T, tls bool, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv
}

func bytesHandler(b []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { w.Write(b) }
}

// cacheState is the cache dir's files and contents, to show a refused
// update changed nothing (and left no temporary download behind).
func cacheState(t *testing.T, dir string) string {
	t.Helper()
	var sb strings.Builder
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		sb.WriteString(e.Name() + "=" + string(b) + "\n")
	}
	return sb.String()
}

func TestUpdateFromURLOSVExportOverHTTPS(t *testing.T) {
	srv := serve(t, true, bytesHandler(osvExport(t, nil)))
	xdg := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", xdg)
	cache, err := DefaultCacheDir()
	if err != nil || !strings.HasPrefix(cache, xdg) {
		t.Fatalf("cache dir %q: %v", cache, err)
	}
	res, err := UpdateFromURL(context.Background(), srv.URL+"/npm/all.zip", cache, nil, FetchOptions{Client: srv.Client(), Now: bundleNow})
	if err != nil {
		t.Fatal(err)
	}
	if res.Records != 1 || res.Skipped != 2 || res.KeyID != "" || !res.InUse || res.Source != srv.URL+"/npm/all.zip" {
		t.Errorf("result %+v", res)
	}
	db, src, err := Current(cache)
	if err != nil || src.Kind != "cache" {
		t.Fatalf("Current: %v %+v", err, src)
	}
	a, ok := db.Get("CVE-2026-99999")
	if !ok || a.Provenance["summary"] != "osv-export:GHSA-zzzz-zzzz-zzzz.json" {
		t.Fatalf("export record missing or without provenance: %+v", a)
	}
	if d := db.Sources["osv-export"]; !strings.Contains(d, "1 OSV records from the export "+srv.URL) || !strings.Contains(d, "fetched 2026-11-01") {
		t.Errorf("source description %q", d)
	}
	if _, ok := db.Get("GHSA-left-padx-0000"); ok {
		t.Error("a record about another package was imported")
	}
	// The report's meta.data names what the database was built from.
	if d := Describe(bundleNow, 0).Advisories; d == nil || !strings.Contains(d.Source, "from the export "+srv.URL) {
		t.Errorf("meta.data advisories = %+v", d)
	}
}

// TestUpdateFromURLWithCACert goes through the real client construction:
// the test server's certificate is trusted only through --ca-cert.
func TestUpdateFromURLWithCACert(t *testing.T) {
	srv := serve(t, true, bytesHandler(osvExport(t, nil)))
	cache := t.TempDir()
	if _, err := UpdateFromURL(context.Background(), srv.URL, cache, nil, FetchOptions{}); err == nil || !errors.As(err, new(*FetchError)) {
		t.Fatalf("untrusted certificate: err = %v, want a FetchError", err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644)
	if _, err := UpdateFromURL(context.Background(), srv.URL, cache, nil, FetchOptions{CACert: ca}); err != nil {
		t.Fatalf("with --ca-cert: %v", err)
	}
	if _, err := UpdateFromURL(context.Background(), srv.URL, cache, nil, FetchOptions{CACert: filepath.Join(t.TempDir(), "none.pem")}); err == nil {
		t.Fatal("missing CA file accepted")
	}
}

func TestUpdateFromURLSignedBundleOverHTTP(t *testing.T) {
	k := newKeys(t)
	b, err := os.ReadFile(makeBundle(t, k))
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, false, bytesHandler(b))
	cache := t.TempDir()
	res, err := UpdateFromURL(context.Background(), srv.URL+"/b.zip", cache, []ed25519.PublicKey{k.pub}, FetchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Records != 1 || res.KeyID == "" {
		t.Errorf("result %+v", res)
	}
	// The same bundle by an untrusted signer is refused, over any transport.
	other := newKeys(t)
	before := cacheState(t, cache)
	if _, err := UpdateFromURL(context.Background(), srv.URL+"/b.zip", cache, []ed25519.PublicKey{other.pub}, FetchOptions{}); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("untrusted signer: %v", err)
	}
	if cacheState(t, cache) != before {
		t.Error("refused bundle changed the cache")
	}
}

// TestUpdateFromURLRefuses: each bad source is a one-line error, the cache
// is exactly as it was and no partial download is left behind.
func TestUpdateFromURLRefuses(t *testing.T) {
	good := osvExport(t, nil)
	cases := []struct {
		name  string
		tls   bool
		h     http.HandlerFunc
		opt   FetchOptions
		url   string
		want  string
		fetch bool
	}{
		{name: "unsigned export over plain http", h: bytesHandler(good), want: "plain HTTP"},
		{name: "not found", tls: true, h: http.NotFound, want: "HTTP 404", fetch: true},
		{name: "truncated body", tls: true, fetch: true, want: "unexpected EOF", h: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", "100000")
			w.Write(good[:100])
		}},
		{name: "not a zip", tls: true, h: bytesHandler([]byte("<html>login</html>")), want: "not a readable zip"},
		{name: "no records", tls: true, h: bytesHandler(func() []byte {
			var b bytes.Buffer
			zip.NewWriter(&b).Close()
			return b.Bytes()
		}()), want: "no OSV JSON records"},
		{name: "broken OpenClaw record", tls: true, want: "not an OSV record", h: bytesHandler(osvExport(t, map[string][]byte{
			"npm/GHSA-bad.json": []byte(`{"id":"GHSA-bad","affected":[{"package":{"name":"openclaw"}}]`),
		}))},
		{name: "token in the query is not shown", tls: true, h: http.NotFound, url: "?token=s3cr3t-value", want: "REDACTED", fetch: true},
		{name: "not http", url: "ftp://127.0.0.1/x", want: "not an http(s) URL", fetch: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cache := t.TempDir()
			os.WriteFile(filepath.Join(cache, "advisories.json"), []byte("previous"), 0o644)
			before := cacheState(t, cache)
			u := c.url
			opt := c.opt
			if !strings.HasPrefix(u, "ftp:") {
				srv := serve(t, c.tls, c.h)
				u = srv.URL + "/all.zip" + u
				opt.Client = srv.Client()
			}
			_, err := UpdateFromURL(context.Background(), u, cache, nil, opt)
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") || strings.Contains(msg, "s3cr3t") {
				t.Errorf("error %q, want one line containing %q and no secret", msg, c.want)
			}
			if got := errors.As(err, new(*FetchError)); got != c.fetch {
				t.Errorf("FetchError = %v, want %v (%v)", got, c.fetch, err)
			}
			if cacheState(t, cache) != before {
				t.Errorf("cache changed:\n%s", cacheState(t, cache))
			}
		})
	}
	t.Run("plain http allowed for a closed-network mirror", func(t *testing.T) {
		srv := serve(t, false, bytesHandler(good))
		if _, err := UpdateFromURL(context.Background(), srv.URL, t.TempDir(), nil, FetchOptions{AllowHTTP: true}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("over the size limit", func(t *testing.T) {
		old := maxFetchBytes
		maxFetchBytes = 64
		defer func() { maxFetchBytes = old }()
		for _, chunked := range []bool{false, true} {
			srv := serve(t, false, func(w http.ResponseWriter, _ *http.Request) {
				if chunked {
					w.(http.Flusher).Flush()
				}
				w.Write(good)
			})
			cache := t.TempDir()
			_, err := UpdateFromURL(context.Background(), srv.URL, cache, nil, FetchOptions{AllowHTTP: true})
			if err == nil || !strings.Contains(err.Error(), "limit") {
				t.Fatalf("chunked=%v: %v", chunked, err)
			}
			if s := cacheState(t, cache); s != "" {
				t.Errorf("left behind: %s", s)
			}
		}
	})
}

func FuzzReadExport(f *testing.F) {
	f.Add([]byte("PK\x03\x04garbage"))
	f.Add([]byte{})
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("a/GHSA-zzzz-zzzz-zzzz.json")
	w.Write(newRecord("GHSA-zzzz-zzzz-zzzz"))
	zw.Close()
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "x.zip")
		os.WriteFile(p, data, 0o644)
		ex, err := ReadExport(p)
		if err != nil {
			return
		}
		for _, r := range ex.Records {
			if !Relevant(r) {
				t.Fatalf("kept a record not about OpenClaw: %s", r.ID)
			}
		}
	})
}
