package transport

import (
	"bufio"
	"errors"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"os"

	"github.com/99designs/gqlgen/graphql"
)

// MultipartForm is the transport for the GraphQL multipart request spec
// (https://github.com/jaydenseric/graphql-multipart-request-spec), as sent
// by apollo-upload-client: an `operations` field (a GraphQL request object,
// or an array of them for a batch), then a `map` field, then the file
// parts. Files are streamed: each stays in memory up to MemoryFileBytes
// and spills to a temp file in SpoolDir beyond that. Every temp file is
// closed and removed (unless moved with [File.MoveTo]) when Do returns.
//
// The whole body is limited to MaxFiles*MaxFileBytes + 2*MaxFieldBytes +
// 1 MiB; a larger body is answered 413.
//
// Control bytes in a part's headers (0x00-0x1F but tab, CR and LF, and
// 0x7F; within the first 16 KiB of each part's header block), which
// mime/multipart refuses, are dropped instead, so a file name
// such as "evil\x1b[31m\x00.png" arrives as "evil[31m.png" rather than
// failing the request; part contents are never touched. Upload.Filename is
// Part.FileName: the name after its last '/' (a '\' path is left to the
// domain's cleaning).
type MultipartForm struct {
	// MaxFileBytes caps each file; a larger file is answered with the
	// GraphQL error code FILE_TOO_LARGE. 0 means 20 MiB.
	MaxFileBytes int64
	// MaxFiles caps the file parts (and map entries) per request; more are
	// answered with TOO_MANY_FILES. 0 means 10.
	MaxFiles int
	// MaxFieldBytes caps the `operations` and `map` fields each; a larger
	// field is answered 413. 0 means 1 MiB.
	MaxFieldBytes int64
	// MemoryFileBytes is the largest file kept in memory; a larger one
	// spills to a temp file as it arrives. 0 means 256 KiB; a negative
	// value spills every non-empty file. When the declared rest of the body
	// is larger than this, a file spills past 256 KiB: it may be a large
	// one, which is better not buffered first.
	MemoryFileBytes int64
	// MemoryBudget, when set, bounds the file bytes held in memory by all
	// requests together; a file that would go over it spills.
	MemoryBudget *MemoryBudget
	// SpoolDir is where temp files are created ("" means os.TempDir()).
	// Point it at the media store's filesystem so File.MoveTo can rename
	// files into place.
	SpoolDir string
	// OnFile, when set, is called once per received file with its size.
	OnFile func(bytes int64)
}

var _ graphql.Transport = MultipartForm{}

func (m MultipartForm) maxFileBytes() int64 {
	if m.MaxFileBytes <= 0 {
		return 20 << 20
	}
	return m.MaxFileBytes
}

func (m MultipartForm) maxFiles() int {
	if m.MaxFiles <= 0 {
		return 10
	}
	return m.MaxFiles
}

func (m MultipartForm) maxFieldBytes() int64 {
	if m.MaxFieldBytes <= 0 {
		return 1 << 20
	}
	return m.MaxFieldBytes
}

func (m MultipartForm) memoryFileBytes() int64 {
	switch {
	case m.MemoryFileBytes == 0:
		return 256 << 10
	case m.MemoryFileBytes < 0:
		return 0
	}
	return m.MemoryFileBytes
}

func (m MultipartForm) spoolDir() string {
	if m.SpoolDir == "" {
		return os.TempDir()
	}
	return m.SpoolDir
}

// maxBody is MaxFiles*MaxFileBytes + 2*MaxFieldBytes + 1 MiB, saturating.
func (m MultipartForm) maxBody() int64 {
	files, per := int64(m.maxFiles()), m.maxFileBytes()
	if per > (math.MaxInt64-(3<<20))/files {
		return math.MaxInt64 - 1
	}
	sum := files * per
	for _, add := range []int64{m.maxFieldBytes(), m.maxFieldBytes(), 1 << 20} {
		if sum > math.MaxInt64-1-add {
			return math.MaxInt64 - 1
		}
		sum += add
	}
	return sum
}

// Supports reports whether r is a POST with media type multipart/form-data
// and no Upgrade header.
func (m MultipartForm) Supports(r *http.Request) bool {
	if r.Method != http.MethodPost || r.Header.Get("Upgrade") != "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

// Do reads the multipart request, validates the map, receives the files
// and executes the operation(s).
func (m MultipartForm) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	rp := newResponder(w, r, exec)
	start := graphql.Now()

	limit := m.maxBody()
	if r.ContentLength > limit {
		rp.fail(ctx, tooLarge("request body is larger than %d bytes", limit))
		return
	}
	_, mtParams, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	boundary := mtParams["boundary"]
	if err != nil || boundary == "" {
		rp.fail(ctx, badRequest("missing multipart boundary in Content-Type"))
		return
	}

	body := &bodyReader{r: http.MaxBytesReader(w, r.Body, limit), declared: r.ContentLength}
	q := &mpRequest{
		cfg:   m,
		body:  body,
		limit: limit,
		// mime/multipart reads through a 4 KiB bufio.Reader unless handed a
		// larger one: 64 KiB reads cut the syscalls of a 20 MiB body by 16.
		mr:    multipart.NewReader(bufio.NewReaderSize(newPartHeaderFilter(body, boundary), readBufSize), boundary),
		spool: spool{dir: m.spoolDir(), direct: directSpool(m.spoolDir()), memLimit: m.memoryFileBytes(), maxFile: m.maxFileBytes(), budget: m.MemoryBudget},
	}
	defer q.spool.release()

	if rerr := q.read(); rerr != nil {
		if (rerr.code == codeFileTooLarge || rerr.code == codeTooManyFiles) && body.err == nil {
			drain(body)
		}
		rp.fail(ctx, rerr)
		return
	}

	end := graphql.Now()
	for _, op := range q.ops {
		op.Headers = r.Header
		op.ReadTime = graphql.TraceTiming{Start: start, End: end}
	}
	rp.serve(ctx, q.ops, q.batch, noSubscriptions)
}

// bodyReader remembers the first error the request body returned, to tell
// a body over the limit or a broken connection from a malformed multipart
// stream.
type bodyReader struct {
	r        io.Reader
	err      error
	declared int64 // the Content-Length, or -1
	read     int64
}

// remaining is how many bytes of the body are still to be read as the
// client declared it, or -1 when it did not (a chunked body). The multipart
// reader reads ahead, so it may be a little less.
func (b *bodyReader) remaining() int64 {
	if b.declared < 0 {
		return -1
	}
	return max(b.declared-b.read, 0)
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read += int64(n)
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}

// classify turns a multipart read failure into the error to answer.
func (b *bodyReader) classify(limit int64) *reqError {
	if _, ok := errors.AsType[*http.MaxBytesError](b.err); ok {
		return tooLarge("request body is larger than %d bytes", limit)
	}
	if b.err != nil {
		return badRequest("could not read the request body")
	}
	return badRequest("malformed multipart body")
}
