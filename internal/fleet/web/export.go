package web

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/clawgov/clawgov/internal/advisory"
	"github.com/clawgov/clawgov/internal/output"
)

// exportPage is how many hosts an export reads per Source call.
const exportPage = 1000

func contentDisposition(name string) string {
	return mime.FormatMediaType("attachment", map[string]string{"filename": name})
}

// csvSafe defuses spreadsheet formulas: a hostname such as "=HYPERLINK(...)"
// must stay text when an auditor opens the CSV in Excel.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// HostRecord is one host in the JSONL export, in the API's shape.
type HostRecord struct {
	ID              string            `json:"id"`
	Hostname        string            `json:"hostname"`
	Address         string            `json:"address,omitempty"`
	LastSeen        string            `json:"last_seen"`
	LastReport      string            `json:"last_report"`
	Stale           bool              `json:"stale"`
	Clone           bool              `json:"clone,omitempty"`
	Profile         string            `json:"profile"`
	OpenClawVersion string            `json:"openclaw_version"`
	Tags            []string          `json:"tags"`
	Controls        map[string]string `json:"controls"`
}

func (d *Dashboard) hostRecord(h Host) HostRecord {
	rec := HostRecord{
		ID: h.ID, Hostname: h.Hostname, Address: h.Address, LastSeen: rfc3339(h.LastSeen), LastReport: rfc3339(h.LastReport),
		Stale: h.Stale, Clone: h.Clone, Profile: h.Profile, OpenClawVersion: h.OpenClawVersion, Tags: h.Tags, Controls: map[string]string{},
	}
	if rec.Tags == nil {
		rec.Tags = []string{}
	}
	for _, c := range d.ctls {
		st := orUnknown(h.Controls[c.ID])
		if h.Stale {
			st = "unknown"
		}
		rec.Controls[c.ID] = st
	}
	return rec
}

// eachHost pages through every host matching f.
func (d *Dashboard) eachHost(r *http.Request, f HostFilter, fn func(Host) error) error {
	f.Offset, f.Limit = 0, exportPage
	for {
		hp, err := d.o.Source.Hosts(r.Context(), userOf(r), f)
		if err != nil {
			return err
		}
		for _, h := range hp.Hosts {
			if err := fn(h); err != nil {
				return err
			}
		}
		f.Offset += len(hp.Hosts)
		if len(hp.Hosts) == 0 || f.Offset >= hp.Total {
			return nil
		}
	}
}

// exportHosts writes the hosts table: CSV with one row per host × control
// (UTF-8 with a BOM so Excel reads the Chinese, RFC 4180 quoting), or
// JSONL with one host per line. The whole export is built before the
// first byte is sent, so a failure gives an error status, never a
// truncated file that looks complete.
func (d *Dashboard) exportHosts(format string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f := d.hostFilter(r.URL.Query())
		var buf bytes.Buffer
		var err error
		switch format {
		case "csv":
			buf.WriteString("\ufeff")
			cw := csv.NewWriter(&buf)
			cw.UseCRLF = true
			_ = cw.Write([]string{"host_id", "hostname", "address", "openclaw_version", "profile", "tags", "stale", "last_seen", "last_report", "control", "status"})
			err = d.eachHost(r, f, func(h Host) error {
				rec := d.hostRecord(h)
				for _, c := range d.ctls {
					if err := cw.Write([]string{
						csvSafe(rec.ID), csvSafe(rec.Hostname), csvSafe(rec.Address), csvSafe(rec.OpenClawVersion), csvSafe(rec.Profile),
						csvSafe(strings.Join(rec.Tags, ";")), fmt.Sprint(rec.Stale), rec.LastSeen, rec.LastReport, c.ID, rec.Controls[c.ID],
					}); err != nil {
						return err
					}
				}
				return nil
			})
			cw.Flush()
			if err == nil {
				err = cw.Error()
			}
		default:
			enc := json.NewEncoder(&buf)
			err = d.eachHost(r, f, func(h Host) error { return enc.Encode(d.hostRecord(h)) })
		}
		if err != nil {
			d.sourceErr(w, r, err)
			return
		}
		d.o.Logger.Info("dashboard export", "user", userOf(r).Name, "what", "hosts", "format", format)
		sendExport(w, "hosts."+format, format, buf.Bytes())
	}
}

func sendExport(w http.ResponseWriter, name, format string, b []byte) {
	ct := "application/x-ndjson"
	if format == "csv" {
		ct = "text/csv; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", contentDisposition(name))
	_, _ = w.Write(b)
}

// FindingRecord is one finding in the JSONL export.
type FindingRecord struct {
	HostID   string   `json:"host_id"`
	Hostname string   `json:"hostname"`
	CheckID  string   `json:"check_id"`
	Controls []string `json:"controls"`
	Severity string   `json:"severity"`
	Status   string   `json:"status"`
	Title    string   `json:"title"`
	Message  string   `json:"message"`
}

func (d *Dashboard) exportFindings(format string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f := d.findingFilter(r.URL.Query())
		f.Limit = 0 // exports are not paged
		fs, err := d.o.Source.Findings(r.Context(), userOf(r), f)
		if err != nil {
			d.sourceErr(w, r, err)
			return
		}
		var buf bytes.Buffer
		if format == "csv" {
			buf.WriteString("\ufeff")
			cw := csv.NewWriter(&buf)
			cw.UseCRLF = true
			_ = cw.Write([]string{"host_id", "hostname", "check_id", "controls", "severity", "status", "title", "message"})
			for _, x := range fs {
				_ = cw.Write([]string{csvSafe(x.HostID), csvSafe(x.Hostname), csvSafe(x.CheckID), strings.Join(x.Controls, ";"),
					csvSafe(x.Severity), csvSafe(x.Status), csvSafe(x.Title), csvSafe(x.Message)})
			}
			cw.Flush()
			err = cw.Error()
		} else {
			enc := json.NewEncoder(&buf)
			for _, x := range fs {
				ctl := x.Controls
				if ctl == nil {
					ctl = []string{}
				}
				if err = enc.Encode(FindingRecord{x.HostID, x.Hostname, x.CheckID, ctl, x.Severity, x.Status, x.Title, x.Message}); err != nil {
					break
				}
			}
		}
		if err != nil {
			d.fail(w, r, http.StatusInternalServerError, "server_error", err)
			return
		}
		d.o.Logger.Info("dashboard export", "user", userOf(r).Name, "what", "findings", "format", format)
		sendExport(w, "findings."+format, format, buf.Bytes())
	}
}

// Evidence bundle: a zip of the selected reports, each as the exact JSON
// the agent sent (with the catalog texts a compact one leaves out) and as
// the HTML report, with a manifest listing every
// file's SHA-256 and size, signed (ed25519, detached, over the manifest's
// exact bytes, as internal/advisory signs its bundles) with the server key.
// An auditor verifies offline with VerifyBundle or any ed25519 tool.
const (
	BundleManifest  = "manifest.json"
	BundleSignature = "manifest.json.sig"
	BundlePublicKey = "server-key.pub"
	bundleFormat    = "clawgov-evidence/1"
	maxBundle       = 200
)

// BundleManifestDoc is the manifest of an evidence bundle.
type BundleManifestDoc struct {
	Format    string                  `json:"format"`
	Created   string                  `json:"created"`
	CreatedBy string                  `json:"created_by"`
	KeyID     string                  `json:"key_id"`
	Reports   []BundleReport          `json:"reports"`
	Files     []advisory.ManifestFile `json:"files"`
}

// BundleReport says which host and report each file pair came from.
type BundleReport struct {
	ID         string `json:"id"`
	HostID     string `json:"host_id"`
	Hostname   string `json:"hostname"`
	ReceivedAt string `json:"received_at"`
	JSON       string `json:"json"`
	HTML       string `json:"html"`
	// Texts is the file holding the catalog texts a compact JSON leaves
	// out (its envelope's texts digest names them; wire.Texts).
	Texts string `json:"texts,omitempty"`
}

func (d *Dashboard) bundle(w http.ResponseWriter, r *http.Request) {
	if d.o.BundleKey == nil {
		d.fail(w, r, http.StatusServiceUnavailable, "server_error", errors.New("no bundle signing key configured"))
		return
	}
	ids := r.PostForm["report"]
	sort.Strings(ids)
	ids = compactStrings(ids)
	if len(ids) == 0 || len(ids) > maxBundle {
		d.fail(w, r, http.StatusBadRequest, "bad_request", fmt.Errorf("bundle of %d reports (1..%d)", len(ids), maxBundle))
		return
	}
	u := userOf(r)
	var reports []StoredReport
	for _, id := range ids {
		// Each pick is "hostID/reportID": reports are keyed per host.
		hostID, reportID, ok := strings.Cut(id, "/")
		if !ok {
			d.fail(w, r, http.StatusBadRequest, "bad_request", fmt.Errorf("bundle pick %q", id))
			return
		}
		sr, err := d.o.Source.Report(r.Context(), u, hostID, reportID)
		if err == nil && sr.Report == nil {
			err = ErrNotFound
		}
		if err != nil {
			d.sourceErr(w, r, err)
			return
		}
		reports = append(reports, sr)
	}
	var buf bytes.Buffer
	if err := WriteBundle(&buf, reports, d.o.BundleKey, d.o.Now(), u.Name); err != nil {
		d.fail(w, r, http.StatusInternalServerError, "server_error", err)
		return
	}
	d.o.Logger.Info("dashboard export", "user", u.Name, "what", "evidence-bundle", "reports", len(ids))
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", contentDisposition("clawgov-evidence-"+d.o.Now().UTC().Format("20060102T150405Z")+".zip"))
	_, _ = w.Write(buf.Bytes())
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if x != "" && (i == 0 || x != s[i-1]) {
			out = append(out, x)
		}
	}
	return out
}

// safeName keeps report IDs usable as zip member names.
func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 128 && (r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return strings.TrimLeft(b.String(), ".")
}

// WriteBundle writes an evidence bundle of reports to w.
func WriteBundle(w io.Writer, reports []StoredReport, key ed25519.PrivateKey, now time.Time, by string) error {
	pub := key.Public().(ed25519.PublicKey)
	m := BundleManifestDoc{Format: bundleFormat, Created: now.UTC().Format(time.RFC3339), CreatedBy: by, KeyID: advisory.KeyID(pub)}
	files := map[string][]byte{}
	for i, sr := range reports {
		base := fmt.Sprintf("reports/%03d-%s", i+1, safeName(sr.Ref.ID))
		var h bytes.Buffer
		if err := (output.HTMLWriter{}).Write(&h, sr.Report); err != nil {
			return fmt.Errorf("bundle: render report %s: %w", sr.Ref.ID, err)
		}
		files[base+".json"], files[base+".html"] = sr.Raw, h.Bytes()
		br := BundleReport{ID: sr.Ref.ID, HostID: sr.Ref.HostID, Hostname: sr.Report.Target.Host,
			ReceivedAt: rfc3339(sr.Ref.ReceivedAt), JSON: base + ".json", HTML: base + ".html"}
		if sr.TextsDigest != "" {
			// A compact report's JSON leaves the catalog texts out: the
			// bundle carries them, so it stands on its own offline.
			br.Texts = "catalog-texts/" + safeName(sr.TextsDigest) + ".json"
			files[br.Texts] = sr.Texts
		}
		m.Reports = append(m.Reports, br)
	}
	files[BundlePublicKey] = fmt.Appendf(nil, "clawgov-ed25519-public %s\n", base64.StdEncoding.EncodeToString(pub))
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := sha256.Sum256(files[n])
		m.Files = append(m.Files, advisory.ManifestFile{Name: n, SHA256: hex.EncodeToString(s[:]), Size: int64(len(files[n]))})
	}
	mb, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return err
	}
	sig := ed25519.Sign(key, mb)
	bw := bufio.NewWriter(w)
	zw := zip.NewWriter(bw)
	put := func(name string, b []byte) error {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: now.UTC()})
		if err != nil {
			return err
		}
		_, err = fw.Write(b)
		return err
	}
	if err := put(BundleManifest, mb); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if err := put(BundleSignature, []byte(base64.StdEncoding.EncodeToString(sig)+"\n")); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	for _, n := range names {
		if err := put(n, files[n]); err != nil {
			return fmt.Errorf("bundle: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	return bw.Flush()
}

// VerifyBundle checks an evidence bundle: the manifest's signature by pub,
// and every listed file's size and SHA-256; a file in the zip that the
// manifest does not list is an error too. It returns the manifest.
func VerifyBundle(zipData []byte, pub ed25519.PublicKey) (*BundleManifestDoc, error) {
	zr, err := zip.NewReader(bytes.NewReader(zipData), int64(len(zipData)))
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		if f.UncompressedSize64 > 64<<20 {
			return nil, fmt.Errorf("bundle: %s too large", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("bundle: %s: %w", f.Name, err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, 64<<20))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("bundle: %s: %w", f.Name, err)
		}
		files[f.Name] = b
	}
	mb, sigb := files[BundleManifest], files[BundleSignature]
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(sigb)))
	if err != nil || mb == nil || !ed25519.Verify(pub, mb, sig) {
		return nil, errors.New("bundle: manifest signature does not verify")
	}
	var m BundleManifestDoc
	if err := json.Unmarshal(mb, &m); err != nil {
		return nil, fmt.Errorf("bundle: manifest: %w", err)
	}
	listed := map[string]bool{BundleManifest: true, BundleSignature: true}
	for _, f := range m.Files {
		b, ok := files[f.Name]
		if !ok {
			return nil, fmt.Errorf("bundle: %s listed but missing", f.Name)
		}
		s := sha256.Sum256(b)
		if hex.EncodeToString(s[:]) != f.SHA256 || int64(len(b)) != f.Size {
			return nil, fmt.Errorf("bundle: %s does not match its manifest hash", f.Name)
		}
		listed[f.Name] = true
	}
	for n := range files {
		if !listed[n] {
			return nil, fmt.Errorf("bundle: %s is not in the manifest", n)
		}
	}
	return &m, nil
}
