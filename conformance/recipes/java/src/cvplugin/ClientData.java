package cvplugin;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The vendor's side of PROTOCOL.md §10-11: discovery for the configured issuer, then one
 * redemption of a verified launch token at the portal's client-data endpoint, read as §11's
 * "vendor's view" table says.
 */
public final class ClientData {
    public static final int MAX_BODY = 64 * 1024;
    private static final List<String> ROLES = List.of("cliente", "sindico", "gestor");
    private static final Pattern LOOPBACK = Pattern.compile("localhost|127(\\.\\d{1,3}){3}|\\[::1\\]", Pattern.CASE_INSENSITIVE);
    private static final Pattern B64TOKEN = Pattern.compile("[A-Za-z0-9._~+/-]+=*");
    private static final Pattern CODE = Pattern.compile("[a-z][a-z0-9_]{0,63}");
    private static final Pattern BEARER = Pattern.compile("\\s*Bearer\\s+(.*)", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    private static final Pattern PARAM = Pattern.compile("([A-Za-z_]+)\\s*=\\s*(?:\"((?:[^\"\\\\]|\\\\.)*)\"|([^\\s,\"]+))");

    /** Why there is no data: the recipe's code, what it means, the portal's own code. */
    public static final class Error extends Exception {
        private static final long serialVersionUID = 1L;
        public final String code;
        public final String fault;
        public final String serverCode;

        public Error(String code, String fault, String serverCode, String detail) {
            super(code + " (" + fault + ", portal: " + serverCode + ")" + (detail.isEmpty() ? "" : ": " + detail), null, false, false);
            this.code = code;
            this.fault = fault;
            this.serverCode = serverCode;
        }

        static Error protocol(String code, String detail) {
            return new Error(code, "protocol", null, detail);
        }
    }

    /** Status, headers (lower-case names) and at most MAX_BODY + 1 bytes of body. */
    public record Answer(int status, Map<String, List<String>> headers, byte[] body) {
        public String header(String name) {
            List<String> values = headers.get(name.toLowerCase());
            return values == null || values.isEmpty() ? null : values.get(0);
        }
    }

    /** The transport: a GET that never follows redirects. */
    @FunctionalInterface
    public interface Get {
        Answer get(String url, Map<String, String> headers) throws IOException;
    }

    /**
     * A Get over java.net.http: redirects never followed, HTTP/1.1, a deadline, a bounded body.
     * Production code should also refuse to connect to private addresses for an https issuer (§11).
     */
    public static Get httpGet() {
        HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        return (url, headers) -> {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET();
            headers.forEach(request::header);
            try {
                HttpResponse<InputStream> response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
                byte[] body;
                try (InputStream in = response.body()) {
                    body = in.readNBytes(MAX_BODY + 1);
                }
                Map<String, List<String>> lower = new LinkedHashMap<>();
                response.headers().map().forEach((k, v) -> lower.put(k.toLowerCase(), v));
                return new Answer(response.statusCode(), lower, body);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        };
    }

    private final Get get;

    public ClientData(Get get) {
        this.get = get;
    }

    /** The discovery document of {@code issuer}, the one you were configured with (§11, in order). */
    public Map<String, Object> discovery(String issuer) throws Error, IOException {
        checkUrl(issuer, "issuer");
        if (URI.create(issuer).getRawQuery() != null) {
            throw Error.protocol("data_url_invalid", "an issuer with a query");
        }
        String url = (issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer) + "/.well-known/cv-plugin";
        Answer answer = get.get(url, Map.of("Accept", "application/json"));
        if (answer.status() != 200) {
            throw Error.protocol("discovery_http_status", String.valueOf(answer.status()));
        }
        if (answer.body().length > MAX_BODY) {
            throw Error.protocol("discovery_too_large", "");
        }
        StrictJson.Parsed parsed = jsonObject(answer.body(), "discovery_invalid");
        Map<String, Object> document = parsed.value();
        String version = parsed.raw().get("protocol_version");
        if (version == null || !version.matches("0|-?[1-9][0-9]*")) {
            throw Error.protocol("discovery_invalid", "protocol_version");
        }
        if (!version.equals("1")) {
            throw Error.protocol("discovery_unsupported_version", version);
        }
        if (!issuer.equals(document.get("issuer"))) {
            throw Error.protocol("discovery_issuer_mismatch", "");
        }
        if (!(document.get("jwks_uri") instanceof String) || !(document.get("client_data_endpoint") instanceof String)
                || !(document.get("token_signing_alg_values_supported") instanceof List<?> algs)
                || !algs.stream().allMatch(a -> a instanceof String)) {
            throw Error.protocol("discovery_invalid", "a member is missing or of the wrong type");
        }
        for (String role : List.of("jwks_uri", "client_data_endpoint")) {
            String u = (String) document.get(role);
            checkUrl(u, role);
            if (issuer.toLowerCase().startsWith("https://") && !u.toLowerCase().startsWith("https://")) {
                throw Error.protocol("data_url_not_https", role + " of an https portal");
            }
        }
        return document;
    }

    /** The portal's keys from the discovery document's jwks_uri. */
    public KeySet keySet(Map<String, Object> discovery) throws LaunchTokenError {
        try {
            Answer answer = get.get((String) discovery.get("jwks_uri"), Map.of("Accept", "application/json"));
            if (answer.status() != 200 || answer.body().length > MAX_BODY) {
                throw new LaunchTokenError("keys_unavailable", "JWKS status " + answer.status());
            }
            return KeySet.fromJwks(answer.body());
        } catch (IOException | IllegalArgumentException e) {
            throw new LaunchTokenError("keys_unavailable", e.getMessage());
        }
    }

    /** Redeems a verified token once. A 503 may be retried once after Retry-After. */
    public Map<String, Object> fetch(Map<String, Object> discovery, Map<String, Object> claims, String token) throws Error, IOException {
        Map.Entry<String, Map<String, String>> request = request(discovery, claims, token);
        Answer answer = get.get(request.getKey(), request.getValue());
        return read(answer.status(), answer.header("www-authenticate"), answer.body(), claims);
    }

    /** The request that redeems {@code token} at the portal that issued it, only there. */
    public static Map.Entry<String, Map<String, String>> request(Map<String, Object> discovery, Map<String, Object> claims, String token)
            throws Error {
        if (!discovery.get("issuer").equals(claims.get("iss"))) {
            throw Error.protocol("discovery_issuer_mismatch", "the token is another portal's");
        }
        if (token.length() > 4096 || !B64TOKEN.matcher(token).matches()) {
            throw Error.protocol("bearer_token_invalid", "");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", "Bearer " + token);
        headers.put("Accept", "application/json");
        return Map.entry((String) discovery.get("client_data_endpoint"), headers);
    }

    /** The answer as §11's "vendor's view" reads it. With claims, the data must be that launch's. */
    public static Map<String, Object> read(int status, String wwwAuthenticate, byte[] body, Map<String, Object> claims) throws Error {
        switch (status) {
            case 200 -> {
                if (body.length > MAX_BODY) {
                    throw Error.protocol("data_answer_too_large", "");
                }
                Map<String, Object> data = jsonObject(body, "data_answer_invalid").value();
                if (!validData(data)) {
                    throw Error.protocol("data_answer_invalid", "");
                }
                if (claims != null) {
                    for (String[] pair : new String[][] {{"sub", "sub"}, {"role", "role"}, {"plugin", "aud"}}) {
                        if (!data.get(pair[0]).equals(claims.get(pair[1]))) {
                            throw Error.protocol("data_not_for_this_launch", pair[0]);
                        }
                    }
                }
                return data;
            }
            case 404 -> {
                if ("client_not_found".equals(bodyCode(body))) {
                    throw new Error("data_client_not_found", "no_data", "client_not_found", "");
                }
                throw Error.protocol("data_endpoint_not_found", "");
            }
            case 400, 401, 403, 503 -> {
                String code = serverCode(body, wwwAuthenticate);
                throw switch (status) {
                    case 401 -> new Error("data_token_refused", "missing_token".equals(code) ? "protocol" : "token", code, "");
                    case 403 -> new Error("data_access_denied", "access", code, "");
                    case 400 -> new Error("data_request_refused", "protocol", code, "");
                    default -> new Error("data_portal_unavailable", "unavailable", code, "");
                };
            }
            default -> throw Error.protocol("data_unexpected_status", String.valueOf(status));
        }
    }

    private static void checkUrl(String url, String role) throws Error {
        if (url == null || url.isEmpty() || url.length() > 2048 || !url.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
            throw Error.protocol("data_url_invalid", role);
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw Error.protocol("data_url_invalid", role);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
        if (!(scheme.equals("https") || scheme.equals("http")) || uri.getHost() == null) {
            throw Error.protocol("data_url_invalid", role);
        }
        if (uri.getRawUserInfo() != null || url.contains("#")) {
            throw Error.protocol("data_url_invalid", role + ": userinfo or fragment");
        }
        if (scheme.equals("http") && !LOOPBACK.matcher(uri.getHost()).matches()) {
            throw Error.protocol("data_url_not_https", role);
        }
    }

    private static StrictJson.Parsed jsonObject(byte[] body, String code) throws Error {
        try {
            StrictJson.Parsed parsed = StrictJson.object(body);
            if (parsed.duplicate()) {
                throw Error.protocol(code, "a repeated member");
            }
            return parsed;
        } catch (StrictJson.NotJson e) {
            throw Error.protocol(code, e.getMessage());
        }
    }

    private static Object bodyCode(byte[] body) {
        if (body.length > MAX_BODY) {
            return null;
        }
        try {
            return StrictJson.object(body).value().get("error");
        } catch (StrictJson.NotJson e) {
            return null;
        }
    }

    /** The body's error, else the challenge's error_description, else its error. */
    private static String serverCode(byte[] body, String wwwAuthenticate) {
        List<Object> candidates = new ArrayList<>();
        candidates.add(bodyCode(body));
        Matcher bearer = wwwAuthenticate == null ? null : BEARER.matcher(wwwAuthenticate);
        if (bearer != null && bearer.matches()) {
            Map<String, String> params = new LinkedHashMap<>();
            Matcher p = PARAM.matcher(bearer.group(1));
            while (p.find()) {
                params.putIfAbsent(p.group(1).toLowerCase(), p.group(2) != null ? p.group(2) : p.group(3));
            }
            candidates.add(params.get("error_description"));
            candidates.add(params.get("error"));
        }
        for (Object c : candidates) {
            if (c instanceof String s && CODE.matcher(s).matches()) {
                return s;
            }
        }
        return null;
    }

    private static boolean validData(Map<String, Object> data) {
        if (!(data.get("sub") instanceof String) || !(data.get("plugin") instanceof String) || !(data.get("role") instanceof String role && ROLES.contains(role))) {
            return false;
        }
        for (String field : List.of("name", "email", "phone")) {
            if (data.containsKey(field) && !(data.get(field) instanceof String)) {
                return false;
            }
        }
        if (data.containsKey("document") && !validTaxDocument(data.get("document"))) {
            return false;
        }
        return !data.containsKey("units") || validUnits(data.get("units"));
    }

    private static boolean validTaxDocument(Object value) {
        if (!(value instanceof Map<?, ?> doc) || !List.of("type", "number").containsAll(doc.keySet())
                || !(doc.get("number") instanceof String number) || number.chars().distinct().count() < 2) {
            return false;
        }
        int[] v = number.chars().map(c -> c - 48).toArray();
        if ("cpf".equals(doc.get("type")) && number.matches("\\d{11}")) {
            return cpfDigit(v, 9) == v[9] && cpfDigit(v, 10) == v[10];
        }
        if ("cnpj".equals(doc.get("type")) && number.matches("[0-9A-Z]{12}\\d{2}")) {
            return cnpjDigit(v, 12) == v[12] && cnpjDigit(v, 13) == v[13];
        }
        return false;
    }

    private static int cpfDigit(int[] d, int n) {
        int sum = 0;
        for (int i = 0; i < n; i++) {
            sum += d[i] * (n + 1 - i);
        }
        return sum * 10 % 11 % 10;
    }

    private static int cnpjDigit(int[] v, int n) {
        int sum = 0;
        for (int i = 0; i < n; i++) {
            sum += v[n - 1 - i] * (2 + i % 8);
        }
        int r = sum % 11;
        return r < 2 ? 0 : 11 - r;
    }

    private static boolean validUnits(Object value) {
        if (!(value instanceof List<?> units)) {
            return false;
        }
        for (Object u : units) {
            if (!(u instanceof Map<?, ?> unit) || !(unit.get("empreendimento") instanceof String) || !(unit.get("unidade") instanceof String)) {
                return false;
            }
            for (String optional : List.of("bloco", "contract_id")) {
                if (unit.containsKey(optional) && !(unit.get(optional) instanceof String)) {
                    return false;
                }
            }
        }
        return true;
    }

    static String utf8(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
