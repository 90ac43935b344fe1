package store

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenKeys(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(testOptions(dir))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSubject("vk_a", Subject{ID: "sub_1"}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	tests := []struct {
		name string
		opts func(o *Options)
		want error
	}{
		{"missing key", func(o *Options) { o.Key = nil }, ErrNoKey},
		{"short key", func(o *Options) { o.Key = testKey[:16] }, ErrBadKey},
		{"wrong key", func(o *Options) { o.Key = bytes.Repeat([]byte{9}, 32) }, ErrWrongKey},
		{"no store", func(o *Options) { o.Dir = t.TempDir(); o.MustExist = true }, ErrNoStore},
		{"right key", func(o *Options) {}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := testOptions(dir)
			tc.opts(&o)
			s, err := Open(o)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				if _, err := s.GetSubject("sub_1"); err != nil {
					t.Fatalf("data lost on reopen: %v", err)
				}
				return
			}
			wantErr(t, err, tc.want)
		})
	}
}

func TestOpenRefusesForeignBadgerData(t *testing.T) {
	dir := t.TempDir()
	db, err := openBadger(testOptions(dir))
	if err != nil {
		t.Fatal(err)
	}
	txn := db.NewTransaction(true)
	txn.Set([]byte("foreign"), []byte("x"))
	txn.Commit()
	db.Close()
	_, err = Open(testOptions(dir))
	wantErr(t, err, ErrNoStore)
}

func TestDevKeyPathOutsideDataDir(t *testing.T) {
	d := filepath.Join(t.TempDir(), "data")
	if p := DevKeyPath(d + "/"); strings.HasPrefix(p, d+string(os.PathSeparator)) {
		t.Fatalf("dev key %s inside data dir", p)
	}
}
