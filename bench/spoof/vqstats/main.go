// Command vqstats prints, per recording of a countermeasure key (key.tsv's columns: id, path,
// class, family, split, codec), the harmonic phase statistics of dsp.VoiceQualityStats
// (HarmonicPhase; by default in the voice-source framing train-spoof uses: half rate, its frame
// shift and frame cap, its level floor) and the voiced share: "id class family split codec" then
// dsp.HarmonicPhaseDim values and the voiced share, tab-separated. Recordings with no frame
// counted are left out. bench/spoof/vq_auc.py reads its output.
//
// Usage: go run ./bench/spoof/vqstats [flags] KEY > STATS.tsv   (repository root)
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"sync"

	"github.com/voxguard/voxguard/bench/spoof/spoofkey"
	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/dsp/audio"
	"github.com/voxguard/voxguard/recipe"
)

func main() {
	shift := flag.Float64("shift", recipe.DefaultSpoofVQShiftMs, "frame shift, `ms`")
	maxF := flag.Int("max", recipe.DefaultSpoofVQMaxFrames, "frames of speech counted (0: all)")
	vmin := flag.Float64("vmin", dsp.TelephoneVoiceQuality().VoicedMin, "normalised autocorrelation that makes a frame voiced")
	floor := flag.Float64("floor", recipe.DefaultSpoofMinLevelDB, "level floor of the counted frames, `dBFS`")
	workers := flag.Int("workers", 2, "goroutines")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: vqstats [flags] KEY")
		os.Exit(2)
	}
	items, err := spoofkey.Read(flag.Arg(0))
	if err != nil {
		log.Fatal(err)
	}
	cfg := dsp.TelephoneVoiceQuality()
	cfg.FrameShiftMs, cfg.MaxFrames, cfg.VoicedMin = *shift, *maxF, *vmin
	cfg.HalfRate, cfg.HarmonicPhase = recipe.DefaultSpoofVQHalfRate, true
	if err := cfg.Validate(); err != nil {
		log.Fatal(err)
	}
	out := make([]string, len(items))
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range max(*workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				out[i] = line(items[i], cfg, *floor)
			}
		}()
	}
	for i := range items {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for _, s := range out {
		if s != "" {
			fmt.Println(s)
		}
	}
}

// line is the output line of it: "" when it cannot be read (reported on stderr) or no frame counts.
func line(it spoofkey.Item, cfg dsp.VoiceQualityConfig, floor float64) string {
	a, err := audio.ReadWAVFile(it.Path)
	if err != nil {
		log.Printf("%s: %v", it.Path, err)
		return ""
	}
	x, err := a.Channel(0)
	if err == nil && a.SampleRate != cfg.SampleRate {
		x, err = audio.Resample(x, a.SampleRate, cfg.SampleRate)
	}
	if err != nil {
		log.Printf("%s: %v", it.Path, err)
		return ""
	}
	st, err := dsp.NewVoiceQualityStats(cfg, floor)
	if err != nil {
		log.Fatal(err) // validated in main
	}
	st.Push(x)
	v := make([]float64, cfg.Dim())
	if st.Stats(v) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s", it.ID, it.Class, it.Family, it.Split, it.Codec)
	for _, z := range v[dsp.VoiceQualityDim:] {
		fmt.Fprintf(&b, "\t%.5f", z)
	}
	fmt.Fprintf(&b, "\t%.4f", v[0])
	return b.String()
}
