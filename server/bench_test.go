package main

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mediagraph/mediagraph/bench/bare"
)

// The upload benchmarks send the same requests to the whole pipeline
// (transport, validation, hashing, local store, row) and to a bare handler
// that only copies the multipart body's file part to disk, from eight
// concurrent clients over loopback, so that their figures compare directly:
//
//	go test -run='^$' -bench=BenchmarkUpload -benchtime=200x ./server/
//
// Each request carries different bytes (a JPEG with a numbered comment
// segment), so dedupe never spares the pipeline any work.
func BenchmarkUpload(b *testing.B) {
	defer debug.SetGCPercent(debug.SetGCPercent(defaultGCPercent))
	for _, size := range []int{1 << 20, 20 << 20} {
		base := jpegOfSize(b, size)
		label := fmt.Sprintf("%dMiB", size>>20)
		b.Run("pipeline-"+label, func(b *testing.B) {
			e := newEnv(b)
			tok := e.token("bench", "Bench")
			benchUploads(b, e.srv.URL+"/graphql", tok, base)
		})
		// What the flushes cost: the bare handler never waits for the disk.
		b.Run("pipeline-nofsync-"+label, func(b *testing.B) {
			e := newEnv(b, func(c *config) { c.MediaFsync = false })
			tok := e.token("bench", "Bench")
			benchUploads(b, e.srv.URL+"/graphql", tok, base)
		})
		b.Run("bare-"+label, func(b *testing.B) {
			dir := b.TempDir()
			srv := httptest.NewServer(bare.Handler(dir, false))
			defer srv.Close()
			benchUploads(b, srv.URL+"/graphql", "", base)
		})
		// The bare handler made durable as the pipeline's files are: each
		// copy and its directory entry flushed before the answer.
		b.Run("bare-fsync-"+label, func(b *testing.B) {
			dir := b.TempDir()
			srv := httptest.NewServer(bare.Handler(dir, true))
			defer srv.Close()
			benchUploads(b, srv.URL+"/graphql", "", base)
		})
	}
}

// benchUploads posts b.N uploads from eight concurrent clients and reports
// throughput and the peak heap above what it was before.
func benchUploads(b *testing.B, url, tok string, base []byte) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
		}
	})
	b.SetBytes(int64(len(base)))
	b.SetParallelism(8 / runtime.GOMAXPROCS(0))
	cpu := startCPUMeter(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body, ctype, n := uniqueUpload(base, benchSeq.Add(1))
			req, _ := http.NewRequest(http.MethodPost, url, body)
			req.ContentLength = n
			req.Header.Set("Content-Type", ctype)
			req.Header.Set("Apollo-Require-Preflight", "true")
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			if !postOK(b, client, req, func(out []byte) bool { return bytes.Contains(out, []byte(`"id"`)) }) {
				return
			}
		}
	})
	b.StopTimer()
	cpu.report()
	close(stop)
	sampler.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	if p := peak.Load(); p > before.HeapInuse {
		b.ReportMetric(float64(p-before.HeapInuse)/(1<<20), "peak-heap-MiB")
	}
}

// uniqueUpload streams an uploadImage request whose file is base with a
// numbered JPEG comment after SOI, without copying base.
// benchRun makes every run's uploads differ from earlier runs' ones, which
// the package's shared database still holds: a repeat would be deduped.
var (
	benchRun = rand.Text()
	benchSeq atomic.Int64
)

func uniqueUpload(base []byte, n int64) (io.Reader, string, int64) {
	var head bytes.Buffer
	w := multipart.NewWriter(&head)
	_ = w.WriteField("operations", `{"query":"mutation($file: Upload!) { uploadImage(file: $file) { id sha256 } }","variables":{"file":null}}`)
	_ = w.WriteField("map", `{"1":["variables.file"]}`)
	_, _ = w.CreateFormFile("1", "bench.jpg")
	comment := fmt.Sprintf("upload %s %d", benchRun, n)
	head.Write(base[:2]) // SOI
	head.Write([]byte{0xFF, 0xFE})
	_ = binary.Write(&head, binary.BigEndian, uint16(len(comment)+2))
	head.WriteString(comment)
	tail := "\r\n--" + w.Boundary() + "--\r\n"
	size := int64(head.Len()) + int64(len(base)-2) + int64(len(tail))
	return io.MultiReader(&head, bytes.NewReader(base[2:]), strings.NewReader(tail)), w.FormDataContentType(), size
}

// jpegOfSize encodes noise until the JPEG is about size bytes.
func jpegOfSize(b *testing.B, size int) []byte {
	b.Helper()
	side := 256
	for {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, noisyImage(side, side, 7), &jpeg.Options{Quality: 92}); err != nil {
			b.Fatal(err)
		}
		if buf.Len() >= size*9/10 && buf.Len() < size {
			return buf.Bytes()
		}
		if buf.Len() >= size {
			side = int(float64(side) * 0.97)
		} else {
			side = int(float64(side) * 1.1)
		}
	}
}

// BenchmarkImagesPage asks eight concurrent clients for a page of 50 images
// with owner and avatar, the query a gallery page makes:
//
//	go test -run='^$' -bench=BenchmarkImagesPage -benchtime=2000x ./server/
func BenchmarkImagesPage(b *testing.B) {
	defer debug.SetGCPercent(debug.SetGCPercent(defaultGCPercent))
	e, tok := galleryEnv(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	var mu sync.Mutex
	var latencies []time.Duration
	b.SetParallelism(8 / runtime.GOMAXPROCS(0))
	cpu := startCPUMeter(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			d, ok := askGalleryPage(b, client, e, tok)
			if !ok {
				return
			}
			mine = append(mine, d)
		}
		mu.Lock()
		latencies = append(latencies, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	cpu.report()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	if len(latencies) > 0 {
		slices.Sort(latencies)
		b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// BenchmarkOneClientImagesPage asks for the same page from one client at a
// time: its latency is the request's own, not a queue behind seven others.
//
//	go test -run='^$' -bench=BenchmarkOneClientImagesPage -benchtime=1000x ./server/
func BenchmarkOneClientImagesPage(b *testing.B) {
	defer debug.SetGCPercent(debug.SetGCPercent(defaultGCPercent))
	e, tok := galleryEnv(b)
	client := &http.Client{}
	latencies := make([]time.Duration, 0, b.N)
	cpu := startCPUMeter(b)
	b.ResetTimer()
	for range b.N {
		d, ok := askGalleryPage(b, client, e, tok)
		if !ok {
			return
		}
		latencies = append(latencies, d)
	}
	b.StopTimer()
	cpu.report()
	slices.Sort(latencies)
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
}

// galleryEnv is a server holding a user with an avatar and 60 images.
func galleryEnv(b *testing.B) (*testEnv, string) {
	e := newEnv(b)
	tok := e.token("bench-page", "Page")
	e.upload(tok, `mutation($f: Upload!) { setAvatar(file: $f) { id } }`, map[string]any{"f": nil},
		[]file{pngFile("me.png", 64, 64, 1)}, [][]string{{"variables.f"}})
	for i := range 60 {
		e.uploadImage(tok, pngFile("p.png", 8, 8, uint64(1000+i)), nil)
	}
	return e, tok
}

// galleryPageBody is the query a gallery page makes.
var galleryPageBody = []byte(`{"query":"{ images(first: 50) { totalCount edges { cursor node { id url width height alt owner { id name avatar { url } } } } pageInfo { hasNextPage endCursor } } }"}`)

// askGalleryPage sends the gallery query and returns how long it took.
func askGalleryPage(b *testing.B, client *http.Client, e *testEnv, tok string) (time.Duration, bool) {
	start := time.Now()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", bytes.NewReader(galleryPageBody))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	ok := postOK(b, client, req, func(out []byte) bool { return !bytes.Contains(out, []byte(`"errors"`)) })
	return time.Since(start), ok
}

// postOK sends req and reports whether it was answered 200 with a body that
// passes ok; anything else fails the benchmark.
func postOK(b *testing.B, client *http.Client, req *http.Request, ok func([]byte) bool) bool {
	resp, err := client.Do(req)
	if err != nil {
		b.Error(err)
		return false
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !ok(out) {
		b.Errorf("status %d: %s", resp.StatusCode, out)
		return false
	}
	return true
}

// cpuMeter measures the CPU time (user and system) the test process, client
// and server together, spends per operation. Unlike req/s it barely moves
// when other programs load the machine, so pipeline and bare compare even
// on a busy host. PostgreSQL's share is not in it; host-cpu-ms/op is the
// whole machine's busy CPU per operation (from /proc/stat, where there is
// one): PostgreSQL, the kernel's writeback and whatever else runs included.
type cpuMeter struct {
	b         *testing.B
	start     time.Duration
	hostStart time.Duration
}

func startCPUMeter(b *testing.B) cpuMeter {
	return cpuMeter{b: b, start: processCPU(b), hostStart: hostCPU()}
}

func (m cpuMeter) report() {
	used := processCPU(m.b) - m.start
	m.b.ReportMetric(float64(used.Microseconds())/1000/float64(m.b.N), "cpu-ms/op")
	if m.hostStart > 0 {
		host := hostCPU() - m.hostStart
		m.b.ReportMetric(float64(host.Microseconds())/1000/float64(m.b.N), "host-cpu-ms/op")
	}
}

// hostCPU is the busy time of all CPUs since boot (user, nice, system, irq,
// softirq, steal), or 0 without /proc/stat.
func hostCPU() time.Duration {
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(stat), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} { // not idle (4) nor iowait (5)
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
