package openclaw

import (
	"path"
	"strings"
)

// IncludeRoots is OpenClaw's resolveIncludeRoots: OPENCLAW_INCLUDE_ROOTS
// split on ':', each entry trimmed and tilde-expanded against home,
// duplicates dropped. OpenClaw resolves a relative entry against the
// gateway's working directory, which an offline audit cannot know, so
// relative entries are dropped here.
func IncludeRoots(getenv func(string) string, home string) []string {
	raw := strings.TrimSpace(getenv("OPENCLAW_INCLUDE_ROOTS"))
	if raw == "" {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, e := range strings.Split(raw, ":") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		e = expandTilde(e, home)
		if !path.IsAbs(e) {
			continue
		}
		e = path.Clean(e)
		if seen[e] {
			continue
		}
		seen[e] = true
		out = append(out, e)
	}
	return out
}

// expandTilde replaces a leading "~" or "~/" with home, as OpenClaw's
// expandHomePrefix does.
func expandTilde(p, home string) string {
	if p == "~" {
		return home
	}
	if strings.HasPrefix(p, "~/") {
		return path.Join(home, p[2:])
	}
	return p
}
