package remediate

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Backups and the journal.
//
// Before the first change, every file the plan rewrites is copied byte for
// byte into <backups>/<ID>/files/, and journal.json lists every path the
// plan touches with its original mode, owner and hash. Only then does
// anything change; each finished step is appended to steps.log. Rollback
// is state based: it brings every journalled path back to its recorded
// original, whatever step a crash stopped at, so it can always run (and
// run again).

// Journal is <backups>/<ID>/journal.json.
type Journal struct {
	ID        string         `json:"id"`
	CreatedAt time.Time      `json:"created_at"`
	Status    string         `json:"status"` // applying, applied, rolled-back
	StateDir  string         `json:"state_dir"`
	Rootfs    string         `json:"rootfs,omitempty"`
	Actions   []string       `json:"actions"`
	Entries   []JournalEntry `json:"entries"`
}

// JournalEntry is one path the apply touches.
type JournalEntry struct {
	// Kind: file (rewritten), meta (mode/owner only), created-file,
	// created-dir, move (quarantine).
	Kind    string `json:"kind"`
	Host    string `json:"host"`
	Existed bool   `json:"existed"`
	Mode    uint32 `json:"mode"`
	UID     int    `json:"uid"`
	GID     int    `json:"gid"`
	SHA256  string `json:"sha256,omitempty"`
	// After is the hash of the new content (file entries).
	After string `json:"sha256_after,omitempty"`
	// Backup is the copy of the original, relative to the backup dir.
	Backup string `json:"backup,omitempty"`
	// MoveTo is where a quarantined skill went.
	MoveTo string `json:"move_to,omitempty"`
}

// Result is what Apply did.
type Result struct {
	BackupID  string   `json:"backup_id"`
	BackupDir string   `json:"backup_dir"`
	Applied   int      `json:"applied"`
	Restart   bool     `json:"restart"`
	Notes     []string `json:"notes,omitempty"`
	// Quarantined lists quarantine IDs created.
	Quarantined []string `json:"quarantined,omitempty"`
}

func (p *Plan) backupRoot() string {
	if p.opts.BackupDir != "" {
		return p.opts.BackupDir
	}
	return p.hostPath(path.Join(p.StateDir, ".clawgov", "backups"))
}

// BackupRoot is where backups of a deployment live.
func BackupRoot(o Options, stateDir string) string {
	if o.BackupDir != "" {
		return o.BackupDir
	}
	hp := path.Join(stateDir, ".clawgov", "backups")
	if o.Rootfs != "" {
		return filepath.Join(o.Rootfs, filepath.FromSlash(hp))
	}
	return hp
}

func statOwner(fi fs.FileInfo) (int, int) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), int(st.Gid)
	}
	return -1, -1
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// testPause is the crash-test hook: CLAWGOV_FIX_TEST_PAUSE=<ms> sleeps
// that long before every step, so a harness can SIGKILL mid-apply.
func (p *Plan) testPause() {
	if v := p.opts.Getenv("CLAWGOV_FIX_TEST_PAUSE"); v != "" {
		if ms, err := strconv.Atoi(v); err == nil && ms > 0 {
			p.opts.Logger.Warn("fix test pause", "ms", ms)
			time.Sleep(time.Duration(ms) * time.Millisecond)
		}
	}
}

// Apply carries the plan out. It refuses when the plan has a refusal, and
// changes nothing when it fails before the first step (a read-only
// directory, an unwritable backup dir).
func (p *Plan) Apply() (*Result, error) {
	if p.Refusal != "" {
		return nil, &RefusedError{p.Refusal}
	}
	if len(p.Actions) == 0 {
		return &Result{}, nil
	}
	// Rewritten files are written through symlinks to their target, so a
	// linked config stays a link.
	writes := map[string][]byte{}
	env := p.envFiles()
	for hp, b := range p.staged {
		if bytes.Equal(b, p.orig[hp]) && !env[hp] {
			continue
		}
		real := hp
		if r, err := filepath.EvalSymlinks(hp); err == nil {
			real = r
		}
		writes[real] = b
	}
	id := p.opts.Now().UTC().Format("20060102T150405Z")
	var rb [3]byte
	_, _ = rand.Read(rb[:])
	id += "-" + hex.EncodeToString(rb[:])
	dir := filepath.Join(p.backupRoot(), id)
	if err := os.MkdirAll(filepath.Join(dir, "files"), 0o700); err != nil {
		return nil, fmt.Errorf("create backup dir %s: %w (nothing was changed)", dir, err)
	}
	_ = os.Chmod(filepath.Dir(p.backupRoot()), 0o700)
	// One fix at a time per deployment.
	unlock, err := lockDir(p.backupRoot())
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	defer unlock()
	_ = syncDir(dir)
	_ = syncDir(p.backupRoot())
	j := &Journal{ID: id, CreatedAt: p.opts.Now().UTC(), Status: "applying", StateDir: p.StateDir, Rootfs: p.opts.Rootfs}
	for _, a := range p.Actions {
		j.Actions = append(j.Actions, a.ID)
	}
	fail := func(err error) (*Result, error) {
		// Nothing changed yet: drop the half-made backup.
		_ = os.RemoveAll(dir)
		return nil, err
	}

	// 1. Back up every file to be rewritten; record new files.
	var paths []string
	for hp := range writes {
		paths = append(paths, hp)
	}
	sort.Strings(paths)
	for i, hp := range paths {
		fi, err := os.Lstat(hp)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			j.Entries = append(j.Entries, JournalEntry{Kind: "created-file", Host: hp, After: sum(writes[hp])})
			continue
		case err != nil:
			return fail(fmt.Errorf("stat %s: %w", hp, err))
		}
		orig, err := os.ReadFile(hp)
		if err != nil {
			return fail(fmt.Errorf("back up %s: %w", hp, err))
		}
		name := fmt.Sprintf("files/%04d-%s", i, filepath.Base(hp))
		if err := writeAtomic(filepath.Join(dir, name), orig, 0o600, -1, -1); err != nil {
			return fail(fmt.Errorf("back up %s: %w", hp, err))
		}
		uid, gid := statOwner(fi)
		j.Entries = append(j.Entries, JournalEntry{Kind: "file", Host: hp, Existed: true, Mode: uint32(fi.Mode()), UID: uid, GID: gid, SHA256: sum(orig), After: sum(writes[hp]), Backup: name})
	}
	var metas []modeChange
	var moves []*quarantineMove
	for _, a := range p.Actions {
		metas = append(metas, a.modes...)
		if a.move != nil {
			moves = append(moves, a.move)
		}
		for _, d := range a.mkdirs {
			j.Entries = append(j.Entries, JournalEntry{Kind: "created-dir", Host: p.hostPath(d)})
		}
	}
	for _, m := range metas {
		hp := p.hostPath(m.file)
		fi, err := os.Lstat(hp)
		if err != nil {
			return fail(fmt.Errorf("stat %s: %w", hp, err))
		}
		uid, gid := statOwner(fi)
		j.Entries = append(j.Entries, JournalEntry{Kind: "meta", Host: hp, Existed: true, Mode: uint32(fi.Mode()), UID: uid, GID: gid})
	}
	for _, mv := range moves {
		j.Entries = append(j.Entries, JournalEntry{Kind: "move", Host: p.hostPath(mv.src), MoveTo: p.hostPath(path.Join(mv.dst, "skill"))})
	}

	// 2. The journal, durable before the first change.
	if err := writeJournal(dir, j); err != nil {
		return fail(err)
	}

	// 3. Prepare every rewrite as a synced temp file next to its target,
	// before changing anything: a read-only directory fails here.
	temps := map[string]string{}
	cleanup := func() {
		for _, t := range temps {
			_ = os.Remove(t)
		}
	}
	for _, hp := range paths {
		mode, uid, gid := fs.FileMode(0o600), -1, -1
		if fi, err := os.Stat(hp); err == nil {
			mode = fi.Mode().Perm()
			uid, gid = statOwner(fi)
		} else if di, err := os.Stat(filepath.Dir(hp)); err == nil {
			// A new file belongs to whoever owns its directory (the
			// deployment user), not to root running clawgov: the gateway
			// must be able to read its token.
			uid, gid = statOwner(di)
		}
		if env[hp] {
			mode = 0o600 // an env file with a secret is private, always
		}
		t, err := prepareTemp(hp, writes[hp], mode, uid, gid)
		if err != nil {
			cleanup()
			return fail(fmt.Errorf("write %s: %w (nothing was changed)", p.deployPath(hp), err))
		}
		temps[hp] = t
	}

	steps, err := os.OpenFile(filepath.Join(dir, "steps.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		cleanup()
		return fail(fmt.Errorf("open journal: %w", err))
	}
	defer steps.Close()
	logStep := func(format string, a ...any) {
		fmt.Fprintf(steps, format+"\n", a...)
		_ = steps.Sync()
	}

	// 4. The steps.
	res := &Result{BackupID: id, BackupDir: dir, Applied: len(p.Actions)}
	for _, a := range p.Actions {
		for _, d := range a.mkdirs {
			p.testPause()
			if err := os.MkdirAll(p.hostPath(d), 0o700); err != nil {
				cleanup()
				return nil, p.stepFailed(id, fmt.Errorf("mkdir %s: %w", d, err))
			}
			if di, err := os.Stat(filepath.Dir(p.hostPath(d))); err == nil && os.Geteuid() == 0 {
				uid, gid := statOwner(di)
				_ = os.Lchown(p.hostPath(d), uid, gid)
			}
			logStep("mkdir %s", d)
		}
	}
	for _, hp := range paths {
		p.testPause()
		if err := commitTemp(temps[hp], hp); err != nil {
			cleanup()
			return nil, p.stepFailed(id, fmt.Errorf("write %s: %w", p.deployPath(hp), err))
		}
		delete(temps, hp)
		logStep("write %s", hp)
	}
	for _, m := range metas {
		p.testPause()
		hp := p.hostPath(m.file)
		if m.uid >= 0 {
			if err := os.Lchown(hp, m.uid, m.gid); err != nil {
				return nil, p.stepFailed(id, fmt.Errorf("chown %s: %w", m.file, err))
			}
			logStep("chown %s %d:%d", hp, m.uid, m.gid)
		}
		if m.newMode != m.oldMode {
			if err := os.Chmod(hp, m.newMode); err != nil {
				return nil, p.stepFailed(id, fmt.Errorf("chmod %s: %w", m.file, err))
			}
			logStep("chmod %s %04o", hp, m.newMode.Perm())
		}
	}
	for _, mv := range moves {
		p.testPause()
		if err := p.quarantine(mv); err != nil {
			return nil, p.stepFailed(id, err)
		}
		res.Quarantined = append(res.Quarantined, mv.id)
		logStep("quarantine %s", mv.id)
	}
	j.Status = "applied"
	if err := writeJournal(dir, j); err != nil {
		return nil, err
	}
	for _, a := range p.Actions {
		res.Restart = res.Restart || a.Restart
		res.Notes = append(res.Notes, a.Notes...)
	}
	return res, nil
}

// lockDir takes an exclusive, non-blocking flock on dir.
func lockDir(dir string) (func(), error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another clawgov fix is running on this deployment (%s is locked)", dir)
		}
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// stepFailed reports a failure after changes began; the backup stays so
// `fix --rollback` can undo what was done.
func (p *Plan) stepFailed(id string, err error) error {
	return fmt.Errorf("%w; partial changes can be undone with: clawgov fix --rollback %s", err, id)
}

func writeJournal(dir string, j *Journal) error {
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(dir, "journal.json"), append(b, '\n'), 0o600, -1, -1); err != nil {
		return fmt.Errorf("write journal: %w", err)
	}
	return nil
}

// prepareTemp writes data to a synced temp file in target's directory with
// the given mode and owner, and returns its name.
func prepareTemp(target string, data []byte, mode fs.FileMode, uid, gid int) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".clawgov-*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(name)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return "", err
	}
	if err := f.Chmod(mode); err != nil {
		return "", err
	}
	if uid >= 0 && os.Geteuid() == 0 {
		if err := f.Chown(uid, gid); err != nil {
			return "", err
		}
	}
	if err := f.Sync(); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	ok = true
	return name, nil
}

// commitTemp renames tmp over target and syncs the directory.
func commitTemp(tmp, target string) error {
	if err := os.Rename(tmp, target); err != nil {
		return err
	}
	return syncDir(filepath.Dir(target))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}

// writeAtomic is prepareTemp + commitTemp.
func writeAtomic(target string, data []byte, mode fs.FileMode, uid, gid int) error {
	t, err := prepareTemp(target, data, mode, uid, gid)
	if err != nil {
		return err
	}
	if err := commitTemp(t, target); err != nil {
		os.Remove(t)
		return err
	}
	return nil
}

// quarantine moves a skill dir to <state>/quarantine/<id>/skill with a
// manifest written first.
func (p *Plan) quarantine(mv *quarantineMove) error {
	src := p.hostPath(mv.src)
	dst := p.hostPath(mv.dst)
	files, tree, err := treeHashes(src)
	if err != nil {
		return fmt.Errorf("hash %s: %w", mv.src, err)
	}
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return fmt.Errorf("quarantine %s: %w", mv.name, err)
	}
	_ = os.Chmod(filepath.Dir(dst), 0o700)
	m := Manifest{ID: mv.id, Name: mv.name, Origin: mv.src, Reason: mv.reason, QuarantinedAt: p.opts.Now().UTC().Format(time.RFC3339), Files: files, TreeSHA256: tree}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := writeAtomic(filepath.Join(dst, "manifest.json"), append(b, '\n'), 0o600, -1, -1); err != nil {
		return fmt.Errorf("quarantine manifest: %w", err)
	}
	if err := os.Rename(src, filepath.Join(dst, "skill")); err != nil {
		return fmt.Errorf("move %s into quarantine: %w", mv.src, err)
	}
	_ = syncDir(filepath.Dir(src))
	return syncDir(dst)
}

// ---- rollback ----

// BackupInfo is one backup set.
type BackupInfo struct {
	ID        string    `json:"id"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	Actions   []string  `json:"actions"`
	Files     int       `json:"files"`
}

// ListBackups lists backup sets, newest first. A set without a journal was
// interrupted before any change and shows status "incomplete".
func ListBackups(root string) ([]BackupInfo, error) {
	ents, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read backups %s: %w", root, err)
	}
	var out []BackupInfo
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		j, err := readJournal(filepath.Join(root, e.Name()))
		if err != nil {
			out = append(out, BackupInfo{ID: e.Name(), Status: "incomplete"})
			continue
		}
		n := 0
		for _, en := range j.Entries {
			if en.Kind == "file" || en.Kind == "created-file" {
				n++
			}
		}
		out = append(out, BackupInfo{ID: j.ID, Status: j.Status, CreatedAt: j.CreatedAt, Actions: j.Actions, Files: n})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID > out[b].ID })
	return out, nil
}

func readJournal(dir string) (*Journal, error) {
	b, err := os.ReadFile(filepath.Join(dir, "journal.json"))
	if err != nil {
		return nil, err
	}
	var j Journal
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("journal %s: %w", dir, err)
	}
	return &j, nil
}

// Rollback restores backup id ("" = the latest that changed something)
// exactly: every rewritten file gets its original bytes, mode and owner
// back, created files and dirs go, quarantined skills return. It returns
// the ID it restored ("" when there was nothing to restore).
//
// pause, when given, runs before each restored path (the crash-test hook).
func Rollback(root, id string, pause ...func()) (string, error) {
	list, err := ListBackups(root)
	if err != nil {
		return "", err
	}
	// Interrupted before the journal: nothing was changed; clear them.
	for _, b := range list {
		if b.Status == "incomplete" && (id == "" || id == b.ID) {
			_ = os.RemoveAll(filepath.Join(root, b.ID))
			if id == b.ID {
				return b.ID, nil
			}
		}
	}
	if id == "" {
		for _, b := range list {
			if b.Status == "applied" || b.Status == "applying" {
				id = b.ID
				break
			}
		}
		if id == "" {
			return "", nil
		}
	}
	if strings.ContainsAny(id, `/\`) || id == "." || id == ".." {
		return "", fmt.Errorf("bad backup id %q", id)
	}
	dir := filepath.Join(root, id)
	j, err := readJournal(dir)
	if err != nil {
		return "", fmt.Errorf("backup %s: %w", id, err)
	}
	var errs []string
	for i := len(j.Entries) - 1; i >= 0; i-- {
		for _, f := range pause {
			f()
		}
		if err := restoreEntry(dir, j.Entries[i]); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return id, fmt.Errorf("rollback %s: %s", id, strings.Join(errs, "; "))
	}
	j.Status = "rolled-back"
	return id, writeJournal(dir, j)
}

func restoreEntry(dir string, e JournalEntry) error {
	switch e.Kind {
	case "file", "created-file":
		// Temp files of an interrupted apply.
		if m, _ := filepath.Glob(filepath.Join(filepath.Dir(e.Host), "."+filepath.Base(e.Host)+".clawgov-*")); len(m) > 0 {
			for _, t := range m {
				_ = os.Remove(t)
			}
		}
	}
	switch e.Kind {
	case "file":
		orig, err := os.ReadFile(filepath.Join(dir, e.Backup))
		if err != nil {
			return fmt.Errorf("read backup of %s: %w", e.Host, err)
		}
		if sum(orig) != e.SHA256 {
			return fmt.Errorf("backup of %s is damaged (hash differs)", e.Host)
		}
		cur, err := os.ReadFile(e.Host)
		if err == nil && !bytes.Equal(cur, orig) && sum(cur) != e.After {
			// Changed by someone after the fix: keep that version next
			// to the backup rather than lose it.
			if err := writeAtomic(filepath.Join(dir, e.Backup+".before-rollback"), cur, 0o600, -1, -1); err != nil {
				return fmt.Errorf("save %s before restoring it: %w", e.Host, err)
			}
		}
		if err != nil || !bytes.Equal(cur, orig) {
			if err := writeAtomic(e.Host, orig, fs.FileMode(e.Mode).Perm(), e.UID, e.GID); err != nil {
				return fmt.Errorf("restore %s: %w", e.Host, err)
			}
		}
		return restoreMeta(e)
	case "meta":
		return restoreMeta(e)
	case "created-file":
		if err := os.Remove(e.Host); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", e.Host, err)
		}
		return nil
	case "created-dir":
		// Only when empty: OpenClaw may have written logs there since.
		if err := os.Remove(e.Host); err != nil && !errors.Is(err, fs.ErrNotExist) && !isNotEmpty(err) {
			return fmt.Errorf("remove %s: %w", e.Host, err)
		}
		return nil
	case "move":
		if _, err := os.Lstat(e.MoveTo); err == nil {
			if _, err := os.Lstat(e.Host); err == nil {
				return fmt.Errorf("cannot return %s: the path exists again", e.Host)
			}
			if err := os.Rename(e.MoveTo, e.Host); err != nil {
				return fmt.Errorf("return %s: %w", e.Host, err)
			}
			_ = os.RemoveAll(filepath.Dir(e.MoveTo))
		}
		return nil
	}
	return nil
}

func isNotEmpty(err error) bool {
	return errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST)
}

func restoreMeta(e JournalEntry) error {
	fi, err := os.Lstat(e.Host)
	if err != nil {
		return fmt.Errorf("restore %s: %w", e.Host, err)
	}
	uid, gid := statOwner(fi)
	if e.UID >= 0 && (uid != e.UID || gid != e.GID) && os.Geteuid() == 0 {
		if err := os.Lchown(e.Host, e.UID, e.GID); err != nil {
			return fmt.Errorf("restore owner of %s: %w", e.Host, err)
		}
	}
	want := fs.FileMode(e.Mode)
	if fi.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != want&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) {
		if err := os.Chmod(e.Host, want&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
			return fmt.Errorf("restore mode of %s: %w", e.Host, err)
		}
	}
	return nil
}

// ---- restore from quarantine ----

// QuarantineRoot is <state>/quarantine on this machine.
func QuarantineRoot(o Options, stateDir string) string {
	hp := path.Join(stateDir, "quarantine")
	if o.Rootfs != "" {
		return filepath.Join(o.Rootfs, filepath.FromSlash(hp))
	}
	return hp
}

// Restore puts quarantined skill id back where it came from and returns
// its manifest.
func Restore(o Options, stateDir, id string) (*Manifest, error) {
	if id == "" || strings.ContainsAny(id, `/\`) || id == "." || id == ".." {
		return nil, fmt.Errorf("bad quarantine id %q", id)
	}
	dir := filepath.Join(QuarantineRoot(o, stateDir), id)
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", id, errNotQuarantined)
	}
	if err != nil {
		return nil, fmt.Errorf("read quarantine manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("quarantine manifest %s: %w", id, err)
	}
	origin := m.Origin
	if o.Rootfs != "" {
		origin = filepath.Join(o.Rootfs, filepath.FromSlash(m.Origin))
	}
	if _, err := os.Lstat(origin); err == nil {
		return nil, fmt.Errorf("cannot restore %s: %s exists", id, m.Origin)
	}
	if err := os.MkdirAll(filepath.Dir(origin), 0o700); err != nil {
		return nil, fmt.Errorf("restore %s: %w", id, err)
	}
	if err := os.Rename(filepath.Join(dir, "skill"), origin); err != nil {
		return nil, fmt.Errorf("restore %s: %w", id, err)
	}
	_ = syncDir(filepath.Dir(origin))
	if err := os.RemoveAll(dir); err != nil {
		return &m, fmt.Errorf("remove quarantine entry %s: %w", id, err)
	}
	return &m, nil
}
