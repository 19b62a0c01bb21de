// Package finding is clawgov's leaf vocabulary: severities, statuses,
// findings and their evidence. It does no I/O and imports nothing internal,
// so every scanner, the report builder and every writer share one meaning
// of "a finding".
package finding

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
)

// Severity orders how much a finding matters. The zero value is Info so an
// unset severity never inflates a report.
type Severity int

// Severities from least to most serious.
const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

// Severities lists every severity from least to most serious.
func Severities() []Severity { return []Severity{Info, Low, Medium, High, Critical} }

func (s Severity) String() string {
	if s < Info || s > Critical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity accepts the lowercase names printed by String.
func ParseSeverity(v string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(strings.TrimSpace(v), n) {
			return Severity(i), nil
		}
	}
	return Info, fmt.Errorf("unknown severity %q (want one of %s)", v, strings.Join(severityNames[:], ", "))
}

// MarshalText writes the lowercase name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads the lowercase name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Status is the outcome of a check or a control.
type Status string

// Statuses. Error means "could not be evaluated" and is never folded into
// pass; Manual means a person has to decide; Skip means not applicable here.
const (
	Pass   Status = "pass"
	Warn   Status = "warn"
	Fail   Status = "fail"
	Manual Status = "manual"
	Error  Status = "error"
	Skip   Status = "skip"
	// Waived is a failing or warning finding an organisation accepted for
	// a while (a waiver with reason, owner and expiry). It stays in every
	// report with the waiver shown, but no longer decides a control or the
	// exit code.
	Waived Status = "waived"
)

// rank orders statuses for roll-ups: fail > error > warn > manual > pass >
// waived > skip. A waived outcome counts as evaluated but decides nothing.
func (s Status) rank() int {
	switch s {
	case Waived:
		return 0
	case Fail:
		return 5
	case Error:
		return 4
	case Warn:
		return 3
	case Manual:
		return 2
	case Pass:
		return 1
	default:
		return 0
	}
}

// Worse returns the more serious of two statuses.
func Worse(a, b Status) Status {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

// Valid reports whether s is one of the defined statuses.
func (s Status) Valid() bool { return s.rank() > 0 || s == Skip || s == Waived }

// Evidence points at where a finding was observed. Value is always already
// redacted by the producer (see Redact).
type Evidence struct {
	// Kind says what was examined: config, file, state, process, socket,
	// unit, package, probe, skill, env.
	Kind string `json:"kind"`
	// File is the path as the deployment sees it (under --rootfs it is the
	// path inside the root, not the host path).
	File string `json:"file,omitempty"`
	// KeyPath is a dotted config key or SQLite table/column.
	KeyPath string `json:"key_path,omitempty"`
	// Line is 1-based where known, 0 otherwise.
	Line int `json:"line,omitempty"`
	// Value is the observed value, redacted when it could be a secret.
	Value string `json:"value,omitempty"`
	// Detail is a short free-text note (e.g. "mode 0644 owner root").
	Detail string `json:"detail,omitempty"`
}

// Finding is one observation by one check.
type Finding struct {
	CheckID  string   `json:"check_id"`
	Controls []string `json:"controls"`
	Severity Severity `json:"severity"`
	Status   Status   `json:"status"`
	Title    string   `json:"title"`
	Message  string   `json:"message"`
	// Target names what was examined: "local", a skill name, host:port.
	Target      string     `json:"target,omitempty"`
	Evidence    []Evidence `json:"evidence,omitempty"`
	Remediation string     `json:"remediation,omitempty"`
	References  []string   `json:"references,omitempty"`
	Fingerprint string     `json:"fingerprint"`
	// Waiver is the accepted-risk record that applies to this finding;
	// Status is then Waived and Waiver.OriginalStatus keeps what it was.
	Waiver *AppliedWaiver `json:"waiver,omitempty"`
	// Baseline is "new" or "unchanged" when the run was compared with an
	// earlier report (--baseline); empty otherwise.
	Baseline string `json:"baseline,omitempty"`

	// MessageKey and Params let producers stay language-neutral: the report
	// builder renders Message from the catalog's template for MessageKey in
	// the report language. Producers that set Message directly (e.g. free
	// text from a rule) leave MessageKey empty.
	MessageKey string            `json:"-"`
	Params     map[string]string `json:"-"`
	// MatchKey is the stable, line-independent part of the fingerprint
	// (e.g. the key path or the offending value's hash).
	MatchKey string `json:"-"`
}

// AppliedWaiver is the part of a waiver a report carries with the finding
// it applies to, so every format can show why a finding is accepted.
type AppliedWaiver struct {
	ID             string `json:"id"`
	Reason         string `json:"reason"`
	Owner          string `json:"owner,omitempty"`
	Ticket         string `json:"ticket,omitempty"`
	Created        string `json:"created,omitempty"`
	Expires        string `json:"expires"`
	OriginalStatus Status `json:"original_status"`
	// Source is where the waiver was declared (file:line).
	Source string `json:"source,omitempty"`
}

// ComputeFingerprint derives a stable ID from fields that survive edits of
// unrelated lines: check, target, the first evidence file and key path, and
// the producer's MatchKey. Line numbers are deliberately left out so a
// waiver or SARIF baseline keeps matching after the file is reformatted.
func (f *Finding) ComputeFingerprint() string {
	h := sha256.New()
	var file, key string
	if len(f.Evidence) > 0 {
		file, key = f.Evidence[0].File, f.Evidence[0].KeyPath
	}
	for _, p := range []string{f.CheckID, f.Target, file, key, f.MatchKey} {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// Sort orders findings deterministically: severity desc, then check ID,
// target, first evidence file, line, message.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := &fs[i], &fs[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.CheckID != b.CheckID {
			return a.CheckID < b.CheckID
		}
		if a.Target != b.Target {
			return a.Target < b.Target
		}
		af, al := firstLoc(a)
		bf, bl := firstLoc(b)
		if af != bf {
			return af < bf
		}
		if al != bl {
			return al < bl
		}
		return a.Message < b.Message
	})
}

func firstLoc(f *Finding) (string, int) {
	if len(f.Evidence) == 0 {
		return "", 0
	}
	return f.Evidence[0].File + "\x00" + f.Evidence[0].KeyPath, f.Evidence[0].Line
}
