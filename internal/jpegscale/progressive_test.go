package jpegscale

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestDecodeAt_ProgressiveMatchesSequential decodes each progressive test
// file and its sequential twin (the same coefficients, sent in one scan) at
// every scale: the images must be identical. At reduced scales this checks
// the progressive path's compact coefficient store (progStore), which keeps
// only what the reduced inverse DCT and the refinement scans need.
func TestDecodeAt_ProgressiveMatchesSequential(t *testing.T) {
	pairs := 0
	for _, name := range testdataJPEGs(t) {
		seqName, ok := strings.CutSuffix(name, ".progressive.jpeg")
		if !ok || strings.Contains(name, "truncated") {
			continue
		}
		seqName += ".jpeg"
		prog, seq := readTestdata(t, name), readTestdata(t, seqName)
		pairs++
		for _, s := range []int{1, 2, 4, 8} {
			t.Run(fmt.Sprintf("%s/1:%d", name, s), func(t *testing.T) {
				want, err := decodeAt(bytes.NewReader(seq), s)
				if err != nil {
					t.Fatal(err)
				}
				got, err := decodeAt(bytes.NewReader(prog), s)
				if err != nil {
					t.Fatal(err)
				}
				if reflect.TypeOf(got) != reflect.TypeOf(want) || got.Bounds() != want.Bounds() {
					t.Fatalf("%T %v, %s gives %T %v", got, got.Bounds(), seqName, want, want.Bounds())
				}
				// Compare the planes as stored (not through At, which
				// converts), within the image: the padding blocks past its
				// edges are not sent by progressive scans.
				gp, wp := planes(t, got), planes(t, want)
				for i := range wp {
					for y := range wp[i].h {
						for x := range wp[i].w {
							if g, w := gp[i].at(x, y), wp[i].at(x, y); g != w {
								t.Fatalf("%s (%d,%d) = %d, %s gives %d", gp[i].name, x, y, g, seqName, w)
							}
						}
					}
				}
			})
		}
	}
	if pairs < 8 {
		t.Fatalf("only %d progressive/sequential pairs in testdata", pairs)
	}
}
