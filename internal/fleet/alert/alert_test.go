package alert

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var ev = Event{Kind: KindNonCompliant, At: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), HostID: "h1", Hostname: "evil\"]\nhost", Controls: []string{"DO-1", "DONT-2"}, Message: "host evil\nbecame non-compliant"}

func TestWebhookSigned(t *testing.T) {
	secret := []byte("s3cret")
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		body, _ = io.ReadAll(r.Body)
	}))
	defer srv.Close()
	if err := (&Webhook{URL: srv.URL, Secret: secret}).Send(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	ts := got.Header.Get("X-Clawgov-Timestamp")
	if got.Header.Get("X-Clawgov-Signature-256") != Sign(secret, ts, body) || Sign([]byte("other"), ts, body) == Sign(secret, ts, body) {
		t.Fatal("signature does not verify")
	}
	if strings.Contains(string(body), "s3cret") || !strings.Contains(string(body), `"kind":"host.non_compliant"`) {
		t.Fatalf("body %s", body)
	}
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	defer bad.Close()
	if err := (&Webhook{URL: bad.URL, Secret: secret}).Send(context.Background(), ev); err == nil {
		t.Fatal("500 accepted")
	}
}

func TestSyslog5424(t *testing.T) {
	want := `<84>1 2026-12-01T08:00:00Z fleet clawgov - host.non_compliant [clawgov@32473 kind="host.non_compliant" host_id="h1" hostname="evil\"\] host" controls="DO-1,DONT-2" address=""] host evil became non-compliant`
	if got := Format(ev, "fleet"); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	s, err := ParseSyslog("udp://"+pc.LocalAddr().String(), "fleet")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := pc.ReadFrom(buf)
	if err != nil || string(buf[:n]) != want {
		t.Fatalf("received %q %v", buf[:n], err)
	}
	for _, bad := range []string{"", "http://x:1", "udp://nohost"} {
		if _, err := ParseSyslog(bad, ""); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
