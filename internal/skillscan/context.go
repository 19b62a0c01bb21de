package skillscan

import (
	"bytes"
	"path"
	"regexp"
	"strings"

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
var threatWordsRe = regexp.MustCompile(`(?i)\b(?:detect(?:s|ed|ion|or)?|flag(?:s|ged)?|block(?:s|ed|list)?|deny ?list|pattern(?:s)?|signature(?:s)?|e\.g\.|for example|example(?:s)?|such as|malicious|attack(?:er|s)?|evil|threat(?:s)?|ioc(?:s)?|indicator(?:s)?|known|campaign|scanner|scan(?:s|ning)?|look(?:s)? for|checks? for|red flag|suspicious|dangerous|never|warn(?:s|ing)?|risk(?:y|s)?|exfiltrat\w*|c2|payload(?:s)?|stealer|malware|vulnerab\w*|injection|audit(?:s|ing)?)\b|检测|恶意|攻击|示例|例如|风险`)

var quotedItemRe = regexp.MustCompile(`["'][^"'\n]{1,120}["']\s*[,\]|)]`)

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
// why.
func (us *unitScan) contextPenalty(r *Rule, rel string, line, matched []byte) (int, string) {
	if r.Category == "indicator-handle" {
		return 0, ""
	}
	for _, f := range regexSyntax {
		if bytes.Contains(matched, []byte(f)) {
			return 2, "quoted as a regular expression"
		}
	}
	pen, why := 0, ""
	if inTestDir(rel) && !us.referenced(rel) {
		pen, why = 2, "in a test or example folder not referenced by SKILL.md"
	}
	if pen < 2 {
		items := len(quotedItemRe.FindAll(line, -1))
		trimmed := bytes.TrimSpace(line)
		listItem := len(trimmed) > 0 && (trimmed[0] == '"' || trimmed[0] == '\'') && (bytes.HasSuffix(trimmed, []byte(",")) || bytes.Contains(trimmed, []byte("',")) || bytes.Contains(trimmed, []byte(`",`)))
		switch {
		case items >= 3 || listItem:
			pen++
			why = join(why, "item of a quoted list")
		case threatWordsRe.Match(line):
			pen++
			why = join(why, "in text that discusses attacks")
		case isProseFile(rel) && bytes.HasPrefix(trimmed, []byte("|")) && bytes.Count(trimmed, []byte("|")) >= 3:
			pen++
			why = join(why, "in a documentation table")
		}
	}
	if pen < 2 && (r.Category == "prompt-injection" || r.Category == "hidden-text") && !isProseFile(rel) && !strings.HasSuffix(strings.ToLower(rel), ".json") {
		// The agent reads SKILL.md and the documents it points to; an
		// injection phrase inside program source is a test string.
		pen++
		why = join(why, "inside program source, not agent-facing text")
	}
	return min(pen, 2), why
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
