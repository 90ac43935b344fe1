package store

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// writeV1Store writes, with raw Badger writes, a store in the schema-1 layout: voiceprints
// as JSON, everything else as today, with a valid audit chain. It returns the voiceprints.
func writeV1Store(t *testing.T, dir string, nvp int) []Voiceprint {
	t.Helper()
	db, err := openBadger(testOptions(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rng := rand.New(rand.NewPCG(7, 8))
	pseudo := make([]byte, 32)
	tm := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	prev, seq := zeroHash, uint64(0)
	audit := func(txn *badger.Txn, action, target string) {
		seq++
		tm = tm.Add(time.Second)
		e := AuditEntry{Seq: seq, Time: tm, Actor: "vk_v1", Action: action, Target: target, Outcome: OutcomeOK, PrevHash: prev}
		e.Hash = hashEntry(e)
		prev = e.Hash
		setEntry(txn, seq, e)
		h, _ := json.Marshal(auditHead{Seq: seq, Hash: prev})
		txn.Set([]byte(keyAuditHead), h)
	}
	var vps []Voiceprint
	err = db.Update(func(txn *badger.Txn) error {
		txn.Set([]byte(keySchema), []byte("1"))
		txn.Set([]byte(keyPseudonym), pseudo)
		audit(txn, "store.init", "schema:1")
		sub, _ := json.Marshal(Subject{ID: "sub_old", Name: "Old Customer", Created: tm, Updated: tm})
		txn.Set(subjectKey("sub_old"), sub)
		audit(txn, "subject.create", "subject:p_x")
		c, _ := json.Marshal(Consent{ID: "con_old", SubjectID: "sub_old", Purpose: PurposeVoiceVerification,
			Method: "agent-verbal", EvidenceRef: "rec-old", PolicyVersion: "2025-01", Granted: tm, Actor: "vk_v1"})
		txn.Set(consentKey("sub_old", "con_old"), c)
		audit(txn, "consent.grant", "subject:p_x/consent:con_old")
		for i := 0; i < nvp; i++ {
			vp := sampleVP(rng, "sub_old", 16, 4, 10)
			vp.ID = NewID("vp_")
			vp.Created = tm
			v, _ := json.Marshal(vp) // schema 1: JSON
			txn.Set(voiceprintKey("sub_old", vp.ID), v)
			audit(txn, "voiceprint.add", "subject:p_x/voiceprint:"+vp.ID)
			vps = append(vps, vp)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return vps
}

func TestMigrateV1ToCurrent(t *testing.T) {
	dir := t.TempDir()
	want := writeV1Store(t, dir, 300) // more than one migration batch
	s := openTestDir(t, dir)
	if v, err := s.SchemaVersionOf(); err != nil || v != SchemaVersion {
		t.Fatalf("schema %d %v", v, err)
	}
	got, err := s.ListVoiceprints("sub_old")
	if err != nil || len(got) != len(want) {
		t.Fatalf("%d voiceprints, %v", len(got), err)
	}
	byID := map[string]Voiceprint{}
	for _, vp := range want {
		byID[vp.ID] = vp
	}
	for _, vp := range got {
		if !reflect.DeepEqual(vp, byID[vp.ID]) {
			t.Fatalf("voiceprint %s changed by migration", vp.ID)
		}
	}
	s.view(func(txn *badger.Txn) error {
		return scan(txn, []byte(pfxVoiceprint), func(k, v []byte) error {
			if !isBinaryVoiceprint(v) {
				t.Errorf("%s still JSON", k)
			}
			return nil
		})
	})
	rep := mustVerify(t, s)
	es, _ := s.AuditEntries(rep.Entries, 1)
	if es[0].Action != "schema.migrate" || es[0].Target != "schema:1->2" {
		t.Fatalf("last audit entry %+v", es[0])
	}
	// The migrated store works under current rules.
	if _, err := s.AddVoiceprint("vk", sampleVP(rand.New(rand.NewPCG(1, 1)), "sub_old", 4, 2, 2)); err != nil {
		t.Fatal(err)
	}
	// Reopening does not migrate again.
	s.Close()
	s2 := openTestDir(t, dir)
	if rep2 := mustVerify(t, s2); rep2.Entries != rep.Entries+1 {
		t.Fatalf("entries %d, want %d", rep2.Entries, rep.Entries+1)
	}
}

func TestSchemaTooNew(t *testing.T) {
	dir := t.TempDir()
	s := openTestDir(t, dir)
	s.Close()
	rawEdit(t, dir, func(txn *badger.Txn) error { return txn.Set([]byte(keySchema), []byte("99")) })
	_, err := Open(testOptions(dir))
	wantErr(t, err, ErrSchemaTooNew)
}
