package models

import (
	"bytes"
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
		b := *base
		b.Meta.Extra = map[string]string{}
		for k, x := range base.Meta.Extra {
			b.Meta.Extra[k] = x
		}
		delete(b.Meta.Extra, SelectionGroupsKey)
		if v != "" {
			b.Meta.Extra[SelectionGroupsKey] = v
		}
		var buf bytes.Buffer
		if _, err := b.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		return ReadBundle(&buf, nil)
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
