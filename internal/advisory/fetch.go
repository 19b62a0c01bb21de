package advisory

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"sort"
	"strings"
	"time"
)

// An update can come from a URL: either the project's own signed bundle
// (trusted by its signature, whatever the transport) or an OSV-format
// export, a zip of OSV JSON records as OSV publishes per ecosystem. An
// export carries no signature of its own, so it is trusted by its
// transport: HTTPS with a verified certificate, or plain HTTP only when the
// operator says so (an internal mirror on a closed network).
// maxFetchBytes bounds a download. OSV's npm export, every npm advisory
// and malicious-package report, is a few hundred MiB. A variable so a test
// can show the limit holds without sending a gigabyte.
var maxFetchBytes int64 = 1 << 30

// maxExportFiles bounds the records of an export we look at.
const maxExportFiles = 2_000_000

// FetchOptions says how to download an update.
type FetchOptions struct {
	// CACert is a PEM file of extra roots (an internal mirror's private CA).
	CACert string
	// AllowHTTP accepts an unsigned OSV export over plain HTTP.
	AllowHTTP bool
	// Timeout bounds the whole download (default 5 minutes).
	Timeout time.Duration
	// Client replaces the HTTP client (tests).
	Client *http.Client
	// Now stamps the source description (tests fix it).
	Now time.Time
}

// Fetched is a downloaded update: a temporary file and where it came from.
type Fetched struct {
	Path   string
	URL    string
	SHA256 string
	Size   int64
	// Plain is true when it came over plain HTTP.
	Plain bool
}

// FetchError is a download that failed (network, HTTP status, size),
// as opposed to content that was fetched and refused.
type FetchError struct{ Err error }

func (e *FetchError) Error() string { return e.Err.Error() }
func (e *FetchError) Unwrap() error { return e.Err }

// IsURL reports whether from names an http(s) source rather than a path.
func IsURL(from string) bool {
	u, err := url.Parse(from)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// Fetch downloads src into a temporary file in dir (the caller removes
// it). A non-200 answer, a body over the size cap or a broken connection is
// an error and leaves nothing behind.
func Fetch(ctx context.Context, src, dir string, o FetchOptions) (*Fetched, error) {
	u, err := url.Parse(src)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("advisory source %q: not an http(s) URL", src)
	}
	shown := redactURL(u)
	client := o.Client
	if client == nil {
		client, err = httpClient(o.CACert)
		if err != nil {
			return nil, err
		}
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, fmt.Errorf("advisory source %s: %w", shown, err)
	}
	req.Header.Set("Accept", "application/zip, application/octet-stream")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("advisory source %s: %w", shown, scrub(err, src, shown))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("advisory source %s: HTTP %s", shown, resp.Status)
	}
	if resp.ContentLength > maxFetchBytes {
		return nil, fmt.Errorf("advisory source %s: %d bytes is over the %d-byte limit", shown, resp.ContentLength, maxFetchBytes)
	}
	f, err := os.CreateTemp(dir, ".fetch-*.zip")
	if err != nil {
		return nil, fmt.Errorf("advisory download: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(resp.Body, maxFetchBytes+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > maxFetchBytes {
		err = fmt.Errorf("over the %d-byte limit", maxFetchBytes)
	}
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = fmt.Errorf("got %d of %d bytes", n, resp.ContentLength)
	}
	if err != nil {
		os.Remove(f.Name())
		return nil, fmt.Errorf("advisory source %s: %w", shown, scrub(err, src, shown))
	}
	return &Fetched{Path: f.Name(), URL: shown, SHA256: hex.EncodeToString(h.Sum(nil)), Size: n, Plain: u.Scheme == "http"}, nil
}

// httpClient honours the proxy environment and adds the roots of caFile.
func httpClient(caFile string) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("--ca-cert: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca-cert %s: no PEM certificates", caFile)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	return &http.Client{Transport: tr}, nil
}

// redactURL drops userinfo and the query (either may carry a token).
func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		c.RawQuery = "REDACTED"
	}
	c.Fragment = ""
	return c.String()
}

// scrub replaces the full URL in an error (net/http quotes it) with its
// redacted form.
func scrub(err error, full, shown string) error {
	if full == shown || !strings.Contains(err.Error(), full) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), full, shown))
}

// IsBundle reports whether the zip at p is a clawgov signed bundle (it
// holds the signed manifest) rather than a plain OSV export.
func IsBundle(p string) (bool, error) {
	st, err := os.Stat(p)
	if err != nil {
		return false, err
	}
	if st.IsDir() {
		_, err := os.Stat(path.Join(p, ManifestName))
		return err == nil, nil
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		return false, fmt.Errorf("%s: not a readable zip: %w", p, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name == ManifestName {
			return true, nil
		}
	}
	return false, nil
}

// Export is the OpenClaw part of an OSV export.
type Export struct {
	Records []*OSVRecord
	Names   []string
	// Scanned counts the export's records; the rest were not about OpenClaw.
	Scanned int
}

// ReadExport streams the zip at p and keeps the records that concern
// OpenClaw. Every record is bounded in size; a record that names an
// OpenClaw package but is not valid OSV fails the whole import, since a
// silently dropped advisory is worse than a refused update.
func ReadExport(p string) (*Export, error) {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable zip of OSV records: %w", p, err)
	}
	defer zr.Close()
	ex := &Export{}
	seen := map[string]bool{}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") || !strings.HasSuffix(f.Name, ".json") {
			continue
		}
		ex.Scanned++
		if ex.Scanned > maxExportFiles {
			return nil, fmt.Errorf("%s: more than %d records", p, maxExportFiles)
		}
		if f.UncompressedSize64 > maxFileBytes {
			return nil, fmt.Errorf("%s: %s is larger than %d bytes", p, f.Name, maxFileBytes)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", p, f.Name, err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, maxFileBytes+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: corrupt or truncated zip: %w", p, f.Name, err)
		}
		if len(b) > maxFileBytes {
			return nil, fmt.Errorf("%s: %s is larger than %d bytes", p, f.Name, maxFileBytes)
		}
		// Most of an ecosystem export is about other packages: skip those
		// without decoding them.
		if !mentionsPackage(b) {
			continue
		}
		r, err := ParseOSV(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", p, f.Name, err)
		}
		if !Relevant(r) {
			continue
		}
		name := path.Base(f.Name)
		if seen[name] {
			return nil, fmt.Errorf("%s: two records named %s", p, name)
		}
		seen[name] = true
		ex.Records = append(ex.Records, r)
		ex.Names = append(ex.Names, name)
	}
	if ex.Scanned == 0 {
		return nil, fmt.Errorf("%s: no OSV JSON records in the zip", p)
	}
	order := make([]int, len(ex.Names))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return ex.Names[order[a]] < ex.Names[order[b]] })
	recs, names := make([]*OSVRecord, len(order)), make([]string, len(order))
	for i, j := range order {
		recs[i], names[i] = ex.Records[j], ex.Names[j]
	}
	ex.Records, ex.Names = recs, names
	return ex, nil
}

// mentionsPackage is Relevant's cheap pre-filter on the raw bytes.
func mentionsPackage(b []byte) bool {
	if bytes.Contains(b, []byte(`"@openclaw/`)) {
		return true
	}
	for _, p := range Packages {
		if bytes.Contains(b, []byte(`"`+p+`"`)) {
			return true
		}
	}
	return false
}

// UpdateFromURL downloads src and imports it: a signed bundle is verified
// against trusted keys; an OSV export is accepted over HTTPS, or over plain
// HTTP only with AllowHTTP. The cache is untouched on any error.
func UpdateFromURL(ctx context.Context, src, cacheDir string, trusted []ed25519.PublicKey, o FetchOptions) (*UpdateResult, error) {
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("create cache dir: %w", err)
	}
	got, err := Fetch(ctx, src, cacheDir, o)
	if err != nil {
		return nil, &FetchError{err}
	}
	defer os.Remove(got.Path)
	bundle, err := IsBundle(got.Path)
	if err != nil {
		return nil, fmt.Errorf("advisory source %s: %w", got.URL, err)
	}
	if bundle {
		res, err := Update(got.Path, cacheDir, trusted)
		if err != nil {
			return nil, fmt.Errorf("advisory source %s: %w", got.URL, err)
		}
		res.Source = got.URL
		return res, nil
	}
	if got.Plain && !o.AllowHTTP {
		return nil, fmt.Errorf("advisory source %s: an unsigned OSV export over plain HTTP could have been altered on the way; use https, a signed bundle, or --allow-http for a mirror on a closed network", got.URL)
	}
	ex, err := ReadExport(got.Path)
	if err != nil {
		return nil, fmt.Errorf("advisory source %s: %w", got.URL, err)
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	desc := fmt.Sprintf("%d OSV records from the export %s (sha256 %s, fetched %s)", len(ex.Records), got.URL, got.SHA256[:16], now.UTC().Format("2006-01-02"))
	res, err := merge(ex.Records, ex.Names, "osv-export", desc, cacheDir, nil)
	if err != nil {
		return nil, fmt.Errorf("advisory source %s: %w", got.URL, err)
	}
	res.Skipped = ex.Scanned - len(ex.Records)
	res.Source = got.URL
	return res, nil
}
