package finding

import "strings"

// Redact hides a secret, keeping at most a short prefix and the last four
// characters so an operator can tell two secrets apart without learning
// either. Short secrets are hidden entirely: revealing 8 of 12 characters
// would be most of the secret.
func Redact(secret string) string {
	s := strings.TrimSpace(secret)
	if s == "" {
		return ""
	}
	r := []rune(s)
	if len(r) < 16 {
		return "[REDACTED]"
	}
	prefix := ""
	// Keep well-known non-secret prefixes such as "sk-" that say what kind
	// of key it is.
	if i := strings.IndexAny(s, "-_"); i > 0 && i <= 4 {
		prefix = s[:i+1]
	}
	return prefix + "…" + string(r[len(r)-4:])
}

// RedactAll replaces every occurrence of each secret in text with its
// redacted form. Secrets shorter than 4 characters are ignored: replacing
// them would shred ordinary text and they protect nothing.
func RedactAll(text string, secrets []string) string {
	for _, s := range secrets {
		if len(s) < 4 {
			continue
		}
		text = strings.ReplaceAll(text, s, Redact(s))
	}
	return text
}
