package models

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"strings"
	"testing"
)

// TestSelectionGroupsMetadata checks that a bundle whose metadata asks for two-level selection
// is read with the UBM's hierarchy built and statistics scratch that uses it, that the
// selected components keep nearly all the posterior mass of frames drawn from the UBM, and
// that malformed values are refused.
func TestSelectionGroupsMetadata(t *testing.T) {
	base, err := DefaultBundle()
	if err != nil {
		t.Fatal(err)
	}
	reread := func(v string) (*Bundle, error) {
		return rereadWith(t, base, func(b *Bundle) {
			delete(b.Meta.Extra, SelectionGroupsKey)
			if v != "" {
				b.Meta.Extra[SelectionGroupsKey] = v
			}
		})
	}
	plain, err := reread("")
	if err != nil {
		t.Fatal(err)
	}
	if sc := plain.NewStatsScratch(); sc.Groups != 0 || plain.UBM.hier != nil {
		t.Fatalf("plain bundle: Groups %d, hierarchy %v; want neither", sc.Groups, plain.UBM.hier != nil)
	}
	b, err := reread("32/4")
	if err != nil {
		t.Fatal(err)
	}
	sc := b.NewStatsScratch()
	if sc.Groups != 4 || b.UBM.hier == nil || b.UBM.hier.k != 32 {
		t.Fatalf("Groups %d, hierarchy %v; want 4 groups of a 32-group hierarchy", sc.Groups, b.UBM.hier != nil)
	}
	r := newRand(7)
	mass := 0.0
	frames := sampleGMM(r, b.UBM, nil, 300)
	for _, x := range frames {
		b.UBM.Select(x, sc)
		idx, _ := sc.Selected()
		lx := b.UBM.LogLikelihood(x)
		for _, c := range idx {
			mass += math.Exp(b.UBM.ComponentLogLikelihood(int(c), x) - lx)
		}
	}
	t.Logf("32/4 selection keeps %.4f of the exact posterior mass", mass/300)
	if mass/300 < 0.95 {
		t.Errorf("32/4 selection keeps only %.3f of the posterior mass", mass/300)
	}
	if def := base.NewStatsScratch(); def.Groups != 8 {
		t.Errorf("the default bundle scores %d groups per frame, want its 64/8", def.Groups)
	}
	for _, bad := range []string{"8", "8/16", "0/1", "x/y", "1024/8"} {
		if _, err := reread(bad); err == nil || !strings.Contains(err.Error(), SelectionGroupsKey) {
			t.Errorf("%q: err %v, want a %s error", bad, err, SelectionGroupsKey)
		}
	}
}

// TestSelectionGroupMaxMetadata checks that a bundle's selection_group_max builds balanced
// groups no larger than it, and that caps that cannot hold every component are refused.
func TestSelectionGroupMaxMetadata(t *testing.T) {
	base, err := DefaultBundle()
	if err != nil {
		t.Fatal(err)
	}
	reread := func(groups, max string) (*Bundle, error) {
		return rereadWith(t, base, func(b *Bundle) {
			b.Meta.Extra[SelectionGroupsKey] = groups
			b.Meta.Extra[SelectionGroupMaxKey] = max
		})
	}
	b, err := reread("64/10", "12")
	if err != nil {
		t.Fatal(err)
	}
	h := b.UBM.hier
	for j := 0; j < h.k; j++ {
		if n := h.start[j+1] - h.start[j]; n > 12 {
			t.Fatalf("group %d holds %d components, above the cap of 12", j, n)
		}
	}
	if sc := b.NewStatsScratch(); sc.Groups != 10 {
		t.Errorf("Groups %d, want 10", sc.Groups)
	}
	tooSmall := fmt.Sprint((base.UBM.C - 1) / 64) // 64 groups of at most this many hold fewer than C
	for _, bad := range []string{"0", tooSmall, "x", "-3"} {
		if _, err := reread("64/10", bad); err == nil || !strings.Contains(err.Error(), SelectionGroupMaxKey) {
			t.Errorf("%q: err %v, want a %s error", bad, err, SelectionGroupMaxKey)
		}
	}
}

// TestMinPostMetadata checks that a bundle's min_post reaches the statistics scratch, prunes the
// statistics of frames drawn from the UBM to fewer components per frame with the same total
// occupancy, and that values outside [0, 1) are refused when the bundle is read.
func TestMinPostMetadata(t *testing.T) {
	base, err := DefaultBundle()
	if err != nil {
		t.Fatal(err)
	}
	reread := func(p float64) (*Bundle, error) {
		return rereadWith(t, base, func(b *Bundle) { b.Meta.MinPost = p })
	}
	frames := sampleGMM(newRand(11), base.UBM, nil, 300)
	kept := func(b *Bundle) (perFrame, occupancy float64) {
		sc, s := b.NewStatsScratch(), b.UBM.NewStats()
		n := 0
		for _, x := range frames {
			b.UBM.Accumulate(s, x, sc)
			idx, _ := sc.Selected()
			n += len(idx)
		}
		for _, v := range s.N {
			occupancy += v
		}
		return float64(n) / float64(len(frames)), occupancy
	}
	full, err := reread(0)
	if err != nil {
		t.Fatal(err)
	}
	pruned, err := reread(0.025)
	if err != nil {
		t.Fatal(err)
	}
	if sc := pruned.NewStatsScratch(); sc.MinPost != 0.025 {
		t.Fatalf("scratch MinPost %v, want the bundle's 0.025", sc.MinPost)
	}
	kf, of := kept(full)
	kp, op := kept(pruned)
	t.Logf("components per frame: %.2f of top-%d kept, %.2f with min_post 0.025", kf, base.Meta.TopC, kp)
	if !(kp < kf) || kp < 1 {
		t.Errorf("min_post 0.025 keeps %.2f components per frame against %.2f without", kp, kf)
	}
	if math.Abs(of-300) > 1e-9 || math.Abs(op-300) > 1e-9 {
		t.Errorf("total occupancy %v / %v, want 300 (one per frame)", of, op)
	}
	for _, bad := range []float64{-0.1, 1, 1.5} {
		if _, err := reread(bad); err == nil || !strings.Contains(err.Error(), "min_post") {
			t.Errorf("min_post %v: err %v, want a min_post error", bad, err)
		}
	}
}

// rereadWith writes a copy of base (its metadata's extra entries copied, so that edit cannot
// touch the shared default bundle's) changed by edit and reads it back, as a bundle file with
// that metadata would be read.
func rereadWith(t *testing.T, base *Bundle, edit func(*Bundle)) (*Bundle, error) {
	t.Helper()
	b := *base
	b.Meta.Extra = maps.Clone(base.Meta.Extra)
	if b.Meta.Extra == nil {
		b.Meta.Extra = map[string]string{}
	}
	edit(&b)
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return ReadBundle(&buf, nil)
}
