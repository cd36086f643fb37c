package transport

import (
	"errors"
	"io"
	"mime/multipart"

	"github.com/99designs/gqlgen/graphql"
)

// mpRequest is the state of one multipart request being read.
type mpRequest struct {
	cfg   MultipartForm
	body  *bodyReader
	limit int64
	mr    *multipart.Reader
	spool spool

	ops   []*graphql.RawParams
	batch bool
	umap  *uploadMap
	files int
}

// next returns the next part, or nil at the end of the body.
func (q *mpRequest) next() (*multipart.Part, *reqError) {
	part, err := q.mr.NextRawPart()
	if err == io.EOF {
		return nil, nil
	}
	if err != nil {
		return nil, q.body.classify(q.limit)
	}
	return part, nil
}

// field reads a whole non-file field, up to MaxFieldBytes.
func (q *mpRequest) field(part *multipart.Part, name string) ([]byte, *reqError) {
	max := q.cfg.maxFieldBytes()
	b, err := readAllLimited(io.LimitReader(part, max+1), -1)
	if err != nil {
		return nil, q.body.classify(q.limit)
	}
	if int64(len(b)) > max {
		return nil, tooLarge("multipart field '%s' is larger than %d bytes", name, max)
	}
	return b, nil
}

// read consumes the whole body: operations, map, then the files.
func (q *mpRequest) read() *reqError {
	part, rerr := q.next()
	if rerr != nil {
		return rerr
	}
	if part == nil {
		return badRequest("missing multipart field 'operations'")
	}
	switch name := part.FormName(); name {
	case "operations":
	case "map":
		return badRequest("missing multipart field 'operations': 'map' came first, 'operations' must be the first field")
	default:
		return badRequest("missing multipart field 'operations': it must be the first field, got %q", sanitize(name))
	}
	b, rerr := q.field(part, "operations")
	if rerr != nil {
		return rerr
	}
	if q.ops, q.batch, rerr = decodeOperations(b, "'operations'"); rerr != nil {
		return rerr
	}

	if part, rerr = q.next(); rerr != nil {
		return rerr
	}
	if part == nil {
		return badRequest("missing multipart field 'map'")
	}
	switch name := part.FormName(); name {
	case "map":
	case "operations":
		return badRequest("duplicate multipart field 'operations'")
	default:
		return badRequest("file part %q before 'map': 'map' must follow 'operations'", sanitize(name))
	}
	if b, rerr = q.field(part, "map"); rerr != nil {
		return rerr
	}
	if q.umap, rerr = parseMap(b, q.ops, q.batch, q.cfg.maxFiles()); rerr != nil {
		return rerr
	}

	for {
		if part, rerr = q.next(); rerr != nil {
			return rerr
		}
		if part == nil {
			break
		}
		if rerr = q.file(part); rerr != nil {
			return rerr
		}
	}
	for _, key := range q.umap.keys {
		if !q.umap.entries[key].received {
			return badRequest("missing file for map key %q", sanitize(key))
		}
	}
	return nil
}

// file receives one file part and puts an Upload at each of its paths.
func (q *mpRequest) file(part *multipart.Part) *reqError {
	name := part.FormName()
	e := q.umap.entries[name]
	switch {
	case e == nil && (name == "operations" || name == "map"):
		return badRequest("duplicate multipart field '%s'", name)
	case e == nil && name == "":
		return badRequest("multipart part without a form field name")
	case e == nil:
		return badRequest("multipart field %q is not a key of 'map'", sanitize(name))
	case e.received:
		return badRequest("duplicate file for map key %q", sanitize(name))
	}
	q.files++
	if max := q.cfg.maxFiles(); q.files > max {
		e := requestError(codeTooManyFiles, "too many files: at most %d are allowed", max)
		e.ext = map[string]any{"maxFiles": max}
		return e
	}
	c, err := q.spool.receive(part, q.body.remaining())
	if err != nil {
		var se *storageError
		switch {
		case errors.Is(err, errFileTooLarge):
			e := requestError(codeFileTooLarge, "file for map key %q is larger than %d bytes", sanitize(name), q.cfg.maxFileBytes())
			e.ext = map[string]any{"maxFileBytes": q.cfg.maxFileBytes()}
			return e
		case errors.As(err, &se):
			return internalError("could not store the upload")
		}
		return q.body.classify(q.limit)
	}
	e.received = true
	if q.cfg.OnFile != nil {
		q.cfg.OnFile(c.size)
	}
	filename := part.FileName()
	contentType := part.Header.Get("Content-Type")
	for _, s := range e.slots {
		s.set(graphql.Upload{File: newFile(c), Filename: filename, Size: c.size, ContentType: contentType})
	}
	return nil
}
