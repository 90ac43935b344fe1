package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
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

	frames, err := streamFeatures(*wav, *channel, cfg)
	if err != nil {
		return err
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

// streamFeatures decodes path block by block into the front end, so a long recording is never
// held in memory, and returns the frames (the voiced ones only when cfg has a VAD).
func streamFeatures(path string, channel int, cfg dsp.FrontendConfig) ([][]float32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fe, err := dsp.NewFrontend(cfg)
	if err != nil {
		return nil, err
	}
	d := fe.Dim()
	var (
		flat  []float32
		mono  []float32
		res   *audio.Resampler
		rsBuf []float32
		frame = make([]float32, d)
	)
	pull := func() {
		for {
			voiced, ok := fe.Next(frame)
			if !ok {
				return
			}
			if voiced || cfg.VAD == nil {
				flat = append(flat, frame...)
			}
		}
	}
	started := false
	_, err = audio.StreamWAV(f, func(info audio.Info, block []float32) error {
		if !started {
			started = true
			if channel < 0 || channel >= info.Channels {
				return fmt.Errorf("channel %d out of range: the file has %d", channel, info.Channels)
			}
			if info.SampleRate != cfg.MFCC.SampleRate {
				if res, err = audio.NewResampler(info.SampleRate, cfg.MFCC.SampleRate); err != nil {
					return err
				}
			}
			n := cfg.MFCC.NumFrames(int(info.Frames * int64(cfg.MFCC.SampleRate) / int64(info.SampleRate)))
			fe.Reserve(n)
			flat = make([]float32, 0, n*d)
		}
		samples := block
		if info.Channels > 1 {
			mono = mono[:0]
			for i := channel; i < len(block); i += info.Channels {
				mono = append(mono, block[i])
			}
			samples = mono
		}
		if res != nil {
			rsBuf = res.Process(rsBuf[:0], samples)
			samples = rsBuf
		}
		fe.Push(samples)
		pull()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if res != nil {
		fe.Push(res.Flush(rsBuf[:0]))
	}
	fe.Flush()
	pull()
	rows := make([][]float32, len(flat)/d)
	for i := range rows {
		rows[i] = flat[i*d : (i+1)*d : (i+1)*d]
	}
	return rows, nil
}
