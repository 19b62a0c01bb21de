package cli

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A report written to a special file must go into it, never replace it:
// as root, renaming over /dev/null would replace the system's /dev/null.
func TestWriteFileAtomicKeepsSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan []byte)
	go func() {
		b, _ := os.ReadFile(fifo)
		done <- b
	}()
	if err := writeFileAtomic(fifo, func(f *os.File) error { _, err := f.WriteString("report\n"); return err }); err != nil {
		t.Fatal(err)
	}
	if got := string(<-done); got != "report\n" {
		t.Fatalf("fifo got %q", got)
	}
	fi, err := os.Lstat(fifo)
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced: %v %v", fi.Mode(), err)
	}
}

func TestWriteFileAtomicFollowsSymlinkAndReplacesRegular(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.json")
	if err := os.WriteFile(real, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(link, func(f *os.File) error { _, err := f.WriteString("new"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(real); string(b) != "new" {
		t.Fatalf("target got %q", b)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the symlink was replaced by a file")
	}
	if err := writeFileAtomic(dir, func(*os.File) error { return nil }); err == nil {
		t.Fatal("writing a report onto a directory must fail")
	}
}
