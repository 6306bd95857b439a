package cvplugin

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// MaxBody is the most a vendor reads of any answer of the portal (§11).
const MaxBody = 64 * 1024

// ClientDataError says why there is no data: Code is the recipe's code (cv-portal-plugin's),
// Fault what it means (no_data, token, access, unavailable, protocol), ServerCode the portal's.
type ClientDataError struct {
	Code, Fault, ServerCode, Detail string
}

func (e *ClientDataError) Error() string {
	return fmt.Sprintf("%s (%s, portal: %q): %s", e.Code, e.Fault, e.ServerCode, e.Detail)
}

func dataErr(code, detail string) error {
	return &ClientDataError{Code: code, Fault: "protocol", Detail: detail}
}

// Answer is what the transport returns: status, headers, at most MaxBody+1 bytes of body.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// Get is the transport: a GET that never follows redirects (HTTPGet is one).
type Get func(url string, header http.Header) (*Answer, error)

// HTTPGet is a Get over net/http: no redirects (a 3xx is an answer), a deadline, a bounded body.
// Production code should also refuse to dial private addresses for an https issuer (§11), with
// a net.Dialer Control function.
func HTTPGet(client *http.Client) Get {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	noRedirects := *client
	noRedirects.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return func(u string, header http.Header) (*Answer, error) {
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		req.Header = header
		resp, err := noRedirects.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
		if err != nil {
			return nil, err
		}
		return &Answer{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
	}
}

// Discovery is the portal's discovery document (§10).
type Discovery struct {
	Issuer             string   `json:"issuer"`
	ProtocolVersion    int      `json:"protocol_version"`
	JWKSURI            string   `json:"jwks_uri"`
	ClientDataEndpoint string   `json:"client_data_endpoint"`
	Algorithms         []string `json:"token_signing_alg_values_supported"`
}

var printableASCII = regexp.MustCompile(`^[\x21-\x7e]+$`)
var loopback = regexp.MustCompile(`^(localhost|127(\.\d{1,3}){3}|\[::1\])$`)

func checkURL(u, role string) error {
	if len(u) == 0 || len(u) > 2048 || !printableASCII.MatchString(u) {
		return dataErr("data_url_invalid", role)
	}
	parts, err := url.Parse(u)
	if err != nil || (parts.Scheme != "https" && parts.Scheme != "http") || parts.Hostname() == "" {
		return dataErr("data_url_invalid", role)
	}
	if parts.User != nil || strings.Contains(u, "#") {
		return dataErr("data_url_invalid", role+": userinfo or fragment")
	}
	host := parts.Host
	if i := strings.LastIndex(host, ":"); i > strings.LastIndex(host, "]") {
		host = host[:i]
	}
	if parts.Scheme == "http" && !loopback.MatchString(host) {
		return dataErr("data_url_not_https", role)
	}
	return nil
}

// FetchDiscovery fetches and checks the discovery document of issuer, the one you were
// configured with, never an iss read from an unverified token (§11 "Discovery, the vendor's
// checks", in order).
func FetchDiscovery(issuer string, get Get) (*Discovery, error) {
	if err := checkURL(issuer, "issuer"); err != nil {
		return nil, err
	}
	if parts, _ := url.Parse(issuer); parts.RawQuery != "" || parts.ForceQuery {
		return nil, dataErr("data_url_invalid", "an issuer with a query")
	}
	answer, err := get(strings.TrimSuffix(issuer, "/")+"/.well-known/cv-plugin", http.Header{"Accept": {"application/json"}})
	if err != nil {
		return nil, &ClientDataError{Code: "discovery_http_status", Fault: "unavailable", Detail: err.Error()}
	}
	if answer.Status != 200 {
		return nil, dataErr("discovery_http_status", fmt.Sprint(answer.Status))
	}
	if len(answer.Body) > MaxBody {
		return nil, dataErr("discovery_too_large", "")
	}
	parsed, err := strictObject(answer.Body)
	if err != nil || parsed.duplicate {
		return nil, dataErr("discovery_invalid", "not a JSON object without repeated members")
	}
	version, ok := parsed.raw["protocol_version"]
	if !ok || !plainInt.Match(version) {
		return nil, dataErr("discovery_invalid", "protocol_version")
	}
	if string(version) != "1" {
		return nil, dataErr("discovery_unsupported_version", string(version))
	}
	var iss string
	if json.Unmarshal(parsed.raw["issuer"], &iss) != nil || iss != issuer {
		return nil, dataErr("discovery_issuer_mismatch", "")
	}
	// Each member by its exact name: json.Unmarshal into the struct would match field names
	// case-insensitively (the last of "jwks_uri" and "JWKS_URI" winning), a parser differential
	// with every other verifier, which ignores "JWKS_URI" as an unknown member.
	d := Discovery{Issuer: iss, ProtocolVersion: 1}
	if !isString(parsed.raw["jwks_uri"]) || json.Unmarshal(parsed.raw["jwks_uri"], &d.JWKSURI) != nil ||
		!isString(parsed.raw["client_data_endpoint"]) ||
		json.Unmarshal(parsed.raw["client_data_endpoint"], &d.ClientDataEndpoint) != nil ||
		json.Unmarshal(parsed.raw["token_signing_alg_values_supported"], &d.Algorithms) != nil ||
		d.Algorithms == nil {
		return nil, dataErr("discovery_invalid", "a member is missing or of the wrong type")
	}
	for role, u := range map[string]string{"jwks_uri": d.JWKSURI, "client_data_endpoint": d.ClientDataEndpoint} {
		if err := checkURL(u, role); err != nil {
			return nil, err
		}
		if strings.HasPrefix(strings.ToLower(issuer), "https://") && !strings.HasPrefix(strings.ToLower(u), "https://") {
			return nil, dataErr("data_url_not_https", role+" of an https portal")
		}
	}
	return &d, nil
}

func isString(raw json.RawMessage) bool { return len(raw) > 0 && raw[0] == '"' }

// FetchKeys fetches the JWKS the discovery document names.
func FetchKeys(d *Discovery, get Get) (KeySet, error) {
	answer, err := get(d.JWKSURI, http.Header{"Accept": {"application/json"}})
	if err != nil || answer.Status != 200 || len(answer.Body) > MaxBody {
		return nil, refuse("keys_unavailable", "the JWKS could not be fetched")
	}
	keys, err := ParseJWKS(answer.Body)
	if err != nil {
		return nil, refuse("keys_unavailable", err.Error())
	}
	return keys, nil
}

var b64token = regexp.MustCompile(`^[A-Za-z0-9._~+/-]+=*$`)

// ClientDataRequest is the request that redeems token (verified: claims) at the portal that
// issued it, and only there (§11).
func ClientDataRequest(d *Discovery, claims *Claims, token string) (string, http.Header, error) {
	if claims.Iss != d.Issuer {
		return "", nil, dataErr("discovery_issuer_mismatch", "the token is another portal's")
	}
	if len(token) > 4096 || !b64token.MatchString(token) {
		return "", nil, dataErr("bearer_token_invalid", "")
	}
	return d.ClientDataEndpoint, http.Header{"Authorization": {"Bearer " + token}, "Accept": {"application/json"}}, nil
}

// FetchClientData redeems a verified launch token once and reads the answer. A 503 may be
// retried once after Retry-After with the same token.
func FetchClientData(d *Discovery, claims *Claims, token string, get Get) (map[string]interface{}, error) {
	u, header, err := ClientDataRequest(d, claims, token)
	if err != nil {
		return nil, err
	}
	answer, err := get(u, header)
	if err != nil {
		return nil, &ClientDataError{Code: "data_portal_unavailable", Fault: "unavailable", Detail: err.Error()}
	}
	return ReadClientData(answer, claims)
}

var snakeCode = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
var bearerParam = regexp.MustCompile(`([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))`)

// ReadClientData reads the portal's answer as §11's "vendor's view" table says. With claims,
// the data must be that launch's (sub, role, plugin).
func ReadClientData(a *Answer, claims *Claims) (map[string]interface{}, error) {
	switch a.Status {
	case 200:
		if len(a.Body) > MaxBody {
			return nil, dataErr("data_answer_too_large", "")
		}
		parsed, err := strictObject(a.Body)
		if err != nil || parsed.duplicate {
			return nil, dataErr("data_answer_invalid", "not a JSON object without repeated members")
		}
		var data map[string]interface{}
		json.Unmarshal(a.Body, &data)
		if !validData(data) {
			return nil, dataErr("data_answer_invalid", "")
		}
		if claims != nil {
			for member, claim := range map[string]string{"sub": claims.Sub, "role": claims.Role, "plugin": claims.Aud} {
				if data[member] != claim {
					return nil, dataErr("data_not_for_this_launch", member)
				}
			}
		}
		return data, nil
	case 404:
		if bodyCode(a.Body) == "client_not_found" {
			return nil, &ClientDataError{Code: "data_client_not_found", Fault: "no_data", ServerCode: "client_not_found"}
		}
		return nil, dataErr("data_endpoint_not_found", "")
	case 400, 401, 403, 503:
	default:
		return nil, dataErr("data_unexpected_status", fmt.Sprint(a.Status))
	}
	code := serverCode(a.Body, a.Header.Get("WWW-Authenticate"))
	switch a.Status {
	case 401:
		fault := "token"
		if code == "missing_token" {
			fault = "protocol"
		}
		return nil, &ClientDataError{Code: "data_token_refused", Fault: fault, ServerCode: code}
	case 403:
		return nil, &ClientDataError{Code: "data_access_denied", Fault: "access", ServerCode: code}
	case 400:
		return nil, &ClientDataError{Code: "data_request_refused", Fault: "protocol", ServerCode: code}
	}
	return nil, &ClientDataError{Code: "data_portal_unavailable", Fault: "unavailable", ServerCode: code}
}

func bodyCode(body []byte) string {
	var value map[string]interface{}
	if len(body) > MaxBody || json.Unmarshal(body, &value) != nil {
		return ""
	}
	s, _ := value["error"].(string)
	return s
}

// serverCode: the body's error, else the challenge's error_description, else its error.
func serverCode(body []byte, challenge string) string {
	candidates := []string{bodyCode(body)}
	if m := regexp.MustCompile(`(?is)^\s*Bearer\s+(.*)$`).FindStringSubmatch(challenge); m != nil {
		params := map[string]string{}
		for _, i := range bearerParam.FindAllStringSubmatchIndex(m[1], -1) {
			name := strings.ToLower(m[1][i[2]:i[3]])
			if _, seen := params[name]; seen {
				continue
			}
			if i[4] >= 0 { // quoted
				params[name] = m[1][i[4]:i[5]]
			} else {
				params[name] = m[1][i[6]:i[7]]
			}
		}
		candidates = append(candidates, params["error_description"], params["error"])
	}
	for _, c := range candidates {
		if snakeCode.MatchString(c) {
			return c
		}
	}
	return ""
}

func validData(data map[string]interface{}) bool {
	if _, ok := data["sub"].(string); !ok {
		return false
	}
	if _, ok := data["plugin"].(string); !ok {
		return false
	}
	if role, _ := data["role"].(string); !contains(roles, role) {
		return false
	}
	for _, field := range []string{"name", "email", "phone"} {
		if v, present := data[field]; present {
			if _, ok := v.(string); !ok {
				return false
			}
		}
	}
	if doc, present := data["document"]; present && !validTaxDocument(doc) {
		return false
	}
	if units, present := data["units"]; present && !validUnits(units) {
		return false
	}
	return true
}

var cpfFormat = regexp.MustCompile(`^\d{11}$`)
var cnpjFormat = regexp.MustCompile(`^[0-9A-Z]{12}\d{2}$`)

func validTaxDocument(value interface{}) bool {
	doc, ok := value.(map[string]interface{})
	if !ok {
		return false
	}
	for k := range doc {
		if k != "type" && k != "number" {
			return false
		}
	}
	number, ok := doc["number"].(string)
	if !ok || strings.Count(number, number[:min(1, len(number))]) == len(number) {
		return false
	}
	v := make([]int, len(number))
	for i, c := range number {
		v[i] = int(c) - 48
	}
	switch {
	case doc["type"] == "cpf" && cpfFormat.MatchString(number):
		digit := func(n int) int {
			sum := 0
			for i := 0; i < n; i++ {
				sum += v[i] * (n + 1 - i)
			}
			return sum * 10 % 11 % 10
		}
		return digit(9) == v[9] && digit(10) == v[10]
	case doc["type"] == "cnpj" && cnpjFormat.MatchString(number):
		digit := func(n int) int {
			sum := 0
			for i := 0; i < n; i++ {
				sum += v[n-1-i] * (2 + i%8)
			}
			if r := sum % 11; r >= 2 {
				return 11 - r
			}
			return 0
		}
		return digit(12) == v[12] && digit(13) == v[13]
	}
	return false
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

func validUnits(value interface{}) bool {
	units, ok := value.([]interface{})
	if !ok {
		return false
	}
	for _, u := range units {
		unit, ok := u.(map[string]interface{})
		if !ok {
			return false
		}
		for _, required := range []string{"empreendimento", "unidade"} {
			if _, ok := unit[required].(string); !ok {
				return false
			}
		}
		for _, optional := range []string{"bloco", "contract_id"} {
			if v, present := unit[optional]; present {
				if _, ok := v.(string); !ok {
					return false
				}
			}
		}
	}
	return true
}
