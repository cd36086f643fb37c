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
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
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
// (refused ones included), prefixed with "raw:" or "video:" when sent for
// that resource type.
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
