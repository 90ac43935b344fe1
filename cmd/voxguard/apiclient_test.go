package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// failingReader yields some bytes, then a local read error.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n > 0 {
		f.n--
		return copy(p, "RIFF"), nil
	}
	return 0, &fileError{errors.New("disk on fire")}
}

// TestAPIClientErrors checks the error types: a problem document becomes an *APIError with
// its detail and extension members, a local read error during an upload stays a local error
// (not "unreachable"), and a bad URL is refused.
func TestAPIClientErrors(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.Header.Get("Authorization") != "Bearer vk_a.b" {
			w.WriteHeader(500)
			return
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(422)
		io.WriteString(w, `{"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"enrollment refused: LOW_SNR","report":{"accepted":false,"problems":["LOW_SNR"]}}`)
	}))
	defer hs.Close()
	c, err := NewAPIClient(hs.URL+"/", "vk_a.b")
	if err != nil {
		t.Fatal(err)
	}
	err = c.do(context.Background(), "GET", "/v1/x", nil, "", nil, nil)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 422 || ae.Detail != "enrollment refused: LOW_SNR" || ae.Problem["report"] == nil ||
		err.Error() != "enrollment refused: LOW_SNR (HTTP 422)" || exitCodeOf(err) != exitRefused {
		t.Errorf("problem: %#v %v", err, err)
	}
	err = c.do(context.Background(), "POST", "/v1/x", nil, "audio/wav", &failingReader{n: 3}, nil)
	var fe *fileError
	if !errors.As(err, &fe) || exitCodeOf(err) != exitError || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("local read error: %#v %v", err, err)
	}
	if err := c.Ready(context.Background()); exitCodeOf(err) != exitError {
		t.Errorf("Ready sent the token or took a 500 for ready: %v", err)
	}
	for _, u := range []string{"ftp://x", "127.0.0.1:8080", "http://"} {
		if _, err := NewAPIClient(u, "t"); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}

// TestAPIClientEscapesPaths sends ids with reserved characters as one path segment each.
func TestAPIClientEscapesPaths(t *testing.T) {
	var got string
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.EscapedPath() + "?" + r.URL.RawQuery
		w.Write([]byte("{}"))
	}))
	defer hs.Close()
	c, _ := NewAPIClient(hs.URL, "t")
	c.WithdrawConsent(context.Background(), "sub x/1", "c?1")
	if got != "/v1/subjects/sub%20x%2F1/consents/c%3F1?" {
		t.Errorf("path %q", got)
	}
	c.ListCalls(context.Background(), CallQuery{SubjectID: "a&b"})
	if got != "/v1/calls?subject_id=a%26b" {
		t.Errorf("query %q", got)
	}
}
