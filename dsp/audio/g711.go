package audio

// G.711 companding (ITU-T Recommendation G.711, 1988).
//
// Decoding maps each of the 256 codes to the standard linear value scaled to 16 bits
// (mu-law: the 14-bit value times 4, range ±32124; A-law: the 13-bit value times 8,
// range ±32256), exactly the values SoX and the ITU-T G.191 reference produce.
//
// Encoding first rounds the 16-bit input to the G.711 input grid (14-bit for mu-law,
// 13-bit for A-law; round half up, saturating), exactly as SoX does, and then applies
// the G.711 segment tables. For inputs already on the grid (multiples of 4 for mu-law,
// of 8 for A-law) this is the G.711 mapping itself; off the grid, rounding rather than
// truncating halves the worst-case error and removes the bias of truncation. Tests check
// all 256 codes and all 65536 inputs bit-exactly against fixtures generated with SoX.

var (
	mulawToLinear [256]int16
	alawToLinear  [256]int16
	mulawToFloat  [256]float32
	alawToFloat   [256]float32
)

func init() {
	for i := 0; i < 256; i++ {
		mulawToLinear[i] = mulawDecodeSlow(byte(i))
		alawToLinear[i] = alawDecodeSlow(byte(i))
		mulawToFloat[i] = float32(mulawToLinear[i]) / 32768
		alawToFloat[i] = float32(alawToLinear[i]) / 32768
	}
}

// MulawDecode returns the 16-bit linear value of the G.711 mu-law code b.
func MulawDecode(b byte) int16 { return mulawToLinear[b] }

// AlawDecode returns the 16-bit linear value of the G.711 A-law code b.
func AlawDecode(b byte) int16 { return alawToLinear[b] }

// MulawEncode returns the G.711 mu-law code for the 16-bit linear sample s
// (rounded to the 14-bit G.711 grid as SoX does; see the package notes on G.711).
func MulawEncode(s int16) byte {
	v := (int32(s) + 2) >> 2 // round half up to 14 bits
	if v > 8191 {
		v = 8191
	}
	mask := int32(0xFF)
	if v < 0 {
		v = -v
		mask = 0x7F
	}
	if v > 8159 {
		v = 8159
	}
	v += 33
	seg := int32(0)
	for end := int32(0x3F); seg < 8 && v > end; seg++ {
		end = end<<1 | 1
	}
	if seg >= 8 {
		return byte(0x7F ^ mask)
	}
	return byte((seg<<4 | (v>>(seg+1))&0xF) ^ mask)
}

// AlawEncode returns the G.711 A-law code for the 16-bit linear sample s
// (rounded to the 13-bit G.711 grid as SoX does; see the package notes on G.711).
func AlawEncode(s int16) byte {
	v := (int32(s) + 4) >> 3 // round half up to 13 bits
	if v > 4095 {
		v = 4095
	}
	mask := int32(0xD5)
	if v < 0 {
		mask = 0x55
		v = -v - 1
	}
	seg := int32(0)
	for end := int32(0x1F); seg < 8 && v > end; seg++ {
		end = end<<1 | 1
	}
	if seg >= 8 {
		return byte(0x7F ^ mask)
	}
	a := seg << 4
	if seg < 2 {
		a |= (v >> 1) & 0xF
	} else {
		a |= (v >> seg) & 0xF
	}
	return byte(a ^ mask)
}

func mulawDecodeSlow(b byte) int16 {
	u := int32(^b)
	t := ((u & 0x0F) << 3) + 0x84
	t <<= uint(u&0x70) >> 4
	if u&0x80 != 0 {
		return int16(0x84 - t)
	}
	return int16(t - 0x84)
}

func alawDecodeSlow(b byte) int16 {
	a := int32(b ^ 0x55)
	t := (a & 0x0F) << 4
	seg := (a & 0x70) >> 4
	switch seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= uint(seg - 1)
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}
