package proxy

import (
	"bytes"
	"math"
	"testing"
)

func sampleRecord() record {
	return record{Time: "2026-12-06T23:00:00.123456789Z", ID: "0a1b2c3d-1z", Client: "127.0.0.1", User: "gw", Method: "CONNECT",
		Host: "secure.test", Port: 443, Path: "/a/b", ResolvedIP: "::1", Decision: "allow", Rule: "secure",
		Reason: "allowed by entry secure", Status: 200, BytesUp: 12, BytesDown: 34, DurationMS: 1.234, Policy: "0123456789ab"}
}

func TestAppendRecordMatchesEncodingJSON(t *testing.T) {
	for _, r := range []record{
		{},
		sampleRecord(),
		{Time: "t", ID: "i", Client: "c", Method: "GET", Decision: "deny", Rule: "default-deny", Reason: `no entry lists host <a&b> "x" \ é` + "\n\t\x01\u2028\xff", DurationMS: 0.001},
		{Method: "GET", DurationMS: 1e-9},
		{Method: "GET", DurationMS: 1e22},
		{Method: "GET", DurationMS: math.Inf(1)},
		{Method: "GET", Port: -1, Status: 599, BytesUp: -5, DurationMS: -2.5},
	} {
		want := marshalRecord(&r)
		if got := appendRecord(nil, &r); !bytes.Equal(got, want) {
			t.Errorf("appendRecord\n got %s\nwant %s", got, want)
		}
	}
}

func TestAppendRecordAllocs(t *testing.T) {
	r := sampleRecord()
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(100, func() { buf = appendRecord(buf[:0], &r) }); n != 0 {
		t.Fatalf("appendRecord allocates %v times per line", n)
	}
}

func FuzzAppendRecord(f *testing.F) {
	f.Add("GET", "allowed.test", "/p", "allow", "reason <&>", 80, int64(1), 0.5)
	f.Add("CONNECT", "é.test", "", "deny", "\x00\xff\u2028", 0, int64(-1), 1e-7)
	f.Fuzz(func(t *testing.T, method, host, path, decision, reason string, port int, n int64, dur float64) {
		r := record{Time: "2026-12-06T23:00:00Z", ID: host, Client: path, User: reason, Method: method, Host: host, Port: port,
			Path: path, ResolvedIP: decision, Decision: decision, Rule: method, Reason: reason, Status: port,
			BytesUp: n, BytesDown: -n, DurationMS: dur, Policy: reason}
		want := marshalRecord(&r)
		if got := appendRecord(nil, &r); !bytes.Equal(got, want) {
			t.Fatalf("appendRecord\n got %s\nwant %s", got, want)
		}
	})
}
