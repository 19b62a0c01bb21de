package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/clawgov/clawgov/internal/catalog"
)

// reference is what encodeIndented must reproduce.
func reference(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return b.Bytes(), err
}

func TestEncodeIndentedMatchesEncoder(t *testing.T) {
	for _, v := range []any{
		nil, 1, "s", []any{}, map[string]any{}, []any{[]any{}, map[string]any{}},
		map[string]any{"a": []any{1, "x,y:{}[]", map[string]any{"b\"\\": nil}}, "<&>": "\u2028 \\\" \n"},
		struct {
			A []int           `json:"a"`
			B map[string]bool `json:"b"`
		}{A: []int{1, 2}, B: map[string]bool{"x": true}},
	} {
		want, _ := reference(v)
		var got bytes.Buffer
		if err := encodeIndented(&got, v); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%#v:\n got  %q\n want %q", v, got.Bytes(), want)
		}
	}
}

func FuzzEncodeIndented(f *testing.F) {
	f.Add([]byte(`{"a":[1,{"b":"c\"d"},[]],"e":{}}`))
	f.Add([]byte(`"\\\\\""`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		want, err := reference(v)
		if err != nil {
			return
		}
		var got bytes.Buffer
		if err := encodeIndented(&got, v); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("%q:\n got  %q\n want %q", data, got.Bytes(), want)
		}
	})
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestEncodeIndentedWriteError(t *testing.T) {
	big := make([]string, 10000)
	if err := encodeIndented(failWriter{}, big); err == nil {
		t.Fatal("write error lost")
	}
	if err := encodeIndented(&bytes.Buffer{}, func() {}); err == nil {
		t.Fatal("marshal error lost")
	}
}

// The JSON writer streams the long lists element by element; the bytes
// must be those of encoding the whole report at once.
func TestJSONWriterMatchesWholeEncode(t *testing.T) {
	for _, lang := range []catalog.Lang{catalog.EN, catalog.ZH} {
		r := fixtureReport(t, lang)
		if len(r.Controls) == 0 || len(r.Checks) == 0 || len(r.Findings) == 0 {
			t.Fatal("fixture report has an empty list: the splice is not exercised")
		}
		var got bytes.Buffer
		if err := (JSONWriter{}).Write(&got, r); err != nil {
			t.Fatal(err)
		}
		want, err := reference(r)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: spliced output differs from the whole encode", lang)
		}
	}
	// An empty report keeps its empty arrays.
	var got bytes.Buffer
	if err := (JSONWriter{}).Write(&got, emptyReport(t)); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"controls": []`, `"checks": []`, `"findings": []`} {
		if !bytes.Contains(got.Bytes(), []byte(k)) {
			t.Errorf("empty report lacks %s", k)
		}
	}
}

func TestTopLevelEmptyArray(t *testing.T) {
	b := []byte(`{"a":{"checks":[]},"s":"\"checks\":[]","checks":[],"z":1}`)
	if got := topLevelEmptyArray(b, "checks"); got != bytes.Index(b, []byte(`,"checks":[]`))+10 {
		t.Errorf("offset %d", got)
	}
	if topLevelEmptyArray([]byte(`{"a":{"checks":[]}}`), "checks") != -1 {
		t.Error("found a nested key")
	}
}
