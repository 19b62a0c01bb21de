package host

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// UnitFile is a parsed systemd unit or drop-in file: sections of
// assignments in file order.
type UnitFile struct {
	Sections []UnitSection
}

// UnitSection is one [Section] of a unit file.
type UnitSection struct {
	Name    string
	Entries []UnitEntry
}

// UnitEntry is one Key=Value assignment.
type UnitEntry struct {
	Key   string
	Value string
	Line  int
}

// ParseUnitFile parses systemd unit syntax: "[Section]" headers,
// "Key=Value" lines, "#" and ";" comments, and backslash-newline
// continuations (joined with a space; comment lines inside a continuation
// are skipped, as systemd does). Bad lines are skipped and reported.
func ParseUnitFile(data []byte) (*UnitFile, []LineError) {
	uf := &UnitFile{}
	var errs []LineError
	var cur *UnitSection
	phys := strings.Split(string(data), "\n")
	for i := 0; i < len(phys); i++ {
		start := i + 1
		line := strings.TrimSpace(strings.TrimRight(phys[i], "\r"))
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		for strings.HasSuffix(line, "\\") {
			line = line[:len(line)-1] + " "
			// Comment lines inside a continuation are dropped.
			for i+1 < len(phys) {
				next := strings.TrimSpace(strings.TrimRight(phys[i+1], "\r"))
				if next == "" || (next[0] != '#' && next[0] != ';') {
					break
				}
				i++
			}
			if i+1 >= len(phys) {
				break
			}
			i++
			line += strings.TrimSpace(strings.TrimRight(phys[i], "\r"))
		}
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			if !strings.HasSuffix(line, "]") || len(line) < 3 {
				errs = append(errs, LineError{start, "malformed section header"})
				cur = nil
				continue
			}
			uf.Sections = append(uf.Sections, UnitSection{Name: line[1 : len(line)-1]})
			cur = &uf.Sections[len(uf.Sections)-1]
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			errs = append(errs, LineError{start, "line is not an assignment"})
			continue
		}
		if cur == nil {
			errs = append(errs, LineError{start, "assignment outside a section"})
			continue
		}
		cur.Entries = append(cur.Entries, UnitEntry{Key: k, Value: strings.TrimSpace(v), Line: start})
	}
	return uf, errs
}

// SplitUnitWords splits a unit value into words the way systemd's
// extract_first_word does with EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE: words
// are separated by whitespace, single and double quotes group (and may
// start mid-word), and C escapes are decoded. An unterminated quote is an
// error.
func SplitUnitWords(s string) ([]string, error) {
	var words []string
	var b strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case c == '\\':
			if i+1 >= len(s) {
				return words, fmt.Errorf("trailing backslash")
			}
			n, consumed, err := cUnescape(s[i+1:])
			if err != nil {
				return words, err
			}
			b.WriteString(n)
			i += consumed
			inWord = true
		case quote == 0 && (c == '\'' || c == '"'):
			quote = c
			inWord = true
		case quote == 0 && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			if inWord {
				words = append(words, b.String())
				b.Reset()
				inWord = false
			}
		default:
			b.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return words, fmt.Errorf("unterminated quote")
	}
	if inWord {
		words = append(words, b.String())
	}
	return words, nil
}

// cUnescape decodes the escape after a backslash and returns the decoded
// text and how many bytes of s it used.
func cUnescape(s string) (string, int, error) {
	switch s[0] {
	case 'a':
		return "\a", 1, nil
	case 'b':
		return "\b", 1, nil
	case 'f':
		return "\f", 1, nil
	case 'n':
		return "\n", 1, nil
	case 'r':
		return "\r", 1, nil
	case 't':
		return "\t", 1, nil
	case 'v':
		return "\v", 1, nil
	case 's':
		return " ", 1, nil
	case '\\', '"', '\'', ' ', '$':
		return s[:1], 1, nil
	case 'x':
		if len(s) >= 3 {
			if v, err := strconv.ParseUint(s[1:3], 16, 8); err == nil && v != 0 {
				return string([]byte{byte(v)}), 3, nil
			}
		}
	case 'u', 'U':
		n := 4
		if s[0] == 'U' {
			n = 8
		}
		if len(s) > n {
			if v, err := strconv.ParseUint(s[1:1+n], 16, 32); err == nil && v != 0 && utf8.ValidRune(rune(v)) {
				return string(rune(v)), 1 + n, nil
			}
		}
	case '0', '1', '2', '3':
		if len(s) >= 3 {
			if v, err := strconv.ParseUint(s[:3], 8, 8); err == nil && v != 0 {
				return string([]byte{byte(v)}), 3, nil
			}
		}
	}
	return "", 0, fmt.Errorf("bad escape \\%c", s[0])
}

// validEnvName follows systemd's env_name_is_valid: letters, digits and
// underscore, not starting with a digit.
func validEnvName(k string) bool {
	if k == "" || k[0] >= '0' && k[0] <= '9' {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// ParseEnvironmentValue parses the value of one Environment= line into
// assignments, in order. Words that are not valid KEY=VALUE assignments
// are ignored, as systemd ignores them.
func ParseEnvironmentValue(v string) ([][2]string, error) {
	words, err := SplitUnitWords(v)
	var out [][2]string
	for _, w := range words {
		k, val, ok := strings.Cut(w, "=")
		if ok && validEnvName(k) {
			out = append(out, [2]string{k, val})
		}
	}
	return out, err
}

// ParseEnvFile parses an EnvironmentFile= file with systemd's rules:
// KEY=VALUE lines, "#" and ";" comment lines, single quotes literal,
// double quotes with \" \\ \` \$ escapes, backslash-newline continuations,
// trailing whitespace of unquoted values dropped. Invalid names are
// skipped and reported (systemd ignores them too).
func ParseEnvFile(data []byte) ([][2]string, []LineError) {
	const (
		preKey = iota
		key
		preValue
		value
		valueEscape
		single
		double
		doubleEscape
		comment
	)
	var out [][2]string
	var errs []LineError
	s := string(data)
	state := preKey
	var k, v strings.Builder
	trailingWS := 0 // unquoted whitespace at the end of v
	line, keyLine := 1, 1
	commit := func() {
		val := v.String()
		val = val[:len(val)-trailingWS]
		name := strings.TrimRight(k.String(), " \t")
		if validEnvName(name) {
			out = append(out, [2]string{name, val})
		} else {
			errs = append(errs, LineError{keyLine, "invalid variable name ignored"})
		}
		k.Reset()
		v.Reset()
		trailingWS = 0
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch state {
		case preKey:
			switch {
			case c == '#' || c == ';':
				state = comment
			case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			default:
				state = key
				keyLine = line
				k.WriteByte(c)
			}
		case key:
			switch c {
			case '=':
				state = preValue
			case '\n':
				errs = append(errs, LineError{keyLine, "line is not an assignment"})
				k.Reset()
				state = preKey
			default:
				k.WriteByte(c)
			}
		case preValue:
			switch c {
			case '\n':
				commit()
				state = preKey
			case ' ', '\t', '\r':
			case '\'':
				state = single
			case '"':
				state = double
			case '\\':
				state = valueEscape
			default:
				v.WriteByte(c)
				state = value
			}
		case value:
			switch c {
			case '\n':
				commit()
				state = preKey
			case '\\':
				state = valueEscape
				trailingWS = 0
			case '\'':
				// systemd keeps quotes that start mid-value literally.
				v.WriteByte(c)
				trailingWS = 0
			default:
				v.WriteByte(c)
				if c == ' ' || c == '\t' || c == '\r' {
					trailingWS++
				} else {
					trailingWS = 0
				}
			}
		case valueEscape:
			state = value
			if c != '\n' {
				v.WriteByte(c)
			}
		case single:
			if c == '\'' {
				state = preValue
			} else {
				v.WriteByte(c)
			}
		case double:
			switch c {
			case '"':
				state = preValue
			case '\\':
				state = doubleEscape
			default:
				v.WriteByte(c)
			}
		case doubleEscape:
			state = double
			switch c {
			case '"', '\\', '`', '$':
				v.WriteByte(c)
			case '\n':
			default:
				v.WriteByte('\\')
				v.WriteByte(c)
			}
		case comment:
			if c == '\n' {
				state = preKey
			}
		}
		if c == '\n' {
			line++
		}
	}
	switch state {
	case preValue, value, valueEscape, single, double, doubleEscape:
		commit()
	case key:
		errs = append(errs, LineError{keyLine, "line is not an assignment"})
	}
	return out, errs
}

// hardeningKeys are the [Service] directives recorded in Unit.Hardening.
var hardeningKeys = map[string]bool{
	"NoNewPrivileges": true, "ProtectSystem": true, "ProtectHome": true, "PrivateTmp": true,
	"CapabilityBoundingSet": true, "AmbientCapabilities": true, "PrivateDevices": true,
	"ProtectKernelTunables": true, "ProtectKernelModules": true, "ProtectControlGroups": true,
	"RestrictAddressFamilies": true, "SystemCallFilter": true, "ReadWritePaths": true,
	"ReadOnlyPaths": true, "InaccessiblePaths": true, "UMask": true, "RestrictSUIDSGID": true,
	"LockPersonality": true, "MemoryDenyWriteExecute": true, "PrivateUsers": true,
	"ProtectClock": true, "ProtectHostname": true, "RestrictNamespaces": true,
	"RestrictRealtime": true, "SupplementaryGroups": true, "DynamicUser": true,
}

// accumulatingKeys join repeated assignments; an empty one resets them.
var accumulatingKeys = map[string]bool{
	"CapabilityBoundingSet": true, "AmbientCapabilities": true, "RestrictAddressFamilies": true,
	"SystemCallFilter": true, "ReadWritePaths": true, "ReadOnlyPaths": true,
	"InaccessiblePaths": true, "SupplementaryGroups": true,
}

// unitFilePart is one file contributing to a unit: the unit file itself or
// a drop-in.
type unitFilePart struct {
	Path string
	Data []byte
}

// SystemdUnit builds a Unit from a unit file and its drop-ins (in the
// order systemd applies them). name is the unit's file name
// ("openclaw-gateway.service"); it feeds the %n/%N/%p/%i specifiers.
// EnvironmentFile contents are not read here (Gather does that under the
// rootfs); their paths are listed in EnvironmentFiles.
func SystemdUnit(name string, main []byte, dropins ...[]byte) (Unit, []LineError) {
	parts := []unitFilePart{{Path: name, Data: main}}
	for i, d := range dropins {
		parts = append(parts, unitFilePart{Path: fmt.Sprintf("%s.d/%d.conf", name, i), Data: d})
	}
	return buildSystemdUnit(name, parts, "", nil)
}

// buildSystemdUnit merges the parts. manager is the account of a user
// manager (user units: %u/%h name it, not User=); "" for system units.
// home maps a user name to its home for %h (nil: left unexpanded).
func buildSystemdUnit(name string, parts []unitFilePart, manager string, home func(string) string) (Unit, []LineError) {
	u := Unit{Name: name, Path: parts[0].Path, Environment: map[string]string{}, EnvSource: map[string]string{}, Hardening: map[string]string{}}
	var errs []LineError
	type envSet struct {
		k, v, src string
	}
	var envs []envSet
	var execs []string
	for pi, part := range parts {
		if pi > 0 {
			u.DropIns = append(u.DropIns, part.Path)
		}
		uf, e := ParseUnitFile(part.Data)
		errs = append(errs, e...)
		for _, sec := range uf.Sections {
			if sec.Name != "Service" {
				continue
			}
			for _, en := range sec.Entries {
				val := en.Value
				switch en.Key {
				case "User":
					u.User = expandSpecifiers(val, name, specUser(manager, u.User), home)
				case "Group":
					u.Group = expandSpecifiers(val, name, specUser(manager, u.User), home)
				case "DynamicUser":
					u.DynamicUser = parseBool(val)
					u.Hardening["DynamicUser"] = val
				case "ExecStart":
					if val == "" {
						execs = nil
					} else {
						execs = append(execs, val)
					}
				case "Environment":
					if val == "" {
						envs = nil
						continue
					}
					kvs, err := ParseEnvironmentValue(expandSpecifiers(val, name, specUser(manager, u.User), home))
					if err != nil {
						errs = append(errs, LineError{en.Line, "Environment: " + err.Error()})
					}
					for _, kv := range kvs {
						envs = append(envs, envSet{kv[0], kv[1], "Environment= " + part.Path})
					}
				case "EnvironmentFile":
					if val == "" {
						u.EnvironmentFiles = nil
					} else {
						u.EnvironmentFiles = append(u.EnvironmentFiles, expandSpecifiers(val, name, specUser(manager, u.User), home))
					}
				default:
					if !hardeningKeys[en.Key] {
						continue
					}
					if accumulatingKeys[en.Key] {
						switch old, ok := u.Hardening[en.Key]; {
						case val == "" && strings.HasSuffix(en.Key, "Capabilities"), val == "" && en.Key == "CapabilityBoundingSet":
							// "" resets to the empty set: no capabilities.
							u.Hardening[en.Key] = ""
						case val == "":
							delete(u.Hardening, en.Key)
						case ok && old != "":
							u.Hardening[en.Key] = old + " " + val
						default:
							u.Hardening[en.Key] = val
						}
					} else {
						u.Hardening[en.Key] = val
					}
				}
			}
		}
	}
	for _, e := range envs {
		u.Environment[e.k], u.EnvSource[e.k] = e.v, e.src
	}
	if len(execs) > 0 {
		raw := execs[len(execs)-1]
		cmd := strings.TrimLeft(raw, "@-:+!")
		prefix := raw[:len(raw)-len(cmd)]
		cmd = expandSpecifiers(cmd, name, specUser(manager, u.User), home)
		if args, err := SplitUnitWords(cmd); err == nil {
			// Secret flag values never leave the fact layer.
			u.Args = redactArgv(args)
			u.ExecStart = prefix + strings.Join(u.Args, " ")
		} else {
			errs = append(errs, LineError{0, "ExecStart: " + err.Error()})
			u.ExecStart = prefix + cmd
		}
	}
	return u, errs
}

func specUser(manager, user string) string {
	if manager != "" {
		return manager
	}
	return user
}

func parseBool(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "yes", "true", "on", "y", "t":
		return true
	}
	return false
}

// expandSpecifiers expands the common unit specifiers. Unknown ones stay
// as written (systemd would fail the unit; we keep the text for evidence).
func expandSpecifiers(s, unit, user string, home func(string) string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	base := strings.TrimSuffix(unit, ".service")
	prefix, inst, _ := strings.Cut(base, "@")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case '%':
			b.WriteByte('%')
		case 'n':
			b.WriteString(unit)
		case 'N':
			b.WriteString(base)
		case 'p':
			b.WriteString(prefix)
		case 'i', 'I':
			b.WriteString(inst)
		case 'u':
			if user == "" {
				user = "root"
			}
			b.WriteString(user)
		case 'h':
			if home != nil {
				if user == "" {
					user = "root"
				}
				if h := home(user); h != "" {
					b.WriteString(h)
					continue
				}
			}
			b.WriteString("%h")
		default:
			b.WriteByte('%')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// startsGateway tells whether a service with this name and command starts
// an OpenClaw-family gateway rather than another OpenClaw command (a node
// host, an SSH tunnel, a scheduled "openclaw security audit"): the name
// says gateway, or the command names the product with a "gateway"
// argument that is not a client verb ("gateway status"), or names the
// product with no subcommand at all (a wrapper script such as
// /opt/openclaw/start.sh).
func startsGateway(name string, args []string) bool {
	ln := strings.ToLower(name)
	for _, w := range productWords {
		if strings.Contains(ln, w) && strings.Contains(ln, "gateway") {
			return true
		}
	}
	first := -1
	for i, a := range args {
		la := strings.ToLower(a)
		for _, w := range productWords {
			if first < 0 && strings.Contains(la, w) {
				first = i
			}
		}
	}
	if first < 0 {
		return false
	}
	for i, a := range args {
		if a == "gateway" {
			return i+1 >= len(args) || !clientGatewayVerbs[args[i+1]]
		}
	}
	for _, a := range args[first+1:] {
		if a != "" && !strings.HasPrefix(a, "-") && !strings.Contains(a, "/") {
			return false // another subcommand
		}
	}
	return true
}
