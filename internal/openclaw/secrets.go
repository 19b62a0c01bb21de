package openclaw

import (
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/clawgov/clawgov/internal/json5"
)

// secretKeyRE matches config keys that hold a credential wherever they
// appear (botToken, signingSecret, password, apiKey, webhookSecret, ...).
var secretKeyRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)(token|secret|passw(or)?d|passphrase|api_?key|private_?key|credential|cookie|bearer|authorization)`)
})

// secretKeySuffixRE adds bare "key" names (key, accessKey, appKey) inside
// the subtrees where they are credentials; elsewhere "key" is too common
// (skillKey, meta keys) to treat as secret.
var secretKeySuffixRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)keys?$`) })

// secretSubtrees are the config subtrees whose *key fields are secrets.
var secretSubtrees = []string{"channels", "skills.entries", "models", "providers", "env", "hooks", "gateway.auth", "mcp", "plugins.entries", "secrets", "tools", "talk", "messages", "browser"}

// secretEnvRE matches environment variable names that hold secrets.
var secretEnvRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)(TOKEN|SECRET|PASSW(OR)?D|PASSPHRASE|API_?KEY|PRIVATE_?KEY|_KEY$|^KEY$|CREDENTIAL|COOKIE)`)
})

// KnownSecrets returns every secret value the inventory holds in memory
// (gateway token/password, hook tokens, channel tokens, API keys, env
// secrets, SecretRef values resolved from the environment, the exec
// approvals socket token), so callers can scrub any text before it leaves
// the process. Longest first, so a secret containing another is replaced
// whole.
func KnownSecrets(inv *Inventory) []string {
	if inv == nil {
		return nil
	}
	set := map[string]bool{}
	add := func(v string) {
		v = strings.TrimSpace(v)
		if len(v) < 4 || isPlaceholder(v) {
			return
		}
		set[v] = true
	}
	envGet := func(k string) string { return inv.Env[k] }
	for k, v := range inv.Env {
		if secretEnvRE().MatchString(k) {
			add(v)
		}
	}
	if inv.Config != nil && inv.Config.Root != nil {
		walkSecrets(inv.Config.Root, "", add, envGet)
	}
	if st := inv.State; st != nil && st.ExecApprovals != nil {
		add(st.ExecApprovals.socketToken)
	}
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i]) != len(out[j]) {
			return len(out[i]) > len(out[j])
		}
		return out[i] < out[j]
	})
	return out
}

// isPlaceholder is an unresolved "${VAR}" (no secret in it).
func isPlaceholder(v string) bool {
	out, missing := SubstituteEnv(v, func(string) string { return "" })
	return len(missing) > 0 && strings.TrimSpace(strings.NewReplacer("${", "", "}", "").Replace(out)) == strings.Join(missing, "")
}

func inSecretSubtree(keyPath string) bool {
	for _, s := range secretSubtrees {
		if keyPath == s || strings.HasPrefix(keyPath, s+".") {
			return true
		}
	}
	return false
}

// walkSecrets collects string values under secret-looking keys (and the
// strings of arrays under them: token lists), and env SecretRefs resolved
// through the environment.
func walkSecrets(v *json5.Value, keyPath string, add func(string), getenv func(string) string) {
	var walk func(v *json5.Value, keyPath, key string, secret bool)
	walk = func(v *json5.Value, keyPath, key string, secret bool) {
		if v == nil {
			return
		}
		if !secret && key != "" {
			secret = secretKeyRE().MatchString(key) || (secretKeySuffixRE().MatchString(key) && inSecretSubtree(keyPath))
			// env.vars / env.<NAME>: the variable name decides.
			if !secret && (strings.HasPrefix(keyPath, "env.vars.") || strings.HasPrefix(keyPath, "env.")) {
				secret = secretEnvRE().MatchString(key)
			}
		}
		switch v.Kind {
		case json5.String:
			if secret {
				add(v.Str)
			}
		case json5.Object:
			if v.IsSecretRef() {
				if src, _ := v.Get("source").AsString(); src == "env" {
					id, _ := v.Get("id").AsString()
					add(getenv(id))
				}
				return
			}
			// Secrecy is not inherited by object members: under
			// "secrets" or "credentials" each member's own name decides
			// (provider "source: file" is not a secret).
			for _, m := range v.Members {
				kp := m.Key
				if keyPath != "" {
					kp = keyPath + "." + m.Key
				}
				walk(m.Value, kp, m.Key, false)
			}
		case json5.Array:
			for i, e := range v.Elems {
				walk(e, keyPath+"."+itoa(i), key, secret)
			}
		}
	}
	walk(v, keyPath, "", false)
}
