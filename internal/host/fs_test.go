package host

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

const fixture = "testdata/rootfs/debian"

func TestRootResolveConfinesSymlinks(t *testing.T) {
	t.Parallel()
	r, err := NewRoot(fixture)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		want    string
		wantErr error
	}{
		{"plain", "/etc/passwd", "/etc/passwd", nil},
		{"relative input", "etc/hostname", "/etc/hostname", nil},
		{"dotdot clamps at root", "/../../etc/../etc/hostname", "/etc/hostname", nil},
		{"relative escape stays inside", "/etc/escape-relative", "/etc/shadow", nil},
		{"absolute target is re-rooted", "/etc/escape-absolute", "/etc/shadow", nil},
		{"symlinked directory", "/var/run/docker.sock", "/run/docker.sock", nil},
		{"merged usr link", "/lib/systemd/system/nginx.service", "/usr/lib/systemd/system/nginx.service", nil},
		{"loop is bounded", "/etc/loop1", "", ErrSymlinkLoop},
		{"missing", "/etc/nope", "", fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Resolve(tt.path)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Resolve(%q) err = %v, want %v", tt.path, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Resolve(%q) = %q, %v; want %q", tt.path, got, err, tt.want)
			}
		})
	}
}

func TestReadFileNeverEscapesRoot(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"/etc/escape-relative", "/etc/escape-absolute"} {
		b, err := ReadFile(fixture, p)
		if err != nil {
			t.Fatalf("ReadFile(%s): %v", p, err)
		}
		if string(b) != "inside the root\n" {
			t.Fatalf("ReadFile(%s) read %q: escaped the root", p, b)
		}
	}
	if _, err := ReadFile(fixture, "/etc/loop2"); !errors.Is(err, ErrSymlinkLoop) {
		t.Fatalf("loop: err = %v", err)
	}
}

func TestLstatStatAndReadDir(t *testing.T) {
	t.Parallel()
	fi, err := Lstat(fixture, "/etc/escape-absolute")
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("Lstat symlink: %v %v", fi, err)
	}
	fi, err = Stat(fixture, "/etc/escape-absolute")
	if err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("Stat through symlink: %v %v", fi, err)
	}
	r, _ := NewRoot(fixture)
	ents, err := r.ReadDir("/etc/sudoers.d")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, ","); got != "README,ignored.conf,openclaw" {
		t.Fatalf("ReadDir = %s", got)
	}
	if got, err := Resolve(fixture, "/var/run"); err != nil || got != "/run" {
		t.Fatalf("Resolve(/var/run) = %q %v", got, err)
	}
}

func TestNewRootErrors(t *testing.T) {
	t.Parallel()
	if _, err := NewRoot(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing rootfs: no error")
	}
	if _, err := NewRoot(filepath.Join(fixture, "etc/passwd")); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("file rootfs: err = %v", err)
	}
}
