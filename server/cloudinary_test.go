package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mediagraph/mediagraph/internal/cloudinary/cloudinarytest"
)

// cloudEnv is a whole server storing in a fake Cloudinary, under a folder of
// its own (the database is shared by the package's tests).
type cloudEnv struct {
	*testEnv
	fake   *cloudinarytest.Server
	folder string
	// stdlog is what reached the standard log package (the SDK prints there).
	stdlog *lockedWriter
}

// newCloudEnv starts a fake Cloudinary and a server with CLOUDINARY_URL
// pointing at it. When the test ends, every row of its folder must have its
// asset and every asset its row, and the logs, the standard log package's
// output included, must hold no credential.
func newCloudEnv(t *testing.T, adjust ...func(*config)) *cloudEnv {
	t.Helper()
	fake := cloudinarytest.New()
	t.Cleanup(fake.Close)
	folder := fmt.Sprintf("mg-test/%x", rand.Uint64())
	use := func(c *config) {
		c.DatabaseURL = cloudDBURL
		c.CloudinaryURL = fake.URL("")
		c.CloudinaryFolder = folder
		c.cloudinaryClient = fake.Client()
	}
	std := &lockedWriter{w: &bytes.Buffer{}}
	prev := stdlog.Writer()
	stdlog.SetOutput(std)
	t.Cleanup(func() { stdlog.SetOutput(prev) })
	e := &cloudEnv{testEnv: newEnv(t, append([]func(*config){use}, adjust...)...), fake: fake, folder: folder, stdlog: std}
	t.Cleanup(func() {
		e.consistent()
		e.noCredentialsLogged()
	})
	return e
}

// rowKeys lists the storage keys of the env's folder's rows, sorted.
func (e *cloudEnv) rowKeys() []string {
	e.t.Helper()
	rows, err := e.app.pool.Query(context.Background(), `SELECT storage_key FROM images WHERE storage_key LIKE $1 ORDER BY 1`, e.folder+"/%")
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			e.t.Fatal(err)
		}
		keys = append(keys, k)
	}
	return keys
}

// consistent waits until the rows and the assets name the same keys.
func (e *cloudEnv) consistent() {
	e.t.Helper()
	var rows, assets []string
	deadline := time.Now().Add(15 * time.Second)
	for {
		rows, assets = e.rowKeys(), e.fake.PublicIDs()
		if slices.Equal(rows, assets) {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("rows %v and assets %v differ", rows, assets)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *cloudEnv) noCredentialsLogged() {
	e.t.Helper()
	logs := e.logs.String() + e.stdlog.String()
	for _, secret := range []string{cloudinarytest.Key, cloudinarytest.Secret, e.cfg.CloudinaryURL} {
		if strings.Contains(logs, secret) {
			e.t.Errorf("logs hold a credential %q:\n%s", secret[:4], logs)
		}
	}
}

func (e *cloudEnv) deleteImage(tok, id string) {
	e.t.Helper()
	e.query(tok, `mutation($id: ID!) { deleteImage(id: $id) }`, map[string]any{"id": id}).decode(e.t, &struct{}{})
}

// fetch GETs a delivery URL through a client that trusts the fake.
func (e *cloudEnv) fetch(u string) (*http.Response, []byte) {
	e.t.Helper()
	resp, err := e.fake.Client().Get(u)
	if err != nil {
		e.t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestCloudinary_UploadStoresAssetAndMetadata(t *testing.T) {
	e := newCloudEnv(t)
	f := pngFile("holiday.png", 64, 48, 101)
	tok := e.user("cld")
	img := e.uploadImage(tok, f, map[string]any{"alt": "dusk"})

	ups := e.fake.Uploads()
	if len(ups) != 1 || ups[0].Answered != http.StatusOK || !ups[0].Chunked {
		t.Fatalf("uploads = %+v", ups)
	}
	key := ups[0].Fields.Get("public_id")
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(e.folder) + `/[0-9a-f]{32}$`).MatchString(key) {
		t.Errorf("public_id %q is not FOLDER/<random>", key)
	}
	if ups[0].Fields.Get("overwrite") != "true" {
		t.Errorf("overwrite = %q: retries must be idempotent", ups[0].Fields.Get("overwrite"))
	}
	for k := range ups[0].Fields {
		if strings.Contains(ups[0].Fields.Get(k), "holiday") {
			t.Errorf("the client's file name travelled: %s=%q", k, ups[0].Fields.Get(k))
		}
	}
	a, ok := e.fake.Asset(key)
	if !ok || string(a.Bytes) != string(f.data) {
		t.Fatalf("asset %s: stored %v, bytes equal %v", key, ok, string(a.Bytes) == string(f.data))
	}
	var provider map[string]any
	var raw []byte
	if err := e.app.pool.QueryRow(context.Background(), `SELECT provider FROM images WHERE id = $1`, img.ID).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(raw, &provider)
	want := map[string]any{
		"asset_id": a.AssetID, "public_id": key, "version": float64(a.Version), "resource_type": "image", "type": "upload",
		"format": "png", "width": float64(64), "height": float64(48), "bytes": float64(len(f.data)),
		"created_at": a.CreatedAt.Format(time.RFC3339),
	}
	for k, v := range want {
		if provider[k] != v {
			t.Errorf("provider[%s] = %v, want %v", k, provider[k], v)
		}
	}
	if etag, _ := provider["etag"].(string); len(etag) != 32 {
		t.Errorf("provider etag %q", provider["etag"])
	}
	host := strings.TrimPrefix(e.fake.Server.URL, "https://")
	wantURL := fmt.Sprintf("https://%s/%s/image/upload/v%d/%s.png", host, cloudinarytest.Cloud, a.Version, key)
	if img.URL != wantURL {
		t.Errorf("url = %s, want %s (no analytics query)", img.URL, wantURL)
	}
	if resp, body := e.fetch(img.URL); resp.StatusCode != http.StatusOK || string(body) != string(f.data) {
		t.Errorf("delivery: %d, %d bytes", resp.StatusCode, len(body))
	}
	// The placeholder is made from the original fetched back over HTTPS.
	var q struct {
		Image struct {
			Placeholder *string `json:"placeholder"`
		} `json:"image"`
	}
	e.query(tok, `query($id: ID!) { image(id: $id) { placeholder } }`, map[string]any{"id": img.ID}).decode(t, &q)
	if q.Image.Placeholder == nil || !strings.HasPrefix(*q.Image.Placeholder, "data:image/") {
		t.Errorf("placeholder = %v", q.Image.Placeholder)
	}
	// /media/ belongs to the local store only.
	if resp, _ := get(t, e.srv.URL+"/media/"+key); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/media/ with Cloudinary: %d", resp.StatusCode)
	}
}

// Trap: the SDK escapes neither tags nor context values (',', '|', '='), so
// none are sent: they live in Postgres and round-trip exactly.
func TestCloudinary_TagsAndAltStayInPostgres(t *testing.T) {
	e := newCloudEnv(t)
	alt := "a|b=c, d"
	img := e.uploadImage(e.user("cld-tags"), pngFile("t.png", 8, 8, 107), map[string]any{"alt": alt, "tags": []string{"a,b", "k=v|w"}})
	if strings.Join(img.Tags, "/") != "a,b/k=v|w" || img.Alt == nil || *img.Alt != alt {
		t.Errorf("tags %q alt %v", img.Tags, img.Alt)
	}
	fields := e.fake.Uploads()[0].Fields
	for k := range fields {
		if strings.HasPrefix(k, "tags") || strings.HasPrefix(k, "context") || strings.Contains(fields.Get(k), "=") {
			t.Errorf("upload sent %s=%q", k, fields.Get(k))
		}
	}
}

func TestCloudinary_URLsCarryTheTransformations(t *testing.T) {
	e := newCloudEnv(t)
	tok := e.user("cld-urls")
	img := e.uploadImage(tok, jpegFile("p.jpg", 120, 90, 102), nil)
	a, _ := e.fake.Asset(e.rowKeys()[0])
	prefix := fmt.Sprintf("https://%s/%s/image/upload/", strings.TrimPrefix(e.fake.Server.URL, "https://"), cloudinarytest.Cloud)
	suffix := fmt.Sprintf("/v%d/%s", a.Version, a.PublicID)
	cases := []struct{ transform, want string }{
		{`{width: 300, height: 200}`, "c_fill,g_auto,h_200,w_300/f_auto,q_auto"},
		{`{width: 300, crop: FILL, gravity: CENTER}`, "c_fill,g_center,w_300/f_auto,q_auto"},
		{`{width: 300, height: 300, crop: FILL, gravity: FACE}`, "c_fill,g_face,h_300,w_300/f_auto,q_auto"},
		{`{width: 300, crop: FIT, gravity: FACE}`, "c_fit,w_300/f_auto,q_auto"},
		{`{height: 50, crop: LIMIT}`, "c_limit,h_50/f_auto,q_auto"},
		{`{width: 40, height: 40, crop: PAD}`, "c_pad,h_40,w_40/f_auto,q_auto"},
		{`{width: 40, crop: SCALE}`, "c_scale,w_40/f_auto,q_auto"},
		{`{width: 40, format: JPG, quality: 70}`, "c_fill,g_auto,w_40/f_jpg,q_70"},
		{`{width: 40, format: PNG}`, "c_fill,g_auto,w_40/f_png,q_auto"},
		{`{width: 40, format: WEBP}`, "c_fill,g_auto,w_40/f_webp,q_auto"},
		{`{format: AVIF, quality: 35}`, "f_avif,q_35"},
	}
	for _, c := range cases {
		var out struct {
			Image struct {
				URL string `json:"url"`
			} `json:"image"`
		}
		e.query(tok, `query($id: ID!) { image(id: $id) { url(transform: `+c.transform+`) } }`, map[string]any{"id": img.ID}).decode(t, &out)
		if want := prefix + c.want + suffix; out.Image.URL != want {
			t.Errorf("%s: url %s, want %s", c.transform, out.Image.URL, want)
			continue
		}
		if resp, _ := e.fetch(out.Image.URL); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: delivery %d", c.transform, resp.StatusCode)
		}
	}
	var set struct {
		Image struct {
			SrcSet string `json:"srcSet"`
		} `json:"image"`
	}
	e.query(tok, `query($id: ID!) { image(id: $id) { srcSet(widths: [100, 200], transform: {width: 100, height: 50, crop: FILL}) } }`,
		map[string]any{"id": img.ID}).decode(t, &set)
	want := prefix + "c_fill,g_auto,h_50,w_100/f_auto,q_auto" + suffix + " 100w, " + prefix + "c_fill,g_auto,h_100,w_200/f_auto,q_auto" + suffix + " 200w"
	if set.Image.SrcSet != want {
		t.Errorf("srcSet = %s\nwant %s", set.Image.SrcSet, want)
	}
}

func TestCloudinary_AvatarCropThenFaceFill_ReplaceDestroys(t *testing.T) {
	e := newCloudEnv(t)
	tok := e.user("cld-avatar")
	var first struct {
		SetAvatar avatarUser `json:"setAvatar"`
	}
	e.setAvatar(tok, pngFile("me.png", 100, 80, 103), map[string]any{"x": 10, "y": 5, "width": 70, "height": 60}).decode(t, &first)
	key := e.rowKeys()[0]
	a, _ := e.fake.Asset(key)
	want := fmt.Sprintf("https://%s/%s/image/upload/c_crop,h_60,w_70,x_10,y_5/c_fill,g_face,h_64,w_64/f_auto,q_auto/v%d/%s",
		strings.TrimPrefix(e.fake.Server.URL, "https://"), cloudinarytest.Cloud, a.Version, key)
	if first.SetAvatar.AvatarURL == nil || *first.SetAvatar.AvatarURL != want {
		t.Fatalf("avatarUrl = %v, want %s", *first.SetAvatar.AvatarURL, want)
	}
	if resp, _ := e.fetch(want); resp.StatusCode != http.StatusOK {
		t.Errorf("avatar delivery: %d", resp.StatusCode)
	}
	var second struct {
		SetAvatar avatarUser `json:"setAvatar"`
	}
	e.setAvatar(tok, pngFile("me2.png", 50, 50, 104), nil).decode(t, &second)
	if _, ok := e.fake.Asset(key); ok {
		t.Errorf("replaced avatar %s still in Cloudinary", key)
	}
	if resp, _ := e.fetch(first.SetAvatar.Avatar.URL); resp.StatusCode != http.StatusNotFound {
		t.Errorf("replaced avatar still delivered: %d", resp.StatusCode)
	}
	e.query(tok, `mutation { removeAvatar { id } }`, nil).decode(t, &struct{}{})
	if ids := e.fake.PublicIDs(); len(ids) != 0 {
		t.Errorf("assets after removeAvatar: %v", ids)
	}
}

func TestCloudinary_DeleteImageDestroysAsset(t *testing.T) {
	e := newCloudEnv(t)
	tok := e.user("cld-delete")
	img := e.uploadImage(tok, pngFile("d.png", 30, 30, 105), nil)
	key := e.rowKeys()[0]
	e.deleteImage(tok, img.ID)
	if _, ok := e.fake.Asset(key); ok {
		t.Fatalf("asset %s outlived deleteImage", key)
	}
	if d := e.fake.Destroys(); !slices.Contains(d, key) {
		t.Errorf("destroys = %v", d)
	}
	if resp, _ := e.fetch(img.URL); resp.StatusCode != http.StatusNotFound {
		t.Errorf("deleted image delivered: %d", resp.StatusCode)
	}
}

func TestCloudinary_ReadyzPingsTheAPI(t *testing.T) {
	e := newCloudEnv(t)
	if resp, _ := get(t, e.srv.URL+"/readyz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz: %d", resp.StatusCode)
	}
	e.fake.Inject(cloudinarytest.Unavailable(cloudinarytest.OpPing))
	if resp, _ := get(t, e.srv.URL+"/readyz"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz with Cloudinary answering 503: %d", resp.StatusCode)
	}
	if e.fake.Count(cloudinarytest.OpPing) != 2 {
		t.Errorf("pings = %d", e.fake.Count(cloudinarytest.OpPing))
	}
}

func TestCloudinary_BadSettingsStopTheStart(t *testing.T) {
	var out, errOut strings.Builder
	code := run(context.Background(), nil, func(k string) string {
		return map[string]string{"CLOUDINARY_URL": "cloudinary://873915246381547@demo", "CLOUDINARY_FOLDER": "../up"}[k]
	}, &out, &errOut, nil)
	if code != 2 || !strings.Contains(errOut.String(), "CLOUDINARY_URL") || !strings.Contains(errOut.String(), "CLOUDINARY_FOLDER") ||
		strings.Contains(errOut.String(), "873915246381547") {
		t.Errorf("exit %d: %s", code, errOut.String())
	}
}

// The queries answer as with the local store: pages, counts, dedupe, and a
// page's URLs, srcsets and placeholders built concurrently (go test -race).
func TestCloudinary_ListingAnswersAsTheLocalStore(t *testing.T) {
	e := newCloudEnv(t)
	tok := e.user("cld-list")
	var ids []string
	for i := range 5 {
		ids = append(ids, e.uploadImage(tok, pngFile(fmt.Sprintf("%d.png", i), 12, 10, uint64(110+i)), nil).ID)
	}
	if again := e.uploadImage(tok, pngFile("again.png", 12, 10, 110), nil); again.ID != ids[0] {
		t.Errorf("the same bytes made a second image %s", again.ID)
	}
	var page struct {
		Images struct {
			Edges []struct {
				Node struct {
					ID          string  `json:"id"`
					URL         string  `json:"url"`
					Thumb       string  `json:"thumb"`
					SrcSet      string  `json:"srcSet"`
					Placeholder *string `json:"placeholder"`
				} `json:"node"`
			} `json:"edges"`
			TotalCount int `json:"totalCount"`
		} `json:"images"`
	}
	e.query(tok, `{ images(first: 10) { totalCount edges { node { id url thumb: url(transform: {width: 40}) srcSet(widths: [20, 40]) placeholder } } } }`, nil).decode(t, &page)
	if page.Images.TotalCount != 5 || len(page.Images.Edges) != 5 {
		t.Fatalf("page: %d of %d", len(page.Images.Edges), page.Images.TotalCount)
	}
	for i, edge := range page.Images.Edges {
		n := edge.Node
		if n.ID != ids[len(ids)-1-i] {
			t.Errorf("edge %d is %s, want newest first", i, n.ID)
		}
		if resp, _ := e.fetch(n.URL); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", n.URL, resp.StatusCode)
		}
		if !strings.Contains(n.Thumb, "/c_fill,g_auto,w_40/f_auto,q_auto/") || strings.Count(n.SrcSet, "https://") != 2 ||
			n.Placeholder == nil {
			t.Errorf("node %+v", n)
		}
	}
	if len(e.fake.PublicIDs()) != 5 {
		t.Errorf("assets %v", e.fake.PublicIDs())
	}
}

// Nothing moves files between stores, so a server refuses to start over the
// other store's images, naming how many there are and what to do.
func TestCloudinary_SwitchingStoresWithImagesLeftIsRefused(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	local := newEnv(t)
	local.uploadImage(local.user("switch-local"), pngFile("l.png", 8, 8, 290), nil)
	n := local.count(`SELECT count(*) FROM images`)
	fake := cloudinarytest.New()
	t.Cleanup(fake.Close)
	toCloud := local.cfg
	toCloud.CloudinaryURL, toCloud.cloudinaryClient = fake.URL(""), fake.Client()
	_, err := newApp(context.Background(), toCloud, log)
	if want := fmt.Sprintf("CLOUDINARY_URL is set, but the database holds %d images and", n); err == nil || !strings.Contains(err.Error(), want) ||
		!strings.Contains(err.Error(), "Unset CLOUDINARY_URL") {
		t.Errorf("start on Cloudinary over local images: %v", err)
	}

	cloud := newCloudEnv(t)
	cloud.uploadImage(cloud.user("switch-cloud"), pngFile("c.png", 8, 8, 291), nil)
	n = cloud.count(`SELECT count(*) FROM images`)
	toLocal := cloud.cfg
	toLocal.CloudinaryURL = ""
	_, err = newApp(context.Background(), toLocal, log)
	if want := fmt.Sprintf("CLOUDINARY_URL is not set, but the database holds %d images and", n); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("start on the local store over Cloudinary images: %v", err)
	}
	if key := cloud.rowKeys()[0]; slices.Contains(cloud.fake.Destroys(), key) {
		t.Errorf("the refused start destroyed %s", key)
	}
}

// The Cloudinary SDK prints through the standard log package; the program
// routes that through its JSON logger rather than letting it bypass it.
func TestCloudinary_StandardLogGoesThroughTheJSONLogger(t *testing.T) {
	p := startProgram(t, programEnv(t, t.TempDir()))
	stdlog.Print("io: read/write on closed pipe")
	p.cancel()
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	var found bool
	for _, line := range strings.Split(p.stderr.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "io: read/write on closed pipe" {
			found = true
		}
	}
	if !found {
		t.Errorf("the standard log's line is not a JSON record:\n%s", p.stderr)
	}
	if stdlog.Writer() != os.Stderr {
		t.Error("the standard log was not restored when the program returned")
	}
}
