// Package engine is voxguard's domain core: a call Session is a synchronous, deterministic state
// machine fed the caller's audio and emitting Assessments, on top of an Engine that holds the
// model bundle, the decision thresholds and the voiceprint and watchlist sources.
//
// The engine never touches a socket or a file: protocol adapters (package server) decode a
// platform's framing into float32 samples at Session.SampleRate and call Session.Push; the
// Assessments they get back are theirs to serialise.
//
// # Streaming and determinism
//
// A session runs the bundle's front end (dsp.Frontend) and accumulates the Baum-Welch statistics
// of every final voiced frame with the bundle's UBM, in constant memory. Sliding CMN makes frames
// final 1.5-3 s after they were spoken, so to assess at a given moment the session copies the
// front end, flushes the copy and accumulates the provisional tail into a copy of the statistics:
// an assessment reflects every sample received, and the final one (at Stop) equals the batch
// computation on the whole call.
//
// The session checks whether an assessment is due only at fixed positions of the sample stream
// (every Config.CheckEvery of audio), so the events depend on the audio and the order of Claim
// and Stop calls relative to it, never on how the audio was chunked.
//
// # Store, enrollment
//
// StoreVoices is the Voiceprints and Watchlist source on the encrypted store: a subject's
// voiceprint is the sum of the Baum-Welch statistics of its stored voiceprints (several
// enrollment sessions merge by addition), usable only while its consent is active. Enrollment
// (AnalyzeAudio, AnalyzeStats, Enroll) applies quality gates — net speech, SNR, clipping, a
// second voice — reports why each sample was refused, and screens the new voice against the
// watchlist before store.AddVoiceprint (which enforces consent again) keeps it.
package engine
