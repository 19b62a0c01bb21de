package host

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// LineError is a line a parser skipped.
type LineError struct {
	Line int
	Msg  string
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// ParsePasswd parses /etc/passwd content. Malformed lines are skipped and
// reported; NIS "+"/"-" entries and comments are ignored.
func ParsePasswd(data []byte) ([]User, []LineError) {
	var users []User
	var errs []LineError
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "+") || strings.HasPrefix(line, "-") {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) != 7 {
			errs = append(errs, LineError{i + 1, fmt.Sprintf("passwd entry has %d fields, want 7", len(f))})
			continue
		}
		uid, err1 := strconv.Atoi(f[2])
		gid, err2 := strconv.Atoi(f[3])
		if f[0] == "" || err1 != nil || err2 != nil || uid < 0 || gid < 0 {
			errs = append(errs, LineError{i + 1, "passwd entry has an empty name or a bad uid/gid"})
			continue
		}
		users = append(users, User{Name: f[0], UID: uid, GID: gid, Home: f[5], Shell: f[6]})
	}
	return users, errs
}

// ParseGroup parses /etc/group content.
func ParseGroup(data []byte) ([]Group, []LineError) {
	var groups []Group
	var errs []LineError
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "+") || strings.HasPrefix(line, "-") {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) != 4 {
			errs = append(errs, LineError{i + 1, fmt.Sprintf("group entry has %d fields, want 4", len(f))})
			continue
		}
		gid, err := strconv.Atoi(f[2])
		if f[0] == "" || err != nil || gid < 0 {
			errs = append(errs, LineError{i + 1, "group entry has an empty name or a bad gid"})
			continue
		}
		g := Group{Name: f[0], GID: gid}
		for _, m := range strings.Split(f[3], ",") {
			if m = strings.TrimSpace(m); m != "" {
				g.Members = append(g.Members, m)
			}
		}
		groups = append(groups, g)
	}
	return groups, errs
}

// UserByName returns the passwd entry of name (the first one, as libc does).
func (f *Facts) UserByName(name string) (User, bool) {
	for _, u := range f.Users {
		if u.Name == name {
			return u, true
		}
	}
	return User{}, false
}

// UserByUID returns the first passwd entry with uid.
func (f *Facts) UserByUID(uid int) (User, bool) {
	for _, u := range f.Users {
		if u.UID == uid {
			return u, true
		}
	}
	return User{}, false
}

// GroupByName returns the group entry called name.
func (f *Facts) GroupByName(name string) (Group, bool) {
	for _, g := range f.Groups {
		if g.Name == name {
			return g, true
		}
	}
	return Group{}, false
}

// GroupByGID returns the first group entry with gid.
func (f *Facts) GroupByGID(gid int) (Group, bool) {
	for _, g := range f.Groups {
		if g.GID == gid {
			return g, true
		}
	}
	return Group{}, false
}

// GroupsOf returns the names of user's groups: the primary group first
// ("#<gid>" when /etc/group has no entry for it), then the supplementary
// groups that list the user, sorted. Unknown users have no groups.
func (f *Facts) GroupsOf(user string) []string {
	u, ok := f.UserByName(user)
	if !ok {
		return nil
	}
	var out []string
	primary := ""
	if g, ok := f.GroupByGID(u.GID); ok {
		primary = g.Name
	} else {
		primary = "#" + strconv.Itoa(u.GID)
	}
	out = append(out, primary)
	var sup []string
	seen := map[string]bool{primary: true}
	for _, g := range f.Groups {
		if seen[g.Name] {
			continue
		}
		for _, m := range g.Members {
			if m == user {
				sup = append(sup, g.Name)
				seen[g.Name] = true
				break
			}
		}
	}
	sort.Strings(sup)
	return append(out, sup...)
}

// adminGroups are groups whose members can become root: sudo/wheel/admin
// grant sudo on common distributions, root owns root files, and docker
// (like lxd) lets a member start a privileged container.
var adminGroups = map[string]string{
	"sudo":   "member of group sudo",
	"wheel":  "member of group wheel",
	"admin":  "member of group admin",
	"root":   "member of group root",
	"docker": "member of group docker (root-equivalent: can start a privileged container)",
	"lxd":    "member of group lxd (root-equivalent: can start a privileged container)",
}

// IsAdmin tells whether user can act as root and why: uid 0, membership in
// an admin group, or any sudoers rule naming the user, one of the user's
// groups (%group, %#gid), the user's uid (#uid) or ALL. Check
// Coverage.Sudoers: when sudoers was unreadable, false means unknown.
func (f *Facts) IsAdmin(user string) (bool, []string) {
	var reasons []string
	u, known := f.UserByName(user)
	if known && u.UID == 0 {
		reasons = append(reasons, "uid 0")
	}
	groups := f.GroupsOf(user)
	for _, g := range groups {
		if r, ok := adminGroups[g]; ok {
			reasons = append(reasons, r)
		}
	}
	for _, r := range f.SudoRulesFor(user) {
		reasons = append(reasons, fmt.Sprintf("sudo rule for %s at %s:%d", r.Who, r.File, r.Line))
	}
	return len(reasons) > 0, reasons
}

// SudoRulesFor returns the sudoers rules that apply to user directly or
// through one of its groups.
func (f *Facts) SudoRulesFor(user string) []SudoRule {
	u, known := f.UserByName(user)
	groups := f.GroupsOf(user)
	gids := map[int]bool{}
	if known {
		gids[u.GID] = true
	}
	for _, gn := range groups {
		if g, ok := f.GroupByName(gn); ok {
			gids[g.GID] = true
		}
	}
	var out []SudoRule
	for _, r := range f.Sudoers {
		if sudoWhoMatches(r.Who, user, u, known, groups, gids) {
			out = append(out, r)
		}
	}
	return out
}

func sudoWhoMatches(who, user string, u User, known bool, groups []string, gids map[int]bool) bool {
	switch {
	case who == "ALL":
		return true
	case who == user:
		return true
	case strings.HasPrefix(who, "%#"):
		n, err := strconv.Atoi(who[2:])
		return err == nil && gids[n]
	case strings.HasPrefix(who, "%:"):
		return false // non-Unix group: cannot be resolved from files
	case strings.HasPrefix(who, "%"):
		for _, g := range groups {
			if g == who[1:] {
				return true
			}
		}
	case strings.HasPrefix(who, "#"):
		n, err := strconv.Atoi(who[1:])
		return err == nil && known && u.UID == n
	}
	return false
}
