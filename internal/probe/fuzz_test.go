package probe

import (
	"bufio"
	"bytes"
	"context"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReadResponse feeds arbitrary bytes to the response parser and the
// signature engine: whatever a hostile server sends, parsing ends with a
// response or an error, within the read limits, and never panics.
func FuzzReadResponse(f *testing.F) {
	seeds := []string{
		"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 68\r\n\r\n{\"ok\":true,\"status\":\"started\",\"version\":\"2026.9.6\",\"uptimeMs\":37923}",
		"HTTP/1.1 400 Bad Request\r\nContent-Length: 86\r\n\r\n{\"ok\":false,\"error\":{\"type\":\"invalid_request\",\"message\":\"tools.invoke requires name\"}}",
		"HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n3a\r\n{\"error\":{\"message\":\"Unauthorized\",\"type\":\"unauthorized\"}}\r\n0\r\n\r\n",
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello",
		"HTTP/1.0 200\r\n\r\n<title>OpenClaw Control</title>",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 999999999999 X\r\n\r\n",
		"HTTP/",
		"\x15\x03\x01\x00\x02\x02\x46",
		"SSH-2.0-OpenSSH_9.6\r\n",
		"",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	sigs, err := DefaultSignatures()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, method := range []string{"GET", "POST"} {
			resp, rest, err := readResponse(bufio.NewReader(bytes.NewReader(data)), method)
			if err != nil {
				if resp != nil {
					t.Fatalf("error %v with a response", err)
				}
				if !utf8.ValidString(err.Error()) && strings.Contains(err.Error(), "starts with") {
					t.Fatalf("unprintable error text %q", err.Error())
				}
				continue
			}
			if len(resp.Body) > maxBody {
				t.Fatalf("body of %d bytes beyond the limit", len(resp.Body))
			}
			if rest != nil {
				if frame, err := readFirstTextFrame(rest); err == nil && len(frame) > maxFrame {
					t.Fatalf("frame of %d bytes beyond the limit", len(frame))
				}
			}
			facts := newFacts()
			for _, req := range sigs.Requests {
				sigs.Apply(facts, req.ID, resp)
			}
			var r Result
			classify(&r, facts)
			for _, v := range []string{r.Version, r.BuildID} {
				if strings.ContainsAny(v, " \r\n\t\"<>'`$;|&") {
					t.Fatalf("unsafe extracted value %q", v)
				}
			}
		}
	})
}

// FuzzWebSocketFrame checks the frame reader on arbitrary input.
func FuzzWebSocketFrame(f *testing.F) {
	f.Add([]byte("\x81\x05hello"))
	f.Add([]byte("\x81\x7e\x00\x05hello"))
	f.Add([]byte("\x81\x7f\xff\xff\xff\xff\xff\xff\xff\xff"))
	f.Add([]byte("\x89\x00\x81\x02hi"))
	f.Add([]byte("\x81\x85\x01\x02\x03\x04abcde"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := readFirstTextFrame(bytes.NewReader(data))
		if err == nil && len(p) > maxFrame {
			t.Fatalf("payload %d beyond limit", len(p))
		}
	})
}

// FuzzParseTargets: any target or exclude string yields a set within the
// limits or an error, and iterating the set terminates.
func FuzzParseTargets(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "10.0.0.0/24", "10.0.0.1-9", "10.0.0.1-10.0.1.1", "[::1]:18789", "::/0", "fd00::1-ffff", "gw.lab:1", "a..b", "10.0.0.0/33", "1.2.3.4:99999", "::ffff:1.2.3.4/120", "fe80::1%eth0", "0.0.0.0/8", "255.255.255.255-255"} {
		f.Add(s, "10.0.0.5")
	}
	f.Fuzz(func(t *testing.T, spec, exclude string) {
		set, err := ParseTargets(context.Background(), []string{spec}, TargetOptions{Ports: []int{1}, Exclude: []string{exclude}, Confirmed: true, Resolver: testResolver})
		if err != nil {
			if set != nil {
				t.Fatal("set with error")
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if set.Hosts() == 0 || set.Hosts() > MaxHosts {
			t.Fatalf("hosts %d", set.Hosts())
		}
		n := 0
		set.Each(func(e Endpoint) bool {
			if !e.Addr.IsValid() || e.Port < 1 || e.Port > 65535 {
				t.Fatalf("bad endpoint %+v", e)
			}
			n++
			return n < 1000
		})
	})
}
