package jpegscale

import mathbits "math/bits" // "bits" is the decoder's bit accumulator

// progStore holds a progressive JPEG's coefficients between scans when it is
// decoded at a reduced scale, in far less memory than image/jpeg's 64 int32s
// per block (256 bytes): the n x n lowest-frequency coefficients the reduced
// inverse DCT reads (n = d.bs), and one bit per coefficient saying whether it
// is non-zero. The other coefficients' values are never used, but whether
// they are zero steers the decoding of refinement scans (section G.1.2.3),
// so that much is kept. At 1/8 a block takes 12 bytes, at 1/2 72. (Added in
// this fork.)
type progStore struct {
	n    int
	vals []int32  // n*n per block, row by row
	nz   []uint64 // per block, bit i: the coefficient at natural position i is non-zero
}

func newProgStore(blocks, n int) progStore {
	return progStore{n: n, vals: make([]int32, blocks*n*n), nz: make([]uint64, blocks)}
}

// load sets b to block i: the kept coefficients with their values, the other
// non-zero ones to 1, the rest to 0.
func (p *progStore) load(b *block, i int) {
	*b = block{}
	for nz := p.nz[i]; nz != 0; nz &= nz - 1 {
		b[mathbits.TrailingZeros64(nz)] = 1
	}
	v := p.vals[i*p.n*p.n:][:p.n*p.n]
	for u := range p.n {
		copy(b[8*u:8*u+p.n], v[u*p.n:])
	}
}

// save stores b as block i.
func (p *progStore) save(b *block, i int) {
	var nz uint64
	for k, c := range b {
		if c != 0 {
			nz |= 1 << k
		}
	}
	p.nz[i] = nz
	v := p.vals[i*p.n*p.n:][:p.n*p.n]
	for u := range p.n {
		copy(v[u*p.n:], b[8*u:8*u+p.n])
	}
}
