package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/advisory"
	"github.com/clawgov/clawgov/internal/release"
)

// signedRelease makes a release directory signed with a fresh key and
// returns it with the public key file.
func signedRelease(t *testing.T) (dir, pubFile string) {
	t.Helper()
	dir = t.TempDir()
	priv, pub, err := advisory.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	sk, _ := advisory.ParsePrivateKey(priv)
	pubFile = filepath.Join(t.TempDir(), "release.pub")
	os.WriteFile(pubFile, pub, 0o644)
	var files []string
	for n, c := range map[string]string{"clawgov_1.0.0_amd64.deb": "deb bytes", "clawgov-1.0.0-1.x86_64.rpm": "rpm bytes", "clawgov_linux_arm64": "binary"} {
		p := filepath.Join(dir, n)
		os.WriteFile(p, []byte(c), 0o644)
		files = append(files, p)
	}
	sums, err := release.MakeSums(files)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, release.SumsName), sums, 0o644)
	os.WriteFile(filepath.Join(dir, release.SignatureName), release.Sign(sums, sk), 0o644)
	return dir, pubFile
}

func TestVerifyRelease(t *testing.T) {
	dir, pub := signedRelease(t)
	noKeys := t.TempDir()
	deb := filepath.Join(dir, "clawgov_1.0.0_amd64.deb")

	code, out, errOut := auditRun(t, nil, "verify-release", "--key-dir", noKeys, "--key", pub, deb)
	if code != 0 || !strings.Contains(out, "signature: good (SHA256SUMS signed by key ") || !strings.Contains(out, "OK      clawgov_1.0.0_amd64.deb") {
		t.Fatalf("good file: exit %d\n%s%s", code, out, errOut)
	}
	// No FILE: every listed file present next to the list.
	code, out, _ = auditRun(t, nil, "verify-release", "--key-dir", noKeys, "--key", pub, "--sums", filepath.Join(dir, "SHA256SUMS"))
	if code != 0 || strings.Count(out, "OK      ") != 3 {
		t.Fatalf("all files: exit %d\n%s", code, out)
	}
	// The list is sha256sum(1)'s own format.
	if sum, err := exec.LookPath("sha256sum"); err == nil {
		c := exec.Command(sum, "-c", "SHA256SUMS")
		c.Dir = dir
		if b, err := c.CombinedOutput(); err != nil {
			t.Errorf("sha256sum -c: %v\n%s", err, b)
		}
	}

	// Without a trusted key: input error, never a pass.
	code, _, errOut = auditRun(t, nil, "verify-release", "--key-dir", noKeys, deb)
	if code != ExitUsage || !strings.Contains(errOut, "no trusted release keys") {
		t.Errorf("no key: exit %d %q", code, errOut)
	}
	// A key of someone else: verification failure.
	_, otherPub := signedRelease(t)
	code, out, _ = auditRun(t, nil, "verify-release", "--key-dir", noKeys, "--key", otherPub, deb)
	if code != ExitFindings || !strings.Contains(out, "FAILED signature") || strings.Contains(out, "OK ") {
		t.Errorf("foreign key: exit %d %q", code, out)
	}
	// A changed file.
	os.WriteFile(deb, []byte("deb bytes, patched"), 0o644)
	code, out, errOut = auditRun(t, nil, "verify-release", "--key-dir", noKeys, "--key", pub, deb)
	if code != ExitFindings || !strings.Contains(out, "FAILED  clawgov_1.0.0_amd64.deb: SHA-256 differs") || !strings.Contains(errOut, "do not install") {
		t.Errorf("changed file: exit %d %q %q", code, out, errOut)
	}
	// A changed list (an attacker adding his own checksum) breaks the signature.
	sums, _ := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	h, _ := release.HashFile(deb)
	lines := strings.Split(string(sums), "\n")
	for i, l := range lines {
		if strings.HasSuffix(l, "  clawgov_1.0.0_amd64.deb") {
			lines[i] = h + "  clawgov_1.0.0_amd64.deb"
		}
	}
	forged := strings.Join(lines, "\n")
	if forged == string(sums) {
		t.Fatal("test did not forge the list")
	}
	os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte(forged), 0o644)
	code, out, _ = auditRun(t, nil, "verify-release", "--key-dir", noKeys, "--key", pub, deb)
	if code != ExitFindings || !strings.Contains(out, "FAILED signature") {
		t.Errorf("forged list: exit %d %q", code, out)
	}
	// Missing signature or list: input errors naming what is missing.
	os.Remove(filepath.Join(dir, "SHA256SUMS.sig"))
	code, _, errOut = auditRun(t, nil, "verify-release", "--key", pub, deb)
	if code != ExitUsage || !strings.Contains(errOut, "read signature") {
		t.Errorf("no signature: exit %d %q", code, errOut)
	}
	code, _, errOut = auditRun(t, nil, "verify-release", "--key", pub, filepath.Join(t.TempDir(), "x.deb"))
	if code != ExitUsage || !strings.Contains(errOut, "read checksum list") {
		t.Errorf("no list: exit %d %q", code, errOut)
	}
}
