package posture

import (
	"fmt"
	"sort"
	"strings"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/json5"
)

// Secret-handling checks (CG-SEC-*): credentials written literally into
// openclaw.json (which is copied to .bak files, backups and support
// bundles) instead of SecretRefs or the environment, plaintext values in
// the SQLite secret store, and secrets on a command line. Evidence names
// the key path and at most a redacted hint; values never leave the process.

func init() {
	register("CG-SEC-001", checkGatewaySecretsInConfig)
	register("CG-SEC-002", checkCredentialsInConfig)
	register("CG-SEC-003", checkEnvVarsSecrets)
	register("CG-SEC-004", checkSecretStorePlaintext)
	register("CG-SEC-005", checkSecretsOnCommandLine)
}

// gatewaySecretPaths are the gateway's own credentials (CG-SEC-001).
var gatewaySecretPaths = []string{"gateway.auth.token", "gateway.auth.password", "gateway.remote.token", "gateway.remote.password", "hooks.token"}

// literalSecret reports whether v is a credential written literally: a
// non-empty string that is neither a SecretRef nor filled in from the
// environment by ${VAR} substitution.
func literalSecret(v *json5.Value) (string, bool) {
	if v == nil || v.Kind != json5.String {
		return "", false
	}
	s := strings.TrimSpace(v.Str)
	if s == "" || isPlaceholderSecret(s) {
		return "", false
	}
	if envRefRe().MatchString(s) || envRefRe().MatchString(v.Template) {
		// ${VAR}: unresolved, or resolved from the environment. Either
		// way the file does not hold the secret.
		return "", false
	}
	return s, true
}

// CG-SEC-001: gateway, remote and hook credentials as literals in config.
func checkGatewaySecretsInConfig(s *Snapshot) []finding.Finding {
	c, errs, ok := confOf(s, "CG-SEC-001")
	if !ok {
		return errs
	}
	var out []finding.Finding
	for _, path := range gatewaySecretPaths {
		v := c.get(path)
		sec, lit := literalSecret(v)
		if !lit {
			continue
		}
		out = append(out, newFinding("CG-SEC-001", finding.Warn, finding.Medium, "literal", kv("key", path), c.ev(path, v, finding.Redact(sec))))
	}
	return out
}

// secretKeyNames are config key names (lowercased) that hold credentials.
var secretKeyNames = map[string]bool{
	"token": true, "apikey": true, "api_key": true, "secret": true, "password": true, "passphrase": true,
	"privatekey": true, "private_key": true, "encryptkey": true, "signingkey": true,
}

// secretKeySuffixes catch botToken, accessToken, appSecret, clientSecret,
// webhookSecret, dbPassword, ...
var secretKeySuffixes = []string{"token", "apikey", "secret", "password", "privatekey", "accesskey", "secretkey"}

// notSecretKeys end like a secret but are not one.
var notSecretKeys = map[string]bool{"maxtoken": true, "counttoken": true, "usesecret": true}

func isSecretKey(k string) bool {
	l := strings.ToLower(k)
	if notSecretKeys[l] {
		return false
	}
	if secretKeyNames[l] {
		return true
	}
	for _, suf := range secretKeySuffixes {
		if strings.HasSuffix(l, suf) {
			return true
		}
	}
	return false
}

// secretLeaf is a literal credential found in the config tree.
type secretLeaf struct {
	path  string
	v     *json5.Value
	value string
}

// walkSecrets visits every object member whose key names a credential and
// whose value is a literal string, skipping the subtrees other checks own.
func walkSecrets(v *json5.Value, path string, skip func(string) bool, out *[]secretLeaf) {
	if v == nil {
		return
	}
	switch v.Kind {
	case json5.Object:
		if v.IsSecretRef() {
			return
		}
		for _, k := range v.Keys() {
			child := v.Get(k)
			p := k
			if path != "" {
				p = path + "." + k
			}
			if skip(p) {
				continue
			}
			if child != nil && child.Kind == json5.String && isSecretKey(k) {
				if sec, ok := literalSecret(child); ok {
					*out = append(*out, secretLeaf{path: p, v: child, value: sec})
				}
				continue
			}
			walkSecrets(child, p, skip, out)
		}
	case json5.Array:
		for i, e := range v.Elems {
			walkSecrets(e, fmt.Sprintf("%s.%d", path, i), skip, out)
		}
	}
}

// CG-SEC-002: channel bot tokens, provider API keys, skill and plugin
// credentials and any other credential-named key held literally.
func checkCredentialsInConfig(s *Snapshot) []finding.Finding {
	c, errs, ok := confOf(s, "CG-SEC-002")
	if !ok {
		return errs
	}
	if c.c == nil || c.c.Root == nil {
		return nil
	}
	own := map[string]bool{}
	for _, p := range gatewaySecretPaths {
		own[p] = true
	}
	skip := func(p string) bool {
		// Gateway credentials are CG-SEC-001, env.vars is CG-SEC-003,
		// meta and $schema carry no credentials.
		return own[p] || p == "env" || p == "meta" || p == "secrets.providers"
	}
	var leaves []secretLeaf
	walkSecrets(c.c.Root, "", skip, &leaves)
	var out []finding.Finding
	for _, l := range leaves {
		out = append(out, newFinding("CG-SEC-002", finding.Warn, finding.Medium, "literal", kv("key", l.path), c.ev(l.path, l.v, finding.Redact(l.value))))
	}
	return out
}

// isSecretEnvName matches environment variable names that carry
// credentials (OPENAI_API_KEY, TELEGRAM_BOT_TOKEN, DB_PASSWORD, ...).
func isSecretEnvName(k string) bool {
	u := strings.ToUpper(k)
	for _, part := range []string{"TOKEN", "API_KEY", "APIKEY", "SECRET", "PASSWORD", "PASSWD", "PRIVATE_KEY", "ACCESS_KEY", "CREDENTIAL"} {
		if strings.Contains(u, part) {
			return true
		}
	}
	return false
}

// CG-SEC-003: secrets in env.vars (config-supplied environment), which
// OpenClaw injects into the gateway process from the plaintext config.
func checkEnvVarsSecrets(s *Snapshot) []finding.Finding {
	c, errs, ok := confOf(s, "CG-SEC-003")
	if !ok {
		return errs
	}
	var out []finding.Finding
	vars := c.objectMembers("env.vars")
	if len(vars) == 0 {
		// Older shape: env.<NAME> directly under env.
		for _, m := range c.objectMembers("env") {
			if m.Key != "vars" && m.Key != "shellEnv" && m.Value != nil && m.Value.Kind == json5.String {
				vars = append(vars, m)
			}
		}
		for _, m := range vars {
			if sec, ok := literalSecret(m.Value); ok && isSecretEnvName(m.Key) {
				out = append(out, newFinding("CG-SEC-003", finding.Warn, finding.Medium, "literal", kv("name", m.Key), c.ev("env."+m.Key, m.Value, finding.Redact(sec))))
			}
		}
		return out
	}
	for _, m := range vars {
		if sec, ok := literalSecret(m.Value); ok && isSecretEnvName(m.Key) {
			out = append(out, newFinding("CG-SEC-003", finding.Warn, finding.Medium, "literal", kv("name", m.Key), c.ev("env.vars."+m.Key, m.Value, finding.Redact(sec))))
		}
	}
	return out
}

// storeRefs lists config paths holding SecretRefs with source "store".
func storeRefs(v *json5.Value, path string, out *[]string) {
	if v == nil {
		return
	}
	switch v.Kind {
	case json5.Object:
		if v.IsSecretRef() {
			if src, _ := v.Get("source").AsString(); src == "store" {
				*out = append(*out, path)
			}
			return
		}
		for _, k := range v.Keys() {
			p := k
			if path != "" {
				p = path + "." + k
			}
			storeRefs(v.Get(k), p, out)
		}
	case json5.Array:
		for i, e := range v.Elems {
			storeRefs(e, fmt.Sprintf("%s.%d", path, i), out)
		}
	}
}

// CG-SEC-004: the "store" secret backend keeps values unencrypted in
// table secret_store_entries of state/openclaw.sqlite, so anyone who can
// read the database (or a backup of it) has every stored credential. The
// built-in audit does not report it.
func checkSecretStorePlaintext(s *Snapshot) []finding.Finding {
	c, errs, ok := confOf(s, "CG-SEC-004")
	if !ok {
		return errs
	}
	var refs []string
	if c.c != nil {
		storeRefs(c.c.Root, "", &refs)
	}
	inv := s.OC
	for _, pr := range inv.Problems {
		if pr.Area == "state" {
			return errorFinding("CG-SEC-004", fmt.Sprintf("state %s could not be read: %v", pr.Path, pr.Err))
		}
	}
	st := inv.State
	if st == nil {
		if len(refs) > 0 {
			return []finding.Finding{newFinding("CG-SEC-004", finding.Error, finding.Medium, "state_unknown", kv("refs", strings.Join(refs, ", ")), c.ev(refs[0], c.get(refs[0]), ""))}
		}
		return nil
	}
	var names []string
	for _, e := range st.Secrets {
		if e.HasValue {
			names = append(names, e.ID)
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	ev := finding.Evidence{Kind: "state", File: st.Path, KeyPath: "secret_store_entries.value", Detail: fmt.Sprintf("plaintext=%d", len(names))}
	return []finding.Finding{newFinding("CG-SEC-004", finding.Warn, finding.Medium, "plaintext", kv("count", fmt.Sprint(len(names)), "ids", strings.Join(names, ", ")), ev)}
}

// CG-SEC-005: a gateway token or password passed as a command-line flag in
// a service unit or a running process is visible to every local user
// (ps, /proc/<pid>/cmdline).
func checkSecretsOnCommandLine(s *Snapshot) []finding.Finding {
	if s == nil || s.Host == nil {
		return errorFinding("CG-SEC-005", "host facts were not gathered")
	}
	var out []finding.Finding
	for _, flag := range []string{"token", "password"} {
		if v, e, ok := cliFlag(s, flag); ok && strings.TrimSpace(v) != "" && !strings.HasPrefix(v, "$") {
			e.Value = finding.Redact(v)
			out = append(out, newFinding("CG-SEC-005", finding.Fail, finding.High, "cmdline", kv("flag", "--"+flag), e))
		}
	}
	return out
}
