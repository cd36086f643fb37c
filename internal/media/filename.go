package media

import (
	"strings"
	"unicode"
)

// maxFilenameRunes bounds what is kept of a client's file name.
const maxFilenameRunes = 255

// CleanFilename returns what the contract keeps of a client's file name: the
// last segment after any '/' or '\', with control characters (and the
// invisible bidirectional overrides) removed and invalid UTF-8 replaced. It is only ever shown back, never used on disk.
func CleanFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ToValidUTF8(name, "\uFFFD")
	var b strings.Builder
	n := 0
	for _, r := range name {
		if unicode.IsControl(r) || isBidiControl(r) {
			continue
		}
		if n == maxFilenameRunes {
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// isBidiControl reports the invisible characters that reorder text
// (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C): a name like
// "evil\u202Egnp.exe" shows as "evilexe.png". They go with the controls.
func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}
