package server

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// consoleFS holds the agent console: plain HTML, CSS and JavaScript, no build step and nothing
// fetched from elsewhere.
//
//go:embed console
var consoleFS embed.FS

// consoleAsset is one embedded console file, ready to serve.
type consoleAsset struct {
	body  []byte
	ctype string
	etag  string // strong ETag: quoted hex of the content's SHA-256 prefix
}

// consoleAssets maps request paths under /console/ to their files ("" is index.html).
var consoleAssets = func() map[string]consoleAsset {
	m := map[string]consoleAsset{}
	fs.WalkDir(consoleFS, "console", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := consoleFS.ReadFile(p)
		sum := sha256.Sum256(b)
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = "application/octet-stream"
		}
		name := strings.TrimPrefix(p, "console/")
		if name == "index.html" {
			name = ""
		}
		m[name] = consoleAsset{body: b, ctype: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	return m
}()

// registerConsole adds the agent console to mux: GET / redirects to /console/, GET /console/
// serves the embedded page and GET /console/session checks an agent key for the page.
func (s *Server) registerConsole(mux *http.ServeMux) {
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r) // what the mux answers for an unknown path
			return
		}
		http.Redirect(w, r, "/console/", http.StatusFound)
	})
	mux.HandleFunc("GET /console/session", s.serveConsoleSession)
	mux.HandleFunc("GET /console/", s.serveConsole)
}

// serveConsole serves one embedded console file with a strict Content-Security-Policy (the page
// may load only its own files and talk only to this host), revalidated on every load so that an
// upgraded server never runs with a stale script.
func (s *Server) serveConsole(w http.ResponseWriter, r *http.Request) {
	a, ok := consoleAssets[strings.TrimPrefix(r.URL.Path, "/console/")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", consoleCSP(r.Host))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", a.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

// consoleCSP returns the console's Content-Security-Policy for a request to host: its own files
// only, no inline script or style, no framing, and connections (fetch and the events WebSocket)
// to this host only. A Host with characters outside a host name falls back to 'self', which
// browsers following CSP Level 3 also match against ws: and wss: of the same host.
func consoleCSP(host string) string {
	connect := "'self'"
	if validHost(host) {
		connect += " ws://" + host + " wss://" + host
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src " + connect +
		"; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

// validHost reports whether h is a plausible host[:port] (letters, digits, '.', '-', ':', and
// the brackets of an IPv6 literal), safe to put in a header.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-:[]", c)) {
			return false
		}
	}
	return true
}

// consoleSession is the reply of GET /console/session.
type consoleSession struct {
	KeyID string `json:"key_id"` // the key's id, safe to show
	Role  Role   `json:"role"`
	Calls bool   `json:"calls"` // whether GET /v1/calls serves stored call records (a store is set)
}

// serveConsoleSession lets the console check an agent (or admin) key before it opens the events
// WebSocket, whose refusal a browser cannot see: 200 with a consoleSession, or the 401/403
// problem of any endpoint.
func (s *Server) serveConsoleSession(w http.ResponseWriter, r *http.Request) {
	k, ok := s.authorize(w, r, tokenFrom(r), RoleAgent)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(consoleSession{KeyID: k.ID, Role: k.Role, Calls: s.st != nil})
}
