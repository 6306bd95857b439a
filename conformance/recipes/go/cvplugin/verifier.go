// Package cvplugin verifies CV plugin launch tokens (PROTOCOL.md §6) with golang-jwt/jwt v5.
//
// golang-jwt checks the signature (EdDSA with ed25519.PublicKey, ES256 with *ecdsa.PublicKey and
// the JWS r||s form natively), the algorithm list, issuer, audience and the three times with a
// leeway. This package adds what it does not do (see the README of docs/recipes, "go.md"):
// length, canonical base64url, a header of exactly {alg, typ, kid} without repeats, typ exactly,
// the key by kid from a JWKS with its RFC 7638 thumbprint, alg pinned by the key and by the
// plugin, repeated claims, integer times (golang-jwt reads "1764288240" and 1764288240.5), all
// eight claims (golang-jwt can require only exp), aud a single string, role, the formats of sub
// and jti, the one-hour lifetime, and single use.
package cvplugin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Typ is the launch token's `typ` header, compared exactly.
const Typ = "cv-plugin-launch+jwt"

const (
	maxTime     = 253402300799 // 9999-12-31T23:59:59Z
	maxLifetime = 3600
)

var (
	claimNames = []string{"iss", "aud", "sub", "role", "iat", "nbf", "exp", "jti"}
	roles      = []string{"cliente", "sindico", "gestor"}
	subFormat  = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)
	jtiFormat  = regexp.MustCompile(`^[A-Za-z0-9_-]{16,128}$`)
	plainInt   = regexp.MustCompile(`^(0|[1-9][0-9]{0,11})$`)
)

// LaunchTokenError is a refused token; Code is the PROTOCOL.md §6 code. Log it, never the token.
type LaunchTokenError struct {
	Code   string
	Detail string
}

func (e *LaunchTokenError) Error() string {
	if e.Detail == "" {
		return e.Code
	}
	return e.Code + ": " + e.Detail
}

// HTTPStatus is 503 for the verifier's own faults, 401 for the token's (§6).
func (e *LaunchTokenError) HTTPStatus() int {
	switch e.Code {
	case "keys_unavailable", "replay_store_unavailable", "replay_capacity_exceeded":
		return 503
	}
	return 401
}

func refuse(code, detail string) error { return &LaunchTokenError{Code: code, Detail: detail} }

// Claims are the eight claims of §4, read from the verified token.
type Claims struct {
	Iss, Aud, Sub, Role, Jti string
	Iat, Nbf, Exp            int64
	All                      map[string]interface{} // every claim, unknown ones included
}

// Verifier checks launch tokens of one portal for one plugin.
type Verifier struct {
	Keys   KeySet
	Issuer string
	Plugin string
	// Algorithms the portal signs this plugin's tokens with: {"EdDSA"} by default, {"ES256"} for
	// a plugin configured so. A token of another algorithm is refused (unsupported_alg) even
	// when the portal publishes a key for it.
	Algorithms []string
	Leeway     time.Duration    // 30 s by default; at most 5 minutes
	MaxLength  int              // 4096 by default
	Now        func() time.Time // time.Now by default
	Replay     ReplayStore      // required by VerifyLaunch
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) leeway() time.Duration {
	if v.Leeway == 0 {
		return 30 * time.Second
	}
	return v.Leeway
}

// VerifyLaunch is the launch: every check of §6, single use (check 21) included.
func (v *Verifier) VerifyLaunch(token string) (*Claims, error) {
	if v.Replay == nil {
		return nil, errors.New("cvplugin: VerifyLaunch needs a ReplayStore")
	}
	claims, err := v.Verify(token)
	if err != nil {
		return nil, err
	}
	// 21. Last, so that forged and expired tokens never take space.
	until := time.Unix(claims.Exp, 0).Add(v.leeway() + time.Minute)
	if err := v.Replay.Claim(claims.Iss, claims.Aud, claims.Jti, until); err != nil {
		return nil, err
	}
	return claims, nil
}

// Verify runs checks 1 to 20 (single use aside: see VerifyLaunch).
func (v *Verifier) Verify(token string) (*Claims, error) {
	algorithms := v.Algorithms
	if len(algorithms) == 0 {
		algorithms = []string{"EdDSA"}
	}
	maxLength := v.MaxLength
	if maxLength == 0 {
		maxLength = 4096
	}
	// 1-3. Length in bytes before anything else, three segments, canonical base64url.
	if len(token) > maxLength {
		return nil, refuse("token_too_large", "")
	}
	segments := strings.Split(token, ".")
	if len(segments) != 3 {
		return nil, refuse("malformed", "not three segments")
	}
	decoded := make([][]byte, 3)
	for i, s := range segments {
		b, err := decodeSegment(s)
		if err != nil {
			return nil, err
		}
		decoded[i] = b
	}

	// 4-9. The header is exactly {alg, typ, kid}; kid picks the key; the key fixes the alg.
	header, err := strictObject(decoded[0])
	if err != nil {
		return nil, refuse("malformed", "header: "+err.Error())
	}
	var alg interface{}
	json.Unmarshal(header.raw["alg"], &alg)
	if s, ok := alg.(string); ok && strings.EqualFold(s, "none") {
		return nil, refuse("alg_none", "")
	}
	if alg != "EdDSA" && alg != "ES256" {
		return nil, refuse("unsupported_alg", "")
	}
	if !contains(algorithms, alg.(string)) {
		return nil, refuse("unsupported_alg", fmt.Sprintf("%s is not this plugin's algorithm", alg))
	}
	seen := map[string]bool{}
	for _, name := range header.names { // whichever comes first in the header
		if seen[name] {
			return nil, refuse("duplicate_member", "header")
		}
		if name != "alg" && name != "typ" && name != "kid" {
			return nil, refuse("forbidden_header", name)
		}
		seen[name] = true
	}
	rawTyp, ok := header.raw["typ"]
	if !ok {
		return nil, refuse("missing_typ", "")
	}
	var typ interface{}
	if json.Unmarshal(rawTyp, &typ); typ != Typ { // exactly: case-sensitive, no application/
		return nil, refuse("wrong_typ", "")
	}
	rawKid, ok := header.raw["kid"]
	if !ok {
		return nil, refuse("missing_kid", "")
	}
	var kid interface{}
	json.Unmarshal(rawKid, &kid)
	kidString, _ := kid.(string)
	key, ok := v.Keys[kidString]
	if _, isString := kid.(string); !isString || !ok {
		return nil, refuse("unknown_kid", "")
	}
	if key.Alg != alg {
		return nil, refuse("alg_mismatch", "")
	}

	// 10. golang-jwt's signing method for the key's algorithm, over the segments as received.
	method := jwt.GetSigningMethod(key.Alg)
	if err := method.Verify(segments[0]+"."+segments[1], decoded[2], key.Public); err != nil {
		return nil, refuse("bad_signature", "")
	}

	// 11-17. Our own: what golang-jwt reads too leniently or not at all.
	claims, err := v.checkClaims(decoded[1])
	if err != nil {
		return nil, err
	}

	// 14, 15, 18-20. golang-jwt's parser, configured strictly, now that the claims are sound.
	leeway := v.leeway()
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{key.Alg}), // the key's algorithm, never the header's
		jwt.WithIssuer(v.Issuer),
		jwt.WithAudience(v.Plugin),
		jwt.WithLeeway(leeway),
		jwt.WithIssuedAt(),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(v.now),
		jwt.WithJSONNumber(),
	)
	_, err = parser.Parse(token, func(*jwt.Token) (interface{}, error) { return key.Public, nil })
	if err != nil {
		// golang-jwt reports every failed claim at once; report the first in §6 order.
		now := v.now().Unix()
		for _, m := range []struct {
			err  error
			code string
			diff int64
		}{
			{jwt.ErrTokenSignatureInvalid, "bad_signature", 0},
			{jwt.ErrTokenInvalidIssuer, "wrong_issuer", 0},
			{jwt.ErrTokenInvalidAudience, "wrong_audience", 0},
			{jwt.ErrTokenUsedBeforeIssued, "issued_in_future", claims.Iat - now},
			{jwt.ErrTokenNotValidYet, "not_yet_valid", claims.Nbf - now},
			{jwt.ErrTokenExpired, "expired", now - claims.Exp},
		} {
			if errors.Is(err, m.err) {
				return nil, refuse(m.code, fmt.Sprintf("%d s", m.diff))
			}
		}
		return nil, refuse("invalid_claim", err.Error())
	}
	return claims, nil
}

// checkClaims runs checks 11 to 17 on the signed claims segment.
func (v *Verifier) checkClaims(segment []byte) (*Claims, error) {
	parsed, err := strictObject(segment)
	if err != nil {
		return nil, refuse("malformed", "claims: "+err.Error())
	}
	if parsed.duplicate {
		return nil, refuse("duplicate_member", "claims")
	}
	for _, name := range claimNames {
		if _, ok := parsed.raw[name]; !ok {
			return nil, refuse("missing_claim", name)
		}
	}
	c := &Claims{All: map[string]interface{}{}}
	texts := map[string]*string{"iss": &c.Iss, "aud": &c.Aud, "sub": &c.Sub, "role": &c.Role, "jti": &c.Jti}
	times := map[string]*int64{"iat": &c.Iat, "nbf": &c.Nbf, "exp": &c.Exp}
	for _, name := range claimNames {
		raw := parsed.raw[name]
		if target, ok := times[name]; ok {
			// The text as written: a plain non-negative integer, never 1.0, 1e9, -0, "1", true.
			if !plainInt.Match(raw) {
				return nil, refuse("invalid_claim", name)
			}
			fmt.Sscan(string(raw), target)
			if *target > maxTime {
				return nil, refuse("invalid_claim", name)
			}
		} else if json.Unmarshal(raw, texts[name]) != nil || raw[0] != '"' { // an aud array is refused here
			return nil, refuse("invalid_claim", name)
		}
	}
	if !contains(roles, c.Role) {
		return nil, refuse("unknown_role", "")
	}
	if c.Iss != v.Issuer {
		return nil, refuse("wrong_issuer", "")
	}
	if c.Aud != v.Plugin {
		return nil, refuse("wrong_audience", "")
	}
	if !subFormat.MatchString(c.Sub) {
		return nil, refuse("invalid_claim", "sub")
	}
	if !jtiFormat.MatchString(c.Jti) {
		return nil, refuse("invalid_claim", "jti")
	}
	if c.Exp <= c.Iat {
		return nil, refuse("invalid_claim", "exp")
	}
	if c.Exp-c.Iat > maxLifetime {
		return nil, refuse("lifetime_too_long", "")
	}
	for name, raw := range parsed.raw {
		var value interface{}
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		d.Decode(&value)
		c.All[name] = value
	}
	return c, nil
}
