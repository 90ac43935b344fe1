package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/voxguard/voxguard/dsp/audio"
)

// selfSigned writes a self-signed ECDSA P-256 certificate for 127.0.0.1 and its private key as
// PEM files in dir, returning their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "voxguard test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for _, f := range []struct {
		path, typ string
		der       []byte
	}{{certFile, "CERTIFICATE", der}, {keyFile, "PRIVATE KEY", pkcs8}} {
		if err := os.WriteFile(f.path, pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// startServe runs `voxguard serve` in-process with args and --addr 127.0.0.1:0, returning the
// address it listens on. When the test ends, serve is shut down and must exit 0.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	origCtx := serveContext
	serveContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	serveListening = func(a string) { addrc <- a }
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), io.Discard, &errb)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d: %s", code, errb.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not shut down")
		}
		serveContext, serveListening = origCtx, nil
	})
	select {
	case addr := <-addrc:
		return addr
	case code := <-done:
		done <- code
		t.Fatalf("serve exited %d: %s", code, errb.String())
	}
	return ""
}

// testCallAudio is 17 s of speech, G.711 mu-law at 8 kHz.
func testCallAudio(t *testing.T) []byte {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	a, err := audio.ReadWAVFile(filepath.Join(filepath.Dir(file), "..", "..", "testdata", "audio", "demo_en.wav"))
	if err != nil {
		t.Fatalf("test audio: %v", err)
	}
	x, _ := a.Channel(0)
	if a.Info.SampleRate != 8000 {
		x, _ = audio.Resample(x, a.Info.SampleRate, 8000)
	}
	b := make([]byte, len(x))
	for i, v := range x {
		b[i] = audio.MulawEncode(int16(max(-32768, min(32767, v*32768))))
	}
	return b
}

// `voxguard serve --tls-cert --tls-key` serves HTTPS and WSS: /healthz answers a client that
// trusts the certificate, a wss:// native call is assessed to the end, plain HTTP and ws:// on
// the port get nowhere, and clients must speak TLS 1.2 or later.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	// Go's own default would let TLS 1.0 and 1.1 in with this setting: the floor must be
	// serve's, not the library's.
	t.Setenv("GODEBUG", "tls10server=1")
	const ingestKey = "tls-test-ingest-key"
	addr := startServe(t, "--tls-cert", certFile, "--tls-key", keyFile, "--ingest-key", ingestKey, "--agent-key", "tls-test-agent-key")
	trusting := &tls.Config{RootCAs: pool}

	t.Run("https", func(t *testing.T) {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: trusting.Clone()}, Timeout: 10 * time.Second}
		res, err := c.Get("https://" + addr + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || string(body) != "ok\n" || res.TLS == nil {
			t.Errorf("GET /healthz: %d %q, TLS %v", res.StatusCode, body, res.TLS != nil)
		}
		// A client that does not trust the certificate refuses the server.
		if _, err := (&http.Client{Timeout: 10 * time.Second}).Get("https://" + addr + "/healthz"); err == nil {
			t.Error("a client without the certificate trusted the server")
		}
	})

	t.Run("wss call", func(t *testing.T) {
		d := websocket.Dialer{TLSClientConfig: trusting.Clone(), HandshakeTimeout: 10 * time.Second}
		c, _, err := d.Dial("wss://"+addr+"/v1/stream", http.Header{"Authorization": {"Bearer " + ingestKey}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.WriteJSON(map[string]any{"type": "start", "call_id": "tls-call", "encoding": "mulaw", "sample_rate": 8000, "channels": 1})
		x := testCallAudio(t)
		for p := 0; p < len(x); p += 1600 {
			c.WriteMessage(websocket.BinaryMessage, x[p:min(p+1600, len(x))])
		}
		c.WriteJSON(map[string]any{"type": "stop"})
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		var types []string
		for {
			_, b, err := c.ReadMessage()
			if err != nil {
				t.Fatalf("after %v: %v", types, err)
			}
			var m struct {
				Type   string
				CallID string `json:"call_id"`
				Final  bool
			}
			if err := json.Unmarshal(b, &m); err != nil || m.CallID != "tls-call" {
				t.Fatalf("reply %s", b)
			}
			types = append(types, m.Type)
			if m.Final {
				break
			}
		}
		if len(types) < 3 || types[0] != "started" || types[len(types)-1] != "assessment" {
			t.Errorf("replies %v, want started, progressive assessments and the final one", types)
		}
		c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	})

	t.Run("plain http", func(t *testing.T) {
		res, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + addr + "/healthz")
		if err == nil {
			// Go's TLS server answers a plain request 400 without passing it on.
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusBadRequest || string(body) == "ok\n" {
				t.Errorf("plain HTTP on the TLS port: %d %q", res.StatusCode, body)
			}
		}
		d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
		if c, _, err := d.Dial("ws://"+addr+"/v1/stream", http.Header{"Authorization": {"Bearer " + ingestKey}}); err == nil {
			c.Close()
			t.Error("a ws:// upgrade succeeded on the TLS port")
		}
	})

	t.Run("versions", func(t *testing.T) {
		for _, tc := range []struct {
			name    string
			version uint16
			ok      bool
		}{
			{"TLS 1.0", tls.VersionTLS10, false},
			{"TLS 1.1", tls.VersionTLS11, false},
			{"TLS 1.2", tls.VersionTLS12, true},
			{"TLS 1.3", tls.VersionTLS13, true},
		} {
			cfg := trusting.Clone()
			cfg.MinVersion, cfg.MaxVersion = tc.version, tc.version
			c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, cfg)
			switch {
			case tc.ok && err != nil:
				t.Errorf("%s client refused: %v", tc.name, err)
			case !tc.ok && err == nil:
				t.Errorf("%s client accepted", tc.name)
			case !tc.ok && !strings.Contains(err.Error(), "protocol version"):
				t.Errorf("%s client refused for another reason than its version: %v", tc.name, err)
			}
			if c != nil {
				c.Close()
			}
		}
	})
}

// Bad TLS flags are refused before serve listens: one of --tls-cert and --tls-key without the
// other is a usage error (exit 2); a missing, unreadable, malformed or mismatched file is a
// clear error naming the flags (exit 1).
func TestServeTLSBadFlags(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := selfSigned(t, dir)
	_, otherKey, _ := selfSigned(t, t.TempDir())
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not a certificate\n"), 0o600)
	serveListening = func(string) { t.Error("serve listened despite bad TLS flags") }
	defer func() { serveListening = nil }()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"cert without key", []string{"--tls-cert", certFile}, 2, "--tls-cert and --tls-key go together"},
		{"key without cert", []string{"--tls-key", keyFile}, 2, "--tls-cert and --tls-key go together"},
		{"missing cert", []string{"--tls-cert", filepath.Join(dir, "nonexistent.pem"), "--tls-key", keyFile}, 1, "no such file"},
		{"unreadable cert", []string{"--tls-cert", dir, "--tls-key", keyFile}, 1, "is a directory"},
		{"not PEM", []string{"--tls-cert", garbage, "--tls-key", keyFile}, 1, "failed to find any PEM data"},
		{"key is a certificate", []string{"--tls-cert", certFile, "--tls-key", certFile}, 1, "found a certificate rather than a key"},
		{"key of another certificate", []string{"--tls-cert", certFile, "--tls-key", otherKey}, 1, "private key does not match public key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var errb bytes.Buffer
			code := run(append([]string{"serve", "--addr", "127.0.0.1:0", "--ingest-key", "k", "--agent-key", "a"}, tc.args...), io.Discard, &errb)
			msg := errb.String()
			if code != tc.code || !strings.Contains(msg, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, msg, tc.code, tc.want)
			}
			if tc.code == 1 && !strings.Contains(msg, "--tls-cert") {
				t.Errorf("error %q does not name the flags", msg)
			}
		})
	}
}
