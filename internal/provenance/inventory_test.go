package provenance

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/clawgov/clawgov/internal/openclaw"
)

// TestWithInventoryDetection runs the engine on installs found by the
// inventory's own detection (openclaw.FindInstalls) in rootfs trees, so
// the two packages agree on paths, methods and registry sources.
func TestWithInventoryDetection(t *testing.T) {
	tests := []struct {
		name  string
		build func(tr *tree)
		want  []string
	}{
		{"old install from a mirror", func(tr *tree) {
			tr.pkg(global, "openclaw", "2026.2.21", officialRepo, []string{"openclaw"}, "", true)
			tr.write("/home/claw/.npmrc", "registry=https://mirror.example.cn/\n")
		}, []string{"CG-INS-006/mirror/fail", "CG-INS-007/unrecorded/manual", "CG-INS-009/far_behind/fail"}},
		{"fork and legacy side by side", func(tr *tree) {
			tr.pkg("/usr/local/lib/node_modules/@romiluz/clawmongo", "@romiluz/clawmongo", "2026.4.8", "git+https://github.com/romiluz/ClawMongo-v2.git", []string{"openclaw", "clawmongo"}, "", false)
			tr.pkg("/usr/local/lib/node_modules/clawdbot", "clawdbot", "2026.1.24-3", "", []string{"clawdbot"}, "", false)
		}, []string{"CG-INS-002/fork_shadow/fail", "CG-INS-003/legacy/fail"}},
		{"tampered local project install", func(tr *tree) {
			v := latest(tr.t)
			tr.pkg("/srv/bot/node_modules/openclaw", "openclaw", v, officialRepo, []string{"openclaw"}, "", true)
			tr.write("/srv/bot/package-lock.json", `{"lockfileVersion":3,"packages":{"node_modules/openclaw":{"version":"`+v+`","resolved":"`+officialReg+`openclaw/-/openclaw-`+v+`.tgz","integrity":"sha512-BBBB"}}}`)
			tr.write("/srv/bot/node_modules/openclaw/bin/openclaw.mjs", "#!/usr/bin/env node\n")
			bin := filepath.Join(tr.rootfs, "srv/bot/node_modules/openclaw/bin/openclaw.mjs")
			os.Chmod(bin, 0o755)
			os.MkdirAll(filepath.Join(tr.rootfs, "srv/bot/node_modules/.bin"), 0o755)
			if err := os.Symlink("../openclaw/bin/openclaw.mjs", filepath.Join(tr.rootfs, "srv/bot/node_modules/.bin/openclaw")); err != nil {
				tr.t.Fatal(err)
			}
		}, []string{"CG-INS-007/mismatch/fail"}}, // found through PATH (the project's node_modules/.bin)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTree(t)
			tt.build(tr)
			tr.inv.Installs = nil // keep the files, let the inventory find the installs
			found, probs := openclaw.FindInstalls(openclaw.InstallOptions{Rootfs: tr.rootfs, Home: "/home/claw", PathDirs: []string{"/srv/bot/node_modules/.bin"}})
			if len(probs) > 0 {
				t.Logf("inventory problems: %+v", probs)
			}
			if len(found) == 0 {
				t.Fatal("inventory detection found no install")
			}
			tr.inv.Installs = found
			_, fs := tr.run(Engine{OfficialRegistry: official, Manifest: noManifest})
			got := keyed(fs)
			if tt.want != nil && !slices.Equal(got, tt.want) {
				t.Errorf("installs %+v\nfindings %v\nwant %v", found, got, tt.want)
			}
			t.Logf("found %d installs, findings %v", len(found), got)
		})
	}
}
