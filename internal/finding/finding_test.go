package finding

import (
	"strings"
	"testing"
)

func TestSeverityRoundTrip(t *testing.T) {
	for _, s := range Severities() {
		got, err := ParseSeverity(strings.ToUpper(s.String()))
		if err != nil || got != s {
			t.Fatalf("%s: got %v %v", s, got, err)
		}
		b, _ := s.MarshalText()
		var back Severity
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Fatalf("%s: text round trip gave %v %v", s, back, err)
		}
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Fatal("unknown severity accepted")
	}
	if Severity(42).String() != "severity(42)" {
		t.Fatal("out-of-range severity must not print as a real one")
	}
}

func TestWorseOrdersStatuses(t *testing.T) {
	order := []Status{Skip, Pass, Manual, Warn, Error, Fail}
	for i := range order {
		for j := range order {
			want := order[i]
			if j > i {
				want = order[j]
			}
			if got := Worse(order[i], order[j]); got != want {
				t.Errorf("Worse(%s, %s) = %s, want %s", order[i], order[j], got, want)
			}
		}
	}
	if !Pass.Valid() || !Skip.Valid() || Status("maybe").Valid() {
		t.Fatal("Valid is wrong")
	}
}

func TestRedactNeverRevealsMostOfASecret(t *testing.T) {
	cases := map[string]string{
		"":                            "",
		"short":                       "[REDACTED]",
		"fifteen-chars!!":             "[REDACTED]",
		"sk-abcdefghijklmnopqrstuvwx": "sk-…uvwx",
		"Zq8vN3kLw5Rt7Yp2Xs4Hd6Jf9Bm": "…f9Bm",
	}
	for in, want := range cases {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
	text := "token=sk-abcdefghijklmnopqrstuvwx and pw=abc"
	got := RedactAll(text, []string{"sk-abcdefghijklmnopqrstuvwx", "abc"})
	if strings.Contains(got, "abcdefghijklmnop") {
		t.Fatalf("secret survived: %q", got)
	}
	if !strings.Contains(got, "pw=abc") {
		t.Fatalf("a 3-character value must not shred ordinary text: %q", got)
	}
}

func TestFingerprintIgnoresLinesAndIsStable(t *testing.T) {
	a := Finding{CheckID: "CG-GW-001", Target: "local", MatchKey: "lan", Evidence: []Evidence{{File: "/c.json", KeyPath: "gateway.bind", Line: 3}}}
	b := a
	b.Evidence = []Evidence{{File: "/c.json", KeyPath: "gateway.bind", Line: 90}}
	if a.ComputeFingerprint() != b.ComputeFingerprint() {
		t.Fatal("a moved line changed the fingerprint")
	}
	c := a
	c.MatchKey = "custom"
	if a.ComputeFingerprint() == c.ComputeFingerprint() {
		t.Fatal("a different observation got the same fingerprint")
	}
	if len(a.ComputeFingerprint()) != 32 {
		t.Fatal("fingerprint length changed")
	}
}

func TestSortIsDeterministic(t *testing.T) {
	fs := []Finding{
		{CheckID: "CG-B", Severity: Low},
		{CheckID: "CG-A", Severity: Low, Evidence: []Evidence{{File: "b", Line: 2}}},
		{CheckID: "CG-A", Severity: Low, Evidence: []Evidence{{File: "b", Line: 1}}},
		{CheckID: "CG-Z", Severity: Critical},
	}
	Sort(fs)
	got := []string{}
	for _, f := range fs {
		got = append(got, f.CheckID)
	}
	if strings.Join(got, ",") != "CG-Z,CG-A,CG-A,CG-B" || fs[1].Evidence[0].Line != 1 {
		t.Fatalf("order %v", got)
	}
}
