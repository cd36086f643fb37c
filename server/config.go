package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mediagraph/mediagraph/internal/cloudinary"
)

// config is everything the server reads from its environment; each variable
// has a flag of the same meaning that overrides it (API.md's table).
type config struct {
	Port               int
	DatabaseURL        string
	CloudinaryURL      string
	CloudinaryFolder   string
	CloudinaryTimeout  time.Duration
	MediaDir           string
	MediaFsync         bool
	PublicURL          string
	MediaSigningKey    string
	AuthJWTSecret      string
	AuthJWKSURL        string
	MaxFileBytes       int64
	MaxFiles           int
	MaxPixels          int64
	CORSAllowedOrigins []string
	// cloudinaryClient, when set, makes the Cloudinary store's HTTP calls
	// (tests: a client that trusts the fake Cloudinary's certificate).
	cloudinaryClient *http.Client
	// cloudinarySettle, when set, shortens how long the Cloudinary store
	// distrusts "not found" (tests).
	cloudinarySettle time.Duration
}

const (
	defaultDatabaseURL = "postgres://postgres@localhost:5432/mediagraph?sslmode=disable"
	defaultOrigins     = "http://localhost:3000,http://localhost:5173"
)

// setting is one environment variable and its flag.
type setting struct {
	env, flag, def, usage string
	secret                bool
}

var settings = []setting{
	{env: "PORT", flag: "port", def: "8080", usage: "TCP port to listen on"},
	{env: "DATABASE_URL", flag: "database-url", def: defaultDatabaseURL, usage: "Postgres connection string (pgx syntax); the database is created when missing", secret: true},
	{env: "CLOUDINARY_URL", flag: "cloudinary-url", usage: "cloudinary://KEY:SECRET@CLOUD: store files in Cloudinary (unset: the local store)", secret: true},
	{env: "CLOUDINARY_FOLDER", flag: "cloudinary-folder", def: "mediagraph", usage: "prefix of the Cloudinary public ids the server chooses"},
	{env: "CLOUDINARY_TIMEOUT", flag: "cloudinary-timeout", def: "60s", usage: "longest the storing of one file in Cloudinary may take"},
	{env: "MEDIA_DIR", flag: "media-dir", def: "./data/media", usage: "where the local store keeps files"},
	{env: "MEDIA_FSYNC", flag: "media-fsync", def: "true", usage: "flush stored files to disk before their rows commit (false: faster, but a power loss may lose stored images)"},
	{env: "PUBLIC_URL", flag: "public-url", usage: "base of local media URLs (default http://localhost:$PORT)"},
	{env: "MEDIA_SIGNING_KEY", flag: "media-signing-key", usage: "HMAC key that signs rendition URLs, at least 16 bytes (default: derived from AUTH_JWT_SECRET; with neither, generated once and kept in MEDIA_DIR)", secret: true},
	{env: "AUTH_JWT_SECRET", flag: "auth-jwt-secret", usage: "HS256 secret bearer tokens are signed with (unset: random, with a demo token logged)", secret: true},
	{env: "AUTH_JWKS_URL", flag: "auth-jwks-url", usage: "JWKS endpoint for RS256/ES256 tokens from an identity provider"},
	{env: "MAX_FILE_BYTES", flag: "max-file-bytes", def: "20971520", usage: "largest accepted file, in bytes"},
	{env: "MAX_FILES", flag: "max-files", def: "10", usage: "most files in one request"},
	{env: "MAX_PIXELS", flag: "max-pixels", def: "50000000", usage: "largest accepted width x height"},
	{env: "CORS_ALLOWED_ORIGINS", flag: "cors-allowed-origins", def: defaultOrigins, usage: "comma-separated origins allowed to call the API from a browser"},
}

// parseConfig reads the environment, then the flags, and validates the
// result, naming every variable at fault.
func parseConfig(fs *flag.FlagSet, args []string, getenv func(string) string) (config, error) {
	values := map[string]*string{}
	for _, s := range settings {
		def := s.def
		if v := getenv(s.env); v != "" {
			def = v
		}
		shown := def
		if s.secret && getenv(s.env) != "" {
			shown = "(set)"
		}
		v := new(string)
		*v = def
		fs.Var(stringValue{v}, s.flag, fmt.Sprintf("%s [$%s] (default %q)", s.usage, s.env, shown))
		values[s.env] = v
	}
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	get := func(env string) string { return strings.TrimSpace(*values[env]) }

	var errs []error
	var c config
	c.Port = parseInt(get("PORT"), "PORT", 0, 65535, &errs)
	c.DatabaseURL = get("DATABASE_URL")
	c.CloudinaryURL = get("CLOUDINARY_URL")
	c.CloudinaryFolder = get("CLOUDINARY_FOLDER")
	c.MediaDir = get("MEDIA_DIR")
	if b, err := strconv.ParseBool(get("MEDIA_FSYNC")); err != nil {
		errs = append(errs, fmt.Errorf("MEDIA_FSYNC must be true or false, not %q", get("MEDIA_FSYNC")))
	} else {
		c.MediaFsync = b
	}
	c.PublicURL = strings.TrimRight(get("PUBLIC_URL"), "/")
	if c.PublicURL == "" {
		c.PublicURL = "http://localhost:" + strconv.Itoa(c.Port)
	}
	c.MediaSigningKey = *values["MEDIA_SIGNING_KEY"] // its bytes as written are the key
	if n := len(c.MediaSigningKey); n > 0 && n < 16 {
		errs = append(errs, fmt.Errorf("MEDIA_SIGNING_KEY must be at least 16 bytes, not %d", n))
	}
	c.AuthJWTSecret = *values["AUTH_JWT_SECRET"] // its bytes as written are the key
	c.AuthJWKSURL = get("AUTH_JWKS_URL")
	c.MaxFileBytes = int64(parseInt(get("MAX_FILE_BYTES"), "MAX_FILE_BYTES", 1, 1<<40, &errs))
	c.MaxFiles = parseInt(get("MAX_FILES"), "MAX_FILES", 1, 1000, &errs)
	c.MaxPixels = int64(parseInt(get("MAX_PIXELS"), "MAX_PIXELS", 1, 1<<40, &errs))
	if d, err := time.ParseDuration(get("CLOUDINARY_TIMEOUT")); err != nil || d <= 0 {
		errs = append(errs, fmt.Errorf("CLOUDINARY_TIMEOUT must be a positive Go duration such as 60s, not %q", get("CLOUDINARY_TIMEOUT")))
	} else {
		c.CloudinaryTimeout = d
	}
	for _, o := range strings.Split(get("CORS_ALLOWED_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		if u, err := url.Parse(o); o != "*" && (err != nil || u.Scheme == "" || u.Host == "") {
			errs = append(errs, fmt.Errorf("CORS_ALLOWED_ORIGINS: %q is not an origin such as https://app.example.com", o))
			continue
		}
		c.CORSAllowedOrigins = append(c.CORSAllowedOrigins, o)
	}
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL must not be empty"))
	}
	if c.CloudinaryURL != "" {
		errs = append(errs, cloudinary.Config{URL: c.CloudinaryURL, Folder: c.CloudinaryFolder, Timeout: c.CloudinaryTimeout}.Validate())
	}
	return c, errors.Join(errs...)
}

// signingKey is the key rendition URLs are signed with: MEDIA_SIGNING_KEY;
// else one derived from AUTH_JWT_SECRET, stable across restarts but never the
// secret itself (a URL signature must not be a token signature); else nil,
// and the local store generates one and keeps it in MEDIA_DIR.
func (c config) signingKey() []byte {
	if c.MediaSigningKey != "" {
		return []byte(c.MediaSigningKey)
	}
	if c.AuthJWTSecret != "" {
		m := hmac.New(sha256.New, []byte(c.AuthJWTSecret))
		m.Write([]byte("mediagraph: rendition URL signing key"))
		return m.Sum(nil)
	}
	return nil
}

func parseInt(s, env string, lo, hi int, errs *[]error) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		*errs = append(*errs, fmt.Errorf("%s must be a whole number from %d to %d, not %q", env, lo, hi, s))
	}
	return n
}

// stringValue is a flag.Value over a string, so that defaults shown by
// --help can hide secrets.
type stringValue struct{ p *string }

// String is empty so that flag's own "(default ...)" never prints a secret;
// the usage text shows the default instead.
func (v stringValue) String() string { return "" }

func (v stringValue) Set(s string) error { *v.p = s; return nil }
