package host

import (
	"path"
	"regexp"
	"strings"
	"sync"
)

// SudoInclude is an #include, @include, #includedir or @includedir
// directive.
type SudoInclude struct {
	Path string
	Dir  bool
	Line int
}

// sudoTags are the command tags sudoers allows before a command ("TAG:").
var sudoTags = map[string]bool{
	"NOPASSWD": true, "PASSWD": true, "SETENV": true, "NOSETENV": true,
	"EXEC": true, "NOEXEC": true, "FOLLOW": true, "NOFOLLOW": true,
	"LOG_INPUT": true, "NOLOG_INPUT": true, "LOG_OUTPUT": true, "NOLOG_OUTPUT": true,
	"MAIL": true, "NOMAIL": true, "INTERCEPT": true, "NOINTERCEPT": true,
}

// sudoOptions are "KEY=value" options that may precede a command.
var sudoOptions = map[string]bool{
	"ROLE": true, "TYPE": true, "CWD": true, "CHROOT": true, "TIMEOUT": true,
	"NOTBEFORE": true, "NOTAFTER": true, "APPARMOR_PROFILE": true, "PRIVS": true, "LIMITPRIVS": true,
}

var (
	aliasName      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`) })
	hostSectionRe  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*!?[^\s=,/():]+(\s*,\s*!?[^\s=,/():]+)*\s*=`) })
	commaSpaceRe   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\s*,\s*`) })
	digestPrefixRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^sha(224|256|384|512)$`) })
)

// sudoParser parses sudoers files in include order; aliases are global
// and must be defined before use, as in sudo.
type sudoParser struct {
	userAlias map[string][]string
	cmndAlias map[string][]string
	rules     []SudoRule
	errs      []LineError
}

func newSudoParser() *sudoParser {
	return &sudoParser{userAlias: map[string][]string{}, cmndAlias: map[string][]string{}}
}

// ParseSudoers parses one sudoers file on its own: its rules (with the
// User_Alias and Cmnd_Alias definitions it contains expanded), the include
// directives it holds (not followed) and the lines it could not parse.
func ParseSudoers(file string, data []byte) ([]SudoRule, []SudoInclude, []LineError) {
	p := newSudoParser()
	var incs []SudoInclude
	p.parse(file, data, func(inc SudoInclude) { incs = append(incs, inc) })
	return p.rules, incs, p.errs
}

// sudoLines joins continuation lines and strips comments, keeping the
// number of each logical line's first physical line.
func sudoLines(data []byte) (lines []string, nums []int) {
	phys := strings.Split(string(data), "\n")
	for i := 0; i < len(phys); i++ {
		start := i
		line := strings.TrimRight(phys[i], "\r")
		for strings.HasSuffix(line, "\\") && !strings.HasSuffix(line, "\\\\") && i+1 < len(phys) {
			i++
			line = line[:len(line)-1] + " " + strings.TrimRight(phys[i], "\r")
		}
		line = strings.TrimSpace(stripSudoComment(line))
		if line == "" {
			continue
		}
		lines = append(lines, line)
		nums = append(nums, start+1)
	}
	return lines, nums
}

// stripSudoComment removes a "#" comment. "#include"/"#includedir" at the
// start of a line are directives, and "#" followed by a digit is a uid.
func stripSudoComment(line string) string {
	t := strings.TrimSpace(line)
	if strings.HasPrefix(t, "#include") {
		rest := strings.TrimPrefix(strings.TrimPrefix(t, "#include"), "dir")
		if rest == "" || rest[0] == ' ' || rest[0] == '\t' {
			return t
		}
	}
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '#':
			if i+1 < len(line) && line[i+1] >= '0' && line[i+1] <= '9' {
				continue
			}
			return line[:i]
		}
	}
	return line
}

func (p *sudoParser) parse(file string, data []byte, include func(SudoInclude)) {
	lines, nums := sudoLines(data)
	for i, line := range lines {
		n := nums[i]
		word, rest := line, ""
		if j := strings.IndexAny(line, " \t"); j >= 0 {
			word, rest = line[:j], strings.TrimSpace(line[j:])
		}
		switch {
		case word == "#include" || word == "@include" || word == "#includedir" || word == "@includedir":
			target := strings.Trim(strings.TrimSpace(rest), `"`)
			if target == "" {
				p.errs = append(p.errs, LineError{n, "include without a path"})
				continue
			}
			include(SudoInclude{Path: target, Dir: strings.HasSuffix(word, "dir"), Line: n})
		case strings.HasPrefix(word, "Defaults"):
			continue
		case word == "User_Alias":
			p.defineAliases(p.userAlias, rest, n)
		case word == "Cmnd_Alias" || word == "Cmd_Alias":
			p.defineAliases(p.cmndAlias, rest, n)
		case word == "Host_Alias" || word == "Runas_Alias":
			continue
		default:
			p.userSpec(file, line, n)
		}
	}
}

// defineAliases handles "NAME = a, b : NAME2 = c".
func (p *sudoParser) defineAliases(m map[string][]string, rest string, n int) {
	for _, def := range splitUnescaped(rest, ':') {
		name, val, ok := strings.Cut(def, "=")
		name = strings.TrimSpace(name)
		if !ok || !aliasName().MatchString(name) {
			p.errs = append(p.errs, LineError{n, "malformed alias definition"})
			continue
		}
		var items []string
		for _, it := range splitUnescaped(val, ',') {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, it)
			}
		}
		m[name] = items
	}
}

// splitUnescaped splits s on sep, ignoring backslash-escaped separators.
func splitUnescaped(s string, sep byte) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// indexUnescaped is strings.IndexByte that skips backslash escapes.
func indexUnescaped(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == c {
			return i
		}
	}
	return -1
}

// userSpec parses "user_list host_list = cmnd_spec_list [: host_list =
// cmnd_spec_list ...]".
func (p *sudoParser) userSpec(file, line string, n int) {
	eq := indexUnescaped(line, '=')
	if eq < 0 {
		p.errs = append(p.errs, LineError{n, "unrecognised sudoers line"})
		return
	}
	left := commaSpaceRe().ReplaceAllString(strings.TrimSpace(line[:eq]), ",")
	f := strings.Fields(left)
	if len(f) < 2 {
		p.errs = append(p.errs, LineError{n, "user specification without a host list"})
		return
	}
	var all, nopw, nopwAll, grants bool
	runas := ""
	for si, sect := range sudoSections(line[eq+1:]) {
		if si > 0 {
			// Later sections start with "host_list =".
			e := indexUnescaped(sect, '=')
			if e < 0 {
				continue
			}
			sect = sect[e+1:]
		}
		nopass := false
		secRunas := ""
		for _, spec := range splitUnescaped(sect, ',') {
			spec = strings.TrimSpace(spec)
			if strings.HasPrefix(spec, "(") {
				if j := strings.IndexByte(spec, ')'); j > 0 {
					secRunas = strings.Join(strings.Fields(spec[1:j]), "")
					spec = strings.TrimSpace(spec[j+1:])
				}
			}
			spec, nopass = stripSudoTags(spec, nopass)
			if spec == "" || strings.HasPrefix(spec, "!") {
				continue
			}
			grants = true
			isAll := p.cmndIsAll(spec, 0)
			all = all || isAll
			nopw = nopw || nopass
			nopwAll = nopwAll || (nopass && isAll)
			if runas == "" {
				runas = secRunas
			}
		}
	}
	if !grants {
		return
	}
	for _, w := range strings.Split(f[0], ",") {
		for _, who := range p.expandUsers(w, "", 0) {
			p.rules = append(p.rules, SudoRule{
				File: file, Line: n, Who: who[0], Via: who[1], Rule: line,
				NoPasswd: nopw, All: all, RunAs: runas, NoPasswdAll: nopwAll,
			})
		}
	}
}

// sudoSections splits a rule's right-hand side at ":" that separate host
// sections, not at tag colons ("NOPASSWD:"), digests ("sha256:") or
// colons inside a command ("chown root:root").
func sudoSections(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] != ':' {
			continue
		}
		j := i
		for j > start && isWordByte(s[j-1]) {
			j--
		}
		word := s[j:i]
		if sudoTags[word] || digestPrefixRe().MatchString(word) {
			continue
		}
		if !hostSectionRe().MatchString(s[i+1:]) {
			continue
		}
		out = append(out, s[start:i])
		start = i + 1
	}
	return append(out, s[start:])
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

// stripSudoTags removes options and tags in front of a command. NOPASSWD
// persists along a command list until PASSWD: overrides it.
func stripSudoTags(spec string, nopass bool) (string, bool) {
	for {
		spec = strings.TrimSpace(spec)
		word := spec
		if j := strings.IndexAny(spec, " \t"); j >= 0 {
			word = spec[:j]
		}
		if k, _, ok := strings.Cut(word, "="); ok && sudoOptions[k] {
			spec = spec[len(word):]
			continue
		}
		c := strings.IndexByte(spec, ':')
		if c <= 0 {
			return spec, nopass
		}
		tag := spec[:c]
		switch {
		case sudoTags[tag]:
			if tag == "NOPASSWD" {
				nopass = true
			} else if tag == "PASSWD" {
				nopass = false
			}
			spec = spec[c+1:]
		case digestPrefixRe().MatchString(tag):
			// "sha256:digest command": drop the digest.
			rest := strings.TrimSpace(spec[c+1:])
			if j := strings.IndexAny(rest, " \t"); j >= 0 {
				spec = rest[j:]
			} else {
				spec = ""
			}
		default:
			return spec, nopass
		}
	}
}

// cmndIsAll reports whether a command is ALL or a Cmnd_Alias that
// (transitively) contains ALL.
func (p *sudoParser) cmndIsAll(c string, depth int) bool {
	c = strings.TrimSpace(c)
	if c == "ALL" {
		return true
	}
	if depth > 16 || !aliasName().MatchString(c) {
		return false
	}
	for _, it := range p.cmndAlias[c] {
		if !strings.HasPrefix(it, "!") && p.cmndIsAll(it, depth+1) {
			return true
		}
	}
	return false
}

// expandUsers expands a user-list item into (who, via-alias) pairs;
// negated items grant nothing and are dropped.
func (p *sudoParser) expandUsers(w, via string, depth int) [][2]string {
	w = strings.TrimSpace(w)
	if w == "" || strings.HasPrefix(w, "!") || depth > 16 {
		return nil
	}
	if w != "ALL" && aliasName().MatchString(w) {
		items, ok := p.userAlias[w]
		if !ok {
			// An undefined upper-case name is a user name to sudo.
			return [][2]string{{w, via}}
		}
		if via == "" {
			via = w
		}
		var out [][2]string
		for _, it := range items {
			out = append(out, p.expandUsers(it, via, depth+1)...)
		}
		return out
	}
	return [][2]string{{unescapeSudo(w), via}}
}

func unescapeSudo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// sudoersLoader follows includes across files under a Root.
type sudoersLoader struct {
	root     *Root
	hostname string
	p        *sudoParser
	visited  map[string]bool
	problems []Problem
	complete bool
}

const maxSudoIncludeDepth = 16

func loadSudoers(r *Root, hostname string) ([]SudoRule, []Problem, bool) {
	l := &sudoersLoader{root: r, hostname: hostname, p: newSudoParser(), visited: map[string]bool{}, complete: true}
	if !l.file("/etc/sudoers", 0, false) {
		// Missing (sudo not installed) or unreadable (0440 root:root for
		// a non-root audit). Every mainstream /etc/sudoers includes
		// /etc/sudoers.d, so read it anyway rather than miss a grant; an
		// unreadable /etc/sudoers leaves the facts marked incomplete.
		l.dir("/etc/sudoers.d", 0)
	}
	return l.p.rules, l.problems, l.complete
}

func (l *sudoersLoader) file(p string, depth int, required bool) bool {
	if depth > maxSudoIncludeDepth {
		l.problems = append(l.problems, Problem{Path: p, Err: errIncludeDepth})
		l.complete = false
		return false
	}
	resolved, err := l.root.Resolve(p)
	if err == nil && l.visited[resolved] {
		return true // include cycle: sudo refuses it too; nothing new to read
	}
	data, err := l.root.ReadFile(p)
	if err != nil {
		if required || !isNotExist(err) {
			l.problems = append(l.problems, Problem{Path: p, Err: err})
			l.complete = false
		}
		return false
	}
	l.visited[resolved] = true
	before := len(l.p.errs)
	l.p.parse(p, data, func(inc SudoInclude) {
		t := strings.ReplaceAll(inc.Path, "%h", l.hostname)
		if !path.IsAbs(t) {
			t = path.Join(path.Dir(p), t)
		}
		if inc.Dir {
			l.dir(t, depth+1)
		} else {
			l.file(t, depth+1, true)
		}
	})
	for _, e := range l.p.errs[before:] {
		l.problems = append(l.problems, Problem{Path: p, Err: e})
	}
	return true
}

// dir reads an includedir: files whose names contain no "." and do not end
// in "~", in lexical order, as sudo does.
func (l *sudoersLoader) dir(d string, depth int) {
	ents, err := l.root.ReadDir(d)
	if err != nil {
		if !isNotExist(err) {
			l.problems = append(l.problems, Problem{Path: d, Err: err})
			l.complete = false
		}
		return
	}
	for _, e := range ents {
		name := e.Name()
		if strings.Contains(name, ".") || strings.HasSuffix(name, "~") || e.IsDir() {
			continue
		}
		l.file(path.Join(d, name), depth, true)
	}
}
