package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Binary voiceprint encoding (schema 2):
//
//	"VXVP" 0x01 or 0x02               magic and format version
//	uvarint len, JSON metadata        every field except N, F, Embedding, AugN and AugF
//	3 x (uvarint count, count x float32 little-endian)   N, F, Embedding
//	version 2 and 3: 2 more arrays                        AugN, AugF (maybe empty)
//	version 3 only: 2 more arrays                         SecondN, SecondF
//
// Version 2 is written only for voiceprints with augmented statistics and version 3 only for
// those with a second system's, so that every other record stays readable by older builds, and
// a cut record of a later version never passes for a complete one of an earlier version.
var (
	vpMagic  = []byte("VXVP\x01")
	vpMagic2 = []byte("VXVP\x02")
	vpMagic3 = []byte("VXVP\x03")
)

type vpMeta struct {
	ID            string             `json:"id"`
	SubjectID     string             `json:"subject_id,omitempty"`
	BundleVersion string             `json:"bundle_version"`
	SpeechSeconds float64            `json:"speech_seconds"`
	Quality       map[string]float64 `json:"quality,omitempty"`
	Source        string             `json:"source"`
	Created       time.Time          `json:"created"`
	SecondVersion string             `json:"second_bundle_version,omitempty"`
}

func isBinaryVoiceprint(b []byte) bool {
	return bytes.HasPrefix(b, vpMagic) || bytes.HasPrefix(b, vpMagic2) || bytes.HasPrefix(b, vpMagic3)
}

// encodeVoiceprint serialises vp compactly: floats as raw little-endian float32.
func encodeVoiceprint(vp Voiceprint) []byte {
	meta, _ := json.Marshal(vpMeta{vp.ID, vp.SubjectID, vp.BundleVersion, vp.SpeechSeconds,
		vp.Quality, vp.Source, vp.Created, vp.SecondVersion})
	n := len(vpMagic) + binary.MaxVarintLen64*8 + len(meta) + 4*(len(vp.N)+len(vp.F)+len(vp.Embedding)+len(vp.AugN)+len(vp.AugF)+len(vp.SecondN)+len(vp.SecondF))
	b := make([]byte, 0, n)
	second := len(vp.SecondN) > 0 || len(vp.SecondF) > 0
	aug := second || len(vp.AugN) > 0 || len(vp.AugF) > 0
	switch {
	case second:
		b = append(b, vpMagic3...)
	case aug:
		b = append(b, vpMagic2...)
	default:
		b = append(b, vpMagic...)
	}
	b = binary.AppendUvarint(b, uint64(len(meta)))
	b = append(b, meta...)
	for _, fs := range [][]float32{vp.N, vp.F, vp.Embedding} {
		b = appendFloats(b, fs)
	}
	if aug {
		b = appendFloats(appendFloats(b, vp.AugN), vp.AugF)
	}
	if second {
		b = appendFloats(appendFloats(b, vp.SecondN), vp.SecondF)
	}
	return b
}

func appendFloats(b []byte, fs []float32) []byte {
	b = binary.AppendUvarint(b, uint64(len(fs)))
	for _, f := range fs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	return b
}

func readFloats(b []byte) ([]float32, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k)/4 {
		return nil, nil, fmt.Errorf("store: corrupt float array")
	}
	b = b[k:]
	var out []float32
	if n > 0 {
		out = make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	}
	return out, b[4*n:], nil
}

// decodeVoiceprint parses the binary encoding, or the JSON encoding of schema 1.
func decodeVoiceprint(b []byte) (Voiceprint, error) {
	var vp Voiceprint
	if !isBinaryVoiceprint(b) {
		err := json.Unmarshal(b, &vp)
		return vp, err
	}
	v3 := bytes.HasPrefix(b, vpMagic3)
	v2 := v3 || bytes.HasPrefix(b, vpMagic2)
	b = b[len(vpMagic):]
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return vp, fmt.Errorf("store: corrupt voiceprint header")
	}
	var m vpMeta
	if err := json.Unmarshal(b[k:k+int(n)], &m); err != nil {
		return vp, err
	}
	b = b[k+int(n):]
	vp = Voiceprint{ID: m.ID, SubjectID: m.SubjectID, BundleVersion: m.BundleVersion,
		SpeechSeconds: m.SpeechSeconds, Quality: m.Quality, Source: m.Source, Created: m.Created,
		SecondVersion: m.SecondVersion}
	var err error
	for _, dst := range []*[]float32{&vp.N, &vp.F, &vp.Embedding} {
		if *dst, b, err = readFloats(b); err != nil {
			return vp, err
		}
	}
	if v2 {
		for _, dst := range []*[]float32{&vp.AugN, &vp.AugF} {
			if *dst, b, err = readFloats(b); err != nil {
				return vp, err
			}
		}
	}
	if v3 {
		for _, dst := range []*[]float32{&vp.SecondN, &vp.SecondF} {
			if *dst, b, err = readFloats(b); err != nil {
				return vp, err
			}
		}
	}
	return vp, nil
}
