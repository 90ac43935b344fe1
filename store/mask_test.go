package store

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestMask(t *testing.T) {
	tests := []struct {
		fn   func(string) string
		in   string
		want string
	}{
		{MaskPhone, "+447911123123", "+44 7*** ***123"},
		{MaskPhone, "+44 7911 123123", "+44 7*** ***123"},
		{MaskPhone, "+15551234567", "+15 5*** **567"},
		{MaskPhone, "07911123123", "07 9*** **123"},
		{MaskPhone, "12345", "***45"},
		{MaskPhone, "1234", "****"},
		{MaskPhone, "", ""},
		{MaskPhone, "+44 7*** ***123", "+44 7*** ***123"},
		{MaskName, "John Smith", "J*** S****"},
		{MaskName, "  Zoë  O'Neil ", "Z** O*****"},
		{MaskName, "", ""},
		{MaskAccount, "12345678", "****5678"},
		{MaskAccount, "GB-1234-5678", "**-****-5678"},
		{MaskAccount, "123", "***"},
		{NormalizePhone, " +44 (0)7911-123 123", "+4407911123123"},
	}
	for i, tc := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			if got := tc.fn(tc.in); got != tc.want {
				t.Fatalf("%q -> %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSubjectPrintsMasked(t *testing.T) {
	s := Subject{ID: "sub_1", Name: "John Smith", Phone: "+447911123123", AccountRef: "99887766"}
	var logBuf strings.Builder
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("x", "subject", s)
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v", s, s, s), logBuf.String()} {
		for _, secret := range []string{"John", "Smith", "7911123", "99887766"} {
			if strings.Contains(out, secret) {
				t.Errorf("output %q reveals %q", out, secret)
			}
		}
	}
}
