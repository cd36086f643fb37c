package cloudinarytest

import (
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

var contentTypes = map[string]string{"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp", "avif": "image/avif"}

// deliver serves /CLOUD/image/upload/[TRANSFORMATIONS/]vVERSION/PUBLIC_ID[.EXT]:
// the original's bytes whatever the transformation (the fake renders
// nothing), 400 for a transformation it cannot read, 404 for no asset.
func (s *Server) deliver(w http.ResponseWriter, r *http.Request) {
	f := s.fault(OpDeliver, "")
	if !hold(r, f) || answerFault(w, f) {
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/"+Cloud+"/image/upload/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	parts := strings.Split(rest, "/")
	v := slices.IndexFunc(parts, versionPart.MatchString)
	if v < 0 || v == len(parts)-1 {
		http.NotFound(w, r)
		return
	}
	for _, t := range parts[:v] {
		if !transformPart.MatchString(t) {
			w.Header().Set("X-Cld-Error", "Invalid transformation component - "+t)
			http.Error(w, "bad transformation", http.StatusBadRequest)
			return
		}
	}
	id := strings.Join(parts[v+1:], "/")
	ext := ""
	if i := strings.LastIndexByte(id, '.'); i > strings.LastIndexByte(id, '/') {
		id, ext = id[:i], id[i+1:]
	}
	a, ok := s.Asset(id)
	if !ok {
		w.Header().Set("X-Cld-Error", "Resource not found - "+id)
		http.NotFound(w, r)
		return
	}
	if ext == "" {
		ext = a.Format
	}
	ct := contentTypes[ext]
	if ct == "" {
		ct = mime.TypeByExtension("." + ext)
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("ETag", `"`+strconv.Itoa(a.Version)+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(a.Bytes)))
	if r.Method == http.MethodGet {
		_, _ = w.Write(a.Bytes)
	}
}
