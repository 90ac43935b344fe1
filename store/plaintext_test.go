package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// needles returns byte patterns that must not appear in any file of the data directory.
func needles(subs []Subject, vps []Voiceprint) map[string][]byte {
	n := map[string][]byte{}
	for _, s := range subs {
		n["name "+s.Name] = []byte(s.Name)
		n["phone "+s.Phone] = []byte(s.Phone)
		n["phone digits "+s.Phone] = []byte(NormalizePhone(s.Phone)[1:])
		n["account "+s.AccountRef] = []byte(s.AccountRef)
	}
	for k, v := range n {
		if len(bytes.TrimSpace(v)) < 4 {
			delete(n, k)
		}
	}
	for i, vp := range vps {
		var raw []byte
		for _, f := range vp.F[100:104] {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(f))
		}
		n[fmt.Sprintf("voiceprint %d F bytes", i)] = raw
		raw = raw[:0]
		for _, f := range vp.Embedding[:4] {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(f))
		}
		n[fmt.Sprintf("voiceprint %d embedding bytes", i)] = raw
		n[fmt.Sprintf("voiceprint %d embedding text", i)] = []byte(strconv.FormatFloat(float64(vp.Embedding[0]), 'g', -1, 32))
	}
	return n
}

func checkNoPlaintext(t *testing.T, dir string, n map[string][]byte) int {
	t.Helper()
	files := 0
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.TrimRight(b, "\x00") // preallocated tails
		files++
		for what, needle := range n {
			if bytes.Contains(b, needle) {
				t.Errorf("%s contains %s in plaintext", filepath.Base(p), what)
			}
		}
		return nil
	})
	return files
}

func TestNoPlaintextOnDisk(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(testOptions(dir))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(31, 41))
	var subs []Subject
	var vps []Voiceprint
	for i := 0; i < 20; i++ {
		sub, _ := enrolled(t, s, Subject{Name: fmt.Sprintf("Wilhelmina Fotheringay%02d", i),
			Phone: fmt.Sprintf("+4479460%05d", 12345+i), AccountRef: fmt.Sprintf("ACCT%08d", 31415926+i)})
		vp, err := s.AddVoiceprint("vk", sampleVP(rng, sub.ID, 64, 20, 100))
		if err != nil {
			t.Fatal(err)
		}
		subs, vps = append(subs, sub), append(vps, vp)
		if err := s.PutCall("vk", CallRecord{CallID: fmt.Sprintf("call%d", i), Platform: "twilio", ANI: sub.Phone, ClaimedSubject: sub.ID}); err != nil {
			t.Fatal(err)
		}
	}
	wl, err := s.AddWatchlistEntry("vk", WatchlistEntry{Label: "x", CaseRef: "C", LegalBasis: "L", Voiceprint: sampleVP(rng, "", 64, 20, 100)})
	if err != nil {
		t.Fatal(err)
	}
	n := needles(subs, append(vps, wl.Voiceprint))
	// While open: the write-ahead memtable and value log.
	if files := checkNoPlaintext(t, dir, n); files < 3 {
		t.Fatalf("only %d files checked", files)
	}
	// After close: the memtable is flushed to an SSTable.
	s.Close()
	checkNoPlaintext(t, dir, n)
	// The check itself works: the same data in an unencrypted Badger would be found.
	if !bytes.Contains(encodeVoiceprint(vps[0]), n["voiceprint 0 F bytes"]) {
		t.Fatal("needle does not match the encoding")
	}
}
