//! Replays every fuzz target's seed corpus (`fuzz/corpus/<target>`) and past crash inputs
//! (`fuzz/regressions/<target>`) through the very property functions the fuzz targets run
//! (`fuzz/props`), so `cargo test` catches a regression without a fuzzer. Also checks that the
//! properties can actually fail, and that the structured target signs with the TEST key its flags
//! name.
//!
//! The seed corpora are written by `write_seed_corpora` (ignored; run it with `--ignored` after
//! changing a seed): `cargo test --test fuzz_corpus -- --ignored write_seed_corpora`.

#[allow(dead_code)]
#[path = "../fuzz/props/mod.rs"]
mod props;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use cv_portal_plugin::{Verifier, VerifyError};
use props::reference::Outcome;

const FUZZ_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz");

/// The files of `fuzz/<kind>/<target>`, sorted (none if the folder does not exist).
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = Path::new(FUZZ_DIR).join(kind).join(target);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

/// Runs `property` on every corpus and regression input of `target`; fails listing every input
/// whose property fails. Returns how many seed inputs there were.
fn replay(target: &str, property: fn(&[u8])) -> usize {
    let seeds = inputs("corpus", target);
    let regressions = inputs("regressions", target);
    let mut failures = Vec::new();
    for path in seeds.iter().chain(&regressions) {
        let data = std::fs::read(path).unwrap();
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| property(&data))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            failures.push(format!("{}: {message}", path.display()));
        }
    }
    assert!(failures.is_empty(), "{target}: {failures:#?}");
    seeds.len()
}

#[test]
fn verify_corpus() {
    assert!(replay("verify", props::verify::check) >= 50);
}

#[test]
fn verify_claims_corpus() {
    assert!(replay("verify_claims", props::verify_claims::check) >= 20);
}

#[test]
fn jwks_corpus() {
    assert!(replay("jwks", props::jwks::check) >= 10);
}

#[test]
fn config_corpus() {
    assert!(replay("config", props::config::check) >= 10);
}

#[test]
fn launch_url_corpus() {
    assert!(replay("launch_url", props::launch_url::check) >= 10);
}

#[test]
fn client_data_answer_corpus() {
    assert!(replay("client_data_answer", props::client_data_answer::check) >= 40);
}

#[test]
fn data_endpoint_corpus() {
    assert!(replay("data_endpoint", props::data_endpoint::check) >= 12);
}

#[test]
fn signing_key_corpus() {
    assert!(replay("signing_key", props::signing_key::check) >= 20);
}

fn vectors() -> serde_json::Value {
    props::fixture().vectors.clone()
}

#[test]
fn reference_agrees_with_every_vector() {
    // The fuzz targets judge the crate by the reference; the vectors judge the reference.
    let vectors = vectors();
    for v in vectors["valid"].as_array().unwrap() {
        match props::verify::expected(v["token"].as_str().unwrap()) {
            Outcome::Accept(claims) => {
                assert_eq!(
                    claims.jti,
                    v["claims"]["jti"].as_str().unwrap(),
                    "{}",
                    v["name"]
                )
            }
            other => panic!("{}: {other:?}", v["name"]),
        }
    }
    for v in vectors["invalid"].as_array().unwrap() {
        let name = v["name"].as_str().unwrap();
        match props::verify::expected(v["token"].as_str().unwrap()) {
            Outcome::Reject { allowed, .. } => assert!(
                allowed.iter().any(|a| a.code() == v["error"]),
                "{name}: the reference allows {allowed:?}, the vector says {}",
                v["error"]
            ),
            Outcome::Accept(_) => panic!("{name}: the reference accepts an invalid vector"),
        }
    }
}

#[test]
fn a_wrong_answer_fails_the_property() {
    // Guard against a property that cannot fail: feed it answers the crate must not give.
    let vectors = vectors();
    let valid = vectors["valid"][0]["token"].as_str().unwrap();
    let expired = vectors["invalid"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["error"] == "expired")
        .unwrap()["token"]
        .as_str()
        .unwrap();
    let wrong_answers = [
        (valid, VerifyError::BadSignature),
        (
            expired,
            VerifyError::Expired {
                seconds_ago: 1,
                leeway: 30,
            },
        ),
        (expired, VerifyError::MissingKid),
    ];
    for (token, answer) in wrong_answers {
        let expected = props::verify::expected(token);
        let caught = catch_unwind(|| {
            props::reference::assert_agrees(token, &Err(answer.clone()), &expected)
        });
        assert!(
            caught.is_err(),
            "{answer:?} for {token:.40} passed the property"
        );
    }
}

#[test]
fn verify_claims_inputs_sign_with_the_test_key_their_flags_name() {
    let fx = props::fixture();
    let (ed_kid, es_kid) = props::verify_claims::test_kids();
    let claims = r#"{"iss":"https://portal.construtora.com.br","aud":"financeiro","sub":"1","role":"gestor","iat":1764288000,"nbf":1764288000,"exp":1764288300,"jti":"fuzz-signing-test-0001"}"#;
    let verifier = || {
        Verifier::builder(fx.issuer.clone(), fx.plugin.parse().unwrap())
            .key_set(fx.real_keys.clone())
            .clock(fx.clock.clone())
            .replay_guard(std::sync::Arc::new(
                cv_portal_plugin::InMemoryReplayGuard::new(),
            ))
            .build()
            .unwrap()
    };
    let seed = |flags: u8, header: &str| {
        [&[flags][..], header.as_bytes(), &[0], claims.as_bytes()].concat()
    };
    for (alg, kid, flags) in [("EdDSA", &ed_kid, 0u8), ("ES256", &es_kid, 8)] {
        let header = format!(r#"{{"alg":"{alg}","typ":"cv-plugin-launch+jwt","kid":"{kid}"}}"#);
        let (_, token) = props::verify_claims::token_of(&seed(flags, &header));
        assert_eq!(verifier().verify(&token).map(|_| ()), Ok(()), "{alg}");
        // Bit 0 spoils the signature.
        let (_, token) = props::verify_claims::token_of(&seed(flags | 1, &header));
        assert_eq!(
            verifier().verify(&token).unwrap_err().code(),
            "bad_signature"
        );
        // The other key's signature under this kid does not verify either.
        let (_, token) = props::verify_claims::token_of(&seed(flags ^ 8, &header));
        assert_eq!(
            verifier().verify(&token).unwrap_err().code(),
            "bad_signature"
        );
    }
}

// ---- Seeds ----------------------------------------------------------------------------------

fn write(target: &str, name: &str, data: &[u8]) {
    let dir = Path::new(FUZZ_DIR).join("corpus").join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), data).unwrap();
}

fn claims_seed(changes: &str) -> String {
    let mut claims: serde_json::Value = serde_json::from_str(
        r#"{"iss":"https://portal.construtora.com.br","aud":"financeiro","sub":"48213","role":"cliente","iat":1764287940,"nbf":1764287940,"exp":1764288240,"jti":"V2hhdCBhIGxvdmVseSBkYXk"}"#,
    )
    .unwrap();
    let changes: serde_json::Value = serde_json::from_str(&format!("{{{changes}}}")).unwrap();
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            claims.as_object_mut().unwrap().remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    claims.to_string()
}

#[test]
#[ignore = "writes fuzz/corpus: run by hand after changing a seed"]
fn write_seed_corpora() {
    let vectors = vectors();
    // verify: every conformance vector.
    for list in ["valid", "invalid"] {
        for v in vectors[list].as_array().unwrap() {
            let name = format!("{list}-{}", v["name"].as_str().unwrap());
            write("verify", &name, v["token"].as_str().unwrap().as_bytes());
        }
    }
    for (name, token) in [("empty", ""), ("dots", ".."), ("one-dot", "a.b")] {
        write("verify", name, token.as_bytes());
    }

    // verify_claims: flags, header, NUL, claims.
    let (ed, es) = props::verify_claims::test_kids();
    let header = |alg: &str, kid: &str| {
        format!(r#"{{"alg":"{alg}","typ":"cv-plugin-launch+jwt","kid":"{kid}"}}"#)
    };
    let ok = claims_seed("");
    let seeds: Vec<(&str, u8, String, String)> = vec![
        ("valid-eddsa", 0, header("EdDSA", &ed), ok.clone()),
        ("valid-es256", 8, header("ES256", &es), ok.clone()),
        ("spoiled-signature", 1, header("EdDSA", &ed), ok.clone()),
        (
            "leeway-0",
            2,
            header("EdDSA", &ed),
            claims_seed(r#""iat":1764288001,"nbf":1764288001,"exp":1764288301"#),
        ),
        (
            "leeway-300",
            12,
            header("ES256", &es),
            claims_seed(r#""iat":1764288299,"nbf":1764288299,"exp":1764288599"#),
        ),
        ("alg-none", 0, header("none", &ed), ok.clone()),
        ("alg-mismatch", 0, header("ES256", &ed), ok.clone()),
        (
            "header-crit",
            0,
            format!(
                r#"{{"alg":"EdDSA","typ":"cv-plugin-launch+jwt","kid":"{ed}","crit":["exp"]}}"#
            ),
            ok.clone(),
        ),
        (
            "header-dup-kid",
            0,
            format!(r#"{{"alg":"EdDSA","typ":"cv-plugin-launch+jwt","kid":"{ed}","kid":"{ed}"}}"#),
            ok.clone(),
        ),
        (
            "typ-missing",
            0,
            format!(r#"{{"alg":"EdDSA","kid":"{ed}"}}"#),
            ok.clone(),
        ),
        (
            "exp-string",
            0,
            header("EdDSA", &ed),
            claims_seed(r#""exp":"1764288240""#),
        ),
        (
            "exp-float",
            0,
            header("EdDSA", &ed),
            ok.replace("1764288240", "1764288240.0"),
        ),
        (
            "exp-exponent",
            0,
            header("EdDSA", &ed),
            ok.replace("1764288240", "1.76428824e9"),
        ),
        (
            "nbf-null",
            0,
            header("EdDSA", &ed),
            claims_seed(r#""nbf":false"#).replace("false", "null"),
        ),
        (
            "iat-negative",
            0,
            header("EdDSA", &ed),
            claims_seed(r#""iat":-1"#),
        ),
        (
            "exp-huge",
            0,
            header("EdDSA", &ed),
            ok.replace("1764288240", "18446744073709551616"),
        ),
        (
            "sub-duplicate",
            0,
            header("EdDSA", &ed),
            ok.replace(r#""sub":"48213""#, r#""sub":"48213","sub":"1""#),
        ),
        (
            "jti-missing",
            0,
            header("EdDSA", &ed),
            claims_seed(r#""jti":null"#),
        ),
        (
            "aud-array",
            0,
            header("EdDSA", &ed),
            claims_seed(r#""aud":["financeiro"]"#),
        ),
        (
            "role-admin",
            0,
            header("EdDSA", &ed),
            claims_seed(r#""role":"admin""#),
        ),
        (
            "wrong-issuer",
            0,
            header("EdDSA", &ed),
            claims_seed(r#""iss":"https://outro.example""#),
        ),
        (
            "expired",
            0,
            header("EdDSA", &ed),
            claims_seed(r#""iat":1764287600,"nbf":1764287600,"exp":1764287970"#),
        ),
        (
            "not-yet-valid",
            0,
            header("EdDSA", &ed),
            claims_seed(r#""nbf":1764288031"#),
        ),
        (
            "lifetime-3601",
            0,
            header("EdDSA", &ed),
            claims_seed(r#""exp":1764291541"#),
        ),
        (
            "unknown-claims",
            8,
            header("ES256", &es),
            claims_seed(r#""ext":{"a":[1,2.5,null,{"b":true}]},"v":2"#),
        ),
        (
            "claims-not-object",
            0,
            header("EdDSA", &ed),
            "[1,2,3]".to_owned(),
        ),
    ];
    for (name, flags, header, claims) in seeds {
        let data = [&[flags][..], header.as_bytes(), &[0], claims.as_bytes()].concat();
        write("verify_claims", name, &data);
    }

    // jwks.
    let jwks = vectors["jwks"].to_string();
    let keys = vectors["jwks"]["keys"].as_array().unwrap();
    let one = |key: &serde_json::Value| serde_json::json!({"keys": [key]}).to_string();
    let edit = |i: usize, member: &str, value: serde_json::Value| {
        let mut key = keys[i].clone();
        if value.is_null() {
            key.as_object_mut().unwrap().remove(member);
        } else {
            key[member] = value;
        }
        one(&key)
    };
    let jwks_seeds: Vec<(&str, String)> = vec![
        ("vectors", jwks.clone()),
        ("ed25519", one(&keys[0])),
        ("p256", one(&keys[1])),
        ("no-kid", edit(0, "kid", serde_json::Value::Null)),
        ("wrong-kid", edit(0, "kid", "kPrK".into())),
        (
            "private-d",
            edit(0, "d", "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A".into()),
        ),
        ("alg-mismatch", edit(1, "alg", "EdDSA".into())),
        ("use-enc", edit(0, "use", "enc".into())),
        ("key-ops", edit(1, "key_ops", serde_json::json!(["verify"]))),
        (
            "x-short",
            edit(0, "x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR".into()),
        ),
        (
            "rsa",
            r#"{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}"#.to_owned(),
        ),
        ("empty", r#"{"keys":[]}"#.to_owned()),
        (
            "duplicate",
            serde_json::json!({"keys": [keys[0], keys[0]]}).to_string(),
        ),
        ("not-json", "{\"keys\":[".to_owned()),
        (
            "rsa-beside-ed25519",
            serde_json::json!({"keys": [{"kty":"RSA","n":"AQAB","e":"AQAB"}, keys[0]]}).to_string(),
        ),
        (
            "duplicate-member",
            one(&keys[0]).replacen("\"kty\"", "\"kty\":\"OKP\",\"kty\"", 1),
        ),
        (
            "weak-ed25519",
            edit(0, "x", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into()),
        ),
        ("alg-ecdh", edit(1, "alg", "ECDH-ES".into())),
        ("alg-fully-specified", edit(0, "alg", "Ed25519".into())),
        (
            "private-jwk-as-jwks",
            vectors["test_private_keys"][0].to_string(),
        ),
    ];
    for (name, text) in jwks_seeds {
        write("jwks", name, text.as_bytes());
    }

    // config.
    let base = serde_json::json!({
        "id": "financeiro", "name": "Financeiro – segunda via", "active": true,
        "link": "https://erp.example.com.br/portal/financeiro?empresa=42", "icon": "boleto",
        "title": "Financeiro", "show_in_client_portal": true, "show_in_manager_panel": false,
        "kind": "iframe", "iframe_size": {"width": "100%", "height": "800px"},
        "visible_to": "cliente_e_sindico", "auth": {"type": "token", "token_lifetime_seconds": 300}
    });
    let with = |member: &str, value: serde_json::Value| {
        let mut config = base.clone();
        config[member] = value;
        config.to_string()
    };
    let config_seeds: Vec<(&str, String)> = vec![
        ("documented", serde_json::to_string_pretty(&base).unwrap()),
        (
            "http-localhost",
            with("link", "http://localhost:3000/plugin".into()),
        ),
        (
            "ipv6-loopback",
            with("link", "http://[::1]:8080/p?a=1&b=%20".into()),
        ),
        (
            "token-param",
            with("link", "https://erp.example.com/p?token=x".into()),
        ),
        (
            "userinfo",
            with("link", "https://user:s3cr3t-pass@erp.example.com/".into()),
        ),
        (
            "fragment",
            with("link", "https://erp.example.com/p#top".into()),
        ),
        ("not-https", with("link", "javascript:alert(1)".into())),
        ("name-control", with("name", "a\u{202e}b\nc".into())),
        (
            "lifetime-out-of-range",
            with(
                "auth",
                serde_json::json!({"type": "token", "token_lifetime_seconds": 3601}),
            ),
        ),
        (
            "size-out-of-range",
            with(
                "iframe_size",
                serde_json::json!({"width": "0px", "height": "250%"}),
            ),
        ),
        ("delivery-form-post", with("delivery", "form_post".into())),
        ("delivery-unknown", with("delivery", "fragment".into())),
        ("unknown-icon", with("icon", "caveira".into())),
        ("null-field", with("title", serde_json::Value::Null)),
        ("unknown-field", with("extra", true.into())),
        (
            "duplicate-field",
            base.to_string().replacen("{", r#"{"id":"x","#, 1),
        ),
        ("syntax", "{\"id\": \"financeiro\",".to_owned()),
    ];
    for (name, text) in config_seeds {
        write("config", name, text.as_bytes());
    }

    // launch_url: role, flags, visible_to, lifetime (u16 LE), link NUL id NUL subject.
    let launch =
        |role: u8, flags: u8, visible: u8, lifetime: u16, link: &str, id: &str, sub: &str| {
            let mut data = vec![role, flags, visible];
            data.extend_from_slice(&lifetime.to_le_bytes());
            data.extend_from_slice(format!("{link}\0{id}\0{sub}").as_bytes());
            data
        };
    let launch_seeds: Vec<(&str, Vec<u8>)> = vec![
        (
            "cliente",
            launch(
                0,
                6,
                2,
                270,
                "https://erp.example.com/portal/financeiro?empresa=7",
                "financeiro",
                "48213",
            ),
        ),
        (
            "sindico",
            launch(
                1,
                2,
                1,
                0,
                "https://erp.example.com/p",
                "boletos",
                "cv:pessoa:9",
            ),
        ),
        (
            "gestor",
            launch(
                2,
                4,
                0,
                3570,
                "https://erp.example.com:8443/a/b/../c?x=1&y",
                "painel.v2",
                "g-1",
            ),
        ),
        (
            "inactive",
            launch(0, 7, 2, 270, "https://erp.example.com/p", "p", "1"),
        ),
        (
            "hidden",
            launch(1, 6, 0, 270, "https://erp.example.com/p", "p", "1"),
        ),
        (
            "raw-lifetime",
            launch(0, 14, 2, 29, "https://erp.example.com/p", "p", "1"),
        ),
        (
            "query-specials",
            launch(
                0,
                6,
                2,
                1,
                "https://erp.example.com/p?a=%26b&c=d+e&f='\"<>&g=%zz&=&&",
                "p",
                "1",
            ),
        ),
        (
            "empty-query",
            launch(0, 6, 2, 1, "https://erp.example.com/p?", "p", "1"),
        ),
        (
            "idn-host",
            launch(
                0,
                6,
                2,
                1,
                "https://construtora.exämple.com.br/ação?nome=joão",
                "p",
                "1",
            ),
        ),
        (
            "localhost",
            launch(
                0,
                6,
                2,
                1,
                "http://localhost:3000/plugin?token_x=1",
                "p",
                "1",
            ),
        ),
        ("ipv6", launch(2, 4, 0, 1, "http://[::1]/p?q", "p", "1")),
        (
            "bad-subject",
            launch(
                0,
                6,
                2,
                1,
                "https://erp.example.com/p",
                "p",
                "maria@example.com",
            ),
        ),
    ];
    for (name, data) in launch_seeds {
        write("launch_url", name, &data);
    }

    // data_endpoint: mode byte, then its bytes (fuzz/props/data_endpoint.rs).
    let endpoint_seeds: [(&str, Vec<u8>); 12] = [
        ("no-header", vec![0]),
        ("junk", [&[1u8][..], b"Basic dXNlcjpwYXNz"].concat()),
        ("bearer-junk", [&[1u8][..], b"Bearer a.b.c"].concat()),
        ("bearer-two-spaces", [&[1u8][..], b"Bearer  a.b.c"].concat()),
        ("bearer-padding", [&[1u8][..], b"bearer a.b.c=="].concat()),
        ("genuine-maria", vec![4, 0]),
        ("genuine-no-data", vec![4, 1]),
        ("genuine-inactive", vec![4, 2]),
        ("genuine-hidden-role", vec![4, 3]),
        ("genuine-removed", vec![4, 4]),
        (
            "spliced-claims",
            [&[2u8, 0, 1][..], b"eyJpc3MiOiJ4In0"].concat(),
        ),
        ("scheme-case", [&[3u8, 0][..], b"BEARER\0"].concat()),
    ];
    for (name, data) in endpoint_seeds {
        write("data_endpoint", name, &data);
    }
}
