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
	return regexp.MustCompile(`(?i)\b(?:clawhavoc|amos|detect(?:s|ed|ion|or)?|flag(?:s|ged)?|block(?:s|ed|list)?|deny ?list|pattern(?:s)?|signature(?:s)?|e\.g\.|for example|example(?:s)?|such as|malicious|attack(?:er|s)?|evil|threat(?:s)?|ioc(?:s)?|indicator(?:s)?|known|campaign|scanner|scan(?:s|ning)?|look(?:s)? for|checks? for|red flag|suspicious|dangerous|never|warn(?:s|ing)?|risk(?:y|s)?|exfiltrat\w*|c2|payload(?:s)?|stealer|malware|vulnerab\w*|injection|audit(?:s|ing)?)\b|检测|恶意|攻击|示例|例如|风险`)
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

var quotedItemRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`["'][^"'\n]{1,120}["']\s*[,\]|)]`) })

func inTestDir(rel string) bool {
	for _, seg := range strings.Split(path.Dir(baseRel(rel)), "/") {
		if testDirs[strings.ToLower(seg)] {
			return true
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

// lineOf returns the line of src containing offset a.
func lineOf(src []byte, a, b int) []byte {
	s := bytes.LastIndexByte(src[:a], '\n') + 1
	e := bytes.IndexByte(src[b:], '\n')
	if e < 0 {
		e = len(src)
	} else {
		e += b
	}
	if e-s > 4096 {
		// Minified or single-line files: judge a window, not the file.
		s, e = max(s, a-512), min(e, b+512)
	}
	return src[s:e]
}

// contextPenalty returns how many severity levels to take off a match and
// why. src is the text searched, [a,b) the match.
func (us *unitScan) contextPenalty(r *Rule, rel string, src []byte, a, b int) (int, string) {
	matched := src[a:b]
	line := lineOf(src, a, b)
	for _, f := range regexSyntax {
		if bytes.Contains(matched, []byte(f)) {
			return 2, "quoted as a regular expression"
		}
	}
	if inAlternation(src, a, b) {
		return 2, "alternative inside a regular expression"
	}
	pen, why := 0, ""
	if inTestDir(rel) && !us.referenced(rel) {
		pen, why = 2, "in a test or example folder not referenced by SKILL.md"
	}
	prose := isProseFile(rel)
	if pen < 2 {
		items := len(quotedItemRe().FindAll(line, -1))
		trimmed := bytes.TrimSpace(line)
		listItem := len(trimmed) > 0 && (trimmed[0] == '"' || trimmed[0] == '\'') && (bytes.HasSuffix(trimmed, []byte(",")) || bytes.Contains(trimmed, []byte("',")) || bytes.Contains(trimmed, []byte(`",`)))
		switch {
		case items >= 3 || listItem:
			pen++
			why = join(why, "item of a quoted list")
		case detectionData().Match(window(src, a, 6)):
			pen++
			why = join(why, "in detection data")
		case prose && threatWordsRe().Match(line):
			// Only in documents: in a script, a comment saying "known"
			// next to a live command must not excuse it.
			pen++
			why = join(why, "in text that discusses attacks")
		case prose && bytes.HasPrefix(trimmed, []byte("|")) && bytes.Count(trimmed, []byte("|")) >= 3:
			pen++
			why = join(why, "in a documentation table")
		case prose && threatWordsRe().Match(heading(src, a)):
			pen++
			why = join(why, "under a heading about attacks")
		case (r.Category == "prompt-injection" || r.Category == "hidden-text") && enclosedInQuotes(src, a, b):
			pen++
			why = join(why, "quoted phrase")
		case r.Category == "indicator" && !networkVerb().Match(line):
			pen++
			why = join(why, "address mentioned, not contacted")
		}
	}
	if pen < 2 && prose && !isSkillFile(path.Base(rel)) && threatDocName().MatchString(path.Base(rel)) {
		pen++
		why = join(why, "in a document that catalogues attacks")
	}
	if pen < 2 && placeholderHost().Match(matched) {
		pen++
		why = join(why, "uses a documentation placeholder address")
	}
	if pen < 2 && (r.Category == "prompt-injection" || r.Category == "hidden-text") && !prose && !strings.HasSuffix(strings.ToLower(rel), ".json") {
		// The agent reads SKILL.md and the documents it points to; an
		// injection phrase inside program source is a test string.
		pen++
		why = join(why, "inside program source, not agent-facing text")
	}
	return min(pen, 2), why
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
