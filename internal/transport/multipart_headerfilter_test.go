package transport

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"strings"
	"testing"
	"testing/iotest"
)

// refPartHeaderFilter is the reference for partHeaderFilter: the same
// rules applied to a whole body at once with plain index arithmetic, and
// header blocks taken a whole line at a time.
func refPartHeaderFilter(in []byte, boundary string) []byte {
	if boundary == "" || strings.ContainsAny(boundary, "\r\n") {
		return bytes.Clone(in)
	}
	junk := func(c byte) bool { return c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f }
	dash := []byte("--" + boundary)
	out := make([]byte, 0, len(in))
	i := 0
	nl := ""        // the line end in use; "" in the preamble
	atStart := true // at the start of the stream or of a body
	for {
		// The next "--boundary" that may open a delimiter line: at the
		// start, or after a line end (a LF in the preamble).
		before := nl
		if before == "" {
			before = "\n"
		}
		var p int
		if j := bytes.Index(in[i:], append([]byte(before), dash...)); atStart && bytes.HasPrefix(in[i:], dash) {
			p = i
		} else if j >= 0 {
			p = i + j + len(before)
		} else {
			return append(out, in[i:]...)
		}
		atStart = false
		e := p + len(dash)
		if bytes.HasPrefix(in[e:], []byte("--")) { // the close delimiter
			return append(out, in[i:]...)
		}
		for e < len(in) && (in[e] == ' ' || in[e] == '\t') {
			e++
		}
		var end string
		switch {
		case nl != "\n" && bytes.HasPrefix(in[e:], []byte("\r\n")):
			end = "\r\n"
		case nl != "\r\n" && bytes.HasPrefix(in[e:], []byte("\n")):
			end = "\n"
		default: // not a delimiter line: go on right after the boundary
			out = append(out, in[i:p+len(dash)]...)
			i = p + len(dash)
			continue
		}
		if nl == "" {
			nl = end
		}
		e += len(end)
		out = append(out, in[i:e]...)
		i = e

		// The header block, line by line, up to a line that is empty
		// once filtered.
		start := i
		for {
			if i == len(in) {
				return out
			}
			end := len(in)
			if j := bytes.IndexByte(in[i:], '\n'); j >= 0 {
				end = i + j + 1
			}
			mark := len(out)
			for k := i; k < end; k++ {
				if k-start >= maxFilteredHeaderBytes || !junk(in[k]) {
					out = append(out, in[k])
				}
			}
			i = end
			if l := string(out[mark:]); l == "\n" || l == "\r\n" {
				break
			}
		}
		atStart = true
	}
}

// chunkReader returns 1..max bytes per Read.
type chunkReader struct {
	b   []byte
	rng *rand.Rand
	max int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := min(1+c.rng.IntN(c.max), len(p), len(c.b))
	copy(p, c.b[:n])
	c.b = c.b[n:]
	return n, nil
}

func newChunkReader(b []byte, seed uint64, max int) *chunkReader {
	return &chunkReader{b: b, rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)), max: max}
}

// readFiltered reads r through a partHeaderFilter into one buffer, with
// Read calls as large as what is left of in.
func readFiltered(t testing.TB, r io.Reader, boundary string, size int) []byte {
	t.Helper()
	f := newPartHeaderFilter(r, boundary)
	buf := make([]byte, size+1)
	n := 0
	for {
		m, err := f.Read(buf[n:])
		n += m
		if err == io.EOF {
			return buf[:n]
		}
		if err != nil {
			t.Fatalf("filter: %v", err)
		}
		if m == 0 {
			t.Fatal("filter returned (0, nil)")
		}
	}
}

// checkFilter compares partHeaderFilter under several chunkings with the
// reference and returns the reference's output.
func checkFilter(t testing.TB, in []byte, boundary string, seed uint64) []byte {
	t.Helper()
	want := refPartHeaderFilter(in, boundary)
	readers := []struct {
		name string
		r    io.Reader
	}{
		{"whole", bytes.NewReader(in)},
		{"one byte", iotest.OneByteReader(bytes.NewReader(in))},
		{"half", iotest.HalfReader(bytes.NewReader(in))},
		{"1..7", newChunkReader(in, seed, 7)},
		{"1..64", newChunkReader(in, seed+1, 64)},
		{"1..4096", newChunkReader(in, seed+2, 4096)},
	}
	for _, rd := range readers {
		if got := readFiltered(t, rd.r, boundary, len(in)); !bytes.Equal(got, want) {
			t.Fatalf("%s reads: filter differs from the reference\n  in:   %q\n  got:  %q\n  want: %q", rd.name, in, got, want)
		}
	}
	return want
}

// mimeAccepts reports whether mime/multipart reads every part of body to
// the close delimiter without an error.
func mimeAccepts(body []byte, boundary string) bool {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
		if _, err := io.Copy(io.Discard, p); err != nil {
			return false
		}
	}
}

const fb = "B0undary" // short boundary for the filter's unit tests

func TestPartHeaderFilterCases(t *testing.T) {
	long := strings.Repeat("L", 100) // longer than the filter's inline buffer
	cases := []struct {
		name     string
		boundary string // fb when empty
		in, want string
	}{
		{name: "clean body untouched",
			in: "--" + fb + "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhello\r\n--" + fb + "--\r\n"},
		{name: "junk in a header dropped",
			in:   "--" + fb + "\r\nContent-Disposition: form-data; name=\"a\"; filename=\"e\x1b[31m\x00\a\x7f.png\"\r\n\r\nbody\x00\x1b\r\n--" + fb + "--\r\n",
			want: "--" + fb + "\r\nContent-Disposition: form-data; name=\"a\"; filename=\"e[31m.png\"\r\n\r\nbody\x00\x1b\r\n--" + fb + "--\r\n"},
		{name: "every junk byte, tab kept",
			in:   "--" + fb + "\r\nX: a\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f\x80\xffb\r\n\r\n",
			want: "--" + fb + "\r\nX: a\t\x80\xffb\r\n\r\n"},
		{name: "preamble and epilogue untouched",
			in:   "pre\x00amble\r\nX: \x00\r\n\r\n--" + fb + "\r\nA: \x01\r\n\r\nB\r\n--" + fb + "--\r\nepi\x00\r\n--" + fb + "\r\nA: \x01\r\n\r\n",
			want: "pre\x00amble\r\nX: \x00\r\n\r\n--" + fb + "\r\nA: \r\n\r\nB\r\n--" + fb + "--\r\nepi\x00\r\n--" + fb + "\r\nA: \x01\r\n\r\n"},
		{name: "second part, spaces after the boundary",
			in:   "--" + fb + " \t\r\nA: \x00\r\n\r\nx\r\n--" + fb + "\t \r\nB: \x1b\r\n\r\ny\x1b\r\n--" + fb + "--",
			want: "--" + fb + " \t\r\nA: \r\n\r\nx\r\n--" + fb + "\t \r\nB: \r\n\r\ny\x1b\r\n--" + fb + "--"},
		{name: "LF only",
			in:   "--" + fb + "\nA: \x00a\n\nx\x00\n--" + fb + "\nB: \x1bb\n\ny\n--" + fb + "--\n",
			want: "--" + fb + "\nA: a\n\nx\x00\n--" + fb + "\nB: b\n\ny\n--" + fb + "--\n"},
		{name: "LF mode: a CRLF delimiter line is body",
			in: "--" + fb + "\n\nx\r\n--" + fb + "\r\nA: \x00\r\n\r\n"},
		{name: "CRLF mode: a LF delimiter line is body",
			in: "--" + fb + "\r\n\r\nx\n--" + fb + "\nA: \x00\r\n\r\n\r\n--" + fb + "\nA: \x00\n\n"},
		{name: "boundary followed by other text is body",
			in: "--" + fb + "\r\n\r\n\r\n--" + fb + "X\r\nA: \x00\r\n\r\n\r\n--" + fb + "-\r\nA: \x00\r\n\r\n\r\n--" + fb + " x\r\nA: \x00\r\n\r\n"},
		{name: "body that looks like headers",
			in: "--" + fb + "\r\n\r\n\r\nContent-Disposition: form-data; name=\"\x00\"\r\n\r\n\r\n--" + fb[:4] + "\r\n\x00\r\n\r\n--"},
		{name: "a body starting with the delimiter is empty",
			in:   "--" + fb + "\r\nA: 1\r\n\r\n--" + fb + "\r\nB: \x002\r\n\r\nb\r\n--" + fb + "--",
			want: "--" + fb + "\r\nA: 1\r\n\r\n--" + fb + "\r\nB: 2\r\n\r\nb\r\n--" + fb + "--"},
		{name: "close delimiter at the start of a body",
			in: "--" + fb + "\r\nA: 1\r\n\r\n--" + fb + "--\r\n--" + fb + "\r\nB: \x00\r\n\r\n"},
		{name: "header block of no headers",
			in: "--" + fb + "\r\n\r\n\x00\r\n\r\n"},
		{name: "line of junk ends the block once filtered",
			in:   "--" + fb + "\r\nA: 1\r\n\x00\x1b\r\n\x00\r\n",
			want: "--" + fb + "\r\nA: 1\r\n\r\n\x00\r\n"},
		{name: "a line of CR CR is not empty",
			in:   "--" + fb + "\r\n\r\r\n\x00\r\n\r\n\x00",
			want: "--" + fb + "\r\n\r\r\n\r\n\r\n\x00"},
		{name: "preamble: the boundary must start a line",
			in: "x--" + fb + "\r\nA: \x00\r\n\r\n"},
		{name: "preamble: a line of the boundary then junk",
			in:   "--" + fb + "\r\r\n--" + fb + "x\r\n\n--" + fb + "\r\nA: \x00\r\n\r\n",
			want: "--" + fb + "\r\r\n--" + fb + "x\r\n\n--" + fb + "\r\nA: \r\n\r\n"},
		{name: "preamble: the close delimiter ends filtering",
			in: "--" + fb + "--\r\n--" + fb + "\r\nA: \x00\r\n\r\n"},
		{name: "unterminated", in: "--" + fb + "\r\nA: \x00b", want: "--" + fb + "\r\nA: b"},
		{name: "boundary with spaces and dashes", boundary: "a -b-",
			in:   "--a -b-\r\nA: \x00\r\n\r\n--a -b-x\r\n--a -b--\r\n",
			want: "--a -b-\r\nA: \r\n\r\n--a -b-x\r\n--a -b--\r\n"},
		{name: "long boundary", boundary: long,
			in:   "--" + long + "\r\nA: \x00\r\n\r\nx\r\n--" + long[:99] + "\r\nA: \x00\r\n\r\n\r\n--" + long + "\r\nB: \x00\r\n\r\n\r\n--" + long + "--",
			want: "--" + long + "\r\nA: \r\n\r\nx\r\n--" + long[:99] + "\r\nA: \x00\r\n\r\n\r\n--" + long + "\r\nB: \r\n\r\n\r\n--" + long + "--"},
		{name: "boundary holding a LF is not filtered", boundary: "a\nb",
			in: "--a\nb\r\nA: \x00\r\n\r\n"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.boundary
			if b == "" {
				b = fb
			}
			want := tc.want
			if want == "" {
				want = tc.in
			}
			if got := checkFilter(t, []byte(tc.in), b, uint64(i)); string(got) != want {
				t.Fatalf("got  %q\nwant %q", got, want)
			}
		})
	}
}

// A header block is filtered for its first maxFilteredHeaderBytes only.
func TestPartHeaderFilterCap(t *testing.T) {
	pad := "X-Pad: " + strings.Repeat("p", maxFilteredHeaderBytes-20) + "\r\n"
	head := "--" + fb + "\r\n"
	in := head + pad + "A: \x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\r\n\r\nbody\r\n--" + fb + "\r\nB: \x00\r\n\r\n"
	got := string(checkFilter(t, []byte(in), fb, 1))
	// The block's bytes up to the cap lose their junk: the first few
	// of A's; the rest stays, and the next block is filtered again.
	kept := len(pad) + len("A: ") + 24 - maxFilteredHeaderBytes
	want := head + pad + "A: " + "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a"[24-kept:] + "\r\n\r\nbody\r\n--" + fb + "\r\nB: \r\n\r\n"
	if kept <= 0 || kept >= 24 || got != want {
		t.Fatalf("kept %d: got ...%q, want ...%q", kept, got[len(head)+len(pad):], want[len(head)+len(pad):])
	}
}

// Random streams made of the pieces that matter: the filter agrees with
// the reference under any chunking, and changes nothing mime/multipart
// already accepts.
func TestPartHeaderFilterRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 4000
	if testing.Short() {
		n = 500
	}
	accepted := 0
	for i := range n {
		b := []string{fb, "b", testBoundary, "x y-", strings.Repeat("z", 80)}[i%5]
		in := randomStream(rng, b, 1+rng.IntN(60))
		out := checkFilter(t, in, b, uint64(i))
		if mimeAccepts(in, b) {
			accepted++
			if !bytes.Equal(out, in) {
				t.Fatalf("mime/multipart accepts %q, but the filter changed it to %q", in, out)
			}
		}
	}
	t.Logf("%d of %d random streams were valid multipart", accepted, n)
}

// randomStream concatenates n random pieces.
func randomStream(rng *rand.Rand, b string, n int) []byte {
	pieces := []string{
		"\r\n", "\n", "\r", "\r\n\r\n", "\n\n", "--" + b, "\r\n--" + b, "\n--" + b, "--" + b + "--",
		"\r\n--" + b + "\r\n", "\n--" + b + "\n", "--", "-", " ", "\t", b[:len(b)/2+1],
		"Content-Disposition: form-data; name=\"0\"; filename=\"", "\"", "A: v", ":",
		"\x00", "\x1b", "\x7f", "\x01\x1f", "a", "hello", "\xff",
	}
	var s []byte
	for range n {
		s = append(s, pieces[rng.IntN(len(pieces))]...)
	}
	return s
}

// genPart is one part of a generated multipart body.
type genPart struct {
	headers []string // header lines, without line ends
	body    []byte
}

// genMultipart builds a multipart body in CRLF or LF form, with an
// optional preamble and epilogue.
func genMultipart(b, nl, preamble string, parts []genPart, epilogue string) []byte {
	var s bytes.Buffer
	s.WriteString(preamble)
	for i, p := range parts {
		if i > 0 {
			s.WriteString(nl)
		}
		s.WriteString("--" + b + nl)
		for _, h := range p.headers {
			s.WriteString(h + nl)
		}
		s.WriteString(nl)
		s.Write(p.body)
	}
	s.WriteString(nl + "--" + b + "--" + nl + epilogue)
	return s.Bytes()
}

// stripJunk removes what the filter removes from a header line.
func stripJunk(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// junkyParts returns parts whose headers hold control bytes, and the same
// parts with the headers cleaned.
func junkyParts(rng *rand.Rand, bodies [][]byte) (junky, clean []genPart) {
	names := []string{"a.png", "C:\\fakepath\\e\x1b[31m\x00.png", "../../etc/pa\x1bss\x00wd\x7f", "\x1b]0;title\x07", "\x00", "b\x7flob", "ph\u00f6to\x01.jpg", "\t tab\x1f"}
	for i, body := range bodies {
		hs := []string{fmt.Sprintf("Content-Disposition: form-data; name=\"f\x1b%d\"; filename=\"%s\"", i, names[rng.IntN(len(names))])}
		if rng.IntN(2) == 0 {
			hs = append(hs, "Content-Type: image/\x00png")
		}
		if rng.IntN(3) == 0 {
			hs = append(hs, "X-\x01Note: a\x7f b", " \x1bcontinued\x00")
		}
		c := make([]string, len(hs))
		for j, h := range hs {
			c[j] = stripJunk(h)
		}
		junky = append(junky, genPart{headers: hs, body: body})
		clean = append(clean, genPart{headers: c, body: body})
	}
	return junky, clean
}

// endsEarly reports whether mime/multipart would end body, followed by
// nl+"--"+b, before its end: at "--"+b first thing, or at nl+"--"+b, if
// spaces, tabs, CR, LF or "--" follow.
func endsEarly(body []byte, nl, b string) bool {
	s := append(bytes.Clone(body), nl+"--"+b+"--"...)
	dash, pat := []byte("--"+b), []byte(nl+"--"+b)
	ends := func(rest []byte) bool {
		return len(rest) == 0 || strings.IndexByte(" \t\r\n", rest[0]) >= 0 || bytes.HasPrefix(rest, []byte("--"))
	}
	if bytes.HasPrefix(s, dash) && ends(s[len(dash):]) {
		return true
	}
	for i := 0; ; {
		j := bytes.Index(s[i:], pat)
		if i+j >= len(body) { // the delimiter after the body (j >= 0: there is one)
			return false
		}
		if i += j + len(pat); ends(s[i:]) {
			return true
		}
	}
}

// checkRoundTrip builds one body with junky headers and one with clean
// ones (false if a part body or the preamble would end early, so that the
// result is not what it means to be), checks that the filter turns the
// junky body into the clean one and leaves the clean one alone, and that
// mime/multipart reads the part bodies back byte for byte.
func checkRoundTrip(t testing.TB, rng *rand.Rand, b, nl, preamble string, bodies [][]byte, epilogue string) bool {
	t.Helper()
	if strings.HasPrefix(preamble, "--"+b) || strings.Contains(preamble, "\n--"+b) || preamble != "" && !strings.HasSuffix(preamble, "\n") {
		return false
	}
	for _, body := range bodies {
		if endsEarly(body, nl, b) {
			return false
		}
	}
	junky, clean := junkyParts(rng, bodies)
	in := genMultipart(b, nl, preamble, junky, epilogue)
	want := genMultipart(b, nl, preamble, clean, epilogue)
	if !mimeAccepts(want, b) {
		t.Fatalf("mime/multipart refuses the generated body %q", want)
	}
	if got := checkFilter(t, in, b, rng.Uint64()); !bytes.Equal(got, want) {
		t.Fatalf("filtered %q\n  got  %q\n  want %q", in, got, want)
	}
	if got := checkFilter(t, want, b, rng.Uint64()); !bytes.Equal(got, want) {
		t.Fatalf("filter changed a clean body %q to %q", want, got)
	}
	mr := multipart.NewReader(newPartHeaderFilter(newChunkReader(in, rng.Uint64(), 7), b), b)
	for i := 0; ; i++ {
		p, err := mr.NextPart()
		if err == io.EOF {
			if i != len(bodies) {
				t.Fatalf("%d parts, want %d", i, len(bodies))
			}
			return true
		}
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		got, err := io.ReadAll(p)
		if err != nil || i >= len(bodies) || !bytes.Equal(got, bodies[i]) {
			t.Fatalf("part %d: %q, %v", i, got, err)
		}
		if fn := p.FileName(); strings.ContainsFunc(fn, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
			t.Fatalf("part %d: file name %q", i, fn)
		}
	}
}

func TestPartHeaderFilterRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 3000
	if testing.Short() {
		n = 300
	}
	checked := 0
	for i := range n {
		b := []string{fb, "b", testBoundary}[i%3]
		nl := []string{"\r\n", "\n"}[i/3%2]
		bodies := make([][]byte, 1+rng.IntN(4))
		for j := range bodies {
			for try := 0; try == 0 || try < 20 && endsEarly(bodies[j], nl, b); try++ {
				bodies[j] = randomStream(rng, b, rng.IntN(30))
			}
		}
		preamble := ""
		if rng.IntN(2) == 0 {
			preamble = string(randomStream(rng, b, rng.IntN(10))) + "\n"
		}
		epilogue := string(randomStream(rng, b, rng.IntN(10)))
		if checkRoundTrip(t, rng, b, nl, preamble, bodies, epilogue) {
			checked++
		}
	}
	if checked < n/2 {
		t.Fatalf("only %d of %d generated bodies were valid", checked, n)
	}
	t.Logf("%d of %d generated bodies checked", checked, n)
}

// FuzzPartHeaderFilter checks the filter against the reference under
// several chunkings of random input, that it leaves alone what
// mime/multipart accepts, and, with data cut into part bodies under junky
// headers, that it cleans exactly the headers.
func FuzzPartHeaderFilter(f *testing.F) {
	valid := genMultipart(fb, "\r\n", "", []genPart{{headers: []string{`Content-Disposition: form-data; name="a"; filename="e` + "\x1b[31m\x00" + `.png"`}, body: []byte("x\x00\r\n--" + fb[:3])}}, "")
	f.Add([]byte("--"+fb+"\r\nA: \x00\r\n\r\nbody\r\n--"+fb+"--\r\n"), uint64(0), uint8(0))
	f.Add([]byte("--"+fb+"\nA: \x00\n\nbody\x1b\n--"+fb+"\nB: \x7f\n\n\n--"+fb+"--"), uint64(1), uint8(0))
	f.Add(valid, uint64(2), uint8(0))
	f.Add(valid, uint64(3), uint8(4))
	f.Add([]byte("a\x00b\r\n--x\r\nc\x1bd\r\n--"), uint64(4), uint8(5))
	f.Add([]byte("--b\r\n\r\n--b\r\nA: \x00\r\n\r\n--b--"), uint64(5), uint8(1))
	boundaries := []string{fb, "b", testBoundary, "x y-"}
	f.Fuzz(func(t *testing.T, data []byte, seed uint64, sel uint8) {
		b := boundaries[int(sel)%len(boundaries)]
		out := checkFilter(t, data, b, seed)
		if mimeAccepts(data, b) && !bytes.Equal(out, data) {
			t.Fatalf("mime/multipart accepts %q, but the filter changed it to %q", data, out)
		}
		if sel&4 != 0 {
			rng := rand.New(rand.NewPCG(seed, uint64(sel)))
			var bodies [][]byte
			for rest := data; ; {
				k := bytes.IndexByte(rest, 0xfe) // 0xfe cuts data into up to 8 bodies
				if k < 0 || len(bodies) == 7 {
					bodies = append(bodies, rest)
					break
				}
				bodies, rest = append(bodies, rest[:k]), rest[k+1:]
			}
			nl := []string{"\r\n", "\n"}[sel>>3&1]
			checkRoundTrip(t, rng, b, nl, "", bodies, "")
		}
	})
}

// BenchmarkPartHeaderFilter is the filter's own cost on the body of
// BenchmarkMultipart1MiB, read 4 KiB at a time as mime/multipart reads it.
func BenchmarkPartHeaderFilter(b *testing.B) {
	body, _ := multipartBody(field("operations", singleOps), field("map", `{"0":["variables.file"]}`), filePart("0", "photo\x1b.jpg", bytesOf(1<<20, 1)))
	buf := make([]byte, 4096)
	for _, filter := range []bool{false, true} {
		b.Run(fmt.Sprintf("filter=%v", filter), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				var r io.Reader = bytes.NewReader(body)
				if filter {
					r = newPartHeaderFilter(r, testBoundary)
				}
				for {
					if _, err := r.Read(buf); err != nil {
						break
					}
				}
			}
		})
	}
}
