// Package cloudinary is the media store on Cloudinary, used when
// CLOUDINARY_URL is set. Every SDK call (github.com/cloudinary/cloudinary-go)
// stays in this package; the domain sees a media.Store.
//
// The SDK has traps that this package works around, each covered by a test:
// HTTP status codes are ignored (a rejection is err == nil with Error.Message
// set, an HTML 502 a JSON decoding error, a 503 with {} an empty result);
// multipart uploads have no timeout; its configuration is copied by value
// when a client is constructed; tags and context values are not escaped (we
// send none: they live in Postgres); there are no retries; and its URL
// analytics code races under concurrent URL building.
package cloudinary

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	sdk "github.com/cloudinary/cloudinary-go/v2"
	"github.com/cloudinary/cloudinary-go/v2/api"
	"github.com/cloudinary/cloudinary-go/v2/api/uploader"
	"github.com/cloudinary/cloudinary-go/v2/config"
	"github.com/cloudinary/cloudinary-go/v2/logger"

	"github.com/mediagraph/mediagraph/internal/media"
)

// Config configures the Cloudinary store.
type Config struct {
	// URL is CLOUDINARY_URL, cloudinary://KEY:SECRET@CLOUD, handed to the SDK
	// as it is: its query options (upload_prefix, secure_cname, ...) apply.
	URL string
	// Folder prefixes the public ids the server chooses (CLOUDINARY_FOLDER).
	Folder string
	// Timeout bounds one store or removal, retries included (CLOUDINARY_TIMEOUT).
	Timeout time.Duration
	// Client makes the API calls and fetches originals; nil means a client
	// of its own over http.DefaultTransport. Tests pass one that trusts
	// their fake's TLS certificate.
	Client *http.Client
	// Log receives failures, never with the API key or secret.
	Log *slog.Logger
	// SettleTime is how long after an upload was cut off its asset may still
	// appear, and so how long a removal's "not found" is not trusted for the
	// key of such an upload, and for any key not uploaded by this process
	// after the store starts (a crashed process's upload). 0 means settleTime.
	// Tests shorten it.
	SettleTime time.Duration
}

// folderPattern is what a folder may be: path segments of letters, digits,
// '_' and '-'. No dot (the SDK reads a dot as the start of an extension), and
// nothing that needs escaping in a URL or a signature.
var folderPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$`)

// keyPattern matches the public ids NewKey makes, under any folder this
// server may have used.
var keyPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*/[0-9a-f]{32}$`)

// Validate reports what is wrong with the configuration, naming the
// variable at fault and never echoing the URL (it holds the secret).
func (c Config) Validate() error {
	var errs []error
	if _, err := parseURL(c.URL); err != nil {
		errs = append(errs, err)
	}
	if !folderPattern.MatchString(c.Folder) {
		errs = append(errs, fmt.Errorf("CLOUDINARY_FOLDER must be letters, digits, '_' or '-' in segments separated by '/', not %q", c.Folder))
	}
	if c.Timeout <= 0 {
		errs = append(errs, errors.New("CLOUDINARY_TIMEOUT must be positive"))
	}
	return errors.Join(errs...)
}

func parseURL(raw string) (*config.Configuration, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "cloudinary" {
		return nil, errors.New("CLOUDINARY_URL must look like cloudinary://KEY:SECRET@CLOUD")
	}
	conf, err := config.NewFromURL(raw)
	if err != nil {
		return nil, errors.New("CLOUDINARY_URL has query options the Cloudinary SDK cannot read")
	}
	if conf.Cloud.CloudName == "" || conf.Cloud.APIKey == "" || conf.Cloud.APISecret == "" {
		return nil, errors.New("CLOUDINARY_URL must name a cloud, an API key and an API secret: cloudinary://KEY:SECRET@CLOUD")
	}
	if _, err := url.Parse(conf.API.UploadPrefix); err != nil || !strings.HasPrefix(conf.API.UploadPrefix, "http") {
		return nil, errors.New("CLOUDINARY_URL: upload_prefix must be an http(s) URL")
	}
	return conf, nil
}

// Store keeps originals in Cloudinary under public ids FOLDER/<32 hex
// digits>, and builds delivery URLs with the SDK. It is not a media.Lister:
// a Cloudinary account cannot be listed cheaply (the Admin API is rate
// limited), so upload guards are flushed instead of reconciled.
type Store struct {
	cld      *sdk.Cloudinary
	conf     config.Configuration // what URLs are built from
	folder   string
	timeout  time.Duration
	client   *http.Client
	pingURL  string
	secrets  *strings.Replacer
	log      *slog.Logger
	unsettle *unsettled
}

var _ media.Store = (*Store)(nil)

// New builds the store. Everything the SDK is to use is set on the
// configuration before the client is constructed: the client copies the
// configuration by value into its Upload and Admin APIs, so a change made
// afterwards would reach URL building but not uploads or removals.
func New(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	conf, _ := parseURL(cfg.URL)
	// Analytics off: the SDK's analytics code writes a package variable
	// without synchronisation (a data race when URLs are built concurrently),
	// and stored URLs would change with the SDK's and Go's versions.
	conf.URL.Analytics = false
	// Our contexts carry the real deadline; these make the SDK's own
	// timeouts agree with it (it applies API.Timeout to form posts such as
	// destroy and UploadTimeout, when not 0, to multipart uploads).
	secs := int64(math.Ceil(cfg.Timeout.Seconds()))
	conf.API.Timeout, conf.API.UploadTimeout = secs, secs
	cld, err := sdk.NewFromConfiguration(*conf)
	if err != nil {
		return nil, fmt.Errorf("cloudinary: %w", err)
	}
	// The SDK's logger prints through the standard logger; its debug output
	// is raw responses. Failures are logged by us, redacted.
	cld.Logger.SetLevel(logger.NONE)
	client := cfg.Client
	if client == nil {
		client = &http.Client{}
	}
	base := client.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	// The SDK ignores status codes; this transport records them for us. The
	// API never redirects: a redirect is answered as it is, never followed,
	// so a signed form is not sent again to another host. No cookies either.
	cld.Upload.Client = http.Client{Transport: statusRecorder{base}, CheckRedirect: noRedirects}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{
		cld:      cld,
		conf:     *conf,
		folder:   cfg.Folder,
		timeout:  cfg.Timeout,
		client:   client,
		pingURL:  api.BaseURL(conf.API.UploadPrefix, "") + "/" + conf.Cloud.CloudName + "/ping",
		secrets:  strings.NewReplacer(conf.Cloud.APISecret, "[secret]", conf.Cloud.APIKey, "[key]"),
		log:      log,
		unsettle: newUnsettled(cfg.SettleTime),
	}, nil
}

// noRedirects makes a client answer a redirect as it is.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Name identifies the store.
func (s *Store) Name() string { return "cloudinary" }

// NewKey returns a fresh public id, FOLDER/<32 hex digits>: chosen here,
// never from the client's file name, and unguessable. The format is not part
// of a public id (Cloudinary keeps it beside).
func (s *Store) NewKey(string) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return s.folder + "/" + hex.EncodeToString(b[:])
}

// Put uploads the blob under its key (the public id), streaming it from its
// reader, and returns the asset's metadata to keep with the row. It succeeds
// only when Cloudinary answered a result naming the asset; transport errors,
// 5xx, 420 and 429 are retried with backoff while CLOUDINARY_TIMEOUT lasts
// (the upload is idempotent: a fixed public id with overwrite).
func (s *Store) Put(ctx context.Context, blob media.Blob) (map[string]any, error) {
	if !keyPattern.MatchString(blob.Key) {
		return nil, fmt.Errorf("invalid key %q", blob.Key)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	params := uploader.UploadParams{PublicID: blob.Key, Overwrite: api.Bool(true)}
	s.unsettle.sending(blob.Key)
	var res *uploader.UploadResult
	// uncertain: some attempt may have stored the asset without our knowing
	// (any answer but a definite refusal), so it may still land.
	uncertain := false
	err := s.retry(ctx, "upload", blob.Key, func(ctx context.Context) (int, error) {
		if _, err := blob.Body.Seek(0, io.SeekStart); err != nil {
			return 0, permanent(fmt.Errorf("rewind: %w", err))
		}
		var status int
		body := newFenced(blob.Body, blob.Size)
		r, err := s.cld.Upload.Upload(withStatus(ctx, &status), body, params)
		// Once the SDK returns, its copying goroutine may still be running:
		// fence it off the reader before it is rewound or released.
		body.close()
		refused := false
		if err == nil {
			if r.Error.Message != "" {
				err = fmt.Errorf("rejected: %s", r.Error.Message)
				refused = !retryableStatus(status)
			} else if r.PublicID == "" || r.SecureURL == "" {
				err = errors.New("answer names no asset")
			}
		}
		uncertain = uncertain || err != nil && !refused
		res = r
		return status, err
	})
	if err != nil {
		if uncertain {
			// A request may have reached Cloudinary and its asset land
			// after the removal that follows this failure.
			s.unsettle.mark(blob.Key)
		}
		return nil, err
	}
	if res.PublicID != blob.Key || res.ResourceType != "image" || res.Type != "upload" {
		// Removals destroy image uploads under the key: anything else would
		// be "not found" to them and stay for good.
		s.unsettle.mark(blob.Key)
		s.destroyStray(res.PublicID, res.ResourceType, res.Type)
		return nil, fmt.Errorf("upload of %s: Cloudinary stored it as %s/%s %q, not as an image upload under that id",
			blob.Key, res.ResourceType, res.Type, res.PublicID)
	}
	return map[string]any{
		"asset_id":      res.AssetID,
		"public_id":     res.PublicID,
		"version":       res.Version,
		"resource_type": res.ResourceType,
		"type":          res.Type,
		"format":        res.Format,
		"width":         res.Width,
		"height":        res.Height,
		"bytes":         res.Bytes,
		"etag":          res.Etag,
		"created_at":    res.CreatedAt.UTC().Format(time.RFC3339),
	}, nil
}

// Resource and delivery types a stray asset may be destroyed as.
var (
	resourceTypes = []string{"image", "raw", "video"}
	deliveryTypes = []string{"upload", "private", "authenticated"}
)

// destroyStray removes an asset stored other than asked for (another public
// id, resource type or delivery type), as what it was stored as.
func (s *Store) destroyStray(publicID, resourceType, typ string) {
	if !keyPattern.MatchString(publicID) || !slices.Contains(resourceTypes, resourceType) || !slices.Contains(deliveryTypes, typ) {
		s.log.Error("cannot remove a stray asset", "op", "cloudinary.destroy", "public_id", publicID, "resource_type", resourceType, "type", typ)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	if _, err := s.destroy(ctx, publicID, resourceType, typ); err != nil {
		s.log.Error("remove stray asset", "op", "cloudinary.destroy", "public_id", publicID, "err", err)
	}
}

// Delete destroys the asset (Upload API: no rate limit, unlike the Admin
// API), invalidating CDN copies. "not found" counts as done, except while an
// upload of the key may still land (see unsettled): then the removal stays
// queued and is tried again. A key this store cannot have made (another
// store's, after a switch) is an error, so that its removal is kept for the
// store that holds it.
func (s *Store) Delete(ctx context.Context, key string) error {
	if !keyPattern.MatchString(key) {
		return fmt.Errorf("%q is not a Cloudinary public id of this server (another store's key?); kept for that store", key)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	found, err := s.destroy(ctx, key, "image", "upload")
	if err != nil {
		return err
	}
	if !found && s.unsettle.pending(key) {
		return fmt.Errorf("destroy %s: not found, but an upload of it may still land; checking again", key)
	}
	return nil
}

// destroy removes the asset; found reports whether there was one.
func (s *Store) destroy(ctx context.Context, publicID, resourceType, typ string) (found bool, err error) {
	err = s.retry(ctx, "destroy", publicID, func(ctx context.Context) (int, error) {
		var status int
		r, err := s.cld.Upload.Destroy(withStatus(ctx, &status), uploader.DestroyParams{
			PublicID: publicID, Type: typ, ResourceType: resourceType, Invalidate: api.Bool(true),
		})
		switch {
		case err != nil:
		case r.Error.Message != "":
			err = fmt.Errorf("rejected: %s", r.Error.Message)
		case r.Result != "ok" && r.Result != "not found":
			err = fmt.Errorf("unexpected result %q", r.Result)
		default:
			found = r.Result == "ok"
		}
		return status, err
	})
	return found, err
}

// Open fetches the original over its delivery URL (HTTPS unless the
// CLOUDINARY_URL says secure=false), within CLOUDINARY_TIMEOUT.
func (s *Store) Open(ctx context.Context, img *media.Image) (io.ReadCloser, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL(img, nil), nil)
	if err != nil {
		cancel()
		return nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("fetch %s: %w", img.StorageKey, err)
	}
	if resp.StatusCode != http.StatusOK {
		_ = resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("fetch %s: HTTP %d", img.StorageKey, resp.StatusCode)
	}
	var body io.Reader = resp.Body
	if img.Bytes > 0 {
		body = io.LimitReader(resp.Body, img.Bytes)
	}
	return readCloser{Reader: body, close: func() error { defer cancel(); return resp.Body.Close() }}, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

// pingTimeout bounds a readiness check, well within /readyz's own.
const pingTimeout = 1500 * time.Millisecond

// Ping reports whether Cloudinary's API host answers: an unauthenticated
// HEAD, so that no credentials travel and no Admin API quota (rate limited)
// is spent on readiness probes. Any answer below 500 counts.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, s.pingURL, nil)
	if err != nil {
		return err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("cloudinary ping: %w", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode >= 500 {
		return fmt.Errorf("cloudinary ping: HTTP %d", resp.StatusCode)
	}
	return nil
}
