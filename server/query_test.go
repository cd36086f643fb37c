package main

import (
	"fmt"
	"testing"
)

type pageResult struct {
	Images struct {
		Edges []struct {
			Cursor string `json:"cursor"`
			Node   struct {
				ID string `json:"id"`
			} `json:"node"`
		} `json:"edges"`
		PageInfo struct {
			HasNextPage bool    `json:"hasNextPage"`
			EndCursor   *string `json:"endCursor"`
		} `json:"pageInfo"`
		TotalCount int `json:"totalCount"`
	} `json:"images"`
}

const pageQuery = `query($first: Int, $after: String, $tag: String) {
  images(first: $first, after: $after, tag: $tag) {
    edges { cursor node { id } } pageInfo { hasNextPage endCursor } totalCount
  }
}`

func TestImages_PaginationWalksNewestFirst(t *testing.T) {
	e := newEnv(t)
	tok := e.user("pages")
	var uploaded []string
	for i := range 7 {
		tags := []string{"all"}
		if i%2 == 0 {
			tags = append(tags, "even")
		}
		uploaded = append(uploaded, e.uploadImage(tok, pngFile(fmt.Sprintf("%d.png", i), 8, 8, uint64(100+i)), map[string]any{"tags": tags}).ID)
	}
	// An avatar is not part of the gallery.
	e.upload(tok, `mutation($f: Upload!) { setAvatar(file: $f) { id } }`, map[string]any{"f": nil},
		[]file{pngFile("me.png", 8, 8, 99)}, [][]string{{"variables.f"}})

	var seen []string
	var after any
	sizes := []int{}
	for {
		var p pageResult
		e.query(tok, pageQuery, map[string]any{"first": 3, "after": after}).decode(t, &p)
		if p.Images.TotalCount != 7 {
			t.Fatalf("totalCount = %d", p.Images.TotalCount)
		}
		sizes = append(sizes, len(p.Images.Edges))
		for _, edge := range p.Images.Edges {
			seen = append(seen, edge.Node.ID)
		}
		if n := len(p.Images.Edges); n > 0 && (p.Images.PageInfo.EndCursor == nil || *p.Images.PageInfo.EndCursor != p.Images.Edges[n-1].Cursor) {
			t.Fatal("endCursor is not the last edge's cursor")
		}
		if !p.Images.PageInfo.HasNextPage {
			break
		}
		after = *p.Images.PageInfo.EndCursor
	}
	if fmt.Sprint(sizes) != "[3 3 1]" {
		t.Errorf("page sizes %v", sizes)
	}
	for i := range uploaded {
		if seen[i] != uploaded[len(uploaded)-1-i] {
			t.Fatalf("order: got %v, uploaded %v", seen, uploaded)
		}
	}
	var p pageResult
	e.query(tok, pageQuery, map[string]any{"first": 2, "tag": "even"}).decode(t, &p)
	if p.Images.TotalCount != 4 || len(p.Images.Edges) != 2 || !p.Images.PageInfo.HasNextPage {
		t.Errorf("tag page: %+v", p.Images)
	}
	// Exactly first images left: the last page is full and says so.
	var last pageResult
	e.query(tok, pageQuery, map[string]any{"first": 7}).decode(t, &last)
	if len(last.Images.Edges) != 7 || last.Images.PageInfo.HasNextPage {
		t.Errorf("first 7 of 7: %d edges, hasNext %v", len(last.Images.Edges), last.Images.PageInfo.HasNextPage)
	}
}

func TestImages_OwnerAndAvatarWithoutNPlusOne(t *testing.T) {
	e := newEnv(t)
	tok := e.user("nplusone")
	e.upload(tok, `mutation($f: Upload!) { setAvatar(file: $f) { id } }`, map[string]any{"f": nil},
		[]file{pngFile("me.png", 8, 8, 199)}, [][]string{{"variables.f"}})
	for i := range 50 {
		e.uploadImage(tok, pngFile("x.png", 4, 4, uint64(200+i)), nil)
	}
	const q = `{ images(first: 50) { edges { node { owner { avatar { url } } } } } }`
	e.query(tok, q, nil) // warm: the user exists
	before := e.queries.Load()
	var out struct {
		Images struct {
			Edges []struct {
				Node struct {
					Owner struct {
						Avatar *struct{ URL string } `json:"avatar"`
					} `json:"owner"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"images"`
	}
	e.query(tok, q, nil).decode(t, &out)
	statements := e.queries.Load() - before
	if len(out.Images.Edges) != 50 || out.Images.Edges[49].Node.Owner.Avatar == nil {
		t.Fatalf("edges %d", len(out.Images.Edges))
	}
	// The page, the owner, the avatar: a constant, not 50.
	if statements > 4 {
		t.Errorf("%d SQL statements for 50 images", statements)
	}
}

// The page finds what its images ask of their owner through fragments and
// aliases too, in one statement per kind of row, owner and avatar in one
// round trip whether the owner has an avatar or not.
func TestImages_OwnerThroughFragmentsAndAliases(t *testing.T) {
	e := newEnv(t)
	tok := e.user("fragments")
	for i := range 3 {
		e.uploadImage(tok, pngFile("f.png", 4, 4, uint64(300+i)), nil)
	}
	var me struct {
		Me struct{ ID, Name string } `json:"me"`
	}
	e.query(tok, `{ me { id name } }`, nil).decode(t, &me)
	const q = `query { images(first: 2) { total: totalCount edges { node { ...Img } } } }
fragment Img on Image { id who: owner { id name avatar { url } small: avatarUrl(size: 32) } }`
	type page struct {
		Images struct {
			Total int `json:"total"`
			Edges []struct {
				Node struct {
					ID  string `json:"id"`
					Who struct {
						ID     string `json:"id"`
						Name   string `json:"name"`
						Avatar *struct {
							URL string `json:"url"`
						} `json:"avatar"`
						Small *string `json:"small"`
					} `json:"who"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"images"`
	}
	ask := func() (page, int64) {
		t.Helper()
		before := e.queries.Load()
		var p page
		e.query(tok, q, nil).decode(t, &p)
		return p, e.queries.Load() - before
	}

	p, statements := ask()
	if p.Images.Total != 3 || len(p.Images.Edges) != 2 {
		t.Fatalf("total %d, %d edges", p.Images.Total, len(p.Images.Edges))
	}
	for _, edge := range p.Images.Edges {
		if w := edge.Node.Who; w.ID != me.Me.ID || w.Name != me.Me.Name || w.Avatar != nil || w.Small != nil {
			t.Errorf("owner %+v, want %s without avatar", w, me.Me.ID)
		}
	}
	// The page, the count, the owner with (a lookup of) its avatar.
	if statements > 4 {
		t.Errorf("%d SQL statements without an avatar", statements)
	}

	e.upload(tok, `mutation($f: Upload!) { setAvatar(file: $f) { id } }`, map[string]any{"f": nil},
		[]file{pngFile("me.png", 8, 8, 399)}, [][]string{{"variables.f"}})
	p, statements = ask()
	for _, edge := range p.Images.Edges {
		if w := edge.Node.Who; w.Avatar == nil || w.Avatar.URL == "" || w.Small == nil {
			t.Errorf("owner %+v has no avatar", w)
		}
	}
	// The page, the count, the owner, the avatar.
	if statements > 4 {
		t.Errorf("%d SQL statements with an avatar", statements)
	}
}
