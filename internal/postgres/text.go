package postgres

import "strings"

// PostgreSQL text cannot hold NUL, yet alt text and tags must round-trip
// whatever characters they hold. encodeText escapes NUL as `\0` and the
// backslash as `\\`; decodeText undoes it. Text without either is stored
// as it is, so the escaping is invisible for all ordinary values.
var (
	textEncoder = strings.NewReplacer(`\`, `\\`, "\x00", `\0`)
	textDecoder = strings.NewReplacer(`\\`, `\`, `\0`, "\x00")
)

func encodeText(s string) string {
	if !strings.ContainsAny(s, "\\\x00") {
		return s
	}
	return textEncoder.Replace(s)
}

func decodeText(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	return textDecoder.Replace(s)
}

func encodeTexts(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = encodeText(s)
	}
	return out
}

func decodeTexts(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = decodeText(s)
	}
	return out
}

func encodeOptText(s *string) *string {
	if s == nil {
		return nil
	}
	e := encodeText(*s)
	return &e
}

func decodeOptText(s *string) *string {
	if s == nil {
		return nil
	}
	d := decodeText(*s)
	return &d
}
