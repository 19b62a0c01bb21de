// Package advisory knows OpenClaw versions and the vulnerabilities that
// affect them: the calendar-version ordering, the embedded table of official
// npm releases, the embedded advisory database merged from OSV records and
// the research seed (with the provenance of every fact), signed advisory
// bundles that update it, and the audit engine that reports each matching
// advisory as a finding.
package advisory

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Version is a parsed OpenClaw version. OpenClaw uses calendar versions
// YYYY.M.PATCH; "-N" marks a correction (hotfix) release that is NEWER than
// its base (unlike semver, where 2026.2.21-2 would be a pre-release), and
// "-beta.N"/"-alpha.N" (legacy ".beta.N") are pre-releases OLDER than the
// release. Legacy packages (moltbot 0.1.0, clawdbot) use the same scheme.
type Version struct {
	// Core holds the dotted numbers (usually three).
	Core []int
	// Correction is the N of a "-N" correction release; 0 when absent.
	Correction int
	// Pre holds the pre-release identifiers ("beta", "1"); nil for a release.
	Pre []string
}

// maxCoreParts bounds the dotted numbers so a hostile string cannot build a
// huge slice; real versions have three.
const maxCoreParts = 4

// ParseVersion parses a bare version such as "2026.9.6", "v2026.2.21-2",
// "2026.5.16-beta.3" or "2026.1.5.beta.1". Build metadata after "+" is
// ignored. It returns an error for anything else.
func ParseVersion(s string) (Version, error) {
	orig := s
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "v"), "V")
	if i := strings.IndexByte(s, '+'); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return Version{}, fmt.Errorf("parse version %q: empty", orig)
	}
	var v Version
	// Core: digits separated by dots, up to the first '-' or a dotted
	// non-numeric part (the legacy ".beta.N" form).
	rest := s
	for {
		end := strings.IndexAny(rest, ".-")
		part := rest
		if end >= 0 {
			part = rest[:end]
		}
		n, err := parseNum(part)
		if err != nil {
			if len(v.Core) >= 2 && end != 0 && isPreWord(part) {
				// legacy dotted pre-release: the rest is identifiers.
				return finishPre(v, rest, orig)
			}
			return Version{}, fmt.Errorf("parse version %q: bad number %q", orig, part)
		}
		v.Core = append(v.Core, n)
		if len(v.Core) > maxCoreParts {
			return Version{}, fmt.Errorf("parse version %q: too many dotted parts", orig)
		}
		if end < 0 {
			rest = ""
			break
		}
		sep := rest[end]
		rest = rest[end+1:]
		if sep == '-' {
			break
		}
		if rest == "" {
			return Version{}, fmt.Errorf("parse version %q: trailing dot", orig)
		}
	}
	if len(v.Core) < 2 {
		return Version{}, fmt.Errorf("parse version %q: want at least major.minor", orig)
	}
	if rest == "" {
		if strings.HasSuffix(s, "-") {
			return Version{}, fmt.Errorf("parse version %q: trailing dash", orig)
		}
		return v, nil
	}
	// "-N" correction, possibly followed by "-beta.M" or ".beta.M".
	end := strings.IndexAny(rest, ".-")
	first := rest
	if end >= 0 {
		first = rest[:end]
	}
	if n, err := parseNum(first); err == nil {
		v.Correction = n
		if v.Correction == 0 {
			return Version{}, fmt.Errorf("parse version %q: correction number 0", orig)
		}
		if end < 0 {
			return v, nil
		}
		rest = rest[end+1:]
	}
	return finishPre(v, rest, orig)
}

func finishPre(v Version, rest, orig string) (Version, error) {
	ids := strings.FieldsFunc(rest, func(r rune) bool { return r == '.' || r == '-' })
	if len(ids) == 0 || len(ids) > 8 || strings.Count(rest, ".")+strings.Count(rest, "-")+1 != len(ids) {
		return Version{}, fmt.Errorf("parse version %q: bad pre-release %q", orig, rest)
	}
	for _, id := range ids {
		if !preIdent().MatchString(id) {
			return Version{}, fmt.Errorf("parse version %q: bad pre-release identifier %q", orig, id)
		}
		if isDigits(id) {
			if _, err := parseNum(id); err != nil {
				return Version{}, fmt.Errorf("parse version %q: bad pre-release number %q", orig, id)
			}
		}
	}
	v.Pre = ids
	return v, nil
}

var preIdent = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9A-Za-z]{1,32}$`) })

func isPreWord(s string) bool {
	switch strings.ToLower(s) {
	case "alpha", "beta", "rc", "pre", "dev":
		return true
	}
	return false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseNum accepts decimal digits only (no sign, no spaces), at most 9 of
// them so the value always fits an int.
func parseNum(s string) (int, error) {
	if !isDigits(s) || len(s) > 9 {
		return 0, fmt.Errorf("not a number: %q", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, err
	}
	return n, nil
}

// MustParseVersion is ParseVersion for constants in tests and tables.
func MustParseVersion(s string) Version {
	v, err := ParseVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}

// String renders the canonical form: the same string for versions that
// compare equal.
func (v Version) String() string {
	var b strings.Builder
	// Pad to three parts and drop zero parts past the third, mirroring
	// Compare, which treats missing parts as 0.
	core := append([]int(nil), v.Core...)
	for len(core) < 3 {
		core = append(core, 0)
	}
	for len(core) > 3 && core[len(core)-1] == 0 {
		core = core[:len(core)-1]
	}
	for i, n := range core {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.Itoa(n))
	}
	if v.Correction > 0 {
		b.WriteByte('-')
		b.WriteString(strconv.Itoa(v.Correction))
	}
	if len(v.Pre) > 0 {
		b.WriteByte('-')
		for i, id := range v.Pre {
			if i > 0 {
				b.WriteByte('.')
			}
			if isDigits(id) {
				n, _ := strconv.Atoi(id)
				id = strconv.Itoa(n)
			} else {
				id = strings.ToLower(id)
			}
			b.WriteString(id)
		}
	}
	return b.String()
}

// IsPrerelease reports whether v is an alpha/beta/rc build.
func (v Version) IsPrerelease() bool { return len(v.Pre) > 0 }

// IsZero reports whether v was never parsed.
func (v Version) IsZero() bool { return len(v.Core) == 0 }

// Compare returns -1, 0 or +1. The order: core numbers (missing parts are
// 0), then the correction number (a release < its -1 < its -2), then
// pre-release (any pre-release < the same core+correction without one;
// identifiers compare like semver: numbers numerically and below words,
// words case-insensitively, a shorter list first).
func (v Version) Compare(w Version) int {
	n := max(len(v.Core), len(w.Core))
	for i := range n {
		a, b := at(v.Core, i), at(w.Core, i)
		if a != b {
			return cmpInt(a, b)
		}
	}
	if v.Correction != w.Correction {
		return cmpInt(v.Correction, w.Correction)
	}
	switch {
	case len(v.Pre) == 0 && len(w.Pre) == 0:
		return 0
	case len(v.Pre) == 0:
		return 1
	case len(w.Pre) == 0:
		return -1
	}
	for i := 0; i < len(v.Pre) && i < len(w.Pre); i++ {
		if c := cmpIdent(v.Pre[i], w.Pre[i]); c != 0 {
			return c
		}
	}
	return cmpInt(len(v.Pre), len(w.Pre))
}

// Less reports v < w.
func (v Version) Less(w Version) bool { return v.Compare(w) < 0 }

func at(xs []int, i int) int {
	if i < len(xs) {
		return xs[i]
	}
	return 0
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpIdent(a, b string) int {
	ad, bd := isDigits(a), isDigits(b)
	switch {
	case ad && bd:
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return cmpInt(x, y)
	case ad:
		return -1
	case bd:
		return 1
	}
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

// versionToken finds a calendar-style version inside free text such as
// "OpenClaw 2026.9.6 (eb377ac)" or "clawdbot v2026.1.24-3".
var versionToken = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?:^|[^0-9A-Za-z.])v?([0-9]{1,9}\.[0-9]{1,9}(?:\.[0-9]{1,9})?(?:[.-][0-9A-Za-z]{1,32}){0,6})`)
})

// ExtractVersion returns the first parseable version in s, as printed by
// `openclaw --version` (both the current "OpenClaw 2026.9.6 (eb377ac)" and
// the bare "2026.3.1" of older builds).
func ExtractVersion(s string) (Version, error) {
	if len(s) > 4096 {
		s = s[:4096]
	}
	for _, m := range versionToken().FindAllStringSubmatch(s, 8) {
		cand := strings.TrimRight(m[1], ".-")
		// Trim trailing identifiers until it parses (".mjs", "-linux").
		for cand != "" {
			if v, err := ParseVersion(cand); err == nil {
				return v, nil
			}
			i := strings.LastIndexAny(cand, ".-")
			if i <= 0 {
				break
			}
			cand = cand[:i]
		}
	}
	return Version{}, fmt.Errorf("no version found in %q", truncate(s, 80))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
