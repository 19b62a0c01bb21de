package registry

import (
	"context"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/sqldb"
	"github.com/clawgov/clawgov/internal/sqldb/sqldbtest"
)

// The session store runs on both dialects: migration 0002 applies after
// 0001, sessions expire and die with their token, and the login throttle
// counts atomically per window.
func TestReviewSessionStore(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		st, err := NewStore(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		applied, err := db.Applied(ctx, Component)
		if err != nil || len(applied) < 2 || applied[1].Name != "review_sessions" {
			t.Fatalf("applied migrations %+v, %v", applied, err)
		}
		tok := Token{ID: NewID(), Handle: "rita", Role: RoleReviewer}
		if err := st.CreateToken(ctx, tok, NewSecret(), Event{Actor: "t", Action: "token.create", Object: "rita"}); err != nil {
			t.Fatal(err)
		}
		x := ReviewSession{ID: "s1", TokenID: tok.ID, CSRF: "c1", Remote: "127.0.0.1", CreatedAt: 1000, ExpiresAt: 5000}
		if err := st.CreateReviewSession(ctx, x); err != nil {
			t.Fatal(err)
		}
		got, err := st.ReviewSession(ctx, "s1", 4999)
		if err != nil || got.Handle != "rita" || got.Role != RoleReviewer || got.CSRF != "c1" || got.Remote != "127.0.0.1" {
			t.Fatalf("session %+v, %v", got, err)
		}
		if _, err := st.ReviewSession(ctx, "s1", 5000); err != ErrNotFound {
			t.Fatalf("expired session: %v, want ErrNotFound", err)
		}
		if _, err := st.ReviewSession(ctx, "nope", 0); err != ErrNotFound {
			t.Fatalf("unknown session: %v", err)
		}
		// A new login purges expired sessions.
		if err := st.CreateReviewSession(ctx, ReviewSession{ID: "s2", TokenID: tok.ID, CSRF: "c2", CreatedAt: 6000, ExpiresAt: 9000}); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM registry_review_sessions`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d sessions after purge (%v), want 1", n, err)
		}
		if err := st.RevokeToken(ctx, tok.ID, 7000, Event{Actor: "t", Action: "token.revoke", Object: tok.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ReviewSession(ctx, "s2", 7001); err != ErrNotFound {
			t.Fatalf("session of a revoked token: %v", err)
		}
		if err := st.DeleteReviewSession(ctx, "s2"); err != nil {
			t.Fatal(err)
		}

		w := time.Minute
		at := int64(60_000*100 + 5)
		for i := 1; i <= 3; i++ {
			if n, err := st.RecordLoginFailure(ctx, "addr:a", at+int64(i), w); err != nil || n != i {
				t.Fatalf("failure %d: %d %v", i, n, err)
			}
		}
		if n, _ := st.LoginFailures(ctx, "addr:a", at+50_000, w); n != 3 {
			t.Fatalf("failures in window: %d", n)
		}
		if n, _ := st.LoginFailures(ctx, "addr:b", at, w); n != 0 {
			t.Fatalf("other key: %d", n)
		}
		if n, _ := st.LoginFailures(ctx, "addr:a", at+60_000, w); n != 0 {
			t.Fatalf("next window: %d", n)
		}
	})
}

func TestPreviousApprovedAndCounts(t *testing.T) {
	e, ck := webEnv(t, nil)
	ctx := context.Background()
	v1 := mustPublish(t, e, "acme", "hello-claw", "1.0.0", benign)
	ck.Add(time.Second)
	v2 := mustPublish(t, e, "acme", "hello-claw", "1.1.0", benign)
	ck.Add(time.Second)
	v3 := mustPublish(t, e, "acme", "hello-claw", "1.2.0", benign)
	if _, err := e.srv.o.Store.PreviousApproved(ctx, v3); err != ErrNotFound {
		t.Fatalf("no approved version yet: %v", err)
	}
	rita := Principal{Handle: "rita", Role: RoleReviewer}
	for _, v := range []string{"1.0.0", "1.2.0"} {
		if _, err := e.srv.Review(ctx, rita, "approve", "hello-claw", v, "ok"); err != nil {
			t.Fatal(err)
		}
	}
	// 1.1.0 is compared with 1.0.0; 1.2.0 (approved itself) too, since
	// 1.1.0 was never approved; 1.0.0 with nothing.
	for _, c := range []struct {
		v    Version
		want string
	}{{v2, "1.0.0"}, {v3, "1.0.0"}} {
		p, err := e.srv.o.Store.PreviousApproved(ctx, c.v)
		if err != nil || p.Version != c.want {
			t.Errorf("previous of %s: %s %v, want %s", c.v.Version, p.Version, err, c.want)
		}
	}
	if _, err := e.srv.o.Store.PreviousApproved(ctx, v1); err != ErrNotFound {
		t.Errorf("previous of the first: %v", err)
	}
	counts, err := e.srv.o.Store.ApprovalCounts(ctx, []Version{v1, v2, v3})
	if err != nil || counts[v1.ID] != 1 || counts[v2.ID] != 0 || counts[v3.ID] != 1 {
		t.Fatalf("counts %v %v", counts, err)
	}
}

func TestDiffFiles(t *testing.T) {
	big := strings.Repeat("x", diffFileMax+1)
	long := func(n int, tag string) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(tag + string(rune('a'+i%26)) + "\n")
		}
		return b.String()
	}
	old := map[string]string{"SKILL.md": "a\nb\nc\n", "gone.txt": "bye\n", "same.txt": "s\n", "bin.dat": "\x00\x01", "big.txt": big, "long.txt": long(900, "o")}
	neu := map[string]string{"SKILL.md": "a\nB\nc\n", "new.txt": "hi\n", "same.txt": "s\n", "bin.dat": "\x00\x02", "big.txt": big + "y", "long.txt": long(900, "n")}
	meta := func(m map[string]string) []FileMeta {
		var out []FileMeta
		for p, c := range m {
			out = append(out, FileMeta{Path: p, Size: int64(len(c)), SHA256: sha256Hex([]byte(c))})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
		return out
	}
	read := func(side int, f FileMeta) ([]byte, error) {
		if side == 0 {
			return []byte(old[f.Path]), nil
		}
		return []byte(neu[f.Path]), nil
	}
	changes, same := DiffFiles(meta(old), meta(neu), read)
	if same != 1 {
		t.Errorf("same = %d", same)
	}
	got := map[string]FileChange{}
	for _, c := range changes {
		got[c.Path] = c
	}
	if c := got["new.txt"]; c.Kind != "added" || c.NewSize != 3 {
		t.Errorf("added: %+v", c)
	}
	if c := got["gone.txt"]; c.Kind != "removed" || c.OldSize != 4 {
		t.Errorf("removed: %+v", c)
	}
	if c := got["bin.dat"]; c.Kind != "changed" || c.NoText != "binary" {
		t.Errorf("binary: %+v", c)
	}
	if c := got["big.txt"]; c.NoText != "too_large" {
		t.Errorf("big: %+v", c)
	}
	c := got["SKILL.md"]
	if c.NoText != "" || len(c.Hunks) != 1 || c.Hunks[0].Header != "@@ -1,3 +1,3 @@" {
		t.Fatalf("SKILL.md diff: %+v", c)
	}
	var ops []string
	for _, l := range c.Hunks[0].Lines {
		ops = append(ops, l.Op+l.Text)
	}
	if strings.Join(ops, "|") != " a|-b|+B| c" {
		t.Errorf("SKILL.md lines %q", ops)
	}
	if l := got["long.txt"]; !l.Cut || countLines(l.Hunks) != diffFileLines {
		t.Errorf("long.txt: cut %v, %d lines, want %d", l.Cut, countLines(l.Hunks), diffFileLines)
	}
}

func countLines(hs []DiffHunk) int {
	n := 0
	for _, h := range hs {
		n += len(h.Lines)
	}
	return n
}

// The page budget: past diffTotalLines, changed files get no text diff
// and say so.
func TestDiffFilesPageBudget(t *testing.T) {
	var oldF, newF []FileMeta
	files := map[string][2]string{}
	for i := range 12 {
		p := "f" + string(rune('a'+i)) + ".txt"
		a, b := strings.Repeat("old\n", 300), strings.Repeat("new\n", 300)
		files[p] = [2]string{a, b}
		oldF = append(oldF, FileMeta{Path: p, Size: int64(len(a)), SHA256: sha256Hex([]byte(a))})
		newF = append(newF, FileMeta{Path: p, Size: int64(len(b)), SHA256: sha256Hex([]byte(b))})
	}
	changes, _ := DiffFiles(oldF, newF, func(side int, f FileMeta) ([]byte, error) { return []byte(files[f.Path][side]), nil })
	total, cut := 0, 0
	for _, c := range changes {
		total += countLines(c.Hunks)
		if c.NoText == "cut_page" {
			cut++
		}
	}
	if total > diffTotalLines || cut == 0 {
		t.Fatalf("%d lines shown (cap %d), %d files cut", total, diffTotalLines, cut)
	}
}

var labelUse = regexp.MustCompile(`\.T "([a-z_]+)"`)

// Every label exists in both languages with the same format verbs, and
// every label a template names exists.
func TestReviewLabelsComplete(t *testing.T) {
	en, zh := reviewLabels[catalog.EN], reviewLabels[catalog.ZH]
	verbs := regexp.MustCompile(`%[a-z]`)
	for k, v := range en {
		z, ok := zh[k]
		if !ok {
			t.Errorf("label %q has no zh translation", k)
			continue
		}
		if z == "" || v == "" {
			t.Errorf("label %q is empty", k)
		}
		if a, b := verbs.FindAllString(v, -1), verbs.FindAllString(z, -1); strings.Join(a, "") != strings.Join(b, "") {
			t.Errorf("label %q: en verbs %v, zh verbs %v", k, a, b)
		}
	}
	for k := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("label %q has no en text", k)
		}
	}
	tmpls, _ := fs.Glob(reviewFS, "reviewtemplates/*.tmpl")
	for _, name := range tmpls {
		b, _ := reviewFS.ReadFile(name)
		for _, m := range labelUse.FindAllStringSubmatch(string(b), -1) {
			if _, ok := en[m[1]]; !ok {
				t.Errorf("%s uses unknown label %q", name, m[1])
			}
		}
	}
	// Dynamic keys: every state, role, verdict, severity, change kind,
	// diff reason and review refusal the code can produce.
	var dyn []string
	for _, s := range []string{StatePending, StateApproved, StateRejected, StateRevoked} {
		dyn = append(dyn, "st_"+s)
	}
	for _, s := range []string{RoleReader, RolePublisher, RoleReviewer, RoleAdmin} {
		dyn = append(dyn, "role_"+s)
	}
	for _, s := range []string{"clean", "suspicious", "malicious"} {
		dyn = append(dyn, "verdict_"+s)
	}
	for _, s := range []string{"info", "low", "medium", "high", "critical", "other"} {
		dyn = append(dyn, "sev_"+s)
	}
	for _, s := range []string{"added", "removed", "changed"} {
		dyn = append(dyn, "kind_"+s)
	}
	for _, s := range []string{"binary", "too_large", "cut_page", "unreadable"} {
		dyn = append(dyn, "diff_"+s)
	}
	for _, s := range []string{"reason_required", "reason_long", "not_pending", "self_approval", "already_approved", "not_approved", "unknown_action"} {
		dyn = append(dyn, "err_"+s)
	}
	for _, s := range []string{"approval", "approve", "reject", "revoke"} {
		dyn = append(dyn, "done_"+s)
	}
	for _, k := range dyn {
		if _, ok := en[k]; !ok {
			t.Errorf("dynamic label %q missing", k)
		}
	}
	if got := reviewLabelsFor(catalog.EN).T("no_such_key"); got != "[[missing:no_such_key]]" {
		t.Errorf("missing key renders %q", got)
	}
}

// The diff takes publisher-controlled text: whatever the two sides are, it
// never panics, respects its line cap, gives nothing for equal sides, and
// emits only well-formed hunks.
func FuzzTextDiff(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nB\nc\n", 10)
	f.Add("", "x", 3)
	f.Add("no newline", "no newline\n", 1)
	f.Add("\r\n\r\n", "\n", 5)
	f.Fuzz(func(t *testing.T, a, b string, max int) {
		if max <= 0 || max > 1000 || len(a) > 4096 || len(b) > 4096 {
			return
		}
		hunks, cut := textDiff(a, b, max)
		if n := countLines(hunks); n > max {
			t.Fatalf("%d lines, cap %d", n, max)
		}
		if a == b && (len(hunks) != 0 || cut) {
			t.Fatalf("equal sides gave %d hunks", len(hunks))
		}
		for _, h := range hunks {
			if !strings.HasPrefix(h.Header, "@@ -") {
				t.Fatalf("header %q", h.Header)
			}
			for _, l := range h.Lines {
				if l.Op != "+" && l.Op != "-" && l.Op != " " {
					t.Fatalf("op %q", l.Op)
				}
			}
		}
	})
}
