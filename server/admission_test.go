package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// At most limit queries run at once, the others wait and then run; uploads
// pass even while the queries are all taken; a query whose client leaves
// while it waits never runs.
func TestAdmitQueries(t *testing.T) {
	release := make(chan struct{})
	var running, most, ran atomic.Int64
	h := admitQueries(2, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		ran.Add(1)
		if !isUpload(r) {
			<-release
		}
	}))
	query := func(ctx context.Context) *http.Request {
		r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ me { id } }"}`))
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() { h.ServeHTTP(httptest.NewRecorder(), query(context.Background())) })
	}
	eventually(t, "two queries running", func() bool { return running.Load() == 2 })

	up := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader("--b--"))
	up.Header.Set("Content-Type", "multipart/form-data; boundary=b")
	h.ServeHTTP(httptest.NewRecorder(), up) // returns: uploads do not queue

	ctx, cancel := context.WithCancel(context.Background())
	left := make(chan struct{})
	go func() { h.ServeHTTP(httptest.NewRecorder(), query(ctx)); close(left) }()
	cancel()
	<-left

	close(release)
	wg.Wait()
	if most.Load() > 3 { // two queries and the upload
		t.Errorf("%d requests ran at once", most.Load())
	}
	if ran.Load() != 6 {
		t.Errorf("%d requests ran, want the 5 queries and the upload (not the one whose client left)", ran.Load())
	}
}
