package cvplugin;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jwa.AlgorithmConstraints.ConstraintType;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.NumericDate;
import org.jose4j.jwt.consumer.ErrorCodes;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.lang.JoseException;

/**
 * A launch-token verifier for one portal and one plugin: every check of PROTOCOL.md §6 in its
 * order, with jose4j 0.9 for the signature (EdDSA through the JDK's Ed25519, ES256 with the JWS
 * r||s turned into DER for the JCA by jose4j), issuer, audience and the three times, and a few
 * lines of our own for what jose4j does not do or does leniently:
 *
 * <ul>
 *   <li>length, three segments, canonical base64url (jose4j decodes leniently);
 *   <li>a signature of exactly 64 bytes: OpenJDK 17's Ed25519 accepts trailing bytes;
 *   <li>a header of exactly {alg, typ, kid}: jose4j accepts extra members and checks `typ`
 *       ignoring case and an `application/` prefix;
 *   <li>the key by `kid` from the JWKS (KeySet), its algorithm pinned by its type and by the
 *       plugin; `none` and HS256 never reach jose4j;
 *   <li>integer times (jose4j reads 1764288240.0 as a date, and `-0` as 0), `aud` a single string
 *       (jose4j accepts an array), all eight claims, role, the formats of `sub` and `jti`, the
 *       one-hour lifetime, single use.
 * </ul>
 * jose4j does refuse repeated JSON members itself (StrictJson sees them too, to report them in order).
 */
public final class Verifier {
    public static final String TYP = "cv-plugin-launch+jwt";
    private static final List<String> PROTOCOL_ALGS = List.of("EdDSA", "ES256");
    private static final List<String> CLAIMS = List.of("iss", "aud", "sub", "role", "iat", "nbf", "exp", "jti");
    private static final List<String> TIMES = List.of("iat", "nbf", "exp");
    private static final List<String> ROLES = List.of("cliente", "sindico", "gestor");
    private static final Pattern SUB = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final Pattern JTI = Pattern.compile("[A-Za-z0-9_-]{16,128}");
    private static final Pattern PLAIN_INT = Pattern.compile("0|[1-9][0-9]{0,11}");
    private static final long MAX_TIME = 253402300799L; // 9999-12-31T23:59:59Z
    private static final long MAX_LIFETIME = 3600;

    private final KeySet keys;
    private final String issuer;
    private final String plugin;
    private final List<String> algorithms;
    private final int leeway;
    private final int maxLength;
    private final LongSupplier clock;
    private final ReplayStore replay;

    /**
     * @param algorithms the algorithm the portal signs this plugin's tokens with: List.of("EdDSA")
     *     by default, List.of("ES256") for a plugin configured so. A token of another algorithm is
     *     refused (unsupported_alg) even when the portal publishes a key for it.
     * @param clock Unix seconds; () -> System.currentTimeMillis() / 1000 in production
     * @param replay the single-use store; may be null for {@link #verify} only
     */
    public Verifier(KeySet keys, String issuer, String plugin, List<String> algorithms, int leeway, int maxLength,
            LongSupplier clock, ReplayStore replay) {
        if (algorithms.isEmpty() || !PROTOCOL_ALGS.containsAll(algorithms)) {
            throw new IllegalArgumentException("algorithms: EdDSA and/or ES256 only");
        }
        if (leeway < 0 || leeway > 300) {
            throw new IllegalArgumentException("leeway: 0 to 300 seconds");
        }
        this.keys = keys;
        this.issuer = issuer;
        this.plugin = plugin;
        this.algorithms = List.copyOf(algorithms);
        this.leeway = leeway;
        this.maxLength = maxLength;
        this.clock = clock;
        this.replay = replay;
    }

    /** The launch: every check of §6, single use (21) included. Returns the claims. */
    public Map<String, Object> verifyLaunch(String token) throws LaunchTokenError {
        if (replay == null) {
            throw new IllegalStateException("verifyLaunch needs a ReplayStore");
        }
        Map<String, Object> claims = verify(token);
        // 21. Last, so that forged and expired tokens never take space in the store.
        replay.claim((String) claims.get("iss"), (String) claims.get("aud"), (String) claims.get("jti"),
                (Long) claims.get("exp") + leeway + 60, clock.getAsLong());
        return claims;
    }

    /** Checks 1 to 20 (single use aside: see verifyLaunch). */
    public Map<String, Object> verify(String token) throws LaunchTokenError {
        // 1-3. Length in bytes before anything else, three segments, canonical base64url.
        if (token.getBytes(StandardCharsets.UTF_8).length > maxLength) {
            throw new LaunchTokenError("token_too_large");
        }
        String[] segments = token.split("\\.", -1);
        if (segments.length != 3) {
            throw new LaunchTokenError("malformed", "not three segments");
        }
        byte[] headerBytes = Base64Url.decode(segments[0]);
        byte[] claimsBytes = Base64Url.decode(segments[1]);
        byte[] signature = Base64Url.decode(segments[2]);

        // 4-9. The header is exactly {alg, typ, kid}; kid picks the key; the key fixes the alg.
        StrictJson.Parsed header;
        try {
            header = StrictJson.object(headerBytes);
        } catch (StrictJson.NotJson e) {
            throw new LaunchTokenError("malformed", "header: " + e.getMessage());
        }
        Object alg = header.value().get("alg");
        if (alg instanceof String s && s.equalsIgnoreCase("none")) {
            throw new LaunchTokenError("alg_none");
        }
        if (!(alg instanceof String a && PROTOCOL_ALGS.contains(a))) {
            throw new LaunchTokenError("unsupported_alg");
        }
        if (!algorithms.contains((String) alg)) {
            throw new LaunchTokenError("unsupported_alg", alg + " is not this plugin's algorithm");
        }
        Set<String> seen = new HashSet<>();
        for (String name : header.names()) { // whichever comes first in the header
            if (!seen.add(name)) {
                throw new LaunchTokenError("duplicate_member", "header");
            }
            if (!List.of("alg", "typ", "kid").contains(name)) {
                throw new LaunchTokenError("forbidden_header", name);
            }
        }
        if (!header.value().containsKey("typ")) {
            throw new LaunchTokenError("missing_typ");
        }
        if (!TYP.equals(header.value().get("typ"))) { // exactly: case-sensitive, no application/
            throw new LaunchTokenError("wrong_typ");
        }
        if (!header.value().containsKey("kid")) {
            throw new LaunchTokenError("missing_kid");
        }
        KeySet.Key key = header.value().get("kid") instanceof String kid ? keys.get(kid) : null;
        if (key == null) {
            throw new LaunchTokenError("unknown_kid");
        }
        if (!key.alg().equals(alg)) {
            throw new LaunchTokenError("alg_mismatch");
        }

        // 10. jose4j's JWS, constrained to the key's algorithm, over the token as received. Both
        // algorithms sign with exactly 64 bytes (Ed25519; ES256's r || s). OpenJDK 17's Ed25519
        // Signature.verify accepts a valid signature followed by extra bytes, and jose4j passes
        // the bytes through: check the length first.
        if (signature.length != 64) {
            throw new LaunchTokenError("bad_signature", signature.length + "-byte signature");
        }
        AlgorithmConstraints only = new AlgorithmConstraints(ConstraintType.PERMIT, key.alg());
        try {
            JsonWebSignature jws = new JsonWebSignature();
            jws.setAlgorithmConstraints(only);
            jws.setCompactSerialization(token);
            jws.setKey(key.publicKey());
            if (!jws.verifySignature()) {
                throw new LaunchTokenError("bad_signature");
            }
        } catch (JoseException e) {
            throw new LaunchTokenError("bad_signature", e.getMessage());
        }

        // 11-17. Our own: what jose4j reads too leniently or not at all.
        Map<String, Object> claims = checkClaims(claimsBytes);

        // 14, 15, 18-20. jose4j's JwtConsumer, configured strictly, now that the claims are sound.
        JwtConsumer consumer = new JwtConsumerBuilder()
                .setVerificationKey(key.publicKey())
                .setJwsAlgorithmConstraints(only) // the key's algorithm, never the header's
                .setExpectedIssuer(issuer)
                .setExpectedAudience(plugin)
                .setRequireExpirationTime()
                .setRequireIssuedAt()
                .setRequireNotBefore()
                .setRequireSubject()
                .setRequireJwtId()
                .setIssuedAtRestrictions(0, (int) MAX_LIFETIME + leeway) // iat <= now + skew
                .setAllowedClockSkewInSeconds(leeway)
                .setEvaluationTime(NumericDate.fromSeconds(clock.getAsLong()))
                .build();
        try {
            consumer.processToClaims(token);
        } catch (InvalidJwtException e) {
            // jose4j reports every failed check; report the first in §6 order.
            long now = clock.getAsLong();
            Object[][] order = {
                {ErrorCodes.SIGNATURE_INVALID, "bad_signature", 0L},
                {ErrorCodes.ISSUER_INVALID, "wrong_issuer", 0L},
                {ErrorCodes.AUDIENCE_INVALID, "wrong_audience", 0L},
                {ErrorCodes.ISSUED_AT_INVALID_FUTURE, "issued_in_future", (Long) claims.get("iat") - now},
                {ErrorCodes.NOT_YET_VALID, "not_yet_valid", (Long) claims.get("nbf") - now},
                {ErrorCodes.EXPIRED, "expired", now - (Long) claims.get("exp")},
            };
            for (Object[] m : order) {
                if (e.hasErrorCode((Integer) m[0])) {
                    throw new LaunchTokenError((String) m[1], m[2] + " s");
                }
            }
            throw new LaunchTokenError("invalid_claim", e.getMessage());
        }
        return claims;
    }

    /** Checks 11 to 17 on the signed claims segment. Returns the claims, times as Long. */
    private Map<String, Object> checkClaims(byte[] bytes) throws LaunchTokenError {
        StrictJson.Parsed parsed;
        try {
            parsed = StrictJson.object(bytes);
        } catch (StrictJson.NotJson e) {
            throw new LaunchTokenError("malformed", "claims: " + e.getMessage());
        }
        if (parsed.duplicate()) {
            throw new LaunchTokenError("duplicate_member", "claims");
        }
        Map<String, Object> claims = new java.util.LinkedHashMap<>(parsed.value());
        for (String name : CLAIMS) {
            if (!claims.containsKey(name)) {
                throw new LaunchTokenError("missing_claim", name);
            }
        }
        for (String name : CLAIMS) {
            if (TIMES.contains(name)) {
                // The text as written: a plain non-negative integer, never 1.0, 1e9, -0, "1", true.
                String raw = parsed.raw().get(name);
                if (!PLAIN_INT.matcher(raw).matches() || Long.parseLong(raw) > MAX_TIME) {
                    throw new LaunchTokenError("invalid_claim", name);
                }
                claims.put(name, Long.parseLong(raw));
            } else if (!(claims.get(name) instanceof String)) { // an aud array is refused here
                throw new LaunchTokenError("invalid_claim", name);
            }
        }
        if (!ROLES.contains((String) claims.get("role"))) {
            throw new LaunchTokenError("unknown_role");
        }
        if (!issuer.equals(claims.get("iss"))) {
            throw new LaunchTokenError("wrong_issuer");
        }
        if (!plugin.equals(claims.get("aud"))) {
            throw new LaunchTokenError("wrong_audience");
        }
        if (!SUB.matcher((String) claims.get("sub")).matches()) {
            throw new LaunchTokenError("invalid_claim", "sub");
        }
        if (!JTI.matcher((String) claims.get("jti")).matches()) {
            throw new LaunchTokenError("invalid_claim", "jti");
        }
        long iat = (Long) claims.get("iat");
        long exp = (Long) claims.get("exp");
        if (exp <= iat) {
            throw new LaunchTokenError("invalid_claim", "exp");
        }
        if (exp - iat > MAX_LIFETIME) {
            throw new LaunchTokenError("lifetime_too_long");
        }
        return claims;
    }
}
