package main

import (
	"bytes"
	"image/jpeg"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestJPEGOfSize_IsWithinTenPercentUnder(t *testing.T) {
	const size = 256 << 10
	b, err := jpegOfSize(size)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < size*9/10 || len(b) > size {
		t.Fatalf("got %d bytes, want 90-100%% of %d", len(b), size)
	}
	if _, err := jpeg.DecodeConfig(bytes.NewReader(b)); err != nil {
		t.Fatalf("not a JPEG: %v", err)
	}
}

func TestUpload_BareHandlerStoresEachRequestsUniqueBytes(t *testing.T) {
	var base bytes.Buffer
	if err := jpeg.Encode(&base, noise(32, 32), nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	srv := httptest.NewServer(bareHandler(dir, false))
	defer srv.Close()
	c := &client{o: options{url: srv.URL + "/graphql", timeout: time.Minute}, http: srv.Client(), runID: "test"}
	for range 2 {
		body, err := c.upload(uploadOperations, base.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if err := checkUpload(body); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "bare-*"))
	if len(files) != 2 {
		t.Fatalf("stored %d files, want 2", len(files))
	}
	var stored [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasSuffix(b, base.Bytes()[2:]) || !bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF, 0xFE}) {
			t.Fatalf("stored file is not the base JPEG with a comment after SOI")
		}
		if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
			t.Fatalf("the commented JPEG does not decode: %v", err)
		}
		stored = append(stored, b)
	}
	if bytes.Equal(stored[0], stored[1]) {
		t.Fatal("two requests sent the same bytes")
	}
}

func TestCheckPage_RefusesErrors(t *testing.T) {
	for _, body := range []string{
		`{"errors":[{"message":"no"}],"data":null}`,
		`{"data":{"images":{"edges":[]}},"errors":[{"message":"partly"}]}`,
		`{"data":null}`,
	} {
		if err := checkPage([]byte(body)); err == nil {
			t.Errorf("checkPage accepted %s", body)
		}
	}
	if err := checkPage([]byte(`{"data":{"images":{"edges":[{"node":{"id":"1"}}]}}}`)); err != nil {
		t.Error(err)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int{"1MiB": 1 << 20, "20MiB": 20 << 20, "512KiB": 512 << 10, "1000": 1000, "0.5MiB": 1 << 19} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1MiB", "1GB"} {
		if _, err := parseSize(in); err == nil || !strings.Contains(err.Error(), "-size") {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}

func TestPct_IsNearestRank(t *testing.T) {
	var lat []time.Duration
	for i := 1; i <= 100; i++ {
		lat = append(lat, time.Duration(i))
	}
	if pct(lat, 0.5) != 50 || pct(lat, 0.99) != 99 || pct(lat, 1) != 100 || pct(lat[:1], 0.99) != 1 {
		t.Fatal("wrong percentile")
	}
}
