// Package dsp is voxguard's acoustic front end: Kaldi-compatible MFCC extraction, deltas,
// energy voice-activity detection and sliding cepstral mean normalisation (or feature
// warping), all usable in streaming form — push samples in any chunking, pull frames — with
// output bit-identical to processing the whole recording at once.
//
// Audio decoding, G.711 codecs and resampling live in the sub-package dsp/audio; this package
// starts from linear samples at the analysis rate, as float32 in [-1, 1) (a 16-bit value v is
// v/32768). Like Kaldi, the MFCC computation scales them back to the 16-bit integer range.
//
// # Pipeline
//
//	samples -> MFCC (C0 = raw log energy) -> deltas + double deltas -> [VAD decision, CMN] -> frames
//
// This is the order of Kaldi's usual speaker-recognition recipe: compute-vad on the raw MFCCs,
// add-deltas, apply-cmvn-sliding, then select-voiced-frames (here the voiced flag comes with
// each frame and the caller keeps or drops it).
//
// # Latency of the streaming form
//
// MFCC frames are ready as soon as their 25 ms of audio is in. Deltas need 4 frames of look-ahead
// (window 2, applied twice for the double deltas). Centred sliding CMN over W frames needs the
// frames up to W/2 ahead — and at the start of a recording up to W frames ahead, because Kaldi
// shifts the window right rather than shrinking it — so with W = 300 a frame becomes final 1.5 s
// after it was spoken (3 s at the very start). Recordings shorter than the window are normalised
// over their whole length, which is known only at the end. Frontend.Flush declares the end and
// releases every pending frame exactly as batch processing would.
//
// A live call session that must assess the caller before those frames are final takes a
// snapshot: Frontend.CopyFrom copies the front end's state (a few hundred kilobytes at most),
// and flushing the copy yields the frames the batch computation would give if the call ended
// now. The session accumulates the final frames into its running statistics and the provisional
// tail into a throw-away copy of them for each assessment, so an assessment always reflects every
// sample received, in constant memory, and the final assessment equals the batch result.
package dsp
