package registry

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/skillscan"
	"github.com/clawgov/clawgov/internal/sqldb"
	"github.com/clawgov/clawgov/internal/sqldb/sqldbtest"
)

// benchApproved is the store size the targets are stated for.
const benchApproved = 10000

// benchServer is a registry with benchApproved approved versions (2,500
// skills of 4 versions each, every one with its own archive blob).
func benchServer(b *testing.B, db *sqldb.DB) (*Server, string) {
	b.Helper()
	ctx := context.Background()
	st, err := NewStore(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	sc, err := skillscan.New(skillscan.Options{})
	if err != nil {
		b.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(nil)
	blobs := &Blobs{Dir: b.TempDir()}
	srv, err := New(Options{Store: st, Blobs: blobs, Scanner: sc, Signer: NewSigner(priv), PublicRead: true,
		Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	if err := seedApproved(ctx, srv, benchApproved); err != nil {
		b.Fatal(err)
	}
	sec := NewSecret()
	if err := st.CreateToken(ctx, Token{ID: NewID(), Handle: "bench", Role: RolePublisher}, sec, Event{Actor: "bench", Action: "token.create", Object: "bench"}); err != nil {
		b.Fatal(err)
	}
	return srv, sec
}

// seedApproved stores n approved, signed versions directly (a publish
// scans each one, which is what BenchmarkPublish measures; seeding through
// it would take minutes). All rows go in one transaction.
func seedApproved(ctx context.Context, srv *Server, n int) error {
	const perSkill = 4
	now := time.Now().UnixMilli()
	return srv.o.Store.db.InTx(ctx, func(tx *sqldb.Tx) error {
		for i := 0; i < n; i++ {
			slug := fmt.Sprintf("seed-skill-%05d", i/perSkill)
			ver := fmt.Sprintf("1.%d.0", i%perSkill)
			files := map[string][]byte{
				"SKILL.md":      []byte(fmt.Sprintf("---\nname: %s\ndescription: Seeded skill %d for the benchmark.\n---\n# %s %s\n\nSummarise the user's notes.\n", slug, i, slug, ver)),
				"docs/usage.md": []byte("Ask for a summary.\n"),
			}
			archive, err := BuildArchive(files)
			if err != nil {
				return err
			}
			if _, err := srv.o.Blobs.Put(archive); err != nil {
				return err
			}
			v := Version{ID: NewID(), Slug: slug, Version: ver, Owner: "seed", Publisher: "seed", DisplayName: slug,
				State: StateApproved, StateReason: "seeded", ArchiveSHA256: sha256Hex(archive), ArchiveSize: int64(len(archive)),
				FileTree: skillscan.FileTreeSHA256Files(files), SkillFileSHA: sha256Hex(files["SKILL.md"]), Fingerprint: Fingerprint(files),
				ScanVerdict: "clean", Scanner: "seed", CreatedAt: now + int64(i), DecidedAt: &now}
			v.ApprovalRecord, v.ApprovalSig = srv.o.Signer.Sign(srv.record(v, now))
			if i%perSkill == 0 {
				if _, err := tx.Exec(ctx, `INSERT INTO registry_skills (slug, owner_handle, display_name, summary, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
					slug, v.Owner, slug, "", now, now); err != nil {
					return err
				}
			}
			metas, _ := json.Marshal([]FileMeta{})
			if _, err := tx.Exec(ctx, `INSERT INTO registry_versions (`+versionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				v.ID, v.Slug, v.Version, v.Owner, v.Publisher, v.DisplayName, v.Summary, v.Changelog, v.State, v.StateReason,
				v.ArchiveSHA256, v.ArchiveSize, v.FileTree, v.SkillFileSHA, v.Fingerprint, string(metas), v.ScanVerdict, v.ScanScore, "null", v.Scanner,
				"[]", v.ApprovalRecord, v.ApprovalSig, v.CreatedAt, v.DecidedAt); err != nil {
				return err
			}
		}
		return nil
	})
}

// benchSkills are the skills BenchmarkPublish publishes: real ClawHub
// skills from the shared benchmark set when it is there (typical sizes and
// layouts), otherwise one synthetic skill of typical size.
func benchSkills(b *testing.B) ([]map[string][]byte, string) {
	data := os.Getenv("CLAWGOV_SHARED_DATA")
	if data == "" {
		data = filepath.Join("..", "..", "..", "shared", "data")
	}
	dir := filepath.Join(data, "skills-bench")
	var out []map[string][]byte
	owners, _ := os.ReadDir(dir)
	for _, o := range owners {
		slugs, _ := os.ReadDir(filepath.Join(dir, o.Name()))
		for _, s := range slugs {
			root := filepath.Join(dir, o.Name(), s.Name())
			files := map[string][]byte{}
			_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err != nil || !d.Type().IsRegular() {
					return nil
				}
				rel, _ := filepath.Rel(root, p)
				if data, err := os.ReadFile(p); err == nil {
					files[filepath.ToSlash(rel)] = data
				}
				return nil
			})
			if CheckFiles(files) == nil {
				out = append(out, files)
			}
			if len(out) == 500 {
				return out, dir
			}
		}
	}
	if len(out) > 0 {
		return out, dir
	}
	md := "---\nname: notes-digest\ndescription: Summarise meeting notes into action items.\n---\n# Notes digest\n\n" +
		strings.Repeat("When the user pastes meeting notes, list decisions, owners and due dates. Keep it short.\n", 40)
	py := "import sys, json\n\n" + strings.Repeat("def item(line):\n    return {'text': line.strip()}\n\n", 40)
	return []map[string][]byte{{"SKILL.md": []byte(md), "scripts/digest.py": []byte(py), "README.md": []byte("Notes digest.\n")}}, "synthetic"
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// BenchmarkPublish measures scan-on-publish: archive build, the full skill
// scan, look-alike check against every approved slug, blob write and the
// queued row with its events, on a store holding benchApproved approved
// versions. It reports versions/s and p50/p99 per publish.
func BenchmarkPublish(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchPublish(b, sqldbtest.SQLite) })
	if os.Getenv("CLAWGOV_BENCH_POSTGRES") == "1" {
		b.Run("postgres", func(b *testing.B) { benchPublish(b, sqldbtest.Postgres) })
	}
}

// benchSeq keeps slugs unique across the runs of one benchmark.
var benchSeq atomic.Int64

func benchPublish(b *testing.B, open func(testing.TB) *sqldb.DB) {
	srv, _ := benchServer(b, open(b))
	skills, src := benchSkills(b)
	ctx := context.Background()
	p := Principal{Handle: "bench", Role: RolePublisher, Remote: "127.0.0.1"}
	lat := make([]time.Duration, 0, b.N)
	var bytes int64
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		files := skills[i%len(skills)]
		// A copy: Publish drops a published skill-card.md from the map.
		fc := make(map[string][]byte, len(files))
		for k, v := range files {
			fc[k] = v
			bytes += int64(len(v))
		}
		req := PublishRequest{Slug: fmt.Sprintf("bench-publish-%07d", benchSeq.Add(1)), Version: "1.0.0"}
		t0 := time.Now()
		if _, err := srv.Publish(ctx, p, req, fc); err != nil {
			b.Fatalf("publish %d: %v", i, err)
		}
		lat = append(lat, time.Since(t0))
	}
	el := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "versions/s")
	reportPercentiles(b, lat)
	b.ReportMetric(float64(bytes)/float64(b.N), "skill_bytes")
	b.Logf("skills from %s (%d distinct)", src, len(skills))
}

// BenchmarkInstall measures install resolution as OpenClaw performs it:
// GET /api/v1/skills/{slug}/install then GET the returned downloadUrl
// (the archive re-hashed on read, the download event appended), over
// loopback HTTP against benchApproved approved versions, random skills.
func BenchmarkInstall(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchInstall(b, sqldbtest.SQLite) })
	if os.Getenv("CLAWGOV_BENCH_POSTGRES") == "1" {
		b.Run("postgres", func(b *testing.B) { benchInstall(b, sqldbtest.Postgres) })
	}
}

func benchInstall(b *testing.B, open func(testing.TB) *sqldb.DB) {
	srv, _ := benchServer(b, open(b))
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	cl := &http.Client{Timeout: 30 * time.Second}
	get := func(u string) ([]byte, error) {
		resp, err := cl.Get(u)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			return nil, fmt.Errorf("%s: %d %s", u, resp.StatusCode, body)
		}
		return body, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		slug := fmt.Sprintf("seed-skill-%05d", rng.IntN(benchApproved/4))
		t0 := time.Now()
		body, err := get(ts.URL + "/api/v1/skills/" + slug + "/install")
		if err != nil {
			b.Fatal(err)
		}
		var ir struct {
			Archive struct{ DownloadURL, SHA256 string }
		}
		if err := json.Unmarshal(body, &ir); err != nil || ir.Archive.DownloadURL == "" {
			b.Fatalf("install answer %s: %v", body, err)
		}
		zip, err := get(ir.Archive.DownloadURL)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
		if sha256Hex(zip) != ir.Archive.SHA256 {
			b.Fatalf("%s: downloaded bytes differ from the install answer's sha256", slug)
		}
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50_ms")
	b.ReportMetric(q(0.99), "p99_ms")
}
