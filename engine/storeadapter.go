package engine

import (
	"container/list"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/store"
)

// StatsVersion names the statistics space of bundle b: voiceprints are stored as Baum-Welch
// statistics, which stay valid for any bundle built on the same UBM, so the version recorded
// with them (store.Voiceprint.BundleVersion) is the UBM's fingerprint.
func StatsVersion(b *models.Bundle) string { return fmt.Sprintf("ubm-%016x", b.UBM.Fingerprint()) }

// StoreVoices implements Voiceprints and Watchlist on an encrypted store. A subject's voiceprint
// is the sum of the statistics of all its stored voiceprints of this bundle's statistics space,
// prepared for scoring and cached; it is usable only while the subject has an active consent to
// voice verification (checked at every lookup). The watchlist is held in memory: loaded by
// ReloadWatchlist and reloaded whenever entries change through this adapter.
type StoreVoices struct {
	st      *store.Store
	b       *models.Bundle
	v       *models.Verifier
	version string
	// version2 is the second speaker system's statistics space (models.Bundle.Second; "" without
	// one): voiceprints made with such a bundle keep those statistics too (store.Voiceprint.
	// SecondN, SecondF), and those made before keep the first system's alone and score with it.
	version2 string

	mu       sync.Mutex
	cache    map[string]*list.Element // subject id -> element of lru holding a cachedVoiceprint
	lru      *list.List               // most recently used first
	cacheMax int                      // entries kept at most
	gen      uint64                   // bumped by Invalidate: a voiceprint prepared across one is not cached

	wl atomic.Pointer[[]WatchlistEntry]
	// fusedV prepares the probes of Fused (both speaker systems fused) when b has a second
	// system and v is the first system's alone; nil otherwise (Fused is then sv itself).
	// fusedWL is the watchlist prepared with it.
	fusedV  *models.Verifier
	fusedWL atomic.Pointer[[]WatchlistEntry]
	// otherSpace counts the watchlist entries the last reload skipped because their statistics
	// belong to another statistics space (a bundle on another UBM).
	otherSpace atomic.Int64
}

// cachedVoiceprint is one entry of the voiceprint cache.
type cachedVoiceprint struct {
	id string
	p  *models.Probe
}

// DefaultVoiceprintCache is how many prepared voiceprints a StoreVoices keeps in memory by
// default (least recently used dropped first). With the default bundle's first system (a
// 256-Gaussian UBM since c28) one takes ~124 KiB, most of it the GMM scorer's vectors as a model
// and as a test (234 KiB with c27's 512-Gaussian UBM); prepared for both of c44's systems
// (Config.SecondSystem, serve's default) ~248 KiB, so 2,048 of them ~500 MiB. A live call holds its
// claimed voiceprint itself, so eviction costs a later claim of that subject one store read and
// preparation (a few ms), never a call's verdict.
const DefaultVoiceprintCache = 2048

// NewStoreVoices returns the store adapter for bundle b and loads the watchlist. With a second
// speaker system in b, enrollments and watchlist entries store both systems' statistics when
// the statistics given have both (Engine.Stats does; a call's, Session.Stats, only when the
// engine scored the call with the second system), whatever secondSystem; secondSystem (as the
// engine's Config.SecondSystem) says whether the probes it prepares carry the second's side too
// or are the first system's alone (models.Bundle.FirstSystem).
func NewStoreVoices(st *store.Store, b *models.Bundle, secondSystem bool) (*StoreVoices, error) {
	vb := b
	if !secondSystem {
		vb = b.FirstSystem()
	}
	v, err := models.NewVerifier(vb)
	if err != nil {
		return nil, err
	}
	sv := &StoreVoices{st: st, b: b, v: v, version: StatsVersion(b), cache: map[string]*list.Element{},
		lru: list.New(), cacheMax: DefaultVoiceprintCache}
	if b.Second != nil {
		sv.version2 = StatsVersion(b.Second)
		if !secondSystem {
			if sv.fusedV, err = models.NewVerifier(b); err != nil {
				return nil, err
			}
		}
	}
	empty := []WatchlistEntry{}
	sv.wl.Store(&empty)
	sv.fusedWL.Store(&empty)
	return sv, sv.ReloadWatchlist()
}

// Store returns the underlying store.
func (sv *StoreVoices) Store() *store.Store { return sv.st }

// Version returns the statistics version voiceprints are written with.
func (sv *StoreVoices) Version() string { return sv.version }

// statsOf converts a stored voiceprint's statistics to models.Stats; ok is false when they
// belong to another statistics space or have the wrong shape. The second system's statistics
// come along (Stats.Second) when the voiceprint has them in this bundle's second space.
func (sv *StoreVoices) statsOf(vp store.Voiceprint) (*models.Stats, bool) {
	s, ok := statsIn(sv.b.UBM, vp.BundleVersion, sv.version, vp.N, vp.F)
	if ok && sv.version2 != "" {
		s.Second, _ = statsIn(sv.b.Second.UBM, vp.SecondVersion, sv.version2, vp.SecondN, vp.SecondF)
	}
	return s, ok
}

// statsIn converts stored statistics n, f of statistics space version to models.Stats of UBM u,
// whose space is want; ok is false for another space or the wrong shape.
func statsIn(u *models.GMM, version, want string, n, f []float32) (*models.Stats, bool) {
	if version != want || len(n) != u.C || len(f) != u.C*u.D {
		return nil, false
	}
	s := u.NewStats()
	for i, x := range n {
		s.N[i] = float64(x)
	}
	for i, x := range f {
		s.F[i] = float64(x)
	}
	return s, true
}

// voiceprintOf fills a store voiceprint's statistics from s (the second system's too, when s
// has them).
func (sv *StoreVoices) voiceprintOf(s *models.Stats) store.Voiceprint {
	vp := store.Voiceprint{BundleVersion: sv.version, N: float32s(s.N), F: float32s(s.F)}
	if s.Second != nil && sv.version2 != "" {
		vp.SecondVersion, vp.SecondN, vp.SecondF = sv.version2, float32s(s.Second.N), float32s(s.Second.F)
	}
	return vp
}

func float32s(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

// StoredStats returns the merged statistics of a subject's stored voiceprints of this
// statistics space, and their net speech in seconds; nil when there are none.
func (sv *StoreVoices) StoredStats(subjectID string) (*models.Stats, float64, error) {
	s, _, secs, err := sv.storedStats(subjectID)
	return s, secs, err
}

// storedStats is StoredStats with the merged statistics of the voiceprints' augmented copies
// (store.Voiceprint.AugN, AugF; nil when none has them).
func (sv *StoreVoices) storedStats(subjectID string) (sum, aug *models.Stats, secs float64, err error) {
	vps, err := sv.st.ListVoiceprints(subjectID)
	if err != nil {
		return nil, nil, 0, err
	}
	for _, vp := range vps {
		s, ok := sv.statsOf(vp)
		if !ok {
			continue
		}
		if sum == nil {
			sum = s
		} else if err := sum.Add(s); err != nil {
			return nil, nil, 0, err
		}
		secs += vp.SpeechSeconds
		if a, ok := sv.statsOf(store.Voiceprint{BundleVersion: vp.BundleVersion, N: vp.AugN, F: vp.AugF}); ok {
			if aug == nil {
				aug = a
			} else if err := aug.Add(a); err != nil {
				return nil, nil, 0, err
			}
		}
	}
	return sum, aug, secs, nil
}

// Voiceprint implements Voiceprints: ErrNoVoiceprint for an unknown subject, ErrNoConsent for a
// known one without an active consent to voice verification, ErrNoVoiceprint without stored
// statistics of this bundle's space.
func (sv *StoreVoices) Voiceprint(subjectID string) (*models.Probe, error) {
	if err := sv.usable(subjectID); err != nil {
		return nil, err
	}
	sv.mu.Lock()
	if el, hit := sv.cache[subjectID]; hit {
		sv.lru.MoveToFront(el)
		p := el.Value.(*cachedVoiceprint).p
		sv.mu.Unlock()
		return p, nil
	}
	gen := sv.gen
	sv.mu.Unlock()
	p, err := sv.prepare(sv.v, subjectID)
	if err != nil {
		return nil, err
	}
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if sv.gen != gen { // invalidated meanwhile: the statistics read may be stale; use, don't keep
		return p, nil
	}
	if el, hit := sv.cache[subjectID]; hit { // prepared concurrently by another lookup
		sv.lru.MoveToFront(el)
		return el.Value.(*cachedVoiceprint).p, nil
	}
	sv.cache[subjectID] = sv.lru.PushFront(&cachedVoiceprint{subjectID, p})
	sv.evictLocked()
	return p, nil
}

// prepare reads subjectID's stored statistics and prepares them as an enrollment with v
// (ErrNoVoiceprint when there are none of this bundle's space).
func (sv *StoreVoices) prepare(v *models.Verifier, subjectID string) (*models.Probe, error) {
	s, aug, _, err := sv.storedStats(subjectID)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, ErrNoVoiceprint
	}
	p, err := v.PrepareEnrollment(s, aug, v.NewScratch())
	if err != nil {
		return nil, fmt.Errorf("engine: preparing the voiceprint: %w", err)
	}
	return p, nil
}

// usable returns nil when subjectID's voiceprint may be used: the subject exists and has an
// active consent to voice verification; otherwise ErrNoVoiceprint (unknown or erased subject),
// ErrNoConsent or the store's error. Without consent the subject's cached voiceprint is dropped.
func (sv *StoreVoices) usable(subjectID string) error {
	if subjectID == "" {
		return ErrNoVoiceprint
	}
	_, ok, err := sv.st.ActiveConsent(subjectID, store.PurposeVoiceVerification)
	if err != nil {
		return err
	}
	if !ok {
		sv.Invalidate(subjectID)
		if _, err := sv.st.GetSubject(subjectID); errors.Is(err, store.ErrNotFound) {
			return ErrNoVoiceprint // an unknown (or erased) subject has no voiceprint
		}
		return ErrNoConsent
	}
	return nil
}

// Fused returns the voiceprint and watchlist sources of an engine that scores with the bundle's
// second speaker system too (Engine.WithSecondSystem): their probes are prepared with both
// systems. When sv's own probes already are (NewStoreVoices with secondSystem), or the bundle
// has no second system, both are sv itself. Otherwise they share sv's store, consent checks and
// watchlist reloads (ReloadWatchlist prepares both watchlists), and voiceprints are prepared at
// every lookup, not cached: they serve recordings scored whole (one-shot uploads), each of which
// costs far more than one store read and preparation.
func (sv *StoreVoices) Fused() (Voiceprints, Watchlist) {
	if sv.fusedV == nil {
		return sv, sv
	}
	f := fusedVoices{sv}
	return f, f
}

// fusedVoices is StoreVoices.Fused's view of sv when its own probes are the first system's alone.
type fusedVoices struct{ sv *StoreVoices }

// Voiceprint is StoreVoices.Voiceprint with both systems, uncached.
func (f fusedVoices) Voiceprint(subjectID string) (*models.Probe, error) {
	if err := f.sv.usable(subjectID); err != nil {
		return nil, err
	}
	return f.sv.prepare(f.sv.fusedV, subjectID)
}

// Entries is StoreVoices.Entries prepared with both systems.
func (f fusedVoices) Entries() []WatchlistEntry { return *f.sv.fusedWL.Load() }

// evictLocked drops the least recently used voiceprints beyond the cache's bound; sv.mu held.
func (sv *StoreVoices) evictLocked() {
	for sv.lru.Len() > sv.cacheMax {
		old := sv.lru.Back()
		delete(sv.cache, old.Value.(*cachedVoiceprint).id)
		sv.lru.Remove(old)
	}
}

// SetCacheSize bounds the prepared voiceprints kept in memory to n (at least 1; 0 restores
// DefaultVoiceprintCache), dropping the least recently used beyond it at once.
func (sv *StoreVoices) SetCacheSize(n int) error {
	if n < 0 {
		return fmt.Errorf("engine: voiceprint cache size %d is negative", n)
	}
	if n == 0 {
		n = DefaultVoiceprintCache
	}
	sv.mu.Lock()
	defer sv.mu.Unlock()
	sv.cacheMax = n
	sv.evictLocked()
	return nil
}

// CachedVoiceprints reports how many prepared voiceprints are held in memory.
func (sv *StoreVoices) CachedVoiceprints() int {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	return sv.lru.Len()
}

// Invalidate drops a subject's cached voiceprint (after enrollment, consent withdrawal or
// erasure); a lookup preparing one at that moment does not cache what it read.
func (sv *StoreVoices) Invalidate(subjectID string) {
	sv.mu.Lock()
	if el, ok := sv.cache[subjectID]; ok {
		sv.lru.Remove(el)
		delete(sv.cache, subjectID)
	}
	sv.gen++
	sv.mu.Unlock()
}

// Entries implements Watchlist with the in-memory copy.
func (sv *StoreVoices) Entries() []WatchlistEntry { return *sv.wl.Load() }

// ReloadWatchlist reads every watchlist entry's statistics from the store and prepares them
// (for Fused's watchlist too). Entries of another statistics space are skipped.
func (sv *StoreVoices) ReloadWatchlist() error {
	var ids []string
	if err := sv.st.LoadWatchlist(func(e store.WatchlistEntry) error {
		ids = append(ids, e.ID)
		return nil
	}); err != nil {
		return err
	}
	ws := sv.v.NewScratch()
	out := make([]WatchlistEntry, 0, len(ids))
	var fused []WatchlistEntry
	var fws *models.VerifierScratch
	if sv.fusedV != nil {
		fused, fws = make([]WatchlistEntry, 0, len(ids)), sv.fusedV.NewScratch()
	}
	other := int64(0)
	for _, id := range ids {
		e, err := sv.st.GetWatchlistEntry(id, true)
		if errors.Is(err, store.ErrNotFound) {
			continue // removed meanwhile
		}
		if err != nil {
			return err
		}
		s, ok := sv.statsOf(e.Voiceprint)
		if !ok {
			other++
			continue
		}
		p, err := sv.v.Prepare(s, ws)
		if err != nil {
			continue
		}
		out = append(out, WatchlistEntry{ID: e.ID, Label: e.Label, Probe: p})
		if fused != nil {
			if p, err = sv.fusedV.Prepare(s, fws); err == nil {
				fused = append(fused, WatchlistEntry{ID: e.ID, Label: e.Label, Probe: p})
			}
		}
	}
	sv.wl.Store(&out)
	if fused != nil {
		sv.fusedWL.Store(&fused)
	}
	sv.otherSpace.Store(other)
	return nil
}

// OtherSpaceWatchlist returns how many watchlist entries the last reload could not use because
// they were made with a bundle on another UBM (another statistics space): they screen nobody
// until enrolled again or served with that bundle.
func (sv *StoreVoices) OtherSpaceWatchlist() int { return int(sv.otherSpace.Load()) }

// AddWatchlist stores a watchlist entry made of statistics s (label, legal basis and case
// reference in e) and reloads the in-memory watchlist.
func (sv *StoreVoices) AddWatchlist(actor string, e store.WatchlistEntry, s *models.Stats, speechSeconds float64, source string) (store.WatchlistEntry, error) {
	vp := sv.voiceprintOf(s)
	vp.SpeechSeconds, vp.Source = speechSeconds, source
	e.Voiceprint = vp
	e, err := sv.st.AddWatchlistEntry(actor, e)
	if err != nil {
		return e, err
	}
	return e, sv.ReloadWatchlist()
}

// RemoveWatchlist deletes an entry and reloads the in-memory watchlist.
func (sv *StoreVoices) RemoveWatchlist(actor, id string) error {
	if err := sv.st.RemoveWatchlistEntry(actor, id); err != nil {
		return err
	}
	return sv.ReloadWatchlist()
}
