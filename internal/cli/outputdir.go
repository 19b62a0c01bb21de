package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// formatExt is the file extension of each report format under --output-dir.
var formatExt = map[string]string{
	"html": "html", "json": "json", "junit": "xml", "markdown": "md", "sarif": "sarif", "text": "txt",
}

const datedLayout = "20060102T150405Z"

// writeDated writes one report as dir/prefix-<UTC time>.<ext> through
// writeFileAtomic, then removes the oldest reports of the same prefix and
// extension beyond keep. Only names this function itself makes are ever
// removed, so a report directory shared with other files is safe. The
// new report is written before anything is rotated: a failing write never
// costs an old report.
func writeDated(dir, prefix, format string, keep int, now time.Time, write func(*os.File) error) error {
	ext, ok := formatExt[strings.ToLower(format)]
	if !ok {
		return usageErrorf("--output-dir: no file extension for format %q", format)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return &UsageError{fmt.Errorf("--output-dir %s: %w", dir, err)}
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return usageErrorf("--output-dir %s: not a directory", dir)
	}
	stamp := now.UTC().Format(datedLayout)
	// Two runs within one second get -1, -2, ...: no report overwrites
	// another. O_EXCL reserves the name so concurrent runs cannot collide.
	var path string
	for i := 0; ; i++ {
		name := prefix + "-" + stamp + "." + ext
		if i > 0 {
			name = fmt.Sprintf("%s-%s-%d.%s", prefix, stamp, i, ext)
		}
		path = filepath.Join(dir, name)
		fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			fh.Close()
			break
		}
		if !errors.Is(err, fs.ErrExist) || i > 1000 {
			return fmt.Errorf("write report in %s: %w", dir, err)
		}
	}
	if err := writeFileAtomic(path, write); err != nil {
		os.Remove(path)
		return err
	}
	if keep > 0 {
		return rotateDated(dir, prefix, ext, keep)
	}
	return nil
}

// rotateDated removes all but the newest keep reports named by writeDated.
// The UTC stamp sorts by time as text; the -N suffix of a same-second run
// sorts after its first.
func rotateDated(dir, prefix, ext string, keep int) error {
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) + `-(\d{8}T\d{6}Z)(?:-(\d+))?\.` + regexp.QuoteMeta(ext) + `$`)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("rotate reports in %s: %w", dir, err)
	}
	type dated struct {
		name, stamp string
		n           int
	}
	var list []dated
	for _, e := range entries {
		m := re.FindStringSubmatch(e.Name())
		if m == nil || !e.Type().IsRegular() {
			continue
		}
		d := dated{name: e.Name(), stamp: m[1]}
		fmt.Sscanf(m[2], "%d", &d.n)
		list = append(list, d)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].stamp != list[j].stamp {
			return list[i].stamp < list[j].stamp
		}
		return list[i].n < list[j].n
	})
	for len(list) > keep {
		if err := os.Remove(filepath.Join(dir, list[0].name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotate reports in %s: %w", dir, err)
		}
		list = list[1:]
	}
	return nil
}
