package main

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"
)

// TestUpload_AbortedMidBodyLeavesNothing sends half of a large upload over a
// raw connection, hangs up, and expects no temp file, no file and no row.
func TestUpload_AbortedMidBodyLeavesNothing(t *testing.T) {
	e := newEnv(t)
	tok := e.user("abort")
	f := pngFile("big.png", 2400, 1900, 60) // over 4 MiB: spilled, not kept in memory
	body, ctype := multipartBody(map[string]any{"query": uploadImageMutation, "variables": map[string]any{"file": nil}},
		[]file{f}, [][]string{{"variables.file"}})
	u, _ := url.Parse(e.srv.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var head bytes.Buffer
	fmt.Fprintf(&head, "POST /graphql HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nAuthorization: Bearer %s\r\n\r\n",
		u.Host, ctype, body.Len(), tok)
	if _, err := conn.Write(head.Bytes()); err != nil {
		t.Fatal(err)
	}
	half := body.Bytes()[:body.Len()*2/3]
	if _, err := conn.Write(half); err != nil {
		t.Fatal(err)
	}
	// The spool file exists while the body streams in.
	eventually(t, "a spooled temp file", func() bool { return len(e.spoolFiles()) > 0 })
	time.Sleep(50 * time.Millisecond)
	conn.Close()
	eventually(t, "the spool to empty", func() bool { return len(e.spoolFiles()) == 0 })
	if files := e.storedFiles(); len(files) != 0 {
		t.Errorf("files: %v", files)
	}
	if n := e.count(`SELECT count(*) FROM images i JOIN users u ON u.id = i.owner_id WHERE u.name = 'abort'`); n != 0 {
		t.Errorf("rows: %d", n)
	}
}
