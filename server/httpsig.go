package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrUnsigned is returned by VerifyAudioHookSignature for a request without signature headers.
var ErrUnsigned = errors.New("request is not signed")

// audioHookCovered are the components a Genesys AudioHook signature must cover at least: all six
// that Genesys's client signs (and its reference server requires).
var audioHookCovered = []string{"@request-target", "@authority", "audiohook-organization-id", "audiohook-session-id", "audiohook-correlation-id", "x-api-key"}

// MaxAudioHookSignatureAge is how old (by its created time) a signature may be when the upgrade
// arrives, beyond the allowed clock skew: Genesys's reference server allows 10 s.
const MaxAudioHookSignatureAge = 10 * time.Second

// minNonceLength is the shortest nonce accepted (the reference server's limit; Genesys's client
// sends 24 base64 characters).
const minNonceLength = 22

// VerifyAudioHookSignature checks a Genesys AudioHook upgrade request's HTTP message signature
// (RFC 9421, as AudioHook uses it): Signature-Input names the covered components and the
// parameters keyid (= X-API-KEY), nonce, alg ("hmac-sha256"), created and expires (Unix
// seconds); Signature carries base64(HMAC-SHA256(secret, signature base)). The signature base
// has one line `"name": value` per component (@request-target = path and query as received,
// @authority = Host, any other = that header) and a last line `"@signature-params": ` followed
// by the Signature-Input value after its label, joined by LF. now is the verifier's clock;
// created may be up to skew in the future and at most MaxAudioHookSignatureAge + skew in the past,
// expires up to skew in the past; the nonce has at least 22 characters and the six components
// of audioHookCovered are covered.
func VerifyAudioHookSignature(r *http.Request, secret []byte, now time.Time, skew time.Duration) error {
	input, sig := r.Header.Get("Signature-Input"), r.Header.Get("Signature")
	if input == "" && sig == "" {
		return ErrUnsigned
	}
	label, params, ok := strings.Cut(input, "=")
	if !ok || !strings.HasPrefix(params, "(") {
		return errors.New("malformed Signature-Input")
	}
	end := strings.IndexByte(params, ')')
	if end < 0 {
		return errors.New("malformed Signature-Input component list")
	}
	var comps []string
	for _, f := range strings.Fields(params[1:end]) {
		n, err := strconv.Unquote(f)
		if err != nil || n == "" {
			return fmt.Errorf("malformed component %q", f)
		}
		comps = append(comps, strings.ToLower(n))
	}
	for _, want := range audioHookCovered {
		found := false
		for _, c := range comps {
			found = found || c == want
		}
		if !found {
			return fmt.Errorf("signature does not cover %s", want)
		}
	}
	p := map[string]string{}
	for _, kv := range strings.Split(params[end+1:], ";") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if u, err := strconv.Unquote(v); err == nil {
			v = u
		}
		p[k] = v
	}
	if p["alg"] != "" && p["alg"] != "hmac-sha256" {
		return fmt.Errorf("unsupported signature algorithm %q", p["alg"])
	}
	if p["keyid"] != r.Header.Get("X-API-KEY") {
		return errors.New("signature keyid is not the X-API-KEY")
	}
	created, err := strconv.ParseInt(p["created"], 10, 64)
	if err != nil {
		return errors.New("signature has no created time")
	}
	if time.Unix(created, 0).After(now.Add(skew)) {
		return errors.New("signature created in the future")
	}
	if time.Unix(created, 0).Before(now.Add(-skew - MaxAudioHookSignatureAge)) {
		return errors.New("signature created too long ago")
	}
	if len(p["nonce"]) < minNonceLength {
		return errors.New("signature nonce missing or too short")
	}
	if e, ok := p["expires"]; ok {
		exp, err := strconv.ParseInt(e, 10, 64)
		if err != nil {
			return errors.New("malformed signature expiry")
		}
		if time.Unix(exp, 0).Before(now.Add(-skew)) {
			return errors.New("signature expired")
		}
	}
	var base strings.Builder
	for _, c := range comps {
		var v string
		switch c {
		case "@request-target":
			v = r.RequestURI
			if v == "" {
				v = r.URL.RequestURI()
			}
		case "@authority":
			v = strings.ToLower(r.Host)
		default:
			vs := r.Header.Values(c)
			if len(vs) == 0 {
				return fmt.Errorf("signed header %s is missing", c)
			}
			for i := range vs {
				vs[i] = strings.TrimSpace(vs[i])
			}
			v = strings.Join(vs, ", ")
		}
		fmt.Fprintf(&base, "%q: %s\n", c, v)
	}
	fmt.Fprintf(&base, "%q: %s", "@signature-params", params)
	got, ok := strings.CutPrefix(sig, label+"=:")
	if !ok || !strings.HasSuffix(got, ":") {
		return errors.New("malformed Signature")
	}
	mac, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(got, ":"))
	if err != nil {
		return errors.New("signature is not base64")
	}
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(base.String()))
	if !hmac.Equal(h.Sum(nil), mac) {
		return errors.New("signature mismatch")
	}
	return nil
}
