package host

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

func TestMentionsProduct(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"ExecStart=/usr/bin/openclaw gateway", true},
		{"Description=OpenClaw Gateway", true},
		{"ExecStart=/opt/CLAWDBOT/bin/run", true},
		{"ExecStart=node moltBot.js", true},
		{"openclaw", true},
		{"openclA", false},
		{"ExecStart=/usr/bin/nginx", false},
		{"open claw", false},
		{"", false},
		{"OPENCLA\nW", false},
	} {
		if got := mentionsProduct([]byte(c.in)); got != c.want {
			t.Errorf("mentionsProduct(%q) = %v, want %v", c.in, got, c.want)
		}
		// It must agree with the case-folding it replaces.
		lower := strings.ToLower(c.in)
		ref := strings.Contains(lower, "openclaw") || strings.Contains(lower, "clawdbot") || strings.Contains(lower, "moltbot")
		if ref != c.want {
			t.Errorf("case %q: expectation disagrees with strings.ToLower", c.in)
		}
	}
}

func FuzzMentionsProduct(f *testing.F) {
	f.Add([]byte("ExecStart=/usr/bin/OpenClaw gateway"))
	f.Add([]byte("moltbo"))
	f.Fuzz(func(t *testing.T, b []byte) {
		lower := bytes.ToLower(b)
		ref := false
		for _, w := range productWords {
			ref = ref || bytes.Contains(lower, []byte(w))
		}
		// bytes.ToLower also folds non-ASCII letters (the Kelvin sign K
		// becomes k); the product names are ASCII, so compare only on
		// ASCII input.
		for _, c := range b {
			if c >= 0x80 {
				return
			}
		}
		if got := mentionsProduct(b); got != ref {
			t.Fatalf("mentionsProduct(%q) = %v, ToLower+Contains says %v", b, got, ref)
		}
	})
}

func TestReadSized(t *testing.T) {
	data := strings.Repeat("x", 5000)
	for _, hint := range []int64{0, 1, 4999, 5000, 5001, 1 << 20} {
		// One byte per Read, so every grow and EOF path runs.
		got, err := readSized(iotest.OneByteReader(strings.NewReader(data)), "f", hint)
		if err != nil || string(got) != data {
			t.Errorf("hint %d: %d bytes, %v", hint, len(got), err)
		}
	}
	// A file that grows past the limit after it was opened is refused.
	big := io.LimitReader(zeros{}, MaxFileSize+10)
	if _, err := readSized(big, "big", 10); !errors.Is(err, ErrTooLarge) {
		t.Errorf("growing file: %v, want ErrTooLarge", err)
	}
	r := iotest.ErrReader(errors.New("boom"))
	if _, err := readSized(r, "bad", 10); err == nil || !strings.Contains(err.Error(), "read bad: boom") {
		t.Errorf("read error: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// The live root opens files by their resolved path; a disk image goes
// through os.Root. Both read the same bytes and refuse the same things.
func TestLiveAndImageRootsRead(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "etc", "f"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("f", filepath.Join(dir, "etc", "link")); err != nil {
		t.Fatal(err)
	}
	img, err := NewRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if b, err := img.ReadFile("/etc/link"); err != nil || string(b) != "hello" {
		t.Errorf("image: %q %v", b, err)
	}
	live, err := NewRoot("")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if b, err := live.ReadFile(filepath.Join(dir, "etc", "link")); err != nil || string(b) != "hello" {
		t.Errorf("live: %q %v", b, err)
	}
	if _, err := live.ReadFile(dir); !errors.Is(err, ErrNotRegular) {
		t.Errorf("live directory: %v, want ErrNotRegular", err)
	}
}

// mightBeGateway may only drop processes IsGatewayProcess rejects.
func FuzzMightBeGateway(f *testing.F) {
	f.Add([]byte("node\x00/usr/lib/node_modules/OpenClaw/dist/index.js\x00gateway\x00"), []byte("node\n"))
	f.Add([]byte("/opt/x/openclaw-gateway\x00"), []byte("openclaw-gatewa\n"))
	f.Add([]byte("bash\x00"), []byte("clawdbot-gateway\n"))
	f.Fuzz(func(t *testing.T, cmdline, comm []byte) {
		argv := splitNUL(cmdline)
		c := strings.TrimRight(string(comm), "\n")
		if IsGatewayProcess(argv, c) && !mightBeGateway(cmdline, comm) {
			t.Fatalf("prefilter drops a gateway: %q comm %q", cmdline, comm)
		}
	})
}

func TestMightBeGateway(t *testing.T) {
	for _, c := range []struct {
		cmd, comm string
		want      bool
	}{
		{"node\x00/usr/lib/node_modules/openclaw/dist/index.js\x00gateway\x00", "node\n", true},
		{"openclaw-gateway\x00", "openclaw-gatewa\n", true},
		{"\x00", "moltbot-gateway\n", true},
		{"/usr/sbin/sshd\x00-D\x00", "sshd\n", false},
		{"", "", false},
	} {
		if got := mightBeGateway([]byte(c.cmd), []byte(c.comm)); got != c.want {
			t.Errorf("mightBeGateway(%q, %q) = %v", c.cmd, c.comm, got)
		}
	}
}
