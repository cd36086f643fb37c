package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"

	"github.com/mediagraph/mediagraph/internal/auth"
)

const secret = "unit-test-secret-unit-test-secret!"

func newHS(t *testing.T, cfg auth.Config) *auth.Authenticator {
	t.Helper()
	a, err := auth.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("auth.New(%+v): %v", cfg, err)
	}
	return a
}

// sign signs claims with the method and key, setting kid when not empty.
func sign(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign %s: %v", method.Alg(), err)
	}
	return s
}

// valid returns claims that pass every time check.
func valid(sub string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{"sub": sub, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
}

func with(c jwt.MapClaims, kv ...any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(out, k)
		} else {
			out[k] = kv[i+1]
		}
	}
	return out
}

func wantInvalid(t *testing.T, a *auth.Authenticator, what, token string) {
	t.Helper()
	id, err := a.Verify(context.Background(), token)
	if err == nil {
		t.Errorf("%s: verified as %+v, want an error", what, id)
		return
	}
	if !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("%s: error %v does not wrap ErrInvalidToken", what, err)
	}
	if id != (auth.Identity{}) {
		t.Errorf("%s: identity %+v returned with the error", what, id)
	}
}

func TestIssueVerify_RoundTripKeepsSubjectAndName(t *testing.T) {
	a := newHS(t, auth.Config{JWTSecret: secret})
	if a.Generated {
		t.Error("Generated is true although a secret was configured")
	}
	tok, err := a.Issue("user-42", "Ada Lovelace", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	id, err := a.Verify(context.Background(), tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if id != (auth.Identity{Subject: "user-42", Name: "Ada Lovelace"}) {
		t.Errorf("identity %+v", id)
	}
	// Another authenticator with the same secret accepts it too: the key
	// is the secret's bytes as written.
	if _, err := newHS(t, auth.Config{JWTSecret: secret}).Verify(context.Background(), tok); err != nil {
		t.Errorf("same secret, other authenticator: %v", err)
	}
	// A hand-signed HS256 token with the secret verifies as well.
	hand := sign(t, jwt.SigningMethodHS256, []byte(secret), "", with(valid("s"), "name", "N"))
	if id, err := a.Verify(context.Background(), hand); err != nil || id.Subject != "s" || id.Name != "N" {
		t.Errorf("hand-signed: %+v, %v", id, err)
	}
}

func TestIssue_RefusesEmptySubject(t *testing.T) {
	a := newHS(t, auth.Config{JWTSecret: secret})
	if tok, err := a.Issue("", "x", time.Hour); err == nil {
		t.Errorf("Issue with an empty subject gave %q", tok)
	}
}

func TestNew_WithoutConfigurationGeneratesASecret(t *testing.T) {
	a := newHS(t, auth.Config{})
	if !a.Generated {
		t.Fatal("Generated is false without a secret or a JWKS URL")
	}
	tok, err := a.Issue("demo", "", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(context.Background(), tok); err != nil {
		t.Errorf("own token: %v", err)
	}
	// Each process has its own random secret.
	wantInvalid(t, newHS(t, auth.Config{}), "other generated secret", tok)
}

func TestNew_RefusesNonHTTPJWKSURL(t *testing.T) {
	if _, err := auth.New(t.Context(), auth.Config{JWKSURL: "file:///etc/passwd"}); err == nil {
		t.Error("a file: JWKS URL was accepted")
	}
}

func TestVerify_RefusesBadHS256Tokens(t *testing.T) {
	a := newHS(t, auth.Config{JWTSecret: secret})
	key := []byte(secret)
	now := time.Now()
	long := strings.Repeat("s", 256)
	cases := []struct {
		name  string
		token string
	}{
		{"expired", sign(t, jwt.SigningMethodHS256, key, "", with(valid("u"), "exp", now.Add(-time.Hour).Unix()))},
		{"not yet valid", sign(t, jwt.SigningMethodHS256, key, "", with(valid("u"), "nbf", now.Add(time.Hour).Unix()))},
		{"issued in the future", sign(t, jwt.SigningMethodHS256, key, "", with(valid("u"), "iat", now.Add(time.Hour).Unix()))},
		{"wrong secret", sign(t, jwt.SigningMethodHS256, []byte(secret+"x"), "", valid("u"))},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", valid("u"))},
		{"HS512", sign(t, jwt.SigningMethodHS512, key, "", valid("u"))},
		{"HS384", sign(t, jwt.SigningMethodHS384, key, "", valid("u"))},
		{"missing sub", sign(t, jwt.SigningMethodHS256, key, "", with(valid("u"), "sub", nil))},
		{"empty sub", sign(t, jwt.SigningMethodHS256, key, "", valid(""))},
		{"sub over 255 bytes", sign(t, jwt.SigningMethodHS256, key, "", valid(long))},
		{"sub of 128 two-byte runes", sign(t, jwt.SigningMethodHS256, key, "", valid(strings.Repeat("é", 128)))},
		{"name over 255 bytes", sign(t, jwt.SigningMethodHS256, key, "", with(valid("u"), "name", long))},
		{"garbage", "not.a.token"},
		{"empty", ""},
		{"truncated signature", func() string {
			s := sign(t, jwt.SigningMethodHS256, key, "", valid("u"))
			return s[:len(s)-2]
		}()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantInvalid(t, a, c.name, c.token) })
	}
}

func TestVerify_AcceptsBoundaryTokens(t *testing.T) {
	a := newHS(t, auth.Config{JWTSecret: secret})
	key := []byte(secret)
	now := time.Now()
	cases := map[string]jwt.MapClaims{
		"sub of exactly 255 bytes":      valid(strings.Repeat("s", 255)),
		"name of exactly 255 bytes":     with(valid("u"), "name", strings.Repeat("n", 255)),
		"expired within the leeway":     with(valid("u"), "exp", now.Add(-2*time.Second).Unix()),
		"nbf just ahead, within leeway": with(valid("u"), "nbf", now.Add(2*time.Second).Unix()),
	}
	for name, c := range cases {
		if _, err := a.Verify(context.Background(), sign(t, jwt.SigningMethodHS256, key, "", c)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// jwksServer serves a JWKS with an RSA key "rsa1" (RS256) and a P-256 key
// "ec1" (ES256), and counts the requests it answers.
type jwksServer struct {
	url      string
	rsa      *rsa.PrivateKey
	ec       *ecdsa.PrivateKey
	requests atomic.Int64
}

func newJWKS(t *testing.T) *jwksServer {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	store := jwkset.NewMemoryStorage()
	for _, k := range []struct {
		key any
		kid string
		alg jwkset.ALG
	}{{&rk.PublicKey, "rsa1", jwkset.AlgRS256}, {&ek.PublicKey, "ec1", jwkset.AlgES256}} {
		jwk, err := jwkset.NewJWKFromKey(k.key, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: k.kid, ALG: k.alg}})
		if err != nil {
			t.Fatal(err)
		}
		if err := store.KeyWrite(context.Background(), jwk); err != nil {
			t.Fatal(err)
		}
	}
	body, err := store.JSONPublic(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s := &jwksServer{rsa: rk, ec: ek}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL + "/.well-known/jwks.json"
	return s
}

func (s *jwksServer) publicPEM(t *testing.T) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&s.rsa.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func (s *jwksServer) publicDER(t *testing.T) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&s.rsa.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestVerify_JWKSAcceptsRS256AndES256WithTheRightKID(t *testing.T) {
	j := newJWKS(t)
	a := newHS(t, auth.Config{JWKSURL: j.url})
	if j.requests.Load() == 0 {
		t.Error("New did not fetch the JWKS")
	}
	rs := sign(t, jwt.SigningMethodRS256, j.rsa, "rsa1", with(valid("rsa-user"), "name", "R"))
	if id, err := a.Verify(context.Background(), rs); err != nil || id != (auth.Identity{Subject: "rsa-user", Name: "R"}) {
		t.Errorf("RS256: %+v, %v", id, err)
	}
	es := sign(t, jwt.SigningMethodES256, j.ec, "ec1", valid("ec-user"))
	if id, err := a.Verify(context.Background(), es); err != nil || id.Subject != "ec-user" {
		t.Errorf("ES256: %+v, %v", id, err)
	}
}

func TestVerify_JWKSRefusesUnknownKID(t *testing.T) {
	j := newJWKS(t)
	a := newHS(t, auth.Config{JWKSURL: j.url})
	wantInvalid(t, a, "unknown kid", sign(t, jwt.SigningMethodRS256, j.rsa, "rsa2", valid("u")))
}

func TestVerify_JWKSRefusesAnotherKeyUnderAKnownKID(t *testing.T) {
	j := newJWKS(t)
	a := newHS(t, auth.Config{JWKSURL: j.url})
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	wantInvalid(t, a, "other RSA key as rsa1", sign(t, jwt.SigningMethodRS256, other, "rsa1", valid("u")))
	otherEC, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	wantInvalid(t, a, "other EC key as ec1", sign(t, jwt.SigningMethodES256, otherEC, "ec1", valid("u")))
}

func TestVerify_JWKSRefusesAnAlgorithmOtherThanTheKeys(t *testing.T) {
	j := newJWKS(t)
	a := newHS(t, auth.Config{JWKSURL: j.url})
	wantInvalid(t, a, "RS384 with rsa1", sign(t, jwt.SigningMethodRS384, j.rsa, "rsa1", valid("u")))
	wantInvalid(t, a, "PS256 with rsa1", sign(t, jwt.SigningMethodPS256, j.rsa, "rsa1", valid("u")))
	wantInvalid(t, a, "RS256 naming ec1", sign(t, jwt.SigningMethodRS256, j.rsa, "ec1", valid("u")))
	wantInvalid(t, a, "expired RS256", sign(t, jwt.SigningMethodRS256, j.rsa, "rsa1",
		with(valid("u"), "exp", time.Now().Add(-time.Hour).Unix())))
	wantInvalid(t, a, "RS256 without sub", sign(t, jwt.SigningMethodRS256, j.rsa, "rsa1", with(valid("u"), "sub", nil)))
}

func TestVerify_AlgorithmConfusionRefusedWithOnlyJWKS(t *testing.T) {
	j := newJWKS(t)
	a := newHS(t, auth.Config{JWKSURL: j.url})
	if a.Generated {
		t.Error("Generated is true with a JWKS configured")
	}
	for name, key := range map[string][]byte{"PEM": j.publicPEM(t), "DER": j.publicDER(t)} {
		for _, kid := range []string{"rsa1", ""} {
			tok := sign(t, jwt.SigningMethodHS256, key, kid, valid("attacker"))
			wantInvalid(t, a, "HS256 keyed with the public "+name+" kid="+kid, tok)
		}
	}
	// No HS256 token passes at all: there is no secret to check it against.
	wantInvalid(t, a, "HS256 with an arbitrary key", sign(t, jwt.SigningMethodHS256, []byte{0}, "", valid("attacker")))
	if tok, err := a.Issue("someone", "", time.Hour); err == nil {
		t.Errorf("Issue without a secret signed %q", tok)
	}
}

func TestVerify_AlgorithmConfusionRefusedWithSecretAndJWKS(t *testing.T) {
	j := newJWKS(t)
	a := newHS(t, auth.Config{JWTSecret: secret, JWKSURL: j.url})
	if a.Generated {
		t.Error("Generated is true with a secret configured")
	}
	for name, key := range map[string][]byte{"PEM": j.publicPEM(t), "DER": j.publicDER(t)} {
		for _, kid := range []string{"rsa1", ""} {
			tok := sign(t, jwt.SigningMethodHS256, key, kid, valid("attacker"))
			wantInvalid(t, a, "HS256 keyed with the public "+name+" kid="+kid, tok)
		}
	}
	// Both kinds of legitimate token still pass.
	tok, err := a.Issue("local", "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(context.Background(), tok); err != nil {
		t.Errorf("HS256 with the secret: %v", err)
	}
	if _, err := a.Verify(context.Background(), sign(t, jwt.SigningMethodRS256, j.rsa, "rsa1", valid("idp"))); err != nil {
		t.Errorf("RS256 from the JWKS: %v", err)
	}
	// The secret admits HS256 only.
	wantInvalid(t, a, "HS256 with the secret but HS512", sign(t, jwt.SigningMethodHS512, []byte(secret), "", valid("u")))
}

func TestVerify_OnlySecretRefusesRS256(t *testing.T) {
	j := newJWKS(t)
	a := newHS(t, auth.Config{JWTSecret: secret})
	wantInvalid(t, a, "RS256 without a JWKS", sign(t, jwt.SigningMethodRS256, j.rsa, "rsa1", valid("u")))
	wantInvalid(t, a, "ES256 without a JWKS", sign(t, jwt.SigningMethodES256, j.ec, "ec1", valid("u")))
}

// through runs a request with the Authorization header (none when empty)
// through the middleware and returns what the handler saw.
func through(t *testing.T, a *auth.Authenticator, header string) (*auth.Identity, error) {
	t.Helper()
	var id *auth.Identity
	var err error
	called := false
	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		called = true
		id, err = auth.FromContext(r.Context())
	}))
	req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	if header != "" {
		req.Header.Set("Authorization", header)
	}
	h.ServeHTTP(httptest.NewRecorder(), req)
	if !called {
		t.Fatalf("header %q: the next handler was not called", header)
	}
	return id, err
}

func TestMiddleware_NoHeaderIsAnonymous(t *testing.T) {
	a := newHS(t, auth.Config{JWTSecret: secret})
	id, err := through(t, a, "")
	if id != nil || err != nil {
		t.Errorf("no header: %+v, %v", id, err)
	}
	if id, err := auth.FromContext(context.Background()); id != nil || err != nil {
		t.Errorf("bare context: %+v, %v", id, err)
	}
}

func TestMiddleware_ValidBearerGivesIdentity(t *testing.T) {
	a := newHS(t, auth.Config{JWTSecret: secret})
	tok, err := a.Issue("mw-user", "M", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"Bearer " + tok, "bearer " + tok, "Bearer  " + tok + " "} {
		id, err := through(t, a, h)
		if err != nil || id == nil || *id != (auth.Identity{Subject: "mw-user", Name: "M"}) {
			t.Errorf("%q: %+v, %v", h[:8], id, err)
		}
	}
}

func TestMiddleware_BadHeaderIsAnErrorNeverAnonymous(t *testing.T) {
	a := newHS(t, auth.Config{JWTSecret: secret})
	other := newHS(t, auth.Config{JWTSecret: "another-secret-another-secret!!"})
	foreign, err := other.Issue("u", "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := a.Issue("u", "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"Basic x", "Basic " + tok, "Bearer ", "Bearer", "Bearer    ", tok, " ", "Bearer not-a-token", "Bearer " + foreign} {
		id, err := through(t, a, h)
		if err == nil || !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("%q: error %v, want one wrapping ErrInvalidToken", h, err)
		}
		if id != nil {
			t.Errorf("%q: identity %+v with a bad header", h, id)
		}
	}
}
