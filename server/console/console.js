// voxguard agent console: plain JavaScript, no framework, no build step.
//
// It checks the agent key on GET /console/session, opens /v1/events?lifecycle=1 (which starts
// with a snapshot of the live and recently ended calls, then streams call_started,
// call_updated, assessment and call_ended events) and updates the DOM directly on each event.
// Personal data arrives masked from the server; the page never sees more.
"use strict";

(function () {
  const KEY = "voxguard.agentKey"; // sessionStorage only: gone when the tab closes
  const MAX_RECENT = 50;
  const MAX_BACKOFF_MS = 15000;

  const $ = (id) => document.getElementById(id);
  const live = $("live"), recent = $("recent"), tmpl = $("call-template");

  // calls maps call_id to {info, last, ended, source, el}; source is "hub" or "store".
  const calls = new Map();
  let ws = null, backoff = 500, retryTimer = 0, signedIn = false;

  // Render times for the end-to-end test and for anyone curious: one entry per assessment
  // rendered, t = when the DOM was updated, paint = the next animation frame (ms since epoch).
  const renders = (window.voxguardRenders = []);

  const REASONS = {
    VOICE_MISMATCH: "Voice does not match the claimed customer",
    KNOWN_FRAUDSTER: "Voice matches a known fraudster on the watchlist",
    SYNTHETIC_VOICE: "Voice sounds synthetic or replayed",
    INSUFFICIENT_SPEECH: "Not enough speech yet",
    NO_CONSENT: "The claimed customer has not consented to voice verification",
    NO_VOICEPRINT: "The claimed customer has no voiceprint on file",
  };
  const SEVERE = { VOICE_MISMATCH: 1, KNOWN_FRAUDSTER: 1, SYNTHETIC_VOICE: 1 };
  const BANDS = { low: "Low risk", medium: "Medium risk", high: "High risk" };
  const PLATFORMS = { stream: "voxguard stream", twilio: "Twilio", audiohook: "Genesys AudioHook", fork: "Audio fork" };

  function setStatus(text, kind) {
    const s = $("status");
    s.textContent = text;
    s.dataset.kind = kind || "info";
  }

  // --- sign in and out ------------------------------------------------------------------------

  async function checkKey(key) {
    // A browser cannot see why a WebSocket upgrade was refused, so ask first.
    const r = await fetch("/console/session", { headers: { Authorization: "Bearer " + key }, cache: "no-store" });
    if (r.status === 401) throw new RefusedError("This key was refused: it is unknown or revoked.");
    if (r.status === 403) throw new RefusedError("This key may not watch calls: sign in with an agent key.");
    if (!r.ok) throw new Error("The server answered " + r.status + ".");
    return r.json();
  }

  class RefusedError extends Error {}

  async function signIn(key) {
    $("signin-error").hidden = true;
    $("signin-button").disabled = true;
    setStatus("Checking the key…");
    let session;
    try {
      session = await checkKey(key);
    } catch (err) {
      $("signin-button").disabled = false;
      if (err instanceof RefusedError) {
        sessionStorage.removeItem(KEY);
        showSignIn(err.message);
        return;
      }
      setStatus("Cannot reach the server; retrying…", "error");
      retryTimer = setTimeout(() => signIn(key), nextBackoff());
      return;
    }
    $("signin-button").disabled = false;
    sessionStorage.setItem(KEY, key);
    signedIn = true;
    $("signin").hidden = true;
    $("board").hidden = false;
    $("signout").hidden = false;
    document.body.dataset.signedIn = "true";
    connect(key);
    if (session.calls) loadStored(key);
  }

  function showSignIn(message) {
    signedIn = false;
    document.body.dataset.signedIn = "false";
    $("signin").hidden = false;
    $("board").hidden = true;
    $("signout").hidden = true;
    setStatus("");
    const e = $("signin-error");
    e.textContent = message || "";
    e.hidden = !message;
    $("key").value = "";
    $("key").focus();
  }

  function signOut() {
    sessionStorage.removeItem(KEY);
    clearTimeout(retryTimer);
    backoff = 500;
    if (ws) {
      ws.onclose = null;
      ws.close(1000);
      ws = null;
    }
    for (const c of calls.values()) c.el.remove();
    calls.clear();
    counts();
    showSignIn("");
  }

  function nextBackoff() {
    const d = backoff + Math.random() * backoff * 0.3;
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    return d;
  }

  // --- the events WebSocket -------------------------------------------------------------------

  function connect(key) {
    if (ws) {
      ws.onclose = null;
      ws.close(1000);
    }
    const proto = location.protocol === "https:" ? "wss://" : "ws://";
    const sock = new WebSocket(proto + location.host + "/v1/events?lifecycle=1&access_token=" + encodeURIComponent(key));
    ws = sock;
    let opened = false;
    setStatus("Connecting…");
    sock.onopen = () => {
      opened = true;
      backoff = 500;
      setStatus("Connected: watching calls live.");
      document.body.dataset.connected = "true";
      // The snapshot that follows re-sends every live and recent call the server knows.
      for (const [id, c] of calls) {
        if (c.source === "hub") {
          c.el.remove();
          calls.delete(id);
        }
      }
      counts();
    };
    sock.onmessage = (m) => {
      let e;
      try {
        e = JSON.parse(m.data);
      } catch (_) {
        return;
      }
      handle(e);
    };
    sock.onclose = async (ev) => {
      document.body.dataset.connected = "false";
      if (ws !== sock || !signedIn) return;
      ws = null;
      if (!opened) {
        // Refused upgrade or unreachable server: is the key still good?
        try {
          await checkKey(key);
        } catch (err) {
          if (err instanceof RefusedError) {
            signOut();
            showSignIn(err.message);
            return;
          }
        }
      }
      const d = nextBackoff();
      const why = ev.code === 1008 && ev.reason ? " (" + ev.reason + ")" : "";
      setStatus("Disconnected" + why + "; reconnecting in " + Math.round(d / 1000) + " s…", "error");
      retryTimer = setTimeout(() => signedIn && connect(key), d);
    };
  }

  function handle(e) {
    const id = e.call_id || (e.assessment && e.assessment.call_id);
    if (!id) return;
    let c = calls.get(id);
    if (e.type === "call_started" && c && (c.ended || c.source === "store") && c.info.started !== e.started) {
      // A new call reusing an id.
      c.el.remove();
      calls.delete(id);
      c = null;
    }
    if (!c) {
      c = { info: {}, last: null, ended: false, source: "hub", el: newCard(id) };
      calls.set(id, c);
      live.prepend(c.el);
      counts();
    }
    if (c.source === "store") c.source = "hub";
    for (const f of ["platform", "ani", "customer", "started"]) if (e[f]) c.info[f] = e[f];
    switch (e.type) {
      case "assessment":
        if (!c.last || e.assessment.seq >= c.last.seq) c.last = e.assessment;
        render(c);
        stamp(id, e.assessment.seq);
        return;
      case "call_ended":
        c.info.ended = e.ended;
        c.ended = true;
        render(c);
        toRecent(c);
        return;
      default: // call_started, call_updated
        render(c);
    }
  }

  function stamp(id, seq) {
    const r = { call_id: id, seq: seq, t: performance.timeOrigin + performance.now(), paint: 0 };
    if (renders.length >= 5000) renders.shift();
    renders.push(r);
    requestAnimationFrame(() => (r.paint = performance.timeOrigin + performance.now()));
  }

  // --- rendering ------------------------------------------------------------------------------

  function newCard(id) {
    const el = tmpl.content.firstElementChild.cloneNode(true);
    el.dataset.callId = id;
    el.dataset.state = "live";
    return el;
  }

  function field(c, name) {
    return c.el.querySelector('[data-field="' + name + '"]');
  }

  function set(c, name, text, status) {
    const f = field(c, name);
    if (f.textContent !== text) f.textContent = text;
    if (status !== undefined) f.dataset.status = status;
  }

  function render(c) {
    const a = c.last, info = c.info, el = c.el;
    set(c, "customer", info.customer || "No customer claimed");
    set(c, "ani", info.ani || "withheld");
    set(c, "platform", PLATFORMS[info.platform] || info.platform || "–");
    const times = [];
    if (info.started) times.push("Started " + clock(info.started));
    if (info.ended) times.push("ended " + clock(info.ended));
    times.push("call " + el.dataset.callId);
    set(c, "times", times.join(" · "));
    el.dataset.state = c.ended ? "ended" : "live";
    if (!a) return;
    el.dataset.seq = a.seq;
    el.dataset.band = a.band || "none";
    set(c, "risk", String(a.risk));
    set(c, "band", BANDS[a.band] || "Unknown");
    set(c, "speech", a.speech_seconds.toFixed(1) + " s" + (a.final ? " (final)" : ""));
    const has = (r) => (a.reasons || []).indexOf(r) >= 0;
    set(c, "verification", ...verification(a, has));
    set(c, "spoof", ...spoof(a.spoof || {}));
    const hits = a.watchlist || [];
    if (hits.length) {
      const more = hits.length > 1 ? " (+" + (hits.length - 1) + " more)" : "";
      set(c, "watchlist", "Hit: " + hits[0].label + more, "hit");
    } else {
      set(c, "watchlist", has("INSUFFICIENT_SPEECH") ? "No match so far" : "Clear", "clear");
    }
    const ul = field(c, "reasons");
    const key = (a.reasons || []).join(",") + "|" + hits.map((h) => h.label).join(",");
    if (ul.dataset.key !== key) {
      ul.dataset.key = key;
      ul.replaceChildren();
      for (const r of a.reasons || []) {
        const li = document.createElement("li");
        li.dataset.reason = r;
        if (SEVERE[r]) li.dataset.severity = "high";
        let text = REASONS[r] || r;
        if (r === "KNOWN_FRAUDSTER" && hits.length) text += ": " + hits.map((h) => h.label).join(", ");
        li.textContent = text;
        ul.append(li);
      }
    }
  }

  function verification(a, has) {
    const v = a.verification || {};
    if (!v.subject_id) return ["No customer claimed yet", "none"];
    if (has("NO_VOICEPRINT")) return ["No voiceprint on file", "no_voiceprint"];
    if (has("NO_CONSENT")) return ["No consent on file", "no_consent"];
    switch (v.decision) {
      case "match": return ["Match", "match"];
      case "mismatch": return ["Does not match", "mismatch"];
      default: return [has("INSUFFICIENT_SPEECH") ? "Not enough speech yet" : "Inconclusive", "inconclusive"];
    }
  }

  function spoof(s) {
    switch (s.decision) {
      case "spoof": return ["Synthetic or replayed", "spoof"];
      case "bonafide": return ["Natural voice", "bonafide"];
      case "inconclusive": return ["Not enough speech yet", "inconclusive"];
      default: return ["Not checked", "not_assessed"];
    }
  }

  function clock(t) {
    const d = new Date(t);
    return isNaN(d) ? "" : d.toLocaleTimeString();
  }

  function toRecent(c) {
    // Newest first by end time.
    const end = Date.parse(c.info.ended) || 0;
    let before = null;
    for (const el of recent.children) {
      const o = calls.get(el.dataset.callId);
      if (o && (Date.parse(o.info.ended) || 0) < end) {
        before = el;
        break;
      }
    }
    recent.insertBefore(c.el, before);
    while (recent.children.length > MAX_RECENT) {
      const el = recent.lastElementChild;
      calls.delete(el.dataset.callId);
      el.remove();
    }
    counts();
  }

  function counts() {
    $("live-count").textContent = live.children.length;
    $("recent-count").textContent = recent.children.length;
    $("live-empty").hidden = live.children.length > 0;
    $("recent-empty").hidden = recent.children.length > 0;
  }

  // --- stored calls (with a store) ------------------------------------------------------------

  async function loadStored(key) {
    const auth = { headers: { Authorization: "Bearer " + key }, cache: "no-store" };
    let recs;
    try {
      const r = await fetch("/v1/calls?limit=200", auth);
      if (!r.ok) return; // 404 without a store; nothing to add
      recs = await r.json();
    } catch (_) {
      return;
    }
    // Signed out (or signed in with another key) while the request was in flight: add nothing.
    if (sessionStorage.getItem(KEY) !== key || !Array.isArray(recs)) return;
    recs.sort((x, y) => Date.parse(y.ended || y.started) - Date.parse(x.ended || x.started));
    const names = new Map();
    for (const rec of recs.slice(0, MAX_RECENT)) {
      if (!rec.ended || calls.has(rec.call_id)) continue; // the hub's copy is fresher
      const as = rec.assessments || [];
      const c = {
        info: { platform: rec.platform, ani: rec.ani, started: rec.started, ended: rec.ended },
        last: as.length ? as[as.length - 1] : null,
        ended: true, source: "store", el: newCard(rec.call_id),
      };
      calls.set(rec.call_id, c);
      if (rec.claimed_subject) {
        if (!names.has(rec.claimed_subject)) names.set(rec.claimed_subject, []);
        names.get(rec.claimed_subject).push(c);
      }
      render(c);
      toRecent(c);
    }
    // The customers' masked names, one request per subject.
    for (const [sub, cs] of names) {
      try {
        const r = await fetch("/v1/subjects/" + encodeURIComponent(sub), auth);
        const s = r.ok ? await r.json() : {};
        if (sessionStorage.getItem(KEY) !== key) return;
        for (const c of cs) {
          c.info.customer = s.name || s.account_ref || maskID(sub);
          render(c);
        }
      } catch (_) { /* leave it unnamed */ }
    }
  }

  // maskID masks a subject id like store.MaskAccount: all but the last four letters or digits.
  function maskID(id) {
    const r = Array.from(id);
    const keep = r.length <= 4 ? 0 : 4;
    return r.map((ch, i) => (i < r.length - keep && /[\p{L}\p{N}]/u.test(ch) ? "*" : ch)).join("");
  }

  // --- start ----------------------------------------------------------------------------------

  $("signin-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const key = $("key").value.trim();
    if (key) signIn(key);
  });
  $("signout").addEventListener("click", signOut);
  counts();
  const saved = sessionStorage.getItem(KEY);
  if (saved) signIn(saved);
  else showSignIn("");
})();
