// Command vqstats prints, per recording of a countermeasure key (key.tsv's columns: id, path,
// class, family, split, codec), the harmonic phase statistics of dsp.VoiceQualityStats
// (HarmonicPhase; the voice-source configuration train-spoof uses: half rate, 20 ms hop, the
// first 150 frames of speech at -50 dBFS or more) and the voiced share: "id class family split
// codec" then dsp.HarmonicPhaseDim values and the voiced share, tab-separated. Recordings with no
// frame counted are left out. bench/spoof/vq_auc.py reads its output.
//
// Usage: go run ./bench/spoof/vqstats [flags] KEY > STATS.tsv   (repository root)
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/dsp/audio"
)

func main() {
	shift := flag.Float64("shift", 20, "frame shift, `ms`")
	maxF := flag.Int("max", 150, "frames of speech counted (0: all)")
	vmin := flag.Float64("vmin", 0.5, "normalised autocorrelation that makes a frame voiced")
	floor := flag.Float64("floor", -50, "level floor of the counted frames, `dBFS`")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: vqstats [flags] KEY")
		os.Exit(2)
	}
	in, err := os.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sc := bufio.NewScanner(in)
	var rows [][]string
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if f[0] == "id" {
			continue
		}
		rows = append(rows, f)
	}
	out := make([]string, len(rows))
	var wg sync.WaitGroup
	ch := make(chan int)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ch {
				r := rows[i]
				a, err := audio.ReadWAVFile(r[1])
				if err != nil {
					fmt.Fprintf(os.Stderr, "%s: %v\n", r[1], err)
					continue
				}
				cfg := dsp.TelephoneVoiceQuality()
				cfg.FrameShiftMs, cfg.MaxFrames, cfg.HalfRate, cfg.HarmonicPhase, cfg.VoicedMin = *shift, *maxF, true, true, *vmin
				st, err := dsp.NewVoiceQualityStats(cfg, *floor)
				if err != nil {
					panic(err)
				}
				x, _ := a.Channel(0)
				st.Push(x)
				v := make([]float64, cfg.Dim())
				if st.Stats(v) == 0 {
					continue
				}
				var b strings.Builder
				fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s", r[0], r[2], r[3], r[4], r[5])
				for _, z := range v[dsp.VoiceQualityDim:] {
					fmt.Fprintf(&b, "\t%.5f", z)
				}
				fmt.Fprintf(&b, "\t%.4f", v[0])
				out[i] = b.String()
			}
		}()
	}
	for i := range rows {
		ch <- i
	}
	close(ch)
	wg.Wait()
	for _, s := range out {
		if s != "" {
			fmt.Println(s)
		}
	}
}
