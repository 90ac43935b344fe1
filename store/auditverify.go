package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	badger "github.com/dgraph-io/badger/v4"
)

// Kinds of audit chain damage reported in AuditProblem.Kind.
const (
	AuditModified  = "modified"  // an entry's content no longer matches its hash or its successor's prev_hash
	AuditRemoved   = "removed"   // an entry is missing (gap in the sequence or truncated tail)
	AuditReordered = "reordered" // an entry sits at another entry's position
	AuditInserted  = "inserted"  // entries beyond the recorded head
)

// AuditProblem names the first bad entry of a broken audit chain. It wraps ErrAuditBroken.
type AuditProblem struct {
	Seq    uint64 // sequence number (position) of the first bad entry
	Kind   string // AuditModified, AuditRemoved, AuditReordered or AuditInserted
	Detail string // human-readable explanation
}

func (p *AuditProblem) Error() string {
	return fmt.Sprintf("audit chain broken at entry %d: %s (%s)", p.Seq, p.Kind, p.Detail)
}

// Unwrap returns ErrAuditBroken.
func (p *AuditProblem) Unwrap() error { return ErrAuditBroken }

// AuditReport summarises a verified audit chain.
type AuditReport struct {
	Entries  uint64 // number of entries, equal to the last sequence number
	HeadHash string // hex hash of the last entry; publish it elsewhere to anchor the chain
}

// VerifyAudit walks the whole audit log and checks sequence numbers, every hash and
// every prev_hash link, and the recorded head. On damage it returns an *AuditProblem
// naming the first modified, removed or reordered entry.
func (s *Store) VerifyAudit() (AuditReport, error) {
	var rep AuditReport
	err := s.view(func(txn *badger.Txn) error {
		var err error
		rep, err = verifyAuditTxn(txn)
		return err
	})
	return rep, err
}

func verifyAuditTxn(txn *badger.Txn) (AuditReport, error) {
	expect, prev := uint64(1), zeroHash
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxAudit), PrefetchValues: true})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		k := item.Key()
		if len(k) != len(pfxAudit)+8 {
			return AuditReport{}, &AuditProblem{Seq: expect, Kind: AuditInserted, Detail: fmt.Sprintf("foreign key %q in the audit log", k)}
		}
		pos := binary.BigEndian.Uint64(k[len(pfxAudit):])
		if pos != expect {
			return AuditReport{}, &AuditProblem{Seq: expect, Kind: AuditRemoved,
				Detail: fmt.Sprintf("entry %d is missing; next entry present is %d", expect, pos)}
		}
		var e AuditEntry
		if err := item.Value(func(v []byte) error { return json.Unmarshal(v, &e) }); err != nil {
			return AuditReport{}, &AuditProblem{Seq: pos, Kind: AuditModified, Detail: "entry is not valid JSON"}
		}
		if e.Seq != pos {
			return AuditReport{}, &AuditProblem{Seq: pos, Kind: AuditReordered,
				Detail: fmt.Sprintf("position %d holds entry %d", pos, e.Seq)}
		}
		if hashEntry(e) != e.Hash {
			return AuditReport{}, &AuditProblem{Seq: pos, Kind: AuditModified, Detail: "content does not match its hash"}
		}
		if e.PrevHash != prev {
			if pos == 1 {
				return AuditReport{}, &AuditProblem{Seq: 1, Kind: AuditModified, Detail: "first entry does not start from the genesis hash"}
			}
			return AuditReport{}, &AuditProblem{Seq: pos - 1, Kind: AuditModified,
				Detail: fmt.Sprintf("entry %d was rewritten: its hash is not the prev_hash recorded by entry %d", pos-1, pos)}
		}
		prev = e.Hash
		expect++
	}
	last := expect - 1
	head := auditHead{Hash: zeroHash}
	v, err := getValue(txn, []byte(keyAuditHead))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return AuditReport{}, err
	}
	if err == nil {
		if err := json.Unmarshal(v, &head); err != nil {
			return AuditReport{}, &AuditProblem{Seq: last, Kind: AuditModified, Detail: "audit head record is not valid JSON"}
		}
	}
	switch {
	case head.Seq > last:
		return AuditReport{}, &AuditProblem{Seq: last + 1, Kind: AuditRemoved,
			Detail: fmt.Sprintf("log ends at entry %d but the head records %d entries", last, head.Seq)}
	case head.Seq < last:
		return AuditReport{}, &AuditProblem{Seq: head.Seq + 1, Kind: AuditInserted,
			Detail: fmt.Sprintf("entries after the recorded head %d", head.Seq)}
	case head.Hash != prev:
		return AuditReport{}, &AuditProblem{Seq: last, Kind: AuditModified, Detail: "last entry does not match the recorded head hash"}
	}
	return AuditReport{Entries: last, HeadHash: prev}, nil
}
