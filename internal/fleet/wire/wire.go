// Package wire is the agent↔server protocol: enrollment messages, the
// report envelope, the signed request headers and the error vocabulary.
//
// A report request is authenticated from its headers alone, so the server
// can reject it before reading any body (anchor lesson 1):
//
//	X-Clawgov-Key        hex SHA-256 of the host's ed25519 public key
//	X-Clawgov-Timestamp  Unix seconds, agent clock (checked ±MaxSkew)
//	X-Clawgov-Report-ID  the report's ID (idempotency key)
//	X-Clawgov-Content-SHA256  hex SHA-256 of the body
//	X-Clawgov-Signature  base64 ed25519 over SigningString(...)
//
// The signature covers method, path, timestamp, report ID and the body
// digest; the body is then read under a size cap and a deadline and must
// hash to the signed digest.
//
// Errors are JSON {"error":{"code":...,"message":...}} with a stable code
// (see the Code constants) so an agent can recover on its own.
package wire

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/report"
)

// Paths of the agent plane.
const (
	PathEnroll   = "/api/v1/enroll"
	PathReports  = "/api/v1/reports"
	PathGateways = "/api/v1/gateways"
	// PathPolicy is where an agent fetches the current organisation policy
	// bundle (a GET signed like a report push, over an empty body).
	PathPolicy = "/api/v1/agent/policy"
)

// Header names.
const (
	HeaderKey       = "X-Clawgov-Key"
	HeaderTimestamp = "X-Clawgov-Timestamp"
	HeaderReportID  = "X-Clawgov-Report-ID"
	HeaderDigest    = "X-Clawgov-Content-SHA256"
	HeaderSignature = "X-Clawgov-Signature"
)

// Limits.
const (
	// MaxReportBytes caps a report body (413 above it).
	MaxReportBytes = 4 << 20
	// MaxFindings caps the findings stored per report; beyond it the
	// report is stored truncated with the full count.
	MaxFindings = 500
	// MaxSkew is the accepted difference between agent and server clocks.
	MaxSkew = 5 * time.Minute
	// SchemaVersion of the envelope agents send. Version 2 added Texts
	// (compact reports); the server still takes version 1, the full
	// report without Texts.
	SchemaVersion = 2
)

// Code is a stable error code.
type Code string

// Error codes, with the HTTP status each is sent with (Status).
const (
	CodeUnauthenticated Code = "unauthenticated"    // 401 no or incomplete credentials
	CodeUnknownHost     Code = "unknown_host"       // 401 key not enrolled: re-enroll
	CodeRevoked         Code = "agent_revoked"      // 401 key revoked: stop, re-enroll only with a new token
	CodeBadSignature    Code = "bad_signature"      // 401 signature does not verify
	CodeClockSkew       Code = "clock_skew"         // 401 timestamp outside ±MaxSkew; carries server_time; never re-enroll
	CodeTokenInvalid    Code = "token_invalid"      // 401 enrollment token unknown/expired/used up
	CodeForbidden       Code = "forbidden"          // 403 role may not do this
	CodeNotFound        Code = "not_found"          // 404
	CodeTimeout         Code = "timeout"            // 408 body not received in time
	CodeReplay          Code = "replay"             // 409 report ID reused with different content
	CodeConflict        Code = "conflict"           // 409 key already enrolled
	CodeTooLarge        Code = "payload_too_large"  // 413 carries max_bytes; do not retry unchanged
	CodeMalformed       Code = "malformed"          // 400 not a valid envelope
	CodeDigestMismatch  Code = "digest_mismatch"    // 400 body does not hash to the signed digest
	CodeUnknownControl  Code = "unknown_control"    // 422 a control ID the server does not know
	CodeIncomplete      Code = "incomplete_report"  // 422 a control missing or without a valid status
	CodeUnsupported     Code = "schema_unsupported" // 422 envelope schema version unknown
	CodeTextsUnknown    Code = "texts_unknown"      // 422 a compact report refers to catalog texts the server does not have: send the full report
	CodePolicyInvalid   Code = "policy_invalid"     // 422 a policy bundle that does not verify against the trusted keys or is malformed
	CodeRateLimited     Code = "rate_limited"       // 429
	CodeUnavailable     Code = "unavailable"        // 503 server cannot write now (disk full): retry later
	CodeInternal        Code = "internal"           // 500
)

// Status is the HTTP status for a code.
func (c Code) Status() int {
	switch c {
	case CodeUnauthenticated, CodeUnknownHost, CodeRevoked, CodeBadSignature, CodeClockSkew, CodeTokenInvalid:
		return http.StatusUnauthorized
	case CodeForbidden:
		return http.StatusForbidden
	case CodeNotFound:
		return http.StatusNotFound
	case CodeTimeout:
		return http.StatusRequestTimeout
	case CodeReplay, CodeConflict:
		return http.StatusConflict
	case CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeMalformed, CodeDigestMismatch:
		return http.StatusBadRequest
	case CodeUnknownControl, CodeIncomplete, CodeUnsupported, CodeTextsUnknown, CodePolicyInvalid:
		return http.StatusUnprocessableEntity
	case CodeRateLimited:
		return http.StatusTooManyRequests
	case CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// Error is the body of every error response.
type Error struct {
	Code       Code       `json:"code"`
	Message    string     `json:"message"`
	ServerTime *time.Time `json:"server_time,omitempty"`
	MaxBytes   int64      `json:"max_bytes,omitempty"`
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Errorf builds an Error.
func Errorf(c Code, format string, a ...any) *Error {
	return &Error{Code: c, Message: fmt.Sprintf(format, a...)}
}

// ErrorBody is the JSON wrapper {"error":{...}}.
type ErrorBody struct {
	Error *Error `json:"error"`
}

// WriteError sends e as JSON with its status.
func WriteError(w http.ResponseWriter, e *Error) {
	w.Header().Set("Content-Type", "application/json")
	if e.Code == CodeUnavailable || e.Code == CodeRateLimited {
		w.Header().Set("Retry-After", "30")
	}
	w.WriteHeader(e.Code.Status())
	_ = json.NewEncoder(w).Encode(ErrorBody{Error: e})
}

// ReadError decodes an error response (nil when the body is not one).
func ReadError(body []byte) *Error {
	var eb ErrorBody
	if json.Unmarshal(body, &eb) != nil || eb.Error == nil || eb.Error.Code == "" {
		return nil
	}
	return eb.Error
}

// KeyFP is the fingerprint of an ed25519 public key.
func KeyFP(pub ed25519.PublicKey) string {
	s := sha256.Sum256(pub)
	return hex.EncodeToString(s[:])
}

// Digest is the hex SHA-256 of body.
func Digest(body []byte) string {
	s := sha256.Sum256(body)
	return hex.EncodeToString(s[:])
}

// SigningString is what the host key signs for one request.
func SigningString(method, path string, ts int64, reportID, digest string) []byte {
	return []byte("clawgov-v1\n" + method + "\n" + path + "\n" + strconv.FormatInt(ts, 10) + "\n" + reportID + "\n" + digest)
}

// Sign sets the auth headers on req for body.
func Sign(req *http.Request, priv ed25519.PrivateKey, now time.Time, reportID string, body []byte) {
	pub := priv.Public().(ed25519.PublicKey)
	ts := now.Unix()
	d := Digest(body)
	sig := ed25519.Sign(priv, SigningString(req.Method, req.URL.Path, ts, reportID, d))
	req.Header.Set(HeaderKey, KeyFP(pub))
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderReportID, reportID)
	req.Header.Set(HeaderDigest, d)
	req.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
}

// Signed is the parsed auth headers of a request.
type Signed struct {
	KeyFP     string
	Timestamp int64
	ReportID  string
	Digest    string
	Signature []byte
	SigB64    string
}

var (
	hex64    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{64}$`) })
	reportID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`) })
)

// ParseHeaders reads the auth headers, without the body.
func ParseHeaders(h http.Header) (Signed, *Error) {
	var s Signed
	s.KeyFP, s.ReportID, s.Digest, s.SigB64 = h.Get(HeaderKey), h.Get(HeaderReportID), h.Get(HeaderDigest), h.Get(HeaderSignature)
	tsRaw := h.Get(HeaderTimestamp)
	if s.KeyFP == "" || tsRaw == "" || s.SigB64 == "" || s.Digest == "" || s.ReportID == "" {
		return s, Errorf(CodeUnauthenticated, "missing %s/%s/%s/%s/%s headers", HeaderKey, HeaderTimestamp, HeaderReportID, HeaderDigest, HeaderSignature)
	}
	if !hex64().MatchString(s.KeyFP) || !hex64().MatchString(s.Digest) {
		return s, Errorf(CodeUnauthenticated, "key fingerprint and digest must be 64 lowercase hex digits")
	}
	if !reportID().MatchString(s.ReportID) {
		return s, Errorf(CodeMalformed, "report ID must be 8-64 characters of [A-Za-z0-9._-]")
	}
	ts, err := strconv.ParseInt(tsRaw, 10, 64)
	if err != nil {
		return s, Errorf(CodeUnauthenticated, "timestamp is not Unix seconds")
	}
	s.Timestamp = ts
	sig, err := base64.StdEncoding.DecodeString(s.SigB64)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return s, Errorf(CodeBadSignature, "signature is not base64 ed25519")
	}
	s.Signature = sig
	return s, nil
}

// CheckSkew rejects a timestamp outside ±MaxSkew of the server's now.
func (s Signed) CheckSkew(now time.Time) *Error {
	d := now.Sub(time.Unix(s.Timestamp, 0))
	if d > MaxSkew || d < -MaxSkew {
		t := now.UTC()
		e := Errorf(CodeClockSkew, "request time differs from server time by %s (max %s)", d.Round(time.Second), MaxSkew)
		e.ServerTime = &t
		return e
	}
	return nil
}

// Verify checks the signature against pub for method and path.
func (s Signed) Verify(pub ed25519.PublicKey, method, path string) *Error {
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, SigningString(method, path, s.Timestamp, s.ReportID, s.Digest), s.Signature) {
		return Errorf(CodeBadSignature, "signature does not verify with the enrolled key")
	}
	return nil
}

// HostFacts identify the machine sending a report. They detect clones;
// the key is the identity.
type HostFacts struct {
	Hostname string `json:"hostname"`
	// MachineFP is a hash of /etc/machine-id (never the raw ID, never a
	// hardware UUID).
	MachineFP string   `json:"machine_fp"`
	BootID    string   `json:"boot_id"`
	Addresses []string `json:"addresses,omitempty"`
}

// EnrollRequest registers a host key with an enrollment token. Proof is
// the key's signature over EnrollProof(token, public key), so the caller
// holds the private key it registers.
type EnrollRequest struct {
	Token     string    `json:"token"`
	PublicKey string    `json:"public_key"` // base64
	Proof     string    `json:"proof"`      // base64
	Host      HostFacts `json:"host"`
	Agent     string    `json:"agent_version"`
}

// EnrollProof is what the new key signs at enrollment.
func EnrollProof(token string, pub ed25519.PublicKey) []byte {
	return []byte("clawgov-enroll-v1\n" + Digest([]byte(token)) + "\n" + KeyFP(pub))
}

// EnrollResponse is the server's answer.
type EnrollResponse struct {
	HostID          string    `json:"host_id"`
	KeyFP           string    `json:"key_fp"`
	ServerTime      time.Time `json:"server_time"`
	IntervalSeconds int       `json:"interval_seconds"`
	// PolicyKeys are the public keys (base64 raw ed25519) whose signed
	// policy bundles this server distributes; the agent pins them here and
	// verifies every bundle against them.
	PolicyKeys []string `json:"policy_keys,omitempty"`
}

// Envelope is a report as the agent sends it.
type Envelope struct {
	SchemaVersion int       `json:"schema_version"`
	ReportID      string    `json:"report_id"`
	CollectedAt   time.Time `json:"collected_at"`
	AgentVersion  string    `json:"agent_version"`
	Host          HostFacts `json:"host"`
	// FindingsTotal and Truncated say the agent capped Report.Findings.
	FindingsTotal int  `json:"findings_total"`
	Truncated     bool `json:"truncated,omitempty"`
	// Texts, when set (schema version 2), is the digest of the catalog
	// Texts the report leaves out (see Compact); empty, every text is in
	// the report.
	Texts string `json:"texts,omitempty"`
	// PassedChecks (with Texts) are the checks left out of Report.Checks
	// because they passed without findings and hold only catalog data.
	PassedChecks []string       `json:"passed_checks,omitempty"`
	Report       *report.Report `json:"report"`
}

// Cap trims the report's findings to max and records the truncation.
func (e *Envelope) Cap(max int) {
	if e.Report == nil {
		return
	}
	n := len(e.Report.Findings)
	if e.FindingsTotal < n {
		e.FindingsTotal = n
	}
	if n > max {
		e.Report.Findings = e.Report.Findings[:max]
		e.Truncated = true
	}
}

// Limits bound the decoder.
const (
	maxString = 64 << 10
	maxDepth  = 32
)

var (
	controlID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Z]{2,5}-[0-9]{1,2}$`) })
	validCtl  = map[string]bool{"pass": true, "warn": true, "fail": true, "manual": true, "error": true}
)

// unlessUntouched is got, or nil when got is still the empty list pre
// that the decoder was given (the member was absent). A member present as
// [] or null was replaced by the decoder, so it keeps its decoded value.
func unlessUntouched[T any](got, pre []T) []T {
	if len(got) == 0 && cap(got) > 0 && cap(pre) > 0 && &got[:1][0] == &pre[:1][0] {
		return nil
	}
	return got
}

// Decode parses and validates a report body. known lists the control IDs
// the server accepts; every one of them must be present with a valid
// status (a partial report is never stored as a result). headerID is the
// signed report ID, which the body must repeat.
func Decode(body []byte, headerID string, known map[string]bool) (*Envelope, *Error) {
	if !utf8.Valid(body) {
		return nil, Errorf(CodeMalformed, "body is not valid UTF-8")
	}
	if err := checkShape(body); err != nil {
		return nil, Errorf(CodeMalformed, "%v", err)
	}
	// The typed decode is most of an ingest's CPU (a real report is ~110
	// KB), so it uses the v2 JSON decoder, about 2.5x faster than
	// encoding/json here. It is also stricter: member names match exactly,
	// duplicate members and trailing data are rejected, and unknown members
	// are refused as before. Everything it accepts the v1 decoder (which
	// the dashboard uses to read stored bodies) accepts with the same
	// result: TestDecodeMatchesV1 and FuzzDecodeMatchesV1 hold that.
	// The report's lists start with room for a typical report: the decoder
	// otherwise grows each by doubling from one element, which was a third
	// of a compact report's decode allocations (BenchmarkDecode). A list
	// the body leaves out is nil again afterwards, as a fresh decode gives.
	pre := report.Report{Controls: make([]report.ControlResult, 0, len(known)), Checks: make([]report.CheckResult, 0, 64), Findings: make([]finding.Finding, 0, 64)}
	env := Envelope{Report: &report.Report{Controls: pre.Controls, Checks: pre.Checks, Findings: pre.Findings}}
	if err := jsonv2.Unmarshal(body, &env, jsonv2.RejectUnknownMembers(true)); err != nil {
		return nil, Errorf(CodeMalformed, "decode envelope: %v", trimErr(err))
	}
	if r := env.Report; r != nil {
		r.Controls = unlessUntouched(r.Controls, pre.Controls)
		r.Checks = unlessUntouched(r.Checks, pre.Checks)
		r.Findings = unlessUntouched(r.Findings, pre.Findings)
	}
	if env.SchemaVersion != 1 && env.SchemaVersion != SchemaVersion {
		return nil, Errorf(CodeUnsupported, "envelope schema_version %d (want 1 or %d)", env.SchemaVersion, SchemaVersion)
	}
	if env.Texts != "" && (env.SchemaVersion < 2 || !hex64().MatchString(env.Texts)) {
		return nil, Errorf(CodeMalformed, "texts must be a catalog texts digest (64 lowercase hex digits) and needs schema_version 2")
	}
	if len(env.PassedChecks) > 0 && env.Texts == "" {
		return nil, Errorf(CodeMalformed, "passed_checks needs texts")
	}
	if env.ReportID != headerID {
		return nil, Errorf(CodeMalformed, "report_id in body differs from the signed header")
	}
	if env.Report == nil {
		return nil, Errorf(CodeMalformed, "no report")
	}
	if env.Report.Kind != "audit" {
		return nil, Errorf(CodeMalformed, "report kind %q (want audit)", env.Report.Kind)
	}
	if env.Report.SchemaVersion != report.SchemaVersion {
		return nil, Errorf(CodeUnsupported, "report schema_version %d (want %d)", env.Report.SchemaVersion, report.SchemaVersion)
	}
	if env.Host.Hostname == "" || len(env.Host.Hostname) > 253 {
		return nil, Errorf(CodeMalformed, "host.hostname missing or too long")
	}
	if len(env.Host.Addresses) > 64 {
		return nil, Errorf(CodeMalformed, "more than 64 host addresses")
	}
	seen := map[string]bool{}
	for _, c := range env.Report.Controls {
		if !controlID().MatchString(c.ID) || !known[c.ID] {
			return nil, Errorf(CodeUnknownControl, "unknown control ID %q", clip(c.ID))
		}
		if seen[c.ID] {
			return nil, Errorf(CodeMalformed, "control %s listed twice", c.ID)
		}
		seen[c.ID] = true
		if !validCtl[string(c.Status)] {
			return nil, Errorf(CodeIncomplete, "control %s has status %q", c.ID, clip(string(c.Status)))
		}
	}
	for id := range known {
		if !seen[id] {
			return nil, Errorf(CodeIncomplete, "control %s missing: partial reports are not stored", id)
		}
	}
	if env.FindingsTotal < len(env.Report.Findings) {
		env.FindingsTotal = len(env.Report.Findings)
	}
	env.Cap(MaxFindings)
	return &env, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func trimErr(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// checkShape scans the bytes once (no allocation) to bound nesting depth
// and string length before the typed decode allocates anything large.
// Syntax errors are left to the decoder. Most of a report's bytes are
// inside strings, so a string is skipped with IndexByte to its closing
// quote (a quote ends the string when an even number of backslashes
// precede it) instead of byte by byte.
func checkShape(body []byte) error {
	depth := 0
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '"':
			start := i + 1
			j := start
			for {
				k := bytes.IndexByte(body[j:], '"')
				if k < 0 {
					return nil // unterminated: the decoder reports it
				}
				j += k
				bs := 0
				for b := j - 1; b >= start && body[b] == '\\'; b-- {
					bs++
				}
				if bs%2 == 0 {
					break
				}
				j++
			}
			if j-start > maxString {
				return fmt.Errorf("string longer than %d bytes", maxString)
			}
			i = j
		case '{', '[':
			depth++
			if depth > maxDepth {
				return fmt.Errorf("JSON nested deeper than %d", maxDepth)
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}

// GatewayUpload is what `clawgov discover --upload` sends (API token auth).
type GatewayUpload struct {
	Gateways []UploadedGateway `json:"gateways"`
}

// UploadedGateway is one discovered gateway.
type UploadedGateway struct {
	Address string `json:"address"` // host:port
	Version string `json:"version,omitempty"`
	Detail  string `json:"detail,omitempty"`
}
