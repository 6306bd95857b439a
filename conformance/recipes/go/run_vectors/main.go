// The Go recipe (golang-jwt/jwt v5) against the conformance vectors, as conformance/ does for
// PyJWT and jose. A test harness, not part of the recipe.
//
//	run_vectors ../../vectors/launch-tokens.json
//	run_vectors --client-data ../../vectors/client-data.json --portal http://127.0.0.1:PORT
package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"strings"
	"time"

	"cvplugin.test/recipe/cvplugin"
)

var passed int
var failures []string

func check(ok bool, format string, args ...interface{}) {
	if ok {
		passed++
	} else {
		failures = append(failures, fmt.Sprintf(format, args...))
	}
}

func code(err error) string {
	if e, ok := err.(*cvplugin.LaunchTokenError); ok {
		return e.Code
	}
	return fmt.Sprintf("not a LaunchTokenError: %v", err)
}

// jsonValue: a Go value as JSON reads it (numbers as float64), for comparisons.
func jsonValue(v interface{}) interface{} {
	b, _ := json.Marshal(v)
	var out interface{}
	json.Unmarshal(b, &out)
	return out
}

type validVector struct {
	Name, Alg, Token string
	Claims           map[string]interface{}
}

type invalidVector struct {
	Name, Token, Error string
	// What a verifier pinned to its plugin's algorithm reports, where it differs from Error.
	ErrorWhenAlgPinned string `json:"error_when_alg_pinned"`
}

type launchVectors struct {
	Issuer      string          `json:"issuer"`
	Plugin      string          `json:"plugin"`
	Now         int64           `json:"now"`
	Leeway      int64           `json:"leeway"`
	MaxTokenLen int             `json:"max_token_len"`
	JWKS        json.RawMessage `json:"jwks"`
	Valid       []validVector   `json:"valid"`
	Invalid     []invalidVector `json:"invalid"`
	PerPlugin   struct {
		Plugin    string          `json:"plugin"`
		Algorithm string          `json:"algorithm"`
		JWKS      json.RawMessage `json:"jwks"`
		Valid     []validVector   `json:"valid"`
		Invalid   []invalidVector `json:"invalid"`
	} `json:"per_plugin_algorithm"`
}

func launchTokens(file string) {
	var v launchVectors
	data, err := os.ReadFile(file)
	if err == nil {
		err = json.Unmarshal(data, &v)
	}
	if err != nil {
		fmt.Println("cannot read", file, err)
		os.Exit(2)
	}
	keys, err := cvplugin.ParseJWKS(v.JWKS)
	if err != nil {
		fmt.Println("JWKS refused:", err)
		os.Exit(1)
	}
	now := func() time.Time { return time.Unix(v.Now, 0) }
	verifier := func(algorithms []string, replay cvplugin.ReplayStore) *cvplugin.Verifier {
		return &cvplugin.Verifier{Keys: keys, Issuer: v.Issuer, Plugin: v.Plugin, Algorithms: algorithms,
			Leeway: time.Duration(v.Leeway) * time.Second, MaxLength: v.MaxTokenLen, Now: now, Replay: replay}
	}
	both := []string{"EdDSA", "ES256"}
	once := verifier(both, &cvplugin.MemoryReplayStore{Now: now})
	for _, vec := range v.Valid {
		claims, err := once.VerifyLaunch(vec.Token)
		if err != nil {
			check(false, "%s: valid vector refused: %v", vec.Name, err)
			continue
		}
		check(reflect.DeepEqual(jsonValue(claims.All), jsonValue(vec.Claims)), "%s: claims differ: %v", vec.Name, claims.All)
	}
	for _, vec := range v.Valid { // §8: the second presentation
		_, err := once.VerifyLaunch(vec.Token)
		check(err != nil && code(err) == "replayed", "%s: second use: %v, expected replayed", vec.Name, err)
	}
	for _, vec := range v.Invalid {
		_, err := verifier(both, &cvplugin.MemoryReplayStore{Now: now}).VerifyLaunch(vec.Token)
		if err == nil {
			check(false, "%s: invalid vector accepted (expected %s)", vec.Name, vec.Error)
			continue
		}
		check(code(err) == vec.Error, "%s: refused as %s, expected %s", vec.Name, code(err), vec.Error)
	}
	for _, pinned := range []string{"ES256", "EdDSA"} { // the plugin's pinned algorithm
		only := verifier([]string{pinned}, nil)
		for _, vec := range v.Valid {
			_, err := only.Verify(vec.Token)
			if vec.Alg == pinned {
				check(err == nil, "%s: pinned to %s, refused: %v", vec.Name, pinned, err)
			} else {
				check(err != nil && code(err) == "unsupported_alg", "%s: %s token, pinned to %s: %v", vec.Name, vec.Alg, pinned, err)
			}
		}
	}

	// The per-plugin algorithm (PROTOCOL.md §3): this plugin's key set and plugin, pinned to its
	// algorithm as the onboarding checklist says.
	section := v.PerPlugin
	sectionKeys, err := cvplugin.ParseJWKS(section.JWKS)
	if err != nil {
		check(false, "%s: JWKS refused: %v", section.Plugin, err)
		return
	}
	sectionVerifier := func(algorithms []string, replay cvplugin.ReplayStore) *cvplugin.Verifier {
		return &cvplugin.Verifier{Keys: sectionKeys, Issuer: v.Issuer, Plugin: section.Plugin, Algorithms: algorithms,
			Leeway: time.Duration(v.Leeway) * time.Second, MaxLength: v.MaxTokenLen, Now: now, Replay: replay}
	}
	pinned := []string{section.Algorithm}
	check(len(section.Valid) > 0 && len(section.Invalid) > 0, "%s: no vectors", section.Plugin)
	once = sectionVerifier(pinned, &cvplugin.MemoryReplayStore{Now: now})
	for _, vec := range section.Valid {
		claims, err := once.VerifyLaunch(vec.Token)
		if err != nil {
			check(false, "%s %s: valid vector refused: %v", section.Plugin, vec.Name, err)
			continue
		}
		check(reflect.DeepEqual(jsonValue(claims.All), jsonValue(vec.Claims)), "%s %s: claims differ: %v", section.Plugin, vec.Name, claims.All)
	}
	for _, vec := range section.Valid { // §8: the second presentation
		_, err := once.VerifyLaunch(vec.Token)
		check(err != nil && code(err) == "replayed", "%s %s: second use: %v, expected replayed", section.Plugin, vec.Name, err)
	}
	for _, vec := range section.Invalid {
		expectedPinned := vec.Error
		if vec.ErrorWhenAlgPinned != "" {
			expectedPinned = vec.ErrorWhenAlgPinned
		}
		for _, mode := range []struct {
			label      string
			algorithms []string
			expected   string
		}{{"pinned", pinned, expectedPinned}, {"both algorithms", both, vec.Error}} {
			_, err := sectionVerifier(mode.algorithms, &cvplugin.MemoryReplayStore{Now: now}).VerifyLaunch(vec.Token)
			if err == nil {
				check(false, "%s %s (%s): accepted (expected %s)", section.Plugin, vec.Name, mode.label, mode.expected)
				continue
			}
			check(code(err) == mode.expected, "%s %s (%s): refused as %s, expected %s", section.Plugin, vec.Name, mode.label, code(err), mode.expected)
		}
	}
}

type clientDataVectors struct {
	Issuer    string                 `json:"issuer"`
	Now       int64                  `json:"now"`
	Leeway    int64                  `json:"leeway"`
	JWKS      interface{}            `json:"jwks"`
	Discovery map[string]interface{} `json:"discovery"`
	Cases     []struct {
		Name    string `json:"name"`
		Request struct {
			Authorization *string `json:"authorization"`
		} `json:"request"`
		Verify *struct {
			Token, Plugin string
			Claims        map[string]interface{}
			Error         string
		} `json:"verify"`
		Expected struct {
			Status  int               `json:"status"`
			Headers map[string]string `json:"headers"`
			Body    interface{}       `json:"body"`
			Error   string            `json:"error"`
		} `json:"expected"`
		Vendor map[string]interface{} `json:"vendor"`
	} `json:"cases"`
}

func clientData(file, portal string) {
	var v clientDataVectors
	data, err := os.ReadFile(file)
	if err == nil {
		err = json.Unmarshal(data, &v)
	}
	if err != nil {
		fmt.Println("cannot read", file, err)
		os.Exit(2)
	}
	origin := v.Issuer // https://portal.test: its URLs go to the loopback portal
	transport := cvplugin.HTTPGet(nil)
	get := func(u string, h http.Header) (*cvplugin.Answer, error) {
		if !strings.HasPrefix(u, origin+"/") {
			return nil, fmt.Errorf("%s is not under the fixture's origin", u)
		}
		return transport(portal+strings.TrimPrefix(u, origin), h)
	}
	discovery, err := cvplugin.FetchDiscovery(v.Issuer, get)
	if err != nil {
		failures = append(failures, fmt.Sprintf("discovery: %v (is the portal at %s running?)", err, portal))
		return
	}
	check(reflect.DeepEqual(jsonValue(discovery), jsonValue(v.Discovery)), "discovery differs: %+v", discovery)
	_, err = cvplugin.FetchDiscovery(v.Issuer+"/", get)
	e, _ := err.(*cvplugin.ClientDataError)
	check(e != nil && e.Code == "discovery_issuer_mismatch", "trailing-slash issuer: %v", err)
	// Case variants of the members after the real ones are unknown members: ignored, never read
	// as jwks_uri or client_data_endpoint (encoding/json's struct matching would take them).
	if real, err := get(v.Issuer+"/.well-known/cv-plugin", http.Header{"Accept": {"application/json"}}); err == nil {
		body := strings.TrimSuffix(strings.TrimSpace(string(real.Body)), "}") +
			`,"JWKS_URI":"https://attacker.example/jwks","Client_Data_Endpoint":"https://attacker.example/steal"}`
		hostile := func(u string, h http.Header) (*cvplugin.Answer, error) {
			return &cvplugin.Answer{Status: 200, Header: real.Header, Body: []byte(body)}, nil
		}
		d, err := cvplugin.FetchDiscovery(v.Issuer, hostile)
		check(err != nil || (d.JWKSURI == discovery.JWKSURI && d.ClientDataEndpoint == discovery.ClientDataEndpoint),
			"case-variant members were read: %+v", d)
	} else {
		check(false, "discovery refetch: %v", err)
	}
	answer, err := get(discovery.JWKSURI, http.Header{"Accept": {"application/json"}})
	var jwks interface{}
	if err == nil {
		json.Unmarshal(answer.Body, &jwks)
	}
	check(err == nil && reflect.DeepEqual(jwks, v.JWKS), "JWKS: %v %v", err, jwks)
	keys, err := cvplugin.FetchKeys(discovery, get)
	if err != nil {
		failures = append(failures, fmt.Sprintf("keys: %v", err))
		return
	}

	for _, c := range v.Cases {
		var claims *cvplugin.Claims
		if c.Verify != nil {
			verifier := &cvplugin.Verifier{Keys: keys, Issuer: v.Issuer, Plugin: c.Verify.Plugin, Algorithms: []string{"EdDSA", "ES256"},
				Leeway: time.Duration(v.Leeway) * time.Second, Now: func() time.Time { return time.Unix(v.Now, 0) }}
			claims, err = verifier.Verify(c.Verify.Token)
			if err != nil {
				check(code(err) == c.Verify.Error, "%s: token refused as %s, expected %q", c.Name, code(err), c.Verify.Error)
			} else {
				check(c.Verify.Claims != nil && reflect.DeepEqual(jsonValue(claims.All), jsonValue(c.Verify.Claims)), "%s: verified, expected %s", c.Name, c.Verify.Error)
			}
		}
		header := http.Header{"Accept": {"application/json"}}
		if claims != nil && c.Request.Authorization != nil && *c.Request.Authorization == "Bearer "+c.Verify.Token {
			var u string
			u, header, err = cvplugin.ClientDataRequest(discovery, claims, c.Verify.Token)
			check(err == nil && u == discovery.ClientDataEndpoint, "%s: request %s %v", c.Name, u, err)
		} else if c.Request.Authorization != nil {
			header.Set("Authorization", *c.Request.Authorization)
		}
		answer, err := get(discovery.ClientDataEndpoint, header)
		if err != nil {
			check(false, "%s: no answer: %v", c.Name, err)
			continue
		}
		check(answer.Status == c.Expected.Status, "%s: status %d, expected %d", c.Name, answer.Status, c.Expected.Status)
		for name, value := range c.Expected.Headers {
			got := answer.Header.Values(name)
			check(len(got) == 1 && got[0] == value, "%s: %s: %q, expected %q", c.Name, name, got, value)
		}
		for _, name := range []string{"WWW-Authenticate", "Retry-After"} {
			if _, listed := c.Expected.Headers[name]; !listed {
				check(answer.Header.Get(name) == "", "%s: unexpected %s", c.Name, name)
			}
		}
		var body interface{}
		json.Unmarshal(answer.Body, &body)
		if c.Expected.Body != nil {
			check(reflect.DeepEqual(body, c.Expected.Body), "%s: body %s", c.Name, answer.Body)
		} else {
			m, _ := body.(map[string]interface{})
			description, _ := m["error_description"].(string)
			ok := len(m) == 2 && m["error"] == c.Expected.Error && m["error_description"] != nil &&
				len(description) <= 256 && (c.Verify == nil || !strings.Contains(description, c.Verify.Token))
			check(ok, "%s: error body %s, expected error %s", c.Name, answer.Body, c.Expected.Error)
		}
		data, err := cvplugin.ReadClientData(answer, claims)
		if err == nil {
			check(c.Vendor["outcome"] == "data" && reflect.DeepEqual(jsonValue(data), c.Expected.Body), "%s: read data %v", c.Name, data)
		} else {
			e, _ := err.(*cvplugin.ClientDataError)
			var reading map[string]interface{}
			if e != nil {
				var server interface{} = e.ServerCode
				if e.ServerCode == "" {
					server = nil
				}
				reading = map[string]interface{}{"outcome": e.Fault, "error": e.Code, "server_code": server}
			}
			check(reflect.DeepEqual(reading, c.Vendor), "%s: read as %v, expected %v", c.Name, reading, c.Vendor)
		}
	}
}

func main() {
	args := os.Args[1:]
	label := "launch tokens"
	switch {
	case len(args) == 1:
		launchTokens(args[0])
	case len(args) == 4 && args[0] == "--client-data" && args[2] == "--portal":
		label = "client data"
		clientData(args[1], strings.TrimSuffix(args[3], "/"))
	default:
		fmt.Fprintln(os.Stderr, "usage: run_vectors launch-tokens.json | --client-data client-data.json --portal URL")
		os.Exit(2)
	}
	for _, f := range failures {
		fmt.Println("FAIL", f)
	}
	fmt.Printf("%s, Go (golang-jwt/jwt v5): %d passed, %d failed\n", label, passed, len(failures))
	if len(failures) > 0 {
		os.Exit(1)
	}
}
