package skillscan

import (
	"bytes"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// FrontMatter is the YAML header of a SKILL.md, as far as vetting needs
// it. OpenClaw parses it as YAML and falls back to a line parser; this does
// the same so a header OpenClaw accepts is never skipped here.
type FrontMatter struct {
	Name        string
	Description string
	// Install are metadata.openclaw.install (or legacy
	// metadata.clawdbot.install) specs.
	Install []InstallSpec
	// Line is the 1-based line where the body starts.
	Line int
	// Fallback is true when YAML failed and the line parser was used.
	Fallback bool
}

// InstallSpec is one dependency installer declared by a skill.
type InstallSpec struct {
	ID     string
	Kind   string
	URL    string
	SHA256 string
}

const maxFrontMatter = 64 << 10

// ParseFrontMatter splits SKILL.md text into its header and body. A file
// without a header returns (nil, nil); a header that neither YAML nor the
// line parser can read returns an error.
func ParseFrontMatter(b []byte) (*FrontMatter, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if !bytes.HasPrefix(b, []byte("---\n")) && !bytes.HasPrefix(b, []byte("---\r\n")) {
		return nil, nil
	}
	rest := b[bytes.IndexByte(b, '\n')+1:]
	end := -1
	for off := 0; off < len(rest) && off < maxFrontMatter; {
		nl := bytes.IndexByte(rest[off:], '\n')
		line := rest[off:]
		if nl >= 0 {
			line = rest[off : off+nl]
		}
		if t := bytes.TrimRight(line, "\r \t"); bytes.Equal(t, []byte("---")) || bytes.Equal(t, []byte("...")) {
			end = off
			break
		}
		if nl < 0 {
			break
		}
		off += nl + 1
	}
	if end < 0 {
		return nil, fmt.Errorf("front matter: no closing --- within %d bytes", maxFrontMatter)
	}
	head := rest[:end]
	fm := &FrontMatter{Line: bytes.Count(b[:len(b)-len(rest)+end], []byte{'\n'}) + 2}
	var m map[string]any
	if err := yaml.Unmarshal(head, &m); err == nil {
		fm.Name, _ = m["name"].(string)
		fm.Description, _ = m["description"].(string)
		fm.Install = installSpecs(m["metadata"])
		return fm, nil
	}
	// Line parser: "key: value" per line, as OpenClaw's fallback.
	fm.Fallback = true
	found := false
	for _, line := range strings.Split(string(head), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
			continue
		}
		found = true
		v = strings.Trim(strings.TrimSpace(v), `"'`)
		switch strings.TrimSpace(k) {
		case "name":
			fm.Name = v
		case "description":
			fm.Description = v
		}
	}
	if !found {
		return nil, fmt.Errorf("front matter: neither YAML nor key: value lines")
	}
	return fm, nil
}

func installSpecs(meta any) []InstallSpec {
	mm, ok := meta.(map[string]any)
	if !ok {
		return nil
	}
	var block map[string]any
	for _, k := range []string{"openclaw", "clawdbot"} {
		if b, ok := mm[k].(map[string]any); ok {
			block = b
			break
		}
	}
	list, _ := block["install"].([]any)
	var out []InstallSpec
	for _, it := range list {
		e, ok := it.(map[string]any)
		if !ok {
			continue
		}
		s := InstallSpec{}
		s.ID, _ = e["id"].(string)
		s.Kind, _ = e["kind"].(string)
		s.URL, _ = e["url"].(string)
		s.SHA256, _ = e["sha256"].(string)
		out = append(out, s)
	}
	return out
}
