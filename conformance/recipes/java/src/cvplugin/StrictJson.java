package cvplugin;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jose4j.json.JsonUtil;
import org.jose4j.lang.JoseException;

/**
 * JSON as PROTOCOL.md §2 and §4 read it. jose4j's parser refuses repeated member names (good),
 * but `new String(bytes, UTF_8)` replaces invalid UTF-8 silently, and its numbers hide how they
 * were written (`-0` and `0`). This scanner decodes UTF-8 strictly, walks the text once (RFC 8259
 * grammar), and records the top-level member names in order (repeats included), each top-level
 * value as written, and whether any object repeats a name; jose4j's JsonUtil builds the values.
 */
public final class StrictJson {
    /** The parsed object: {@code value} from jose4j, {@code names} and {@code raw} from the text. */
    public record Parsed(Map<String, Object> value, List<String> names, Map<String, String> raw, boolean duplicate) {}

    /** Not a UTF-8 JSON object. */
    public static final class NotJson extends Exception {
        private static final long serialVersionUID = 1L;

        NotJson(String message) {
            super(message, null, false, false);
        }
    }

    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\\\x00-\\x1f]++|\\\\(?:[\"\\\\/bfnrt]|u[0-9a-fA-F]{4}))*+\"");
    private static final Pattern SCALAR = Pattern.compile("-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null");

    private final String text;
    private int pos;
    private boolean duplicate;
    private final List<String> names = new ArrayList<>();
    private final Map<String, String> raw = new LinkedHashMap<>();

    private StrictJson(String text) {
        this.text = text;
    }

    public static Parsed object(byte[] bytes) throws NotJson {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new NotJson("not UTF-8");
        }
        StrictJson scanner = new StrictJson(text);
        scanner.ws();
        if (scanner.pos >= text.length() || text.charAt(scanner.pos) != '{') {
            throw new NotJson("not a JSON object");
        }
        scanner.value(0, true);
        scanner.ws();
        if (scanner.pos != text.length()) {
            throw new NotJson("trailing characters");
        }
        Map<String, Object> value = new LinkedHashMap<>();
        try {
            if (!scanner.duplicate) {
                value = JsonUtil.parseJson(text);
            } else { // jose4j refuses the whole object: keep the last of each top-level member
                for (Map.Entry<String, String> member : scanner.raw.entrySet()) {
                    try {
                        value.put(member.getKey(), JsonUtil.parseJson("{\"k\":" + member.getValue() + "}").get("k"));
                    } catch (JoseException e) {
                        // a repeat inside this value: the caller refuses the object anyway
                    }
                }
            }
        } catch (JoseException | RuntimeException e) {
            throw new NotJson(e.getMessage());
        }
        return new Parsed(value, List.copyOf(scanner.names), scanner.raw, scanner.duplicate);
    }

    private void ws() {
        while (pos < text.length() && " \t\n\r".indexOf(text.charAt(pos)) >= 0) {
            pos++;
        }
    }

    private String match(Pattern pattern) throws NotJson {
        Matcher m = pattern.matcher(text).region(pos, text.length());
        if (!m.lookingAt()) {
            throw new NotJson("bad JSON at " + pos);
        }
        pos = m.end();
        return m.group();
    }

    private void expect(char c) throws NotJson {
        if (pos >= text.length() || text.charAt(pos) != c) {
            throw new NotJson("expected " + c + " at " + pos);
        }
        pos++;
    }

    private String string() throws NotJson {
        String literal = match(STRING);
        try { // resolves escapes: "s\u0075b" is the name "sub"
            return (String) JsonUtil.parseJson("{\"k\":" + literal + "}").get("k");
        } catch (JoseException | RuntimeException e) {
            throw new NotJson("bad string");
        }
    }

    private void value(int depth, boolean top) throws NotJson {
        if (depth > 64) {
            throw new NotJson("nested too deeply");
        }
        char c = pos < text.length() ? text.charAt(pos) : '\0';
        if (c == '{') {
            pos++;
            Set<String> seen = new HashSet<>();
            ws();
            if (pos < text.length() && text.charAt(pos) == '}') {
                pos++;
                return;
            }
            while (true) {
                ws();
                String name = string();
                if (!seen.add(name)) {
                    duplicate = true;
                }
                ws();
                expect(':');
                ws();
                int start = pos;
                value(depth + 1, false);
                if (top) {
                    names.add(name);
                    raw.put(name, text.substring(start, pos));
                }
                ws();
                if (pos < text.length() && text.charAt(pos) == ',') {
                    pos++;
                    continue;
                }
                expect('}');
                return;
            }
        } else if (c == '[') {
            pos++;
            ws();
            if (pos < text.length() && text.charAt(pos) == ']') {
                pos++;
                return;
            }
            while (true) {
                ws();
                value(depth + 1, false);
                ws();
                if (pos < text.length() && text.charAt(pos) == ',') {
                    pos++;
                    continue;
                }
                expect(']');
                return;
            }
        } else if (c == '"') {
            string();
        } else {
            match(SCALAR);
        }
    }
}
