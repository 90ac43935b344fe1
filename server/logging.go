package server

import (
	"io"
	"log/slog"
	"strings"

	"github.com/voxguard/voxguard/store"
)

// NewLogger returns a JSON logger that masks personal data whatever the caller passes: values
// under the keys "ani", "phone", "caller", "from" and "to" are masked as phone numbers, "name"
// as a name and "account_ref" as an account number.
func NewLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{ReplaceAttr: maskAttr}))
}

func maskAttr(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() != slog.KindString || strings.Contains(a.Value.String(), "*") { // already masked
		return a
	}
	switch a.Key {
	case "ani", "phone", "caller", "from", "to":
		a.Value = slog.StringValue(MaskANI(a.Value.String()))
	case "name":
		a.Value = slog.StringValue(store.MaskName(a.Value.String()))
	case "account_ref":
		a.Value = slog.StringValue(store.MaskAccount(a.Value.String()))
	}
	return a
}
