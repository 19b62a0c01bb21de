package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/clawgov/clawgov/internal/sqldb"
)

const (
	hourMS = int64(time.Hour / time.Millisecond)
	dayMS  = 24 * hourMS
	// rollupSetting marks a database whose rollups were built from its
	// hosts (Migrate builds them once for databases older than 0003).
	rollupSetting = "rollup_v1"
)

// rollStatuses are the rollup columns in order; anything else is n_other.
var rollStatuses = []string{StatusPass, StatusWarn, StatusFail, StatusManual, StatusError}

func rollCol(st string) int {
	for i, s := range rollStatuses {
		if s == st {
			return i
		}
	}
	return len(rollStatuses)
}

type rollKey struct {
	kind    string
	bucket  int64
	tags    string
	control string
}

// rollDelta accumulates signed count changes per rollup row, so one
// ingest writes each row once (one statement, rows in key order: two
// PostgreSQL transactions then lock shared rows in the same order).
type rollDelta map[rollKey]*[6]int64

func (d rollDelta) add(kind string, bucket int64, tags string, ctl map[string]string, sign int64) {
	for c, st := range ctl {
		k := rollKey{kind, bucket, tags, c}
		v := d[k]
		if v == nil {
			v = new([6]int64)
			d[k] = v
		}
		v[rollCol(st)] += sign
	}
}

func (s *SQL) applyRollup(ctx context.Context, tx *sqldb.Tx, d rollDelta) error {
	keys := make([]rollKey, 0, len(d))
	for k, v := range d {
		if *v != [6]int64{} {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	sortRollKeys(keys)
	for len(keys) > 0 {
		n := min(len(keys), 200)
		var q strings.Builder
		q.WriteString(`INSERT INTO fleet_rollup (kind, bucket, tags, control_id, n_pass, n_warn, n_fail, n_manual, n_error, n_other) VALUES `)
		args := make([]any, 0, n*10)
		for i, k := range keys[:n] {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			v := d[k]
			args = append(args, k.kind, k.bucket, k.tags, k.control, v[0], v[1], v[2], v[3], v[4], v[5])
		}
		q.WriteString(` ON CONFLICT (kind, bucket, tags, control_id) DO UPDATE SET n_pass = fleet_rollup.n_pass + excluded.n_pass,
			n_warn = fleet_rollup.n_warn + excluded.n_warn, n_fail = fleet_rollup.n_fail + excluded.n_fail, n_manual = fleet_rollup.n_manual + excluded.n_manual,
			n_error = fleet_rollup.n_error + excluded.n_error, n_other = fleet_rollup.n_other + excluded.n_other`)
		if _, err := s.txExec(ctx, tx, q.String(), args...); err != nil {
			return fmt.Errorf("update rollup: %w", err)
		}
		keys = keys[n:]
	}
	return s.pruneRollup(ctx, tx, d)
}

// pruneRollup deletes the rows a delta may have emptied. A row whose
// counts the delta took down in sum can have reached zero (an hour every
// host it counted has left: each report moves its host to a new hour, a
// revocation takes it out); a row whose sum is unchanged (statuses moved
// inside it) or grew cannot. Without this an hourly row stayed behind,
// all zeros, for every hour and tag set ever reported. An absent row
// reads as zero counts, so the reads are the same either way.
func (s *SQL) pruneRollup(ctx context.Context, tx *sqldb.Tx, d rollDelta) error {
	// One DELETE per hour (or day) and tag set: the key without control.
	var groups []rollKey
	seen := map[rollKey]bool{}
	for k, v := range d {
		var sum int64
		for _, n := range v {
			sum += n
		}
		g := rollKey{kind: k.kind, bucket: k.bucket, tags: k.tags}
		if sum < 0 && !seen[g] {
			seen[g] = true
			groups = append(groups, g)
		}
	}
	sortRollKeys(groups)
	for _, g := range groups {
		if _, err := s.txExec(ctx, tx, `DELETE FROM fleet_rollup WHERE kind = ? AND bucket = ? AND tags = ?
			AND n_pass = 0 AND n_warn = 0 AND n_fail = 0 AND n_manual = 0 AND n_error = 0 AND n_other = 0`, g.kind, g.bucket, g.tags); err != nil {
			return fmt.Errorf("prune rollup: %w", err)
		}
	}
	return nil
}

// sortRollKeys orders rollup keys as their rows are written (kind, bucket,
// tags, control), so concurrent PostgreSQL transactions lock shared rows
// in one order.
func sortRollKeys(keys []rollKey) {
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		if a.bucket != b.bucket {
			return a.bucket < b.bucket
		}
		if a.tags != b.tags {
			return a.tags < b.tags
		}
		return a.control < b.control
	})
}

// hostState reads a host's current statuses inside tx.
func (s *SQL) hostState(ctx context.Context, tx *sqldb.Tx, hostID string) (map[string]string, error) {
	cur := map[string]string{}
	rows, err := s.txQuery(ctx, tx, `SELECT control_id, status FROM fleet_current_state WHERE host_id = ?`, hostID)
	if err != nil {
		return nil, fmt.Errorf("read current state: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c, st string
		if err := rows.Scan(&c, &st); err != nil {
			return nil, fmt.Errorf("read current state: %w", err)
		}
		cur[c] = st
	}
	return cur, rows.Err()
}

// moveHost takes a host's hourly contribution out of the rollup (a
// revocation) or moves it to a new tag set (a retag), inside tx. History
// (the daily rows) stays as it was.
func (s *SQL) moveHost(ctx context.Context, tx *sqldb.Tx, hostID, oldTags, newTags string, revoke bool) error {
	var last *int64
	var revoked *int64
	if err := tx.QueryRow(ctx, `SELECT last_report, revoked_at FROM fleet_hosts WHERE id = ?`, hostID).Scan(&last, &revoked); err != nil {
		return notFound(err, "host "+hostID)
	}
	if last == nil || (revoked != nil && !revoke) {
		return nil
	}
	cur, err := s.hostState(ctx, tx, hostID)
	if err != nil {
		return err
	}
	d := rollDelta{}
	d.add("h", *last/hourMS, oldTags, cur, -1)
	if !revoke {
		d.add("h", *last/hourMS, newTags, cur, +1)
	}
	return s.applyRollup(ctx, tx, d)
}

// scopeTags reports whether a host with the stored tag list is in scope.
func scopeTags(scope Scope, tags string) bool {
	if scope.All {
		return true
	}
	for _, t := range parseList(tags) {
		for _, w := range scope.Tags {
			if t == w {
				return true
			}
		}
	}
	return false
}

// RebuildRollups recomputes every rollup row from the hosts, their
// current state and their control history, in one transaction. Migrate
// runs it once for a database that predates the rollups; bulk loads that
// bypass Ingest call it after loading. The daily rows are rebuilt from
// the change history by carrying each status forward from a host's
// first history day to the day of its latest report (the history does
// not record days without a change, so a host counts as having reported
// on each of them).
func (s *SQL) RebuildRollups(ctx context.Context) error {
	defer s.lockWrites()()
	return s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM fleet_rollup`); err != nil {
			return fmt.Errorf("rebuild rollup: %w", err)
		}
		type hinfo struct {
			tags string
			last int64
		}
		hosts := map[string]hinfo{}
		rows, err := tx.Query(ctx, `SELECT id, tags, last_report FROM fleet_hosts WHERE revoked_at IS NULL AND last_report IS NOT NULL`)
		if err != nil {
			return fmt.Errorf("rebuild rollup: %w", err)
		}
		for rows.Next() {
			var id, tags string
			var last int64
			if err := rows.Scan(&id, &tags, &last); err != nil {
				rows.Close()
				return fmt.Errorf("rebuild rollup: %w", err)
			}
			hosts[id] = hinfo{tags, last}
		}
		rows.Close()
		d := rollDelta{}
		// Hourly: the current state of every active host that reported.
		rows, err = tx.Query(ctx, `SELECT host_id, control_id, status FROM fleet_current_state`)
		if err != nil {
			return fmt.Errorf("rebuild rollup: %w", err)
		}
		for rows.Next() {
			var hid, c, st string
			if err := rows.Scan(&hid, &c, &st); err != nil {
				rows.Close()
				return fmt.Errorf("rebuild rollup: %w", err)
			}
			if h, ok := hosts[hid]; ok {
				d.add("h", h.last/hourMS, h.tags, map[string]string{c: st}, 1)
			}
		}
		rows.Close()
		if err := s.applyRollup(ctx, tx, d); err != nil {
			return err
		}
		// Daily: carry each control's status forward through the days.
		rows, err = tx.Query(ctx, `SELECT host_id, control_id, day, status FROM fleet_control_history ORDER BY host_id, control_id, day`)
		if err != nil {
			return fmt.Errorf("rebuild rollup: %w", err)
		}
		d = rollDelta{}
		var curHost, curCtl, curSt string
		var curDay int64
		emit := func(until int64) {
			h, ok := hosts[curHost]
			if !ok || curHost == "" {
				return
			}
			for dd := curDay; dd < until && dd <= h.last/dayMS; dd++ {
				d.add("d", dd, h.tags, map[string]string{curCtl: curSt}, 1)
			}
		}
		for rows.Next() {
			var hid, c, dayS, st string
			if err := rows.Scan(&hid, &c, &dayS, &st); err != nil {
				rows.Close()
				return fmt.Errorf("rebuild rollup: %w", err)
			}
			t, err := time.Parse("2006-01-02", dayS)
			if err != nil {
				continue
			}
			dn := t.UnixMilli() / dayMS
			if hid == curHost && c == curCtl {
				emit(dn)
			} else {
				emit(1 << 40)
			}
			curHost, curCtl, curSt, curDay = hid, c, st, dn
			if len(d) > 20000 {
				if err := s.applyRollup(ctx, tx, d); err != nil {
					rows.Close()
					return err
				}
				d = rollDelta{}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("rebuild rollup: %w", err)
		}
		emit(1 << 40)
		if err := s.applyRollup(ctx, tx, d); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO fleet_settings (name, value) VALUES (?, '1') ON CONFLICT (name) DO UPDATE SET value = excluded.value`, rollupSetting)
		return err
	})
}

// DayCounts is one day of the daily rollup: per control, hosts by the
// status of their last report that day (other statuses under unknown).
type DayCounts struct {
	Day      time.Time
	Controls map[string]map[string]int
	// Hosts is the number of active hosts in scope enrolled by the end of
	// the day: the ones that did not report count unknown.
	Hosts int
}

// Daily returns the daily rollup for the days from..to (UTC dates,
// inclusive) in scope.
func (s *SQL) Daily(ctx context.Context, scope Scope, from, to time.Time) ([]DayCounts, error) {
	d0, d1 := from.UTC().UnixMilli()/dayMS, to.UTC().UnixMilli()/dayMS
	out := make([]DayCounts, 0, d1-d0+1)
	for d := d0; d <= d1; d++ {
		out = append(out, DayCounts{Day: time.UnixMilli(d * dayMS).UTC(), Controls: map[string]map[string]int{}})
	}
	rows, err := s.db.Query(ctx, `SELECT bucket, tags, control_id, n_pass, n_warn, n_fail, n_manual, n_error, n_other FROM fleet_rollup
		WHERE kind = 'd' AND bucket >= ? AND bucket <= ?`, d0, d1)
	if err != nil {
		return nil, fmt.Errorf("daily rollup: %w", err)
	}
	for rows.Next() {
		var b int64
		var tags, c string
		var v [6]int64
		if err := rows.Scan(&b, &tags, &c, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]); err != nil {
			rows.Close()
			return nil, fmt.Errorf("daily rollup: %w", err)
		}
		if !scopeTags(scope, tags) {
			continue
		}
		m := out[b-d0].Controls[c]
		if m == nil {
			m = map[string]int{}
			out[b-d0].Controls[c] = m
		}
		for i, st := range rollStatuses {
			m[st] += int(v[i])
		}
		m[StatusUnknown] += int(v[5])
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("daily rollup: %w", err)
	}
	// Hosts enrolled by each day's end: those before the window at once,
	// the few enrolled inside it one by one.
	cond, args := scopeSQL(scope, "id")
	var before int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM fleet_hosts WHERE revoked_at IS NULL AND enrolled_at < ? AND `+cond,
		append([]any{d0 * dayMS}, args...)...).Scan(&before); err != nil {
		return nil, fmt.Errorf("daily rollup: %w", err)
	}
	ers, err := s.db.Query(ctx, `SELECT enrolled_at FROM fleet_hosts WHERE revoked_at IS NULL AND enrolled_at >= ? AND `+cond, append([]any{d0 * dayMS}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("daily rollup: %w", err)
	}
	per := make([]int, len(out))
	for ers.Next() {
		var at int64
		if err := ers.Scan(&at); err != nil {
			ers.Close()
			return nil, fmt.Errorf("daily rollup: %w", err)
		}
		if i := at/dayMS - d0; i < int64(len(per)) {
			per[i]++
		}
	}
	ers.Close()
	n := before
	for i := range out {
		n += per[i]
		out[i].Hosts = n
	}
	return out, ers.Err()
}
