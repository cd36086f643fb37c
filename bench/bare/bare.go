// Package bare is the floor under any upload server, for benchmarks: a
// handler that copies each file part of a multipart request to a new temp
// file and answers a constant. No GraphQL, no hashing, no validation, no
// database; with fsync, each copy and its directory entry are flushed to
// disk before the answer, as mediagraph flushes what it stores.
package bare

import (
	"errors"
	"io"
	"net/http"
	"os"
)

// Answer is all the handler says, whatever it was sent.
const Answer = `{"data":{"uploadImage":{"id":"x","sha256":"x"}}}`

// Handler copies the file parts of each multipart request to new files in
// dir.
func Handler(dir string, fsync bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mr, err := r.MultipartReader()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			if part.FileName() == "" { // operations, map
				_, _ = io.Copy(io.Discard, part)
				continue
			}
			if err := store(dir, part, fsync); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, Answer)
	})
}

func store(dir string, r io.Reader, fsync bool) error {
	f, err := os.CreateTemp(dir, "bare-*")
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if err == nil && fsync {
		err = errors.Join(f.Sync(), syncDir(dir))
	}
	return errors.Join(err, f.Close())
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
