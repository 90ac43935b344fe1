package audio

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	gowav "github.com/go-audio/wav"
	"github.com/voxguard/voxguard/internal/cputime"
)

// rtClock measures a benchmark loop's process CPU time.
type rtClock struct{ cpu0 time.Duration }

// startRT starts measuring; call it right before the benchmark loop.
func startRT() rtClock { return rtClock{cputime.Process()} }

// report reports seconds of audio processed per CPU-second (user+system, all threads) and per
// wall-clock second, given the seconds of audio one iteration processes.
func (c rtClock) report(b *testing.B, audioSecondsPerOp float64) {
	audio := audioSecondsPerOp * float64(b.N)
	if cpu := (cputime.Process() - c.cpu0).Seconds(); cpu > 0 {
		b.ReportMetric(audio/cpu, "audio-s/cpu-s")
	}
	b.ReportMetric(audio/b.Elapsed().Seconds(), "audio-s/s")
}

func benchReadWAV(b *testing.B, name string) {
	data, err := os.ReadFile(filepath.Join(projectAudio, name))
	if err != nil {
		b.Fatal(err)
	}
	a, err := ReadWAV(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	clk := startRT()
	for b.Loop() {
		if _, err := ReadWAV(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
	clk.report(b, a.Duration())
}

// BenchmarkReadWAVMulaw decodes the 17 s mu-law demo file from memory.
func BenchmarkReadWAVMulaw(b *testing.B) { benchReadWAV(b, "demo_en_mulaw.wav") }

// BenchmarkReadWAVPCM16 decodes the 17 s 16-bit PCM demo file from memory.
func BenchmarkReadWAVPCM16(b *testing.B) { benchReadWAV(b, "demo_en.wav") }

// BenchmarkReadWAVFileMulaw decodes the mu-law demo file from disk (open, stat, read).
func BenchmarkReadWAVFileMulaw(b *testing.B) {
	path := filepath.Join(projectAudio, "demo_en_mulaw.wav")
	a, err := ReadWAVFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	clk := startRT()
	for b.Loop() {
		if _, err := ReadWAVFile(path); err != nil {
			b.Fatal(err)
		}
	}
	clk.report(b, a.Duration())
}

// BenchmarkGoAudioWavPCM16 decodes the same 16-bit PCM file with go-audio/wav, for comparison.
func BenchmarkGoAudioWavPCM16(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(projectAudio, "demo_en.wav"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	clk := startRT()
	for b.Loop() {
		if _, err := gowav.NewDecoder(bytes.NewReader(data)).FullPCMBuffer(); err != nil {
			b.Fatal(err)
		}
	}
	clk.report(b, float64(len(data)-44)/2/8000)
}

// benchStream decodes 10 s of an 8 kHz stream in 20 ms packets.
func benchStream(b *testing.B, enc StreamEncoding, channels int) {
	const rate, seconds, packetMs = 8000, 10, 20
	frame := channels * enc.BytesPerSample()
	src := make([]byte, rate*seconds*frame)
	for i := range src {
		src[i] = byte(i * 7)
	}
	d, _ := NewStreamDecoder(enc, channels, channels-1)
	dst := make([]float32, 0, rate*seconds)
	packet := rate * packetMs / 1000 * frame
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	clk := startRT()
	for b.Loop() {
		dst = dst[:0]
		for p := 0; p < len(src); p += packet {
			dst = d.Decode(dst, src[p:min(p+packet, len(src))])
		}
	}
	clk.report(b, seconds)
}

func BenchmarkStreamL16LEMono(b *testing.B)   { benchStream(b, L16LE, 1) }
func BenchmarkStreamL16BEStereo(b *testing.B) { benchStream(b, L16BE, 2) }
func BenchmarkStreamMulawMono(b *testing.B)   { benchStream(b, StreamMulaw, 1) }

// BenchmarkResample streams 1 s of noise through each rate pair in 20 ms chunks.
func BenchmarkResample(b *testing.B) {
	for _, pr := range resamplePairs {
		b.Run(fmt.Sprintf("%dto%d", pr[0], pr[1]), func(b *testing.B) {
			x := make([]float32, pr[0])
			for i := range x {
				x[i] = float32(0.3 * math.Sin(float64(i)*0.37) * math.Sin(float64(i)*0.011))
			}
			r, _ := NewResampler(pr[0], pr[1])
			dst := make([]float32, 0, pr[1]+r.Delay()+16)
			chunk := pr[0] / 50
			b.SetBytes(int64(4 * len(x)))
			b.ReportAllocs()
			clk := startRT()
			for b.Loop() {
				dst = dst[:0]
				for p := 0; p < len(x); p += chunk {
					dst = r.Process(dst, x[p:min(p+chunk, len(x))])
				}
			}
			clk.report(b, 1)
		})
	}
}
