package cli

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// initLine is one line of GODEBUG=inittrace=1 output:
// "init PKG @0.1 ms, 0.2 ms clock, 1234 bytes, 5 allocs".
var initLine = regexp.MustCompile(`^init (\S+) @\S+ ms, \S+ ms clock, (\d+) bytes, (\d+) allocs$`)

// Every clawgov command pays for every package's init, the audit included
// (bench/audit.sh measures whole processes). A package-level value that
// does real work at start-up (an argon2id hash once cost 250 ms and 64 MiB
// here) must be made on first use instead. Measured in bytes allocated,
// which are deterministic, not in time.
func TestPackageInitIsCheap(t *testing.T) {
	// This test binary links internal/cli and everything it imports: the
	// same init work as the clawgov binary.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("re-exec with inittrace: %v\n%s", err, out)
	}
	const limit = 2 << 20
	seen := 0
	for _, line := range strings.Split(string(out), "\n") {
		m := initLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		seen++
		if !strings.HasPrefix(m[1], "github.com/clawgov/clawgov/") {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		if n > limit {
			t.Errorf("init of %s allocates %d bytes (limit %d): make the value on first use", m[1], n, limit)
		}
	}
	if seen == 0 {
		t.Fatalf("no inittrace lines in the re-exec output:\n%s", out)
	}
}
