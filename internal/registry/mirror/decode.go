package mirror

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/clawgov/clawgov/internal/registry"
)

// The decoders below read upstream answers as untrusted input: a body
// that is not the expected JSON shape, or whose identity fields do not
// match what was asked, is an error (fail closed), never a guess.

// Ref is one line of the slugs file: a slug, optionally an owner and an
// exact version.
type Ref struct {
	Slug    string
	Owner   string
	Version string
}

func (r Ref) String() string {
	s := r.Slug
	if r.Owner != "" {
		s = "@" + r.Owner + "/" + s
	}
	if r.Version != "" {
		s += "@" + r.Version
	}
	return s
}

// ParseRef reads "slug", "slug@version", "@owner/slug" or
// "@owner/slug@version" (owner/slug without the @ too).
func ParseRef(s string) (Ref, error) {
	var r Ref
	rest := strings.TrimPrefix(s, "@")
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		r.Owner, rest = rest[:i], rest[i+1:]
		if !registry.ValidHandle(r.Owner) {
			return r, fmt.Errorf("%q: owner %q is not a lowercase handle", s, r.Owner)
		}
	} else if rest != s {
		return r, fmt.Errorf("%q: want @owner/slug", s)
	}
	r.Slug, r.Version, _ = strings.Cut(rest, "@")
	if !registry.ValidSlug(r.Slug) {
		return r, fmt.Errorf("%q: slug %q: want lowercase letters, digits and '-'", s, r.Slug)
	}
	if strings.Contains(rest, "@") && !registry.ValidVersion(r.Version) {
		return r, fmt.Errorf("%q: version %q: want 1-64 characters of [0-9A-Za-z.+-]", s, r.Version)
	}
	return r, nil
}

// MaxRefs bounds a slugs file.
const MaxRefs = 10000

// ParseSlugs reads a slugs file: one reference a line (see ParseRef),
// blank lines and '#' comments (whole-line or after the reference)
// ignored, duplicates dropped. Errors name the line.
func ParseSlugs(r io.Reader, name string) ([]Ref, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 4096)
	seen := map[Ref]bool{}
	var out []Ref
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		ref, err := ParseRef(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		if seen[ref] {
			continue
		}
		seen[ref] = true
		out = append(out, ref)
		if len(out) > MaxRefs {
			return nil, fmt.Errorf("%s: more than %d skills", name, MaxRefs)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, n+1, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no skills listed", name)
	}
	return out, nil
}

// Moderation is the upstream's moderation block of a skill (§4.5).
type Moderation struct {
	IsSuspicious     bool     `json:"isSuspicious"`
	IsMalwareBlocked bool     `json:"isMalwareBlocked"`
	Verdict          string   `json:"verdict,omitempty"`
	ReasonCodes      []string `json:"reasonCodes,omitempty"`
	// Status is a hidden/removed marker some servers add (moderation
	// status or the skill's own).
	Status string `json:"status,omitempty"`
}

// Detail is what the mirror needs from GET /api/v1/skills/{slug}.
type Detail struct {
	Slug        string
	DisplayName string
	Summary     string
	Owner       string
	Latest      string
	Changelog   string
	Moderation  *Moderation
	// Hidden is non-empty when the skill itself says it is hidden,
	// removed or deleted (whatever the moderation block says).
	Hidden string
}

type rawModeration struct {
	IsSuspicious     *bool    `json:"isSuspicious"`
	IsMalwareBlocked *bool    `json:"isMalwareBlocked"`
	Verdict          *string  `json:"verdict"`
	ReasonCodes      []string `json:"reasonCodes"`
	Status           *string  `json:"status"`
	Hidden           *bool    `json:"isHidden"`
}

type rawVersionShape struct {
	Version   *string `json:"version"`
	Changelog *string `json:"changelog"`
}

// DecodeDetail parses a skill detail answer for slug (and owner, when
// asked for one).
func DecodeDetail(body []byte, slug, owner string) (Detail, error) {
	var raw struct {
		Skill *struct {
			Slug             *string         `json:"slug"`
			DisplayName      *string         `json:"displayName"`
			Summary          *string         `json:"summary"`
			IsHidden         *bool           `json:"isHidden"`
			Hidden           *bool           `json:"hidden"`
			ModerationStatus *string         `json:"moderationStatus"`
			Status           *string         `json:"status"`
			SoftDeletedAt    json.RawMessage `json:"softDeletedAt"`
			DeletedAt        json.RawMessage `json:"deletedAt"`
			RemovedAt        json.RawMessage `json:"removedAt"`
		} `json:"skill"`
		LatestVersion *rawVersionShape `json:"latestVersion"`
		Owner         *struct {
			Handle *string `json:"handle"`
		} `json:"owner"`
		Moderation *rawModeration `json:"moderation"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return Detail{}, fmt.Errorf("skill detail is not the expected JSON: %v", shortJSONErr(err))
	}
	if raw.Skill == nil || raw.Skill.Slug == nil {
		return Detail{}, fmt.Errorf("skill detail has no skill.slug")
	}
	d := Detail{Slug: *raw.Skill.Slug}
	if d.Slug != slug {
		// The public server resolves renamed slugs to the canonical one.
		return Detail{}, fmt.Errorf("skill detail is for %q, not %q (renamed upstream? list the canonical slug)", clip(d.Slug), slug)
	}
	if raw.Owner == nil || raw.Owner.Handle == nil {
		return Detail{}, fmt.Errorf("skill detail has no owner.handle")
	}
	d.Owner = strings.ToLower(*raw.Owner.Handle)
	if !registry.ValidHandle(d.Owner) {
		return Detail{}, fmt.Errorf("skill detail owner %q is not a handle the clients accept", clip(d.Owner))
	}
	if owner != "" && d.Owner != owner {
		return Detail{}, fmt.Errorf("skill detail owner is %s, not the %s asked for", d.Owner, owner)
	}
	if raw.Skill.DisplayName != nil {
		d.DisplayName = *raw.Skill.DisplayName
	}
	if raw.Skill.Summary != nil {
		d.Summary = *raw.Skill.Summary
	}
	if lv := raw.LatestVersion; lv != nil && lv.Version != nil {
		if !registry.ValidVersion(*lv.Version) {
			return Detail{}, fmt.Errorf("skill detail latestVersion %q is not a valid version", clip(*lv.Version))
		}
		d.Latest = *lv.Version
		if lv.Changelog != nil {
			d.Changelog = *lv.Changelog
		}
	}
	sk := raw.Skill
	switch {
	case isTrue(sk.IsHidden) || isTrue(sk.Hidden):
		d.Hidden = "the skill is marked hidden"
	case hiddenStatus(deref(sk.ModerationStatus)) != "":
		d.Hidden = "the skill's moderation status is " + hiddenStatus(deref(sk.ModerationStatus))
	case hiddenStatus(deref(sk.Status)) != "":
		d.Hidden = "the skill's status is " + hiddenStatus(deref(sk.Status))
	case setJSON(sk.SoftDeletedAt) || setJSON(sk.DeletedAt) || setJSON(sk.RemovedAt):
		d.Hidden = "the skill is deleted"
	}
	if m := raw.Moderation; m != nil {
		if m.IsSuspicious == nil || m.IsMalwareBlocked == nil {
			// The CLI's schema requires both booleans when the block is
			// present; without them the block cannot be trusted.
			return Detail{}, fmt.Errorf("skill detail moderation lacks isSuspicious or isMalwareBlocked")
		}
		d.Moderation = &Moderation{IsSuspicious: *m.IsSuspicious, IsMalwareBlocked: *m.IsMalwareBlocked, Verdict: strings.ToLower(deref(m.Verdict)),
			ReasonCodes: m.ReasonCodes, Status: strings.ToLower(deref(m.Status))}
		if isTrue(m.Hidden) && d.Hidden == "" {
			d.Hidden = "the moderation block marks it hidden"
		}
	}
	return d, nil
}

// Blocked says why moderation forbids mirroring ("" if it does not):
// malware-blocked, a malicious or blocking verdict, a hidden or removed
// status, or a reason code OpenClaw would block on (§6).
func (m *Moderation) Blocked() string {
	if m == nil {
		return ""
	}
	switch {
	case m.IsMalwareBlocked:
		return "the upstream marks it malware-blocked (moderation.isMalwareBlocked)"
	case m.Verdict == "malicious" || m.Verdict == "blocked":
		return "the upstream's moderation verdict is " + m.Verdict
	case hiddenStatus(m.Status) != "":
		return "the upstream's moderation status is " + hiddenStatus(m.Status)
	}
	if r := blockingReason(m.ReasonCodes); r != "" {
		return "the upstream's moderation reason " + r + " blocks it"
	}
	return ""
}

// Suspicious reports an upstream "suspicious" mark that does not block.
func (m *Moderation) Suspicious() bool {
	return m != nil && (m.IsSuspicious || m.Verdict == "suspicious")
}

// hiddenStatus normalises a status that means "not for public install".
func hiddenStatus(s string) string {
	switch s = strings.ToLower(strings.TrimSpace(s)); s {
	case "hidden", "removed", "deleted", "quarantined", "revoked", "blocked", "banned", "malware", "malicious":
		return s
	}
	return ""
}

// blockingReason applies OpenClaw's rule (§6): a reason that mentions
// malware or malicious, or ends in _blocked or .blocked, or is blocked,
// blocks; hidden and removed do too.
func blockingReason(reasons []string) string {
	for _, r := range reasons {
		l := strings.ToLower(r)
		if strings.Contains(l, "malicious") || strings.Contains(l, "malware") || strings.HasSuffix(l, "_blocked") || strings.HasSuffix(l, ".blocked") ||
			l == "blocked" || strings.Contains(l, "hidden") || strings.Contains(l, "removed") {
			return clip(r)
		}
	}
	return ""
}

// FileInfo is one file of a version as the upstream lists it.
type FileInfo struct {
	Path   string
	Size   int64
	SHA256 string
}

// VersionInfo is what the mirror needs from
// GET /api/v1/skills/{slug}/versions/{version}.
type VersionInfo struct {
	Version   string
	Changelog string
	Files     []FileInfo
	// Security is the version's security status ("" if not given).
	Security string
}

// DecodeVersion parses a version answer for version. ok is false when
// the upstream answers version:null (it does not serve that version).
func DecodeVersion(body []byte, version string) (VersionInfo, bool, error) {
	var raw struct {
		Version *struct {
			Version   *string `json:"version"`
			Changelog *string `json:"changelog"`
			Files     []struct {
				Path   *string `json:"path"`
				Size   *int64  `json:"size"`
				SHA256 *string `json:"sha256"`
			} `json:"files"`
			Security *struct {
				Status *string `json:"status"`
			} `json:"security"`
		} `json:"version"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return VersionInfo{}, false, fmt.Errorf("version answer is not the expected JSON: %v", shortJSONErr(err))
	}
	if raw.Version == nil {
		return VersionInfo{}, false, nil
	}
	rv := raw.Version
	if rv.Version == nil || *rv.Version != version {
		return VersionInfo{}, false, fmt.Errorf("version answer is for %q, not %q", clip(deref(rv.Version)), version)
	}
	vi := VersionInfo{Version: version, Changelog: deref(rv.Changelog)}
	if rv.Security != nil {
		vi.Security = strings.ToLower(deref(rv.Security.Status))
	}
	if len(rv.Files) > registry.MaxFiles {
		return VersionInfo{}, false, fmt.Errorf("version lists %d files, at most %d", len(rv.Files), registry.MaxFiles)
	}
	seen := map[string]bool{}
	for _, f := range rv.Files {
		if f.Path == nil || f.SHA256 == nil {
			return VersionInfo{}, false, fmt.Errorf("version file without path or sha256")
		}
		if _, err := registry.CleanPath(*f.Path); err != nil {
			return VersionInfo{}, false, fmt.Errorf("version lists an unsafe file: %v", err)
		}
		sum := strings.ToLower(*f.SHA256)
		if !isHex64(sum) {
			return VersionInfo{}, false, fmt.Errorf("version file %s: sha256 is not 64 hex digits", *f.Path)
		}
		if seen[*f.Path] {
			return VersionInfo{}, false, fmt.Errorf("version lists %s twice", *f.Path)
		}
		seen[*f.Path] = true
		fi := FileInfo{Path: *f.Path, SHA256: sum, Size: -1}
		if f.Size != nil {
			if *f.Size < 0 {
				return VersionInfo{}, false, fmt.Errorf("version file %s: negative size", *f.Path)
			}
			fi.Size = *f.Size
		}
		vi.Files = append(vi.Files, fi)
	}
	return vi, true, nil
}

// Verdict is the upstream's security verdict for one version (§4.10).
type Verdict struct {
	Pass     bool
	Decision string
	Status   string
	Reasons  []string
	// NotFound: the upstream has no verdict (error code or version:null).
	NotFound bool
	// Code is the error code that came with NotFound.
	Code string
}

// Blocked says why the verdict forbids mirroring, by OpenClaw's rule
// (§6): decision blocked, status malicious, or a blocking reason.
func (v Verdict) Blocked() string {
	switch {
	case v.Decision == "blocked":
		return "the upstream's security verdict is blocked (" + strings.Join(clipAll(v.Reasons), ", ") + ")"
	case v.Status == "malicious":
		return "the upstream's security status is malicious"
	}
	if r := blockingReason(v.Reasons); r != "" {
		return "the upstream's security verdict reason " + r + " blocks it"
	}
	return ""
}

// Review reports a verdict that neither passes nor blocks (what OpenClaw
// calls "review": suspicious, pending, not clean).
func (v Verdict) Review() bool { return !v.Pass && v.Blocked() == "" && !v.NotFound }

// DecodeVerdicts parses a security-verdicts answer to a request for one
// target, with OpenClaw's correlation rules: one item, the request
// identity echoed, the version and (for an owner-qualified request) the
// publisher exact, reasons an array, and a pass only with a status and
// security.passed true.
func DecodeVerdicts(body []byte, slug, owner, version string) (Verdict, error) {
	var raw struct {
		Items []struct {
			RequestedSlug        *string  `json:"requestedSlug"`
			RequestedOwnerHandle *string  `json:"requestedOwnerHandle"`
			RequestedVersion     *string  `json:"requestedVersion"`
			OK                   *bool    `json:"ok"`
			Decision             *string  `json:"decision"`
			Reasons              []string `json:"reasons"`
			Slug                 *string  `json:"slug"`
			Version              *string  `json:"version"`
			PublisherHandle      *string  `json:"publisherHandle"`
			Error                *struct {
				Code *string `json:"code"`
			} `json:"error"`
			Security *struct {
				Status    *string `json:"status"`
				RawStatus *string `json:"rawStatus"`
				Passed    *bool   `json:"passed"`
			} `json:"security"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return Verdict{}, fmt.Errorf("security verdicts are not the expected JSON: %v", shortJSONErr(err))
	}
	if len(raw.Items) != 1 {
		return Verdict{}, fmt.Errorf("security verdicts returned %d items for 1 target", len(raw.Items))
	}
	it := raw.Items[0]
	switch {
	case it.RequestedSlug == nil || it.RequestedVersion == nil:
		return Verdict{}, fmt.Errorf("security verdict omits the request identity")
	case *it.RequestedSlug != slug || *it.RequestedVersion != version:
		return Verdict{}, fmt.Errorf("security verdict is for %s@%s, not %s@%s", clip(*it.RequestedSlug), clip(*it.RequestedVersion), slug, version)
	case owner == "" && it.RequestedOwnerHandle != nil:
		return Verdict{}, fmt.Errorf("security verdict names an owner for an unqualified request (cannot be correlated safely)")
	case owner != "" && it.RequestedOwnerHandle != nil && *it.RequestedOwnerHandle != owner:
		return Verdict{}, fmt.Errorf("security verdict is for owner %q, not %q", clip(*it.RequestedOwnerHandle), owner)
	}
	v := Verdict{Decision: strings.ToLower(deref(it.Decision)), Reasons: it.Reasons}
	if it.Error != nil || it.Version == nil {
		v.NotFound = true
		if it.Error != nil {
			v.Code = clip(deref(it.Error.Code))
		}
		return v, nil
	}
	if *it.Version != version {
		return Verdict{}, fmt.Errorf("security verdict is for version %q, not %q", clip(*it.Version), version)
	}
	if s := deref(it.Slug); s != "" && s != slug {
		return Verdict{}, fmt.Errorf("security verdict is for slug %q, not %q", clip(s), slug)
	}
	if owner != "" && deref(it.PublisherHandle) != owner {
		return Verdict{}, fmt.Errorf("security verdict publisher is %q, not %q", clip(deref(it.PublisherHandle)), owner)
	}
	if it.Reasons == nil {
		return Verdict{}, fmt.Errorf("security verdict has no reasons array")
	}
	if it.Security != nil {
		v.Status = strings.ToLower(deref(it.Security.Status))
		if v.Status == "" {
			v.Status = strings.ToLower(deref(it.Security.RawStatus))
		}
	}
	if isTrue(it.OK) && v.Decision == "pass" {
		if it.Security == nil || v.Status == "" || !isTrue(it.Security.Passed) {
			return Verdict{}, fmt.Errorf("security verdict passes without a status and security.passed")
		}
		v.Pass = true
	}
	return v, nil
}

func isTrue(b *bool) bool { return b != nil && *b }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func setJSON(r json.RawMessage) bool {
	s := strings.TrimSpace(string(r))
	return s != "" && s != "null" && s != "false" && s != "0"
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// clip keeps upstream text in messages short and printable.
func clip(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError {
			return '?'
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 80 {
		s = string(r[:80]) + "…"
	}
	return s
}

func clipAll(ss []string) []string {
	out := make([]string, 0, len(ss))
	for i, s := range ss {
		if i == 8 {
			out = append(out, "…")
			break
		}
		out = append(out, clip(s))
	}
	return out
}

func shortJSONErr(err error) string { return clip(err.Error()) }
