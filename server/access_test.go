package main

import (
	"net/http"
	"testing"
)

func TestAccess_ImagesAreTheirOwnersAlone(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.token("alice-access", "Alice"), e.token("bob-access", "Bob")
	img := e.uploadImage(alice, pngFile("a.png", 10, 10, 30), nil)

	var q struct{ Image *struct{ ID string } }
	e.query(bob, `query($id: ID!) { image(id: $id) { id } }`, map[string]any{"id": img.ID}).decode(t, &q)
	if q.Image != nil {
		t.Fatal("bob sees alice's image")
	}
	e.query(alice, `query($id: ID!) { image(id: $id) { id } }`, map[string]any{"id": img.ID}).decode(t, &q)
	if q.Image == nil || q.Image.ID != img.ID {
		t.Fatal("alice does not see her image")
	}
	for name, c := range map[string]struct{ query, code string }{
		"update": {`mutation($id: ID!) { updateImage(id: $id, alt: "mine") { id } }`, "FORBIDDEN"},
		"delete": {`mutation($id: ID!) { deleteImage(id: $id) }`, "FORBIDDEN"},
	} {
		t.Run(name, func(t *testing.T) {
			if resp := e.query(bob, c.query, map[string]any{"id": img.ID}); resp.code() != c.code {
				t.Fatalf("code %q: %s", resp.code(), resp.Raw)
			}
		})
	}
	// Public profile: name yes, gallery no.
	var u struct {
		User struct {
			Name string `json:"name"`
		} `json:"user"`
	}
	e.query(bob, `query($id: ID!) { user(id: $id) { name } }`, map[string]any{"id": img.Owner.ID}).decode(t, &u)
	if u.User.Name != "Alice" {
		t.Errorf("user = %+v", u)
	}
	if resp := e.query(bob, `query($id: ID!) { user(id: $id) { images { totalCount } } }`, map[string]any{"id": img.Owner.ID}); resp.code() != "FORBIDDEN" {
		t.Errorf("someone else's images: code %q: %s", resp.code(), resp.Raw)
	}
	// Still there after bob's attempts.
	if resp, _ := get(t, img.URL); resp.StatusCode != http.StatusOK {
		t.Errorf("alice's file: %d", resp.StatusCode)
	}
}

func TestAccess_UnknownAndMalformedIDs(t *testing.T) {
	e := newEnv(t)
	tok := e.user("ids")
	for _, id := range []string{"00000000-0000-0000-0000-000000000000", "not-a-uuid", "'; DROP TABLE images; --"} {
		var q struct {
			Image *struct{ ID string }
			User  *struct{ ID string }
		}
		e.query(tok, `query($id: ID!) { image(id: $id) { id } user(id: $id) { id } }`, map[string]any{"id": id}).decode(t, &q)
		if q.Image != nil || q.User != nil {
			t.Errorf("%q names something", id)
		}
		for _, m := range []string{`mutation($id: ID!) { deleteImage(id: $id) }`, `mutation($id: ID!) { updateImage(id: $id, alt: "x") { id } }`} {
			if resp := e.query(tok, m, map[string]any{"id": id}); resp.code() != "NOT_FOUND" {
				t.Errorf("%q: code %q: %s", id, resp.code(), resp.Raw)
			}
		}
	}
}

func TestUpdateImage_AltAndTagsRoundTrip(t *testing.T) {
	e := newEnv(t)
	tok := e.user("update")
	img := e.uploadImage(tok, pngFile("u.png", 10, 10, 31), map[string]any{"alt": "old", "tags": []string{"a"}})
	weird := "naïve, café | k=v \\0 \x00 \"quoted\" 🎉\n<b>"
	const m = `mutation($id: ID!, $alt: String, $tags: [String!]) { updateImage(id: $id, alt: $alt, tags: $tags) { alt tags } }`
	type result struct {
		UpdateImage struct {
			Alt  *string  `json:"alt"`
			Tags []string `json:"tags"`
		} `json:"updateImage"`
	}
	var r result
	e.query(tok, m, map[string]any{"id": img.ID, "alt": weird, "tags": []string{weird, "b,c", ""}}).decode(t, &r)
	if r.UpdateImage.Alt == nil || *r.UpdateImage.Alt != weird || len(r.UpdateImage.Tags) != 3 || r.UpdateImage.Tags[0] != weird {
		t.Fatalf("round trip: %+v", r.UpdateImage)
	}
	// Omitted arguments are left alone.
	r = result{}
	e.query(tok, m, map[string]any{"id": img.ID}).decode(t, &r)
	if r.UpdateImage.Alt == nil || *r.UpdateImage.Alt != weird || len(r.UpdateImage.Tags) != 3 {
		t.Fatalf("omitted arguments changed things: %+v", r.UpdateImage)
	}
	// The tag filter finds the odd tag.
	var l struct {
		Images struct{ TotalCount int } `json:"images"`
	}
	e.query(tok, `query($t: String) { images(tag: $t) { totalCount } }`, map[string]any{"t": weird}).decode(t, &l)
	if l.Images.TotalCount != 1 {
		t.Errorf("tag filter: %d", l.Images.TotalCount)
	}
	// Explicit null clears alt; [] clears tags.
	r = result{}
	e.query(tok, m, map[string]any{"id": img.ID, "alt": nil, "tags": []string{}}).decode(t, &r)
	if r.UpdateImage.Alt != nil || len(r.UpdateImage.Tags) != 0 {
		t.Fatalf("clearing: %+v", r.UpdateImage)
	}
	// A literal null clears too.
	e.query(tok, `mutation($id: ID!) { updateImage(id: $id, alt: "x") { alt } }`, map[string]any{"id": img.ID})
	r = result{}
	e.query(tok, `mutation($id: ID!) { updateImage(id: $id, alt: null) { alt tags } }`, map[string]any{"id": img.ID}).decode(t, &r)
	if r.UpdateImage.Alt != nil {
		t.Fatalf("literal null: %+v", r.UpdateImage)
	}
}

func TestDeleteImage_RemovesRowAndFile(t *testing.T) {
	e := newEnv(t)
	tok := e.user("delete")
	img := e.uploadImage(tok, pngFile("d.png", 10, 10, 32), nil)
	var out struct {
		DeleteImage string `json:"deleteImage"`
	}
	e.query(tok, `mutation($id: ID!) { deleteImage(id: $id) }`, map[string]any{"id": img.ID}).decode(t, &out)
	if out.DeleteImage != img.ID {
		t.Fatalf("deleteImage = %q", out.DeleteImage)
	}
	if resp, _ := get(t, img.URL); resp.StatusCode != http.StatusNotFound {
		t.Errorf("deleted file: %d", resp.StatusCode)
	}
	if n := e.count(`SELECT count(*) FROM images WHERE id = $1`, img.ID); n != 0 {
		t.Errorf("row left")
	}
	if f := e.storedFiles(); len(f) != 0 {
		t.Errorf("files left: %v", f)
	}
	if resp := e.query(tok, `mutation($id: ID!) { deleteImage(id: $id) }`, map[string]any{"id": img.ID}); resp.code() != "NOT_FOUND" {
		t.Errorf("second delete: %q", resp.code())
	}
}
