package skillscan

import (
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// isHiddenRune reports characters that render as nothing (or reorder what
// is shown) and so let an attacker show a reviewer different text from the
// one the agent reads.
func isHiddenRune(r rune) bool {
	switch {
	case r == 0x200B || r == 0x200C || r == 0x200D || r == 0x2060 || r == 0x2061 || r == 0x2062 || r == 0x2063 || r == 0x2064:
		return true
	case r == 0xFEFF || r == 0x180E || r == 0x00AD:
		return true
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E || r == 0x200F || r == 0x061C:
		return true
	case r >= 0xE0000 && r <= 0xE007F: // Unicode tag characters ("ASCII smuggling")
		return true
	case r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF: // variation selectors
		return true
	}
	return false
}

// confusables folds the Cyrillic and Greek letters that look like Latin
// ones, so "сurl" written with a Cyrillic "с" still reads as curl to the
// rules. NFKC does not do this (they are distinct letters). Folding only
// feeds matching; reported text keeps what the file says.
var confusables = map[rune]rune{
	'а': 'a', 'в': 'b', 'е': 'e', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o', 'р': 'p', 'с': 'c', 'т': 't', 'у': 'y', 'х': 'x',
	'ѕ': 's', 'і': 'i', 'ј': 'j', 'ԁ': 'd', 'ɡ': 'g', 'ԛ': 'q', 'ԝ': 'w', 'һ': 'h', 'ӏ': 'l',
	'А': 'A', 'В': 'B', 'Е': 'E', 'К': 'K', 'М': 'M', 'Н': 'H', 'О': 'O', 'Р': 'P', 'С': 'C', 'Т': 'T', 'Х': 'X', 'Ѕ': 'S', 'І': 'I', 'Ј': 'J',
	'α': 'a', 'ο': 'o', 'ρ': 'p', 'ν': 'v', 'ι': 'i', 'κ': 'k', 'τ': 't', 'υ': 'u', 'χ': 'x',
	'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Η': 'H', 'Ι': 'I', 'Κ': 'K', 'Μ': 'M', 'Ν': 'N', 'Ο': 'O', 'Ρ': 'P', 'Τ': 'T', 'Χ': 'X', 'Υ': 'Y', 'Ζ': 'Z',
}

// normalized is one file's text prepared for matching.
type normalized struct {
	// text is NFKC-normalised with hidden characters removed and
	// confusables folded. Newlines are preserved one for one, so line
	// numbers computed on text are the file's line numbers.
	text []byte
	// smuggled is the ASCII spelled with Unicode tag characters, if any:
	// invisible to a reader, readable to a model.
	smuggled []byte
	nonASCII bool
	// classes records which kinds of suspicious characters the raw text
	// holds, so the Unicode rules run only where they can match.
	classes uint8
	// invalidUTF8 counts bytes that are not valid UTF-8.
	invalidUTF8 int
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// normalize prepares raw for matching. ASCII input (the common case) is
// returned as is without copying.
func normalize(raw []byte) normalized {
	if isASCII(raw) {
		return normalized{text: raw}
	}
	n := normalized{nonASCII: true}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		r, sz := utf8.DecodeRune(raw[i:])
		if r == utf8.RuneError && sz <= 1 {
			n.invalidUTF8++
			out = append(out, raw[i])
			i++
			continue
		}
		i += sz
		if r >= 0xE0020 && r <= 0xE007E {
			n.smuggled = append(n.smuggled, byte(r-0xE0000))
		}
		n.classes |= runeClass(r)
		if isHiddenRune(r) {
			continue
		}
		out = utf8.AppendRune(out, r)
	}
	out = norm.NFKC.Bytes(out)
	// Fold confusables after NFKC (NFKC may produce them from compatibility
	// forms). Same-rune-count replacement keeps newlines aligned.
	folded := out[:0:0]
	changed := false
	for i := 0; i < len(out); {
		r, sz := utf8.DecodeRune(out[i:])
		if f, ok := confusables[r]; ok {
			if !changed {
				folded = append(make([]byte, 0, len(out)), out[:i]...)
				changed = true
			}
			folded = append(folded, byte(f))
		} else if changed {
			folded = append(folded, out[i:i+sz]...)
		}
		i += sz
	}
	if changed {
		out = folded
	}
	n.text = out
	return n
}

// Character classes for the Unicode rules' prefilters.
const (
	classZeroWidth uint8 = 1 << iota
	classTags
	classBidi
	classLookalike
)

var prefilterClasses = map[string]uint8{
	"zerowidth": classZeroWidth,
	"tags":      classTags,
	"bidi":      classBidi,
	"lookalike": classLookalike,
	"nonascii":  0xff,
}

func runeClass(r rune) uint8 {
	switch {
	case r < 0x370:
		return 0
	case r >= 0x370 && r <= 0x3FF, r >= 0x400 && r <= 0x52F:
		return classLookalike
	case r == 0x180E, r >= 0x200B && r <= 0x200D, r >= 0x2060 && r <= 0x2064:
		return classZeroWidth
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return classBidi
	case r >= 0xE0000 && r <= 0xE007F:
		return classTags
	}
	return 0
}
