package output

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/catalog"
)

// Each writer neutralises the hostile strings planted in the fixture for
// its own medium. These tests look at the output, not at the helpers, so a
// template change that bypasses escaping fails here.

func TestHTMLEscapesHostileText(t *testing.T) {
	for _, lang := range []catalog.Lang{catalog.EN, catalog.ZH} {
		out := string(render(t, "html", lang))
		for _, raw := range []string{hostileScript, hostileImg, "<b>bold</b>", "<evil/>", "\x1b", "-->" + hostileScript} {
			if strings.Contains(out, raw) {
				t.Errorf("%s: raw %q in HTML", lang, raw)
			}
		}
		for _, esc := range []string{"&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;", "␛[31mRED␛[0m"} {
			if !strings.Contains(out, esc) {
				t.Errorf("%s: escaped form %q not found", lang, esc)
			}
		}
		// Self-contained: no script, no external resource of any kind.
		lower := strings.ToLower(out)
		for _, bad := range []string{"<script", "<iframe", "<object", "<embed", "<img", "@import", "url(", "javascript:alert(1)\""} {
			if strings.Contains(lower, bad) {
				t.Errorf("%s: HTML contains %q", lang, bad)
			}
		}
		if m := regexp.MustCompile(`(?i)<[a-z][^>]*\s(src|srcset|background|poster|data)=`).FindString(out); m != "" {
			t.Errorf("%s: element loads a resource: %s", lang, m)
		}
		for _, m := range regexp.MustCompile(`(?i)<link[^>]*>`).FindAllString(out, -1) {
			if !strings.Contains(m, `href="data:,"`) {
				t.Errorf("%s: external link element %s", lang, m)
			}
		}
		for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(out, -1) {
			if u := m[1]; u != "data:," && !strings.HasPrefix(u, "https://") && !regexp.MustCompile(`^#ctl-(DO|DONT)-[1-6]$`).MatchString(u) {
				t.Errorf("%s: unexpected href %q", lang, u)
			}
		}
		if !strings.Contains(out, `content="default-src 'none'`) {
			t.Errorf("%s: no restrictive Content-Security-Policy", lang)
		}
		if !strings.Contains(out, "@media print") {
			t.Errorf("%s: no print stylesheet", lang)
		}
	}
}

func TestHTMLOpensWithControlGrid(t *testing.T) {
	out := string(render(t, "html", catalog.ZH))
	grid := strings.Index(out, `id="overview"`)
	fnd := strings.Index(out, `id="findings"`)
	ref := strings.Index(out, `id="framework"`)
	if grid < 0 || fnd < 0 || ref < 0 || !(grid < fnd && fnd < ref) {
		t.Fatalf("section order overview %d, findings %d, framework %d", grid, fnd, ref)
	}
	head := out[grid:fnd]
	for _, id := range []string{"DO-1", "DO-6", "DONT-1", "DONT-6"} {
		if !strings.Contains(head, ">"+id+"<") {
			t.Errorf("overview lacks %s", id)
		}
	}
	for _, cls := range []string{"cell pass", "cell warn", "cell fail", "cell manual", "cell error"} {
		if !strings.Contains(head, cls) {
			t.Errorf("overview lacks a %q cell", cls)
		}
	}
	if !strings.Contains(head, "<svg") || !strings.Contains(head, "stroke-dasharray") {
		t.Error("overview lacks the SVG chart")
	}
	if !strings.Contains(head, "使用官方最新版本") || !strings.Contains(out, `lang="zh-CN"`) {
		t.Error("zh report does not use Chinese control titles")
	}
}

func TestMarkdownEscapesHostileText(t *testing.T) {
	out := string(render(t, "markdown", catalog.EN))
	for _, raw := range []string{"<script", "<img", "<b>", "\x1b", "INJECTED LINE\n", "](javascript", "**bold**", "`backticks`"} {
		if strings.Contains(out, raw) {
			t.Errorf("raw %q in markdown", raw)
		}
	}
	// Every table row keeps its column count: hostile pipes are escaped.
	cols := 0
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "|") {
			cols = 0
			continue
		}
		n := len(regexp.MustCompile(`(^|[^\\])\|`).FindAllString(line, -1))
		if cols == 0 {
			cols = n
		} else if n != cols {
			t.Errorf("table row has %d cells, header %d: %s", n, cols, line)
		}
	}
	if !strings.Contains(out, `a \| b \| c`) {
		t.Error("pipes in untrusted text are not escaped")
	}
	// No bare URL GitHub would turn into a link.
	if regexp.MustCompile(`https?://203`).MatchString(out) {
		t.Error("hostile URL left clickable")
	}
}

func TestJUnitIsWellFormed(t *testing.T) {
	for _, lang := range []catalog.Lang{catalog.EN, catalog.ZH} {
		out := render(t, "junit", lang)
		if bytes.Contains(out, []byte("\x1b")) {
			t.Errorf("%s: ESC in XML (invalid XML 1.0)", lang)
		}
		var doc junitSuites
		dec := xml.NewDecoder(bytes.NewReader(out))
		if err := dec.Decode(&doc); err != nil {
			t.Fatalf("%s: junit is not well-formed XML: %v", lang, err)
		}
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if cd, ok := tok.(xml.CharData); err != nil || !ok || len(bytes.TrimSpace(cd)) > 0 {
				t.Errorf("%s: trailing content after the document: %v %v", lang, tok, err)
				break
			}
		}
		r := fixtureReport(t, lang)
		if len(doc.Suites) != 2 || len(doc.Suites[0].Cases) != len(r.Controls) || len(doc.Suites[1].Cases) != len(r.Checks) {
			t.Fatalf("%s: want a controls suite with %d cases and a checks suite with %d", lang, len(r.Controls), len(r.Checks))
		}
		// Outcome mapping, by status, for both suites.
		for i, c := range r.Controls {
			assertJUnitCase(t, doc.Suites[0].Cases[i], string(c.Status))
		}
		for i, c := range r.Checks {
			assertJUnitCase(t, doc.Suites[1].Cases[i], string(c.Status))
		}
		if doc.Tests != len(r.Controls)+len(r.Checks) {
			t.Errorf("%s: tests=%d", lang, doc.Tests)
		}
	}
}

func assertJUnitCase(t *testing.T, c junitCase, status string) {
	t.Helper()
	var got string
	switch {
	case c.Failure != nil:
		got = "failure:" + c.Failure.Type
	case c.Error != nil:
		got = "error"
	case c.Skipped != nil:
		got = "skipped"
	default:
		got = "passed"
	}
	want := map[string]string{"pass": "passed", "fail": "failure:fail", "warn": "failure:warn", "error": "error", "manual": "skipped", "skip": "skipped"}[status]
	if got != want {
		t.Errorf("testcase %q (status %s) is %s, want %s", c.Name, status, got, want)
	}
}

func TestTextNeutralisesControlCharacters(t *testing.T) {
	out := string(render(t, "text", catalog.EN))
	if strings.ContainsAny(out, "\x1b\r") {
		t.Error("text output (no colour) contains ESC or CR")
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "INJECTED") {
			t.Error("hostile newline forged a report line")
		}
	}
	var buf bytes.Buffer
	if err := (&TextWriter{Color: true}).Write(&buf, fixtureReport(t, catalog.EN)); err != nil {
		t.Fatal(err)
	}
	col := buf.String()
	if !strings.Contains(col, "\x1b[31;1m[FAIL]\x1b[0m DO-1") {
		t.Error("colour output lacks the red FAIL marker")
	}
	if strings.Contains(col, hostileANSI) {
		t.Error("hostile ANSI sequence survives in colour output")
	}
}

func TestJSONKeepsRawDataValid(t *testing.T) {
	// JSON is the machine contract: text is kept exactly (consumers escape
	// for their medium) and the document stays valid.
	var m map[string]any
	if err := json.Unmarshal(render(t, "json", catalog.EN), &m); err != nil {
		t.Fatal(err)
	}
	errs := m["errors"].([]any)
	if msg := errs[0].(map[string]any)["message"].(string); !strings.Contains(msg, hostileScript) || !strings.Contains(msg, hostileNL) {
		t.Errorf("json altered the run error message: %q", msg)
	}
}
