package advisory

import (
	"time"

	"github.com/clawgov/clawgov/internal/report"
)

// Describe reports the advisory database and release table an audit used,
// for the report's meta.data: their dates, where they came from and, for
// the database, whether it is older than staleDays (0 = DefaultStaleDays)
// at now. The age of this data is the auditor's concern, never a finding
// about the deployment. Loaders default like Engine's.
func Describe(now time.Time, staleDays int) *report.DataInfo {
	if staleDays <= 0 {
		staleDays = DefaultStaleDays
	}
	info := &report.DataInfo{}
	dir, _ := DefaultCacheDir()
	if db, src, err := currentForMatch(dir); err == nil {
		ds := &report.DataSet{Date: db.Modified[:min(len(db.Modified), 10)], Source: sourceLabel(src, db), AgeDays: -1}
		if d, err := parseDay(db.Modified); err == nil && !now.IsZero() {
			ds.AgeDays = int(now.Sub(d).Hours() / 24)
			ds.Stale = ds.AgeDays > staleDays
		}
		info.Advisories = ds
	}
	if rel, err := EmbeddedReleases(); err == nil {
		ds := &report.DataSet{Date: rel.Date(), Source: "embedded " + rel.Package + " release table", AgeDays: -1}
		if d, err := parseDay(ds.Date); err == nil && !now.IsZero() {
			ds.AgeDays = int(now.Sub(d).Hours() / 24)
		}
		info.Releases = ds
	}
	return info
}

// sourceLabel names the database and, for an update, what it was built
// from (the signed bundle or the OSV export and its URL).
func sourceLabel(s Source, db *DB) string {
	switch s.Kind {
	case "cache":
		for _, k := range []string{"osv-export", "bundle"} {
			if d := db.Sources[k]; d != "" {
				return "updated database " + s.Path + ": " + d
			}
		}
		return "updated database " + s.Path
	case "":
		return "embedded database"
	}
	return s.Kind + " database"
}
