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
						// A multi-line rule with a span only sees that
						// many bytes either side of a keyword.
						if r.Span > 0 && r.Multiline && !withinSpan(strings.ToLower(ex), loc, r.Keywords, r.Span) {
							t.Errorf("match %q of example %q reaches beyond span %d of its keywords", m, ex, r.Span)
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

// withinSpan reports whether the match at loc lies within span bytes of
// the end of one of the keywords it contains.
func withinSpan(ex string, loc []int, kws []string, span int) bool {
	for _, k := range kws {
		for i := loc[0]; ; {
			j := strings.Index(ex[i:loc[1]], k)
			if j < 0 {
				break
			}
			end := i + j + len(k)
			if loc[0] >= end-span && loc[1] <= end+span {
				return true
			}
			i += j + 1
		}
	}
	return false
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
		{"bad span", "rules:\n- {id: OC-SKL-999, title: {zh: a, en: b}, severity: high, category: obfuscation, keywords: [a], span: 5000, pattern: a, examples: {match: [a], nomatch: [b]}}\n", "span 5000 outside"},
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
