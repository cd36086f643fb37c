package media_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mediagraph/mediagraph/internal/media"
)

func TestCleanFilename(t *testing.T) {
	long := strings.Repeat("é", 1000)
	cases := []struct {
		name, in, want string
	}{
		{"empty stays empty", "", ""},
		{"plain", "cat.png", "cat.png"},
		{"unix path", "/home/ann/Pictures/cat.png", "cat.png"},
		{"windows path", `C:\Users\ann\cat.png`, "cat.png"},
		{"mixed separators", `a/b\c/d.jpg`, "d.jpg"},
		{"trailing slash leaves nothing", "dir/", ""},
		{"trailing backslash leaves nothing", `dir\`, ""},
		{"traversal", "../../etc/passwd", "passwd"},
		{"NUL removed", "ca\x00t.png", "cat.png"},
		{"ESC removed", "\x1b[31mred.png", "[31mred.png"},
		{"tab newline CR removed", "a\tb\nc\rd.png", "abcd.png"},
		{"DEL removed", "a\x7fb.png", "ab.png"},
		{"C1 NEL removed", "a\u0085b.png", "ab.png"},
		{"C1 CSI removed", "a\u009bb.png", "ab.png"},
		{"invalid UTF-8 replaced", "a\xffb.png", "a\uFFFDb.png"},
		{"truncated UTF-8 replaced", "a\xc3.png", "a\uFFFD.png"},
		{"non-ASCII kept", "日本語 ファイル.webp", "日本語 ファイル.webp"},
		{"emoji kept", "🐈‍⬛.gif", "🐈‍⬛.gif"},
		{"only controls", "\x00\x01\x02", ""},
		{"1000 runes truncated to 255", long, strings.Repeat("é", 255)},
		{"truncation counts kept runes, not removed controls", strings.Repeat("\x00", 300) + strings.Repeat("a", 300), strings.Repeat("a", 255)},
		{"path before long name", "x/" + long, strings.Repeat("é", 255)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := media.CleanFilename(c.in)
			if got != c.want {
				t.Errorf("CleanFilename(%q) = %q, want %q", c.in, got, c.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("CleanFilename(%q) = %q is not valid UTF-8", c.in, got)
			}
			if n := utf8.RuneCountInString(got); n > 255 {
				t.Errorf("CleanFilename(%q) kept %d runes", c.in, n)
			}
		})
	}
}

const someID = "0190a7b4-1c2d-7e3f-8a9b-0c1d2e3f4a5b"

func TestCursor_RoundTrip(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.FixedZone("x", 3600)),
		time.Unix(0, 0),
		time.Date(2999, 12, 31, 23, 59, 59, 999999000, time.UTC),
	} {
		c := media.Cursor{CreatedAt: at, ID: someID}
		s := c.String()
		if strings.ContainsAny(s, "+/=") {
			t.Errorf("cursor %q is not unpadded URL-safe base64", s)
		}
		got, err := media.ParseCursor(s)
		if err != nil {
			t.Fatalf("ParseCursor(%q): %v", s, err)
		}
		want := at.Truncate(time.Microsecond).UTC()
		if !got.CreatedAt.Equal(want) || got.CreatedAt.Location() != time.UTC || got.ID != someID {
			t.Errorf("round trip of %v: %+v, want %v %s", at, got, want, someID)
		}
		if got.String() != s {
			t.Errorf("re-encoded %q, want %q", got.String(), s)
		}
	}
}

func enc(raw string) string { return base64.RawURLEncoding.EncodeToString([]byte(raw)) }

func TestParseCursor_RefusesWhatThisServerDidNotMake(t *testing.T) {
	good := media.Cursor{CreatedAt: time.Now(), ID: someID}.String()
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	cases := map[string]string{
		"empty":                  "",
		"garbage":                "!!!not base64!!!",
		"padded std base64":      base64.StdEncoding.EncodeToString(raw) + "==",
		"std base64 of raw":      base64.StdEncoding.EncodeToString([]byte("img1:1:" + someID + "??>")),
		"foreign base64":         base64.RawURLEncoding.EncodeToString([]byte(`{"offset":20}`)),
		"wrong prefix":           enc("img2:1700000000000000:" + someID),
		"no prefix":              enc("1700000000000000:" + someID),
		"upper-case prefix":      enc("IMG1:1700000000000000:" + someID),
		"no id":                  enc("img1:1700000000000000"),
		"empty id":               enc("img1:1700000000000000:"),
		"bad uuid":               enc("img1:1700000000000000:not-a-uuid"),
		"upper-case uuid":        enc("img1:1700000000000000:" + strings.ToUpper(someID)),
		"uuid with extra":        enc("img1:1700000000000000:" + someID + "x"),
		"negative time":          enc("img1:-1:" + someID),
		"non-numeric time":       enc("img1:yesterday:" + someID),
		"empty time":             enc("img1::" + someID),
		"time overflowing int64": enc("img1:99999999999999999999:" + someID),
		"truncated":              good[:len(good)-3],
	}
	for name, s := range cases {
		c, err := media.ParseCursor(s)
		if err == nil {
			t.Errorf("%s: ParseCursor(%q) = %+v, want an error", name, s, c)
			continue
		}
		if code := media.ErrorCode(err); code != media.CodeBadUserInput {
			t.Errorf("%s: code %s, want BAD_USER_INPUT", name, code)
		}
		var me *media.Error
		if !errors.As(err, &me) || me.Message == "" {
			t.Errorf("%s: %v is not a *media.Error with a message", name, err)
		}
	}
}

func TestParseCursor_MessageTruncatesLongInput(t *testing.T) {
	_, err := media.ParseCursor(strings.Repeat("A", 10000))
	var me *media.Error
	if !errors.As(err, &me) {
		t.Fatalf("%v", err)
	}
	if len(me.Message) > 200 {
		t.Errorf("message of %d bytes echoes the whole cursor", len(me.Message))
	}
}

func TestIsID(t *testing.T) {
	for s, want := range map[string]bool{
		someID:                                    true,
		"00000000-0000-0000-0000-000000000000":    true,
		"ffffffff-ffff-ffff-ffff-ffffffffffff":    true,
		strings.ToUpper(someID):                   false,
		"":                                        false,
		someID[:35]:                               false,
		someID + "0":                              false,
		"0190a7b41c2d7e3f8a9b0c1d2e3f4a5b":        false, // no dashes
		"0190a7b4-1c2d-7e3f-8a9b_0c1d2e3f4a5b":    false,
		"0190a7b4-1c2d-7e3f-8a9b-0c1d2e3f4a5g":    false,
		"{0190a7b4-1c2d-7e3f-8a9b-0c1d2e3f4a5}":   false,
		"0190a7b4-1c2d-7e3f-8a9-b0c1d2e3f4a5b":    false, // dash misplaced
		"0190a7b4-1c2d-7e3f-8a9b-0c1d2e3f4a5\x00": false,
	} {
		if got := media.IsID(s); got != want {
			t.Errorf("IsID(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestCropWithin(t *testing.T) {
	const w, h = 640, 480
	cases := []struct {
		name string
		c    media.Crop
		want bool
	}{
		{"exactly the image", media.Crop{0, 0, w, h}, true},
		{"one pixel", media.Crop{0, 0, 1, 1}, true},
		{"bottom-right pixel", media.Crop{w - 1, h - 1, 1, 1}, true},
		{"inner", media.Crop{10, 20, 100, 100}, true},
		{"one wider", media.Crop{0, 0, w + 1, h}, false},
		{"one taller", media.Crop{0, 0, w, h + 1}, false},
		{"one over on the right", media.Crop{1, 0, w, h}, false},
		{"one over at the bottom", media.Crop{0, 1, w, h}, false},
		{"one over on the left", media.Crop{-1, 0, 10, 10}, false},
		{"one over at the top", media.Crop{0, -1, 10, 10}, false},
		{"starts past the right edge", media.Crop{w, 0, 1, 1}, false},
		{"starts past the bottom edge", media.Crop{0, h, 1, 1}, false},
		{"zero width", media.Crop{0, 0, 0, 10}, false},
		{"zero height", media.Crop{0, 0, 10, 0}, false},
		{"zero size", media.Crop{0, 0, 0, 0}, false},
		{"negative width", media.Crop{20, 0, -10, 10}, false},
		{"negative height", media.Crop{0, 20, 10, -10}, false},
		{"huge x", media.Crop{int(^uint(0) >> 1), 0, 1, 1}, false},
		{"huge width", media.Crop{0, 0, int(^uint(0) >> 1), 1}, false},
	}
	for _, c := range cases {
		if got := c.c.Within(w, h); got != c.want {
			t.Errorf("%s: %+v.Within(%d, %d) = %v, want %v", c.name, c.c, w, h, got, c.want)
		}
	}
	if (media.Crop{0, 0, 1, 1}).Within(0, 0) {
		t.Error("a crop lies within a 0x0 image")
	}
}

func TestTransformValidate(t *testing.T) {
	ok := []media.Transform{
		{},
		{Width: 1, Height: 1, Quality: 1},
		{Width: media.MaxTransformSide, Height: media.MaxTransformSide, Quality: 100},
		{Width: 300},
		{Height: 300},
	}
	for _, tr := range ok {
		if err := tr.Validate(); err != nil {
			t.Errorf("%+v: %v", tr, err)
		}
	}
	bad := []media.Transform{
		{Width: -1},
		{Height: -1},
		{Width: media.MaxTransformSide + 1},
		{Height: media.MaxTransformSide + 1},
		{Quality: -1},
		{Quality: 101},
	}
	for _, tr := range bad {
		err := tr.Validate()
		if err == nil {
			t.Errorf("%+v was accepted", tr)
			continue
		}
		if media.ErrorCode(err) != media.CodeBadUserInput {
			t.Errorf("%+v: code %s", tr, media.ErrorCode(err))
		}
	}
}

func TestErrorCode(t *testing.T) {
	e := media.Errorf(media.CodeNotFound, "No %s.", "thing")
	if e.Message != "No thing." || media.ErrorCode(e) != media.CodeNotFound {
		t.Errorf("%+v", e)
	}
	if media.ErrorCode(fmt.Errorf("wrapped: %w", e)) != media.CodeNotFound {
		t.Error("a wrapped *Error loses its code")
	}
	if media.ErrorCode(errors.New("x")) != media.CodeInternal {
		t.Error("a plain error is not INTERNAL_SERVER_ERROR")
	}
	cause := errors.New("disk on fire")
	me := &media.Error{Code: media.CodeStorageUnavailable, Message: "m", Err: cause}
	if !errors.Is(me, cause) {
		t.Error("*Error does not unwrap to its cause")
	}
	if !strings.Contains(me.Error(), "disk on fire") || !strings.Contains(me.Error(), "STORAGE_UNAVAILABLE") {
		t.Errorf("Error() = %q", me.Error())
	}
}

// urlStore is a media.Store whose URLs spell out the transformation, so
// that tests can read what the service asked for.
type urlStore struct{}

func (urlStore) Name() string                         { return "fake" }
func (urlStore) NewKey(format string) string          { return "k." + format }
func (urlStore) Ping(context.Context) error           { return nil }
func (urlStore) Delete(context.Context, string) error { return nil }
func (urlStore) Put(context.Context, media.Blob) (map[string]any, error) {
	return nil, errors.New("not here")
}
func (urlStore) Open(context.Context, *media.Image) (io.ReadCloser, error) {
	return nil, errors.New("not here")
}
func (urlStore) URL(img *media.Image, t *media.Transform) string {
	if t == nil {
		return "https://cdn/" + img.StorageKey
	}
	u := fmt.Sprintf("https://cdn/w=%d,h=%d,c=%s,g=%s,f=%s", t.Width, t.Height, t.Crop, t.Gravity, t.Format)
	if t.Quality != 0 {
		u += fmt.Sprintf(",q=%d", t.Quality)
	}
	if t.Source != nil {
		u += fmt.Sprintf(",src=%d:%d:%d:%d", t.Source.X, t.Source.Y, t.Source.Width, t.Source.Height)
	}
	return u + "/" + img.StorageKey
}

func fakeService() *media.Service {
	return media.NewService(nil, urlStore{}, media.Limits{MaxFileBytes: 1 << 20, MaxFiles: 10, MaxPixels: 1e6}, nil, nil)
}

func TestSrcSet_Formatting(t *testing.T) {
	s := fakeService()
	img := &media.Image{StorageKey: "ab/cd.png"}
	got, err := s.SrcSet(img, []int{320, 640}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "https://cdn/w=320,h=0,c=FILL,g=AUTO,f=AUTO/ab/cd.png 320w, https://cdn/w=640,h=0,c=FILL,g=AUTO,f=AUTO/ab/cd.png 640w"
	if got != want {
		t.Errorf("SrcSet = %q\nwant      %q", got, want)
	}
	one, err := s.SrcSet(img, []int{1}, nil)
	if err != nil || one != "https://cdn/w=1,h=0,c=FILL,g=AUTO,f=AUTO/ab/cd.png 1w" {
		t.Errorf("one width: %q, %v", one, err)
	}
}

func TestSrcSet_HeightFollowsTheRatio(t *testing.T) {
	s := fakeService()
	img := &media.Image{StorageKey: "k"}
	tr := &media.Transform{Width: 400, Height: 300, Crop: media.CropFit, Gravity: media.GravityCenter, Format: media.FormatWebP, Quality: 70}
	got, err := s.SrcSet(img, []int{200, 800, 333, 1}, tr)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"https://cdn/w=200,h=150,c=FIT,g=CENTER,f=WEBP,q=70/k 200w",
		"https://cdn/w=800,h=600,c=FIT,g=CENTER,f=WEBP,q=70/k 800w",
		"https://cdn/w=333,h=250,c=FIT,g=CENTER,f=WEBP,q=70/k 333w", // 249.75 rounds to 250
		"https://cdn/w=1,h=1,c=FIT,g=CENTER,f=WEBP,q=70/k 1w",       // 0.75 rounds to 1, never 0
	}, ", ")
	if got != want {
		t.Errorf("SrcSet =\n%s\nwant\n%s", got, want)
	}
	if tr.Width != 400 || tr.Height != 300 {
		t.Errorf("SrcSet changed the caller's transform: %+v", tr)
	}
	// A wide ratio whose height would be tiny never asks for height 0.
	got, err = s.SrcSet(img, []int{10}, &media.Transform{Width: 4000, Height: 1})
	if err != nil || !strings.Contains(got, "w=10,h=1,") {
		t.Errorf("tiny height: %q, %v", got, err)
	}
}

func TestSrcSet_RefusesBadWidths(t *testing.T) {
	s := fakeService()
	img := &media.Image{StorageKey: "k"}
	many := make([]int, 33)
	for i := range many {
		many[i] = 100 + i
	}
	cases := map[string]struct {
		widths []int
		t      *media.Transform
	}{
		"nil list":            {nil, nil},
		"empty list":          {[]int{}, nil},
		"33 widths":           {many, nil},
		"zero":                {[]int{320, 0}, nil},
		"negative":            {[]int{-320}, nil},
		"over the max":        {[]int{320, media.MaxTransformSide + 1}, nil},
		"height over the max": {[]int{4000}, &media.Transform{Width: 100, Height: 200}},
	}
	for name, c := range cases {
		got, err := s.SrcSet(img, c.widths, c.t)
		if err == nil {
			t.Errorf("%s: %q, want an error", name, got)
			continue
		}
		if media.ErrorCode(err) != media.CodeBadUserInput {
			t.Errorf("%s: code %s", name, media.ErrorCode(err))
		}
		if got != "" {
			t.Errorf("%s: partial srcset %q with the error", name, got)
		}
	}
	if _, err := s.SrcSet(img, many[:32], nil); err != nil {
		t.Errorf("32 widths: %v", err)
	}
	if _, err := s.SrcSet(img, []int{media.MaxTransformSide}, nil); err != nil {
		t.Errorf("max width: %v", err)
	}
}

func TestAvatarURL_SquareFaceFillWithTheCrop(t *testing.T) {
	s := fakeService()
	img := &media.Image{StorageKey: "av"}
	got, err := s.AvatarURL(img, &media.Crop{X: 1, Y: 2, Width: 30, Height: 40}, 96)
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://cdn/w=96,h=96,c=FILL,g=FACE,f=AUTO,src=1:2:30:40/av"; got != want {
		t.Errorf("AvatarURL = %q, want %q", got, want)
	}
	got, err = s.AvatarURL(img, nil, media.MaxTransformSide)
	if err != nil || got != "https://cdn/w=4096,h=4096,c=FILL,g=FACE,f=AUTO/av" {
		t.Errorf("no crop, max size: %q, %v", got, err)
	}
	for _, size := range []int{0, -1, media.MaxTransformSide + 1} {
		if u, err := s.AvatarURL(img, nil, size); err == nil || media.ErrorCode(err) != media.CodeBadUserInput {
			t.Errorf("size %d: %q, %v", size, u, err)
		}
		if media.CheckAvatarSize(size) == nil {
			t.Errorf("CheckAvatarSize(%d) accepted it", size)
		}
	}
	if err := media.CheckAvatarSize(1); err != nil {
		t.Errorf("CheckAvatarSize(1): %v", err)
	}
}

func TestURL_IsTheStoresURL(t *testing.T) {
	s := fakeService()
	img := &media.Image{StorageKey: "ab/cd.png"}
	if got := s.URL(img, nil); got != "https://cdn/ab/cd.png" {
		t.Errorf("URL = %q", got)
	}
}
