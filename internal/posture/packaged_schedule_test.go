package posture

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/clawgov/clawgov/internal/host"
)

// The scheduled-audit recipes the package ships (packaging/systemd and
// packaging/cron) must satisfy CG-UPD-003 once the administrator enables
// them, and must not while they sit installed but disabled. The tests read
// the real packaging files, so a change to a unit that breaks recognition
// fails here.
func TestUPD003RecognisesPackagedRecipes(t *testing.T) {
	pkg := filepath.Join("..", "..", "packaging")
	read := func(rel string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(pkg, rel))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	put := func(root, rel string, data []byte) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	installed := func(t *testing.T) string {
		root := t.TempDir()
		put(root, "etc/hostname", []byte("packaged\n"))
		// Where the deb and the rpm put them (nfpm.yaml).
		put(root, "usr/lib/systemd/system/clawgov-audit.timer", read("systemd/clawgov-audit.timer"))
		put(root, "usr/lib/systemd/system/clawgov-audit.service", read("systemd/clawgov-audit.service"))
		put(root, "usr/share/clawgov/cron/clawgov-audit", read("cron/clawgov-audit"))
		return root
	}
	enableTimer := func(t *testing.T, root string) {
		d := filepath.Join(root, "etc/systemd/system/timers.target.wants")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		// What systemctl enable creates.
		if err := os.Symlink("/usr/lib/systemd/system/clawgov-audit.timer", filepath.Join(d, "clawgov-audit.timer")); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name  string
		setup func(t *testing.T, root string)
		want  []string
	}{
		{"installed, nothing enabled", func(*testing.T, string) {}, []string{"warn/medium/none"}},
		{"timer enabled", enableTimer, nil},
		{"cron recipe copied to /etc/cron.d", func(t *testing.T, root string) {
			put(root, "etc/cron.d/clawgov-audit", read("cron/clawgov-audit"))
		}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := installed(t)
			tc.setup(t, root)
			f, err := host.Gather(context.Background(), host.Options{Rootfs: root})
			if err != nil {
				t.Fatal(err)
			}
			s := cfgSnap(t, ``, optScheduled(f.Coverage.Scheduled, f.Scheduled...))
			got := summary(runCheck(t, "CG-UPD-003", s))
			if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
				t.Fatalf("CG-UPD-003: got %q want %q (scheduled jobs %+v)", got, tc.want, f.Scheduled)
			}
		})
	}
}
