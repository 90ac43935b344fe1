package dsp

import (
	"errors"
	"fmt"
	"math"
)

// SpecConfig configures LogSpectrogram, the input of the countermeasure's spectrum network: the
// fine-grained log power spectrum (about 31 Hz per bin at 8 kHz), where vocoders, waveform
// concatenation and loudspeakers leave their marks on the harmonics, which cepstra smooth away.
type SpecConfig struct {
	// SampleRate is the audio's rate in Hz (8,000).
	SampleRate int `json:"sample_rate"`
	// FrameLength and FrameShift are in samples (256 and 80: 32 ms and 10 ms at 8 kHz); the FFT
	// is FrameLength points (a power of two), over a symmetric Hamming window.
	FrameLength int `json:"frame_length"`
	FrameShift  int `json:"frame_shift"`
	// Bins is the number of FFT bins kept, from 0 Hz (128 of 129).
	Bins int `json:"bins"`
	// FloorDB drops the frames whose power is more than FloorDB decibels under the loudest
	// frame's (35): pauses carry the channel, not the voice.
	FloorDB float64 `json:"floor_db"`
}

// TelephoneSpec is the spectrum network's front end for 8 kHz telephone audio.
func TelephoneSpec() SpecConfig {
	return SpecConfig{SampleRate: 8000, FrameLength: 256, FrameShift: 80, Bins: 128, FloorDB: 35}
}

// Validate reports a configuration LogSpectrogram cannot use.
func (c SpecConfig) Validate() error {
	if c.SampleRate <= 0 || c.FrameShift <= 0 {
		return errors.New("dsp: spectrum front end needs a sample rate and a frame shift")
	}
	if c.FrameLength < 8 || c.FrameLength&(c.FrameLength-1) != 0 {
		return fmt.Errorf("dsp: spectrum frame length %d is not a power of two >= 8", c.FrameLength)
	}
	if c.Bins < 1 || c.Bins > c.FrameLength/2+1 {
		return fmt.Errorf("dsp: %d spectrum bins of a %d-point FFT", c.Bins, c.FrameLength)
	}
	if !(c.FloorDB > 0) {
		return errors.New("dsp: spectrum floor must be positive")
	}
	return nil
}

// specPowerFloor is added to every bin's power (in squared sample units, samples in [-1, 1))
// before the logarithm.
const specPowerFloor = 1e-9

// LogSpectrogram returns the natural-log power spectra of samples (in [-1, 1)), one row of
// c.Bins values per frame (row-major in out, which is reused if large enough), keeping only the
// frames whose power (summed over every bin) is within c.FloorDB of the loudest frame's, in
// time order; T is the number of rows. Frames are c.FrameLength samples every c.FrameShift,
// the last frame the last that fits whole.
func LogSpectrogram(samples []float32, c SpecConfig, out []float32) (rows []float32, T int, err error) {
	if err := c.Validate(); err != nil {
		return nil, 0, err
	}
	n := c.FrameLength
	if len(samples) < n {
		return out[:0], 0, nil
	}
	frames := 1 + (len(samples)-n)/c.FrameShift
	fft, err := newRealFFT(n)
	if err != nil {
		return nil, 0, err
	}
	win := make([]float64, n)
	for i := range win {
		win[i] = 0.54 - 0.46*math.Cos(2*math.Pi*float64(i)/float64(n-1))
	}
	buf, pow := make([]float64, n), make([]float64, n/2+1)
	if cap(out) < frames*c.Bins {
		out = make([]float32, frames*c.Bins)
	}
	out = out[:frames*c.Bins]
	energy := make([]float64, frames)
	for t := range frames {
		x := samples[t*c.FrameShift : t*c.FrameShift+n]
		for i, v := range x {
			buf[i] = float64(v) * win[i]
		}
		fft.power(buf, pow)
		var e float64
		for _, p := range pow {
			e += p + specPowerFloor
		}
		energy[t] = e
		row := out[t*c.Bins : (t+1)*c.Bins]
		for k := range row {
			row[k] = float32(math.Log(pow[k] + specPowerFloor))
		}
	}
	loudest := 0.0
	for _, e := range energy {
		loudest = max(loudest, e)
	}
	floor := loudest * math.Pow(10, -c.FloorDB/10)
	for t, e := range energy {
		if e > floor {
			copy(out[T*c.Bins:(T+1)*c.Bins], out[t*c.Bins:(t+1)*c.Bins])
			T++
		}
	}
	return out[:T*c.Bins], T, nil
}
