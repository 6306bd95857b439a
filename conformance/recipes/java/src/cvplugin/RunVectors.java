package cvplugin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jose4j.json.JsonUtil;
import org.jose4j.lang.JoseException;

/**
 * The Java recipe (jose4j) against the conformance vectors, as conformance/ does for PyJWT and
 * jose. A test harness, not part of the recipe.
 *
 * <pre>
 * java cvplugin.RunVectors ../../vectors/launch-tokens.json
 * java cvplugin.RunVectors --client-data ../../vectors/client-data.json --portal http://127.0.0.1:PORT
 * </pre>
 */
@SuppressWarnings("unchecked")
public final class RunVectors {
    private static int passed;
    private static final List<String> failures = new ArrayList<>();

    private static void check(boolean ok, String message) {
        if (ok) {
            passed++;
        } else {
            failures.add(message);
        }
    }

    private static Map<String, Object> readJson(String file) throws IOException, JoseException {
        return JsonUtil.parseJson(Files.readString(Path.of(file)));
    }

    private static void launchTokens(String file) throws Exception {
        Map<String, Object> v = readJson(file);
        KeySet keys = KeySet.fromJwks(JsonUtil.toJson((Map<String, ?>) v.get("jwks")).getBytes());
        long now = (Long) v.get("now");
        int leeway = ((Long) v.get("leeway")).intValue();
        int max = ((Long) v.get("max_token_len")).intValue();
        String issuer = (String) v.get("issuer");
        String plugin = (String) v.get("plugin");
        List<String> both = List.of("EdDSA", "ES256");
        List<Map<String, Object>> valid = (List<Map<String, Object>>) v.get("valid");
        List<Map<String, Object>> invalid = (List<Map<String, Object>>) v.get("invalid");

        Verifier once = new Verifier(keys, issuer, plugin, both, leeway, max, () -> now, new ReplayStore.InMemory());
        for (Map<String, Object> vec : valid) {
            try {
                Map<String, Object> claims = once.verifyLaunch((String) vec.get("token"));
                check(claims.equals(vec.get("claims")), vec.get("name") + ": claims differ: " + claims);
            } catch (LaunchTokenError e) {
                check(false, vec.get("name") + ": valid vector refused: " + e.getMessage());
            }
        }
        for (Map<String, Object> vec : valid) { // §8: the second presentation
            try {
                once.verifyLaunch((String) vec.get("token"));
                check(false, vec.get("name") + ": accepted twice");
            } catch (LaunchTokenError e) {
                check(e.code.equals("replayed"), vec.get("name") + ": second use refused as " + e.code);
            }
        }
        for (Map<String, Object> vec : invalid) {
            Verifier fresh = new Verifier(keys, issuer, plugin, both, leeway, max, () -> now, new ReplayStore.InMemory());
            try {
                fresh.verifyLaunch((String) vec.get("token"));
                check(false, vec.get("name") + ": invalid vector accepted (expected " + vec.get("error") + ")");
            } catch (LaunchTokenError e) {
                check(e.code.equals(vec.get("error")), vec.get("name") + ": refused as " + e.code + ", expected " + vec.get("error"));
            }
        }
        for (String pinned : List.of("ES256", "EdDSA")) { // the plugin's pinned algorithm
            Verifier only = new Verifier(keys, issuer, plugin, List.of(pinned), leeway, max, () -> now, null);
            for (Map<String, Object> vec : valid) {
                try {
                    only.verify((String) vec.get("token"));
                    check(pinned.equals(vec.get("alg")), vec.get("name") + ": " + vec.get("alg") + " accepted when pinned to " + pinned);
                } catch (LaunchTokenError e) {
                    check(!pinned.equals(vec.get("alg")) && e.code.equals("unsupported_alg"),
                            vec.get("name") + ": pinned to " + pinned + ", refused as " + e.code);
                }
            }
        }

        // The per-plugin algorithm (PROTOCOL.md §3): this plugin's key set and plugin, pinned to
        // its algorithm as the onboarding checklist says.
        Map<String, Object> section = (Map<String, Object>) v.get("per_plugin_algorithm");
        KeySet sectionKeys = KeySet.fromJwks(JsonUtil.toJson((Map<String, ?>) section.get("jwks")).getBytes());
        String p = (String) section.get("plugin");
        List<String> pinned = List.of((String) section.get("algorithm"));
        List<Map<String, Object>> sectionValid = (List<Map<String, Object>>) section.get("valid");
        List<Map<String, Object>> sectionInvalid = (List<Map<String, Object>>) section.get("invalid");
        Verifier sectionOnce = new Verifier(sectionKeys, issuer, p, pinned, leeway, max, () -> now, new ReplayStore.InMemory());
        for (Map<String, Object> vec : sectionValid) {
            try {
                Map<String, Object> claims = sectionOnce.verifyLaunch((String) vec.get("token"));
                check(claims.equals(vec.get("claims")), p + " " + vec.get("name") + ": claims differ: " + claims);
            } catch (LaunchTokenError e) {
                check(false, p + " " + vec.get("name") + ": valid vector refused: " + e.getMessage());
            }
        }
        for (Map<String, Object> vec : sectionValid) { // §8: the second presentation
            try {
                sectionOnce.verifyLaunch((String) vec.get("token"));
                check(false, p + " " + vec.get("name") + ": accepted twice");
            } catch (LaunchTokenError e) {
                check(e.code.equals("replayed"), p + " " + vec.get("name") + ": second use refused as " + e.code);
            }
        }
        for (Map<String, Object> vec : sectionInvalid) {
            Map<String, List<String>> modes = new LinkedHashMap<>();
            modes.put("pinned", pinned);
            modes.put("both algorithms", both);
            Map<String, Object> expected = Map.of(
                    "pinned", vec.getOrDefault("error_when_alg_pinned", vec.get("error")),
                    "both algorithms", vec.get("error"));
            for (Map.Entry<String, List<String>> mode : modes.entrySet()) {
                String label = p + " " + vec.get("name") + " (" + mode.getKey() + ")";
                Verifier fresh = new Verifier(sectionKeys, issuer, p, mode.getValue(), leeway, max, () -> now, new ReplayStore.InMemory());
                try {
                    fresh.verifyLaunch((String) vec.get("token"));
                    check(false, label + ": accepted (expected " + expected.get(mode.getKey()) + ")");
                } catch (LaunchTokenError e) {
                    check(e.code.equals(expected.get(mode.getKey())), label + ": refused as " + e.code + ", expected " + expected.get(mode.getKey()));
                }
            }
        }
    }

    private static void clientData(String file, String portal) throws Exception {
        Map<String, Object> v = readJson(file);
        String issuer = (String) v.get("issuer");
        long now = (Long) v.get("now");
        int leeway = ((Long) v.get("leeway")).intValue();
        ClientData.Get transport = ClientData.httpGet();
        ClientData.Get get = (url, headers) -> { // the fixture's https://portal.test URLs, on loopback
            if (!url.startsWith(issuer + "/")) {
                throw new IOException(url + " is not under the fixture's origin");
            }
            return transport.get(portal + url.substring(issuer.length()), headers);
        };
        ClientData client = new ClientData(get);
        Map<String, Object> discovery;
        try {
            discovery = client.discovery(issuer);
        } catch (ClientData.Error | IOException e) {
            failures.add("discovery: " + e.getMessage() + " (is the portal at " + portal + " running?)");
            return;
        }
        check(discovery.equals(v.get("discovery")), "discovery differs: " + discovery);
        try {
            client.discovery(issuer + "/");
            check(false, "discovery for the issuer with a trailing slash accepted");
        } catch (ClientData.Error e) {
            check(e.code.equals("discovery_issuer_mismatch"), "trailing-slash issuer: " + e.getMessage());
        }
        ClientData.Answer jwks = get.get((String) discovery.get("jwks_uri"), Map.of("Accept", "application/json"));
        check(jwks.status() == 200 && JsonUtil.parseJson(ClientData.utf8(jwks.body())).equals(v.get("jwks")), "JWKS differs");
        KeySet keys = client.keySet(discovery);

        for (Map<String, Object> c : (List<Map<String, Object>>) v.get("cases")) {
            String name = (String) c.get("name");
            Map<String, Object> expected = (Map<String, Object>) c.get("expected");
            String authorization = (String) ((Map<String, Object>) c.get("request")).get("authorization");
            Map<String, Object> verify = (Map<String, Object>) c.get("verify");
            Map<String, Object> claims = null;
            if (verify != null) {
                Verifier verifier = new Verifier(keys, issuer, (String) verify.get("plugin"), List.of("EdDSA", "ES256"), leeway, 4096,
                        () -> now, null);
                try {
                    claims = verifier.verify((String) verify.get("token"));
                    check(claims.equals(verify.get("claims")), name + ": verified, expected " + verify.get("error"));
                } catch (LaunchTokenError e) {
                    check(e.code.equals(verify.get("error")), name + ": token refused as " + e.code + ", expected " + verify.get("error"));
                }
            }
            Map<String, String> headers = new LinkedHashMap<>(Map.of("Accept", "application/json"));
            if (claims != null && ("Bearer " + verify.get("token")).equals(authorization)) {
                Map.Entry<String, Map<String, String>> request = ClientData.request(discovery, claims, (String) verify.get("token"));
                check(request.getKey().equals(discovery.get("client_data_endpoint")), name + ": request URL " + request.getKey());
                headers = request.getValue();
            } else if (authorization != null) {
                headers.put("Authorization", authorization);
            }
            ClientData.Answer answer;
            try {
                answer = get.get((String) discovery.get("client_data_endpoint"), headers);
            } catch (IOException e) {
                check(false, name + ": no answer: " + e);
                continue;
            }
            check(answer.status() == ((Long) expected.get("status")).intValue(), name + ": status " + answer.status());
            Map<String, Object> expectedHeaders = (Map<String, Object>) expected.get("headers");
            expectedHeaders.forEach((header, value) -> {
                List<String> got = answer.headers().get(header.toLowerCase());
                check(List.of(value).equals(got), name + ": " + header + ": " + got + ", expected " + value);
            });
            for (String header : List.of("WWW-Authenticate", "Retry-After")) {
                if (!expectedHeaders.containsKey(header)) {
                    check(answer.header(header) == null, name + ": unexpected " + header);
                }
            }
            Object body;
            try {
                body = JsonUtil.parseJson(ClientData.utf8(answer.body()));
            } catch (JoseException e) {
                body = null;
            }
            if (expected.containsKey("body")) {
                check(Objects.equals(body, expected.get("body")), name + ": body " + ClientData.utf8(answer.body()));
            } else {
                Map<String, Object> error = body instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
                boolean ok = error.keySet().equals(java.util.Set.of("error", "error_description"))
                        && expected.get("error").equals(error.get("error"))
                        && error.get("error_description") instanceof String d && d.getBytes().length <= 256
                        && (verify == null || !d.contains((String) verify.get("token")));
                check(ok, name + ": error body " + ClientData.utf8(answer.body()) + ", expected error " + expected.get("error"));
            }
            Map<String, Object> vendor = (Map<String, Object>) c.get("vendor");
            try {
                Map<String, Object> data = ClientData.read(answer.status(), answer.header("www-authenticate"), answer.body(), claims);
                check("data".equals(vendor.get("outcome")) && data.equals(expected.get("body")), name + ": read data " + data);
            } catch (ClientData.Error e) {
                Map<String, Object> reading = new HashMap<>();
                reading.put("outcome", e.fault);
                reading.put("error", e.code);
                reading.put("server_code", e.serverCode);
                check(reading.equals(vendor), name + ": read as " + reading + ", expected " + vendor);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        String label;
        if (args.length == 1) {
            label = "launch tokens";
            launchTokens(args[0]);
        } else if (args.length == 4 && args[0].equals("--client-data") && args[2].equals("--portal")) {
            label = "client data";
            clientData(args[1], args[3].replaceAll("/+$", ""));
        } else {
            System.err.println("usage: RunVectors launch-tokens.json | --client-data client-data.json --portal URL");
            System.exit(2);
            return;
        }
        failures.forEach(f -> System.out.println("FAIL " + f));
        System.out.printf("%s, Java (jose4j): %d passed, %d failed%n", label, passed, failures.size());
        System.exit(failures.isEmpty() ? 0 : 1);
    }
}
