package models

import (
	"fmt"
	"strconv"
)

// SelectionGroupsKey is the Metadata.Extra key that turns on two-level Gaussian selection for the
// statistics of a bundle's UBM: "K/G" clusters the UBM's components into K groups when the bundle
// is read (GMM.BuildHierarchy) and, per frame, scores the K group summaries and then only the
// components of the best G groups (Scratch.Groups) instead of pre-ranking every component.
const SelectionGroupsKey = "selection_groups"

// SelectionGroupMaxKey is the Metadata.Extra key that caps the size of two-level selection's
// groups (GMM.BuildHierarchyBalanced): with "16", no group of the K holds more than 16
// components, so the best G groups hold at most 16·G. Without it the groups are plain k-means
// clusters, which on a UBM come out very uneven.
const SelectionGroupMaxKey = "selection_group_max"

// PrepareSelection builds the UBM's selection hierarchy when the metadata asks for one
// (ReadBundle does it); call it before the bundle is shared between goroutines.
func (b *Bundle) PrepareSelection() error {
	if p := b.Meta.MinPost; !(p >= 0 && p < 1) {
		return fmt.Errorf("models: min_post %g outside [0, 1)", p)
	}
	v, ok := b.Meta.Extra[SelectionGroupsKey]
	if !ok || b.UBM == nil {
		return nil
	}
	k, g, err := parseGroups(v, b.UBM.C)
	if err != nil {
		return fmt.Errorf("models: %s: %v", SelectionGroupsKey, err)
	}
	if v, ok := b.Meta.Extra[SelectionGroupMaxKey]; ok {
		m, err := strconv.Atoi(v)
		if err != nil || m < 1 || k*m < b.UBM.C {
			return fmt.Errorf("models: %s %q: want a group size N with %d groups × N ≥ %d components", SelectionGroupMaxKey, v, k, b.UBM.C)
		}
		if err := b.UBM.BuildHierarchyBalanced(k, m); err != nil {
			return err
		}
	} else if err := b.UBM.BuildHierarchy(k); err != nil {
		return err
	}
	b.selGroups = g
	return nil
}

// NewStatsScratch returns per-goroutine scratch for accumulating Baum-Welch statistics with the
// bundle's UBM as the bundle was made to be used: its top-C, pre-ranking dimensions and, when
// the metadata asks for it, two-level selection (SelectionGroupsKey) and the pruning of small
// posteriors (Metadata.MinPost).
func (b *Bundle) NewStatsScratch() *Scratch {
	sc := b.UBM.NewScratch(b.Meta.TopC, b.Meta.SelectDims)
	sc.Groups = b.selGroups
	sc.MinPost = b.Meta.MinPost
	return sc
}

// parseGroups reads a two-level selection "K/G" for a GMM of C components.
func parseGroups(v string, C int) (k, g int, err error) {
	if n, err := fmt.Sscanf(v, "%d/%d", &k, &g); n != 2 || err != nil || k < 1 || g < 1 || g > k || k > C {
		return 0, 0, fmt.Errorf("%q: want K/G with 1 <= G <= K <= %d", v, C)
	}
	return k, g, nil
}
