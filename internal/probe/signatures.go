package probe

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

//go:embed signatures/*.yaml
var signatureFS embed.FS

// Request is one probe the prober may send, as declared in a signature
// file. It is data, so the validator (not the author's care) guarantees it
// is harmless: see Request.validate.
type Request struct {
	// ID names the request; signatures refer to it.
	ID string `yaml:"id"`
	// Kind is http (default) or websocket (an upgrade whose first server
	// frame becomes the response body, with status 101).
	Kind   string `yaml:"kind,omitempty"`
	Method string `yaml:"method,omitempty"`
	Path   string `yaml:"path"`
	// Body is sent verbatim (POST only).
	Body string `yaml:"body,omitempty"`
	// Headers are extra request headers.
	Headers map[string]string `yaml:"headers,omitempty"`
	// Gate is "" (always sent) or "candidate": sent only once an earlier
	// response looked like OpenClaw, so unrelated services never receive
	// a POST or an upgrade from us.
	Gate string `yaml:"gate,omitempty"`
}

// Matcher tests one part of a response, like a nuclei matcher.
type Matcher struct {
	// Type is word, regex, status or header.
	Type string `yaml:"type"`
	// Part is body (default), header (all headers as "Name: value" lines)
	// or all (headers and body). Ignored by status and header matchers.
	Part string `yaml:"part,omitempty"`
	// Name is the header a header matcher looks at.
	Name   string   `yaml:"name,omitempty"`
	Words  []string `yaml:"words,omitempty"`
	Regex  []string `yaml:"regex,omitempty"`
	Status []int    `yaml:"status,omitempty"`
	// Condition combines the values: or (default) or and.
	Condition string `yaml:"condition,omitempty"`
	// Negative inverts the result.
	Negative        bool `yaml:"negative,omitempty"`
	CaseInsensitive bool `yaml:"case_insensitive,omitempty"`

	re []*regexp.Regexp
}

// Extractor pulls a value out of a response when its signature matched.
type Extractor struct {
	// Name is the fact it fills: version, build_id.
	Name  string `yaml:"name"`
	Part  string `yaml:"part,omitempty"`
	Regex string `yaml:"regex"`
	// Group is the capture group (default 1).
	Group int `yaml:"group,omitempty"`

	re *regexp.Regexp
}

// Example is a canned response used to test a signature.
type Example struct {
	Status  int               `yaml:"status"`
	Headers map[string]string `yaml:"headers,omitempty"`
	Body    string            `yaml:"body,omitempty"`
	// Extract lists values the extractors must produce (match examples).
	Extract map[string]string `yaml:"extract,omitempty"`
}

// Examples hold a signature's own positive and negative test cases.
type Examples struct {
	Match   []Example `yaml:"match"`
	NoMatch []Example `yaml:"no_match"`
}

// Signature turns one response into facts.
type Signature struct {
	ID      string `yaml:"id"`
	Title   string `yaml:"title"`
	Request string `yaml:"request"`
	// Condition combines the matchers: and (default) or or.
	Condition string      `yaml:"condition,omitempty"`
	Matchers  []Matcher   `yaml:"matchers"`
	Extract   []Extractor `yaml:"extract,omitempty"`
	// Sets are the facts asserted when the signature matches.
	Sets     map[string]string `yaml:"sets"`
	Examples Examples          `yaml:"examples"`
}

type signatureFile struct {
	Requests   []Request   `yaml:"requests"`
	Signatures []Signature `yaml:"signatures"`
}

// Signatures is the compiled, validated set.
type Signatures struct {
	Requests   []Request
	Signatures []Signature
	byRequest  map[string][]int
}

// factValues lists the facts a signature may set and their allowed values.
// Classification (classify.go) reads exactly these, so a typo in the data
// fails at load instead of silently never matching.
var factValues = map[string][]string{
	"candidate":  {"true"},
	"gateway":    {"true"},
	"product":    {ProductOpenClaw, ProductClawdbot, ProductMoltbot},
	"auth":       {AuthOpen, AuthRequired},
	"terminal":   {"true", "false"},
	"control_ui": {"true"},
	"openai":     {OpenAIOff, OpenAIOn, OpenAIOpen},
	"ui_config":  {"open", "protected"},
}

// extractorNames lists the values extractors may fill, each with the shape
// a value must have to be kept: banners are hostile input, so anything
// else is dropped rather than reported.
var extractorNames = sync.OnceValue(func() map[string]*regexp.Regexp {
	return map[string]*regexp.Regexp{
		"version":  regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$`),
		"build_id": regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+_:-]{0,199}$`),
	}
})

// forbiddenHeader matches request header names that could carry a
// credential. Probes never authenticate.
var forbiddenHeader = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)auth|token|cookie|password|secret|key|scope`) })

var (
	defaultOnce sync.Once
	defaultSigs *Signatures
	defaultErr  error
)

// DefaultSignatures returns the embedded signatures, compiled once.
func DefaultSignatures() (*Signatures, error) {
	defaultOnce.Do(func() {
		sub, err := fs.Sub(signatureFS, "signatures")
		if err != nil {
			defaultErr = err
			return
		}
		defaultSigs, defaultErr = LoadSignatures(sub)
	})
	return defaultSigs, defaultErr
}

// LoadSignatures reads every *.yaml in fsys (sorted by name), then compiles
// and validates the whole set.
func LoadSignatures(fsys fs.FS) (*Signatures, error) {
	files, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var all signatureFile
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("read signatures %s: %w", f, err)
		}
		sf, err := ParseSignatureFile(b)
		if err != nil {
			return nil, fmt.Errorf("signatures %s: %w", f, err)
		}
		all.Requests = append(all.Requests, sf.Requests...)
		all.Signatures = append(all.Signatures, sf.Signatures...)
	}
	return Compile(all.Requests, all.Signatures)
}

// ParseSignatureFile decodes one file strictly (unknown fields are errors).
func ParseSignatureFile(b []byte) (*signatureFile, error) {
	var sf signatureFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&sf); err != nil {
		return nil, err
	}
	return &sf, nil
}

// Compile validates requests and signatures and precompiles their
// patterns. Errors name the item and the field.
func Compile(reqs []Request, sigs []Signature) (*Signatures, error) {
	var errs []string
	add := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	s := &Signatures{byRequest: map[string][]int{}}
	reqIDs := map[string]bool{}
	for i := range reqs {
		r := reqs[i]
		if r.Kind == "" {
			r.Kind = "http"
		}
		if r.Method == "" {
			r.Method = http.MethodGet
		}
		if reqIDs[r.ID] {
			add("request %s: duplicate id", r.ID)
		}
		reqIDs[r.ID] = true
		if err := r.validate(); err != nil {
			add("request %s: %v", r.ID, err)
		}
		s.Requests = append(s.Requests, r)
	}
	sigIDs := map[string]bool{}
	for i := range sigs {
		sg := sigs[i]
		name := "signature " + sg.ID
		if sg.ID == "" {
			add("signature #%d: id is empty", i+1)
		}
		if sigIDs[sg.ID] {
			add("%s: duplicate id", name)
		}
		sigIDs[sg.ID] = true
		if strings.TrimSpace(sg.Title) == "" {
			add("%s: title is empty", name)
		}
		if !reqIDs[sg.Request] {
			add("%s: request %q is not declared", name, sg.Request)
		}
		switch sg.Condition {
		case "":
			sg.Condition = "and"
		case "and", "or":
		default:
			add("%s: condition %q (want and|or)", name, sg.Condition)
		}
		if len(sg.Matchers) == 0 {
			add("%s: no matchers", name)
		}
		sg.Matchers = append([]Matcher(nil), sg.Matchers...)
		for j := range sg.Matchers {
			if err := sg.Matchers[j].compile(); err != nil {
				add("%s: matcher %d: %v", name, j+1, err)
			}
		}
		sg.Extract = append([]Extractor(nil), sg.Extract...)
		for j := range sg.Extract {
			if err := sg.Extract[j].compile(); err != nil {
				add("%s: extractor %d: %v", name, j+1, err)
			}
		}
		if len(sg.Sets) == 0 && len(sg.Extract) == 0 {
			add("%s: sets no fact and extracts nothing", name)
		}
		for k, v := range sg.Sets {
			allowed, ok := factValues[k]
			if !ok {
				add("%s: sets unknown fact %q", name, k)
				continue
			}
			if !contains(allowed, v) {
				add("%s: fact %s=%q (want one of %s)", name, k, v, strings.Join(allowed, ", "))
			}
		}
		if len(sg.Examples.Match) == 0 || len(sg.Examples.NoMatch) == 0 {
			add("%s: needs at least one match and one no_match example", name)
		}
		s.byRequest[sg.Request] = append(s.byRequest[sg.Request], len(s.Signatures))
		s.Signatures = append(s.Signatures, sg)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid signatures:\n  %s", strings.Join(errs, "\n  "))
	}
	return s, nil
}

func (r *Request) validate() error {
	if r.ID == "" {
		return fmt.Errorf("id is empty")
	}
	switch r.Kind {
	case "http", "websocket":
	default:
		return fmt.Errorf("kind %q (want http|websocket)", r.Kind)
	}
	switch r.Method {
	case http.MethodGet:
		if r.Body != "" {
			return fmt.Errorf("GET with a body")
		}
	case http.MethodPost:
		if r.Kind != "http" {
			return fmt.Errorf("websocket requests are GET")
		}
	default:
		// Anything else could change state on some server.
		return fmt.Errorf("method %q (want GET or POST)", r.Method)
	}
	if !strings.HasPrefix(r.Path, "/") || strings.HasPrefix(r.Path, "//") || strings.ContainsAny(r.Path, " \r\n\t#") {
		return fmt.Errorf("path %q must be an absolute path on the target", r.Path)
	}
	if len(r.Body) > 256 {
		return fmt.Errorf("body longer than 256 bytes")
	}
	// The only POST body a probe may send is an empty JSON object, which
	// names nothing and so cannot run anything.
	if r.Method == http.MethodPost && strings.Join(strings.Fields(r.Body), "") != "{}" {
		return fmt.Errorf("POST body must be {} (probes never name a tool or send data)")
	}
	for k, v := range r.Headers {
		if forbiddenHeader().MatchString(k) {
			return fmt.Errorf("header %q could carry a credential", k)
		}
		if strings.ContainsAny(k+v, "\r\n") || strings.ContainsAny(k, ": ") || k == "" {
			return fmt.Errorf("header %q is malformed", k)
		}
		if strings.EqualFold(k, "host") || strings.EqualFold(k, "connection") || strings.EqualFold(k, "upgrade") {
			return fmt.Errorf("header %q is set by the prober", k)
		}
	}
	switch r.Gate {
	case "", "candidate":
	default:
		return fmt.Errorf("gate %q (want empty or candidate)", r.Gate)
	}
	return nil
}

func (m *Matcher) compile() error {
	switch m.Part {
	case "":
		m.Part = "body"
	case "body", "header", "all":
	default:
		return fmt.Errorf("part %q (want body|header|all)", m.Part)
	}
	switch m.Condition {
	case "":
		m.Condition = "or"
	case "and", "or":
	default:
		return fmt.Errorf("condition %q (want and|or)", m.Condition)
	}
	m.re = nil
	for _, r := range m.Regex {
		expr := r
		if m.CaseInsensitive {
			expr = "(?i)" + r
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return fmt.Errorf("regex %q: %v", r, err)
		}
		m.re = append(m.re, re)
	}
	switch m.Type {
	case "word":
		if len(m.Words) == 0 || len(m.Regex) > 0 || len(m.Status) > 0 {
			return fmt.Errorf("word matcher needs words and nothing else")
		}
		for _, w := range m.Words {
			if w == "" {
				return fmt.Errorf("empty word")
			}
		}
	case "regex":
		if len(m.Regex) == 0 || len(m.Words) > 0 || len(m.Status) > 0 {
			return fmt.Errorf("regex matcher needs regex and nothing else")
		}
	case "status":
		if len(m.Status) == 0 || len(m.Words) > 0 || len(m.Regex) > 0 {
			return fmt.Errorf("status matcher needs status and nothing else")
		}
		for _, s := range m.Status {
			if s < 100 || s > 599 {
				return fmt.Errorf("status %d out of range", s)
			}
		}
	case "header":
		if m.Name == "" || len(m.Status) > 0 || (len(m.Words) > 0 && len(m.Regex) > 0) {
			return fmt.Errorf("header matcher needs name and optionally words or regex")
		}
	default:
		return fmt.Errorf("type %q (want word|regex|status|header)", m.Type)
	}
	if m.Type != "header" && m.Name != "" {
		return fmt.Errorf("name is only for header matchers")
	}
	return nil
}

func (e *Extractor) compile() error {
	if _, ok := extractorNames()[e.Name]; !ok {
		names := make([]string, 0, len(extractorNames()))
		for n := range extractorNames() {
			names = append(names, n)
		}
		sort.Strings(names)
		return fmt.Errorf("name %q (want one of %s)", e.Name, strings.Join(names, ", "))
	}
	switch e.Part {
	case "":
		e.Part = "body"
	case "body", "header", "all":
	default:
		return fmt.Errorf("part %q (want body|header|all)", e.Part)
	}
	re, err := regexp.Compile(e.Regex)
	if err != nil {
		return fmt.Errorf("regex %q: %v", e.Regex, err)
	}
	if e.Group == 0 {
		e.Group = 1
	}
	if e.Group < 0 || e.Group > re.NumSubexp() {
		return fmt.Errorf("group %d but regex has %d groups", e.Group, re.NumSubexp())
	}
	e.re = re
	return nil
}

// Response is what one probe request returned, reduced to what matchers
// read. For a websocket request Status is 101 and Body the first frame.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r *Response) part(p string) string {
	switch p {
	case "header":
		return headerText(r.Header)
	case "all":
		return headerText(r.Header) + "\n" + string(r.Body)
	}
	return string(r.Body)
}

func headerText(h http.Header) string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range h[k] {
			b.WriteString(k)
			b.WriteString(": ")
			b.WriteString(v)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// Match reports whether m matches r.
func (m *Matcher) Match(r *Response) bool {
	return m.match(r) != m.Negative
}

func (m *Matcher) match(r *Response) bool {
	switch m.Type {
	case "status":
		return contains(m.Status, r.Status)
	case "header":
		vals, ok := r.Header[http.CanonicalHeaderKey(m.Name)]
		if !ok {
			return false
		}
		if len(m.Words) == 0 && len(m.re) == 0 {
			return true
		}
		return m.matchText(strings.Join(vals, ", "))
	}
	return m.matchText(r.part(m.Part))
}

func (m *Matcher) matchText(text string) bool {
	n, hits := 0, 0
	if m.Type == "word" || (m.Type == "header" && len(m.Words) > 0) {
		hay := text
		if m.CaseInsensitive {
			hay = strings.ToLower(text)
		}
		for _, w := range m.Words {
			n++
			if m.CaseInsensitive {
				w = strings.ToLower(w)
			}
			if strings.Contains(hay, w) {
				hits++
			}
		}
	} else {
		for _, re := range m.re {
			n++
			if re.MatchString(text) {
				hits++
			}
		}
	}
	if m.Condition == "and" {
		return n > 0 && hits == n
	}
	return hits > 0
}

// Match reports whether the signature matches r.
func (sg *Signature) Match(r *Response) bool {
	if r == nil {
		return false
	}
	for i := range sg.Matchers {
		ok := sg.Matchers[i].Match(r)
		if sg.Condition == "or" && ok {
			return true
		}
		if sg.Condition != "or" && !ok {
			return false
		}
	}
	return sg.Condition != "or"
}

// Extracted runs the extractors over r and keeps only well-formed values.
func (sg *Signature) Extracted(r *Response) map[string]string {
	out := map[string]string{}
	for _, e := range sg.Extract {
		m := e.re.FindStringSubmatch(r.part(e.Part))
		if m == nil || e.Group >= len(m) {
			continue
		}
		v := m[e.Group]
		if extractorNames()[e.Name].MatchString(v) {
			out[e.Name] = v
		}
	}
	return out
}

// Facts is what the signatures concluded about one endpoint.
type Facts struct {
	// Values maps a fact (and an extracted value) to the first value
	// asserted, in signature order.
	Values map[string]string
	// Matched lists matching signature IDs in evaluation order.
	Matched []string
}

func newFacts() *Facts { return &Facts{Values: map[string]string{}} }

// Get returns a fact.
func (f *Facts) Get(k string) string { return f.Values[k] }

// Apply evaluates the signatures of request reqID against r and records
// what matched. The first signature to assert a fact wins, so the order of
// the data file is the order of precedence.
func (s *Signatures) Apply(f *Facts, reqID string, r *Response) {
	if r == nil {
		return
	}
	for _, i := range s.byRequest[reqID] {
		sg := &s.Signatures[i]
		if !sg.Match(r) {
			continue
		}
		f.Matched = append(f.Matched, sg.ID)
		keys := make([]string, 0, len(sg.Sets))
		for k := range sg.Sets {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if _, set := f.Values[k]; !set {
				f.Values[k] = sg.Sets[k]
			}
		}
		for k, v := range sg.Extracted(r) {
			if _, set := f.Values[k]; !set {
				f.Values[k] = v
			}
		}
	}
}

// ExampleResponse turns an example into a response.
func (e Example) Response() *Response {
	h := http.Header{}
	for k, v := range e.Headers {
		h.Set(k, v)
	}
	return &Response{Status: e.Status, Header: h, Body: []byte(e.Body)}
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
