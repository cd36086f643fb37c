package main

import (
	"net/http"
	"testing"
)

type avatarUser struct {
	ID     string `json:"id"`
	Avatar *struct {
		ID    string `json:"id"`
		URL   string `json:"url"`
		Width int    `json:"width"`
	} `json:"avatar"`
	AvatarURL *string `json:"avatarUrl"`
}

const setAvatarMutation = `mutation($f: Upload!, $crop: CropInput) { setAvatar(file: $f, crop: $crop) { id avatar { id url width } avatarUrl(size: 64) } }`

func (e *testEnv) setAvatar(tok string, f file, crop map[string]any) *gqlResponse {
	return e.upload(tok, setAvatarMutation, map[string]any{"f": nil, "crop": crop}, []file{f}, [][]string{{"variables.f"}})
}

func TestSetAvatar_ReplacesAndRemoves(t *testing.T) {
	e := newEnv(t)
	tok := e.token("avatar-user", "Ava")
	var first struct {
		SetAvatar avatarUser `json:"setAvatar"`
	}
	e.setAvatar(tok, pngFile("me.png", 100, 80, 40), map[string]any{"x": 10, "y": 0, "width": 80, "height": 80}).decode(t, &first)
	if first.SetAvatar.Avatar == nil || first.SetAvatar.AvatarURL == nil || first.SetAvatar.Avatar.Width != 100 {
		t.Fatalf("setAvatar = %+v", first.SetAvatar)
	}
	oldURL := first.SetAvatar.Avatar.URL
	if resp, _ := get(t, oldURL); resp.StatusCode != http.StatusOK {
		t.Fatalf("avatar file: %d", resp.StatusCode)
	}
	// Anyone may see a user's name and avatar.
	var pub struct {
		User avatarUser `json:"user"`
	}
	e.query(e.user("stranger"), `query($id: ID!) { user(id: $id) { id avatar { id url width } avatarUrl(size: 64) } }`,
		map[string]any{"id": first.SetAvatar.ID}).decode(t, &pub)
	if pub.User.Avatar == nil || pub.User.Avatar.ID != first.SetAvatar.Avatar.ID {
		t.Fatalf("public avatar: %+v", pub.User)
	}

	var second struct {
		SetAvatar avatarUser `json:"setAvatar"`
	}
	e.setAvatar(tok, pngFile("me2.png", 50, 50, 41), nil).decode(t, &second)
	if second.SetAvatar.Avatar == nil || second.SetAvatar.Avatar.ID == first.SetAvatar.Avatar.ID {
		t.Fatalf("replace: %+v", second.SetAvatar)
	}
	if resp, _ := get(t, oldURL); resp.StatusCode != http.StatusNotFound {
		t.Errorf("replaced avatar still served: %d", resp.StatusCode)
	}
	var removed struct {
		RemoveAvatar avatarUser `json:"removeAvatar"`
	}
	e.query(tok, `mutation { removeAvatar { id avatar { id } avatarUrl } }`, nil).decode(t, &removed)
	if removed.RemoveAvatar.Avatar != nil || removed.RemoveAvatar.AvatarURL != nil {
		t.Fatalf("removeAvatar = %+v", removed.RemoveAvatar)
	}
	if resp, _ := get(t, second.SetAvatar.Avatar.URL); resp.StatusCode != http.StatusNotFound {
		t.Errorf("removed avatar still served: %d", resp.StatusCode)
	}
	if f := e.storedFiles(); len(f) != 0 {
		t.Errorf("files left: %v", f)
	}
}

func TestSetAvatar_CropMustLieInsideTheImage(t *testing.T) {
	e := newEnv(t)
	tok := e.user("crop")
	for name, crop := range map[string]map[string]any{
		"outside":  {"x": 50, "y": 0, "width": 60, "height": 10},
		"negative": {"x": -1, "y": 0, "width": 10, "height": 10},
		"empty":    {"x": 0, "y": 0, "width": 0, "height": 10},
	} {
		t.Run(name, func(t *testing.T) {
			if resp := e.setAvatar(tok, pngFile("c.png", 100, 40, 42), crop); resp.code() != "BAD_USER_INPUT" {
				t.Fatalf("code %q: %s", resp.code(), resp.Raw)
			}
		})
	}
	if f := e.storedFiles(); len(f) != 0 {
		t.Errorf("files left: %v", f)
	}
}

func TestSetAvatar_KeptApartFromTheGallery(t *testing.T) {
	e := newEnv(t)
	tok := e.user("apart")
	f := pngFile("same.png", 30, 30, 43)
	img := e.uploadImage(tok, f, nil)
	var set struct {
		SetAvatar avatarUser `json:"setAvatar"`
	}
	e.setAvatar(tok, f, nil).decode(t, &set)
	if set.SetAvatar.Avatar.ID == img.ID {
		t.Fatal("the avatar reused the gallery image")
	}
	var p pageResult
	e.query(tok, pageQuery, map[string]any{"first": 10}).decode(t, &p)
	if p.Images.TotalCount != 1 || len(p.Images.Edges) != 1 || p.Images.Edges[0].Node.ID != img.ID {
		t.Fatalf("gallery: %+v", p.Images)
	}
	e.query(tok, `mutation { removeAvatar { id } }`, nil)
	if resp, _ := get(t, img.URL); resp.StatusCode != http.StatusOK {
		t.Fatalf("removing the avatar touched the gallery image: %d", resp.StatusCode)
	}
}
