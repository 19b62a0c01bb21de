package skillscan

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/clawgov/clawgov/internal/finding"
)

// Verdict is the outcome for one skill.
type Verdict string

// Verdicts, from worst to best.
const (
	Malicious  Verdict = "malicious"
	Suspicious Verdict = "suspicious"
	Clean      Verdict = "clean"
)

// Match is one rule hit: which rule, where, and what it saw.
type Match struct {
	RuleID   string           `json:"rule"`
	Title    Text             `json:"title"`
	Severity finding.Severity `json:"severity"`
	Category string           `json:"category"`
	File     string           `json:"file"`
	Line     int              `json:"line,omitempty"`
	// Text is the matched text, secrets redacted, truncated.
	Text string `json:"text"`
	// Via names the decoding that revealed the match (base64, hex, ...),
	// empty for plain text.
	Via string `json:"via,omitempty"`
	// Context explains a severity lowered because the match is a quote
	// (a regex, an indicator list, threat documentation, a test fixture).
	Context string `json:"context,omitempty"`
}

// Result is the scan of one skill.
type Result struct {
	Name    string  `json:"name"`
	Source  string  `json:"source"`
	Verdict Verdict `json:"verdict"`
	Score   int     `json:"score"`
	// Explanation lists what made up the score.
	Explanation string  `json:"explanation"`
	Matches     []Match `json:"matches"`
	Files       int     `json:"files"`
	Bytes       int64   `json:"bytes"`
	// Errors say what could not be read; a skill with errors is never
	// reported clean (its verdict is at least what was found, and the
	// caller must treat it as not fully vetted).
	Errors []string `json:"errors,omitempty"`
}

// Incomplete reports whether part of the skill could not be scanned.
func (r *Result) Incomplete() bool { return len(r.Errors) > 0 }

// Options configure a Scanner.
type Options struct {
	Limits  Limits
	Workers int
	// NoIndicators disables the campaign indicator list (used to measure
	// what the technique rules alone catch).
	NoIndicators bool
	// Indicators replaces the embedded indicator list (a verified signed
	// update, see LoadSignedIndicators); nil uses the embedded list.
	Indicators *Indicators
	// Skip, when set, leaves out files (by path inside the skill) that
	// are not part of what is vetted, e.g. a test harness's label files.
	Skip func(rel string) bool
}

// Scanner scans skills. It is safe for concurrent use.
type Scanner struct {
	rules *RuleSet
	ind   *Indicators
	opts  Options
}

// New returns a scanner over the embedded rules and indicators.
func New(opts Options) (*Scanner, error) {
	rs, err := DefaultRules()
	if err != nil {
		return nil, err
	}
	ind := opts.Indicators
	if ind == nil {
		if ind, err = DefaultIndicators(); err != nil {
			return nil, err
		}
	}
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits()
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.NoIndicators {
		ind = &Indicators{}
	}
	return &Scanner{rules: rs, ind: ind, opts: opts}, nil
}

// ScanPaths scans every skill found under paths with a bounded worker
// pool and returns the results sorted by source. A path that cannot be
// opened at all is returned in errs; the other paths are still scanned.
func (s *Scanner) ScanPaths(ctx context.Context, paths []string) (results []Result, errs []error) {
	var units []*unit
	for _, p := range paths {
		us, err := discover(p, s.opts.Limits)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		units = append(units, us...)
	}
	return s.scanUnits(ctx, units), errs
}

// ScanDir scans one folder as one skill (the install hook and the audit
// know where the skill is and want one verdict for it).
func (s *Scanner) ScanDir(ctx context.Context, dir, name string) Result {
	u := readDirUnit(dir, s.opts.Limits)
	if name != "" {
		u.name = name
	}
	return s.scanUnits(ctx, []*unit{u})[0]
}

// ScanArchive scans archive bytes (zip, tgz, tar) named name.
func (s *Scanner) ScanArchive(ctx context.Context, name string, data []byte) []Result {
	kind := archiveKind(name, head(data))
	if kind == "" {
		kind = "zip"
	}
	return s.scanUnits(ctx, unitsFromArchive(name, name, data, kind, s.opts.Limits))
}

func (s *Scanner) scanUnits(ctx context.Context, units []*unit) []Result {
	out := s.scanUnitsOrdered(ctx, units)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	return out
}

// scanUnitsOrdered scans with a bounded worker pool and returns results in
// the order of units.
func (s *Scanner) scanUnitsOrdered(ctx context.Context, units []*unit) []Result {
	out := make([]Result, len(units))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < s.opts.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				out[i] = s.scanUnit(ctx, units[i])
			}
		}()
	}
	for i := range units {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return out
}

// unitScan accumulates the matches of one skill.
type unitScan struct {
	s       *Scanner
	matches []Match
	errs    []string
	seen    []bool // keyword scratch
	hits    []kwHit
	files   int
	bytes   int64
	// skillMD is SKILL.md lowercased, to tell referenced files from
	// unreferenced fixtures.
	skillMD string
}

func (s *Scanner) scanUnit(ctx context.Context, u *unit) Result {
	u.load(s.opts.Limits)
	us := &unitScan{s: s, seen: make([]bool, len(s.rules.kwRules)), errs: append([]string{}, u.errs...)}
	for _, p := range u.problems {
		us.addBuiltin(p.rule, p.file, 0, p.detail, "")
	}
	md := readSkillMD(u)
	us.skillMD = strings.ToLower(string(md))
	if md != nil {
		fm, err := ParseFrontMatter(md)
		switch {
		case err != nil:
			us.addBuiltin(ruleBadFrontMatter, "SKILL.md", 1, err.Error(), "")
		case fm != nil:
			for _, in := range fm.Install {
				if strings.EqualFold(in.Kind, "download") && in.SHA256 == "" {
					us.addBuiltin(ruleInstallNoHash, "SKILL.md", 0, "install "+in.ID+" downloads "+in.URL+" with no sha256", "")
				}
			}
		}
	}
	if !s.opts.NoIndicators {
		for _, o := range publishers(u) {
			if it, ok := s.ind.CheckHandle(o.handle); ok {
				us.addBuiltin(ruleIndicatorHandle, o.file, 0, "publisher @"+strings.ToLower(o.handle)+" is a known malicious publisher ("+it.Source+")", "")
			}
		}
	}
	for _, f := range u.files {
		if s.opts.Skip != nil && s.opts.Skip(f.rel) {
			continue
		}
		if ctx.Err() != nil {
			us.errs = append(us.errs, "scan cancelled: "+ctx.Err().Error())
			break
		}
		us.scanFileRef(f)
	}
	res := Result{Name: u.name, Source: u.source, Files: us.files, Bytes: us.bytes, Errors: us.errs}
	res.Matches = dedupeMatches(us.matches)
	res.Score, res.Verdict, res.Explanation = score(res.Matches)
	return res
}

const chunkSize = 4 << 20

// chunkPool recycles read buffers: one 4 MiB buffer per file would make
// the allocator and GC the bottleneck on thousands of small files.
var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

func (us *unitScan) scanFileRef(f fileRef) {
	lim := us.s.opts.Limits
	us.files++
	if f.inMem {
		if int64(len(f.data)) > lim.MaxFileSize {
			us.addBuiltin(ruleTooLarge, f.rel, 0, fmt.Sprintf("%d bytes, only the first %d scanned", len(f.data), lim.MaxFileSize), "")
			us.errs = append(us.errs, f.rel+": larger than the scan limit")
			us.scanStream(f.rel, bytes.NewReader(f.data[:lim.MaxFileSize]))
			return
		}
		us.scanStream(f.rel, bytes.NewReader(f.data))
		return
	}
	fh, err := os.Open(f.osPath)
	if err != nil {
		us.errs = append(us.errs, fmt.Sprintf("%s: %v", f.rel, err))
		return
	}
	defer fh.Close()
	var r io.Reader = fh
	if f.size > lim.MaxFileSize {
		us.addBuiltin(ruleTooLarge, f.rel, 0, fmt.Sprintf("%d bytes, only the first %d scanned", f.size, lim.MaxFileSize), "")
		us.errs = append(us.errs, f.rel+": larger than the scan limit")
		r = io.LimitReader(fh, lim.MaxFileSize)
	}
	us.scanStream(f.rel, r)
}

// scanStream reads a file in line-aligned chunks so memory stays bounded
// whatever the file size, and every byte up to the limit is scanned.
func (us *unitScan) scanStream(rel string, r io.Reader) {
	bp := chunkPool.Get().(*[]byte)
	defer chunkPool.Put(bp)
	buf := *bp
	carry := 0
	line := 1
	first := true
	var hash = sha256.New()
	budget := maxDecodedBytes
	for {
		n, err := io.ReadFull(r, buf[carry:])
		total := carry + n
		if total == 0 {
			break
		}
		us.bytes += int64(n)
		hash.Write(buf[carry : carry+n])
		end := total
		if err == nil {
			// Full buffer: cut after the last newline so no line is split;
			// a single line longer than the buffer is cut where it is.
			if i := bytes.LastIndexByte(buf[:total], '\n'); i > 0 {
				end = i + 1
			}
		}
		chunk := buf[:end]
		if first {
			us.classify(rel, chunk)
			first = false
		}
		us.scanText(rel, chunk, line, "", 0, &budget)
		line += bytes.Count(chunk, []byte{'\n'})
		carry = copy(buf, buf[end:total])
		if err != nil {
			if carry > 0 {
				us.scanText(rel, buf[:carry], line, "", 0, &budget)
			}
			if err != io.EOF && err != io.ErrUnexpectedEOF {
				us.errs = append(us.errs, fmt.Sprintf("%s: %v", rel, err))
			}
			break
		}
	}
	if len(us.s.ind.Hashes) > 0 {
		h := hex.EncodeToString(hash.Sum(nil))
		if ind, ok := us.s.ind.Hashes[h]; ok {
			us.addBuiltin(ruleIndicatorHash, rel, 0, "file SHA-256 "+h+" is a known malicious sample ("+ind.Source+")", "")
		}
	}
}

var (
	magicExec = [][]byte{
		[]byte("\x7fELF"), []byte("MZ"), {0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf},
		{0xce, 0xfa, 0xed, 0xfe}, {0xcf, 0xfa, 0xed, 0xfe}, {0xca, 0xfe, 0xba, 0xbe}, []byte("\x00asm"),
		[]byte("dex\n"),
	}
	magicMedia = [][]byte{
		[]byte("\x89PNG"), []byte("\xff\xd8\xff"), []byte("GIF8"), []byte("RIFF"), []byte("%PDF"),
		[]byte("\x00\x00\x01\x00"), []byte("wOFF"), []byte("wOF2"), []byte("\x00\x01\x00\x00"), []byte("OTTO"),
		[]byte("ID3"), []byte("fLaC"), []byte("OggS"), []byte("\x1aE\xdf\xa3"),
	}
	compiledExt = []string{".pyc", ".pyo", ".class", ".so", ".dll", ".dylib", ".node", ".exe", ".wasm", ".bin", ".o", ".a"}
)

// classify flags executables and opaque binaries: they cannot be reviewed
// like text, so they are reported rather than skipped.
func (us *unitScan) classify(rel string, b []byte) {
	h := b
	if len(h) > 8000 {
		h = h[:8000]
	}
	lrel := strings.ToLower(rel)
	for _, m := range magicExec {
		if bytes.HasPrefix(h, m) {
			if string(m) == "MZ" && !(len(h) > 0x40 && bytes.Contains(h, []byte("PE\x00\x00"))) {
				continue
			}
			us.addBuiltin(ruleExecutableBinary, rel, 0, "executable or compiled code (magic "+hex.EncodeToString(m)+")", "")
			return
		}
	}
	if len(h) >= 4 && h[2] == '\r' && h[3] == '\n' && strings.HasSuffix(lrel, ".pyc") {
		us.addBuiltin(ruleExecutableBinary, rel, 0, "compiled Python bytecode", "")
		return
	}
	for _, e := range compiledExt {
		if strings.HasSuffix(lrel, e) {
			us.addBuiltin(ruleExecutableBinary, rel, 0, "compiled file ("+e+")", "")
			return
		}
	}
	if bytes.IndexByte(h, 0) < 0 {
		if !utf8.Valid(h) {
			bad := 0
			for i := 0; i < len(h); {
				r, sz := utf8.DecodeRune(h[i:])
				if r == utf8.RuneError && sz <= 1 {
					bad++
				}
				i += sz
			}
			// A cut at the buffer end can split one rune; more than a few
			// bad bytes is a real encoding problem.
			if bad > 3 {
				us.addBuiltin(ruleInvalidUTF8, rel, 0, fmt.Sprintf("%d bytes of invalid UTF-8 in the first %d", bad, len(h)), "")
			}
		}
		return
	}
	for _, m := range magicMedia {
		if bytes.HasPrefix(h, m) {
			return
		}
	}
	us.addBuiltin(ruleOpaqueBinary, rel, 0, "binary file of unknown type", "")
}

// Windows. Rules are written so that a match contains one of their
// keywords (TestRuleExamples checks it), so each pattern runs only around
// keyword hits: Go's regexp has no DFA and runs at a few MB/s on
// case-insensitive alternations, far too slow to run 60 patterns over
// every byte. A single-line rule sees the hit's line, clipped to
// winBefore/winAfter bytes around the hit (bounded repetitions in the
// rules stay below that); a multi-line rule ((?s) patterns) sees
// winMulti bytes either side.
const (
	winBefore = 400
	winAfter  = 900
	winMulti  = 1200
)

type span struct{ a, b int }

// windows merges the regions around the hits of the keywords in isKw.
func windows(src []byte, hits []kwHit, isKw []bool, multi bool, reach int) []span {
	var out []span
	n := len(src)
	for _, h := range hits {
		if !isKw[h.kw] {
			continue
		}
		e := int(h.end)
		var a, b int
		if multi {
			a, b = max(0, e-reach), min(n, e+reach)
		} else {
			a, b = max(0, e-winBefore), min(n, e+winAfter)
			if i := bytes.LastIndexByte(src[a:e], '\n'); i >= 0 {
				a += i + 1
			}
			if i := bytes.IndexByte(src[e:b], '\n'); i >= 0 {
				b = e + i
			}
		}
		if k := len(out) - 1; k >= 0 && a <= out[k].b {
			out[k].b = max(out[k].b, b)
			continue
		}
		out = append(out, span{a, b})
	}
	return out
}

// scanText runs the rules over one chunk of text (or a decoded layer).
func (us *unitScan) scanText(rel string, raw []byte, line0 int, via string, depth int, budget *int) {
	rs := us.s.rules
	nz := normalize(raw)
	text := nz.text
	for i := range us.seen {
		us.seen[i] = false
	}
	cands := map[int]bool{}
	hits, n, overflow := rs.kw.findHits(text, us.seen, us.hits[:0])
	us.hits = hits
	if n > 0 {
		for k, ok := range us.seen {
			if ok {
				for _, ri := range rs.kwRules[k] {
					cands[ri] = true
				}
			}
		}
	}
	rawCands := map[int]bool{}
	if nz.nonASCII {
		for _, ri := range rs.nonASCII {
			if rs.Rules[ri].Classes&nz.classes != 0 {
				cands[ri] = true
				rawCands[ri] = true
			}
		}
		// Rules whose keywords only show in the raw text (a zero-width
		// character is a keyword that normalisation removes).
		for i := range us.seen {
			us.seen[i] = false
		}
		if rs.kw.find(raw, us.seen) > 0 {
			for k, ok := range us.seen {
				if ok {
					for _, ri := range rs.kwRules[k] {
						if rs.Rules[ri].Raw {
							cands[ri] = true
							rawCands[ri] = true
						}
					}
				}
			}
		}
	}
	order := make([]int, 0, len(cands))
	for ri := range cands {
		order = append(order, ri)
	}
	sort.Ints(order)
	isKw := make([]bool, len(rs.kwRules))
	for _, ri := range order {
		r := rs.Rules[ri]
		if !r.appliesTo(baseRel(rel)) {
			continue
		}
		src := text
		if r.Raw {
			src = raw
		}
		// Whole text for raw/Unicode rules, after hit overflow, and for
		// small texts; keyword windows otherwise.
		spans := []span{{0, len(src)}}
		if !rawCands[ri] && !r.Raw && !overflow {
			for i := range isKw {
				isKw[i] = false
			}
			for _, k := range rs.ruleKws[ri] {
				isKw[k] = true
			}
			reach := winMulti
			if r.Span > 0 {
				reach = r.Span
			}
			spans = windows(src, hits, isKw, r.Multiline, reach)
		}
		for _, sp := range spans {
			var ms [][]int
			if r.Group > 0 {
				ms = r.Re.FindAllSubmatchIndex(src[sp.a:sp.b], 8)
			} else {
				// No capture needed: the plain search is cheaper.
				ms = r.Re.FindAllIndex(src[sp.a:sp.b], 8)
			}
			for _, m := range ms {
				for i := range m {
					if m[i] >= 0 {
						m[i] += sp.a
					}
				}
				us.addMatch(r, rel, src, m, line0, via)
			}
		}
	}
	if !us.s.opts.NoIndicators {
		us.indicators(rel, text, line0, via)
	}
	if depth >= maxDecodeDepth {
		return
	}
	var layers []layer
	if len(nz.smuggled) > 0 {
		layers = append(layers, layer{how: "unicode-tags", text: nz.smuggled, line: 1})
	}
	layers = append(layers, decodeLayers(text, budget)...)
	for _, l := range layers {
		how := l.how
		if via != "" {
			how = via + ">" + l.how
		}
		ln := line0
		if via == "" {
			ln = line0 + l.line - 1
		}
		us.scanText(rel, l.text, ln, how, depth+1, budget)
	}
}

// addMatch records one regex match m (submatch offsets into src).
func (us *unitScan) addMatch(r *Rule, rel string, src []byte, m []int, line0 int, via string) {
	a, b := m[0], m[1]
	if r.Group > 0 && m[2*r.Group] >= 0 {
		a, b = m[2*r.Group], m[2*r.Group+1]
	}
	if r.Exclude != nil && r.Exclude.Match(src[a:b]) {
		return
	}
	ln := line0
	if via == "" {
		ln = line0 + bytes.Count(src[:a], []byte{'\n'})
	}
	sev := r.Severity
	if via != "" && sev >= finding.Medium && sev < finding.Critical {
		// Hiding a dangerous command behind an encoding is itself
		// evidence of intent.
		sev++
	}
	pen, why := us.contextPenalty(r, rel, src, a, b)
	us.matches = append(us.matches, Match{
		RuleID: r.ID, Title: r.Title, Severity: lower(sev, pen), Category: r.Category,
		File: rel, Line: ln, Text: snippet(src[a:b]), Via: via, Context: why,
	})
}

// baseRel strips an "archive!/" prefix so file globs apply to members of
// nested archives as to plain files.
func baseRel(rel string) string {
	if i := strings.LastIndex(rel, "!/"); i >= 0 {
		return rel[i+2:]
	}
	return rel
}

// readSkillMD returns the unit's SKILL.md (first 1 MiB), or nil.
func readSkillMD(u *unit) []byte {
	for _, f := range u.files {
		if !isSkillFile(f.rel) {
			continue
		}
		if f.inMem {
			return f.data[:min(len(f.data), 1<<20)]
		}
		fh, err := os.Open(f.osPath)
		if err != nil {
			return nil
		}
		defer fh.Close()
		b, _ := io.ReadAll(io.LimitReader(fh, 1<<20))
		return b
	}
	return nil
}

func (us *unitScan) addBuiltin(id, file string, line int, detail, via string) {
	b := builtinRules[id]
	us.matches = append(us.matches, Match{RuleID: id, Title: b.title, Severity: b.sev, Category: b.cat, File: file, Line: line, Text: snippet([]byte(detail)), Via: via})
}

// secretRes find credentials a matched line may carry; they are redacted
// before any text leaves the scanner.
var secretRes = sync.OnceValue(func() []*regexp.Regexp {
	return []*regexp.Regexp{
		regexp.MustCompile(`\b(?:sk|pk|rk)-[A-Za-z0-9_\-]{16,}`),
		regexp.MustCompile(`\b(?:ghp|gho|ghu|ghs|ghr|github_pat|glpat|xox[abprs]|clh)_?-?[A-Za-z0-9_\-]{16,}`),
		regexp.MustCompile(`\bAKIA[0-9A-Z]{16}\b`),
		regexp.MustCompile(`\beyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}`),
		regexp.MustCompile(`(?i)((?:api[_-]?key|token|secret|passw(?:or)?d|bearer|authorization)["']?\s*[:=]\s*["']?|bearer\s+)([A-Za-z0-9_\-./+=]{12,})`),
		regexp.MustCompile(`discord(?:app)?\.com/api/webhooks/\d+/([A-Za-z0-9_\-]{20,})`),
		regexp.MustCompile(`hooks\.slack\.com/services/([A-Za-z0-9/]{20,})`),
		regexp.MustCompile(`api\.telegram\.org/bot(\d+:[A-Za-z0-9_\-]{20,})`),
	}
})

// RedactSecrets hides credential-looking substrings of s.
func RedactSecrets(s string) string {
	for _, re := range secretRes() {
		s = re.ReplaceAllStringFunc(s, func(m string) string {
			sub := re.FindStringSubmatch(m)
			if len(sub) > 1 {
				secret := sub[len(sub)-1]
				if secret != "" {
					return strings.Replace(m, secret, finding.Redact(secret), 1)
				}
			}
			return finding.Redact(m)
		})
	}
	return s
}

const maxSnippet = 160

// snippet makes matched bytes printable, redacted and short.
func snippet(b []byte) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case r < 0x20 || r == 0x7f:
			return '.'
		case isHiddenRune(r):
			return '·'
		}
		return r
	}, s)
	s = RedactSecrets(s)
	if utf8.RuneCountInString(s) > maxSnippet {
		r := []rune(s)
		s = string(r[:maxSnippet]) + "…"
	}
	return s
}

func dedupeMatches(ms []Match) []Match {
	sort.SliceStable(ms, func(i, j int) bool {
		a, b := ms[i], ms[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.RuleID != b.RuleID {
			return a.RuleID < b.RuleID
		}
		return a.Text < b.Text
	})
	out := ms[:0]
	perRule := map[string]int{}
	for i, m := range ms {
		if i > 0 && m == ms[i-1] {
			continue
		}
		// Keep the report readable: a rule hitting 500 lines of one
		// file says nothing the first 20 do not.
		perRule[m.RuleID]++
		if perRule[m.RuleID] > 20 {
			continue
		}
		out = append(out, m)
	}
	return out
}

type publisherRef struct{ handle, file string }

// publishers reads the publisher handles a skill records about itself:
// ClawHub's _meta.json (owner) and the install record .clawhub/origin.json
// (ownerHandle).
func publishers(u *unit) []publisherRef {
	var out []publisherRef
	parse := func(file string, b []byte) {
		var m struct {
			Owner       string `json:"owner"`
			OwnerHandle string `json:"ownerHandle"`
		}
		if json.Unmarshal(b, &m) != nil {
			return
		}
		for _, h := range []string{m.Owner, m.OwnerHandle} {
			if h != "" {
				out = append(out, publisherRef{h, file})
			}
		}
	}
	for _, f := range u.files {
		if f.rel != "_meta.json" {
			continue
		}
		if f.inMem {
			parse(f.rel, f.data)
		} else if b, err := readSmall(f.osPath); err == nil {
			parse(f.rel, b)
		}
	}
	if u.dir != "" {
		for _, d := range []string{".clawhub", ".clawdhub"} {
			if b, err := readSmall(filepath.Join(u.dir, d, "origin.json")); err == nil {
				parse(d+"/origin.json", b)
			}
		}
	}
	return out
}

// readSmall reads a metadata file, refusing anything that is not a small
// regular file (a FIFO planted as origin.json must not hang the scan).
func readSmall(p string) ([]byte, error) {
	st, err := os.Lstat(p)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Size() > 1<<20 {
		return nil, fmt.Errorf("%s: not a small regular file", p)
	}
	return os.ReadFile(p)
}
