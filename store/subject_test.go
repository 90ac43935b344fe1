package store

import (
	"encoding/json"
	badger "github.com/dgraph-io/badger/v4"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestSubjectCRUDAndPhoneIndex(t *testing.T) {
	s := openTest(t)
	sub, err := s.CreateSubject("vk", Subject{Name: "John Smith", Phone: "+44 7911 123123", AccountRef: "12345678"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sub.ID, "sub_") {
		t.Fatalf("id %q", sub.ID)
	}
	ids, _ := s.FindSubjectsByPhone("+447911123123")
	if len(ids) != 1 || ids[0] != sub.ID {
		t.Fatalf("phone lookup %v", ids)
	}
	sub.Phone = "+441234567890"
	if _, err := s.UpdateSubject("vk", sub); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.FindSubjectsByPhone("+447911123123"); len(ids) != 0 {
		t.Fatalf("old number still indexed: %v", ids)
	}
	if ids, _ := s.FindSubjectsByPhone("+44 1234 567890"); len(ids) != 1 {
		t.Fatalf("new number not indexed: %v", ids)
	}
	got, err := s.GetSubject(sub.ID)
	if err != nil || got.Name != "John Smith" || got.Phone != "+441234567890" {
		t.Fatalf("%v %v", got.Masked(), err)
	}
	if v, err := s.ViewSubject("vk_agent", sub.ID); err != nil || v.Name != "John Smith" {
		t.Fatalf("view: %v", err)
	}
	if es, _ := s.AuditEntries(1, 0); es[len(es)-1].Action != "subject.view" || es[len(es)-1].Actor != "vk_agent" {
		t.Fatalf("view not audited: %+v", es[len(es)-1])
	}
	_, err = s.UpdateSubject("vk", Subject{ID: "missing"})
	wantErr(t, err, ErrNotFound)
	// No audit entry names the subject id or its personal data.
	es, _ := s.AuditEntries(1, 0)
	for _, e := range es {
		b, _ := json.Marshal(e)
		for _, pd := range []string{sub.ID, "Smith", "7911123123", "1234567890"} {
			if strings.Contains(string(b), pd) {
				t.Fatalf("audit entry %s contains %q", b, pd)
			}
		}
	}
}

func TestEraseAndExport(t *testing.T) {
	s := openTest(t)
	rng := rand.New(rand.NewPCG(9, 9))
	sub, _ := enrolled(t, s, Subject{Name: "Grace Hopper", Phone: "+15550001111"})
	other, _ := enrolled(t, s, Subject{Name: "Alan Turing"})
	for i := 0; i < 2; i++ {
		if _, err := s.AddVoiceprint("vk", sampleVP(rng, sub.ID, 4, 3, 5)); err != nil {
			t.Fatal(err)
		}
	}
	s.AddVoiceprint("vk", sampleVP(rng, other.ID, 4, 3, 5))
	s.PutCall("vk_ingest", CallRecord{CallID: "call-1", Platform: "twilio", ANI: "+15550001111", ClaimedSubject: sub.ID,
		Started: time.Now(), Assessments: []json.RawMessage{json.RawMessage(`{"risk":12}`)}})
	s.PutCall("vk_ingest", CallRecord{CallID: "call-2", Platform: "twilio", ClaimedSubject: other.ID, Started: time.Now()})

	doc, err := s.Export("vk_analyst", sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ex SubjectExport
	if err := json.Unmarshal(doc, &ex); err != nil {
		t.Fatal(err)
	}
	if ex.Subject.Name != "Grace Hopper" || len(ex.Consents) != 1 || len(ex.Voiceprints) != 2 || len(ex.Calls) != 1 ||
		ex.Calls[0].ANI != "+15 5*** **111" || !strings.Contains(string(ex.Calls[0].Assessments[0]), `"risk": 12`) {
		t.Fatalf("export: %s", doc)
	}
	// create, consent, 2 voiceprints, export
	if len(ex.Audit) != 5 || ex.Audit[4].Action != "subject.export" {
		t.Fatalf("export audit %+v", ex.Audit)
	}

	rep, err := s.EraseSubject("vk_admin", sub.ID)
	if err != nil || rep.Consents != 1 || rep.Voiceprints != 2 || rep.Calls != 1 {
		t.Fatalf("erase %+v %v", rep, err)
	}
	_, err = s.GetSubject(sub.ID)
	wantErr(t, err, ErrNotFound)
	_, err = s.GetCall("call-1")
	wantErr(t, err, ErrNotFound)
	if ids, _ := s.FindSubjectsByPhone("+15550001111"); len(ids) != 0 {
		t.Fatalf("phone index survives: %v", ids)
	}
	if vps, _ := s.ListVoiceprints(sub.ID); len(vps) != 0 {
		t.Fatal("voiceprints survive")
	}
	if cs, _ := s.ListConsents(sub.ID); len(cs) != 0 {
		t.Fatal("consents survive")
	}
	_, err = s.Export("vk", sub.ID)
	wantErr(t, err, ErrNotFound)
	// The other subject is untouched; the chain still verifies.
	if vps, _ := s.ListVoiceprints(other.ID); len(vps) != 1 {
		t.Fatal("erasure touched another subject")
	}
	if _, err := s.GetCall("call-2"); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, s)
	es, _ := s.AuditEntries(1, 0)
	last := es[len(es)-1]
	if last.Action != "subject.erase" || last.Target != "subject:"+rep.Pseudonym {
		t.Fatalf("erase entry %+v", last)
	}
	// Nothing left in the store names the subject id.
	s.view(func(txn *badger.Txn) error {
		return scan(txn, nil, func(k, v []byte) error {
			if strings.Contains(string(k), sub.ID) || strings.Contains(string(v), sub.ID) {
				t.Errorf("key %q still names the subject", k)
			}
			return nil
		})
	})
	_, err = s.EraseSubject("vk_admin", sub.ID)
	wantErr(t, err, ErrNotFound)
}
