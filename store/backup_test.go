package store

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"
)

func makeBackup(t *testing.T) (b []byte, src *Store, sub Subject, vp Voiceprint) {
	t.Helper()
	src = openTest(t)
	rng := rand.New(rand.NewPCG(5, 5))
	sub, _ = enrolled(t, src, Subject{Name: "Backup Person", Phone: "+447700900999"})
	vp, err := src.AddVoiceprint("vk", sampleVP(rng, sub.ID, 64, 20, 100))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.AddWatchlistEntry("vk", WatchlistEntry{ID: "wl_1", Label: "l", CaseRef: "c", LegalBasis: "b",
		Voiceprint: sampleVP(rng, "", 64, 20, 100)}); err != nil {
		t.Fatal(err)
	}
	src.PutCall("vk", CallRecord{CallID: "call-9", Platform: "genesys", ClaimedSubject: sub.ID})
	var buf bytes.Buffer
	if _, err := src.Backup("vk_admin", &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), src, sub, vp
}

func TestBackupRestoreRoundTrip(t *testing.T) {
	b, src, sub, vp := makeBackup(t)
	for what, needle := range needles([]Subject{sub}, []Voiceprint{vp}) {
		if bytes.Contains(b, needle) {
			t.Errorf("backup contains %s in plaintext", what)
		}
	}
	dst := filepath.Join(t.TempDir(), "restored")
	s, err := Restore(testOptions(dst), bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.GetVoiceprint(sub.ID, vp.ID)
	if err != nil || !reflect.DeepEqual(got, vp) {
		t.Fatalf("voiceprint after restore: %v", err)
	}
	if gs, _ := s.GetSubject(sub.ID); gs != sub {
		t.Fatalf("subject after restore: %v", gs)
	}
	if _, err := s.GetWatchlistEntry("wl_1", true); err != nil {
		t.Fatal(err)
	}
	if rec, err := s.GetCall("call-9"); err != nil || rec.ExpiresAt.IsZero() {
		t.Fatalf("call after restore: %+v %v (TTL must survive)", rec, err)
	}
	// Same pseudonyms, same audit chain, ending with the backup entry.
	if s.Pseudonym(sub.ID) != src.Pseudonym(sub.ID) {
		t.Fatal("pseudonym key not restored")
	}
	rs, rd := mustVerify(t, src), mustVerify(t, s)
	if rs != rd {
		t.Fatalf("audit source %+v restored %+v", rs, rd)
	}
	es, _ := s.AuditEntries(rd.Entries, 1)
	if es[0].Action != "store.backup" {
		t.Fatalf("last entry %+v", es[0])
	}
	// The restored store keeps working.
	if _, err := s.AddVoiceprint("vk", sampleVP(rand.New(rand.NewPCG(1, 2)), sub.ID, 4, 2, 2)); err != nil {
		t.Fatal(err)
	}
}

func TestRestoreRejects(t *testing.T) {
	b, _, _, _ := makeBackup(t)
	flipped := append([]byte(nil), b...)
	flipped[len(flipped)/2] ^= 1
	nonEmpty := t.TempDir()
	openTestDir(t, nonEmpty)
	tests := []struct {
		name string
		data []byte
		opts func(o *Options)
		want error
	}{
		{"wrong key", b, func(o *Options) { o.Key = bytes.Repeat([]byte{7}, 32) }, ErrBadBackup},
		{"flipped bit", flipped, func(o *Options) {}, ErrBadBackup},
		{"truncated", b[:len(b)-40], func(o *Options) {}, ErrBadBackup},
		{"trailing junk", append(append([]byte(nil), b...), 'x'), func(o *Options) {}, ErrBadBackup},
		{"not a backup", []byte("hello world, not a backup at all"), func(o *Options) {}, ErrBadBackup},
		{"non-empty target", b, func(o *Options) { o.Dir = nonEmpty }, ErrNotEmpty},
		{"no key", b, func(o *Options) { o.Key = nil }, ErrNoKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := testOptions(filepath.Join(t.TempDir(), "r"))
			tc.opts(&o)
			s, err := Restore(o, bytes.NewReader(tc.data))
			if err == nil {
				s.Close()
			}
			wantErr(t, err, tc.want)
			if tc.want != ErrNotEmpty && isStoreDir(o.Dir) {
				t.Fatalf("failed restore left a store behind")
			}
		})
	}
}
