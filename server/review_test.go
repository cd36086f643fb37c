package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUpload_AnonymousBodyIsNotReceived(t *testing.T) {
	e := newEnv(t)
	resp := e.upload("", uploadImageMutation, map[string]any{"file": nil}, []file{pngFile("a.png", 300, 300, 80)}, [][]string{{"variables.file"}})
	if resp.code() != "UNAUTHENTICATED" {
		t.Fatalf("code %q: %s", resp.code(), resp.Raw)
	}
	_, metrics := get(t, e.srv.URL+"/metrics")
	if !bytes.Contains(metrics, []byte("mediagraph_upload_files_total 0")) {
		t.Error("an anonymous upload's file was received")
	}
}

func TestBatch_AMutationIsSeenByTheOperationsAfterIt(t *testing.T) {
	e := newEnv(t)
	tok := e.user("batchcache")
	img := e.uploadImage(tok, pngFile("b.png", 8, 8, 81), nil)
	ops := []map[string]any{
		{"query": `query($id: ID!) { image(id: $id) { id } }`, "variables": map[string]any{"id": img.ID}},
		{"query": `mutation($id: ID!) { deleteImage(id: $id) }`, "variables": map[string]any{"id": img.ID}},
		{"query": `query($id: ID!) { image(id: $id) { id url } }`, "variables": map[string]any{"id": img.ID}},
	}
	body, _ := json.Marshal(ops)
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []struct {
		Data map[string]any `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out) != 3 {
		t.Fatalf("batch answer: %v %v", out, err)
	}
	if out[2].Data["image"] != nil {
		t.Errorf("the deleted image is still seen: %v", out[2].Data)
	}
}

func TestAvatar_NotAGalleryImageForTheGalleryMutations(t *testing.T) {
	e := newEnv(t)
	tok := e.user("avatarapart")
	var set struct {
		SetAvatar avatarUser `json:"setAvatar"`
	}
	e.setAvatar(tok, pngFile("me.png", 20, 20, 82), nil).decode(t, &set)
	id := set.SetAvatar.Avatar.ID
	for _, m := range []string{`mutation($id: ID!) { updateImage(id: $id, tags: ["x"]) { id } }`, `mutation($id: ID!) { deleteImage(id: $id) }`} {
		if resp := e.query(tok, m, map[string]any{"id": id}); resp.code() != "NOT_FOUND" {
			t.Errorf("code %q: %s", resp.code(), resp.Raw)
		}
	}
	if resp, _ := get(t, set.SetAvatar.Avatar.URL); resp.StatusCode != http.StatusOK {
		t.Errorf("avatar file: %d", resp.StatusCode)
	}
}

func TestQueries_SizeLimits(t *testing.T) {
	e := newEnv(t)
	long := `{ me { id } } #` + strings.Repeat("x", 70<<10)
	if resp := e.query("", long, nil); len(resp.Errors) == 0 || !strings.Contains(resp.Errors[0].Message, "64 KiB") {
		t.Errorf("a 70 KiB query: %s", resp.Raw[:min(len(resp.Raw), 200)])
	}
	many := "{" + strings.Repeat(" __typename", 6000) + " }"
	if resp := e.query("", many, nil); len(resp.Errors) == 0 {
		t.Error("6000 fields were accepted")
	}
	ops := make([]map[string]any, 11)
	for i := range ops {
		ops[i] = map[string]any{"query": `{ me { id } }`}
	}
	body, _ := json.Marshal(ops)
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if r := e.send(req); r.Status != http.StatusBadRequest {
		t.Errorf("a batch of 11: %d %s", r.Status, r.Raw)
	}
	// A page of 100 with srcSets passes the complexity limit; one asking for
	// far more work does not.
	tok := e.user("complexity")
	if resp := e.query(tok, `{ images(first: 100) { edges { node { id url srcSet(widths: [320, 640, 1280]) owner { name } } } } }`, nil); len(resp.Errors) > 0 {
		t.Errorf("a normal page: %s", resp.Raw)
	}
	var b strings.Builder
	for i := range 300 {
		b.WriteString(" s" + strings.Repeat("a", 1) + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `: srcSet(widths: [1,2,3,4,5,6,7,8,9,10])`)
	}
	if resp := e.query(tok, `{ images(first: 100) { edges { node {`+b.String()+` } } } }`, nil); len(resp.Errors) == 0 {
		t.Error("300 aliased srcSets over 100 images were accepted")
	}
}

func TestPlaceholder_UndecodableImageDoesNotFailTheQuery(t *testing.T) {
	e := newEnv(t)
	tok := e.user("undecodable")
	img := e.uploadImage(tok, pngFile("ok.png", 40, 40, 83), nil)
	// Its preview, made after the upload, is lost (as when the background
	// queue was full or the server restarted first), and the stored bytes
	// go bad behind the server's back.
	eventually(t, "the preview made after the upload", func() bool {
		return e.count(`SELECT count(*) FROM images WHERE id = $1 AND placeholder IS NOT NULL`, img.ID) == 1
	})
	if _, err := e.app.pool.Exec(t.Context(), `UPDATE images SET placeholder = NULL WHERE id = $1`, img.ID); err != nil {
		t.Fatal(err)
	}
	var key string
	if err := e.app.pool.QueryRow(t.Context(), `SELECT storage_key FROM images WHERE id = $1`, img.ID).Scan(&key); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.mediaDir, "originals", filepath.FromSlash(key)), []byte("\x89PNG\r\n\x1a\nbroken"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Images struct {
			Edges []struct {
				Node struct {
					ID          string  `json:"id"`
					Placeholder *string `json:"placeholder"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"images"`
	}
	e.query(tok, `{ images { edges { node { id placeholder } } } }`, nil).decode(t, &out)
	if len(out.Images.Edges) != 1 || out.Images.Edges[0].Node.Placeholder != nil {
		t.Fatalf("page: %+v", out.Images)
	}
}
