package registry

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ApprovalRecord is what the registry signs when a version is approved:
// the exact bytes (archive SHA-256, OpenClaw's fileTreeSha256, the skill
// file) and who approved them on which scan. An auditor with the public
// key can check that what is on a host is byte-for-byte what was approved.
type ApprovalRecord struct {
	Schema         string     `json:"schema"`
	Registry       string     `json:"registry"`
	Slug           string     `json:"slug"`
	OwnerHandle    string     `json:"ownerHandle"`
	Version        string     `json:"version"`
	Publisher      string     `json:"publisher"`
	ArchiveSHA256  string     `json:"archiveSha256"`
	Integrity      string     `json:"integrity"`
	FileTreeSHA256 string     `json:"fileTreeSha256"`
	SkillFile      string     `json:"skillFileSha256"`
	ScanVerdict    string     `json:"scanVerdict"`
	Scanner        string     `json:"scanner"`
	Approvals      []Approval `json:"approvals"`
	ApprovedAt     int64      `json:"approvedAt"`
}

// RecordSchema names the approval record format.
const RecordSchema = "clawgov.registry.approval.v1"

// Signer holds the registry's ed25519 key.
type Signer struct {
	key   ed25519.PrivateKey
	KeyID string
}

// Public is the verification key.
func (s *Signer) Public() ed25519.PublicKey { return s.key.Public().(ed25519.PublicKey) }

// KeyIDOf is the first 16 hex digits of the SHA-256 of a public key.
func KeyIDOf(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:8])
}

// NewSigner wraps a private key.
func NewSigner(key ed25519.PrivateKey) *Signer {
	s := &Signer{key: key}
	s.KeyID = KeyIDOf(s.Public())
	return s
}

// LoadOrCreateSigner reads the PEM key at path or, on first start,
// generates one there (mode 0600).
func LoadOrCreateSigner(path string) (*Signer, bool, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		blk, _ := pem.Decode(b)
		if blk == nil || blk.Type != "CLAWGOV REGISTRY ED25519 KEY" || len(blk.Bytes) != ed25519.SeedSize {
			return nil, false, fmt.Errorf("signing key %s: not a clawgov registry key", path)
		}
		return NewSigner(ed25519.NewKeyFromSeed(blk.Bytes)), false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("signing key: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, err
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "CLAWGOV REGISTRY ED25519 KEY", Bytes: priv.Seed()})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return nil, false, fmt.Errorf("write signing key: %w", err)
	}
	return NewSigner(priv), true, nil
}

// Sign serialises rec and signs the bytes; it returns both.
func (s *Signer) Sign(rec ApprovalRecord) (string, string) {
	b, _ := json.Marshal(rec)
	return string(b), base64.StdEncoding.EncodeToString(ed25519.Sign(s.key, b))
}

// StatusStatement is what the registry signs in every verify answer: the
// version's state now. The approval record proves which bytes were
// approved once; only this says whether they still are, so a revocation
// cannot be hidden by rewriting the envelope's unsigned ok/decision
// fields. Nonce is the caller's (clawgovNonce), so an old "approved"
// answer cannot be replayed to an auditor who sent a fresh one.
type StatusStatement struct {
	Schema        string `json:"schema"`
	Registry      string `json:"registry"`
	Slug          string `json:"slug"`
	OwnerHandle   string `json:"ownerHandle"`
	Version       string `json:"version"`
	State         string `json:"state"`
	ArchiveSHA256 string `json:"archiveSha256"`
	Nonce         string `json:"nonce"`
	IssuedAt      int64  `json:"issuedAt"`
}

// StatusSchema names the status statement format; the schema field keeps
// a statement from ever passing for an approval record or the reverse.
const StatusSchema = "clawgov.registry.status.v1"

// SignStatus serialises st and signs the bytes; it returns both.
func (s *Signer) SignStatus(st StatusStatement) (string, string) {
	st.Schema = StatusSchema
	b, _ := json.Marshal(st)
	return string(b), base64.StdEncoding.EncodeToString(ed25519.Sign(s.key, b))
}

// VerifyRecord checks sig over record with pub and decodes it.
func VerifyRecord(pub ed25519.PublicKey, record, sig string) (ApprovalRecord, error) {
	var rec ApprovalRecord
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, []byte(record), raw) {
		return rec, errors.New("approval record signature does not verify")
	}
	if err := json.Unmarshal([]byte(record), &rec); err != nil || rec.Schema != RecordSchema {
		return rec, errors.New("approval record is not a " + RecordSchema)
	}
	return rec, nil
}
