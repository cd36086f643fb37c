package main

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mediagraph/mediagraph/internal/media"
)

// photo12MP is a 4000x3000 JPEG (quality 90) that compresses like a photo:
// smooth gradients, shapes with edges, and a little grain. It is also
// written to $TMPDIR/mediagraph-12mp.jpg, so that other tools (vipsthumbnail)
// can be timed on the same bytes.
var photo12MP = sync.OnceValues(func() ([]byte, error) {
	const w, h = 4000, 3000
	m := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	r := rand.New(rand.NewPCG(12, 12))
	for y := range h {
		for x := range w {
			v := 60 + 120*x/w + 40*y/h + r.IntN(12)
			if (x/250+y/250)%3 == 0 { // blocks with hard edges
				v = 255 - v
			}
			m.Y[y*m.YStride+x] = uint8(min(v, 255))
		}
	}
	for y := range h / 2 {
		for x := range w / 2 {
			m.Cb[y*m.CStride+x] = uint8(90 + 80*x/(w/2))
			m.Cr[y*m.CStride+x] = uint8(170 - 60*y/(h/2))
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 90}); err != nil {
		return nil, err
	}
	return b.Bytes(), os.WriteFile(filepath.Join(os.TempDir(), "mediagraph-12mp.jpg"), b.Bytes(), 0o644)
})

// benchImage uploads the 12-megapixel photo and returns it as the service
// knows it.
func benchImage(b *testing.B, e *testEnv) *media.Image {
	b.Helper()
	data, err := photo12MP()
	if err != nil {
		b.Fatal(err)
	}
	tok := e.token("bench-render", "Render")
	up := e.uploadImage(tok, file{name: "photo.jpg", data: data}, nil)
	img, err := e.app.svc.Image(context.Background(), up.Owner.ID, up.ID)
	if err != nil || img == nil {
		b.Fatalf("image: %v", err)
	}
	return img
}

// cpuTime is the CPU time (user and system) the process has used: on a
// shared machine a steadier measure of work than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// fetch GETs url and returns the body's size; anything but 200 fails the
// benchmark (b.Error: it runs in RunParallel's goroutines too).
func fetch(b *testing.B, client *http.Client, url, accept string) int {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", accept)
	resp, err := client.Do(req)
	if err != nil {
		b.Error(err)
		return 0
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Errorf("GET %s: %d", url, resp.StatusCode)
	}
	return int(n)
}

// BenchmarkRendition times renditions of a 12-megapixel JPEG over HTTP, the
// first render (the cache emptied before each) and the cached serve, against
// the serving of an original file of the same size:
//
//	go test -run='^$' -bench=BenchmarkRendition -benchtime=10x ./server/
//	go test -run='^$' -bench='BenchmarkRendition/cached|BenchmarkRendition/original' -benchtime=20000x ./server/
func BenchmarkRendition(b *testing.B) {
	e := newEnv(b)
	img := benchImage(b, e)
	store := e.localStore()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	// first times fetches, each run on an empty rendition cache.
	first := func(b *testing.B, fetches func()) {
		var cpu time.Duration
		for b.Loop() {
			b.StopTimer()
			if err := os.RemoveAll(filepath.Join(e.mediaDir, "renditions")); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			start := cpuTime()
			fetches()
			cpu += cpuTime() - start
		}
		b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
	}
	fill := store.URL(img, &media.Transform{Width: 200, Height: 200, Crop: media.CropFill, Gravity: media.GravityAuto, Format: media.FormatJPG})
	b.Run("first-fill-200x200-jpg", func(b *testing.B) {
		first(b, func() { fetch(b, client, fill, "*/*") })
	})
	srcset := []string{}
	for _, w := range []int{320, 640, 1280} {
		srcset = append(srcset, store.URL(img, &media.Transform{Width: w, Crop: media.CropFill, Gravity: media.GravityAuto, Format: media.FormatWebP}))
	}
	b.Run("first-srcset-320-640-1280-webp", func(b *testing.B) {
		first(b, func() {
			for _, u := range srcset {
				fetch(b, client, u, "image/webp,*/*")
			}
		})
	})

	// Cached renditions against originals of the same size: both answered
	// from a file, with eight concurrent clients.
	size := fetch(b, client, fill, "*/*")
	b.Logf("the cached rendition and the original each have %d bytes", size)
	body := make([]byte, size)
	_, _ = rand.NewChaCha8([32]byte{1}).Read(body)
	key := store.NewKey("jpg")
	if _, err := store.Put(context.Background(), media.Blob{Key: key, Size: int64(size), Body: bytes.NewReader(body)}); err != nil {
		b.Fatal(err)
	}
	original := store.URL(&media.Image{StorageKey: key}, nil)
	for name, u := range map[string]string{"cached-fill-200x200-jpg": fill, "original-same-size": original} {
		b.Run(name, func(b *testing.B) {
			b.SetParallelism(8 / runtime.GOMAXPROCS(0))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					fetch(b, client, u, "*/*")
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}
