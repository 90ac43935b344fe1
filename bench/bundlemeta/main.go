// Command bundlemeta copies a model bundle, setting or removing entries of its metadata's
// Extra map (e.g. models.PrecisionRankKey) or taking the spoofing countermeasure from another
// bundle, and checks that the copy reads back. Every other section is copied unchanged
// (parameters are float32 in the file and stay bit-identical).
//
//	go run ./bench/bundlemeta -in IN.vxgb -out OUT.vxgb -set ivector_precision_rank=128 [-del KEY] [-spoof-from B.vxgb] [-spec-primary-only | -spec-none]
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/voxguard/voxguard/models"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	in := flag.String("in", "", "input bundle `file`")
	out := flag.String("out", "", "output bundle `file`")
	var set, del list
	flag.Var(&set, "set", "`KEY=VALUE` to set in the metadata's extra entries (repeatable)")
	flag.Var(&del, "del", "`KEY` to remove (repeatable)")
	spoofFrom := flag.String("spoof-from", "", "take the spoofing countermeasure from this bundle `file`")
	frameStep := flag.Int("spoof-frame-step", 0, "set the countermeasure's GMM frame step (`N` > 0; it lives in the countermeasure section, not in the metadata)")
	topC := flag.Int("top-c", 0, "set the metadata's top_c, the Gaussians selected per frame for the statistics (0: keep)")
	minPost := flag.Float64("min-post", -1, "set the metadata's min_post, the posterior below which a frame's selected Gaussians are dropped from the statistics (0: keep all)")
	frameSel := flag.String("spoof-frame-selection", "", "set the countermeasure's two-level frame selection, `K/G` (\"off\": exact)")
	primaryOnly := flag.Bool("spec-primary-only", false, "rewrite the countermeasure as its first spectrum network alone, as a live call that shed the network's views is scored and judged (models.Countermeasure.PrimaryOnly), to evaluate that path with the batch tools")
	baseOnly := flag.Bool("spec-none", false, "rewrite the countermeasure without its spectrum networks, as a live call that shed them is judged (models.Countermeasure.BaseOnly)")
	halfT := flag.Bool("half-precision-t", false, "store the extractor's T in half precision (Metadata.HalfPrecisionT, format 10), the second system's too; the bundle's calibration was trained with float32 T, so this measures what the storage alone changes")
	flag.Parse()
	if err := run(*in, *out, *spoofFrom, *frameStep, *frameSel, *minPost, *topC, *halfT, *primaryOnly, *baseOnly, set, del); err != nil {
		fmt.Fprintln(os.Stderr, "bundlemeta:", err)
		os.Exit(1)
	}
}

func run(in, out, spoofFrom string, frameStep int, frameSel string, minPost float64, topC int, halfT, primaryOnly, baseOnly bool, set, del []string) error {
	if in == "" || out == "" {
		return fmt.Errorf("-in and -out are required")
	}
	if primaryOnly && baseOnly {
		return fmt.Errorf("-spec-primary-only and -spec-none exclude each other")
	}
	b, err := models.ReadBundleFile(in)
	if err != nil {
		return err
	}
	if spoofFrom != "" {
		o, err := models.ReadBundleFile(spoofFrom)
		if err != nil {
			return err
		}
		if o.Spoof == nil {
			return fmt.Errorf("%s has no spoofing countermeasure", spoofFrom)
		}
		b.Spoof = o.Spoof
	}
	if primaryOnly {
		if b.Spoof == nil {
			return fmt.Errorf("-spec-primary-only: %s has no spoofing countermeasure", in)
		}
		if b.Spoof, err = b.Spoof.PrimaryOnly(); err != nil {
			return fmt.Errorf("-spec-primary-only: %w", err)
		}
	}
	if baseOnly {
		if b.Spoof == nil {
			return fmt.Errorf("-spec-none: %s has no spoofing countermeasure", in)
		}
		if b.Spoof, err = b.Spoof.BaseOnly(); err != nil {
			return fmt.Errorf("-spec-none: %w", err)
		}
	}
	if frameStep > 0 {
		if b.Spoof == nil {
			return fmt.Errorf("-spoof-frame-step: %s has no spoofing countermeasure", in)
		}
		b.Spoof.FrameStep = frameStep
	}
	if frameSel != "" {
		if b.Spoof == nil {
			return fmt.Errorf("-spoof-frame-selection: %s has no spoofing countermeasure", in)
		}
		if frameSel == "off" {
			frameSel = ""
		}
		b.Spoof.FrameSelection = frameSel
	}
	if halfT {
		b.Meta.HalfPrecisionT = true
		if b.Second != nil {
			b.Second.Meta.HalfPrecisionT = true
		}
	}
	if minPost >= 0 {
		b.Meta.MinPost = minPost
	}
	if topC > 0 {
		b.Meta.TopC = topC
	}
	if b.Meta.Extra == nil {
		b.Meta.Extra = map[string]string{}
	}
	for _, kv := range set {
		k, v, ok := strings.Cut(kv, "=")
		switch {
		case !ok || k == "":
			return fmt.Errorf("-set %q: want KEY=VALUE", kv)
		case k == "frame_step" || k == "frame_selection":
			return fmt.Errorf("-set %s: that is a countermeasure setting, not bundle metadata (use -spoof-frame-step or -spoof-frame-selection)", k)
		}
		b.Meta.Extra[k] = v
	}
	for _, k := range del {
		delete(b.Meta.Extra, k)
	}
	tmp := out + ".tmp"
	w, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := b.WriteTo(w); err != nil {
		w.Close()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	r, err := os.Open(tmp)
	if err != nil {
		return err
	}
	_, err = models.ReadBundle(r, nil) // the new metadata must be usable
	r.Close()
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("the copy does not read back: %w", err)
	}
	return os.Rename(tmp, out)
}
