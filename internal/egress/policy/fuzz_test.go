package policy

import (
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(testPolicy))
	files, _ := filepath.Glob("testdata/invalid/*.yaml")
	ex, _ := filepath.Glob("../../../examples/egress/*.yaml")
	for _, p := range append(files, ex...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		// A policy that compiles answers every question without panicking
		// and never allows a host it does not list.
		d := p.Decide(ClientID{}, Target{Scheme: "connect", Host: "never-listed.invalid", Port: 443})
		if d.Outcome == Allow {
			t.Fatalf("unlisted host allowed: %+v", d)
		}
		_ = p.Hostnames()
	})
}

func FuzzRequestTarget(f *testing.F) {
	for _, s := range []string{"http://a.example/x", "http://a.example@b.example/", "http://[::1]:80/", "http://ｅｘａｍｐｌｅ.com/", "docs.example.com:443", "[2001:db8::1]:443", "a:b:c", "http://x.example:99999/", "http://%41.example/"} {
		f.Add(s, "")
	}
	f.Add("http://a.example/", "b.example")
	f.Fuzz(func(t *testing.T, uri, host string) {
		for _, parse := range []func() (Target, error){
			func() (Target, error) { return ParseAbsolute(uri, host) },
			func() (Target, error) { return ParseConnect(uri) },
		} {
			tg, err := parse()
			if err != nil {
				continue
			}
			// Whatever parses is canonical: normalising again is a no-op,
			// and the port is in range.
			n, err := NormalizeHost(tg.Host)
			if err != nil || n != tg.Host {
				t.Fatalf("host %q not canonical: %q %v", tg.Host, n, err)
			}
			if tg.Port < 1 || tg.Port > 65535 {
				t.Fatalf("port %d", tg.Port)
			}
			if back, err := ParseConnect(tg.Authority()); err != nil || back.Host != tg.Host {
				t.Fatalf("authority %q does not round-trip: %v", tg.Authority(), err)
			}
		}
	})
}
