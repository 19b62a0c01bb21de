package agent

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/fleet/wire"
)

// recorder is a minimal ingest endpoint that verifies signatures and
// records the order of accepted report IDs.
type recorder struct {
	mu  sync.Mutex
	pub ed25519.PublicKey
	got []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	s, e := wire.ParseHeaders(req.Header)
	if e == nil {
		e = s.Verify(r.pub, req.Method, req.URL.Path)
	}
	if e != nil {
		wire.WriteError(w, e)
		return
	}
	b, _ := io.ReadAll(req.Body)
	if wire.Digest(b) != s.Digest {
		wire.WriteError(w, wire.Errorf(wire.CodeDigestMismatch, "x"))
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s.ReportID == "report-bad" {
		wire.WriteError(w, wire.Errorf(wire.CodeMalformed, "bad"))
		return
	}
	r.got = append(r.got, s.ReportID)
	w.WriteHeader(201)
	_ = json.NewEncoder(w).Encode(map[string]string{"report_id": s.ReportID})
}

func TestSpoolOutageAndOrder(t *testing.T) {
	dir := t.TempDir()
	key, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(filepath.Join(dir, "host.key")); st.Mode().Perm() != 0o600 {
		t.Fatalf("key mode %v", st.Mode())
	}
	again, _ := LoadOrCreateKey(dir)
	if !again.Equal(key) {
		t.Fatal("key not stable across loads")
	}
	// A port with nothing listening: the server is down.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	a := &Agent{Dir: dir, Key: key, State: State{Server: "http://" + addr, HostID: "h"}, SpoolMax: 3}
	a.init()
	for _, id := range []string{"report-0001", "report-0002", "report-bad", "report-0003"} {
		if err := a.Spool(id, []byte(`{"report_id":"`+id+`"}`)); err != nil {
			t.Fatal(err)
		}
	}
	// Bound 3: the oldest was dropped and counted.
	if a.Pending() != 3 || a.Dropped() != 1 {
		t.Fatalf("pending %d dropped %d", a.Pending(), a.Dropped())
	}
	if _, err := a.Flush(context.Background()); err == nil || a.Pending() != 3 {
		t.Fatalf("flush with server down: %v, pending %d", err, a.Pending())
	}
	// A new agent process (after kill -9) sees the same spool.
	b := &Agent{Dir: dir, Key: key, State: a.State, SpoolMax: 3}
	b.init()
	rec := &recorder{pub: key.Public().(ed25519.PublicKey)}
	l, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port reuse: %v", err)
	}
	srv := &http.Server{Handler: rec, ReadHeaderTimeout: time.Second}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	res, err := b.Flush(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.got) != 2 || rec.got[0] != "report-0002" || rec.got[1] != "report-0003" {
		t.Fatalf("sent out of order or wrong set: %v", rec.got)
	}
	if res.Rejected["report-bad"] == nil || res.Rejected["report-bad"].Code != wire.CodeMalformed || b.Pending() != 0 {
		t.Fatalf("rejected: %+v pending %d", res.Rejected, b.Pending())
	}
	// No temporary files left behind (only the lock file).
	es, _ := os.ReadDir(filepath.Join(dir, "spool"))
	if len(es) != 1 || es[0].Name() != ".lock" {
		t.Fatalf("spool not empty: %v", es)
	}
}

// TestSpoolCorruptEntry puts what a file system can leave after a power
// cut into the spool (a torn envelope, an envelope under another report's
// name, a temporary file of a killed writer): Flush skips and counts the
// unreadable entries without sending them, still sends the good ones in
// order, and the next spool operation removes the debris.
func TestSpoolCorruptEntry(t *testing.T) {
	dir := t.TempDir()
	key, _ := LoadOrCreateKey(dir)
	rec := &recorder{pub: key.Public().(ed25519.PublicKey)}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: rec, ReadHeaderTimeout: time.Second}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	a := &Agent{Dir: dir, Key: key, State: State{Server: "http://" + l.Addr().String(), HostID: "h"}}
	a.init()
	sp := filepath.Join(dir, "spool")
	if err := a.Spool("report-0001", []byte(`{"report_id":"report-0001"}`)); err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(sp, "00000000000000000002_report-0002.json"), []byte(`{"report_id":"report-00`), 0o600)
	_ = os.WriteFile(filepath.Join(sp, "00000000000000000003_report-0003.json"), []byte(`{"report_id":"report-0009"}`), 0o600)
	_ = os.WriteFile(filepath.Join(sp, ".tmp-123"), []byte(`{"report_id":"rep`), 0o600)
	if err := a.Spool("report-0004", []byte(`{"report_id":"report-0004"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(sp, ".tmp-123")); !os.IsNotExist(err) {
		t.Fatalf("stale temporary file kept: %v", err)
	}
	res, err := a.Flush(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.got) != 2 || rec.got[0] != "report-0001" || rec.got[1] != "report-0004" {
		t.Fatalf("sent %v", rec.got)
	}
	if res.Corrupt != 2 || a.Corrupt() != 2 || a.Pending() != 0 {
		t.Fatalf("corrupt %d (counter %d), pending %d", res.Corrupt, a.Corrupt(), a.Pending())
	}
}

func TestPinnedClient(t *testing.T) {
	c := Client("00", time.Second)
	if c.Transport.(*http.Transport).TLSClientConfig == nil {
		t.Fatal("pin not applied")
	}
	if err := c.Transport.(*http.Transport).TLSClientConfig.VerifyPeerCertificate([][]byte{[]byte("cert")}, nil); err == nil {
		t.Fatal("wrong certificate accepted")
	}
}
