package packed

import (
	"errors"
	"math"
	"reflect"
	"testing"
)

func sample() []byte {
	w := NewWriter()
	w.Uint(0)
	w.Uint(math.MaxUint64)
	w.Int(-7)
	w.Int(math.MinInt64)
	w.Bool(true)
	w.Bool(false)
	w.Float(4.8)
	w.String("")
	w.String("控制 DO-1")
	w.String("控制 DO-1")
	w.Strings(nil)
	w.Strings([]string{})
	w.Strings([]string{"a", "b", "a"})
	w.StringMap(nil)
	w.StringMap(map[string]string{"z": "1", "a": "2"})
	return w.Bytes(3)
}

func TestRoundTrip(t *testing.T) {
	r, err := NewReader(string(sample()), 3)
	if err != nil {
		t.Fatal(err)
	}
	got := []any{r.Uint(), r.Uint(), r.Int(), r.Int(), r.Bool(), r.Bool(), r.Float(), r.String(), r.String(), r.String(),
		r.Strings(), r.Strings(), r.Strings(), r.StringMap(), r.StringMap()}
	want := []any{uint64(0), uint64(math.MaxUint64), -7, math.MinInt64, true, false, 4.8, "", "控制 DO-1", "控制 DO-1",
		[]string(nil), []string{}, []string{"a", "b", "a"}, map[string]string(nil), map[string]string{"a": "2", "z": "1"}}
	if err := r.Done(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
}

func TestDeterministic(t *testing.T) {
	if a, b := sample(), sample(); string(a) != string(b) {
		t.Fatal("two encodings of the same values differ")
	}
}

func TestErrors(t *testing.T) {
	b := sample()
	for name, tc := range map[string]struct {
		data    string
		version uint64
	}{
		"empty":       {"", 3},
		"bad magic":   {"XXXX" + string(b[4:]), 3},
		"old version": {string(b), 2},
	} {
		if _, err := NewReader(tc.data, tc.version); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err = %v, want ErrCorrupt", name, err)
		}
	}
	// Truncated body: reads fail, sticky, no panic.
	r, err := NewReader(string(b[:len(b)-3]), 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		r.Strings()
	}
	if !errors.Is(r.Done(), ErrCorrupt) {
		t.Fatalf("Done = %v, want ErrCorrupt", r.Done())
	}
}

func TestTrailing(t *testing.T) {
	w := NewWriter()
	w.Uint(5)
	r, err := NewReader(string(append(w.Bytes(1), 9)), 1)
	if err != nil {
		t.Fatal(err)
	}
	if r.Uint() != 5 {
		t.Fatal("wrong value")
	}
	if !errors.Is(r.Done(), ErrCorrupt) {
		t.Fatal("trailing byte not reported")
	}
}

func FuzzReader(f *testing.F) {
	f.Add(sample())
	f.Add([]byte("CGPK\x03\xff\xff\xff\xff\x0f"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewReader(string(b), 3)
		if err != nil {
			return
		}
		for i := 0; i < 32 && r.Err() == nil; i++ {
			r.Strings()
			r.StringMap()
			r.Int()
			r.Float()
		}
	})
}
