package localfs

import (
	"net/http"
	"os"
	"strings"
)

var contentTypes = map[string]string{
	"jpg":  "image/jpeg",
	"png":  "image/png",
	"gif":  "image/gif",
	"webp": "image/webp",
	"avif": "image/avif",
}

// Handler serves stored originals under the prefix (e.g. "/media/"), and
// renditions under prefix + "r/" (see serveRendition): the
// right Content-Type, an ETag, and a year of immutable caching, since a key
// never names other bytes. Paths that no key can have are 404 before the
// filesystem is touched.
func (s *Store) Handler(prefix string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		key, ok := strings.CutPrefix(r.URL.Path, prefix)
		if rest, isRendition := strings.CutPrefix(key, "r/"); ok && isRendition {
			s.serveRendition(w, r, rest)
			return
		}
		p, valid := s.path(key)
		if !ok || !valid {
			http.NotFound(w, r)
			return
		}
		f, err := os.Open(p)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		s.serveFile(w, r, f, contentTypes[key[strings.LastIndexByte(key, '.')+1:]], strings.NewReplacer("/", "", ".", "-").Replace(key))
	})
}

// serveFile answers with the open file f: its type, an ETag, and a year of
// immutable caching, since a URL never names other bytes (If-None-Match gets
// 304).
func (s *Store) serveFile(w http.ResponseWriter, r *http.Request, f *os.File, contentType, etag string) {
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("ETag", `"`+etag+`"`)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	http.ServeContent(w, r, "", st.ModTime(), f)
}
