package probe

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// The published JSON Schema accepts every embedded signature file, so
// editors that validate against it agree with the loader.
func TestSignaturesMatchSchema(t *testing.T) {
	raw, err := os.ReadFile("signatures.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("signatures.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("signatures.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := fs.Glob(signatureFS, "signatures/*.yaml")
	if len(files) == 0 {
		t.Fatal("no signature files")
	}
	for _, f := range files {
		b, _ := fs.ReadFile(signatureFS, f)
		var v any
		if err := yaml.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(j))
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	// And it rejects what the loader rejects at the shape level.
	bad, _ := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(`{"requests":[{"id":"x","path":"/","method":"DELETE"}],"signatures":[]}`)))
	if err := sch.Validate(bad); err == nil {
		t.Error("schema accepts method DELETE")
	}
}
