package audio_test

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/voxguard/voxguard/dsp/audio"
)

func ExampleReadWAVFile() {
	a, err := audio.ReadWAVFile("../../testdata/audio/stereo_agent_caller.wav")
	if err != nil {
		panic(err)
	}
	caller, _ := a.Channel(1)
	fmt.Println(a.SampleRate, a.Channels, a.Encoding, a.Frames == int64(len(caller)))
	// Output: 8000 2 pcm true
}

func ExampleReadWAV_error() {
	_, err := audio.ReadWAV(bytes.NewReader([]byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x00\x00")))
	var fe *audio.FormatError
	fmt.Println(errors.As(err, &fe), errors.Is(err, audio.ErrTruncated), fe.Field)
	fmt.Println(err)
	// Output:
	// true true fmt
	// audio: truncated input: fmt: input ends after 4 of 16 bytes (at byte 24)
}

func ExampleStreamDecoder() {
	// A Twilio-style mu-law stream arrives in packets that need not align with samples.
	d, _ := audio.NewStreamDecoder(audio.StreamMulaw, 1, 0)
	var pcm []float32
	for _, packet := range [][]byte{{0xFF, 0x80}, {0x00}} {
		pcm = d.Decode(pcm, packet)
	}
	fmt.Println(len(pcm), pcm[1]*32768, pcm[2]*32768)
	// Output: 3 32124 -32124
}

func ExampleResampler() {
	r, _ := audio.NewResampler(16000, 8000)
	var out []float32
	chunk := make([]float32, 320) // 20 ms at 16 kHz
	for i := 0; i < 50; i++ {
		out = r.Process(out, chunk)
	}
	held := 8000 - len(out)
	out = r.Flush(out)
	fmt.Println(len(out), held == r.Delay())
	// Output: 8000 true
}
