package cloudinarytest

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mediagraph/mediagraph/internal/imagecheck"
)

var (
	apiPath     = regexp.MustCompile(`^/v1_1/([^/]+)/(auto/upload|image/upload|(?:image|raw|video)/destroy|ping)$`)
	versionPart = regexp.MustCompile(`^v[0-9]+$`)
	// transformPart is one transformation component as the store writes them.
	transformPart = regexp.MustCompile(`^([cgfq]_[a-z0-9]+|[hwxy]_[0-9]+)(,([cgfq]_[a-z0-9]+|[hwxy]_[0-9]+))*$`)
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if m := apiPath.FindStringSubmatch(r.URL.Path); m != nil {
		if m[1] != Cloud {
			apiError(w, http.StatusNotFound, "Invalid cloud_name "+m[1])
			return
		}
		switch {
		case m[2] == "ping" && (r.Method == http.MethodHead || r.Method == http.MethodGet):
			s.ping(w, r)
		case strings.HasSuffix(m[2], "/destroy") && r.Method == http.MethodPost:
			s.destroy(w, r, strings.TrimSuffix(m[2], "/destroy"))
		case strings.HasSuffix(m[2], "upload") && r.Method == http.MethodPost:
			s.upload(w, r)
		default:
			apiError(w, http.StatusNotFound, "Not found")
		}
		return
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		s.deliver(w, r)
		return
	}
	apiError(w, http.StatusNotFound, "Not found")
}

func apiError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"error": map[string]string{"message": msg}})
	_, _ = w.Write(b)
}

func (s *Server) ping(w http.ResponseWriter, r *http.Request) {
	f := s.fault(OpPing, "")
	if !hold(r, f) || answerFault(w, f) {
		return
	}
	if k, sec, ok := r.BasicAuth(); !ok || k != Key || sec != Secret {
		apiError(w, http.StatusUnauthorized, "Must supply api_key")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = io.WriteString(w, `{"status":"ok"}`)
}

// readUpload reads the multipart body, checking the SDK's habits.
func readUpload(r *http.Request) (fields url.Values, file []byte, err error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, err
	}
	fields = url.Values{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		b, err := io.ReadAll(io.LimitReader(p, 200<<20))
		if err != nil {
			return nil, nil, err
		}
		if p.FormName() == "file" {
			if file != nil {
				return nil, nil, fmt.Errorf("two file parts")
			}
			file = b
			continue
		}
		if file != nil {
			return nil, nil, fmt.Errorf("field %q after the file part", p.FormName())
		}
		fields.Add(p.FormName(), string(b))
	}
	if file == nil {
		return nil, nil, fmt.Errorf("Missing required parameter - file")
	}
	return fields, file, nil
}

// checkSignature verifies api_key, timestamp and signature as Cloudinary
// does; it returns the message of the 401 to answer, or "".
func checkSignature(params url.Values) string {
	if params.Get("api_key") != Key {
		return "Unknown API key " + params.Get("api_key")
	}
	ts, err := strconv.ParseInt(params.Get("timestamp"), 10, 64)
	if err != nil {
		return "Missing required parameter - timestamp"
	}
	if age := time.Since(time.Unix(ts, 0)); age > time.Hour {
		return fmt.Sprintf("Stale request - reported time is %s which is more than 1 hour ago", time.Unix(ts, 0).UTC().Format(time.DateTime))
	}
	toSign := StringToSign(params)
	sum := sha1.Sum([]byte(toSign + Secret))
	if got := params.Get("signature"); got != hex.EncodeToString(sum[:]) {
		return fmt.Sprintf("Invalid Signature %s. String to sign - '%s'.", got, toSign)
	}
	return ""
}

var arrayParam = regexp.MustCompile(`^(.*)\[\d*\]$`)

// StringToSign is what Cloudinary signs of a request's parameters: sorted
// k=v pairs joined by '&' (arrays joined by ','), without file, cloud_name,
// resource_type, api_key and signature.
func StringToSign(params url.Values) string {
	grouped := map[string][]string{}
	for k, vs := range params {
		switch k {
		case "file", "cloud_name", "resource_type", "api_key", "signature":
			continue
		}
		if m := arrayParam.FindStringSubmatch(k); m != nil {
			k = m[1]
		}
		grouped[k] = append(grouped[k], vs...)
	}
	keys := make([]string, 0, len(grouped))
	for k := range grouped {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = k + "=" + strings.ReplaceAll(strings.Join(grouped[k], ","), "&", "%26")
	}
	return strings.Join(pairs, "&")
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	f := s.fault(OpUpload, "")
	rec := &Upload{Chunked: slices.Contains(r.TransferEncoding, "chunked") && r.ContentLength == -1}
	fields, file, err := readUpload(r)
	// Read to the end, so that the server notices a client going away.
	_, _ = io.Copy(io.Discard, r.Body)
	rec.Fields = fields
	s.mu.Lock()
	s.uploads = append(s.uploads, rec)
	s.mu.Unlock()
	status := http.StatusOK
	defer func() {
		s.mu.Lock()
		rec.Answered = status
		s.mu.Unlock()
	}()
	if err != nil {
		status = http.StatusBadRequest
		apiError(w, status, err.Error())
		return
	}
	if !rec.Chunked {
		status = http.StatusBadRequest
		apiError(w, status, "fake: the SDK sends uploads with chunked transfer encoding")
		return
	}
	faulty := f != nil && (f.Status != 0 || f.Drop)
	if faulty && !f.StoreFirst && !f.LateStore {
		status = f.Status
		answerFault(w, f)
		return
	}
	if msg := checkSignature(fields); msg != "" {
		status = http.StatusUnauthorized
		apiError(w, status, msg)
		return
	}
	info, err := imagecheck.Inspect(bytes.NewReader(file), int64(len(file)), 1<<40)
	if err != nil {
		status = http.StatusBadRequest
		apiError(w, status, "Invalid image file")
		return
	}
	publicID := fields.Get("public_id")
	if publicID == "" {
		publicID = randomHex(10)
	}
	a := &Asset{PublicID: publicID, AssetID: randomHex(16), Format: info.Format, Width: info.Width, Height: info.Height,
		Bytes: file, CreatedAt: time.Now().UTC().Truncate(time.Second)}
	store := func() {
		s.mu.Lock()
		s.version++
		a.Version = s.version
		s.assets[publicID] = a
		s.stored = append(s.stored, publicID)
		s.mu.Unlock()
	}
	switch {
	case faulty && f.StoreFirst:
		store()
		status = f.Status
		answerFault(w, f)
		return
	case faulty: // LateStore
		time.AfterFunc(f.Delay, store)
		status = f.Status
		answerFault(w, f)
		return
	case f != nil && f.LateStore:
		if !hold(r, f) {
			s.cancelled(rec)
			time.AfterFunc(f.Delay, store)
			return
		}
		store()
	default:
		store()
		if !hold(r, f) {
			s.cancelled(rec)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(s.result(r, a))
}

func (s *Server) cancelled(rec *Upload) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec.Cancelled = true
}

// result is the UploadResult JSON Cloudinary answers, api_key included.
func (s *Server) result(r *http.Request, a *Asset) map[string]any {
	ver := strconv.Itoa(a.Version)
	sig := sha1.Sum([]byte("public_id=" + a.PublicID + "&version=" + ver + Secret))
	etag := md5.Sum(a.Bytes)
	path := "/" + Cloud + "/image/upload/v" + ver + "/" + a.PublicID + "." + a.Format
	name := a.PublicID[strings.LastIndexByte(a.PublicID, '/')+1:]
	return map[string]any{
		"asset_id": a.AssetID, "public_id": a.PublicID, "version": a.Version, "version_id": randomHex(16),
		"signature": hex.EncodeToString(sig[:]), "width": a.Width, "height": a.Height, "format": a.Format,
		"resource_type": "image", "created_at": a.CreatedAt.Format(time.RFC3339), "tags": []string{},
		"bytes": len(a.Bytes), "type": "upload", "etag": hex.EncodeToString(etag[:]), "placeholder": false,
		"url": "http://" + r.Host + path, "secure_url": "https://" + r.Host + path, "asset_folder": "",
		"display_name": name, "original_filename": "file", "overwritten": false, "api_key": Key,
	}
}

func (s *Server) destroy(w http.ResponseWriter, r *http.Request, resourceType string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	params, err := url.ParseQuery(string(body))
	if err != nil {
		apiError(w, http.StatusBadRequest, "fake: destroy body is not URL-encoded")
		return
	}
	f := s.fault(OpDestroy, params.Get("public_id"))
	s.mu.Lock()
	if resourceType == "image" {
		s.destroys = append(s.destroys, params.Get("public_id"))
	} else {
		s.destroys = append(s.destroys, resourceType+":"+params.Get("public_id"))
	}
	s.mu.Unlock()
	if r.Header.Get("Content-Type") != "" {
		apiError(w, http.StatusBadRequest, "fake: the SDK sends destroy without a Content-Type")
		return
	}
	if !hold(r, f) || answerFault(w, f) {
		return
	}
	if msg := checkSignature(params); msg != "" {
		apiError(w, http.StatusUnauthorized, msg)
		return
	}
	if t := params.Get("type"); t != "" && t != "upload" {
		apiError(w, http.StatusBadRequest, "fake: only type upload")
		return
	}
	id := params.Get("public_id")
	result := "not found"
	s.mu.Lock()
	if _, ok := s.assets[id]; ok && resourceType == "image" { // every stored asset is an image
		delete(s.assets, id)
		result = "ok"
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = io.WriteString(w, `{"result":"`+result+`"}`)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
