package host

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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

func TestReadFileRefusesSpecialAndHugeFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	big, err := os.Create(filepath.Join(dir, "big"))
	if err != nil {
		t.Fatal(err)
	}
	if err := big.Truncate(MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	big.Close()
	if err := os.WriteFile(filepath.Join(dir, "ok"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A FIFO must neither block nor be read.
	if _, err := ReadFile(dir, "/fifo"); !errors.Is(err, ErrNotRegular) {
		t.Errorf("fifo: err = %v, want ErrNotRegular", err)
	}
	if _, err := ReadFile(dir, "/adir"); !errors.Is(err, ErrNotRegular) {
		t.Errorf("dir: err = %v, want ErrNotRegular", err)
	}
	if _, err := ReadFile(dir, "/big"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("big: err = %v, want ErrTooLarge", err)
	}
	if b, err := ReadFile(dir, "/ok"); err != nil || string(b) != "x" {
		t.Errorf("ok: %q %v", b, err)
	}
	f, err := Open(dir, "ok")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
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
