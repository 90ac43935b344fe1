package audio

import (
	"fmt"
	"math"
	"os"

	goaudio "github.com/go-audio/audio"
	gowav "github.com/go-audio/wav"
)

// WriteWAVFile writes mono samples x (in [-1, 1), clipped beyond) at rate Hz to path as 16-bit
// PCM WAV, through go-audio/wav's encoder.
func WriteWAVFile(path string, x []float32, rate int) error {
	if rate <= 0 {
		return fmt.Errorf("audio: sample rate %d", rate)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := gowav.NewEncoder(f, rate, 16, 1, 1)
	buf := &goaudio.IntBuffer{Format: &goaudio.Format{NumChannels: 1, SampleRate: rate}, SourceBitDepth: 16, Data: make([]int, len(x))}
	for i, v := range x {
		buf.Data[i] = int(max(-32768, min(32767, math.Round(float64(v)*32768))))
	}
	if err := enc.Write(buf); err != nil {
		f.Close()
		return err
	}
	if err := enc.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
