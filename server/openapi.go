package server

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
)

// streamRoute is an endpoint outside the REST API (WebSockets and operations), documented too.
type streamRoute struct {
	Method, Path, Summary string
	Roles                 []Role // nil: no authentication
}

// otherRoutes are the endpoints besides the REST API's.
var otherRoutes = []streamRoute{
	{"GET", "/v1/stream", "Native streaming protocol (WebSocket): start, binary audio, claim, stop; assessments back", []Role{RoleIngest}},
	{"GET", "/v1/twilio", "Twilio Media Streams (WebSocket)", []Role{RoleIngest}},
	{"GET", "/v1/audiohook", "Genesys AudioHook v2 (WebSocket; X-API-KEY and RFC 9421 signature)", []Role{RoleIngest}},
	{"GET", "/v1/fork", "L16 audio forks: Vonage, FreeSWITCH mod_audio_fork, jambonz (WebSocket)", []Role{RoleIngest}},
	{"GET", "/v1/events", "Agents' live assessments (WebSocket; ?call_id= for one call; ?lifecycle=1 adds call_started, call_updated and call_ended events after a snapshot of live and recent calls; personal data masked)", []Role{RoleAgent}},
	{"GET", "/", "Redirect to the agent console (/console/)", nil},
	{"GET", "/console/", "The agent console: an HTML page, its script and style (sign in with an agent key)", nil},
	{"GET", "/console/session", "Check a key for the agent console: key id, role, and whether /v1/calls serves stored calls", []Role{RoleAgent}},
	{"GET", "/v1/openapi.json", "This document", nil},
	{"GET", "/healthz", "Liveness", nil},
	{"GET", "/readyz", "Readiness (accepting calls: not shutting down, not shedding load, store answering)", nil},
	{"GET", "/metrics", "Prometheus metrics", nil},
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// OpenAPI returns the OpenAPI 3 document of every route the server serves, built from the same
// route table the handlers are registered from.
func (s *Server) OpenAPI() map[string]any {
	problem := map[string]any{"description": "Error (RFC 9457 problem document)", "content": map[string]any{
		"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}
	paths := map[string]map[string]any{}
	add := func(method, path, summary string, roles []Role, request string, auth bool) {
		op := map[string]any{"summary": summary, "operationId": strings.ToLower(method) + strings.NewReplacer("/", "_", "{", "", "}", "", "-", "_", ".", "_").Replace(path)}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if request != "" {
			content := map[string]any{}
			for _, ct := range strings.Split(request, ", ") {
				sch := map[string]any{"type": "object"}
				if strings.HasPrefix(ct, "audio/") {
					sch = map[string]any{"type": "string", "format": "binary"}
				}
				content[ct] = map[string]any{"schema": sch}
			}
			op["requestBody"] = map[string]any{"required": true, "content": content}
		}
		resp := map[string]any{"default": problem}
		switch {
		case strings.HasPrefix(path, "/v1/") && method == "GET" && strings.Contains(summary, "WebSocket"):
			resp["101"] = map[string]any{"description": "Switching protocols to WebSocket"}
		case path == "/":
			resp["302"] = map[string]any{"description": "Found: the console is at /console/"}
		case path == "/console/":
			resp["200"] = map[string]any{"description": "The page (or its assets under /console/)", "content": map[string]any{"text/html": map[string]any{}}}
		default:
			resp["200"] = map[string]any{"description": "OK", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}}
		}
		if auth {
			resp["401"] = map[string]any{"description": "Missing, unknown or revoked API key"}
			resp["403"] = map[string]any{"description": "The key's role may not use this endpoint"}
			op["security"] = []any{map[string]any{"bearer": []any{}}}
			names := []string{}
			for _, r := range roles {
				names = append(names, string(r))
			}
			op["x-roles"] = append(names, string(RoleAdmin))
		} else {
			op["security"] = []any{}
		}
		op["responses"] = resp
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(method)] = op
	}
	for _, r := range otherRoutes {
		add(r.Method, r.Path, r.Summary, r.Roles, "", r.Roles != nil)
	}
	if s.st != nil {
		for _, r := range s.apiRoutes() {
			add(r.Method, r.Path, r.Summary, r.Roles, r.Request, true)
		}
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "voxguard", "version": "1",
			"description": "Voiceprint anti-fraud verification. Roles: ingest (streams), agent (events; personal data masked), analyst (subjects, consent, enrollment, watchlist, calls, export), auditor (audit log), admin (everything, keys, erasure). Authorization: Bearer ID.SECRET."},
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
			"schemas": map[string]any{"Problem": map[string]any{"type": "object", "properties": map[string]any{
				"type": map[string]any{"type": "string"}, "title": map[string]any{"type": "string"},
				"status": map[string]any{"type": "integer"}, "detail": map[string]any{"type": "string"}}}},
		},
	}
}

func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(s.OpenAPI())
}
