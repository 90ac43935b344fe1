package store

import (
	"errors"
	"fmt"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// WatchlistEntry is a known fraudster's voice. It needs no consent but must carry the
// legal basis for processing and the case it comes from.
type WatchlistEntry struct {
	ID         string     `json:"id"`          // record id; filled in when empty
	Label      string     `json:"label"`       // analyst-facing label, e.g. "ring-17 caller A"
	CaseRef    string     `json:"case_ref"`    // fraud case reference
	LegalBasis string     `json:"legal_basis"` // e.g. "GDPR Art. 6(1)(f) fraud prevention"
	AddedBy    string     `json:"added_by"`    // API key id that added it
	Added      time.Time  `json:"added"`       // UTC
	Voiceprint Voiceprint `json:"voiceprint"`  // voice data; SubjectID is empty
}

// Watchlist storage: w/<id> holds "VXWL" 0x01 and the entry without N and F in the binary
// field encoding of fieldcodec.go (embedding last); ws/<id> holds the N and F statistics,
// so that loading all entries with their embeddings at startup reads and decodes little.
var wlMagic = []byte("VXWL\x01")

func encodeWatchHeader(e WatchlistEntry) []byte {
	vp := e.Voiceprint
	b := make([]byte, 0, 256+4*len(vp.Embedding))
	b = append(b, wlMagic...)
	for _, f := range []string{e.ID, e.Label, e.CaseRef, e.LegalBasis, e.AddedBy} {
		b = putString(b, f)
	}
	b = putTime(b, e.Added)
	for _, f := range []string{vp.ID, vp.SubjectID, vp.BundleVersion, vp.Source} {
		b = putString(b, f)
	}
	b = putFloat64(b, vp.SpeechSeconds)
	b = putFloatMap(b, vp.Quality)
	b = putTime(b, vp.Created)
	return appendFloats(b, vp.Embedding)
}

func decodeWatchHeader(b []byte) (WatchlistEntry, error) {
	var e WatchlistEntry
	if len(b) < len(wlMagic) || string(b[:len(wlMagic)]) != string(wlMagic) {
		return e, fmt.Errorf("store: corrupt watchlist entry")
	}
	r := &fieldReader{b: b[len(wlMagic):]}
	e.ID, e.Label, e.CaseRef, e.LegalBasis, e.AddedBy = r.string(), r.string(), r.string(), r.string(), r.string()
	e.Added = r.time()
	vp := &e.Voiceprint
	vp.ID, vp.SubjectID, vp.BundleVersion, vp.Source = r.string(), r.string(), r.string(), r.string()
	vp.SpeechSeconds = r.float64()
	vp.Quality = r.floatMap()
	vp.Created = r.time()
	vp.Embedding = r.floats()
	if r.err != nil {
		return e, fmt.Errorf("watchlist entry: %w", r.err)
	}
	return e, nil
}

// encodeWatchStats writes N and F and, with a second system's statistics, its version string,
// SecondN and SecondF after them (records without them end after F, as before).
func encodeWatchStats(vp Voiceprint) []byte {
	b := make([]byte, 0, 32+len(vp.SecondVersion)+4*(len(vp.N)+len(vp.F)+len(vp.SecondN)+len(vp.SecondF)))
	b = appendFloats(appendFloats(b, vp.N), vp.F)
	if vp.SecondVersion != "" {
		b = putString(b, vp.SecondVersion)
		b = appendFloats(appendFloats(b, vp.SecondN), vp.SecondF)
	}
	return b
}

func decodeWatchStats(b []byte, vp *Voiceprint) error {
	var err error
	if vp.N, b, err = readFloats(b); err != nil {
		return err
	}
	if vp.F, b, err = readFloats(b); err != nil || len(b) == 0 {
		return err
	}
	r := &fieldReader{b: b}
	vp.SecondVersion = r.string()
	if r.err != nil {
		return fmt.Errorf("watchlist statistics: %w", r.err)
	}
	if vp.SecondN, b, err = readFloats(r.b); err != nil {
		return err
	}
	vp.SecondF, _, err = readFloats(b)
	return err
}

func (s *Store) prepareWatch(actor string, e *WatchlistEntry) error {
	if e.ID == "" {
		e.ID = NewID("wl_")
	}
	if err := checkID("watchlist entry", e.ID); err != nil {
		return err
	}
	if e.LegalBasis == "" || e.CaseRef == "" || e.Label == "" {
		return fmt.Errorf("%w: watchlist entry needs a label, a legal basis and a case reference", ErrInvalid)
	}
	e.Voiceprint.SubjectID = ""
	if e.Voiceprint.ID == "" {
		e.Voiceprint.ID = e.ID
	}
	if e.Voiceprint.Created.IsZero() {
		e.Voiceprint.Created = s.now()
	}
	if err := e.Voiceprint.validate(); err != nil {
		return err
	}
	e.AddedBy, e.Added = actor, s.now()
	return nil
}

func (t *tx) putWatch(actor string, e WatchlistEntry) error {
	k := watchKey(e.ID)
	if ok, err := exists(t.txn, k); err != nil || ok {
		return errors.Join(err, fmt.Errorf("%w: watchlist entry %s", ErrExists, e.ID))
	}
	if err := t.txn.Set(k, encodeWatchHeader(e)); err != nil {
		return err
	}
	if len(e.Voiceprint.N) > 0 {
		if err := t.txn.Set(watchStatsKey(e.ID), encodeWatchStats(e.Voiceprint)); err != nil {
			return err
		}
	}
	_, err := t.audit(actor, "watchlist.add", "watchlist:"+e.ID, OutcomeOK)
	return err
}

// AddWatchlistEntry stores a watchlist entry. Label, LegalBasis and CaseRef are required;
// AddedBy and Added are set from actor and now.
func (s *Store) AddWatchlistEntry(actor string, e WatchlistEntry) (WatchlistEntry, error) {
	if err := s.prepareWatch(actor, &e); err != nil {
		return e, err
	}
	return e, s.update(func(t *tx) error { return t.putWatch(actor, e) })
}

// ImportWatchlist stores many entries, batch per transaction (each entry still gets its
// own audit entry). It returns how many were stored; on error, earlier batches remain.
func (s *Store) ImportWatchlist(actor string, entries []WatchlistEntry, batch int) (int, error) {
	if batch <= 0 {
		batch = 256
	}
	for i := range entries {
		if err := s.prepareWatch(actor, &entries[i]); err != nil {
			return 0, fmt.Errorf("entry %d: %w", i, err)
		}
	}
	done := 0
	for done < len(entries) {
		end := min(done+batch, len(entries))
		err := s.update(func(t *tx) error {
			for _, e := range entries[done:end] {
				if err := t.putWatch(actor, e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return done, err
		}
		done = end
	}
	return done, nil
}

// GetWatchlistEntry returns one entry, with its N and F statistics when withStats.
func (s *Store) GetWatchlistEntry(id string, withStats bool) (WatchlistEntry, error) {
	var e WatchlistEntry
	err := s.view(func(txn *badger.Txn) error {
		v, err := getValue(txn, watchKey(id))
		if errors.Is(err, ErrNotFound) {
			return notFound("watchlist entry")
		}
		if err != nil {
			return err
		}
		if e, err = decodeWatchHeader(v); err != nil || !withStats {
			return err
		}
		sv, err := getValue(txn, watchStatsKey(id))
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return decodeWatchStats(sv, &e.Voiceprint)
	})
	return e, err
}

// LoadWatchlist calls fn for every entry in id order, without N and F statistics (the
// embedding is included): what the engine loads into memory at startup for 1:N search.
func (s *Store) LoadWatchlist(fn func(WatchlistEntry) error) error {
	return s.view(func(txn *badger.Txn) error {
		return scan(txn, []byte(pfxWatch), func(_, v []byte) error {
			e, err := decodeWatchHeader(v)
			if err != nil {
				return err
			}
			return fn(e)
		})
	})
}

// RemoveWatchlistEntry deletes an entry and its statistics.
func (s *Store) RemoveWatchlistEntry(actor, id string) error {
	return s.update(func(t *tx) error {
		if ok, err := exists(t.txn, watchKey(id)); err != nil || !ok {
			return errors.Join(err, notFound("watchlist entry"))
		}
		if err := errors.Join(t.txn.Delete(watchKey(id)), t.txn.Delete(watchStatsKey(id))); err != nil {
			return err
		}
		_, err := t.audit(actor, "watchlist.remove", "watchlist:"+id, OutcomeOK)
		return err
	})
}
