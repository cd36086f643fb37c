// Package auth turns bearer tokens into the identity of the caller: HS256
// tokens signed with the configured secret, and RS256/ES256 tokens from an
// identity provider's JWKS. A bad token is an error, never anonymity.
package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// Config configures token verification.
type Config struct {
	// JWTSecret is the HS256 key (AUTH_JWT_SECRET), its bytes as written.
	JWTSecret string
	// JWKSURL is an identity provider's JWKS endpoint (AUTH_JWKS_URL).
	JWKSURL string
}

// Validate reports what is wrong with the configuration.
func (c Config) Validate() error {
	if c.JWKSURL != "" && !strings.HasPrefix(c.JWKSURL, "https://") && !strings.HasPrefix(c.JWKSURL, "http://") {
		return fmt.Errorf("AUTH_JWKS_URL must be an http(s) URL, not %q", c.JWKSURL)
	}
	return nil
}

// Identity is who a valid token speaks for.
type Identity struct {
	Subject string
	Name    string
}

// Authenticator verifies and issues tokens.
type Authenticator struct {
	secret []byte
	// Generated is true when no secret was configured and a random one is
	// in use for this process.
	Generated bool
	jwks      keyfunc.Keyfunc
}

// leeway forgives clock skew between the issuer and this server; it also
// extends exp, so it stays small.
const leeway = 5 * time.Second

// New returns an Authenticator. Without a secret and without a JWKS URL it
// makes a random secret for this process (Generated), so that a demo token
// can be issued; with only a JWKS URL, HS256 tokens are refused. The JWKS is
// fetched and refreshed in the background until ctx ends.
func New(ctx context.Context, cfg Config) (*Authenticator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &Authenticator{secret: []byte(cfg.JWTSecret)}
	if cfg.JWKSURL != "" {
		k, err := keyfunc.NewDefaultCtx(ctx, []string{cfg.JWKSURL})
		if err != nil {
			return nil, fmt.Errorf("AUTH_JWKS_URL: %w", err)
		}
		a.jwks = k
	} else if len(a.secret) == 0 {
		a.secret = make([]byte, 32)
		if _, err := rand.Read(a.secret); err != nil {
			return nil, err
		}
		a.Generated = true
	}
	return a, nil
}

// ErrInvalidToken is wrapped by every verification failure.
var ErrInvalidToken = errors.New("invalid bearer token")

type claims struct {
	Name string `json:"name,omitempty"`
	jwt.RegisteredClaims
}

// Verify checks the token's signature, algorithm and times and returns its
// identity. HS256 is checked only against the secret and RS256/ES256 only
// against the JWKS, so that a public key can never be used as an HMAC key.
func (a *Authenticator) Verify(ctx context.Context, token string) (Identity, error) {
	var methods []string
	if len(a.secret) > 0 {
		methods = append(methods, jwt.SigningMethodHS256.Alg())
	}
	if a.jwks != nil {
		methods = append(methods, jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg())
	}
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		switch t.Method.(type) {
		case *jwt.SigningMethodHMAC:
			return a.secret, nil
		case *jwt.SigningMethodRSA, *jwt.SigningMethodECDSA:
			return a.jwks.KeyfuncCtx(ctx)(t)
		}
		return nil, fmt.Errorf("unexpected signing method %s", t.Method.Alg())
	}, jwt.WithValidMethods(methods), jwt.WithLeeway(leeway), jwt.WithIssuedAt())
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if c.Subject == "" {
		return Identity{}, fmt.Errorf("%w: no sub claim", ErrInvalidToken)
	}
	if len(c.Subject) > 255 || len(c.Name) > 255 {
		return Identity{}, fmt.Errorf("%w: sub or name over 255 bytes", ErrInvalidToken)
	}
	if strings.ContainsRune(c.Subject, 0) {
		return Identity{}, fmt.Errorf("%w: sub holds a NUL", ErrInvalidToken)
	}
	return Identity{Subject: c.Subject, Name: c.Name}, nil
}

// Issue signs an HS256 token for the subject, valid for ttl.
func (a *Authenticator) Issue(subject, name string, ttl time.Duration) (string, error) {
	if len(a.secret) == 0 {
		return "", errors.New("no AUTH_JWT_SECRET to sign with")
	}
	if subject == "" {
		return "", errors.New("a token needs a subject")
	}
	now := time.Now()
	c := claims{Name: name, RegisteredClaims: jwt.RegisteredClaims{
		Subject:   subject,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(a.secret)
}

type ctxKey struct{}

type state struct {
	id  *Identity
	err error
}

// Middleware reads the Authorization header. A request without one goes on
// anonymous; a request with a bad one goes on carrying the error, which
// FromContext reports, so the GraphQL layer answers UNAUTHENTICATED.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" {
			next.ServeHTTP(w, r)
			return
		}
		var st state
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			st.err = fmt.Errorf("%w: the Authorization header must be \"Bearer <token>\"", ErrInvalidToken)
		} else if id, err := a.Verify(r.Context(), strings.TrimSpace(token)); err != nil {
			st.err = err
		} else {
			st.id = &id
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, st)))
	})
}

// FromContext returns the caller's identity: nil and no error when the
// request carried no credentials, an error wrapping ErrInvalidToken when it
// carried bad ones.
func FromContext(ctx context.Context) (*Identity, error) {
	st, _ := ctx.Value(ctxKey{}).(state)
	return st.id, st.err
}
