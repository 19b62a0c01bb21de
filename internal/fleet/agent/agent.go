// Package agent is the host side of the fleet: the host identity (an
// ed25519 key generated on the host, never a hardware UUID), enrollment,
// the on-disk spool and the signed push of each report.
//
// Every report is written to the spool (atomically, fsynced) before the
// first send, keeps its report ID across retries, and leaves the spool only
// when the server acknowledged it, so a kill -9 of the agent or an outage
// of the server loses nothing but what the spool bound drops (counted).
package agent

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/clawgov/clawgov/internal/fleet/wire"
	"github.com/clawgov/clawgov/internal/report"
	"github.com/clawgov/clawgov/internal/version"
)

// DefaultDir holds the agent's key, state and spool.
const DefaultDir = "/var/lib/clawgov/agent"

// State is what enrollment leaves in the agent directory (state.json).
type State struct {
	Server string `json:"server"`
	HostID string `json:"host_id"`
	KeyFP  string `json:"key_fp"`
	// TLSFingerprint pins the server certificate (hex SHA-256 of the
	// leaf's DER) when set.
	TLSFingerprint  string `json:"tls_fingerprint,omitempty"`
	IntervalSeconds int    `json:"interval_seconds,omitempty"`
	// PolicyKeys are the policy signing keys (base64 raw ed25519) pinned
	// at enrollment; only bundles signed by one of them are applied.
	PolicyKeys []string `json:"policy_keys,omitempty"`
}

// Agent is an enrolled (or enrolling) host.
type Agent struct {
	Dir   string
	Key   ed25519.PrivateKey
	State State
	// ClockOffset is added to the local clock when signing, learned from
	// the server's clock_skew answers (freshness stays server-side).
	ClockOffset time.Duration
	Now         func() time.Time
	HTTP        *http.Client
	// SpoolMax bounds the spool (reports); the oldest are dropped first.
	SpoolMax int
}

// ErrNotEnrolled says the agent directory has no enrollment.
var ErrNotEnrolled = errors.New("agent not enrolled (run clawgov agent enroll)")

// writeFileAtomic writes data to path via a fsynced temporary file and a
// rename, then fsyncs the directory, so a crash leaves old or new, never
// a torn file.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// LoadOrCreateKey returns the host key in dir, creating it (mode 0600) on
// first use.
func LoadOrCreateKey(dir string) (ed25519.PrivateKey, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("agent directory: %w", err)
	}
	p := filepath.Join(dir, "host.key")
	b, err := os.ReadFile(p)
	if err == nil {
		seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("host key %s is corrupt", p)
		}
		return ed25519.NewKeyFromSeed(seed), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read host key: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate host key: %w", err)
	}
	if err := writeFileAtomic(p, []byte(base64.StdEncoding.EncodeToString(priv.Seed())+"\n"), 0o600); err != nil {
		return nil, err
	}
	return priv, nil
}

// Load opens an enrolled agent directory.
func Load(dir string) (*Agent, error) {
	key, err := LoadOrCreateKey(dir)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotEnrolled
	}
	if err != nil {
		return nil, fmt.Errorf("read agent state: %w", err)
	}
	a := &Agent{Dir: dir, Key: key}
	if err := json.Unmarshal(b, &a.State); err != nil || a.State.HostID == "" {
		return nil, fmt.Errorf("agent state %s is corrupt", filepath.Join(dir, "state.json"))
	}
	a.init()
	return a, nil
}

func (a *Agent) init() {
	if a.Now == nil {
		a.Now = time.Now
	}
	if a.SpoolMax <= 0 {
		a.SpoolMax = 500
	}
	if a.HTTP == nil {
		a.HTTP = Client(a.State.TLSFingerprint, 30*time.Second)
	}
}

// Client is an HTTP client; with pin set it accepts exactly the server
// certificate whose SHA-256 is pin (the self-signed case) and nothing
// else.
func Client(pin string, timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if pin != "" {
		pin = strings.ToLower(strings.ReplaceAll(pin, ":", ""))
		tr.TLSClientConfig = &tls.Config{
			InsecureSkipVerify: true, // replaced by the pin check below
			VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
				if len(raw) == 0 {
					return errors.New("server sent no certificate")
				}
				s := sha256.Sum256(raw[0])
				if hex.EncodeToString(s[:]) != pin {
					return fmt.Errorf("server certificate fingerprint %x does not match the pinned %s", s, pin)
				}
				return nil
			},
		}
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}

// Facts reads this machine's identity facts. rootfs "" is the live host.
func Facts(dir string) wire.HostFacts {
	h, _ := os.Hostname()
	mid, _ := os.ReadFile("/etc/machine-id")
	m := strings.TrimSpace(string(mid))
	if m == "" {
		// No machine-id: a random instance ID kept in the agent directory.
		p := filepath.Join(dir, "instance-id")
		if b, err := os.ReadFile(p); err == nil {
			m = strings.TrimSpace(string(b))
		} else {
			b := make([]byte, 16)
			_, _ = rand.Read(b)
			m = hex.EncodeToString(b)
			_ = writeFileAtomic(p, []byte(m+"\n"), 0o600)
		}
	}
	sum := sha256.Sum256([]byte("clawgov-machine-v1\n" + m))
	boot, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return wire.HostFacts{Hostname: h, MachineFP: hex.EncodeToString(sum[:16]), BootID: strings.TrimSpace(string(boot)), Addresses: localAddresses()}
}

func localAddresses() []string {
	var out []string
	ifs, _ := net.InterfaceAddrs()
	for _, a := range ifs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			out = append(out, n.IP.String())
		}
	}
	sort.Strings(out)
	if len(out) > 64 {
		out = out[:64]
	}
	return out
}

// Enroll registers the key in dir with the server and writes state.json.
//
// policyKeys, when given, are the policy signing keys to pin instead of
// the ones the server announces (an organisation that hands the key to
// hosts out of band does not depend on the server for it).
func Enroll(ctx context.Context, dir, server, token, pin string, facts wire.HostFacts, policyKeys ...ed25519.PublicKey) (*Agent, error) {
	key, err := LoadOrCreateKey(dir)
	if err != nil {
		return nil, err
	}
	pub := key.Public().(ed25519.PublicKey)
	req := wire.EnrollRequest{Token: token, PublicKey: base64.StdEncoding.EncodeToString(pub),
		Proof: base64.StdEncoding.EncodeToString(ed25519.Sign(key, wire.EnrollProof(token, pub))), Host: facts, Agent: version.Version}
	body, _ := json.Marshal(req)
	server = strings.TrimRight(server, "/")
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, server+wire.PathEnroll, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("enroll: %w", err)
	}
	hr.Header.Set("Content-Type", "application/json")
	resp, err := Client(pin, 30*time.Second).Do(hr)
	if err != nil {
		return nil, fmt.Errorf("enroll: %w", err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated {
		if e := wire.ReadError(rb); e != nil {
			return nil, fmt.Errorf("enroll: server said %s: %s", e.Code, e.Message)
		}
		return nil, fmt.Errorf("enroll: HTTP %d", resp.StatusCode)
	}
	var er wire.EnrollResponse
	if err := json.Unmarshal(rb, &er); err != nil || er.HostID == "" {
		return nil, fmt.Errorf("enroll: bad response from server")
	}
	pinned := er.PolicyKeys
	if len(policyKeys) > 0 {
		pinned = nil
		for _, k := range policyKeys {
			pinned = append(pinned, base64.StdEncoding.EncodeToString(k))
		}
	}
	for _, k := range pinned {
		if b, err := base64.StdEncoding.DecodeString(k); err != nil || len(b) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("enroll: server announced a malformed policy key")
		}
	}
	a := &Agent{Dir: dir, Key: key, State: State{Server: server, HostID: er.HostID, KeyFP: er.KeyFP, TLSFingerprint: pin, IntervalSeconds: er.IntervalSeconds,
		PolicyKeys: pinned}}
	sb, _ := json.MarshalIndent(a.State, "", "  ")
	if err := writeFileAtomic(filepath.Join(dir, "state.json"), append(sb, '\n'), 0o600); err != nil {
		return nil, err
	}
	a.init()
	return a, nil
}

// NewReportID returns a time-ordered random report ID.
func NewReportID(now time.Time) string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%012x-%s", now.UnixMilli(), hex.EncodeToString(b))
}

// Envelope wraps an audit report for sending, capping its findings. The
// report goes compact (wire.Compact: the catalog texts left out, named by
// digest) whenever that round-trips exactly; Send falls back to the full
// report for a server that does not take it.
func Envelope(rep *report.Report, facts wire.HostFacts, id string, now time.Time) ([]byte, error) {
	env := wire.Envelope{SchemaVersion: wire.SchemaVersion, ReportID: id, CollectedAt: now.UTC(), AgentVersion: version.Version, Host: facts, Report: rep}
	env.Cap(wire.MaxFindings)
	return wire.Compact(env)
}

// Ack is the server's answer to one send.
type Ack struct {
	Status  int
	Receipt map[string]any
	Err     *wire.Error
}

// Send pushes one envelope, correcting the clock offset once on
// clock_skew and, when the server does not take a compact report (an
// older server, or one whose catalog texts differ), sending the full one
// once under the same report ID. It returns the server's answer; err is
// transport failure.
func (a *Agent) Send(ctx context.Context, id string, body []byte) (Ack, error) {
	skewed, expanded := false, false
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.State.Server+wire.PathReports, bytes.NewReader(body))
		if err != nil {
			return Ack{}, err
		}
		req.Header.Set("Content-Type", "application/json")
		wire.Sign(req, a.Key, a.Now().Add(a.ClockOffset), id, body)
		resp, err := a.HTTP.Do(req)
		if err != nil {
			return Ack{}, err
		}
		rb, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		ack := Ack{Status: resp.StatusCode}
		if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusCreated {
			_ = json.Unmarshal(rb, &ack.Receipt)
			return ack, nil
		}
		ack.Err = wire.ReadError(rb)
		if ack.Err != nil && ack.Err.Code == wire.CodeClockSkew && ack.Err.ServerTime != nil && !skewed {
			// Adjust and retry at once; never re-enroll for a clock.
			a.ClockOffset = ack.Err.ServerTime.Sub(a.Now())
			skewed = true
			continue
		}
		if ack.Err != nil && (ack.Err.Code == wire.CodeTextsUnknown || ack.Err.Code == wire.CodeUnsupported) && !expanded {
			full, err := wire.Expand(body)
			if err == nil && !bytes.Equal(full, body) {
				body, expanded = full, true
				continue
			}
		}
		return ack, nil
	}
}

// Acknowledged reports a 2xx receipt.
func (k Ack) Acknowledged() bool { return k.Status == http.StatusOK || k.Status == http.StatusCreated }

// retryable says whether a failed answer may succeed unchanged later.
func (k Ack) retryable() bool {
	return k.Status == 0 || k.Status >= 500 || k.Status == http.StatusTooManyRequests || k.Status == http.StatusRequestTimeout
}

func (a *Agent) spoolDir() string { return filepath.Join(a.Dir, "spool") }

// lockSpool takes the spool's exclusive lock (flock on spool/.lock, so a
// kill -9 releases it) and removes temporary files a killed writer left:
// with the lock held, no other writer is mid-rename, so every .tmp-* file
// is debris. One lock keeps a concurrent 'agent once' and 'agent run' from
// sharing sequence numbers or sending the same entry twice at once.
func (a *Agent) lockSpool() (func(), error) {
	d := a.spoolDir()
	if err := os.MkdirAll(d, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(d, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("spool lock: %w", err)
	}
	if es, err := os.ReadDir(d); err == nil {
		for _, e := range es {
			if strings.HasPrefix(e.Name(), ".tmp-") {
				_ = os.Remove(filepath.Join(d, e.Name()))
			}
		}
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// Spool writes body to the spool before any send. Files are named by a
// zero-padded sequence so they drain in order.
func (a *Agent) Spool(id string, body []byte) error {
	unlock, err := a.lockSpool()
	if err != nil {
		return err
	}
	defer unlock()
	d := a.spoolDir()
	files, err := a.spooled()
	if err != nil {
		return err
	}
	var seq uint64 = 1
	if n := len(files); n > 0 {
		seq = parseSeq(files[n-1]) + 1
	}
	// Bound: drop the oldest and count it. The count is written first, so
	// a kill between the two over-counts by one rather than losing a drop.
	for len(files) >= a.SpoolMax {
		if err := a.addCounter("spool-dropped", 1); err != nil {
			return err
		}
		if err := os.Remove(filepath.Join(d, files[0])); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("spool: %w", err)
		}
		files = files[1:]
	}
	return writeFileAtomic(filepath.Join(d, fmt.Sprintf("%020d_%s.json", seq, id)), body, 0o600)
}

func parseSeq(name string) uint64 {
	n, _ := strconv.ParseUint(strings.SplitN(name, "_", 2)[0], 10, 64)
	return n
}

func (a *Agent) spooled() ([]string, error) {
	es, err := os.ReadDir(a.spoolDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read spool: %w", err)
	}
	var out []string
	for _, e := range es {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// Dropped is how many reports the spool bound dropped so far.
func (a *Agent) Dropped() int { return a.counter("spool-dropped") }

// Corrupt is how many spool entries Flush found unreadable (not a
// complete envelope for the report ID in their name) and skipped. The
// atomic write makes a torn entry impossible after a crash of the agent;
// this catches what the file system itself loses (power cut, bad disk).
func (a *Agent) Corrupt() int { return a.counter("spool-corrupt") }

func (a *Agent) counter(name string) int {
	b, _ := os.ReadFile(filepath.Join(a.Dir, name))
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

func (a *Agent) addCounter(name string, n int) error {
	return writeFileAtomic(filepath.Join(a.Dir, name), []byte(strconv.Itoa(a.counter(name)+n)+"\n"), 0o600)
}

// entryID checks a spool entry is a whole envelope of the report named
// in its file name and returns that ID.
func entryID(name string, body []byte) (string, bool) {
	parts := strings.SplitN(strings.TrimSuffix(name, ".json"), "_", 2)
	if len(parts) != 2 || parts[1] == "" {
		return "", false
	}
	var env struct {
		ReportID string `json:"report_id"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.ReportID != parts[1] {
		return "", false
	}
	return parts[1], true
}

// Pending is the number of spooled reports.
func (a *Agent) Pending() int {
	f, _ := a.spooled()
	return len(f)
}

// FlushResult says what a flush did.
type FlushResult struct {
	Sent     []string // report IDs acknowledged
	Rejected map[string]*wire.Error
	Pending  int
	Corrupt  int // unreadable entries skipped (and counted in Corrupt())
}

// Flush sends spooled reports oldest first and stops at the first
// transport or retryable failure (order is kept). A report the server
// rejects for good (malformed, too large, replay) leaves the spool with
// its code; authentication failures stop the flush and keep the spool.
func (a *Agent) Flush(ctx context.Context) (FlushResult, error) {
	res := FlushResult{Rejected: map[string]*wire.Error{}}
	unlock, err := a.lockSpool()
	if err != nil {
		return res, err
	}
	defer unlock()
	files, err := a.spooled()
	if err != nil {
		return res, err
	}
	for i, name := range files {
		p := filepath.Join(a.spoolDir(), name)
		body, err := os.ReadFile(p)
		if err != nil {
			return res, fmt.Errorf("read spool: %w", err)
		}
		id, ok := entryID(name, body)
		if !ok {
			// Skipped, never sent: the server would reject it anyway, and
			// stopping here would block every later report behind it.
			if err := a.addCounter("spool-corrupt", 1); err != nil {
				return res, err
			}
			if err := os.Remove(p); err != nil {
				return res, fmt.Errorf("spool: %w", err)
			}
			res.Corrupt++
			continue
		}
		ack, err := a.Send(ctx, id, body)
		if err != nil {
			res.Pending = len(files) - i
			return res, fmt.Errorf("send report %s: %w", id, err)
		}
		if ack.Acknowledged() {
			if err := os.Remove(p); err != nil {
				return res, fmt.Errorf("spool: %w", err)
			}
			res.Sent = append(res.Sent, id)
			continue
		}
		if ack.retryable() || ack.Status == http.StatusUnauthorized {
			res.Pending = len(files) - i
			return res, fmt.Errorf("send report %s: %s", id, describe(ack))
		}
		res.Rejected[id] = ack.Err
		if err := os.Remove(p); err != nil {
			return res, fmt.Errorf("spool: %w", err)
		}
	}
	return res, nil
}

func describe(k Ack) string {
	if k.Err != nil {
		return fmt.Sprintf("HTTP %d %s: %s", k.Status, k.Err.Code, k.Err.Message)
	}
	return fmt.Sprintf("HTTP %d", k.Status)
}
