package cvplugin;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.lang.JoseException;

/**
 * The portal's JWKS (PROTOCOL.md §7). jose4j reads OKP/Ed25519 and EC/P-256 JWKs into JCA keys
 * itself (Java 15+ has Ed25519); this class adds the protocol's rules on top: private keys reject
 * the set, other types and uses are skipped, coordinates are 32 bytes of canonical base64url, a
 * P-256 point is on the curve, an Ed25519 key is not a weak one, and `kid` is the RFC 7638
 * thumbprint, computed here from the exact members (jose4j's calculateBase64urlEncodedThumbprint
 * gives the same value, compared below as a cross-check).
 */
public final class KeySet {
    /** One verification key; its algorithm is pinned by its type. */
    public record Key(String alg, PublicKey publicKey) {}

    private static final List<String> PRIVATE_MEMBERS = List.of("d", "p", "q", "dp", "dq", "qi", "oth", "k");
    private static final List<String> WEAK_ED25519 = List.of(
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0100000000000000000000000000000000000000000000000000000000000000",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a");
    private static final BigInteger P256_P = new BigInteger("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff", 16);
    private static final BigInteger P256_B = new BigInteger("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b", 16);

    private final Map<String, Key> keys;

    private KeySet(Map<String, Key> keys) {
        this.keys = keys;
    }

    public Key get(String kid) {
        return keys.get(kid);
    }

    /** Reads a JWKS document; throws IllegalArgumentException for a set rejected whole. */
    @SuppressWarnings("unchecked")
    public static KeySet fromJwks(byte[] document) {
        StrictJson.Parsed parsed;
        try {
            parsed = StrictJson.object(document);
        } catch (StrictJson.NotJson e) {
            throw new IllegalArgumentException("the JWKS is not a JSON object: " + e.getMessage());
        }
        if (parsed.duplicate() || !(parsed.value().get("keys") instanceof List<?> list)) {
            throw new IllegalArgumentException("a repeated member, or no \"keys\" array");
        }
        Map<String, Key> keys = new LinkedHashMap<>();
        for (Object item : list) {
            if (!(item instanceof Map<?, ?> raw)) {
                throw new IllegalArgumentException("a key is not an object");
            }
            Map<String, Object> jwk = (Map<String, Object>) raw;
            for (String member : PRIVATE_MEMBERS) {
                if (jwk.containsKey(member)) {
                    throw new IllegalArgumentException("a private key in the JWKS");
                }
            }
            Map.Entry<String, Key> key = usableKey(jwk);
            if (key == null) {
                continue; // another type, use or algorithm: skipped, never used
            }
            if (keys.putIfAbsent(key.getKey(), key.getValue()) != null) {
                throw new IllegalArgumentException("two keys with kid " + key.getKey());
            }
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("no usable key");
        }
        return new KeySet(keys);
    }

    private static Map.Entry<String, Key> usableKey(Map<String, Object> jwk) {
        Object kty = jwk.get("kty");
        Object crv = jwk.get("crv");
        String alg;
        List<String> names;
        List<String> other;
        if ("OKP".equals(kty) && "Ed25519".equals(crv)) {
            alg = "EdDSA";
            names = List.of("EdDSA", "Ed25519");
            other = List.of("ES256", "ESP256");
        } else if ("EC".equals(kty) && "P-256".equals(crv)) {
            alg = "ES256";
            names = List.of("ES256", "ESP256");
            other = List.of("EdDSA", "Ed25519");
        } else {
            return null;
        }
        if (jwk.containsKey("use") && !"sig".equals(jwk.get("use"))) {
            return null;
        }
        if (jwk.containsKey("key_ops")) {
            if (!(jwk.get("key_ops") instanceof List<?> ops) || !ops.contains((Object) "verify")) {
                return null;
            }
            if (!ops.equals(List.of("verify"))) {
                throw new IllegalArgumentException("key_ops other than verify");
            }
        }
        if (jwk.containsKey("alg")) {
            if (jwk.get("alg") instanceof String a && other.contains(a)) {
                throw new IllegalArgumentException("a key whose alg contradicts its type");
            }
            if (!(jwk.get("alg") instanceof String a && names.contains(a))) {
                return null; // a key for something else
            }
        }
        String x = jwk.get("x") instanceof String s ? s : "";
        byte[] xb = coordinate(x);
        String canonical;
        if (alg.equals("EdDSA")) {
            byte[] cleared = xb.clone();
            cleared[31] &= 0x7f;
            boolean nonCanonicalY = (cleared[0] & 0xff) >= 0xed && cleared[31] == 0x7f
                    && Arrays.equals(Arrays.copyOfRange(cleared, 1, 31), filled(30, (byte) 0xff));
            if (WEAK_ED25519.contains(HexFormat.of().formatHex(cleared)) || nonCanonicalY) {
                throw new IllegalArgumentException("weak_public_key");
            }
            canonical = "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" + x + "\"}";
        } else {
            String y = jwk.get("y") instanceof String s ? s : "";
            BigInteger px = new BigInteger(1, xb);
            BigInteger py = new BigInteger(1, coordinate(y));
            // y^2 = x^3 - 3x + b (mod p): the JCA does not check that a public point is on the curve.
            BigInteger left = py.modPow(BigInteger.TWO, P256_P);
            BigInteger right = px.pow(3).subtract(px.multiply(BigInteger.valueOf(3))).add(P256_B).mod(P256_P);
            if (px.compareTo(P256_P) >= 0 || py.compareTo(P256_P) >= 0 || !left.equals(right)) {
                throw new IllegalArgumentException("a P-256 key that is not a point of the curve");
            }
            canonical = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + x + "\",\"y\":\"" + y + "\"}";
        }
        String thumbprint;
        PublicJsonWebKey parsed;
        try {
            // RFC 7638: required members only, lexicographic order, no whitespace.
            thumbprint = Base64Url.encode(MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.US_ASCII)));
            Map<String, Object> members = new LinkedHashMap<>(jwk);
            members.remove("key_ops"); // checked above
            parsed = PublicJsonWebKey.Factory.newPublicJwk(members);
            if (!thumbprint.equals(parsed.calculateBase64urlEncodedThumbprint("SHA-256"))) {
                throw new IllegalStateException("RFC 7638 thumbprints disagree");
            }
        } catch (JoseException | NoSuchAlgorithmException e) {
            throw new IllegalArgumentException("a broken key: " + e.getMessage());
        }
        if (jwk.containsKey("kid") && !thumbprint.equals(jwk.get("kid"))) {
            throw new IllegalArgumentException("a kid that is not the key's RFC 7638 thumbprint");
        }
        return Map.entry(thumbprint, new Key(alg, parsed.getPublicKey()));
    }

    private static byte[] coordinate(String value) {
        try {
            byte[] bytes = Base64Url.decode(value);
            if (bytes.length == 32) {
                return bytes;
            }
        } catch (LaunchTokenError e) {
            // below
        }
        throw new IllegalArgumentException("a coordinate that is not 32 bytes of canonical base64url");
    }

    private static byte[] filled(int length, byte value) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, value);
        return bytes;
    }
}
