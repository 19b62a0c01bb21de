package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/output"
	"github.com/clawgov/clawgov/internal/report"
)

// reportFlags are shared by every command that writes a report.
type reportFlags struct {
	Format string
	Output string
	Lang   string
	FailOn string
	// Baseline and FailOnNew compare with an earlier JSON report (audit
	// and skills scan only; see registerBaseline).
	Baseline  string
	FailOnNew bool
	// OutputDir and Keep write dated reports into a directory and rotate
	// old ones (audit only; see registerOutputDir). dirPrefix names the
	// files: "audit" gives audit-20261206T102416Z.json.
	OutputDir string
	Keep      int
	dirPrefix string
}

// registerOutputDir adds --output-dir and --keep, the flags a scheduled
// audit (the packaged systemd timer and cron recipe) writes with.
func (o *reportFlags) registerOutputDir(cmd *cobra.Command, prefix string) {
	o.dirPrefix = prefix
	fl := cmd.Flags()
	fl.StringVar(&o.OutputDir, "output-dir", "", "write the report to DIR/"+prefix+"-TIME.EXT (TIME in UTC; atomically) instead of stdout")
	fl.IntVar(&o.Keep, "keep", 0, "with --output-dir: keep only the newest N reports of this format (0 keeps all)")
}

// registerBaseline adds --baseline and --fail-on-new.
func (o *reportFlags) registerBaseline(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&o.Baseline, "baseline", "", "earlier JSON report: mark findings new/unchanged/resolved (by fingerprint)")
	fl.BoolVar(&o.FailOnNew, "fail-on-new", false, "with --baseline: exit 1 only for new findings at or above --fail-on")
}

func (o *reportFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&o.Format, "format", "text", "output format: "+strings.Join(output.Formats(), "|"))
	fl.StringVarP(&o.Output, "output", "o", "", "write the report to this file (atomically) instead of stdout")
	fl.StringVar(&o.Lang, "lang", "", "report language zh|en (default from LC_ALL/LANG)")
	fl.StringVar(&o.FailOn, "fail-on", "high", "exit 1 when a failing or warning finding is at or above this severity: info|low|medium|high|critical|none")
}

// validate checks the flags before any work is done, so a typo costs
// nothing.
func (o *reportFlags) validate() (threshold finding.Severity, never bool, err error) {
	if _, err := output.New(o.Format, output.Options{}); err != nil {
		return 0, false, &UsageError{err}
	}
	if o.FailOnNew && o.Baseline == "" {
		return 0, false, usageErrorf("--fail-on-new needs --baseline")
	}
	if o.OutputDir != "" && o.Output != "" {
		return 0, false, usageErrorf("--output and --output-dir exclude each other")
	}
	if o.Keep < 0 {
		return 0, false, usageErrorf("--keep %d: want 0 (keep all) or more", o.Keep)
	}
	if o.Keep > 0 && o.OutputDir == "" {
		return 0, false, usageErrorf("--keep needs --output-dir")
	}
	if strings.EqualFold(o.FailOn, "none") {
		return 0, true, nil
	}
	t, err := finding.ParseSeverity(o.FailOn)
	if err != nil {
		return 0, false, usageErrorf("--fail-on: %v", err)
	}
	return t, false, nil
}

// emit writes the report and returns ErrFindings when it fails the
// threshold.
func (o *reportFlags) emit(f *factory, r *report.Report) error {
	threshold, never, err := o.validate()
	if err != nil {
		return err
	}
	if o.Baseline != "" {
		prev, err := report.LoadBaseline(o.Baseline)
		if err != nil {
			return &UsageError{err}
		}
		if err := report.ApplyBaseline(r, prev, o.Baseline); err != nil {
			return &UsageError{err}
		}
	}
	for _, w := range r.Waivers {
		switch w.State {
		case report.WaiverExpired:
			f.Logger.Warn("waiver expired: it no longer applies", "waiver", w.ID, "check", w.Check, "expired", w.Expires, "source", w.Source)
		case report.WaiverStale:
			f.Logger.Warn("waiver matches nothing (stale)", "waiver", w.ID, "check", w.Check, "source", w.Source)
		}
	}
	color := o.Output == "" && o.OutputDir == "" && f.IO.OutTTY && f.Getenv("NO_COLOR") == ""
	w, err := output.New(o.Format, output.Options{Color: color})
	if err != nil {
		return &UsageError{err}
	}
	if o.OutputDir != "" {
		if err := writeDated(o.OutputDir, o.dirPrefix, o.Format, o.Keep, f.Now(), func(fh *os.File) error { return w.Write(fh, r) }); err != nil {
			return err
		}
	} else if o.Output == "" {
		if err := w.Write(f.IO.Out, r); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	} else if err := writeFileAtomic(o.Output, func(fh *os.File) error { return w.Write(fh, r) }); err != nil {
		return err
	}
	if never {
		return nil
	}
	if o.FailOnNew {
		if r.FailingNew(threshold) {
			return ErrFindings
		}
		return nil
	}
	if r.Failing(threshold) {
		return ErrFindings
	}
	return nil
}

// writeFileAtomic writes through a temp file in the same directory and
// renames it into place, so a crash or a write error never leaves a
// partial report where a previous good one was. A target that exists and
// is not a regular file (/dev/stdout, /dev/null, a FIFO) is written in
// place: renaming over it would replace the device itself. A symlink is
// followed so the link survives and its target gets the report.
func writeFileAtomic(path string, write func(*os.File) error) error {
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return &UsageError{fmt.Errorf("write report %s: is a directory", path)}
		}
		fh, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return &UsageError{fmt.Errorf("write report %s: %w", path, err)}
		}
		if err := write(fh); err != nil {
			fh.Close()
			return fmt.Errorf("write report %s: %w", path, err)
		}
		if err := fh.Close(); err != nil {
			return fmt.Errorf("write report %s: %w", path, err)
		}
		return nil
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return &UsageError{fmt.Errorf("write report %s: %w", path, err)}
	}
	name := tmp.Name()
	defer os.Remove(name)
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := os.Chmod(name, 0o644); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return nil
}
