// Package cloudinarytest is an in-memory Cloudinary for tests: an HTTPS
// server that answers the Upload API the way the Cloudinary Go SDK sees it,
// serves the stored bytes at their delivery URLs, and can be told to fail.
//
// What it checks, as Cloudinary does: the API key and the request signature
// (hex SHA-1 of the sorted k=v parameters joined by '&', then the secret,
// leaving out file, cloud_name, resource_type and api_key; a '&' inside a
// value counts as "%26"), and a timestamp no older than an hour; a wrong one
// is answered 401 with Cloudinary's error JSON. What it checks of the SDK's
// own habits, so that a change in them shows: uploads are multipart with
// chunked transfer encoding and every field before the file part; destroy is
// a URL-encoded body sent without a Content-Type.
//
// Point a store at it with URL(): upload_prefix sends API calls here and
// secure_cname makes delivery URLs (https://HOST/CLOUD/image/upload/...)
// point here too. Client() trusts its certificate.
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
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mediagraph/mediagraph/internal/imagecheck"
)

// Credentials of the fake account.
const (
	Cloud  = "demo-cloud"
	Key    = "873915246381547"
	Secret = "fakeSecret_pJ3nW8xQ2vT5yZ0aB7c"
)

// Asset is a stored asset.
type Asset struct {
	PublicID  string
	AssetID   string
	Version   int
	Format    string
	Width     int
	Height    int
	Bytes     []byte
	CreatedAt time.Time
}

// Op names the kinds of request a Fault may apply to.
type Op string

// The operations of the fake.
const (
	OpUpload  Op = "upload"
	OpDestroy Op = "destroy"
	OpPing    Op = "ping"
	OpDeliver Op = "deliver"
)

// Fault changes how the fake answers requests of one kind.
type Fault struct {
	Op Op
	// Status and Body, when Status is set, replace the answer (nothing is
	// stored or destroyed); ContentType defaults to application/json.
	Status      int
	Body        string
	ContentType string
	// Delay holds the answer back (the work is done first) until it passes
	// or the client goes away.
	Delay time.Duration
	// LateStore, with Delay, stores an upload only after the delay, even
	// when the client has gone by then: an asset that lands after its
	// uploader gave up.
	LateStore bool
	// PublicID, when set, limits the fault to destroys of that public id.
	PublicID string
	// Drop closes the connection without an answer (after reading the
	// request): a transport error.
	Drop bool
	// Skip lets that many requests of the kind through before the fault
	// applies.
	Skip int
	// Times is how many requests the fault applies to; 0 means all.
	Times int
}

// Canned faults, as Cloudinary and the proxies before it answer.
func InternalError(op Op) Fault {
	return Fault{Op: op, Status: 500, Body: `{"error":{"message":"General Error"}}`}
}

// BadGatewayHTML is a proxy's HTML 502.
func BadGatewayHTML(op Op) Fault {
	return Fault{Op: op, Status: 502, ContentType: "text/html", Body: "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>"}
}

// Unavailable is a 503 whose body is an empty JSON object.
func Unavailable(op Op) Fault { return Fault{Op: op, Status: 503, Body: `{}`} }

// Unauthorized is Cloudinary's 401 for a bad key.
func Unauthorized(op Op) Fault {
	return Fault{Op: op, Status: 401, Body: `{"error":{"message":"Invalid api_key ` + Key + `"}}`}
}

// RateLimited is a 420 (Cloudinary's rate limit answer).
func RateLimited(op Op) Fault {
	return Fault{Op: op, Status: 420, Body: `{"error":{"message":"Rate Limit Exceeded"}}`}
}

// EmptyOK is a 200 with {}: no error, no asset.
func EmptyOK(op Op) Fault { return Fault{Op: op, Status: 200, Body: `{}`} }

// Upload is what the fake received in one upload request.
type Upload struct {
	Fields  url.Values
	Chunked bool
	// Answered is the status the fake answered (0 while it has not).
	Answered int
	// Cancelled is set when the client went away before the answer.
	Cancelled bool
}

// Server is the fake Cloudinary.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	assets   map[string]*Asset
	faults   []*Fault
	uploads  []*Upload
	destroys []string
	counts   map[Op]int
	stored   []string
	version  int
}

// New starts a fake Cloudinary; Close stops it.
func New() *Server {
	s := &Server{assets: map[string]*Asset{}, counts: map[Op]int{}, version: int(time.Now().Unix())}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	return s
}

// URL is a CLOUDINARY_URL for the fake with the given secret ("" means the
// right one).
func (s *Server) URL(secret string) string {
	if secret == "" {
		secret = Secret
	}
	host := strings.TrimPrefix(s.Server.URL, "https://")
	return fmt.Sprintf("cloudinary://%s:%s@%s?upload_prefix=%s&secure_cname=%s", Key, secret, Cloud, s.Server.URL, host)
}

// Inject adds a fault; faults apply in the order added.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// PublicIDs lists the stored assets' public ids, sorted.
func (s *Server) PublicIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.assets))
	for id := range s.assets {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Asset returns a stored asset.
func (s *Server) Asset(publicID string) (Asset, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.assets[publicID]
	if !ok {
		return Asset{}, false
	}
	return *a, true
}

// Uploads returns the upload requests received so far.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Upload, len(s.uploads))
	for i, u := range s.uploads {
		out[i] = *u
	}
	return out
}

// Destroys returns the public ids of destroy requests received so far
// (refused ones included).
func (s *Server) Destroys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.destroys)
}

// Stored returns the public ids of every asset stored so far, in order,
// destroyed ones included.
func (s *Server) Stored() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.stored)
}

// Count is how many requests of the kind arrived.
func (s *Server) Count(op Op) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[op]
}

// fault takes the next fault for op (on publicID, for destroys), if any.
func (s *Server) fault(op Op, publicID string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[op]++
	for i, f := range s.faults {
		if f.Op != op || f.PublicID != "" && f.PublicID != publicID {
			continue
		}
		if f.Skip > 0 {
			f.Skip--
			continue
		}
		out := *f
		if f.Times > 0 {
			if f.Times--; f.Times == 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
		}
		return &out
	}
	return nil
}

var (
	apiPath     = regexp.MustCompile(`^/v1_1/([^/]+)/(auto/upload|image/upload|image/destroy|ping)$`)
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
		case m[2] == "image/destroy" && r.Method == http.MethodPost:
			s.destroy(w, r)
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

// answerFault writes a fault's answer; the bool says whether it did.
func answerFault(w http.ResponseWriter, f *Fault) bool {
	if f != nil && f.Drop {
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
		}
		return true
	}
	if f == nil || f.Status == 0 {
		return false
	}
	ct := f.ContentType
	if ct == "" {
		ct = "application/json; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(f.Status)
	_, _ = io.WriteString(w, f.Body)
	return true
}

// hold waits out a fault's delay; false when the client went away first.
func hold(r *http.Request, f *Fault) bool {
	if f == nil || f.Delay == 0 {
		return true
	}
	t := time.NewTimer(f.Delay)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
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
		return "Invalid api_key " + params.Get("api_key")
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
	if f != nil && (f.Status != 0 || f.Drop) {
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
	if f != nil && f.LateStore {
		if !hold(r, f) {
			s.cancelled(rec)
			time.AfterFunc(f.Delay, store)
			return
		}
		store()
	} else {
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

func (s *Server) destroy(w http.ResponseWriter, r *http.Request) {
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
	s.destroys = append(s.destroys, params.Get("public_id"))
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
	if _, ok := s.assets[id]; ok {
		delete(s.assets, id)
		result = "ok"
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = io.WriteString(w, `{"result":"`+result+`"}`)
}

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

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
