package main

import (
	"bufio"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/dsp/audio"
	"github.com/voxguard/voxguard/kaldiio"
)

func init() {
	register(command{
		name:    "features",
		summary: "print a recording's MFCC features as a Kaldi matrix (text or binary)",
		run:     runFeatures,
	})
}

func runFeatures(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("features", "--wav FILE [flags]", stderr)
	wav := fs.String("wav", "", "input WAV `file` (PCM, float, mu-law, A-law; any common rate)")
	channel := fs.Int("channel", 0, "channel to analyse, from 0")
	config := fs.String("config", "telephone", "MFCC configuration: telephone (8 kHz, 23 bins, 20 ceps) or wideband (16 kHz, 40 bins, 30 ceps)")
	vad := fs.Bool("vad", false, "keep only frames the energy VAD marks voiced (compute-vad + select-voiced-frames)")
	vadWindow := fs.Int("vad-window", 0, "`frames` over which the VAD takes the mean log energy; 0 = whole recording, as Kaldi's compute-vad")
	cmn := fs.Bool("cmn", false, "apply sliding cepstral mean normalisation (300 frames, centred)")
	warp := fs.Bool("warp", false, "apply feature warping over 300 frames instead of CMN")
	deltas := fs.Bool("deltas", false, "append deltas and double deltas (window 2)")
	binary := fs.Bool("binary", false, "write a Kaldi binary archive entry instead of text")
	key := fs.String("key", "", "archive key (default: the file name without extension)")
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if *wav == "" {
		return usageErrorf("--wav is required")
	}
	var cfg dsp.FrontendConfig
	switch *config {
	case "telephone":
		cfg.MFCC = dsp.TelephoneMFCC()
	case "wideband":
		cfg.MFCC = dsp.WidebandMFCC()
	default:
		return usageErrorf("--config must be telephone or wideband, not %q", *config)
	}
	cfg.Norm = dsp.NormNone
	if *deltas {
		cfg.DeltaOrder = 2
	}
	if *cmn && *warp {
		return usageErrorf("--cmn and --warp are alternatives")
	}
	if *cmn {
		cfg.Norm, cfg.NormWindow = dsp.NormCMN, 300
	}
	if *warp {
		cfg.Norm, cfg.NormWindow = dsp.NormWarp, 300
	}
	if *vad {
		v := dsp.KaldiVAD()
		v.MeanWindow = *vadWindow
		cfg.VAD = &v
	}
	if err := cfg.Validate(); err != nil {
		return usageErrorf("%v", err)
	}
	if *key == "" {
		*key = strings.TrimSuffix(filepath.Base(*wav), filepath.Ext(*wav))
	}

	a, err := audio.ReadWAVFile(*wav)
	if err != nil {
		return err
	}
	samples := a.Samples // a mono file's samples are the channel: no copy
	if a.Channels != 1 || *channel != 0 {
		if samples, err = a.Channel(*channel); err != nil {
			return err
		}
	}
	if a.SampleRate != cfg.MFCC.SampleRate {
		if samples, err = audio.Resample(samples, a.SampleRate, cfg.MFCC.SampleRate); err != nil {
			return fmt.Errorf("%s: %w", *wav, err)
		}
	}
	frames, voiced, err := dsp.Process(samples, cfg)
	if err != nil {
		return err
	}
	if cfg.VAD != nil {
		kept := frames[:0]
		for i, f := range frames {
			if voiced[i] {
				kept = append(kept, f)
			}
		}
		frames = kept
	}
	w := bufio.NewWriterSize(stdout, 1<<16)
	if *binary {
		err = kaldiio.WriteBinaryMatrix(w, *key, frames)
	} else {
		err = kaldiio.WriteTextMatrix(w, *key, frames)
	}
	if err != nil {
		return err
	}
	return w.Flush()
}
