package store

import (
	"encoding/json"
	"errors"
	"testing"

	badger "github.com/dgraph-io/badger/v4"
)

// buildAuditStore makes a closed store in a fresh directory with entries 1..n in its log.
func buildAuditStore(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(testOptions(dir))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < n; i++ { // entry 1 is store.init
		if _, err := s.Audit("vk_t", "test.event", "thing", OutcomeOK); err != nil {
			t.Fatal(err)
		}
	}
	if rep := mustVerify(t, s); rep.Entries != uint64(n) {
		t.Fatalf("%d entries, want %d", rep.Entries, n)
	}
	s.Close()
	return dir
}

// rawEdit runs fn on the raw Badger database of a closed store.
func rawEdit(t *testing.T, dir string, fn func(txn *badger.Txn) error) {
	t.Helper()
	db, err := openBadger(testOptions(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func rawEntry(txn *badger.Txn, seq uint64) AuditEntry {
	var e AuditEntry
	v, _ := getValue(txn, auditKey(seq))
	json.Unmarshal(v, &e)
	return e
}

func setEntry(txn *badger.Txn, seq uint64, e AuditEntry) error {
	v, _ := json.Marshal(e)
	return txn.Set(auditKey(seq), v)
}

func TestAuditTamperDetected(t *testing.T) {
	const n = 10
	tests := []struct {
		name     string
		tamper   func(txn *badger.Txn) error
		wantSeq  uint64
		wantKind string
	}{
		{"modify outcome", func(txn *badger.Txn) error {
			e := rawEntry(txn, 5)
			e.Outcome = "denied:forged"
			return setEntry(txn, 5, e)
		}, 5, AuditModified},
		{"modify and rehash", func(txn *badger.Txn) error {
			e := rawEntry(txn, 4)
			e.Actor = "vk_someone_else"
			e.Hash = hashEntry(e)
			return setEntry(txn, 4, e)
		}, 4, AuditModified},
		{"modify last and rehash", func(txn *badger.Txn) error {
			e := rawEntry(txn, n)
			e.Action = "nothing.happened"
			e.Hash = hashEntry(e)
			return setEntry(txn, n, e)
		}, n, AuditModified},
		{"remove middle", func(txn *badger.Txn) error { return txn.Delete(auditKey(6)) }, 6, AuditRemoved},
		{"remove first", func(txn *badger.Txn) error { return txn.Delete(auditKey(1)) }, 1, AuditRemoved},
		{"remove last", func(txn *badger.Txn) error { return txn.Delete(auditKey(n)) }, n, AuditRemoved},
		{"reorder (swap 3 and 4)", func(txn *badger.Txn) error {
			a, b := rawEntry(txn, 3), rawEntry(txn, 4)
			return errorsJoin(setEntry(txn, 3, b), setEntry(txn, 4, a))
		}, 3, AuditReordered},
		{"reorder with renumbering and rehash", func(txn *badger.Txn) error {
			a, b := rawEntry(txn, 7), rawEntry(txn, 8)
			a.Seq, b.Seq = 8, 7
			b.PrevHash = a.PrevHash
			b.Hash = hashEntry(b)
			a.PrevHash = b.Hash
			a.Hash = hashEntry(a)
			return errorsJoin(setEntry(txn, 7, b), setEntry(txn, 8, a))
		}, 8, AuditModified},
		{"append forged entry", func(txn *badger.Txn) error {
			last := rawEntry(txn, n)
			e := AuditEntry{Seq: n + 1, Actor: "x", Action: "y", Target: "z", Outcome: "ok", PrevHash: last.Hash}
			e.Hash = hashEntry(e)
			return setEntry(txn, n+1, e)
		}, n + 1, AuditInserted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := buildAuditStore(t, n)
			rawEdit(t, dir, tc.tamper)
			s := openTestDir(t, dir)
			_, err := s.VerifyAudit()
			var p *AuditProblem
			if !errors.As(err, &p) || !errors.Is(err, ErrAuditBroken) {
				t.Fatalf("VerifyAudit = %v, want an AuditProblem", err)
			}
			if p.Seq != tc.wantSeq || p.Kind != tc.wantKind {
				t.Fatalf("got entry %d %s (%s), want entry %d %s", p.Seq, p.Kind, p.Detail, tc.wantSeq, tc.wantKind)
			}
		})
	}
}

func errorsJoin(errs ...error) error { return errors.Join(errs...) }

func TestAuditChainAcrossReopen(t *testing.T) {
	dir := buildAuditStore(t, 5)
	s := openTestDir(t, dir)
	e, err := s.Audit("vk", "a", "b", OutcomeOK)
	if err != nil || e.Seq != 6 {
		t.Fatalf("seq %d err %v", e.Seq, err)
	}
	if rep := mustVerify(t, s); rep.Entries != 6 || rep.HeadHash != e.Hash {
		t.Fatalf("report %+v", rep)
	}
	if _, err := s.Audit("", "a", "b", OutcomeOK); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty actor accepted: %v", err)
	}
}
