package media

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Cursor is a position in a newest-first listing: the last image seen.
type Cursor struct {
	CreatedAt time.Time
	ID        string
}

const cursorPrefix = "img1:"

// String encodes the cursor as the opaque string clients see.
func (c Cursor) String() string {
	raw := cursorPrefix + strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + ":" + c.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ParseCursor decodes a client's cursor; anything this server did not make is
// BAD_USER_INPUT.
func ParseCursor(s string) (Cursor, error) {
	bad := Errorf(CodeBadUserInput, "The cursor %q is not one this server gave out.", truncate(s, 64))
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !strings.HasPrefix(string(raw), cursorPrefix) {
		return Cursor{}, bad
	}
	micros, id, ok := strings.Cut(strings.TrimPrefix(string(raw), cursorPrefix), ":")
	if !ok || !IsID(id) {
		return Cursor{}, bad
	}
	us, err := strconv.ParseInt(micros, 10, 64)
	if err != nil || us < 0 {
		return Cursor{}, bad
	}
	c := Cursor{CreatedAt: time.UnixMicro(us).UTC(), ID: id}
	if c.String() != s { // "+1", "007": not a form this server writes
		return Cursor{}, bad
	}
	return c, nil
}

// IsID reports whether s is a canonical lowercase UUID, the form of every id
// this server gives out. Anything else names nothing.
func IsID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
