package cvplugin;

import java.util.Base64;
import java.util.regex.Pattern;

/**
 * Canonical unpadded base64url (PROTOCOL.md §2): decode, re-encode, compare. jose4j decodes
 * leniently (whitespace, padding, non-zero trailing bits), so the token is checked before it.
 */
public final class Base64Url {
    private static final Pattern ALPHABET = Pattern.compile("[A-Za-z0-9_-]*");

    private Base64Url() {}

    public static byte[] decode(String segment) throws LaunchTokenError {
        if (!ALPHABET.matcher(segment).matches() || segment.length() % 4 == 1) {
            throw new LaunchTokenError("non_canonical_base64");
        }
        byte[] bytes = Base64.getUrlDecoder().decode(segment);
        if (!encode(bytes).equals(segment)) {
            throw new LaunchTokenError("non_canonical_base64", "non-zero trailing bits");
        }
        return bytes;
    }

    public static String encode(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
