package mirror

import (
	"context"
	"fmt"
	"testing"

	"github.com/clawgov/clawgov/internal/sqldb/sqldbtest"
)

// BenchmarkMirrorPull mirrors distinct approved skills from a clawgov
// upstream over loopback with the token bucket out of the way (1000
// requests/s): four upstream requests, the scan and the store per pull.
func BenchmarkMirrorPull(b *testing.B) {
	up := newReg(b, sqldbtest.SQLite(b), nil)
	for i := 0; i < b.N; i++ {
		files := map[string]string{"SKILL.md": benignMD, "docs/usage.md": fmt.Sprintf("Greeting number %d.\n", i)}
		slug := fmt.Sprintf("bench-%d", i)
		up.publish(b, "acme", slug, "1.0.0", files)
		up.review(b, "approve", slug, "1.0.0")
	}
	local := newReg(b, sqldbtest.SQLite(b), nil)
	m, _ := newMirror(b, up.ts.URL, local, func(o *ClientOptions) { o.Rate = 1000; o.Clock = nil })
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := m.Pull(ctx, Ref{Slug: fmt.Sprintf("bench-%d", i)}); r.Outcome != Pulled {
			b.Fatal(r)
		}
	}
}
