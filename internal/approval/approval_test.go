package approval_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/approval"
	"github.com/clawgov/clawgov/internal/approval/approvaltest"
	"github.com/clawgov/clawgov/internal/registry"
)

// The auditor decodes the record the registry signs: every field of the
// registry's type has the same JSON name and type here, so a field added
// there and not here fails this test instead of going unchecked.
func TestRecordMatchesRegistry(t *testing.T) {
	if registry.RecordSchema != approval.Schema {
		t.Fatalf("schema %s vs %s", registry.RecordSchema, approval.Schema)
	}
	rt, at := reflect.TypeOf(registry.ApprovalRecord{}), reflect.TypeOf(approval.Record{})
	if rt.NumField() != at.NumField() {
		t.Fatalf("registry record has %d fields, approval.Record %d", rt.NumField(), at.NumField())
	}
	for i := 0; i < rt.NumField(); i++ {
		rf, af := rt.Field(i), at.Field(i)
		if rf.Tag.Get("json") != af.Tag.Get("json") {
			t.Errorf("field %d: json %q vs %q", i, rf.Tag.Get("json"), af.Tag.Get("json"))
		}
		if rf.Type.Kind() != af.Type.Kind() {
			t.Errorf("field %s: kind %s vs %s", rf.Name, rf.Type.Kind(), af.Type.Kind())
		}
	}
	full := registry.ApprovalRecord{Schema: registry.RecordSchema, Registry: "r", Slug: "s", OwnerHandle: "o", Version: "1", Publisher: "p",
		ArchiveSHA256: "a", Integrity: "i", FileTreeSHA256: "t", SkillFile: "f", ScanVerdict: "clean", Scanner: "sc",
		Approvals: []registry.Approval{{Reviewer: "rita", Reason: "ok", At: 2}}, ApprovedAt: 3}
	b, _ := json.Marshal(full)
	var got approval.Record
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	back, _ := json.Marshal(got)
	if string(back) != string(b) {
		t.Fatalf("round trip:\n%s\n%s", back, b)
	}
}

func TestNormalizeURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://Skills.Corp.Example/":      "https://skills.corp.example",
		"HTTPS://skills.corp.example:443//": "https://skills.corp.example",
		"http://127.0.0.1:80/reg/":          "http://127.0.0.1/reg",
		"http://127.0.0.1:8780":             "http://127.0.0.1:8780",
		"https://host/reg?x=1#f":            "https://host/reg",
		"http://[::1]:8780/":                "http://[::1]:8780",
		" https://h ":                       "https://h",
		"not a url/":                        "not a url",
	} {
		if got := approval.NormalizeURL(in); got != want {
			t.Errorf("NormalizeURL(%q) = %q, want %q", in, got, want)
		}
	}
	if !approval.SameRegistry("https://h/", "HTTPS://H:443") || approval.SameRegistry("https://h", "http://h") ||
		approval.SameRegistry("https://h/a", "https://h/b") || approval.SameRegistry("", "") {
		t.Error("SameRegistry")
	}
}

func TestParsePublicKey(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(nil)
	b64 := base64.StdEncoding.EncodeToString(pub)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "key.txt"), []byte(b64+"\n"), 0o644)
	doc, _ := json.Marshal(map[string]string{"alg": "ed25519", "keyId": approval.KeyID(pub), "publicKey": b64, "schema": approval.Schema})
	os.WriteFile(filepath.Join(dir, "key.json"), doc, 0o644)
	os.WriteFile(filepath.Join(dir, "short.txt"), []byte(base64.StdEncoding.EncodeToString(pub[:16])), 0o644)
	rsa, _ := json.Marshal(map[string]string{"alg": "rsa", "publicKey": b64})
	os.WriteFile(filepath.Join(dir, "rsa.json"), rsa, 0o644)
	for _, v := range []string{b64, " " + b64 + " ", filepath.Join(dir, "key.txt"), "key.txt", "key.json"} {
		k, err := approval.ParsePublicKey(v, dir)
		if err != nil || !k.Equal(pub) {
			t.Errorf("ParsePublicKey(%q) = %v, %v", v, k, err)
		}
	}
	for v, want := range map[string]string{
		"":          "empty",
		"nope.pem":  "no such file",
		"short.txt": "not a base64 ed25519 public key",
		"rsa.json":  `alg "rsa"`,
		base64.StdEncoding.EncodeToString(pub[:31]): "no such file",
	} {
		if _, err := approval.ParsePublicKey(v, dir); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParsePublicKey(%q) err = %v, want %q", v, err, want)
		}
	}
}

// TestVerifyAgainstRealRegistry runs every outcome against a real
// `clawgov registry` on 127.0.0.1.
func TestVerifyAgainstRealRegistry(t *testing.T) {
	r := approvaltest.New(t, nil)
	r.Publish("hello-claw", "1.0.0", approvaltest.Files())
	r.Publish("hello-claw", "1.1.0", approvaltest.Files())
	r.Publish("pending-one", "1.0.0", approvaltest.Files())
	r.Review("approve", "hello-claw", "1.0.0")
	r.Review("approve", "hello-claw", "1.1.0")
	r.Review("revoke", "hello-claw", "1.1.0")
	ctx := context.Background()
	c := &approval.Client{BaseURL: r.URL + "/", Token: r.Reader, Key: r.Pub}

	st := c.Verify(ctx, "hello-claw", "acme", "1.0.0")
	if st.Outcome != approval.Approved || st.Record == nil || st.Record.FileTreeSHA256 == "" || st.Record.Reviewers() != "rita" || st.KeyID != approval.KeyID(r.Pub) {
		t.Fatalf("approved: %+v", st)
	}
	if st := c.Verify(ctx, "hello-claw", "", "1.0.0"); st.Outcome != approval.Approved {
		t.Fatalf("approved without owner: %+v", st)
	}
	st = c.Verify(ctx, "hello-claw", "acme", "1.1.0")
	if st.Outcome != approval.Revoked || st.Record == nil || !strings.Contains(st.Reason, "policy.revoked_blocked") {
		t.Fatalf("revoked: %+v", st)
	}
	for _, q := range [][2]string{{"pending-one", "1.0.0"}, {"hello-claw", "9.9.9"}, {"nobody", "1.0.0"}} {
		if st := c.Verify(ctx, q[0], "acme", q[1]); st.Outcome != approval.NotApproved {
			t.Fatalf("%s@%s: %+v", q[0], q[1], st)
		}
	}
	if st := c.Verify(ctx, "hello-claw", "evil", "1.0.0"); st.Outcome == approval.Approved {
		t.Fatalf("another owner's name approved: %+v", st)
	}

	// A wrong pinned key never verifies, and the registry serving its own
	// key does not make it trusted.
	other, _, _ := ed25519.GenerateKey(nil)
	wrong := &approval.Client{BaseURL: r.URL, Token: r.Reader, Key: other}
	st = wrong.Verify(ctx, "hello-claw", "acme", "1.0.0")
	if st.Outcome != approval.BadSignature || st.Record != nil || !strings.Contains(st.Reason, "the registry serves key "+approval.KeyID(r.Pub)) {
		t.Fatalf("wrong key: %+v", st)
	}
	served, err := wrong.ServedKey(ctx)
	if err != nil || !served.Equal(r.Pub) {
		t.Fatalf("served key: %v %v", served, err)
	}

	// No pinned key: unverifiable, and no request is made.
	if st := (&approval.Client{BaseURL: "http://127.0.0.1:1", Token: r.Reader}).Verify(ctx, "hello-claw", "acme", "1.0.0"); st.Outcome != approval.Unverifiable || !strings.Contains(st.Reason, "signing_key") {
		t.Fatalf("no key: %+v", st)
	}
	// No token on a registry that requires one.
	if st := (&approval.Client{BaseURL: r.URL, Key: r.Pub}).Verify(ctx, "hello-claw", "acme", "1.0.0"); st.Outcome != approval.Unverifiable || !strings.Contains(st.Reason, "CLAWHUB_TOKEN") {
		t.Fatalf("no token: %+v", st)
	}
}

func TestVerifyUnreachable(t *testing.T) {
	// A port that was just listening and is now closed: connection refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	pub, _, _ := ed25519.GenerateKey(nil)
	c := &approval.Client{BaseURL: "http://" + addr, Token: "secret-token-value", Key: pub}
	for i := 0; i < 2; i++ {
		st := c.Verify(context.Background(), "hello-claw", "acme", "1.0.0")
		if st.Outcome != approval.Unverifiable || !strings.Contains(st.Reason, "registry unreachable") || strings.Contains(st.Reason, "secret-token-value") {
			t.Fatalf("try %d: %+v", i, st)
		}
	}
}

// rt answers every request with one fixed response (fuzzing the parser
// without a socket per input).
type rt struct {
	code int
	body []byte
}

func (f rt) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: f.code, Body: io.NopCloser(bytes.NewReader(f.body)), Header: http.Header{}}, nil
}

// FuzzVerifyEnvelope: whatever the registry answers, Verify returns an
// outcome without panicking, and only a record signed by the pinned key
// is ever approved.
func FuzzVerifyEnvelope(f *testing.F) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	rec, _ := json.Marshal(approval.Record{Schema: approval.Schema, Slug: "s", OwnerHandle: "acme", Version: "1", FileTreeSHA256: "sha256:x"})
	sig := base64.StdEncoding.EncodeToString(ed25519.Sign(priv, rec))
	good, _ := json.Marshal(map[string]any{"schema": "clawhub.skill.verify.v1", "ok": true, "decision": "pass", "reasons": []string{},
		"signature": map[string]any{"status": "signed", "alg": "ed25519", "keyId": approval.KeyID(pub), "record": string(rec), "signature": sig}})
	f.Add(200, good)
	f.Add(200, []byte(`{"schema":"clawhub.skill.verify.v1","ok":false,"signature":{"status":"unsigned"}}`))
	f.Add(404, []byte("Skill not found"))
	f.Add(200, []byte(`{"schema":"clawhub.skill.verify.v1","ok":true,"signature":{"status":"signed","record":"{}","signature":"!!"}}`))
	f.Add(500, []byte{})
	f.Fuzz(func(t *testing.T, code int, body []byte) {
		if code < 100 || code > 999 {
			code = 200
		}
		c := &approval.Client{BaseURL: "http://registry.invalid", Key: pub, HTTP: &http.Client{Transport: rt{code, body}}}
		st := c.Verify(context.Background(), "s", "acme", "1")
		// A "no" may come unsigned (it only makes the audit stricter); a
		// "yes" needs the pinned key's signature.
		if st.Outcome == approval.Approved {
			if st.Record == nil || st.Record.Slug != "s" || st.Record.Version != "1" {
				t.Fatalf("%s without a verified record for s@1: %+v", st.Outcome, st.Record)
			}
		}
		if st.Outcome == "" {
			t.Fatal("no outcome")
		}
	})
}

func FuzzNormalizeURL(f *testing.F) {
	for _, s := range []string{"https://H:443/a/", "http://[::1]:80", "x", "", "https://%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := approval.NormalizeURL(s)
		if approval.NormalizeURL(n) != n {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, n, approval.NormalizeURL(n))
		}
	})
}

// FuzzParsePublicKey: any registry.signing_key text is a 32-byte key or a
// one-line error, never a panic.
func FuzzParsePublicKey(f *testing.F) {
	pub, _, _ := ed25519.GenerateKey(nil)
	f.Add(base64.StdEncoding.EncodeToString(pub))
	f.Add("key.json")
	f.Add("")
	f.Add("../../etc/passwd")
	dir := f.TempDir()
	doc, _ := json.Marshal(map[string]string{"alg": "ed25519", "publicKey": base64.StdEncoding.EncodeToString(pub)})
	os.WriteFile(filepath.Join(dir, "key.json"), doc, 0o644)
	f.Fuzz(func(t *testing.T, v string) {
		k, err := approval.ParsePublicKey(v, dir)
		if err == nil && len(k) != ed25519.PublicKeySize {
			t.Fatalf("%q: %d-byte key", v, len(k))
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Fatalf("%q: multi-line error %q", v, err)
		}
	})
}

func TestStatusMatchesRegistry(t *testing.T) {
	if registry.StatusSchema != approval.StatusSchema {
		t.Fatalf("schema %s vs %s", registry.StatusSchema, approval.StatusSchema)
	}
	rt, at := reflect.TypeOf(registry.StatusStatement{}), reflect.TypeOf(approval.StatusStatement{})
	if rt.NumField() != at.NumField() {
		t.Fatalf("registry statement has %d fields, approval %d", rt.NumField(), at.NumField())
	}
	for i := 0; i < rt.NumField(); i++ {
		if rf, af := rt.Field(i), at.Field(i); rf.Tag.Get("json") != af.Tag.Get("json") || rf.Type.Kind() != af.Type.Kind() {
			t.Errorf("field %d: %s %s vs %s %s", i, rf.Tag.Get("json"), rf.Type.Kind(), af.Tag.Get("json"), af.Type.Kind())
		}
	}
}

// TestStatusCannotBeRewritten puts a rewriting proxy between the auditor
// and a real registry: the unsigned ok/decision fields say what the proxy
// likes, but the outcome follows the signed status, and a stripped,
// replayed or swapped status is never taken for approved.
func TestStatusCannotBeRewritten(t *testing.T) {
	r := approvaltest.New(t, nil)
	r.Publish("hello-claw", "1.0.0", approvaltest.Files())
	r.Publish("hello-claw", "1.1.0", approvaltest.Files())
	r.Review("approve", "hello-claw", "1.0.0")
	r.Review("approve", "hello-claw", "1.1.0")
	r.Review("revoke", "hello-claw", "1.1.0")
	up, err := url.Parse(r.URL)
	if err != nil {
		t.Fatal(err)
	}
	var mode string
	var saved, approvedStatus any
	rp := httputil.NewSingleHostReverseProxy(up)
	rp.ModifyResponse = func(resp *http.Response) error {
		if !strings.HasSuffix(resp.Request.URL.Path, "/verify") || resp.StatusCode != 200 {
			return nil
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		resp.Body.Close()
		var env map[string]any
		if err := json.Unmarshal(b, &env); err != nil {
			return err
		}
		switch mode {
		case "pass":
			env["ok"], env["decision"], env["reasons"] = true, "pass", []string{}
		case "strip":
			env["ok"], env["decision"], env["reasons"] = true, "pass", []string{}
			delete(env, "statusSignature")
		case "record":
			saved = env
		case "replay":
			env = saved.(map[string]any)
		case "keep-approved":
			approvedStatus = env["statusSignature"]
		case "swap":
			env["ok"], env["decision"], env["reasons"] = true, "pass", []string{}
			env["statusSignature"] = approvedStatus
		}
		out, _ := json.Marshal(env)
		resp.Body = io.NopCloser(bytes.NewReader(out))
		resp.ContentLength = int64(len(out))
		resp.Header.Set("Content-Length", strconv.Itoa(len(out)))
		return nil
	}
	mitm := httptest.NewServer(rp)
	defer mitm.Close()
	ctx := context.Background()
	c := &approval.Client{BaseURL: mitm.URL, Token: r.Reader, Key: r.Pub}
	check := func(m, ver string, want approval.Outcome, reason string) {
		t.Helper()
		mode = m
		st := c.Verify(ctx, "hello-claw", "acme", ver)
		if st.Outcome != want || !strings.Contains(st.Reason, reason) {
			t.Fatalf("%s %s: %+v, want %s (%q)", m, ver, st, want, reason)
		}
	}
	check("", "1.0.0", approval.Approved, "")
	check("pass", "1.1.0", approval.Revoked, "signed status says revoked")
	check("strip", "1.1.0", approval.Unverifiable, "not signed")
	check("record", "1.0.0", approval.Approved, "")
	check("replay", "1.0.0", approval.Unverifiable, "nonce")
	check("keep-approved", "1.0.0", approval.Approved, "")
	check("swap", "1.1.0", approval.BadSignature, "not the approved record")
}
