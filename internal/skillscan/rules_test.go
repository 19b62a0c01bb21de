package skillscan

import (
	"strings"
	"testing"
	"testing/fstest"
)

// fileFor picks a file name the rule's globs admit.
func fileFor(r *Rule) string {
	if len(r.Files) == 0 {
		return "SKILL.md"
	}
	g := r.Files[0]
	if g == "*" || g == "**" {
		return "SKILL.md"
	}
	return strings.ReplaceAll(strings.ReplaceAll(g, "**", "x"), "*", "x")
}

func matchesOf(t *testing.T, s *Scanner, file, text string) []Match {
	t.Helper()
	budget := maxDecodedBytes
	us := &unitScan{s: s, seen: make([]bool, len(s.rules.kwRules))}
	us.scanText(file, []byte(text), 1, "", 0, &budget)
	return us.matches
}

// TestRuleExamples runs every embedded rule's own examples: each match
// example must raise that rule, each nomatch example must not.
func TestRuleExamples(t *testing.T) {
	s, err := New(Options{NoIndicators: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.rules.Rules) < 40 {
		t.Fatalf("only %d rules loaded", len(s.rules.Rules))
	}
	for _, r := range s.rules.Rules {
		t.Run(r.ID, func(t *testing.T) {
			file := fileFor(r)
			for _, ex := range r.Examples.Match {
				n := 0
				for _, m := range matchesOf(t, s, file, ex) {
					if m.RuleID == r.ID {
						n++
					}
				}
				if n == 0 {
					t.Errorf("match example not matched: %q", ex)
				}
				// Patterns run only in windows around keyword hits, so
				// every match must contain one of the rule's keywords.
				if len(r.Keywords) > 0 {
					for _, loc := range r.Re.FindAllStringIndex(ex, -1) {
						m := strings.ToLower(ex[loc[0]:loc[1]])
						found := false
						for _, k := range r.Keywords {
							if strings.Contains(m, k) {
								found = true
							}
						}
						if !found {
							t.Errorf("match %q of example %q contains none of the keywords %v", m, ex, r.Keywords)
						}
					}
				}
			}
			for _, ex := range r.Examples.NoMatch {
				for _, m := range matchesOf(t, s, file, ex) {
					if m.RuleID == r.ID {
						t.Errorf("nomatch example matched: %q (matched %q)", ex, m.Text)
					}
				}
			}
		})
	}
}

func TestLoadRulesRejectsBadData(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"bad id", "rules:\n- {id: X-1, title: {zh: a, en: b}, severity: high, category: obfuscation, keywords: [a], pattern: a, examples: {match: [a], nomatch: [b]}}\n", "id does not match OC-SKL-NNN"},
		{"bad regex", "rules:\n- {id: OC-SKL-999, title: {zh: a, en: b}, severity: high, category: obfuscation, keywords: [a], pattern: '(', examples: {match: [a], nomatch: [b]}}\n", "pattern: error parsing regexp"},
		{"unknown category", "rules:\n- {id: OC-SKL-999, title: {zh: a, en: b}, severity: high, category: nope, keywords: [a], pattern: a, examples: {match: [a], nomatch: [b]}}\n", `unknown category "nope"`},
		{"no examples", "rules:\n- {id: OC-SKL-999, title: {zh: a, en: b}, severity: high, category: obfuscation, keywords: [a], pattern: a}\n", "needs at least one match and one nomatch example"},
		{"no prefilter", "rules:\n- {id: OC-SKL-999, title: {zh: a, en: b}, severity: high, category: obfuscation, pattern: a, examples: {match: [a], nomatch: [b]}}\n", "needs keywords or prefilter"},
		{"missing zh", "rules:\n- {id: OC-SKL-999, title: {en: b}, severity: high, category: obfuscation, keywords: [a], pattern: a, examples: {match: [a], nomatch: [b]}}\n", "title needs zh and en"},
		{"unknown field", "rules:\n- {id: OC-SKL-999, bogus: 1}\n", "field bogus not found"},
		{"bad severity", "rules:\n- {id: OC-SKL-999, severity: huge}\n", `unknown severity "huge"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadRules(fstest.MapFS{"x.yaml": {Data: []byte(c.yaml)}})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestIndicatorsLoad(t *testing.T) {
	ind, err := DefaultIndicators()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ind.CheckHandle("@HighTower6eu"); !ok {
		t.Error("known handle not recognised")
	}
	if _, ok := ind.CheckHandle("steipete"); ok {
		t.Error("unknown handle recognised")
	}
	if _, err := ParseIndicators([]byte("sources: [{id: a, url: 'https://x'}]\nindicators: [{type: ip, value: 1.2.3.4, confidence: sure, source: a}]\n")); err == nil {
		t.Error("bad confidence accepted")
	}
	if _, err := ParseIndicators([]byte("sources: []\nindicators: [{type: ip, value: 1.2.3.4, confidence: verified, source: b}]\n")); err == nil {
		t.Error("unknown source accepted")
	}
}
