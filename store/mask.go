package store

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaskPhone masks a phone number for display and logs, keeping the first three and the
// last three digits: "+447911123123" -> "+44 7*** ***123". Numbers of four digits or fewer
// are fully masked; already-masked input (containing '*') is returned unchanged.
func MaskPhone(phone string) string {
	if strings.ContainsRune(phone, '*') {
		return phone
	}
	plus := strings.HasPrefix(strings.TrimSpace(phone), "+")
	var d []byte
	for i := 0; i < len(phone); i++ {
		if phone[i] >= '0' && phone[i] <= '9' {
			d = append(d, phone[i])
		}
	}
	n := len(d)
	var b strings.Builder
	if plus {
		b.WriteByte('+')
	}
	switch {
	case n == 0:
		return ""
	case n <= 4:
		b.WriteString(strings.Repeat("*", n))
		return b.String()
	case n <= 7:
		b.WriteString(strings.Repeat("*", n-2))
		b.Write(d[n-2:])
		return b.String()
	}
	b.Write(d[:2])
	b.WriteByte(' ')
	b.WriteByte(d[2])
	for i := 0; i < n-6; i++ {
		if i > 0 && i%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('*')
	}
	b.Write(d[n-3:])
	return b.String()
}

// MaskName masks a personal name word by word, keeping each word's first letter:
// "John Smith" -> "J*** S****".
func MaskName(name string) string {
	words := strings.Fields(name)
	for i, w := range words {
		r, size := utf8.DecodeRuneInString(w)
		words[i] = string(r) + strings.Repeat("*", utf8.RuneCountInString(w[size:]))
	}
	return strings.Join(words, " ")
}

// MaskAccount masks an account identifier, keeping its last four letters or digits:
// "12345678" -> "****5678". Identifiers of four characters or fewer are fully masked.
func MaskAccount(id string) string {
	r := []rune(id)
	keep := 4
	if len(r) <= keep {
		keep = 0
	}
	for i := 0; i < len(r)-keep; i++ {
		if unicode.IsLetter(r[i]) || unicode.IsDigit(r[i]) {
			r[i] = '*'
		}
	}
	return string(r)
}

// NormalizePhone reduces a phone number to '+' (if present) and its digits, the form used
// for the phone index.
func NormalizePhone(phone string) string {
	var b strings.Builder
	for i, c := range strings.TrimSpace(phone) {
		if c == '+' && i == 0 || c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}
