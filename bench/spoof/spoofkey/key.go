package spoofkey

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"
)

// ReadWithAug returns the items of the key file at path followed by those of the comma-separated
// augmentation key files in augs (empty entries skipped), and for each item whether it came from
// an augmentation key. Augmented items must be training items.
func ReadWithAug(path, augs string) ([]Item, []bool, error) {
	items, err := Read(path)
	if err != nil {
		return nil, nil, err
	}
	aug := make([]bool, len(items))
	for _, k := range strings.Split(augs, ",") {
		if k == "" {
			continue
		}
		extra, err := Read(k)
		if err != nil {
			return nil, nil, err
		}
		for _, it := range extra {
			if it.Split != "train" {
				return nil, nil, fmt.Errorf("%s: %s is not a training item", k, it.ID)
			}
			aug = append(aug, true)
		}
		items = append(items, extra...)
	}
	return items, aug, nil
}

// Families returns the spoof families of items, sorted.
func Families(items []Item) []string {
	seen := map[string]bool{}
	var out []string
	for _, it := range items {
		if it.Class == "spoof" && !seen[it.Family] {
			seen[it.Family] = true
			out = append(out, it.Family)
		}
	}
	sort.Strings(out)
	return out
}

// HeldEvery is the share of the bona fide training files the leave-one-family-out tools hold
// out for fusion and thresholds: every HeldEvery-th, as train-spoof's --hold-out does.
const HeldEvery = 5

// IsHeld reports whether the n-th bona fide training file (counted from 0 in key order) is one of
// those held out.
func IsHeld(n int) bool { return n%HeldEvery == HeldEvery-1 }

// Dump writes per-file scores of a leave-one-family-out study, one row per fold and file: fold
// (the held-out family), set ("eval", or "held" for the held-out bona fide training files that
// fix the fold's thresholds), family, codec, id and the GMM, LTSS and fused scores.
type Dump struct {
	f *os.File
	w *bufio.Writer
}

// CreateDump creates the dump file at path and writes its header.
func CreateDump(path string) (*Dump, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	d := &Dump{f: f, w: bufio.NewWriter(f)}
	fmt.Fprintln(d.w, "fold\tset\tfamily\tcodec\tid\tgmm\tltss\tfused")
	return d, nil
}

// Row writes one row.
func (d *Dump) Row(fold, set, family, codec, id string, gmm, ltss, fused float64) {
	fmt.Fprintf(d.w, "%s\t%s\t%s\t%s\t%s\t%.6g\t%.6g\t%.6g\n", fold, set, family, codec, id, gmm, ltss, fused)
}

// Flush writes the rows so far to the file: called at the end of each fold, so that a long study
// stopped between folds keeps every finished fold's rows.
func (d *Dump) Flush() error { return d.w.Flush() }

// Close flushes and closes the file.
func (d *Dump) Close() error {
	if err := d.w.Flush(); err != nil {
		d.f.Close()
		return err
	}
	return d.f.Close()
}
