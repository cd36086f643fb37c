package cloudinarytest

import (
	"crypto/sha1"
	"encoding/hex"
	"net/url"
	"testing"
)

// The signature rule is pinned against Cloudinary's documented example, not
// only against the SDK it mirrors: were both wrong the same way, every other
// test would still pass.
func TestStringToSign_MatchesCloudinarysDocumentedExample(t *testing.T) {
	params := url.Values{
		"eager":         {"w_400,h_300,c_pad|w_260,h_200,c_crop"},
		"public_id":     {"sample_image"},
		"timestamp":     {"1315060510"},
		"api_key":       {"ignored"},
		"file":          {"ignored"},
		"cloud_name":    {"ignored"},
		"resource_type": {"ignored"},
		"signature":     {"ignored"},
	}
	const want = "eager=w_400,h_300,c_pad|w_260,h_200,c_crop&public_id=sample_image&timestamp=1315060510"
	got := StringToSign(params)
	if got != want {
		t.Fatalf("string to sign %q, want %q", got, want)
	}
	sum := sha1.Sum([]byte(got + "abcd"))
	if sig := hex.EncodeToString(sum[:]); sig != "bfd09f95f331f558cbd1320e67aa8d488770583e" {
		t.Errorf("signature %s", sig)
	}
}

// Signature version 2: a '&' inside a value is signed as "%26", so that it
// cannot pass for a separator; array parameters are joined by ','.
func TestStringToSign_EscapesAmpersandsAndJoinsArrays(t *testing.T) {
	params := url.Values{
		"context":   {"caption=salt&pepper"},
		"tags[]":    {"a", "b"},
		"timestamp": {"1"},
	}
	if got, want := StringToSign(params), "context=caption=salt%26pepper&tags=a,b&timestamp=1"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
