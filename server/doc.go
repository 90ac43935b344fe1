// Package server is voxguard's HTTP and WebSocket I/O: protocol adapters that turn a telephony
// platform's framing into engine.Session calls and the session's Assessments into that
// platform's replies, the agents' live event stream, and authentication by role. It computes no
// feature: audio is decoded and resampled with dsp/audio and handed to the engine.
//
// Endpoints (see each adapter's file): /v1/stream (native), /v1/twilio (Twilio Media Streams),
// /v1/audiohook (Genesys AudioHook v2), /v1/fork (L16 forks: Vonage, FreeSWITCH mod_audio_fork,
// jambonz) and /v1/events (agents).
//
// A stream that breaks its protocol is closed with a WebSocket close code and a short reason:
// 1007 for malformed JSON, 1003 for unsupported media (encoding, rate, channels), 1009 for an
// oversized message, 1002 for a message out of order (audio before start or after stop), 1008
// for failed authentication after the upgrade, 1013 (try again later) for a Twilio stream that
// authenticates in its start message and finds its key or the server at its call limit, 1011 for
// an internal error. Requests refused
// before the upgrade get an application/problem+json body with 401 (no or unknown key) or 403
// (the key's role may not use the endpoint, or a bad platform signature), 429 (the key streams
// its Config.MaxCallsPerKey calls already) or 503 with Retry-After (the server streams
// Config.MaxCalls calls already, or sheds load: Config.ShedDelay, overload.go).
//
// With a store (SetStore) the server also serves the REST API (api.go; its OpenAPI 3 document
// at /v1/openapi.json is built from the same route table): subjects, consents, enrollment,
// watchlist, one-shot verify and identify, calls, export, erasure, audit and API keys, each
// route open to the roles DESIGN.md gives it (admin always), with Authorization: Bearer
// ID.SECRET, 401 and 403 kept apart, every request audited in the store, errors as RFC 9457
// problem documents. It stores each call's record with its assessments when the call ends.
// Operations: /healthz, /readyz, /metrics (Prometheus). The REST handlers use the store's
// records directly where the engine adds no rule (subjects, consents, calls, audit, keys) and the
// engine for everything that touches voices (enrollment, watchlist, verification).
package server
