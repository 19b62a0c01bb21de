package openclaw

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/clawgov/clawgov/internal/sqlitefile"
)

// Read-only access to OpenClaw's state database.
//
// The gateway keeps state/openclaw.sqlite in WAL mode and may be writing
// while we read. The files are read with internal/sqlitefile, which reads
// bytes and nothing else: it takes no locks and never creates or writes
// -wal/-shm (an SQLite connection would map and write the -shm index, and
// create -wal/-shm owned by whoever runs clawgov, often root, which can
// lock the gateway out of its own database). So:
//
//   - no -wal file (or an empty one): every committed page is in the main
//     file; it is read in place ("immutable");
//   - a non-empty -wal: recent commits live only there. The db and its
//     -wal are copied into a private 0700 temporary directory and the copy
//     is read with the WAL's committed frames applied, so a checkpoint in
//     the middle of the read cannot mix two versions of a page. The copy
//     is retried when the files change while being copied, and deleted
//     afterwards (it holds plaintext secrets).
//
// Databases above maxStateCopyBytes are read in place without their WAL,
// with a Problem saying that recent WAL commits were not seen.
const maxStateCopyBytes = 512 << 20

// stateDBPath is the shared state database below the state dir.
func stateDBPath(stateDir string) string { return path.Join(stateDir, "state", "openclaw.sqlite") }

// ReadState reads the SQLite state below stateDir (a deployment path,
// under rootfs when set) and the older JSON layouts. It returns nil when
// there is no state at all. Read failures are returned as problems.
func ReadState(ctx context.Context, rootfs, stateDir string) (*State, []Problem) {
	rfs := newRootFS(rootfs)
	var probs []Problem
	st := &State{}
	found := false

	dbPath := stateDBPath(stateDir)
	if fi, err := rfs.Stat(dbPath); err == nil && fi.Mode().IsRegular() {
		found = true
		st.Path = dbPath
		if err := readStateDB(ctx, rfs, dbPath, st, &probs); err != nil {
			probs = append(probs, Problem{Path: dbPath, Area: "state", Err: err})
		}
	} else if err != nil && !isNotExist(err) {
		probs = append(probs, Problem{Path: dbPath, Area: "state", Err: pathErr("stat", dbPath, err)})
	} else if err == nil {
		probs = append(probs, Problem{Path: dbPath, Area: "state", Err: fmt.Errorf("state database %s is not a regular file", dbPath)})
	}

	// Per-agent databases: auth profiles (bounded number of agents).
	if ents, _, err := rfs.ReadDirLimit(path.Join(stateDir, "agents"), maxAgents); err == nil {
		sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
		for _, e := range ents {
			adb := path.Join(stateDir, "agents", e.Name(), "agent", "openclaw-agent.sqlite")
			if fi, err := rfs.Stat(adb); err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
				found = true
				readAgentDB(ctx, rfs, e.Name(), adb, st, &probs)
			}
		}
	}
	if readLegacyState(rfs, stateDir, st, &probs) {
		found = true
		if st.Path == "" {
			st.Legacy = true
		}
	}
	if !found {
		return nil, probs
	}
	return st, probs
}

// openSnapshot opens a database read-only as described above. The caller
// must call cleanup (which closes the files and removes any copy).
func openSnapshot(rfs rootFS, dbPath string, probs *[]Problem) (db *sqlitefile.DB, kind string, cleanup func(), err error) {
	host, err := rfs.hostPath(dbPath)
	if err != nil {
		return nil, "", nil, err
	}
	walInfo, werr := os.Stat(host + "-wal")
	hasWAL := werr == nil && walInfo.Size() > 0
	dbInfo, err := os.Stat(host)
	if err != nil {
		return nil, "", nil, pathErr("stat", dbPath, err)
	}
	src, wal, dir := host, "", ""
	if !hasWAL || dbInfo.Size()+walInfo.Size() > maxStateCopyBytes {
		if hasWAL {
			*probs = append(*probs, Problem{Path: dbPath, Area: "state", Err: fmt.Errorf("database %s is over %d MiB: read in place without its WAL, recent changes may be missing", dbPath, maxStateCopyBytes>>20)})
		}
		kind = "immutable"
	} else {
		dir, err = os.MkdirTemp("", "clawgov-state-")
		if err != nil {
			return nil, "", nil, fmt.Errorf("snapshot %s: %w", dbPath, err)
		}
		if err := snapshotDB(host, dir); err != nil {
			os.RemoveAll(dir)
			return nil, "", nil, fmt.Errorf("snapshot %s: %w", dbPath, unwrapPathError(err))
		}
		src = filepath.Join(dir, "openclaw.sqlite")
		wal = src + "-wal"
		kind = "copy"
	}
	var files []*os.File
	cleanup = func() {
		for _, f := range files {
			f.Close()
		}
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	open := func(p string) (*os.File, int64, error) {
		f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			return nil, 0, err
		}
		files = append(files, f)
		fi, err := f.Stat()
		if err != nil {
			return nil, 0, err
		}
		if !fi.Mode().IsRegular() {
			return nil, 0, fmt.Errorf("%s is not a regular file", filepath.Base(p))
		}
		return f, fi.Size(), nil
	}
	f, size, err := open(src)
	if err != nil {
		cleanup()
		return nil, "", nil, fmt.Errorf("open %s: %w", dbPath, unwrapPathError(err))
	}
	if wal != "" {
		wf, wsize, err := open(wal)
		if err == nil {
			db, err = sqlitefile.Open(f, size, wf, wsize)
		}
		if err != nil {
			cleanup()
			return nil, "", nil, fmt.Errorf("open %s: %w", dbPath, unwrapPathError(err))
		}
	} else if db, err = sqlitefile.Open(f, size, nil, 0); err != nil {
		cleanup()
		return nil, "", nil, fmt.Errorf("open %s: %w", dbPath, err)
	}
	return db, kind, cleanup, nil
}

func readStateDB(ctx context.Context, rfs rootFS, dbPath string, st *State, probs *[]Problem) error {
	db, kind, cleanup, err := openSnapshot(rfs, dbPath, probs)
	if err != nil {
		return err
	}
	defer cleanup()
	st.Snapshot = kind
	r := newDBReader(ctx, db, dbPath, probs)
	st.Tables = r.tableNames()
	r.schemaMeta(st)
	r.execApprovals(st)
	r.cronJobs(st)
	r.devices(st)
	r.secrets(st)
	r.auditEvents(st)
	r.machineState(st)
	r.authProfiles(st, "config_machine_state", "value_json", "state_key", "authProfiles.store", "shared")
	r.credentialRows(st)
	r.pairingAllow(st)
	return nil
}

// readAgentDB reads the per-agent database's auth profile store.
func readAgentDB(ctx context.Context, rfs rootFS, agent, dbPath string, st *State, probs *[]Problem) {
	db, _, cleanup, err := openSnapshot(rfs, dbPath, probs)
	if err != nil {
		*probs = append(*probs, Problem{Path: dbPath, Area: "state", Err: err})
		return
	}
	defer cleanup()
	r := newDBReader(ctx, db, dbPath, probs)
	if _, ok := r.columns("auth_profile_store"); !ok {
		return
	}
	r.authProfiles(st, "auth_profile_store", "store_json", "", "", agent)
}

// authProfiles lists auth profiles of a store document
// ({profiles: {<id>: {type, provider, key|access|refresh|token, keyRef}}})
// in the rows of table whose keyCol is keyVal (every row when keyCol is
// ""). Credential values are only tested for presence: none is kept,
// copied into the State or printed.
func (r *dbReader) authProfiles(st *State, table, col, keyCol, keyVal, store string) {
	have, ok := r.columns(table)
	if !ok || !have[col] || (keyCol != "" && !have[keyCol]) {
		return
	}
	want := []string{col}
	if keyCol != "" {
		want = append(want, keyCol)
	}
	rows, ok := r.rows(table, want)
	if !ok {
		return
	}
	var found []AuthProfile
	var keys []sqlitefile.Value
	for _, row := range rows {
		if keyCol != "" && (row[1].Kind != sqlitefile.Text || string(row[1].Bytes) != keyVal) {
			continue
		}
		for _, p := range profileEntries(row[0]) {
			found = append(found, AuthProfile{Store: store, ID: p.key.String(), Type: jsonText(p.doc["type"]), Provider: jsonText(p.doc["provider"]),
				HasSecret: jsonNonEmptyString(p.doc["key"]) || jsonNonEmptyString(p.doc["access"]) || jsonNonEmptyString(p.doc["refresh"]) || jsonNonEmptyString(p.doc["token"]),
				HasRef:    jsonIsObject(p.doc["keyRef"]) || jsonIsObject(p.doc["tokenRef"])})
			keys = append(keys, p.key)
		}
	}
	idx := make([]int, len(found))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return sqlitefile.Compare(keys[idx[a]], keys[idx[b]]) < 0 })
	for _, i := range idx {
		st.AuthProfiles = append(st.AuthProfiles, found[i])
	}
}

// profileEntry is one member of a store document's profiles.
type profileEntry struct {
	key sqlitefile.Value           // member name (text), array index (integer) or NULL
	doc map[string]json.RawMessage // the profile's members; nil when not an object
}

// profileEntries lists $.profiles of a store document the way SQLite's
// json_each does: an object's members in document order (duplicates
// included), an array's elements by index, a scalar as one keyless entry;
// an invalid document or no profiles gives none.
func profileEntries(v sqlitefile.Value) []profileEntry {
	if v.Kind != sqlitefile.Text && v.Kind != sqlitefile.Blob {
		return nil
	}
	var top map[string]json.RawMessage
	if !json.Valid(v.Bytes) || json.Unmarshal(v.Bytes, &top) != nil {
		return nil
	}
	raw, ok := top["profiles"]
	if !ok {
		return nil
	}
	member := func(b json.RawMessage) map[string]json.RawMessage {
		var m map[string]json.RawMessage
		if json.Unmarshal(b, &m) != nil {
			return nil
		}
		return m
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	tok, err := dec.Token()
	if err != nil {
		return nil
	}
	var out []profileEntry
	switch tok {
	case json.Delim('{'):
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return out
			}
			var val json.RawMessage
			if dec.Decode(&val) != nil {
				return out
			}
			name, _ := k.(string)
			out = append(out, profileEntry{key: sqlitefile.Value{Kind: sqlitefile.Text, Bytes: []byte(name)}, doc: member(val)})
		}
	case json.Delim('['):
		for i := int64(0); dec.More(); i++ {
			var val json.RawMessage
			if dec.Decode(&val) != nil {
				return out
			}
			out = append(out, profileEntry{key: sqlitefile.Value{Kind: sqlitefile.Integer, Int: i}, doc: member(val)})
		}
	default:
		out = append(out, profileEntry{})
	}
	return out
}

// jsonText is json_extract of a member read as text: a string's value,
// another scalar's JSON text (true and false as 1 and 0), an object or
// array minified, "" for null or a missing member.
func jsonText(b json.RawMessage) string {
	if len(b) == 0 {
		return ""
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return ""
	}
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "1"
		}
		return "0"
	case map[string]any, []any:
		var buf bytes.Buffer
		_ = json.Compact(&buf, b)
		return buf.String()
	}
	return strings.TrimSpace(string(b))
}

func jsonNonEmptyString(b json.RawMessage) bool {
	var s string
	return len(b) > 0 && b[0] == '"' && json.Unmarshal(b, &s) == nil && s != ""
}

func jsonIsObject(b json.RawMessage) bool { return len(b) > 0 && b[0] == '{' }

// credentialRows counts rows of other credential-bearing tables.
func (r *dbReader) credentialRows(st *State) {
	for _, t := range []string{"mcp_oauth_stores", "device_auth_tokens", "worker_environment_credentials"} {
		tb := r.db.Table(t)
		if tb == nil {
			continue
		}
		n, err := r.db.Count(tb)
		if err != nil {
			r.problem("read %s: %v", t, err)
			continue
		}
		if st.CredentialRows == nil {
			st.CredentialRows = map[string]int{}
		}
		st.CredentialRows[t] = n
	}
}

// snapshotDB copies db and db-wal into dir, retrying while the source
// changes under us (a checkpoint or commit in the middle of the copy).
func snapshotDB(host, dir string) error {
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		before, err := fileStamps(host)
		if err != nil {
			return err
		}
		if err := copyFile(host+"-wal", filepath.Join(dir, "openclaw.sqlite-wal")); err != nil && !isNotExist(err) {
			return err
		}
		if err := copyFile(host, filepath.Join(dir, "openclaw.sqlite")); err != nil {
			return err
		}
		after, err := fileStamps(host)
		if err != nil {
			return err
		}
		if before == after {
			return nil
		}
		lastErr = errors.New("database kept changing while being copied")
		time.Sleep(time.Duration(attempt+1) * 50 * time.Millisecond)
	}
	return lastErr
}

func fileStamps(host string) (string, error) {
	var b strings.Builder
	for _, p := range []string{host, host + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			if isNotExist(err) {
				b.WriteString("-;")
				continue
			}
			return "", err
		}
		fmt.Fprintf(&b, "%d:%d;", fi.Size(), fi.ModTime().UnixNano())
	}
	return b.String(), nil
}

func copyFile(src, dst string) error {
	in, err := os.OpenFile(src, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	defer in.Close()
	if fi, err := in.Stat(); err != nil {
		return err
	} else if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", filepath.Base(src))
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// dbReader reads tables defensively: a missing table or column is a
// Problem (the schema differs from 2026.9.6), never a failure.
type dbReader struct {
	ctx    context.Context
	db     *sqlitefile.DB
	path   string
	probs  *[]Problem
	tables map[string]map[string]bool // table -> columns, filled on first use
}

func (r *dbReader) problem(format string, args ...any) {
	*r.probs = append(*r.probs, Problem{Path: r.path, Area: "state", Err: fmt.Errorf("%s: "+format, append([]any{r.path}, args...)...)})
}

func newDBReader(ctx context.Context, db *sqlitefile.DB, path string, probs *[]Problem) *dbReader {
	return &dbReader{ctx: ctx, db: db, path: path, probs: probs, tables: map[string]map[string]bool{}}
}

// columns returns the column set of table (ok false when there is no such
// table), parsing its schema on first use.
func (r *dbReader) columns(table string) (map[string]bool, bool) {
	if cols, ok := r.tables[table]; ok {
		return cols, true
	}
	t := r.db.Table(table)
	if t == nil {
		return nil, false
	}
	cols := map[string]bool{}
	for _, c := range t.Columns() {
		cols[c] = true
	}
	r.tables[table] = cols
	return cols, true
}

func (r *dbReader) tableNames() []string {
	ts := r.db.Tables()
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}

// rows reads the wanted columns of every row of table, in rowid order. A
// column missing from the table reads as NULL (and is reported once) so
// one renamed column does not hide the rest. ok is false when the table is
// missing, lacks a required column, or cannot be read (reported).
func (r *dbReader) rows(table string, want []string, required ...string) ([][]sqlitefile.Value, bool) {
	have, ok := r.columns(table)
	tb := r.db.Table(table)
	if !ok || tb == nil {
		r.problem("table %s missing", table)
		return nil, false
	}
	for _, c := range required {
		if !have[c] {
			r.problem("table %s has no column %s", table, c)
			return nil, false
		}
	}
	idx := make([]int, len(want))
	var missing []string
	for i, c := range want {
		idx[i] = -1
		for j, tc := range tb.Columns() {
			if tc == c {
				idx[i] = j
				break
			}
		}
		if idx[i] < 0 {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		r.problem("table %s lacks columns %s", table, strings.Join(missing, ", "))
	}
	var out [][]sqlitefile.Value
	err := r.db.Scan(tb, func(row []sqlitefile.Value) error {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		vals := make([]sqlitefile.Value, len(want))
		for i, j := range idx {
			if j >= 0 {
				v := row[j]
				v.Bytes = bytes.Clone(v.Bytes) // row aliases a page buffer
				vals[i] = v
			}
		}
		out = append(out, vals)
		return nil
	})
	if err != nil {
		r.problem("read %s: %v", table, err)
		return nil, false
	}
	return out, true
}

// orderBy sorts rows by the given columns as SQLite's ORDER BY does
// (stable, so ties keep rowid order).
func orderBy(rows [][]sqlitefile.Value, cols ...int) {
	sort.SliceStable(rows, func(a, b int) bool {
		for _, c := range cols {
			if x := sqlitefile.Compare(rows[a][c], rows[b][c]); x != 0 {
				return x < 0
			}
		}
		return false
	})
}

// text is a column read as text: ok is false for NULL.
func text(v sqlitefile.Value) (string, bool) {
	switch v.Kind {
	case sqlitefile.Null:
		return "", false
	case sqlitefile.Integer:
		return strconv.FormatInt(v.Int, 10), true
	case sqlitefile.Real:
		return strconv.FormatFloat(v.Float, 'g', -1, 64), true
	}
	return string(v.Bytes), true
}

func str(v sqlitefile.Value) string { s, _ := text(v); return s }

// integer is a column read as an integer: ok is false for NULL; text that
// is not a number is an error, as scanning it into an integer would be.
func integer(v sqlitefile.Value) (int64, bool, error) {
	switch v.Kind {
	case sqlitefile.Null:
		return 0, false, nil
	case sqlitefile.Integer:
		return v.Int, true, nil
	case sqlitefile.Real:
		if v.Float != math.Trunc(v.Float) {
			return 0, false, fmt.Errorf("%v is not an integer", v.Float)
		}
		return int64(v.Float), true, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(v.Bytes)), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("%q is not an integer", clipText(string(v.Bytes)))
	}
	return n, true, nil
}

func clipText(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// ints reads integer columns of a row, reporting the first bad one.
func (r *dbReader) ints(table string, row []sqlitefile.Value, cols ...int) ([]int64, []bool, bool) {
	vals := make([]int64, len(cols))
	valid := make([]bool, len(cols))
	for i, c := range cols {
		v, ok, err := integer(row[c])
		if err != nil {
			r.problem("read %s: %v", table, err)
			return nil, nil, false
		}
		vals[i], valid[i] = v, ok
	}
	return vals, valid, true
}

func (r *dbReader) schemaMeta(st *State) {
	rows, ok := r.rows("schema_meta", []string{"meta_key", "role", "schema_version", "app_version"}, "schema_version")
	if !ok {
		return
	}
	for _, row := range rows {
		n, _, ok := r.ints("schema_meta", row, 2)
		if !ok {
			return
		}
		// The shared DB has one row (meta_key "primary", role "global").
		if st.SchemaVersion == 0 || str(row[0]) == "primary" {
			st.SchemaVersion = int(n[0])
			st.AppVersion = str(row[3])
		}
	}
}

// approvalsDoc is the exec approvals document (raw_json or the older
// exec-approvals.json).
type approvalsDoc struct {
	Socket struct {
		Path  string `json:"path"`
		Token string `json:"token"`
	} `json:"socket"`
	Defaults approvalsPolicy            `json:"defaults"`
	Agents   map[string]approvalsPolicy `json:"agents"`
}

type approvalsPolicy struct {
	Security        string          `json:"security"`
	Ask             string          `json:"ask"`
	AskFallback     string          `json:"askFallback"`
	AutoAllowSkills *bool           `json:"autoAllowSkills"`
	Allowlist       []allowlistItem `json:"allowlist"`
}

type allowlistItem struct {
	Pattern string
}

// UnmarshalJSON accepts {pattern} objects and bare strings.
func (a *allowlistItem) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		a.Pattern = s
		return nil
	}
	var o struct {
		Pattern string `json:"pattern"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	a.Pattern = o.Pattern
	return nil
}

func approvalsFromDoc(raw []byte, source string) (*ExecApprovals, error) {
	var d approvalsDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, err
	}
	ea := &ExecApprovals{
		Source:          source,
		DefaultSecurity: d.Defaults.Security,
		DefaultAsk:      d.Defaults.Ask,
		AskFallback:     d.Defaults.AskFallback,
		SocketPath:      d.Socket.Path,
		HasSocketToken:  d.Socket.Token != "",
		socketToken:     d.Socket.Token,
		Agents:          map[string]AgentApprovals{},
	}
	if d.Defaults.AutoAllowSkills != nil {
		ea.AutoAllowSkills = *d.Defaults.AutoAllowSkills
	}
	ea.AllowlistCount = len(d.Defaults.Allowlist)
	for id, a := range d.Agents {
		aa := AgentApprovals{Security: a.Security, Ask: a.Ask, AskFallback: a.AskFallback, AutoAllowSkills: a.AutoAllowSkills}
		for _, it := range a.Allowlist {
			aa.Allowlist = append(aa.Allowlist, it.Pattern)
		}
		ea.AllowlistCount += len(a.Allowlist)
		ea.Agents[id] = aa
	}
	return ea, nil
}

func (r *dbReader) execApprovals(st *State) {
	const table = "exec_approvals_config"
	rows, ok := r.rows(table,
		[]string{"config_key", "raw_json", "socket_path", "has_socket_token", "default_security", "default_ask", "default_ask_fallback", "auto_allow_skills", "allowlist_count"})
	if !ok {
		return
	}
	for _, row := range rows {
		n, valid, ok := r.ints(table, row, 3, 7, 8)
		if !ok {
			return
		}
		hasTok, auto, allow := n[0], n[1], n[2]
		if st.ExecApprovals != nil && str(row[0]) != "current" {
			continue // the "current" row wins over any other
		}
		ea := &ExecApprovals{Source: "sqlite", Agents: map[string]AgentApprovals{}}
		if raw, ok := text(row[1]); ok {
			if d, err := approvalsFromDoc([]byte(raw), "sqlite"); err == nil {
				ea = d
			} else {
				r.problem("exec_approvals_config raw_json: %v", err)
			}
		}
		// The extracted columns are what the gateway itself computed.
		if v, ok := text(row[4]); ok {
			ea.DefaultSecurity = v
		}
		if v, ok := text(row[5]); ok {
			ea.DefaultAsk = v
		}
		if v, ok := text(row[6]); ok {
			ea.AskFallback = v
		}
		if valid[1] {
			ea.AutoAllowSkills = auto != 0
		}
		if valid[2] {
			ea.AllowlistCount = int(allow)
		}
		if v, ok := text(row[2]); ok {
			ea.SocketPath = v
		}
		if valid[0] {
			ea.HasSocketToken = hasTok != 0
		}
		st.ExecApprovals = ea
	}
}

// cronJobDoc is the part of job_json (or a jobs.json entry) clawgov uses.
type cronJobDoc struct {
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Enabled  *bool           `json:"enabled"`
	Schedule json.RawMessage `json:"schedule"`
	Payload  struct {
		Kind       string   `json:"kind"`
		ToolsAllow []string `json:"toolsAllow"`
		Command    string   `json:"command"`
		Argv       []string `json:"argv"`
	} `json:"payload"`
}

func (d *cronJobDoc) schedule() string {
	var s struct {
		Kind    string          `json:"kind"`
		Expr    string          `json:"expr"`
		EveryMs json.Number     `json:"everyMs"`
		At      json.RawMessage `json:"at"`
		TZ      string          `json:"tz"`
	}
	if len(d.Schedule) == 0 {
		return ""
	}
	var str string
	if json.Unmarshal(d.Schedule, &str) == nil {
		return str
	}
	if json.Unmarshal(d.Schedule, &s) != nil {
		return ""
	}
	switch s.Kind {
	case "cron":
		return "cron " + s.Expr
	case "every":
		return "every " + s.EveryMs.String() + "ms"
	case "at":
		return "at " + strings.Trim(string(s.At), `"`)
	}
	return s.Kind
}

func (d *cronJobDoc) command() string {
	if d.Payload.Command != "" {
		return d.Payload.Command
	}
	a := d.Payload.Argv
	if len(a) == 3 && (a[1] == "-lc" || a[1] == "-c") {
		return a[2]
	}
	return strings.Join(a, " ")
}

func (r *dbReader) cronJobs(st *State) {
	rows, ok := r.rows("cron_jobs", []string{"store_key", "job_id", "name", "enabled", "payload_kind", "job_json", "sort_order"}, "job_id")
	if !ok {
		return
	}
	orderBy(rows, 0, 6, 1)
	for _, row := range rows {
		n, _, ok := r.ints("cron_jobs", row, 3, 6)
		if !ok {
			return
		}
		id := str(row[1])
		j := CronJob{Store: str(row[0]), ID: id, Name: str(row[2]), Enabled: n[0] != 0, PayloadKind: str(row[4])}
		if raw, ok := text(row[5]); ok {
			var d cronJobDoc
			if err := json.Unmarshal([]byte(raw), &d); err != nil {
				r.problem("cron_jobs %s job_json: %v", id, err)
			} else {
				j.Schedule = d.schedule()
				j.ToolsAllow = d.Payload.ToolsAllow
				if d.Payload.Kind == "command" {
					j.Command = d.command()
				}
				if j.PayloadKind == "" {
					j.PayloadKind = d.Payload.Kind
				}
			}
		}
		st.CronJobs = append(st.CronJobs, j)
	}
}

func (r *dbReader) devices(st *State) {
	rows, ok := r.rows("device_pairing_paired", []string{"device_id", "role", "scopes_json", "remote_ip", "approved_via"}, "device_id")
	if !ok {
		return
	}
	orderBy(rows, 0)
	for _, row := range rows {
		d := PairedDevice{ID: str(row[0]), Role: str(row[1]), RemoteIP: str(row[3]), ApprovedVia: str(row[4])}
		if scopes, ok := text(row[2]); ok && scopes != "" {
			if err := json.Unmarshal([]byte(scopes), &d.Scopes); err != nil {
				r.problem("device_pairing_paired %s scopes_json: %v", d.ID, err)
			}
		}
		st.Devices = append(st.Devices, d)
	}
}

// secrets lists secret store entries. The value column is never selected:
// only whether it is non-empty, computed inside SQLite.
func (r *dbReader) secrets(st *State) {
	have, ok := r.columns("secret_store_entries")
	if !ok {
		r.problem("table secret_store_entries missing")
		return
	}
	want := []string{"scope_kind", "scope_id", "name", "kind", "allowed_hosts", "deleted_at_ms"}
	if have["value"] {
		want = append(want, "value")
	}
	rows, ok := r.rows("secret_store_entries", want, "name")
	if !ok {
		return
	}
	orderBy(rows, 0, 1, 2)
	for _, row := range rows {
		// The value is only tested for presence ("value" IS NOT NULL AND
		// "value" != ''); it is dropped with the row.
		hasValue := false
		if len(row) > 6 {
			v := row[6]
			hasValue = v.Kind != sqlitefile.Null && (v.Kind != sqlitefile.Text || len(v.Bytes) > 0)
			row[6] = sqlitefile.Value{}
		}
		e := SecretEntry{ID: str(row[2]), Provider: "store", ScopeKind: str(row[0]), ScopeID: str(row[1]), Kind: str(row[3]),
			Deleted: row[5].Kind != sqlitefile.Null, HasValue: hasValue}
		if hosts, ok := text(row[4]); ok && hosts != "" {
			if json.Unmarshal([]byte(hosts), &e.AllowedHosts) != nil {
				for _, h := range strings.Split(hosts, ",") {
					if h = strings.TrimSpace(h); h != "" {
						e.AllowedHosts = append(e.AllowedHosts, h)
					}
				}
			}
		}
		st.Secrets = append(st.Secrets, e)
	}
}

func (r *dbReader) auditEvents(st *State) {
	have, ok := r.columns("audit_events")
	if !ok {
		r.problem("table audit_events missing")
		return
	}
	st.Audit.TablePresent = true
	tb := r.db.Table("audit_events")
	if !have["occurred_at"] {
		r.problem("table audit_events has no column occurred_at")
		n, err := r.db.Count(tb)
		if err != nil {
			r.problem("read audit_events: %v", err)
			return
		}
		st.Audit.Count = n
		return
	}
	col := slices.Index(tb.Columns(), "occurred_at")
	// COUNT(*), MIN(occurred_at), MAX(occurred_at): MIN and MAX skip
	// NULLs and order the rest as ORDER BY does.
	n := 0
	var lo, hi sqlitefile.Value
	err := r.db.Scan(tb, func(row []sqlitefile.Value) error {
		n++
		v := row[col]
		if v.Kind == sqlitefile.Null {
			return nil
		}
		v.Bytes = nil // only numbers become times below
		if lo.Kind == sqlitefile.Null || sqlitefile.Compare(v, lo) < 0 {
			lo = v
		}
		if hi.Kind == sqlitefile.Null || sqlitefile.Compare(v, hi) > 0 {
			hi = v
		}
		return nil
	})
	if err != nil {
		r.problem("read audit_events: %v", err)
		return
	}
	st.Audit.Count = n
	l, lok, _ := integer(lo)
	h, hok, _ := integer(hi)
	if lok && hok {
		st.Audit.Earliest = msTime(l)
		st.Audit.Latest = msTime(h)
	}
}

// msTime converts OpenClaw's epoch milliseconds (seconds if small).
func msTime(v int64) time.Time {
	if v < 100_000_000_000 { // before 1973 in ms: must be seconds
		return time.Unix(v, 0).UTC()
	}
	return time.UnixMilli(v).UTC()
}

// installRecord is one plugin install record (SQLite installedIndex or the
// older plugins.installs config key).
type installRecord struct {
	Source          string `json:"source"`
	Spec            string `json:"spec"`
	InstallPath     string `json:"installPath"`
	Version         string `json:"version"`
	ResolvedVersion string `json:"resolvedVersion"`
	Integrity       string `json:"integrity"`
}

func (ir installRecord) toRecord(id, from string) PluginInstallRecord {
	v := ir.Version
	if v == "" {
		v = ir.ResolvedVersion
	}
	return PluginInstallRecord{From: from, ID: id, Source: ir.Source, Spec: ir.Spec, InstallPath: ir.InstallPath, Version: v, Integrity: ir.Integrity}
}

func (r *dbReader) machineState(st *State) {
	rows, ok := r.rows("config_machine_state", []string{"state_key", "value_json"}, "state_key", "value_json")
	if !ok {
		return
	}
	for _, row := range rows {
		if row[0].Kind != sqlitefile.Text || string(row[0].Bytes) != "plugins.installedIndex" {
			continue
		}
		var idx struct {
			InstallRecords map[string]installRecord `json:"installRecords"`
		}
		if err := json.Unmarshal([]byte(str(row[1])), &idx); err != nil {
			r.problem("config_machine_state plugins.installedIndex: %v", err)
			continue
		}
		ids := make([]string, 0, len(idx.InstallRecords))
		for id := range idx.InstallRecords {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			st.PluginInstalls = append(st.PluginInstalls, idx.InstallRecords[id].toRecord(id, "sqlite"))
		}
	}
}

func (r *dbReader) pairingAllow(st *State) {
	if _, ok := r.columns("channel_pairing_allow_entries"); !ok {
		return // optional: not every build has it
	}
	rows, ok := r.rows("channel_pairing_allow_entries", []string{"channel_key", "account_id", "entry", "sort_order"}, "entry")
	if !ok {
		return
	}
	orderBy(rows, 0, 1, 3, 2)
	for _, row := range rows {
		st.PairingAllow = append(st.PairingAllow, PairingAllowEntry{Channel: str(row[0]), Account: str(row[1]), Entry: str(row[2])})
	}
}

// readLegacyState reads pre-2026.9.6 JSON state: exec-approvals.json,
// cron/jobs.json, and notes auth-profiles.json files. The SQLite facts win
// when both exist (the JSON was imported then). It reports whether any
// legacy file was found.
func readLegacyState(rfs rootFS, stateDir string, st *State, probs *[]Problem) bool {
	found := false
	readJSON := func(p string) ([]byte, bool) {
		data, err := rfs.ReadFile(p, 16<<20)
		if err != nil {
			if !isNotExist(err) {
				*probs = append(*probs, Problem{Path: p, Area: "state", Err: pathErr("read", p, err)})
			}
			return nil, false
		}
		found = true
		st.LegacyFiles = append(st.LegacyFiles, p)
		return data, true
	}
	ap := path.Join(stateDir, "exec-approvals.json")
	if data, ok := readJSON(ap); ok && st.ExecApprovals == nil {
		ea, err := approvalsFromDoc(data, ap)
		if err != nil {
			*probs = append(*probs, Problem{Path: ap, Area: "state", Err: fmt.Errorf("parse %s: %w", ap, err)})
		} else {
			st.ExecApprovals = ea
		}
	}
	cp := path.Join(stateDir, "cron", "jobs.json")
	if data, ok := readJSON(cp); ok && st.CronJobs == nil {
		var doc struct {
			Jobs []cronJobDoc `json:"jobs"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			var arr []cronJobDoc
			if json.Unmarshal(data, &arr) != nil {
				*probs = append(*probs, Problem{Path: cp, Area: "state", Err: fmt.Errorf("parse %s: %w", cp, err)})
			}
			doc.Jobs = arr
		}
		for _, d := range doc.Jobs {
			j := CronJob{Store: cp, ID: d.ID, Name: d.Name, Enabled: d.Enabled == nil || *d.Enabled, PayloadKind: d.Payload.Kind,
				Schedule: d.schedule(), ToolsAllow: d.Payload.ToolsAllow}
			if d.Payload.Kind == "command" {
				j.Command = d.command()
			}
			st.CronJobs = append(st.CronJobs, j)
		}
	}
	// auth-profiles.json: very old <state>/agent/, then per agent.
	cands := []string{path.Join(stateDir, "agent", "auth-profiles.json")}
	if ents, _, err := rfs.ReadDirLimit(path.Join(stateDir, "agents"), 1000); err == nil {
		for _, e := range ents {
			cands = append(cands, path.Join(stateDir, "agents", e.Name(), "agent", "auth-profiles.json"))
		}
	}
	sort.Strings(cands[1:])
	for _, c := range cands {
		if fi, err := rfs.Stat(c); err == nil && fi.Mode().IsRegular() {
			st.AuthProfileFiles = append(st.AuthProfileFiles, c)
			found = true
		}
	}
	return found
}

// ConfigPluginInstalls returns the retired plugins.installs records of an
// older config.
func ConfigPluginInstalls(cfg *Config) []PluginInstallRecord {
	v := cfg.Get("plugins.installs")
	if v == nil {
		return nil
	}
	var out []PluginInstallRecord
	for _, id := range v.Keys() {
		e := v.Get(id)
		s := func(k string) string { x, _ := e.Get(k).AsString(); return x }
		ir := installRecord{Source: s("source"), Spec: s("spec"), InstallPath: s("installPath"), Version: s("version"), ResolvedVersion: s("resolvedVersion"), Integrity: s("integrity")}
		out = append(out, ir.toRecord(id, "config"))
	}
	return out
}
