package postgres_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mediagraph/mediagraph/internal/media"
)

func ptr[T any](v T) *T { return &v }

func TestInsertGallery_StoresEveryField(t *testing.T) {
	r, _ := repo(t)
	u := newUser(t, r)
	n := newImage(u.ID)
	n.Provider = map[string]any{"public_id": "x/y", "version": float64(3)}
	n.Alt = ptr("alt text")
	n.Tags = []string{"a", "b"}
	n.Orientation = 6
	got := insert(t, r, n)[0]
	if !media.IsID(got.ID) || got.OwnerID != u.ID || got.Kind != media.KindGallery || got.StorageKey != n.StorageKey ||
		got.Filename != n.Filename || got.ContentType != n.ContentType || got.Format != n.Format || got.Width != 10 ||
		got.Height != 20 || got.Orientation != 6 || got.Bytes != 123 || got.SHA256 != n.SHA256 ||
		got.Alt == nil || *got.Alt != "alt text" || !slices.Equal(got.Tags, n.Tags) || got.Placeholder != nil ||
		got.Provider["public_id"] != "x/y" || got.Provider["version"] != float64(3) || got.CreatedAt.Location() != time.UTC {
		t.Errorf("inserted %+v", got)
	}
	byID, err := r.ImagesByID(context.Background(), []string{got.ID, "00000000-0000-0000-0000-000000000000"})
	if err != nil || len(byID) != 1 || byID[got.ID].StorageKey != n.StorageKey || !byID[got.ID].CreatedAt.Equal(got.CreatedAt) {
		t.Errorf("ImagesByID: %+v, %v", byID, err)
	}
	bySum, err := r.GalleryImagesBySHA256(context.Background(), u.ID, []string{n.SHA256, strings.Repeat("0", 64)})
	if err != nil || len(bySum) != 1 || bySum[n.SHA256].ID != got.ID {
		t.Errorf("GalleryImagesBySHA256: %+v, %v", bySum, err)
	}
	if err := r.SetPlaceholder(context.Background(), got.ID, "data:image/png;base64,AA"); err != nil {
		t.Fatal(err)
	}
	if byID, _ := r.ImagesByID(context.Background(), []string{got.ID}); byID[got.ID].Placeholder == nil || *byID[got.ID].Placeholder != "data:image/png;base64,AA" {
		t.Errorf("placeholder %v", byID[got.ID].Placeholder)
	}
}

func TestInsertGallery_RefusedWhenTheGuardIsMissing(t *testing.T) {
	r, p := repo(t)
	ctx := context.Background()
	u := newUser(t, r)
	lone := newImage(u.ID)
	if imgs, err := r.InsertGallery(ctx, []media.NewImage{lone}); err == nil {
		t.Fatalf("inserted %+v without a guard", imgs)
	}
	// One of two guarded: neither row, and the guard that was there stays.
	guarded, unguarded := newImage(u.ID), newImage(u.ID)
	clearRemovals(t, p, []string{guarded.StorageKey})
	if err := r.GuardKeys(ctx, []string{guarded.StorageKey}, time.Hour, true); err != nil {
		t.Fatal(err)
	}
	if imgs, err := r.InsertGallery(ctx, []media.NewImage{guarded, unguarded}); err == nil {
		t.Fatalf("inserted %+v with a guard missing", imgs)
	}
	if c := count(t, p, `SELECT count(*) FROM images WHERE owner_id = $1`, u.ID); c != 0 {
		t.Errorf("%d rows written", c)
	}
	if c := count(t, p, `SELECT count(*) FROM blob_removals WHERE storage_key = $1 AND due_at > now()`, guarded.StorageKey); c != 1 {
		t.Errorf("the guard of the other key: %d rows (rolled back?)", c)
	}
	// An avatar without its guard is refused too.
	av := newImage(u.ID)
	av.Kind = media.KindAvatar
	if _, err := r.ReplaceAvatar(ctx, av, nil); err == nil {
		t.Error("ReplaceAvatar without a guard succeeded")
	}
	if c := count(t, p, `SELECT count(*) FROM images WHERE owner_id = $1`, u.ID); c != 0 {
		t.Errorf("%d rows written", c)
	}
}

func TestInsertGallery_SameBytesReturnTheExistingImage(t *testing.T) {
	r, p := repo(t)
	u := newUser(t, r)
	first := insert(t, r, newImage(u.ID))[0]
	dup := newImage(u.ID)
	dup.SHA256 = first.SHA256
	clearRemovals(t, p, []string{dup.StorageKey})
	got := insert(t, r, dup)[0]
	if got.ID != first.ID || got.StorageKey != first.StorageKey {
		t.Errorf("dup gave %s (%s), want %s (%s)", got.ID, got.StorageKey, first.ID, first.StorageKey)
	}
	if c := count(t, p, `SELECT count(*) FROM blob_removals WHERE storage_key = $1 AND due_at <= now()`, dup.StorageKey); c != 1 {
		t.Errorf("the loser's file is not queued for removal now (%d rows)", c)
	}
	// Another owner with the same bytes gets an image of their own.
	other := newUser(t, r)
	theirs := newImage(other.ID)
	theirs.SHA256 = first.SHA256
	if got := insert(t, r, theirs)[0]; got.ID == first.ID || got.OwnerID != other.ID {
		t.Errorf("other owner: %+v", got)
	}
}

func TestUpdateImage_TextRoundTripsNULAndBackslashes(t *testing.T) {
	r, p := repo(t)
	ctx := context.Background()
	u := newUser(t, r)
	img := insert(t, r, newImage(u.ID))[0]
	texts := []string{
		"plain",
		"a\x00b",
		"\x00",
		"\x00\x00",
		`back\slash`,
		`\`,
		`\\`,
		`\0`,
		`\\0`,
		"\\\x00",
		"\x00\\",
		"\x000",
		`\x00`,
		"trailing\\",
		"日本\x00語\\",
	}
	for _, s := range texts {
		tags := []string{s, "t" + s, s + "t"}
		got, err := r.UpdateImage(ctx, u.ID, img.ID, media.ImagePatch{Alt: &media.Optional[string]{Value: ptr(s)}, Tags: &tags})
		if err != nil {
			t.Fatalf("UpdateImage(%q): %v", s, err)
		}
		if got.Alt == nil || *got.Alt != s || !slices.Equal(got.Tags, tags) {
			t.Errorf("UpdateImage(%q) returned alt %q, tags %q", s, deref(got.Alt), got.Tags)
		}
		back, err := r.ImagesByID(ctx, []string{img.ID})
		if err != nil {
			t.Fatal(err)
		}
		if b := back[img.ID]; b.Alt == nil || *b.Alt != s || !slices.Equal(b.Tags, tags) {
			t.Errorf("read back %q as alt %q, tags %q", s, deref(b.Alt), b.Tags)
		}
		// The tag filter sees the value as written.
		if n, err := r.CountImages(ctx, u.ID, ptr(s)); err != nil || n != 1 {
			t.Errorf("CountImages(tag %q) = %d, %v", s, n, err)
		}
		if page, err := r.ListImages(ctx, media.ImageQuery{OwnerID: u.ID, First: 10, Tag: ptr(s)}); err != nil || len(page.Images) != 1 {
			t.Errorf("ListImages(tag %q): %d images, %v", s, len(page.Images), err)
		}
	}
	// Ordinary text is stored as it is.
	if _, err := r.UpdateImage(ctx, u.ID, img.ID, media.ImagePatch{Alt: &media.Optional[string]{Value: ptr("just words")}, Tags: &[]string{"cats"}}); err != nil {
		t.Fatal(err)
	}
	if c := count(t, p, `SELECT count(*) FROM images WHERE id = $1 AND alt = 'just words' AND tags = ARRAY['cats']`, img.ID); c != 1 {
		t.Error("ordinary text is not stored verbatim")
	}
	// A tag that only looks like an escape does not match the NUL it would decode to.
	if _, err := r.UpdateImage(ctx, u.ID, img.ID, media.ImagePatch{Tags: &[]string{"a\x00b"}}); err != nil {
		t.Fatal(err)
	}
	if n, _ := r.CountImages(ctx, u.ID, ptr(`a\0b`)); n != 0 {
		t.Errorf(`tag "a\\0b" matched an image tagged "a\x00b"`)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func TestUpdateImage_PatchSemantics(t *testing.T) {
	r, _ := repo(t)
	ctx := context.Background()
	u := newUser(t, r)
	n := newImage(u.ID)
	n.Alt, n.Tags = ptr("first"), []string{"x"}
	img := insert(t, r, n)[0]
	// Tags only: alt stays.
	got, err := r.UpdateImage(ctx, u.ID, img.ID, media.ImagePatch{Tags: &[]string{"y", "z"}})
	if err != nil || deref(got.Alt) != "first" || !slices.Equal(got.Tags, []string{"y", "z"}) {
		t.Errorf("tags only: %q %q %v", deref(got.Alt), got.Tags, err)
	}
	// Alt only: tags stay.
	got, err = r.UpdateImage(ctx, u.ID, img.ID, media.ImagePatch{Alt: &media.Optional[string]{Value: ptr("second")}})
	if err != nil || deref(got.Alt) != "second" || !slices.Equal(got.Tags, []string{"y", "z"}) {
		t.Errorf("alt only: %q %q %v", deref(got.Alt), got.Tags, err)
	}
	// Explicit null clears alt; empty tags clear tags.
	got, err = r.UpdateImage(ctx, u.ID, img.ID, media.ImagePatch{Alt: &media.Optional[string]{}, Tags: &[]string{}})
	if err != nil || got.Alt != nil || len(got.Tags) != 0 || got.Tags == nil {
		t.Errorf("cleared: %q %#v %v", deref(got.Alt), got.Tags, err)
	}
	other := newUser(t, r)
	if _, err := r.UpdateImage(ctx, other.ID, img.ID, media.ImagePatch{Tags: &[]string{"mine"}}); media.ErrorCode(err) != media.CodeForbidden {
		t.Errorf("someone else's image: %v", err)
	}
	if _, err := r.UpdateImage(ctx, u.ID, "00000000-0000-0000-0000-000000000000", media.ImagePatch{}); media.ErrorCode(err) != media.CodeNotFound {
		t.Errorf("unknown image: %v", err)
	}
}

func TestListImages_KeysetOrderBreaksEqualCreatedAtByID(t *testing.T) {
	r, p := repo(t)
	ctx := context.Background()
	u := newUser(t, r)
	var imgs []media.Image
	for range 7 {
		imgs = append(imgs, insert(t, r, newImage(u.ID))...)
	}
	// Five share one instant, one is older and one newer.
	same := time.Date(2024, 3, 1, 12, 0, 0, 123456000, time.UTC)
	for i, img := range imgs {
		at := same
		switch i {
		case 0:
			at = same.Add(-time.Microsecond)
		case 6:
			at = same.Add(time.Microsecond)
		}
		if _, err := p.Exec(ctx, `UPDATE images SET created_at = $2 WHERE id = $1`, img.ID, at); err != nil {
			t.Fatal(err)
		}
		imgs[i].CreatedAt = at
	}
	// An avatar of the same owner is never listed.
	av := newImage(u.ID)
	av.Kind = media.KindAvatar
	if err := r.GuardKeys(ctx, []string{av.StorageKey}, time.Hour, true); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReplaceAvatar(ctx, av, nil); err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(imgs)
	slices.SortFunc(want, func(a, b media.Image) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	for _, size := range []int{1, 2, 3, 7, 10} {
		var got []string
		var after *media.Cursor
		pages := 0
		for {
			page, err := r.ListImages(ctx, media.ImageQuery{OwnerID: u.ID, First: size, After: after})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(page.Images) > size {
				t.Fatalf("page of %d images for first=%d", len(page.Images), size)
			}
			for _, img := range page.Images {
				got = append(got, img.ID)
			}
			if !page.HasNext {
				break
			}
			if pages > 10 {
				t.Fatal("paging does not end")
			}
			last := page.Images[len(page.Images)-1]
			// Through the cursor's string form, as clients see it.
			c, err := media.ParseCursor(media.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}.String())
			if err != nil {
				t.Fatal(err)
			}
			after = &c
		}
		var wantIDs []string
		for _, img := range want {
			wantIDs = append(wantIDs, img.ID)
		}
		if !slices.Equal(got, wantIDs) {
			t.Errorf("first=%d: order\n%v\nwant\n%v", size, got, wantIDs)
		}
		if wantPages := (7 + size - 1) / size; pages != wantPages {
			t.Errorf("first=%d: %d pages, want %d (HasNext wrong on a full last page?)", size, pages, wantPages)
		}
	}
}

func TestCountImages_WithAndWithoutTag(t *testing.T) {
	r, _ := repo(t)
	ctx := context.Background()
	u := newUser(t, r)
	other := newUser(t, r)
	mk := func(owner string, tags ...string) {
		n := newImage(owner)
		n.Tags = tags
		insert(t, r, n)
	}
	mk(u.ID, "cat", "pet")
	mk(u.ID, "cat")
	mk(u.ID, "dog")
	mk(u.ID)
	mk(other.ID, "cat")
	for tag, want := range map[string]int{"cat": 2, "pet": 1, "dog": 1, "bird": 0, "Cat": 0, "ca": 0} {
		if n, err := r.CountImages(ctx, u.ID, ptr(tag)); err != nil || n != want {
			t.Errorf("CountImages(%q) = %d, %v; want %d", tag, n, err, want)
		}
		page, err := r.ListImages(ctx, media.ImageQuery{OwnerID: u.ID, First: 100, Tag: ptr(tag)})
		if err != nil || len(page.Images) != want {
			t.Errorf("ListImages(%q): %d, %v; want %d", tag, len(page.Images), err, want)
		}
	}
	if n, err := r.CountImages(ctx, u.ID, nil); err != nil || n != 4 {
		t.Errorf("CountImages(all) = %d, %v; want 4", n, err)
	}
	if n, err := r.CountImages(ctx, newUser(t, r).ID, nil); err != nil || n != 0 {
		t.Errorf("CountImages(nobody's) = %d, %v", n, err)
	}
}

func TestDeleteImage_QueuesTheFileNow(t *testing.T) {
	r, p := repo(t)
	ctx := context.Background()
	u := newUser(t, r)
	img := insert(t, r, newImage(u.ID))[0]
	clearRemovals(t, p, []string{img.StorageKey})
	other := newUser(t, r)
	if err := r.DeleteImage(ctx, other.ID, img.ID); media.ErrorCode(err) != media.CodeForbidden {
		t.Errorf("someone else's: %v", err)
	}
	if err := r.DeleteImage(ctx, u.ID, img.ID); err != nil {
		t.Fatal(err)
	}
	if c := count(t, p, `SELECT count(*) FROM blob_removals WHERE storage_key = $1 AND due_at <= now()`, img.StorageKey); c != 1 {
		t.Errorf("removal of the deleted image's file: %d rows due", c)
	}
	if err := r.DeleteImage(ctx, u.ID, img.ID); media.ErrorCode(err) != media.CodeNotFound {
		t.Errorf("deleted twice: %v", err)
	}
}
