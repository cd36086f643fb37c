package media

import (
	"strings"
	"unicode"
)

// maxFilenameRunes bounds what is kept of a client's file name.
const maxFilenameRunes = 255

// CleanFilename returns what the contract keeps of a client's file name: the
// last segment after any '/' or '\', with control characters removed and
// invalid UTF-8 replaced. It is only ever shown back, never used on disk.
func CleanFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ToValidUTF8(name, "\uFFFD")
	var b strings.Builder
	n := 0
	for _, r := range name {
		if unicode.IsControl(r) {
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
