package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mediagraph/mediagraph/internal/media"
)

func TestEnsureUser_ConcurrentFirstSightMakesOneRow(t *testing.T) {
	r, p := repo(t)
	subject := "race-" + randHex(8)
	const n = 20
	users := make([]media.User, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			users[i], errs[i] = r.EnsureUser(context.Background(), subject, "Racer")
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("EnsureUser %d: %v", i, errs[i])
		}
		if users[i].ID != users[0].ID || users[i].Subject != subject || users[i].Name != "Racer" {
			t.Errorf("EnsureUser %d: %+v, EnsureUser 0: %+v", i, users[i], users[0])
		}
	}
	if c := count(t, p, `SELECT count(*) FROM users WHERE subject = $1`, subject); c != 1 {
		t.Errorf("%d rows for one subject", c)
	}
}

func TestEnsureUser_NameFollowsTheTokenAndIsKeptWithoutOne(t *testing.T) {
	r, _ := repo(t)
	ctx := context.Background()
	subject := "names-" + randHex(8)
	u, err := r.EnsureUser(ctx, subject, "Ann")
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "Ann" || u.Subject != subject || !media.IsID(u.ID) || u.CreatedAt.IsZero() || u.AvatarID != nil || u.AvatarCrop != nil {
		t.Fatalf("new user %+v", u)
	}
	renamed, err := r.EnsureUser(ctx, subject, "Annie")
	if err != nil || renamed.ID != u.ID || renamed.Name != "Annie" {
		t.Fatalf("renamed: %+v, %v", renamed, err)
	}
	if !renamed.CreatedAt.Equal(u.CreatedAt) {
		t.Errorf("created_at changed on rename: %v -> %v", u.CreatedAt, renamed.CreatedAt)
	}
	kept, err := r.EnsureUser(ctx, subject, "")
	if err != nil || kept.ID != u.ID || kept.Name != "Annie" {
		t.Errorf("token without a name: %+v, %v", kept, err)
	}
	loaded, err := r.UsersByID(ctx, []string{u.ID})
	if err != nil || loaded[u.ID].Name != "Annie" {
		t.Errorf("UsersByID: %+v, %v", loaded, err)
	}
	// A first sighting without a name is named after its subject.
	anon := "anon-" + randHex(8)
	a, err := r.EnsureUser(ctx, anon, "")
	if err != nil || a.Name != anon {
		t.Errorf("nameless new user: %+v, %v", a, err)
	}
}

func TestUsersByID_MissingIDsAreAbsent(t *testing.T) {
	r, _ := repo(t)
	u := newUser(t, r)
	got, err := r.UsersByID(context.Background(), []string{u.ID, "00000000-0000-0000-0000-000000000000"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[u.ID].ID != u.ID {
		t.Errorf("%+v", got)
	}
	if got, err := r.UsersByID(context.Background(), nil); err != nil || len(got) != 0 {
		t.Errorf("no ids: %v, %v", got, err)
	}
}

// A token's name is whatever the issuer put there, NUL included; it must
// not turn every request of that user into an internal error.
func TestEnsureUser_NameWithNULDoesNotFail(t *testing.T) {
	r, _ := repo(t)
	ctx := context.Background()
	subject := "nul-" + randHex(8)
	u, err := r.EnsureUser(ctx, subject, "Ann\x00Lee")
	if err != nil {
		t.Fatalf("EnsureUser with a NUL in the name: %v", err)
	}
	again, err := r.EnsureUser(ctx, subject, "Ann\x00Lee")
	if err != nil || again.ID != u.ID {
		t.Errorf("second sighting: %+v, %v", again, err)
	}
}

// UserWithAvatar finds a user and the avatar together, a user without an
// avatar with none, and no one for an id no user has.
func TestUserWithAvatar(t *testing.T) {
	r, _ := repo(t)
	ctx := context.Background()
	u := newUser(t, r)
	got, avatar, ok, err := r.UserWithAvatar(ctx, u.ID)
	if err != nil || !ok || got.ID != u.ID || avatar != nil {
		t.Fatalf("without an avatar: %+v, %+v, %v, %v", got, avatar, ok, err)
	}
	av := newImage(u.ID)
	av.Kind = media.KindAvatar
	if err := r.GuardKeys(ctx, []string{av.StorageKey}, time.Hour, true); err != nil {
		t.Fatal(err)
	}
	crop := &media.Crop{X: 1, Y: 2, Width: 3, Height: 4}
	withAvatar, err := r.ReplaceAvatar(ctx, av, crop)
	if err != nil {
		t.Fatal(err)
	}
	got, avatar, ok, err = r.UserWithAvatar(ctx, u.ID)
	if err != nil || !ok || got.ID != u.ID || got.AvatarID == nil || *got.AvatarID != *withAvatar.AvatarID ||
		got.AvatarCrop == nil || *got.AvatarCrop != *crop {
		t.Fatalf("with an avatar: user %+v, %v, %v", got, ok, err)
	}
	if avatar == nil || avatar.ID != *withAvatar.AvatarID || avatar.StorageKey != av.StorageKey || avatar.Kind != media.KindAvatar {
		t.Fatalf("avatar %+v, want the row of %s", avatar, av.StorageKey)
	}
	if _, _, ok, err := r.UserWithAvatar(ctx, "00000000-0000-0000-0000-000000000000"); ok || err != nil {
		t.Errorf("no such user: ok %v, %v", ok, err)
	}
}
