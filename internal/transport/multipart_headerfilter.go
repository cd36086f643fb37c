package transport

import (
	"bytes"
	"io"
	"strings"
)

// maxFilteredHeaderBytes caps how much of one part's header block
// partHeaderFilter cleans. A longer block is passed on unchanged from
// there on, so mime/multipart refuses it as it always did if it holds
// control bytes.
const maxFilteredHeaderBytes = 16 << 10

// partHeaderFilter sits between the request body and multipart.NewReader
// and removes the control bytes 0x00-0x08, 0x0B, 0x0C, 0x0E-0x1F and 0x7F
// from each part's header block, and from nothing else. net/textproto
// refuses a header value holding any of them, so without the filter a
// file name such as "evil\x1b[31m\x00.png" (urllib3 sends ESC raw) would
// fail the whole request instead of being cleaned like any other hostile
// name. Tab, CR and LF are kept.
//
// The filter follows mime/multipart's own reading of the stream:
//
//   - The preamble is read as lines. The first line that is "--boundary",
//     optional spaces and tabs, then CRLF or a lone LF is the first
//     delimiter; a lone LF puts the stream in LF mode, as it does
//     mime/multipart.
//   - A header block runs from there up to and including the first line
//     that is empty (LF or CRLF) once filtered; that is where
//     net/textproto stops too.
//   - A body runs until nl+"--boundary" (nl is CRLF, or LF in LF mode; at
//     the very start of the body "--boundary" alone); mime/multipart and
//     the filter both look for it with bytes.Index. When spaces or tabs
//     and then nl follow, another header block starts; anything else but
//     "--" is body again.
//   - "--boundary--", after a body or at the start of a preamble line, is
//     the close delimiter: the rest of the stream passes untouched.
//
// The filter only ever enters a header block where mime/multipart reads
// one, so bodies, the preamble and delimiter lines reach mime/multipart
// byte for byte. Where the stream is malformed the two may part ways,
// but then mime/multipart fails the request anyway.
//
// Bytes are filtered in place in the caller's buffer. Matches split
// across Read calls are carried as the count of pattern bytes matched so
// far (the pattern's bytes are known, so that count is the whole carry);
// no memory grows with the body.
type partHeaderFilter struct {
	r        io.Reader
	delim    []byte       // "\r\n--" + boundary, in delimBuf unless longer
	delimBuf [4 + 70]byte // RFC 2046 boundaries are at most 70 bytes
	pat      []byte       // what ends a body: delim, or delim[1:] in the preamble and in LF mode
	nl       int          // len of the line end in use: 2 (CRLF) or 1 (LF); 0 in the preamble

	state      phState
	matched    int  // phScan: leading bytes of pat matched at the end of the last Read
	sawLWSP    bool // phAfterDelim: spaces or tabs followed the boundary
	hdrBytes   int  // phHeader: input bytes of this header block so far
	hdrLineEnd bool // phHeader: the line so far is empty or a lone CR
	hdrLineCR  bool // phHeader: ... a lone CR
}

type phState uint8

const (
	phScan           phState = iota // preamble or body: looking for pat
	phAfterDelim                    // pat matched: skipping spaces and tabs
	phAfterDelimCR                  // ... then a CR: expecting LF
	phAfterDelimDash                // pat then one '-': expecting a second
	phHeader                        // inside a header block
	phDone                          // after the close delimiter: pass everything
)

// newPartHeaderFilter wraps r for multipart.NewReader(·, boundary). It
// returns r itself for a boundary holding CR or LF (mime.ParseMediaType
// never yields one), which the matching below relies on not seeing.
func newPartHeaderFilter(r io.Reader, boundary string) io.Reader {
	if boundary == "" || strings.ContainsAny(boundary, "\r\n") {
		return r
	}
	// Start as if the preamble began with a LF: "--boundary" may open the
	// stream.
	f := &partHeaderFilter{r: r, matched: 1}
	if 4+len(boundary) <= len(f.delimBuf) {
		f.delim = f.delimBuf[:0]
	}
	f.delim = append(append(f.delim, "\r\n--"...), boundary...)
	f.pat = f.delim[1:]
	return f
}

func (f *partHeaderFilter) Read(p []byte) (int, error) {
	for {
		n, err := f.r.Read(p)
		if n == 0 || f.state == phDone {
			return n, err
		}
		// A Read of header bytes that were all dropped returns nothing;
		// read on rather than answer (0, nil). This ends: at most
		// maxFilteredHeaderBytes are dropped per header block.
		if n = f.filter(p[:n]); n > 0 || err != nil {
			return n, err
		}
	}
}

// filter runs b through the state machine and compacts what is kept to
// the front of b, returning its length. Outside header blocks nothing
// moves unless an earlier header block in the same b dropped bytes.
func (f *partHeaderFilter) filter(b []byte) int {
	w, i := 0, 0
	for i < len(b) {
		if f.state == phHeader {
			i, w = f.header(b, i, w)
			continue
		}
		start := i
		switch f.state {
		case phScan:
			i = f.scan(b, i)
		case phAfterDelim:
			i = f.afterDelim(b, i)
		case phAfterDelimCR:
			if b[i] == '\n' {
				f.beginHeader(2)
				i++
			} else {
				f.state = phScan // b[i] is looked at again as body
			}
		case phAfterDelimDash:
			if b[i] == '-' {
				f.state = phDone
				i++
			} else {
				f.state = phScan
			}
		case phDone:
			i = len(b)
		}
		if w != start {
			copy(b[w:], b[start:i])
		}
		w += i - start
	}
	return w
}

// scan looks for pat from b[i:], going on from a match begun in an
// earlier Read. pat's first byte (CR, or LF) occurs nowhere else in it
// (the boundary holds neither), so a partial match at the end of b can
// begin at one such byte only, and a broken one leaves nothing to look at
// again.
func (f *partHeaderFilter) scan(b []byte, i int) int {
	pat := f.pat
	if k := f.matched; k > 0 {
		n := min(len(pat)-k, len(b)-i)
		if !bytes.Equal(b[i:i+n], pat[k:k+n]) {
			f.matched = 0
		} else if k+n < len(pat) {
			f.matched = k + n
			return i + n
		} else {
			f.matched = 0
			f.state, f.sawLWSP = phAfterDelim, false
			return i + n
		}
	}
	if j := bytes.Index(b[i:], pat); j >= 0 {
		f.state, f.sawLWSP = phAfterDelim, false
		return i + j + len(pat)
	}
	// At most one pat[0] of the tail can begin a partial match; IndexByte
	// is quicker than LastIndexByte at finding there is none.
	for tail := b[max(i, len(b)-len(pat)+1):]; ; {
		j := bytes.IndexByte(tail, pat[0])
		if j < 0 {
			break
		}
		if bytes.HasPrefix(pat, tail[j:]) {
			f.matched = len(tail) - j
			break
		}
		tail = tail[j+1:]
	}
	return len(b)
}

// afterDelim reads what follows nl+"--boundary": spaces or tabs, then nl
// (a delimiter line: a header block follows), or "--" at once (the close
// delimiter). Anything else, left unread, is body again: mime/multipart
// then goes on from right after the boundary, and so does scan.
func (f *partHeaderFilter) afterDelim(b []byte, i int) int {
	for ; i < len(b); i++ {
		switch c := b[i]; {
		case c == ' ' || c == '\t':
			f.sawLWSP = true
		case c == '-' && !f.sawLWSP:
			f.state = phAfterDelimDash
			return i + 1
		case c == '\r' && f.nl != 1:
			f.state = phAfterDelimCR
			return i + 1
		case c == '\n' && f.nl != 2:
			f.beginHeader(1)
			return i + 1
		default:
			f.state = phScan
			return i
		}
	}
	return i
}

// beginHeader starts a header block after a delimiter line ended by a
// line end of nl bytes; the first one decides the mode for the stream.
func (f *partHeaderFilter) beginHeader(nl int) {
	if f.nl == 0 {
		f.nl = nl
		f.pat = f.delim[2-nl:]
	}
	f.state = phHeader
	f.hdrBytes, f.hdrLineEnd, f.hdrLineCR = 0, true, false
}

// header filters header bytes from b[i:] to b[w:] up to the end of the
// block, and returns the new i and w.
func (f *partHeaderFilter) header(b []byte, i, w int) (int, int) {
	for i < len(b) {
		c := b[i]
		i++
		f.hdrBytes++
		if isHeaderJunk(c) && f.hdrBytes <= maxFilteredHeaderBytes {
			continue
		}
		b[w] = c
		w++
		switch {
		case c == '\n' && f.hdrLineEnd:
			// An empty line ends the block; the body follows, and
			// "--boundary" may begin it (mime/multipart checks for that
			// at the start of a body), as if after a line end.
			f.state, f.matched = phScan, f.nl
			return i, w
		case c == '\n':
			f.hdrLineEnd, f.hdrLineCR = true, false
		case c == '\r' && f.hdrLineEnd && !f.hdrLineCR:
			f.hdrLineCR = true
		default:
			f.hdrLineEnd, f.hdrLineCR = false, false
		}
	}
	return i, w
}

// headerJunk has a bit set for each byte below 0x20 the filter drops:
// all but tab, LF and CR.
const headerJunk uint32 = 0xFFFF_FFFF &^ (1<<'\t' | 1<<'\n' | 1<<'\r')

// isHeaderJunk reports whether the filter drops c from a header block.
func isHeaderJunk(c byte) bool {
	return c < 0x20 && headerJunk>>c&1 == 1 || c == 0x7f
}
