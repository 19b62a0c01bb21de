package skillscan

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkSkillsBench scans ../shared/data/skills-bench (2,000 real
// skills) once per iteration and reports MB/s and skills/s.
func BenchmarkSkillsBench(b *testing.B) {
	dir := filepath.Join(sharedData(b), "skills-bench")
	if _, err := os.Stat(dir); err != nil {
		b.Skipf("skills-bench not available: %v", err)
	}
	s, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	var bytes int64
	var skills int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rs, errs := s.ScanPaths(context.Background(), []string{dir})
		if len(errs) > 0 {
			b.Fatal(errs)
		}
		bytes, skills = 0, len(rs)
		for _, r := range rs {
			bytes += r.Bytes
		}
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(bytes)/sec/1e6, "MB/s")
	b.ReportMetric(float64(skills)/sec, "skills/s")
	b.SetBytes(bytes)
}
