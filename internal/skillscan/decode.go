package skillscan

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// layer is text recovered from an obfuscated form inside a file. Its
// matches are reported against the file and line where the blob starts.
type layer struct {
	how  string // base64, hex, charcode, concat, unicode-tags
	text []byte
	line int // 1-based line of the blob in the parent text
}

// Decoding limits: enough for real payloads (a one-line stager is well
// under 4 KiB), small enough that a file full of base64 cannot make the
// scanner do unbounded work.
const (
	minB64Len       = 24
	maxBlobsPerFile = 256
	maxDecodedBytes = 1 << 20
	maxDecodeDepth  = 3
)

func isB64Char(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_'
}

// printableRatio says how much of b is text: decoded noise (a hash, a
// key, an image) is not worth rescanning and would only produce chance
// matches.
func printable(b []byte) bool {
	if len(b) < 8 {
		return false
	}
	good := 0
	for _, c := range b {
		if c == '\n' || c == '\r' || c == '\t' || (c >= 0x20 && c < 0x7f) {
			good++
		}
	}
	return good*100 >= len(b)*92
}

// hasLetters requires a few spaces or punctuation typical of commands and
// prose, so that decoded random-looking identifiers are not rescanned.
func looksLikeText(b []byte) bool {
	if !printable(b) {
		return false
	}
	return bytes.IndexByte(b, ' ') >= 0 || bytes.IndexByte(b, '/') >= 0 || bytes.IndexByte(b, '.') >= 0
}

func lineAt(text []byte, off int) int {
	return bytes.Count(text[:off], []byte{'\n'}) + 1
}

var (
	hexEscRe  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?:\\x[0-9a-fA-F]{2}){8,}`) })
	charCodes = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)fromcharcode\s*\(\s*((?:\d{2,3}\s*,\s*){3,}\d{2,3})\s*\)`)
	})
	chrCat = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)(?:chr\(\s*\d{2,3}\s*\)\s*[+.]\s*){3,}chr\(\s*\d{2,3}\s*\)`)
	})
	chrNum   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\d{2,3}`) })
	concatRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?:(?:"[^"\n]{0,64}"|'[^'\n]{0,64}')\s*[+.]\s*){2,}(?:"[^"\n]{0,64}"|'[^'\n]{0,64}')`)
	})
	quotedRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`"([^"\n]*)"|'([^'\n]*)'`) })
)

// decodeLayers finds obfuscated payloads in text and returns their
// decoded forms. budget is shared across the whole file (all depths).
func decodeLayers(text []byte, budget *int) []layer {
	var out []layer
	blobs := 0
	push := func(how string, b []byte, off int) bool {
		if blobs >= maxBlobsPerFile || *budget <= 0 {
			return false
		}
		if len(b) > *budget {
			b = b[:*budget]
		}
		*budget -= len(b)
		blobs++
		out = append(out, layer{how: how, text: b, line: lineAt(text, off)})
		return true
	}

	// base64 runs, scanned by hand: a regex over every byte of every file
	// costs more than the rest of the pipeline.
	for i := 0; i < len(text); {
		if !isB64Char(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isB64Char(text[j]) {
			j++
		}
		k := j
		for k < len(text) && k-j < 2 && text[k] == '=' {
			k++
		}
		if j-i >= minB64Len {
			if dec := decodeB64(text[i:k]); dec != nil && looksLikeText(dec) {
				if !push("base64", dec, i) {
					return out
				}
			}
		}
		i = k
		if i == j {
			i++
		}
	}
	if bytes.Contains(text, []byte(`\x`)) {
		for _, loc := range hexEscRe().FindAllIndex(text, maxBlobsPerFile) {
			s := strings.ReplaceAll(string(text[loc[0]:loc[1]]), `\x`, "")
			if dec, err := hex.DecodeString(s); err == nil && looksLikeText(dec) && !push("hex", dec, loc[0]) {
				return out
			}
		}
	}
	// Plain hex runs, scanned by hand like base64 (a hex regex over every
	// file dominated the profile).
	for i := 0; i < len(text); {
		if !isHex(text[i]) || (i > 0 && isWordByte(text[i-1])) {
			i++
			continue
		}
		j := i
		for j < len(text) && isHex(text[j]) {
			j++
		}
		if n := j - i; n >= 32 && n%2 == 0 && (j == len(text) || !isWordByte(text[j])) {
			if dec, err := hex.DecodeString(string(text[i:j])); err == nil && looksLikeText(dec) && !push("hex", dec, i) {
				return out
			}
		}
		i = j + 1
	}
	if bytes.Contains(lowerASCII(text), []byte("fromcharcode")) {
		for _, m := range charCodes().FindAllSubmatchIndex(text, maxBlobsPerFile) {
			g := m[2:4]
			if dec := fromCodes(text[g[0]:g[1]]); looksLikeText(dec) && !push("charcode", dec, m[0]) {
				return out
			}
		}
	}
	if bytes.Contains(text, []byte("chr(")) || bytes.Contains(text, []byte("CHR(")) {
		for _, loc := range chrCat().FindAllIndex(text, maxBlobsPerFile) {
			if dec := fromCodes(text[loc[0]:loc[1]]); len(dec) >= 4 && !push("charcode", dec, loc[0]) {
				return out
			}
		}
	}
	if hasConcat(text) {
		for _, loc := range concatRe().FindAllIndex(text, maxBlobsPerFile) {
			var joined []byte
			for _, q := range quotedRe().FindAllSubmatch(text[loc[0]:loc[1]], -1) {
				joined = append(joined, q[1]...)
				joined = append(joined, q[2]...)
			}
			if len(joined) >= 8 && !push("concat", joined, loc[0]) {
				return out
			}
		}
	}
	return out
}

func fromCodes(b []byte) []byte {
	var out []byte
	for _, n := range chrNum().FindAll(b, -1) {
		v, err := strconv.Atoi(string(n))
		if err != nil || v > 255 {
			return nil
		}
		out = append(out, byte(v))
	}
	return out
}

func decodeB64(b []byte) []byte {
	s := string(b)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if d, err := enc.DecodeString(s); err == nil {
			return d
		}
	}
	// A blob cut mid-quantum (copy-paste, line wrap) still decodes most of
	// the way; drop the tail.
	t := strings.TrimRight(s, "=")
	t = t[:len(t)/4*4]
	if d, err := base64.StdEncoding.DecodeString(t); err == nil {
		return d
	}
	if d, err := base64.URLEncoding.DecodeString(t); err == nil {
		return d
	}
	return nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func lowerASCII(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = lowerTab[c]
	}
	return out
}

// hasConcat is a cheap test for quoted strings joined with + or . before
// running the concatenation regex.
func hasConcat(b []byte) bool {
	for _, p := range []string{`" + "`, `"+"`, `' + '`, `'+'`, `" . "`, `' . '`, `" +"`, `"+ "`, `' +'`, `'+ '`} {
		if bytes.Contains(b, []byte(p)) {
			return true
		}
	}
	return false
}
