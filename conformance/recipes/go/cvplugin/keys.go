package cvplugin

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
)

// Key is one verification key of the portal: its algorithm is pinned by its type (§7).
type Key struct {
	Alg    string      // "EdDSA" or "ES256"
	Public interface{} // ed25519.PublicKey or *ecdsa.PublicKey, the types golang-jwt wants
}

// KeySet holds the portal's usable keys by kid. golang-jwt has no JWK support: an Ed25519 JWK
// becomes ed25519.PublicKey(x), a P-256 JWK an *ecdsa.PublicKey{P256, x, y}.
type KeySet map[string]Key

var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// small-order Ed25519 encodings, sign bit cleared: anyone can forge signatures for them (§7).
var weakEd25519 = [][]byte{
	make([]byte, 32),
	append([]byte{1}, make([]byte, 31)...),
	hexBytes("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
	hexBytes("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
	hexBytes("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
}

func hexBytes(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// ParseJWKS reads the portal's JWKS document (§7): a set with a private key, a broken key, a
// kid that is not the key's RFC 7638 thumbprint, two keys with one kid, or no usable key is
// rejected whole; keys of other types, uses or algorithms are skipped.
func ParseJWKS(document []byte) (KeySet, error) {
	parsed, err := strictObject(document)
	if err != nil || parsed.duplicate {
		return nil, errors.New("the JWKS is not a JSON object without repeated members")
	}
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(parsed.raw["keys"], &list); err != nil || list == nil {
		return nil, errors.New(`no "keys" array of objects`)
	}
	set := KeySet{}
	for _, jwk := range list {
		for _, member := range privateMembers {
			if _, ok := jwk[member]; ok {
				return nil, errors.New("a private key in the JWKS")
			}
		}
		kid, key, err := usableKey(jwk)
		if err != nil {
			return nil, err
		}
		if key == nil {
			continue
		}
		if _, dup := set[kid]; dup {
			return nil, fmt.Errorf("two keys with kid %s", kid)
		}
		set[kid] = *key
	}
	if len(set) == 0 {
		return nil, errors.New("no usable key")
	}
	return set, nil
}

func str(jwk map[string]json.RawMessage, name string) (string, bool) {
	var s string
	raw, ok := jwk[name]
	if !ok || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

func usableKey(jwk map[string]json.RawMessage) (string, *Key, error) {
	kty, _ := str(jwk, "kty")
	crv, _ := str(jwk, "crv")
	var alg string
	var names, other []string
	switch {
	case kty == "OKP" && crv == "Ed25519":
		alg, names, other = "EdDSA", []string{"EdDSA", "Ed25519"}, []string{"ES256", "ESP256"}
	case kty == "EC" && crv == "P-256":
		alg, names, other = "ES256", []string{"ES256", "ESP256"}, []string{"EdDSA", "Ed25519"}
	default:
		return "", nil, nil // another key type: skipped
	}
	if _, present := jwk["use"]; present {
		if use, _ := str(jwk, "use"); use != "sig" {
			return "", nil, nil
		}
	}
	if raw, present := jwk["key_ops"]; present {
		var ops []string
		if json.Unmarshal(raw, &ops) != nil || !contains(ops, "verify") {
			return "", nil, nil
		}
		if len(ops) != 1 {
			return "", nil, errors.New("key_ops other than verify")
		}
	}
	if _, present := jwk["alg"]; present {
		a, _ := str(jwk, "alg")
		if contains(other, a) {
			return "", nil, errors.New("a key whose alg contradicts its type")
		}
		if !contains(names, a) {
			return "", nil, nil // a key for something else
		}
	}
	xs, _ := str(jwk, "x")
	x, err := coordinate(xs)
	if err != nil {
		return "", nil, err
	}
	var key Key
	var canonical string
	if alg == "EdDSA" {
		cleared := append([]byte{}, x...)
		cleared[31] &= 0x7f
		for _, weak := range weakEd25519 {
			if bytes.Equal(cleared, weak) {
				return "", nil, errors.New("weak_public_key")
			}
		}
		if cleared[31] == 0x7f && cleared[0] >= 0xed && bytes.Equal(cleared[1:31], bytes.Repeat([]byte{0xff}, 30)) {
			return "", nil, errors.New("weak_public_key: y >= p")
		}
		key = Key{Alg: "EdDSA", Public: ed25519.PublicKey(x)}
		canonical = `{"crv":"Ed25519","kty":"OKP","x":"` + xs + `"}`
	} else {
		ys, _ := str(jwk, "y")
		y, err := coordinate(ys)
		if err != nil {
			return "", nil, err
		}
		pub := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}
		if !pub.Curve.IsOnCurve(pub.X, pub.Y) {
			return "", nil, errors.New("a P-256 key that is not a point of the curve")
		}
		key = Key{Alg: "ES256", Public: pub}
		canonical = `{"crv":"P-256","kty":"EC","x":"` + xs + `","y":"` + ys + `"}`
	}
	// RFC 7638: required members only, lexicographic order, no whitespace; the coordinates are
	// canonical base64url (checked), so nothing needs JSON escaping.
	digest := sha256.Sum256([]byte(canonical))
	thumbprint := encodeSegment(digest[:])
	if _, present := jwk["kid"]; present {
		if kid, _ := str(jwk, "kid"); kid != thumbprint {
			return "", nil, errors.New("a kid that is not the key's RFC 7638 thumbprint")
		}
	}
	return thumbprint, &key, nil
}

func coordinate(s string) ([]byte, error) {
	b, err := decodeSegment(s)
	if err != nil || len(b) != 32 {
		return nil, errors.New("a coordinate that is not 32 bytes of canonical base64url")
	}
	return b, nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
