package openclaw

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	_ "modernc.org/sqlite" // pure-Go SQLite driver
)

// Read-only access to OpenClaw's state database.
//
// The gateway keeps state/openclaw.sqlite in WAL mode and may be writing
// while we read. Opening the live file read-only is not harmless: a WAL
// reader maps and writes the -shm index, and when -wal/-shm are missing
// SQLite creates them, owned by whoever runs clawgov (often root), which
// can lock the gateway out of its own database. So:
//
//   - no -wal file (or an empty one): every committed page is in the main
//     file; open it in place with mode=ro&immutable=1, which takes no
//     locks and never creates or touches -wal/-shm;
//   - a non-empty -wal: recent commits live only there, and immutable
//     would silently ignore them. Copy the db and its -wal into a private
//     0700 temporary directory and open the copy; SQLite replays the WAL
//     in our copy. The copy is retried when the files change while being
//     copied, and deleted afterwards (it holds plaintext secrets).
//
// Databases above maxStateCopyBytes are opened immutable in place instead
// of copied, with a Problem saying that recent WAL commits were not seen.
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
// must call cleanup (which closes the database and removes any copy).
func openSnapshot(rfs rootFS, dbPath string, probs *[]Problem) (db *sql.DB, kind string, cleanup func(), err error) {
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
	var dsn string
	dir := ""
	if !hasWAL || dbInfo.Size()+walInfo.Size() > maxStateCopyBytes {
		if hasWAL {
			*probs = append(*probs, Problem{Path: dbPath, Area: "state", Err: fmt.Errorf("database %s is over %d MiB: read in place without its WAL, recent changes may be missing", dbPath, maxStateCopyBytes>>20)})
		}
		dsn = sqliteURI(host, "mode=ro&immutable=1")
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
		dsn = sqliteURI(filepath.Join(dir, "openclaw.sqlite"), "")
		kind = "copy"
	}
	db, err = sql.Open("sqlite", dsn)
	if err != nil {
		if dir != "" {
			os.RemoveAll(dir)
		}
		return nil, "", nil, fmt.Errorf("open %s: %w", dbPath, err)
	}
	db.SetMaxOpenConns(1)
	cleanup = func() {
		db.Close()
		if dir != "" {
			os.RemoveAll(dir)
		}
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
	r := &dbReader{ctx: ctx, db: db, path: dbPath, probs: probs}
	if err := r.loadSchema(); err != nil {
		return fmt.Errorf("read %s: %w", dbPath, err)
	}
	st.Tables = r.tableNames()
	r.schemaMeta(st)
	r.execApprovals(st)
	r.cronJobs(st)
	r.devices(st)
	r.secrets(st)
	r.auditEvents(st)
	r.machineState(st)
	r.authProfiles(st, "config_machine_state", "value_json", "state_key = 'authProfiles.store'", "shared")
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
	r := &dbReader{ctx: ctx, db: db, path: dbPath, probs: probs}
	if err := r.loadSchema(); err != nil {
		*probs = append(*probs, Problem{Path: dbPath, Area: "state", Err: fmt.Errorf("read %s: %w", dbPath, err)})
		return
	}
	if _, ok := r.tables["auth_profile_store"]; !ok {
		return
	}
	r.authProfiles(st, "auth_profile_store", "store_json", "1", agent)
}

// authProfiles lists auth profiles of a store document
// ({profiles: {<id>: {type, provider, key|access|refresh|token, keyRef}}})
// using SQLite's JSON functions, so credential values are tested for
// presence inside SQLite and never reach clawgov's memory.
func (r *dbReader) authProfiles(st *State, table, col, where, store string) {
	have, ok := r.tables[table]
	if !ok || !have[col] {
		return
	}
	present := func(k string) string {
		return fmt.Sprintf("(json_type(j.value, '$.%s') = 'text' AND json_extract(j.value, '$.%s') != '')", k, k)
	}
	q := fmt.Sprintf(`SELECT j.key, json_extract(j.value, '$.type'), json_extract(j.value, '$.provider'),
		%s OR %s OR %s OR %s,
		json_type(j.value, '$.keyRef') = 'object' OR json_type(j.value, '$.tokenRef') = 'object'
		FROM %s AS t, json_each(CASE WHEN json_valid(t."%s") THEN t."%s" ELSE '{}' END, '$.profiles') AS j WHERE %s ORDER BY 1`,
		present("key"), present("access"), present("refresh"), present("token"), table, col, col, where)
	r.query(table, q, func(rows *sql.Rows) error {
		var id, typ, provider sql.NullString
		var secret, ref sql.NullBool
		if err := rows.Scan(&id, &typ, &provider, &secret, &ref); err != nil {
			return err
		}
		st.AuthProfiles = append(st.AuthProfiles, AuthProfile{Store: store, ID: id.String, Type: typ.String, Provider: provider.String,
			HasSecret: secret.Bool, HasRef: ref.Bool})
		return nil
	})
}

// credentialRows counts rows of other credential-bearing tables.
func (r *dbReader) credentialRows(st *State) {
	for _, t := range []string{"mcp_oauth_stores", "device_auth_tokens", "worker_environment_credentials"} {
		if _, ok := r.tables[t]; !ok {
			continue
		}
		r.query(t, `SELECT COUNT(*) FROM "`+t+`"`, func(rows *sql.Rows) error {
			var n int
			if err := rows.Scan(&n); err != nil {
				return err
			}
			if st.CredentialRows == nil {
				st.CredentialRows = map[string]int{}
			}
			st.CredentialRows[t] = n
			return nil
		})
	}
}

func sqliteURI(p, query string) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(p), RawQuery: query}
	return u.String()
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
	db     *sql.DB
	path   string
	probs  *[]Problem
	tables map[string]map[string]bool // table -> columns
}

func (r *dbReader) problem(format string, args ...any) {
	*r.probs = append(*r.probs, Problem{Path: r.path, Area: "state", Err: fmt.Errorf("%s: "+format, append([]any{r.path}, args...)...)})
}

func (r *dbReader) loadSchema() error {
	// One statement for every table's columns: a query per table cost
	// more than all the reads that follow.
	rows, err := r.db.QueryContext(r.ctx, `SELECT m.name, p.name FROM sqlite_master AS m LEFT JOIN pragma_table_info(m.name) AS p WHERE m.type = 'table'`)
	if err != nil {
		return err
	}
	defer rows.Close()
	r.tables = map[string]map[string]bool{}
	for rows.Next() {
		var t string
		var c sql.NullString
		if err := rows.Scan(&t, &c); err != nil {
			return err
		}
		cols := r.tables[t]
		if cols == nil {
			cols = map[string]bool{}
			r.tables[t] = cols
		}
		if c.Valid {
			cols[c.String] = true
		}
	}
	return rows.Err()
}

func (r *dbReader) tableNames() []string {
	out := make([]string, 0, len(r.tables))
	for n := range r.tables {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// cols returns a SELECT list for the wanted columns: a column missing from
// the table is selected as NULL (and reported once) so one renamed column
// does not hide the rest. ok is false when the table is missing or
// lacks every required column.
func (r *dbReader) cols(table string, want []string, required ...string) (string, bool) {
	have, ok := r.tables[table]
	if !ok {
		r.problem("table %s missing", table)
		return "", false
	}
	var missing []string
	parts := make([]string, len(want))
	for i, c := range want {
		if have[c] {
			parts[i] = `"` + c + `"`
		} else {
			parts[i] = "NULL"
			missing = append(missing, c)
		}
	}
	for _, c := range required {
		if !have[c] {
			r.problem("table %s has no column %s", table, c)
			return "", false
		}
	}
	if len(missing) > 0 {
		r.problem("table %s lacks columns %s", table, strings.Join(missing, ", "))
	}
	return strings.Join(parts, ", "), true
}

func (r *dbReader) query(table, q string, scan func(*sql.Rows) error) {
	rows, err := r.db.QueryContext(r.ctx, q)
	if err != nil {
		r.problem("query %s: %v", table, err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			r.problem("read %s: %v", table, err)
			return
		}
	}
	if err := rows.Err(); err != nil {
		r.problem("read %s: %v", table, err)
	}
}

func (r *dbReader) schemaMeta(st *State) {
	sel, ok := r.cols("schema_meta", []string{"meta_key", "role", "schema_version", "app_version"}, "schema_version")
	if !ok {
		return
	}
	r.query("schema_meta", "SELECT "+sel+" FROM schema_meta", func(rows *sql.Rows) error {
		var key, role, app sql.NullString
		var ver sql.NullInt64
		if err := rows.Scan(&key, &role, &ver, &app); err != nil {
			return err
		}
		// The shared DB has one row (meta_key "primary", role "global").
		if st.SchemaVersion == 0 || key.String == "primary" {
			st.SchemaVersion = int(ver.Int64)
			st.AppVersion = app.String
		}
		return nil
	})
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
	sel, ok := r.cols("exec_approvals_config",
		[]string{"config_key", "raw_json", "socket_path", "has_socket_token", "default_security", "default_ask", "default_ask_fallback", "auto_allow_skills", "allowlist_count"})
	if !ok {
		return
	}
	r.query("exec_approvals_config", "SELECT "+sel+" FROM exec_approvals_config", func(rows *sql.Rows) error {
		var key, raw, sock, sec, ask, fb sql.NullString
		var hasTok, auto, allow sql.NullInt64
		if err := rows.Scan(&key, &raw, &sock, &hasTok, &sec, &ask, &fb, &auto, &allow); err != nil {
			return err
		}
		if st.ExecApprovals != nil && key.String != "current" {
			return nil // the "current" row wins over any other
		}
		ea := &ExecApprovals{Source: "sqlite", Agents: map[string]AgentApprovals{}}
		if raw.Valid {
			if d, err := approvalsFromDoc([]byte(raw.String), "sqlite"); err == nil {
				ea = d
			} else {
				r.problem("exec_approvals_config raw_json: %v", err)
			}
		}
		// The extracted columns are what the gateway itself computed.
		if sec.Valid {
			ea.DefaultSecurity = sec.String
		}
		if ask.Valid {
			ea.DefaultAsk = ask.String
		}
		if fb.Valid {
			ea.AskFallback = fb.String
		}
		if auto.Valid {
			ea.AutoAllowSkills = auto.Int64 != 0
		}
		if allow.Valid {
			ea.AllowlistCount = int(allow.Int64)
		}
		if sock.Valid {
			ea.SocketPath = sock.String
		}
		if hasTok.Valid {
			ea.HasSocketToken = hasTok.Int64 != 0
		}
		st.ExecApprovals = ea
		return nil
	})
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
	sel, ok := r.cols("cron_jobs", []string{"store_key", "job_id", "name", "enabled", "payload_kind", "job_json", "sort_order"}, "job_id")
	if !ok {
		return
	}
	r.query("cron_jobs", "SELECT "+sel+" FROM cron_jobs ORDER BY 1, 7, 2", func(rows *sql.Rows) error {
		var store, id, name, kind, raw sql.NullString
		var enabled, order sql.NullInt64
		if err := rows.Scan(&store, &id, &name, &enabled, &kind, &raw, &order); err != nil {
			return err
		}
		j := CronJob{Store: store.String, ID: id.String, Name: name.String, Enabled: enabled.Int64 != 0, PayloadKind: kind.String}
		if raw.Valid {
			var d cronJobDoc
			if err := json.Unmarshal([]byte(raw.String), &d); err != nil {
				r.problem("cron_jobs %s job_json: %v", id.String, err)
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
		return nil
	})
}

func (r *dbReader) devices(st *State) {
	sel, ok := r.cols("device_pairing_paired", []string{"device_id", "role", "scopes_json", "remote_ip", "approved_via"}, "device_id")
	if !ok {
		return
	}
	r.query("device_pairing_paired", "SELECT "+sel+" FROM device_pairing_paired ORDER BY 1", func(rows *sql.Rows) error {
		var id, role, scopes, ip, via sql.NullString
		if err := rows.Scan(&id, &role, &scopes, &ip, &via); err != nil {
			return err
		}
		d := PairedDevice{ID: id.String, Role: role.String, RemoteIP: ip.String, ApprovedVia: via.String}
		if scopes.Valid && scopes.String != "" {
			if err := json.Unmarshal([]byte(scopes.String), &d.Scopes); err != nil {
				r.problem("device_pairing_paired %s scopes_json: %v", id.String, err)
			}
		}
		st.Devices = append(st.Devices, d)
		return nil
	})
}

// secrets lists secret store entries. The value column is never selected:
// only whether it is non-empty, computed inside SQLite.
func (r *dbReader) secrets(st *State) {
	have, ok := r.tables["secret_store_entries"]
	if !ok {
		r.problem("table secret_store_entries missing")
		return
	}
	sel, ok := r.cols("secret_store_entries", []string{"scope_kind", "scope_id", "name", "kind", "allowed_hosts", "deleted_at_ms"}, "name")
	if !ok {
		return
	}
	hasValue := "NULL"
	if have["value"] {
		hasValue = `("value" IS NOT NULL AND "value" != '')`
	}
	r.query("secret_store_entries", "SELECT "+sel+", "+hasValue+" FROM secret_store_entries ORDER BY 1, 2, 3", func(rows *sql.Rows) error {
		var sk, sid, name, kind, hosts sql.NullString
		var deleted, hv sql.NullInt64
		if err := rows.Scan(&sk, &sid, &name, &kind, &hosts, &deleted, &hv); err != nil {
			return err
		}
		e := SecretEntry{ID: name.String, Provider: "store", ScopeKind: sk.String, ScopeID: sid.String, Kind: kind.String,
			Deleted: deleted.Valid, HasValue: hv.Int64 != 0}
		if hosts.Valid && hosts.String != "" {
			if json.Unmarshal([]byte(hosts.String), &e.AllowedHosts) != nil {
				for _, h := range strings.Split(hosts.String, ",") {
					if h = strings.TrimSpace(h); h != "" {
						e.AllowedHosts = append(e.AllowedHosts, h)
					}
				}
			}
		}
		st.Secrets = append(st.Secrets, e)
		return nil
	})
}

func (r *dbReader) auditEvents(st *State) {
	have, ok := r.tables["audit_events"]
	if !ok {
		r.problem("table audit_events missing")
		return
	}
	st.Audit.TablePresent = true
	q := "SELECT COUNT(*), NULL, NULL FROM audit_events"
	if have["occurred_at"] {
		q = "SELECT COUNT(*), MIN(occurred_at), MAX(occurred_at) FROM audit_events"
	} else {
		r.problem("table audit_events has no column occurred_at")
	}
	r.query("audit_events", q, func(rows *sql.Rows) error {
		var n int
		var lo, hi sql.NullInt64
		if err := rows.Scan(&n, &lo, &hi); err != nil {
			return err
		}
		st.Audit.Count = n
		if lo.Valid {
			st.Audit.Earliest = msTime(lo.Int64)
			st.Audit.Latest = msTime(hi.Int64)
		}
		return nil
	})
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
	sel, ok := r.cols("config_machine_state", []string{"state_key", "value_json"}, "state_key", "value_json")
	if !ok {
		return
	}
	r.query("config_machine_state", "SELECT "+sel+" FROM config_machine_state WHERE state_key = 'plugins.installedIndex'", func(rows *sql.Rows) error {
		var key, raw sql.NullString
		if err := rows.Scan(&key, &raw); err != nil {
			return err
		}
		var idx struct {
			InstallRecords map[string]installRecord `json:"installRecords"`
		}
		if err := json.Unmarshal([]byte(raw.String), &idx); err != nil {
			r.problem("config_machine_state plugins.installedIndex: %v", err)
			return nil
		}
		ids := make([]string, 0, len(idx.InstallRecords))
		for id := range idx.InstallRecords {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			st.PluginInstalls = append(st.PluginInstalls, idx.InstallRecords[id].toRecord(id, "sqlite"))
		}
		return nil
	})
}

func (r *dbReader) pairingAllow(st *State) {
	if _, ok := r.tables["channel_pairing_allow_entries"]; !ok {
		return // optional: not every build has it
	}
	sel, ok := r.cols("channel_pairing_allow_entries", []string{"channel_key", "account_id", "entry", "sort_order"}, "entry")
	if !ok {
		return
	}
	r.query("channel_pairing_allow_entries", "SELECT "+sel+" FROM channel_pairing_allow_entries ORDER BY 1, 2, 4, 3", func(rows *sql.Rows) error {
		var ch, acct, e sql.NullString
		var order sql.NullInt64
		if err := rows.Scan(&ch, &acct, &e, &order); err != nil {
			return err
		}
		st.PairingAllow = append(st.PairingAllow, PairingAllowEntry{Channel: ch.String, Account: acct.String, Entry: e.String})
		return nil
	})
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
