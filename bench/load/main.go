// Command load drives a GraphQL upload/gallery server with the same requests
// whichever server it is: mediagraph, the Apollo Server baseline in
// bench/apollo, or the bare upload handler it serves itself. It reports
// requests/s, MiB/s, latency percentiles, the server's peak RSS and CPU,
// and fails (exit status 1) on any answer that is not 200 without errors.
//
//	go run ./bench/load -url http://127.0.0.1:8080/graphql -mode upload -size 1MiB -n 300 -token $TOKEN -pid $PID
//	go run ./bench/load -url http://127.0.0.1:8080/graphql -mode page -n 200 -token $TOKEN -pid $PID
//	go run ./bench/load -serve-bare :8090 -dir /tmp/bare
//
// bench/sidebyside.sh runs all three servers in turn and prints one table.
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/jpeg"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "load: FAIL:", err)
		os.Exit(1)
	}
}

// uploadOperations is what every upload request asks; the bare handler
// ignores it.
const uploadOperations = `{"query":"mutation Upload($file: Upload!) { uploadImage(file: $file) { id sha256 width height url } }","variables":{"file":null}}`

// pageQuery is the gallery page that page mode asks for over and over.
const pageQuery = `query Gallery { images(first: 50) { edges { node { id url width height alt owner { id name avatar { url } } } } pageInfo { endCursor hasNextPage } } }`

type options struct {
	url         string
	mode        string
	size        int
	concurrency int
	requests    int
	duration    time.Duration
	warmup      int
	token       string
	pid         int
	label       string
	seed        int
	avatar      bool
	timeout     time.Duration
}

func run(args []string, stdout io.Writer) error {
	var o options
	var sizeText, bareAddr, bareDir string
	var bareFsync bool
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080/graphql", "GraphQL endpoint")
	fs.StringVar(&o.mode, "mode", "upload", "upload (uploadImage with one JPEG) or page (images(first: 50) with owner and avatar)")
	fs.StringVar(&sizeText, "size", "1MiB", "upload mode: file size (1MiB, 20MiB, 512KiB or bytes); the JPEG is 90-100% of it")
	fs.IntVar(&o.concurrency, "c", 8, "concurrent clients")
	fs.IntVar(&o.requests, "n", 200, "measured requests (ignored when -d is set)")
	fs.DurationVar(&o.duration, "d", 0, "measure for this long instead of -n requests")
	fs.IntVar(&o.warmup, "warmup", -1, "unmeasured requests first; -1: one per client for uploads, four per client for pages")
	fs.StringVar(&o.token, "token", "", "bearer token (Authorization header)")
	fs.IntVar(&o.pid, "pid", 0, "server process id: sample its RSS (children included) every 10 ms and read its CPU time")
	fs.StringVar(&o.label, "label", "", "name of the server in the report (default: the URL)")
	fs.IntVar(&o.seed, "seed", 60, "page mode: images the user must have before measuring (uploaded through the server when fewer)")
	fs.BoolVar(&o.avatar, "avatar", true, "page mode: give the user an avatar (setAvatar) before measuring, and require it in every page")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "longest one request may take")
	fs.StringVar(&bareAddr, "serve-bare", "", "instead of driving a server, serve the bare upload handler on this address (:8090)")
	fs.StringVar(&bareDir, "dir", "", "with -serve-bare: where the handler writes its files")
	fs.BoolVar(&bareFsync, "fsync", false, "with -serve-bare: flush each file and its directory before answering, as mediagraph does")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if bareAddr != "" {
		return serveBare(bareAddr, bareDir, bareFsync)
	}
	size, err := parseSize(sizeText)
	if err != nil {
		return err
	}
	o.size = size
	if o.label == "" {
		o.label = o.url
	}
	if o.concurrency < 1 || (o.duration <= 0 && o.requests < 1) {
		return errors.New("-c and -n (or -d) must be positive")
	}
	if o.warmup < 0 {
		o.warmup = o.concurrency
		if o.mode == "page" {
			o.warmup = 4 * o.concurrency
		}
	}
	if o.pid != 0 {
		if _, err := os.Stat("/proc/" + strconv.Itoa(o.pid)); err != nil {
			return fmt.Errorf("-pid %d: %w", o.pid, err)
		}
	}
	return drive(o, stdout)
}

func parseSize(s string) (int, error) {
	mult := 1
	num := s
	for _, u := range []struct {
		suffix string
		mult   int
	}{{"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if strings.HasSuffix(s, u.suffix) {
			mult, num = u.mult, strings.TrimSuffix(s, u.suffix)
			break
		}
	}
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("-size %q: want a positive size such as 1MiB or 20MiB", s)
	}
	return int(n * float64(mult)), nil
}

// client sends the requests of one run.
type client struct {
	o     options
	http  *http.Client
	runID string
	seq   atomic.Int64
}

func drive(o options, stdout io.Writer) error {
	runID := make([]byte, 6)
	_, _ = rand.Read(runID)
	c := &client{
		o:     o,
		runID: hex.EncodeToString(runID),
		http: &http.Client{
			Timeout: o.timeout,
			Transport: &http.Transport{
				MaxIdleConnsPerHost: 2 * o.concurrency,
				DisableCompression:  true, // none of the servers compresses; ask none to
			},
		},
	}

	var sampler *procSampler
	var idleRSS int64
	if o.pid != 0 {
		sampler = startProcSampler(o.pid)
		idleRSS = sampler.rss()
	}

	var send func() (int, error)
	var fileBytes int
	switch o.mode {
	case "upload":
		base, err := jpegOfSize(o.size)
		if err != nil {
			return err
		}
		fileBytes = len(base)
		send = func() (int, error) {
			body, err := c.upload(uploadOperations, base)
			if err != nil {
				return 0, err
			}
			return len(body), checkUpload(body)
		}
	case "page":
		if err := c.seedGallery(); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		body, err := c.query(pageQuery)
		if err != nil {
			return err
		}
		if err := checkPageDeep(body, o.avatar); err != nil {
			return fmt.Errorf("first page: %w: %.500s", err, body)
		}
		send = func() (int, error) {
			body, err := c.query(pageQuery)
			if err != nil {
				return 0, err
			}
			return len(body), checkPage(body)
		}
	default:
		return fmt.Errorf("-mode %q: want upload or page", o.mode)
	}

	if o.warmup > 0 {
		if _, err := c.phase(send, o.warmup, 0); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	var cpuBefore time.Duration
	if o.pid != 0 {
		cpuBefore = cpuTime(o.pid)
	}
	start := time.Now()
	res, err := c.phase(send, o.requests, o.duration)
	elapsed := time.Since(start)
	if err != nil {
		return err
	}
	var peakRSS, hwm int64
	var cpu time.Duration
	if sampler != nil {
		cpu = cpuTime(o.pid) - cpuBefore
		peakRSS, hwm = sampler.finish()
	}

	lat := res.latencies
	slices.Sort(lat)
	n := len(lat)
	secs := elapsed.Seconds()
	r := result{
		label: o.label, mode: o.mode, n: n, c: o.concurrency, secs: secs,
		rps: float64(n) / secs,
		p50: pct(lat, 0.50), p90: pct(lat, 0.90), p99: pct(lat, 0.99), max: lat[n-1],
		idleRSS: idleRSS, peakRSS: peakRSS, hwm: hwm,
		respBytes: res.bytes,
	}
	if o.mode == "upload" {
		r.size = sizeLabel(o.size)
		r.fileBytes = fileBytes
		r.mibps = float64(n) * float64(fileBytes) / (1 << 20) / secs
	} else {
		r.size = "-"
	}
	if o.pid != 0 {
		r.cpuPerReq = float64(cpu.Microseconds()) / 1000 / float64(n)
		r.cpuCores = cpu.Seconds() / secs
	}
	r.print(stdout, o.pid != 0)
	return nil
}

// upload sends one multipart request with base made unique by a comment.
func (c *client) upload(operations string, base []byte) ([]byte, error) {
	n := c.seq.Add(1)
	mu := newMultipartUpload(operations, base, fmt.Sprintf("mediagraph-bench run %s request %d", c.runID, n))
	req, err := http.NewRequest(http.MethodPost, c.o.url, mu.body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = mu.length
	req.Header.Set("Content-Type", mu.contentType)
	req.Header.Set("Apollo-Require-Preflight", "true")
	return c.do(req)
}

// query sends one JSON GraphQL request.
func (c *client) query(q string) ([]byte, error) {
	body, _ := json.Marshal(map[string]string{"query": q})
	req, err := http.NewRequest(http.MethodPost, c.o.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return c.do(req)
}

// do sends req with the token and returns the body of a 200 answer.
func (c *client) do(req *http.Request) ([]byte, error) {
	if c.o.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.o.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d: %.1000s", resp.StatusCode, body)
	}
	return body, nil
}

// gqlAnswer is the envelope of every GraphQL answer.
type gqlAnswer struct {
	Data   map[string]json.RawMessage `json:"data"`
	Errors []json.RawMessage          `json:"errors"`
}

func decodeAnswer(body []byte) (gqlAnswer, error) {
	var a gqlAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return a, fmt.Errorf("answer is not JSON: %w: %.300s", err, body)
	}
	if len(a.Errors) > 0 {
		return a, fmt.Errorf("answer has errors: %.1000s", body)
	}
	return a, nil
}

func checkUpload(body []byte) error {
	a, err := decodeAnswer(body)
	if err != nil {
		return err
	}
	var img struct{ ID string }
	if err := json.Unmarshal(a.Data["uploadImage"], &img); err != nil || img.ID == "" {
		return fmt.Errorf("no uploadImage.id in the answer: %.300s", body)
	}
	return nil
}

// checkPage is the check of every measured page: 200 (checked by do), JSON
// with data.images and no errors. Decoding 17 KB per request would take
// CPU from the server on a small machine, so it looks at the bytes, which
// both servers write as compact JSON; checkPageDeep decodes the first page.
func checkPage(body []byte) error {
	if bytes.Contains(body, []byte(`"errors"`)) || !bytes.Contains(body, []byte(`"images":{"edges":[`)) {
		return fmt.Errorf("not a page: %.1000s", body)
	}
	return nil
}

type pageAnswer struct {
	Edges []struct {
		Node struct {
			ID    string
			URL   string
			Owner struct {
				ID     string
				Avatar *struct{ URL string }
			}
		}
	}
	PageInfo struct {
		EndCursor   *string
		HasNextPage bool
	}
}

// decodePage decodes an answer to an images query.
func decodePage(body []byte) (pageAnswer, error) {
	var p pageAnswer
	a, err := decodeAnswer(body)
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal(a.Data["images"], &p); err != nil {
		return p, fmt.Errorf("data.images: %w", err)
	}
	return p, nil
}

func checkPageDeep(body []byte, avatar bool) error {
	p, err := decodePage(body)
	if err != nil {
		return err
	}
	if len(p.Edges) != 50 || !p.PageInfo.HasNextPage || p.PageInfo.EndCursor == nil {
		return fmt.Errorf("want 50 edges and a next page, got %d edges, hasNextPage %v", len(p.Edges), p.PageInfo.HasNextPage)
	}
	for _, e := range p.Edges {
		if e.Node.ID == "" || e.Node.URL == "" || e.Node.Owner.ID == "" {
			return errors.New("an edge without id, url or owner")
		}
		if avatar && (e.Node.Owner.Avatar == nil || e.Node.Owner.Avatar.URL == "") {
			return errors.New("an owner without avatar")
		}
	}
	return nil
}

// seedGallery makes sure the user has o.seed images and, with o.avatar, an
// avatar, uploading small JPEGs through the server under test.
func (c *client) seedGallery() error {
	if c.o.seed > 100 {
		return errors.New("-seed: at most 100")
	}
	if c.o.seed < 51 {
		return errors.New("-seed: at least 51, so that a page of 50 has a next page")
	}
	body, err := c.query(`{ images(first: 100) { edges { node { id } } } }`)
	if err != nil {
		return err
	}
	have, err := decodePage(body)
	if err != nil {
		return err
	}
	var small bytes.Buffer
	if err := jpeg.Encode(&small, noise(64, 64), &jpeg.Options{Quality: 92}); err != nil {
		return err
	}
	if missing := c.o.seed - len(have.Edges); missing > 0 {
		send := func() (int, error) {
			body, err := c.upload(uploadOperations, small.Bytes())
			if err != nil {
				return 0, err
			}
			return len(body), checkUpload(body)
		}
		if _, err := c.phase(send, missing, 0); err != nil {
			return err
		}
	}
	if !c.o.avatar {
		return nil
	}
	body, err = c.query(`{ images(first: 1) { edges { node { owner { avatar { url } } } } } }`)
	if err != nil {
		return err
	}
	if bytes.Contains(body, []byte(`"avatar":{"url":"`)) {
		return nil
	}
	body, err = c.upload(`{"query":"mutation SetAvatar($file: Upload!) { setAvatar(file: $file) { id } }","variables":{"file":null}}`, small.Bytes())
	if err != nil {
		return err
	}
	if _, err := decodeAnswer(body); err != nil {
		return fmt.Errorf("setAvatar: %w", err)
	}
	return nil
}

type phaseResult struct {
	latencies []time.Duration
	bytes     int64
}

// phase runs send from o.concurrency clients, count times in all or, when
// d > 0, until d has passed; it stops at the first failure.
func (c *client) phase(send func() (int, error), count int, d time.Duration) (phaseResult, error) {
	var (
		claimed  atomic.Int64
		failed   atomic.Bool
		firstErr error
		once     sync.Once
		mu       sync.Mutex
		res      phaseResult
		wg       sync.WaitGroup
	)
	deadline := time.Now().Add(d)
	for range c.o.concurrency {
		wg.Go(func() {
			var mine []time.Duration
			var bytes int64
			for !failed.Load() {
				if d > 0 {
					if time.Now().After(deadline) {
						break
					}
				} else if claimed.Add(1) > int64(count) {
					break
				}
				start := time.Now()
				n, err := send()
				if err != nil {
					once.Do(func() { firstErr = err })
					failed.Store(true)
					break
				}
				mine = append(mine, time.Since(start))
				bytes += int64(n)
			}
			mu.Lock()
			res.latencies = append(res.latencies, mine...)
			res.bytes += bytes
			mu.Unlock()
		})
	}
	wg.Wait()
	if firstErr != nil {
		return res, fmt.Errorf("after %d good answers: %w", len(res.latencies), firstErr)
	}
	if len(res.latencies) == 0 {
		return res, errors.New("no request was sent")
	}
	return res, nil
}

// pct is the nearest-rank percentile of sorted latencies.
func pct(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

func sizeLabel(n int) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%dMiB", n>>20)
	}
	if n%(1<<10) == 0 {
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return strconv.Itoa(n)
}

type result struct {
	label, mode, size     string
	n, c, fileBytes       int
	secs, rps, mibps      float64
	p50, p90, p99, max    time.Duration
	idleRSS, peakRSS, hwm int64
	cpuPerReq, cpuCores   float64
	respBytes             int64
}

func (r result) print(w io.Writer, withProc bool) {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	fmt.Fprintf(w, "%s: %s", r.label, r.mode)
	if r.mode == "upload" {
		fmt.Fprintf(w, " %s (%d-byte JPEG, each request unique)", r.size, r.fileBytes)
	} else {
		fmt.Fprintf(w, " images(first: 50) with owner and avatar (%d-byte answers)", r.respBytes/int64(r.n))
	}
	fmt.Fprintf(w, ", %d requests from %d clients in %.2f s\n", r.n, r.c, r.secs)
	fmt.Fprintf(w, "  requests/s  %.1f\n", r.rps)
	if r.mode == "upload" {
		fmt.Fprintf(w, "  MiB/s       %.1f\n", r.mibps)
	}
	fmt.Fprintf(w, "  latency     p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n", ms(r.p50), ms(r.p90), ms(r.p99), ms(r.max))
	if withProc {
		fmt.Fprintf(w, "  server RSS  %.1f MiB before, peak %.1f MiB (VmRSS every 10 ms), VmHWM %.1f MiB (process lifetime)\n",
			mib(r.idleRSS), mib(r.peakRSS), mib(r.hwm))
		fmt.Fprintf(w, "  server CPU  %.2f ms a request, %.2f cores (user+system of the process tree; PostgreSQL not included)\n", r.cpuPerReq, r.cpuCores)
	}
	fields := []string{
		"label=" + strings.ReplaceAll(r.label, " ", "_"),
		"mode=" + r.mode, "size=" + r.size,
		"n=" + strconv.Itoa(r.n), "c=" + strconv.Itoa(r.c),
		fmt.Sprintf("secs=%.2f", r.secs), fmt.Sprintf("rps=%.1f", r.rps),
		fmt.Sprintf("mibps=%.1f", r.mibps),
		fmt.Sprintf("p50_ms=%.1f", ms(r.p50)), fmt.Sprintf("p90_ms=%.1f", ms(r.p90)), fmt.Sprintf("p99_ms=%.1f", ms(r.p99)),
	}
	if withProc {
		fields = append(fields,
			fmt.Sprintf("rss_idle_mib=%.1f", mib(r.idleRSS)), fmt.Sprintf("rss_peak_mib=%.1f", mib(r.peakRSS)),
			fmt.Sprintf("hwm_mib=%.1f", mib(r.hwm)), fmt.Sprintf("cpu_ms_per_req=%.2f", r.cpuPerReq))
	}
	fmt.Fprintln(w, "RESULT "+strings.Join(fields, " "))
}
