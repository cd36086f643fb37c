package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// program runs the whole server as main does, in this process.
type program struct {
	addr   string
	stderr *bytes.Buffer
	cancel context.CancelFunc
	// exited closes when run returns; code is its exit code then.
	exited chan struct{}
	code   int
}

// wait returns the exit code once the program has stopped.
func (p *program) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.exited:
		return p.code
	case <-time.After(40 * time.Second):
		t.Fatal("the program did not exit")
		return -1
	}
}

func startProgram(t *testing.T, env map[string]string) *program {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &program{stderr: &bytes.Buffer{}, exited: make(chan struct{}), cancel: cancel}
	listening := make(chan string, 1)
	getenv := func(k string) string { return env[k] }
	w := &lockedWriter{w: p.stderr}
	go func() {
		p.code = run(ctx, nil, getenv, io.Discard, w, func(a net.Addr) { listening <- a.String() })
		close(p.exited)
	}()
	select {
	case a := <-listening:
		_, port, _ := net.SplitHostPort(a)
		p.addr = "http://127.0.0.1:" + port
	case <-p.exited:
		t.Fatalf("program exited %d: %s", p.code, p.stderr)
	case <-time.After(30 * time.Second):
		t.Fatal("program did not start")
	}
	t.Cleanup(func() {
		cancel()
		p.wait(t)
	})
	return p
}

func programEnv(t *testing.T, mediaDir string) map[string]string {
	return map[string]string{"DATABASE_URL": dbURL, "PORT": "0", "MEDIA_DIR": mediaDir, "AUTH_JWT_SECRET": testSecret}
}

func TestProgram_ServesAndShutsDownGracefully(t *testing.T) {
	dir := t.TempDir()
	p := startProgram(t, programEnv(t, dir))
	if resp, _ := get(t, p.addr+"/healthz"); resp.StatusCode != 200 {
		t.Fatalf("healthz %d", resp.StatusCode)
	}
	// An upload whose body is still arriving when SIGTERM comes completes.
	e := &testEnv{t: t}
	tok := e.token("graceful", "G")
	f := pngFile("slow.png", 300, 300, 70)
	body, ctype := multipartBody(map[string]any{"query": uploadImageMutation, "variables": map[string]any{"file": nil}},
		[]file{f}, [][]string{{"variables.file"}})
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, p.addr+"/graphql", pr)
	req.ContentLength = int64(body.Len())
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+tok)
	var resp *http.Response
	var reqErr error
	var wg sync.WaitGroup
	wg.Go(func() { resp, reqErr = http.DefaultClient.Do(req) })
	raw := body.Bytes()
	_, _ = pw.Write(raw[:len(raw)/2])
	time.Sleep(100 * time.Millisecond)
	p.cancel() // SIGTERM
	time.Sleep(200 * time.Millisecond)
	_, _ = pw.Write(raw[len(raw)/2:])
	_ = pw.Close()
	wg.Wait()
	if reqErr != nil {
		t.Fatalf("in-flight upload: %v", reqErr)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(b, []byte(`"sha256"`)) {
		t.Fatalf("in-flight upload answered %s", b)
	}
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d: %s", code, p.stderr)
	}
	if strings.Contains(p.stderr.String(), testSecret) || strings.Contains(p.stderr.String(), tok) {
		t.Error("a credential reached the log")
	}
}

// TestProgram_StartRemovesWhatACrashLeft plants what a kill -9 mid-upload
// leaves (a spooled temp file, a stored file whose row was never written,
// its guard) and expects the next start to remove them and keep the rest.
func TestProgram_StartRemovesWhatACrashLeft(t *testing.T) {
	dir := t.TempDir()
	p := startProgram(t, programEnv(t, dir))
	e := &testEnv{t: t}
	tok := e.token("crash", "C")
	kept := uploadTo(t, p.addr, tok, pngFile("kept.png", 10, 10, 71))
	p.cancel()
	p.wait(t)

	orphanKey := "ab/" + strings.Repeat("c", 32) + ".png"
	orphan := filepath.Join(dir, "originals", filepath.FromSlash(orphanKey))
	must(t, os.MkdirAll(filepath.Dir(orphan), 0o755))
	must(t, os.WriteFile(orphan, []byte("half an upload"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, ".spool", "upload-123"), []byte("temp"), 0o600))
	// A power loss can take an unflushed guard too: a file nothing names.
	unnamed := filepath.Join(dir, "originals", "cd", strings.Repeat("e", 32)+".jpg")
	must(t, os.MkdirAll(filepath.Dir(unnamed), 0o755))
	must(t, os.WriteFile(unnamed, []byte("no guard"), 0o644))
	conn, err := pgx.Connect(context.Background(), dbURL)
	must(t, err)
	_, err = conn.Exec(context.Background(), `INSERT INTO blob_removals (storage_key, due_at) VALUES ($1, now() + interval '1 hour')`, orphanKey)
	must(t, err)
	conn.Close(context.Background())

	p2 := startProgram(t, programEnv(t, dir))
	eventually(t, "the orphans to go", func() bool {
		_, err1 := os.Stat(orphan)
		_, err2 := os.Stat(unnamed)
		return os.IsNotExist(err1) && os.IsNotExist(err2)
	})
	if entries, _ := os.ReadDir(filepath.Join(dir, ".spool")); len(entries) != 0 {
		t.Errorf("spool: %v", entries)
	}
	if resp, _ := get(t, strings.Replace(kept, "http://localhost:0", p2.addr, 1)); resp.StatusCode != 200 {
		t.Errorf("kept image: %d (%s)", resp.StatusCode, kept)
	}
}

func uploadTo(t *testing.T, addr, tok string, f file) string {
	t.Helper()
	body, ctype := multipartBody(map[string]any{"query": uploadImageMutation, "variables": map[string]any{"file": nil}},
		[]file{f}, [][]string{{"variables.file"}})
	req, _ := http.NewRequest(http.MethodPost, addr+"/graphql", body)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	i := bytes.Index(b, []byte(`"url":"`))
	if i < 0 {
		t.Fatalf("upload: %s", b)
	}
	rest := b[i+7:]
	return string(rest[:bytes.IndexByte(rest, '"')])
}

func TestProgram_TokenAndHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"token", "--sub", "alice", "--name", "Alice"},
		func(k string) string { return map[string]string{"AUTH_JWT_SECRET": testSecret}[k] }, &out, &errOut, nil)
	if code != 0 {
		t.Fatalf("token: %d %s", code, errOut.String())
	}
	e := newEnv(t)
	var me struct {
		Me struct{ Name string } `json:"me"`
	}
	e.query(strings.TrimSpace(out.String()), `{ me { name } }`, nil).decode(t, &me)
	if me.Me.Name != "Alice" {
		t.Errorf("me = %+v", me)
	}

	errOut.Reset()
	if code := run(context.Background(), []string{"token", "--sub", "x"}, func(string) string { return "" }, &out, &errOut, nil); code == 0 ||
		!strings.Contains(errOut.String(), "AUTH_JWT_SECRET") {
		t.Errorf("token without a secret: %d %s", code, errOut.String())
	}

	errOut.Reset()
	if code := run(context.Background(), []string{"--help"}, func(string) string { return "" }, &out, &errOut, nil); code != 0 {
		t.Errorf("--help exit %d", code)
	}
	for _, s := range settings {
		if !strings.Contains(errOut.String(), "-"+s.flag) || !strings.Contains(errOut.String(), s.env) {
			t.Errorf("--help lacks %s / %s", s.flag, s.env)
		}
	}

	errOut.Reset()
	code = run(context.Background(), nil, func(k string) string {
		return map[string]string{"PORT": "eighty", "MAX_FILES": "0", "CLOUDINARY_TIMEOUT": "soon"}[k]
	}, &out, &errOut, nil)
	for _, v := range []string{"PORT", "MAX_FILES", "CLOUDINARY_TIMEOUT"} {
		if code != 2 || !strings.Contains(errOut.String(), v) {
			t.Errorf("bad %s: exit %d, %s", v, code, errOut.String())
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(fmt.Errorf("%w", err))
	}
}
