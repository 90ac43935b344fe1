package store

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Backup file format: Badger's stream backup (protobuf KV lists), encrypted and
// authenticated with AES-256-GCM in chunks, so a backup file is as confidential as the
// data directory and any modification or truncation is detected.
//
//	"VXBK\x01" magic, 16-byte random salt
//	chunks: 1 flag byte (1 = final), uint32 BE ciphertext length, ciphertext
//
// The chunk key is HMAC-SHA-256(store key, "voxguard backup v1" || salt); the nonce is
// the chunk counter; the additional data is magic || salt || flag. The final chunk (possibly
// empty) marks the end, so truncation is detected.
var bkMagic = []byte("VXBK\x01")

const bkChunk = 64 << 10

func backupAEAD(key, salt []byte) (cipher.AEAD, error) {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("voxguard backup v1"))
	m.Write(salt)
	blk, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(blk)
}

type chunkWriter struct {
	w     io.Writer
	aead  cipher.AEAD
	hdr   []byte
	buf   []byte
	count uint64
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(bkChunk-len(c.buf), len(p))
		c.buf = append(c.buf, p[:k]...)
		p = p[k:]
		if len(c.buf) == bkChunk {
			if err := c.flush(0); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (c *chunkWriter) flush(final byte) error {
	nonce := make([]byte, c.aead.NonceSize())
	binary.BigEndian.PutUint64(nonce[len(nonce)-8:], c.count)
	c.count++
	ct := c.aead.Seal(nil, nonce, c.buf, append(append([]byte(nil), c.hdr...), final))
	var h [5]byte
	h[0] = final
	binary.BigEndian.PutUint32(h[1:], uint32(len(ct)))
	c.buf = c.buf[:0]
	if _, err := c.w.Write(h[:]); err != nil {
		return err
	}
	_, err := c.w.Write(ct)
	return err
}

// Backup writes a full, consistent, encrypted backup of the store to w and returns the
// Badger version it covers. It is recorded in the audit log before the snapshot is taken,
// so the backup contains its own audit entry.
func (s *Store) Backup(actor string, w io.Writer) (uint64, error) {
	if _, err := s.Audit(actor, "store.backup", "store", OutcomeOK); err != nil {
		return 0, err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return 0, err
	}
	aead, err := backupAEAD(s.key, salt)
	if err != nil {
		return 0, err
	}
	hdr := append(append([]byte(nil), bkMagic...), salt...)
	bw := bufio.NewWriter(w)
	if _, err := bw.Write(hdr); err != nil {
		return 0, err
	}
	cw := &chunkWriter{w: bw, aead: aead, hdr: hdr, buf: make([]byte, 0, bkChunk)}
	ver, err := s.db.Backup(cw, 0)
	if err != nil {
		return 0, err
	}
	if err := cw.flush(1); err != nil {
		return 0, err
	}
	return ver, bw.Flush()
}

// decryptBackup copies the plaintext of an encrypted backup from r to w.
func decryptBackup(key []byte, r io.Reader, w io.Writer) error {
	br := bufio.NewReader(r)
	hdr := make([]byte, len(bkMagic)+16)
	if _, err := io.ReadFull(br, hdr); err != nil || string(hdr[:len(bkMagic)]) != string(bkMagic) {
		return fmt.Errorf("%w: not a voxguard backup", ErrBadBackup)
	}
	aead, err := backupAEAD(key, hdr[len(bkMagic):])
	if err != nil {
		return err
	}
	nonce := make([]byte, aead.NonceSize())
	for count := uint64(0); ; count++ {
		var h [5]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return fmt.Errorf("%w: truncated", ErrBadBackup)
		}
		n := binary.BigEndian.Uint32(h[1:])
		if n > bkChunk+uint32(aead.Overhead()) || h[0] > 1 {
			return fmt.Errorf("%w: bad chunk header", ErrBadBackup)
		}
		ct := make([]byte, n)
		if _, err := io.ReadFull(br, ct); err != nil {
			return fmt.Errorf("%w: truncated", ErrBadBackup)
		}
		binary.BigEndian.PutUint64(nonce[len(nonce)-8:], count)
		pt, err := aead.Open(ct[:0], nonce, ct, append(append([]byte(nil), hdr...), h[0]))
		if err != nil {
			return fmt.Errorf("%w: chunk %d fails authentication (wrong key or modified)", ErrBadBackup, count)
		}
		if _, err := w.Write(pt); err != nil {
			return err
		}
		if h[0] == 1 {
			if _, err := br.ReadByte(); err != io.EOF {
				return fmt.Errorf("%w: data after the final chunk", ErrBadBackup)
			}
			return nil
		}
	}
}

// Restore loads a backup made by Backup (with the same key) into opts.Dir, which must be
// missing or empty, then opens the restored store (running migrations if the backup is
// from an older schema), verifies its audit chain, and returns it open. On failure the
// partially restored directory is removed.
func Restore(opts Options, r io.Reader) (st *Store, err error) {
	if len(opts.Key) == 0 {
		return nil, ErrNoKey
	}
	if len(opts.Key) != KeySize {
		return nil, ErrBadKey
	}
	if ents, err := os.ReadDir(opts.Dir); err == nil && len(ents) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrNotEmpty, opts.Dir)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(opts.Dir)
		}
	}()
	db, err := openBadger(opts)
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(decryptBackup(opts.Key, r, pw)) }()
	lerr := db.Load(pr, 256)
	pr.CloseWithError(errors.New("load finished"))
	if cerr := db.Close(); lerr == nil {
		lerr = cerr
	}
	if lerr != nil {
		return nil, fmt.Errorf("store: restore: %w", lerr)
	}
	opts.MustExist = true
	st, err = Open(opts)
	if err != nil {
		return nil, err
	}
	if _, err = st.VerifyAudit(); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}
