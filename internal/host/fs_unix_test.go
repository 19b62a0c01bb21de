//go:build unix

package host

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

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
