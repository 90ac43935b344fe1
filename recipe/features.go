package recipe

import (
	"encoding/binary"
	"flag"
	"fmt"
	"hash/crc32"
	"math"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/dsp/audio"
	"github.com/voxguard/voxguard/internal/progress"
)

// Features holds one recording's voiced frames in a single flat allocation.
type Features struct {
	Dim    int
	Frames [][]float32 // voiced frames, each Dim long, backed by one array
	// Digest is the CRC-32C of the audio the frames came from (the samples at the front end's
	// rate, as float32 bits), with Samples its length: set by FromFile, so that a training
	// checkpoint can tell the same recordings from others by content, not by file time.
	Digest  uint32
	Samples int
}

// FeatureExtractor turns audio files into voiced frames with a fixed front end. Each goroutine
// needs its own (it reuses its front end's buffers).
type FeatureExtractor struct {
	fe      *dsp.Frontend
	channel int
	buf     []float32
}

// NewFeatureExtractor returns an extractor for cfg reading the given channel of each file.
func NewFeatureExtractor(cfg dsp.FrontendConfig, channel int) (*FeatureExtractor, error) {
	fe, err := dsp.NewFrontend(cfg)
	if err != nil {
		return nil, err
	}
	return &FeatureExtractor{fe: fe, channel: channel, buf: make([]float32, cfg.Dim())}, nil
}

// FromSamples runs the front end on samples already at the configured rate and keeps the voiced
// frames.
func (x *FeatureExtractor) FromSamples(samples []float32) *Features {
	x.fe.Reset()
	x.fe.Push(samples)
	x.fe.Flush()
	d := x.fe.Dim()
	var flat []float32
	for {
		v, ok := x.fe.Next(x.buf)
		if !ok {
			break
		}
		if v {
			flat = append(flat, x.buf...)
		}
	}
	f := &Features{Dim: d, Frames: make([][]float32, len(flat)/d)}
	for i := range f.Frames {
		f.Frames[i] = flat[i*d : (i+1)*d : (i+1)*d]
	}
	return f
}

// FromFile decodes a WAV file, resamples it to the front end's rate and returns its voiced frames.
func (x *FeatureExtractor) FromFile(path string) (*Features, error) {
	s, err := x.Samples(path)
	if err != nil {
		return nil, err
	}
	f := x.FromSamples(s)
	f.Digest, f.Samples = samplesDigest(s), len(s)
	return f, nil
}

// castagnoli is the CRC-32C table (hardware-accelerated where the CPU has it).
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// samplesDigest is the CRC-32C of the samples' float32 bits, little-endian.
func samplesDigest(s []float32) uint32 {
	var buf [4096]byte
	crc := uint32(0)
	for len(s) > 0 {
		n := min(len(s), len(buf)/4)
		for i, v := range s[:n] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
		}
		crc = crc32.Update(crc, castagnoli, buf[:4*n])
		s = s[n:]
	}
	return crc
}

// FromFileAugmented is FromFile on a degraded copy of the file's audio (aug, seeded with
// dsp.AudioSeed of the samples at the front end's rate, as enrollment does).
func (x *FeatureExtractor) FromFileAugmented(path string, aug dsp.ChannelAugmentation) (*Features, error) {
	s, err := x.Samples(path)
	if err != nil {
		return nil, err
	}
	rate := x.fe.Config().MFCC.SampleRate
	return x.FromSamples(aug.Apply(s, rate, dsp.AudioSeed(s))), nil
}

// Samples decodes a WAV file's channel and resamples it to the front end's rate.
func (x *FeatureExtractor) Samples(path string) ([]float32, error) {
	a, err := audio.ReadWAVFile(path)
	if err != nil {
		return nil, err
	}
	s, err := a.Channel(x.channel)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if rate := x.fe.Config().MFCC.SampleRate; a.SampleRate != rate {
		if s, err = audio.Resample(s, a.SampleRate, rate); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return s, nil
}

// Parallel runs fn(worker, i) for i in [0, n) on workers goroutines (GOMAXPROCS if <= 0; worker
// is in [0, workers), for per-worker scratch), advancing bar (may be nil) once per item, and
// returns the first error, after which no new items start.
func Parallel(n, workers int, bar *progress.Bar, fn func(worker, i int) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, n))
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(w, i); err != nil {
					once.Do(func() { firstErr = err })
					next.Store(int64(n))
					return
				}
				bar.Add(1)
			}
		}()
	}
	wg.Wait()
	bar.Done()
	return firstErr
}

// ExtractAll computes the voiced features of every path on all cores, in order.
func ExtractAll(paths []string, cfg dsp.FrontendConfig, channel, workers int, bar *progress.Bar) ([]*Features, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	xs := make([]*FeatureExtractor, workers)
	for i := range xs {
		var err error
		if xs[i], err = NewFeatureExtractor(cfg, channel); err != nil {
			return nil, err
		}
	}
	out := make([]*Features, len(paths))
	err := Parallel(len(paths), workers, bar, func(w, i int) error {
		f, err := xs[w].FromFile(paths[i])
		out[i] = f
		return err
	})
	return out, err
}

// normFlag is a flag.Value setting a front end's normalisation by name.
type normFlag struct{ n *dsp.Normalization }

func (f normFlag) String() string {
	if f.n == nil {
		return ""
	}
	return string(*f.n)
}

func (f normFlag) Set(v string) error {
	switch n := dsp.Normalization(v); n {
	case dsp.NormNone, dsp.NormCMN, dsp.NormWarp:
		*f.n = n
		return nil
	}
	return fmt.Errorf("unknown normalisation %q (none, cmn, warp)", v)
}

// FrontendFlags registers on fs the front-end options `voxguard train` exposes, each defaulting
// to cfg's current value and writing into cfg when parsed: --norm (none, cmn or warp: sliding
// CMN or feature warping), --norm-window (frames), --mfcc-low-hz and --mfcc-high-hz (the mel
// filterbank's band; e.g. 300-3400 for the telephone band every codec keeps), --mfcc-bins and
// --mfcc-scale (the filterbank's size and its mel or linear spacing),
// --noise-suppression (spectral subtraction, dsp.NoiseSuppression) and --pncc (dsp.PNCC). The front end is
// recorded in the bundle, so the engine runs whatever the bundle was trained with. Call
// cfg.Validate() after parsing.
func FrontendFlags(fs *flag.FlagSet, cfg *dsp.FrontendConfig) {
	fs.Var(normFlag{&cfg.Norm}, "norm", "feature normalisation: `cmn` (sliding mean), warp (feature warping: sliding rank to a standard normal) or none")
	fs.IntVar(&cfg.NormWindow, "norm-window", cfg.NormWindow, "normalisation window in `frames` (10 ms each)")
	fs.IntVar(&cfg.NormAhead, "norm-ahead", cfg.NormAhead, "`frames` past each frame that the normalisation window (and the VAD's mean window) reaches: 0 centres them; fewer frames means less provisional work per live assessment")
	fs.Float64Var(&cfg.MFCC.LowFreq, "mfcc-low-hz", cfg.MFCC.LowFreq, "lowest edge of the MFCC mel filterbank in `Hz`")
	fs.Float64Var(&cfg.MFCC.HighFreq, "mfcc-high-hz", cfg.MFCC.HighFreq, "highest edge of the MFCC mel filterbank in `Hz` (<= 0: offset from Nyquist)")
	fs.IntVar(&cfg.MFCC.NumMelBins, "mfcc-bins", cfg.MFCC.NumMelBins, "triangular `filters` in the MFCC filterbank")
	fs.Func("mfcc-scale", "where the MFCC filterbank's triangles lie: \"mel\" (Kaldi's mel scale) or \"linear\" (equally spaced in Hz: linear-frequency cepstra)", func(v string) error {
		switch v {
		case "mel":
			cfg.MFCC.Scale = ""
		case dsp.ScaleLinear:
			cfg.MFCC.Scale = dsp.ScaleLinear
		default:
			return fmt.Errorf("want mel or linear, got %q", v)
		}
		return nil
	})
	fs.BoolFunc("noise-suppression", "subtract a running minimum-statistics noise estimate from each frame's power spectrum before the mel filterbank (dsp.TelephoneNoiseSuppression)", func(v string) error {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return err
		}
		cfg.MFCC.Noise = dsp.NoiseSuppression{}
		if on {
			cfg.MFCC.Noise = dsp.TelephoneNoiseSuppression()
		}
		return nil
	})
	fs.Func("pncc", "replace the log of the mel energies by PNCC's power-normalised processing (dsp.PNCC): \"full\" (noise suppression with temporal masking, then the 1/15 power law), \"power\" (the power law alone) or \"off\"", func(v string) error {
		switch v {
		case "off":
			cfg.MFCC.PNCC = dsp.PNCC{}
		case "power":
			cfg.MFCC.PNCC = dsp.PNCC{Exponent: dsp.TelephonePNCC().Exponent}
		case "full":
			cfg.MFCC.PNCC = dsp.TelephonePNCC()
		default:
			return fmt.Errorf("want full, power or off, got %q", v)
		}
		return nil
	})
}
