package output

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/catalog"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current writers")

// goldenExt maps each format to the extension of its golden file.
var goldenExt = map[string]string{
	"text":     "txt",
	"json":     "json",
	"sarif":    "sarif",
	"html":     "html",
	"junit":    "junit.xml",
	"markdown": "md",
}

func render(t testing.TB, format string, lang catalog.Lang) []byte {
	t.Helper()
	w, err := New(format, Options{})
	if err != nil {
		t.Fatalf("New(%q): %v", format, err)
	}
	var buf bytes.Buffer
	if err := w.Write(&buf, fixtureReport(t, lang)); err != nil {
		t.Fatalf("%s writer: %v", format, err)
	}
	return buf.Bytes()
}

// normalize makes goldens comparable across platforms: CRLF becomes LF.
// Paths in the fixture are fixed, so no scan root needs replacing.
func normalize(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")) }

func TestGolden(t *testing.T) {
	for _, format := range Formats() {
		ext, ok := goldenExt[format]
		if !ok {
			t.Errorf("format %s has no golden file: add it to goldenExt", format)
			continue
		}
		for _, lang := range []catalog.Lang{catalog.EN, catalog.ZH} {
			name := "report." + string(lang) + "." + ext
			t.Run(name, func(t *testing.T) {
				got := normalize(render(t, format, lang))
				path := filepath.Join("testdata", "golden", name)
				if *update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("read golden (run go test ./internal/output -update): %v", err)
				}
				if !bytes.Equal(got, normalize(want)) {
					t.Errorf("%s differs from golden; run `go test ./internal/output -update` and review the diff\n%s", path, firstDiff(string(want), string(got)))
				}
			})
		}
	}
}

// firstDiff shows the first differing line, enough to see what moved.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + itoa(i+1) + ":\n  want: " + w + "\n  got:  " + g
		}
	}
	return ""
}

func itoa(i int) string {
	var b [20]byte
	n := len(b)
	for {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			return string(b[n:])
		}
	}
}

// TestDeterministic renders every format twice: map iteration or time must
// never leak into the output.
func TestDeterministic(t *testing.T) {
	for _, format := range Formats() {
		a, b := render(t, format, catalog.ZH), render(t, format, catalog.ZH)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two renders of the same report differ", format)
		}
	}
}

func TestNoMissingLabels(t *testing.T) {
	for _, format := range Formats() {
		for _, lang := range []catalog.Lang{catalog.EN, catalog.ZH} {
			if out := string(render(t, format, lang)); strings.Contains(out, "[[missing:") {
				i := strings.Index(out, "[[missing:")
				t.Errorf("%s/%s uses an undefined label: %s", format, lang, out[i:min(len(out), i+40)])
			}
		}
	}
}

// TestSecretsNeverRendered: the fixture carries a redacted token; no writer
// may undo the redaction or print the raw value some other way.
func TestSecretsNeverRendered(t *testing.T) {
	for _, format := range Formats() {
		out := string(render(t, format, catalog.EN))
		if strings.Contains(out, fixtureSecret) || strings.Contains(out, "0123456789abcdef") {
			t.Errorf("%s output contains the raw secret", format)
		}
	}
}

func TestNewUnknownFormat(t *testing.T) {
	_, err := New("pdf", Options{})
	if err == nil {
		t.Fatal("New(pdf) succeeded; want an error naming the known formats")
	}
	want := `unknown format "pdf" (want one of html, json, junit, markdown, sarif, text)`
	if err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}
	for _, f := range []string{"SARIF", "Html", "JUnit"} {
		if _, err := New(f, Options{}); err != nil {
			t.Errorf("New(%q): %v", f, err)
		}
	}
}
