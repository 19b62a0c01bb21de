package skillscan

import (
	"bytes"
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/clawgov/clawgov/internal/finding"
)

// Context scoring. Security tools quote attack strings: as regular
// expressions, in lists of indicators, in threat documentation and in test
// fixtures. Those quotes are not instructions or code a user runs, so a
// match in such a context counts for less. The penalty is at most two
// severity levels, the reason is recorded on the match, and nothing is
// dropped: a reviewer still sees every quote.
//
// Each signal is chosen so that using it to hide a real payload breaks the
// payload (regex syntax inside a shell command) or still leaves the skill
// at least suspicious (one level for lists and prose).

// regexSyntax are fragments that occur in a regular expression but not in
// a command that actually runs.
var regexSyntax = []string{`\|`, `.*`, `.+`, `\s`, `\S`, `\w`, `\d`, `\.`, `[^`, `(?:`, `(?i`, `\b`, `\/`, `\(`}

// testDirs hold fixtures and evaluation cases, not code the skill runs.
var testDirs = map[string]bool{
	"test": true, "tests": true, "testdata": true, "test-fixtures": true, "test_fixtures": true, "fixtures": true,
	"__tests__": true, "spec": true, "specs": true, "evals": true, "eval": true, "samples": true, "examples": true, "__fixtures__": true,
}

// threatWords mark prose that talks about attacks rather than issuing
// them.
var threatWordsRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)\b(?:detect(?:s|ed|ion|or)?|flag(?:s|ged)?|block(?:s|ed|list)?|deny ?list|pattern(?:s)?|signature(?:s)?|e\.g\.|for example|example(?:s)?|such as|malicious|attack(?:er|s)?|evil|threat(?:s)?|ioc(?:s)?|indicator(?:s)?|known|campaign|scanner|scan(?:s|ning)?|look(?:s)? for|checks? for|red flag|suspicious|dangerous|never|warn(?:s|ing)?|risk(?:y|s)?|exfiltrat\w*|c2|payload(?:s)?|stealer|malware|vulnerab\w*|injection|audit(?:s|ing)?)\b|检测|恶意|攻击|示例|例如|风险`)
})

// threatDocName marks documents that catalogue attacks (a scanner's
// pattern list, an IOC table, a rules template).
var threatDocName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)(?:threat|pattern|signature|ioc|indicator|rule|detect|blocklist|denylist|attack|malicious|red-?flag|exploit|payload|vuln|cve)`)
})

// placeholderHost marks documentation addresses: evil.com, attacker.com,
// the RFC 5737/2606 example ranges and names.
var placeholderHost = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)\b(?:evil|attacker|malicious|hacker|badguy|bad-actor|exploit|c2-server|your-server)[\w-]*\.(?:com|net|org|io|site|example|xyz)\b|\.example\b|\bexample\.(?:com|org|net)\b|\battacker[-_]?(?:ip|host)\b|/(?:x{3,}|abc\d*|your[\w-]*|redacted|placeholder|\.\.\.)(?:[/"'\s)]|$)|\b(?:1\.2\.3\.4|x\.x\.x\.x)\b|<(?:ip|host|attacker)[^>]*>`)
})

// detectionData names variables and keys that hold detection data.
var detectionData = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)\b[\w]*(?:malicious|known_?bad|block_?list|deny_?list|black_?list|iocs?|indicators?|suspicious|dangerous|threats?|bad_|signatures?|patterns?|rules?|detections?)[\w]*\s*(?:[:=]|\+=)`)
})

// networkVerb says a line actually contacts an address.
var networkVerb = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)\b(?:curl|wget|fetch|requests?\.|urlopen|http\.|https?://|socket|connect|nc|ncat|ssh|scp|invoke-webrequest|iwr|axios|dial)\b`)
})

var quotedItemRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`["'][^"'\n]{1,120}["']\s*[,\]|)]`)
})

func inTestDir(rel string) bool {
	for _, seg := range strings.Split(path.Dir(baseRel(rel)), "/") {
		seg = strings.ToLower(seg)
		if testDirs[seg] {
			return true
		}
		// "test-malicious-skill", "fixtures_v2": a test word as one
		// part of a folder name.
		for _, tok := range strings.FieldsFunc(seg, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
			if testDirs[tok] {
				return true
			}
		}
	}
	return false
}

func isProseFile(rel string) bool {
	switch strings.ToLower(path.Ext(rel)) {
	case ".md", ".txt", ".rst", ".html", ".mdx", "":
		return true
	}
	return false
}

// contextPenalty returns how many severity levels to take off a match and
// why. src is the text searched, [a,b) the match. The frames it reads
// (file role, section, fenced block, clause) are described in mood.go.
func (us *unitScan) contextPenalty(r *Rule, rel string, src []byte, a, b int) (int, string) {
	matched := src[a:b]
	for _, f := range regexSyntax {
		if bytes.Contains(matched, []byte(f)) {
			return 2, "quoted as a regular expression"
		}
	}
	if inAlternation(src, a, b) {
		return 2, "alternative inside a regular expression"
	}
	line, off := matchLine(src, a, b)
	pen, why := 0, ""
	add := func(n int, reason string) {
		if pen < 2 {
			pen += n
			why = join(why, reason)
		}
	}
	// File role.
	if inTestDir(rel) && !us.referenced(rel) {
		add(2, "in a test or example folder not referenced by SKILL.md")
	}
	role := roleOf(rel)
	if role == roleRules {
		add(2, "in a detection-rule or indicator file")
	}
	if pen < 2 && inRuleBody(src, a, line) {
		add(2, "inside a YARA or Sigma rule")
	}
	// Clause, block and section, for text people and agents read.
	prose := isProseFile(rel)
	var c clause
	sec := sectionNone
	inFence, sample := false, 0
	if prose && pen < 2 {
		c = readClause(line, off)
		sec = sectionOf(src, a)
		inFence, sample = fenceAt(src, a)
		if inFence && sample > 0 && c.mood == moodInstruct && sec != sectionSetup {
			// A command shown as sample output or a malicious example
			// is quoted, not handed to anyone to run.
			c = clause{}
		}
	}
	// An instruction to the agent or user is what a lure looks like: no
	// word around it excuses it. Under a detection heading only an
	// addressed one counts ("you must run", "run: ..."), since a bare
	// command starting a list item there is a quoted sample.
	instruct := c.mood == moodInstruct && (sec != sectionDetection || c.addressed)
	if pen < 2 {
		items := len(quotedItemRe().FindAll(line, -1))
		trimmed := bytes.TrimSpace(line)
		listItem := len(trimmed) > 0 && (trimmed[0] == '"' || trimmed[0] == '\'') && (bytes.HasSuffix(trimmed, []byte(",")) || bytes.Contains(trimmed, []byte("',")) || bytes.Contains(trimmed, []byte(`",`)))
		switch {
		case items >= 3 || listItem:
			add(1, "item of a quoted list")
		case detectionData().Match(window(src, a, 6)):
			add(1, "in detection data")
		}
	}
	if prose && pen < 2 && !instruct {
		n := 0
		sig := func(ok bool, reason string) {
			if ok {
				n++
				add(1, reason)
			}
		}
		sig(c.mood == moodProhibit, "forbidden, not instructed")
		sig(c.actor == actorThreat, "describes what attackers do")
		sig(c.actor == actorTool, "describes what a tool detects")
		sig(c.quoted, "given as an example")
		sig(sec == sectionDetection, "under a detection heading")
		if sample > 0 {
			n++
			add(sample, "in a fenced sample")
		}
		if n == 0 {
			trimmed := bytes.TrimSpace(line)
			switch {
			case threatWordsRe().Match(line):
				add(1, "in text that discusses attacks")
			case bytes.HasPrefix(trimmed, []byte("|")) && bytes.Count(trimmed, []byte("|")) >= 3:
				add(1, "in a documentation table")
			case sec != sectionSetup && threatWordsRe().Match(heading(src, a)):
				add(1, "under a heading about attacks")
			}
		}
	}
	if pen < 2 && !instruct {
		switch {
		case (r.Category == "prompt-injection" || r.Category == "hidden-text") && enclosedInQuotes(src, a, b):
			add(1, "quoted phrase")
		case r.Category == "indicator" && !networkVerb().Match(line):
			add(1, "address mentioned, not contacted")
		}
	}
	if pen < 2 && role == roleThreatDoc {
		add(1, "in a document that catalogues attacks")
	}
	if pen < 2 && placeholderHost().Match(matched) {
		add(1, "uses a documentation placeholder address")
	}
	if pen < 2 && (r.Category == "prompt-injection" || r.Category == "hidden-text") && !prose && !strings.HasSuffix(strings.ToLower(rel), ".json") {
		// The agent reads SKILL.md and the documents it points to; an
		// injection phrase inside program source is a test string.
		add(1, "inside program source, not agent-facing text")
	}
	return min(pen, 2), why
}

// matchLine returns the line of src containing [a,b), clipped to a window
// on minified or single-line files, and the offset of a in it.
func matchLine(src []byte, a, b int) ([]byte, int) {
	s := bytes.LastIndexByte(src[:a], '\n') + 1
	e := bytes.IndexByte(src[b:], '\n')
	if e < 0 {
		e = len(src)
	} else {
		e += b
	}
	if e-s > 4096 {
		s, e = max(s, a-512), min(e, b+512)
	}
	return src[s:e], a - s
}

// inAlternation reports a match written as one branch of a regex
// alternation: "(?:xmrig|coinhive)".
func inAlternation(src []byte, a, b int) bool {
	before := a > 0 && (src[a-1] == '|' || (a >= 3 && string(src[a-3:a]) == "(?:") || (src[a-1] == '(' && b < len(src) && src[b] == '|'))
	after := b < len(src) && (src[b] == '|' || src[b] == ')')
	return before && after
}

func enclosedInQuotes(src []byte, a, b int) bool {
	if a == 0 || b >= len(src) {
		return false
	}
	q := src[a-1]
	if q != '"' && q != '\'' && q != '`' {
		// Allow the phrase to start a quote: "ignore previous ... rest"
		i := bytes.LastIndexAny(src[max(0, a-3):a], "\"'`")
		if i < 0 {
			return false
		}
		q = src[max(0, a-3)+i]
	}
	e := bytes.IndexByte(src[b:min(len(src), b+80)], q)
	return e >= 0
}

// window returns the line of a and up to n lines before it (at most 2
// KiB before a).
func window(src []byte, a, n int) []byte {
	lo := max(0, a-2048)
	s := a
	for i := 0; i <= n; i++ {
		j := bytes.LastIndexByte(src[lo:s], '\n')
		if j < 0 {
			s = lo
			break
		}
		s = lo + j
	}
	e := bytes.IndexByte(src[a:], '\n')
	if e < 0 {
		e = len(src)
	} else {
		e += a
	}
	return src[s:e]
}

// heading returns the nearest Markdown heading above a (within 8 KiB).
func heading(src []byte, a int) []byte {
	lo := max(0, a-8192)
	seg := src[lo:a]
	for {
		i := bytes.LastIndexByte(seg, '\n')
		line := seg[i+1:]
		if len(line) > 0 && line[0] == '#' {
			return line
		}
		if i < 0 {
			return nil
		}
		seg = seg[:i]
	}
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func (us *unitScan) referenced(rel string) bool {
	if us.skillMD == "" {
		return false
	}
	r := strings.ToLower(baseRel(rel))
	if strings.Contains(us.skillMD, r) {
		return true
	}
	// A reference to the folder counts too ("run tests/setup.sh" or
	// "see tests/").
	d := path.Dir(r)
	return d != "." && strings.Contains(us.skillMD, d+"/")
}

func lower(sev finding.Severity, by int) finding.Severity {
	s := int(sev) - by
	if s < int(finding.Info) {
		s = int(finding.Info)
	}
	return finding.Severity(s)
}
