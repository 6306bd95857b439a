//! The launch-token flow through the public API: mint, deliver, verify, and every rejection of
//! issue #3 with its own code.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use cv_portal_plugin::{
    Algorithm, InMemoryReplayGuard, IssueError, Issuer, KeyCache, KeySet, ReplayGuard, Role,
    SigningKey, Verifier, VerifyError,
};

fn setup(alg: Algorithm) -> (Issuer, KeySet, Arc<cv_portal_plugin::FixedClock>) {
    let clock = clock();
    let issuer = Issuer::builder(issuer_id(), SigningKey::generate(alg).unwrap())
        .clock(clock.clone())
        .build()
        .unwrap();
    let keys = issuer.jwks().clone();
    (issuer, keys, clock)
}

/// The usual launch: a cliente opens the Financeiro plugin, configured with the algorithm of the
/// issuer's first key.
fn cliente_opens(issuer: &Issuer) -> cv_portal_plugin::LaunchToken {
    let alg = issuer.algorithms().next().unwrap();
    issuer
        .mint(&plugin_signed_with(PLUGIN, alg), &viewer(Role::Cliente))
        .unwrap()
}

fn code(result: Result<impl std::fmt::Debug, VerifyError>) -> &'static str {
    result.expect_err("token must be rejected").code()
}

#[test]
fn mint_then_verify_both_algorithms() {
    for alg in [Algorithm::EdDSA, Algorithm::ES256] {
        let (issuer, keys, clock) = setup(alg);
        let launch = cliente_opens(&issuer);
        let claims = verifier(&keys, clock).verify(launch.token()).unwrap();
        assert_eq!(claims.issuer().as_str(), ISSUER);
        assert_eq!(claims.plugin().as_str(), PLUGIN);
        assert_eq!(claims.subject().as_str(), "48213");
        assert_eq!(claims.role(), Role::Cliente);
        assert_eq!(claims.issued_at(), NOW);
        assert_eq!(claims.not_before(), NOW);
        assert_eq!(claims.expires_at(), NOW + 300);
        assert_eq!(claims.token_id().as_str().len(), 22);
        assert_eq!(&claims, launch.claims());
    }
}

#[test]
fn header_is_exactly_alg_typ_kid() {
    let (issuer, _, _) = setup(Algorithm::EdDSA);
    let launch = issuer
        .mint(&plugin(PLUGIN), &viewer(Role::Sindico))
        .unwrap();
    let header_b64 = launch.token().split('.').next().unwrap();
    let header: serde_json::Value = serde_json::from_slice(&base64_decode(header_b64)).unwrap();
    assert_eq!(
        header,
        serde_json::json!({"alg": "EdDSA", "typ": "cv-plugin-launch+jwt", "kid": issuer.kid()})
    );
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}

#[test]
fn jti_is_unique_per_mint() {
    let (issuer, _, _) = setup(Algorithm::EdDSA);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..200 {
        let launch = cliente_opens(&issuer);
        assert!(seen.insert(launch.claims().token_id().clone()));
    }
}

#[test]
fn lifetime_comes_from_the_plugin() {
    let (issuer, _, _) = setup(Algorithm::EdDSA);
    let config = plugin(PLUGIN)
        .to_builder()
        .token_lifetime(Duration::from_secs(45))
        .build()
        .unwrap();
    let launch = issuer.mint(&config, &viewer(Role::Cliente)).unwrap();
    assert_eq!(
        launch.claims().expires_at() - launch.claims().issued_at(),
        45
    );
}

#[test]
fn launch_url_keeps_path_and_query() {
    let (issuer, _, _) = setup(Algorithm::EdDSA);
    let launch = cliente_opens(&issuer);
    let url = launch.launch_url();
    assert_eq!(url.scheme(), "https");
    assert_eq!(url.host_str(), Some("erp.example.com"));
    assert_eq!(url.path(), "/portal/financeiro");
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert_eq!(
        pairs,
        vec![
            ("empresa".to_owned(), "7".to_owned()),
            ("token".to_owned(), launch.token().to_owned())
        ]
    );
}

#[test]
fn form_post_html_posts_the_token_escaped() {
    let (issuer, _, _) = setup(Algorithm::EdDSA);
    let config = plugin(PLUGIN)
        .to_builder()
        .link("https://erp.example.com/a?x=%22%3E%3Cscript%3E&y='")
        .build()
        .unwrap();
    let launch = issuer.mint(&config, &viewer(Role::Cliente)).unwrap();
    let html = launch.form_post_html();
    assert!(html.contains(r#"<form method="post" action="https://erp.example.com/a?x=%22%3E%3Cscript%3E&amp;y=%27""#), "{html}");
    assert!(html.contains(&format!(
        r#"<input type="hidden" name="token" value="{}">"#,
        launch.token()
    )));
    assert!(html.contains(r#"<meta name="referrer" content="no-referrer">"#));
    assert!(!html.contains("<script>\"") && html.matches("<script>").count() == 1);
}

#[test]
fn issuer_refuses_inactive_and_invisible_plugins() {
    let (issuer, _, _) = setup(Algorithm::EdDSA);
    let inactive = plugin(PLUGIN).to_builder().active(false).build().unwrap();
    assert_eq!(
        issuer.mint(&inactive, &viewer(Role::Cliente)).unwrap_err(),
        IssueError::PluginInactive
    );
    let only_cliente = plugin(PLUGIN)
        .to_builder()
        .visible_to(cv_portal_plugin::config::VisibleTo::Cliente)
        .show_in_manager_panel(false)
        .build()
        .unwrap();
    assert!(issuer.mint(&only_cliente, &viewer(Role::Cliente)).is_ok());
    for role in [Role::Sindico, Role::Gestor] {
        let err = issuer.mint(&only_cliente, &viewer(role)).unwrap_err();
        assert_eq!(err, IssueError::NotVisibleToViewer { role });
        assert_eq!(err.code(), "not_visible_to_viewer");
    }
}

#[test]
fn debug_of_a_launch_token_hides_the_token() {
    let (issuer, _, _) = setup(Algorithm::EdDSA);
    let launch = cliente_opens(&issuer);
    let debug = format!("{launch:?}");
    assert!(!debug.contains(launch.token()));
    let signature = launch.token().rsplit('.').next().unwrap();
    assert!(!debug.contains(signature));
}

#[test]
fn replay_is_rejected() {
    let (issuer, keys, clock) = setup(Algorithm::EdDSA);
    let verifier = verifier(&keys, clock);
    let token = cliente_opens(&issuer);
    assert!(verifier.verify(token.token()).is_ok());
    assert_eq!(code(verifier.verify(token.token())), "replayed");
}

#[test]
fn many_threads_one_token_exactly_one_wins() {
    let (issuer, keys, clock) = setup(Algorithm::EdDSA);
    let verifier = Arc::new(verifier(&keys, clock));
    let token = cliente_opens(&issuer).into_token();
    let barrier = Arc::new(std::sync::Barrier::new(16));
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let (verifier, token, barrier) = (verifier.clone(), token.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                verifier.verify(&token).map_err(|e| e.code())
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(
        results
            .iter()
            .filter(|r| r.is_err())
            .all(|r| *r == Err("replayed"))
    );
}

#[test]
fn disabled_replay_guard_accepts_repeats() {
    let (issuer, keys, clock) = setup(Algorithm::EdDSA);
    let verifier = Verifier::builder(issuer_id(), PLUGIN.parse().unwrap())
        .key_set(keys)
        .clock(clock)
        .dangerous_disable_replay_guard()
        .build()
        .unwrap();
    let token = cliente_opens(&issuer);
    assert!(verifier.verify(token.token()).is_ok());
    assert!(verifier.verify(token.token()).is_ok());
}

#[test]
fn shared_replay_guard_spans_verifiers() {
    let (issuer, keys, clock) = setup(Algorithm::EdDSA);
    let guard: Arc<dyn ReplayGuard> = Arc::new(InMemoryReplayGuard::new());
    let make = || {
        Verifier::builder(issuer_id(), PLUGIN.parse().unwrap())
            .key_set(keys.clone())
            .clock(clock.clone())
            .replay_guard(guard.clone())
            .build()
            .unwrap()
    };
    let (a, b) = (make(), make());
    let token = cliente_opens(&issuer);
    assert!(a.verify(token.token()).is_ok());
    assert_eq!(code(b.verify(token.token())), "replayed");
}

#[test]
fn token_for_another_plugin_is_wrong_audience() {
    let (issuer, keys, clock) = setup(Algorithm::EdDSA);
    let other = issuer
        .mint(&plugin("boletos"), &viewer(Role::Cliente))
        .unwrap();
    assert_eq!(
        code(verifier(&keys, clock).verify(other.token())),
        "wrong_audience"
    );
}

#[test]
fn token_of_another_issuer_is_wrong_issuer() {
    let clock = clock();
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let other = Issuer::builder(
        cv_portal_plugin::IssuerId::new("https://outro-portal.example").unwrap(),
        key,
    )
    .clock(clock.clone())
    .build()
    .unwrap();
    let token = other.mint(&plugin(PLUGIN), &viewer(Role::Cliente)).unwrap();
    assert_eq!(
        code(verifier(other.jwks(), clock).verify(token.token())),
        "wrong_issuer"
    );
}

#[test]
fn expiry_respects_leeway_and_reports_skew() {
    let (issuer, keys, clock) = setup(Algorithm::EdDSA);
    let verifier = verifier(&keys, clock.clone());
    let a = cliente_opens(&issuer);
    let b = cliente_opens(&issuer);
    // exp = NOW + 300, leeway 30: accepted up to NOW + 329, rejected from NOW + 330.
    clock.set(NOW + 329);
    assert!(verifier.verify(a.token()).is_ok());
    clock.set(NOW + 330);
    assert_eq!(
        verifier.verify(b.token()).unwrap_err(),
        VerifyError::Expired {
            seconds_ago: 30,
            leeway: 30
        }
    );
}

#[test]
fn not_yet_valid_and_issued_in_future() {
    let (_, _, clock) = setup(Algorithm::EdDSA);
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let keys2 = KeySet::new([key.public_key()]).unwrap();
    let verifier = verifier(&keys2, clock);
    let nbf = forge(&key, &header(&key), &claims_with(r#""nbf":1764288031"#));
    assert_eq!(
        verifier.verify(&nbf).unwrap_err(),
        VerifyError::NotYetValid {
            seconds_ahead: 31,
            leeway: 30
        }
    );
    let iat = forge(
        &key,
        &header(&key),
        &claims_with(r#""iat":1764288100,"nbf":1764288000,"exp":1764288300"#),
    );
    assert_eq!(
        verifier.verify(&iat).unwrap_err(),
        VerifyError::IssuedInFuture {
            seconds_ahead: 100,
            leeway: 30
        }
    );
    // Within the leeway both are fine.
    let ok = forge(
        &key,
        &header(&key),
        &claims_with(r#""nbf":1764288030,"jti":"BBBBBBBBBBBBBBBBBBBBBB""#),
    );
    assert!(verifier.verify(&ok).is_ok());
}

#[test]
fn every_rejection_has_its_own_code() {
    let clock = clock();
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let es = SigningKey::generate(Algorithm::ES256).unwrap();
    let keys = KeySet::new([key.public_key(), es.public_key()]).unwrap();
    let verifier = Verifier::builder(issuer_id(), PLUGIN.parse().unwrap())
        .key_set(keys)
        .clock(clock)
        .dangerous_disable_replay_guard()
        .build()
        .unwrap();
    let h = header(&key);
    let valid = forge(&key, &h, &claims(0));
    assert!(verifier.verify(&valid).is_ok(), "the baseline must verify");
    let (vh, vp, vs) = {
        let mut it = valid.split('.');
        (
            it.next().unwrap().to_owned(),
            it.next().unwrap().to_owned(),
            it.next().unwrap().to_owned(),
        )
    };
    let kid = key.kid();
    let cases: Vec<(&str, String)> = vec![
        ("token_too_large", "a".repeat(4097)),
        ("malformed", format!("{vh}.{vp}")),
        ("malformed", format!("{vh}.{vp}.{vs}.{vs}")),
        ("malformed", "".to_owned()),
        ("non_canonical_base64", format!("{vh}=.{vp}.{vs}")),
        (
            "non_canonical_base64",
            format!("{vh}.{vp}.{}", vs.replace('-', "+").replace('_', "/") + "+"),
        ),
        ("non_canonical_base64", format!("{vh}.{vp} .{vs}")),
        ("malformed", forge(&key, "[]", &claims(0))),
        ("malformed", forge(&key, "not json", &claims(0))),
        (
            "alg_none",
            forge(
                &key,
                &format!(r#"{{"alg":"none","typ":"cv-plugin-launch+jwt","kid":"{kid}"}}"#),
                &claims(0),
            ),
        ),
        (
            "alg_none",
            forge(
                &key,
                &format!(r#"{{"alg":"nOnE","typ":"cv-plugin-launch+jwt","kid":"{kid}"}}"#),
                &claims(0),
            ),
        ),
        (
            "unsupported_alg",
            forge(
                &key,
                &format!(r#"{{"alg":"HS256","typ":"cv-plugin-launch+jwt","kid":"{kid}"}}"#),
                &claims(0),
            ),
        ),
        (
            "unsupported_alg",
            forge(
                &key,
                &format!(r#"{{"typ":"cv-plugin-launch+jwt","kid":"{kid}"}}"#),
                &claims(0),
            ),
        ),
        (
            "alg_mismatch",
            forge(
                &key,
                &format!(r#"{{"alg":"ES256","typ":"cv-plugin-launch+jwt","kid":"{kid}"}}"#),
                &claims(0),
            ),
        ),
        (
            "alg_mismatch",
            forge(
                &es,
                &format!(
                    r#"{{"alg":"EdDSA","typ":"cv-plugin-launch+jwt","kid":"{}"}}"#,
                    es.kid()
                ),
                &claims(0),
            ),
        ),
        (
            "missing_kid",
            forge(
                &key,
                r#"{"alg":"EdDSA","typ":"cv-plugin-launch+jwt"}"#,
                &claims(0),
            ),
        ),
        (
            "unknown_kid",
            forge(
                &key,
                r#"{"alg":"EdDSA","typ":"cv-plugin-launch+jwt","kid":"nope"}"#,
                &claims(0),
            ),
        ),
        (
            "missing_typ",
            forge(
                &key,
                &format!(r#"{{"alg":"EdDSA","kid":"{kid}"}}"#),
                &claims(0),
            ),
        ),
        (
            "wrong_typ",
            forge(
                &key,
                &format!(r#"{{"alg":"EdDSA","typ":"JWT","kid":"{kid}"}}"#),
                &claims(0),
            ),
        ),
        (
            "duplicate_member",
            forge(
                &key,
                &format!(
                    r#"{{"alg":"EdDSA","alg":"EdDSA","typ":"cv-plugin-launch+jwt","kid":"{kid}"}}"#
                ),
                &claims(0),
            ),
        ),
        (
            "bad_signature",
            format!(
                "{vh}.{}.{vs}",
                common::b64(claims_with(r#""sub":"1""#).as_bytes())
            ),
        ),
        ("bad_signature", format!("{vh}.{vp}.")),
        (
            "bad_signature",
            format!("{vh}.{vp}.{}", common::b64(&[0u8; 64])),
        ),
        (
            "wrong_issuer",
            forge(&key, &h, &claims_with(r#""iss":"https://evil.example""#)),
        ),
        (
            "wrong_audience",
            forge(&key, &h, &claims_with(r#""aud":"boletos""#)),
        ),
        (
            "lifetime_too_long",
            forge(&key, &h, &claims_with(r#""exp":1764291601"#)),
        ),
        (
            "invalid_claim",
            forge(&key, &h, &claims_with(r#""exp":"1764288300""#)),
        ),
        (
            "invalid_claim",
            forge(&key, &h, &claims_with(r#""exp":1764288300.0"#)),
        ),
        (
            "invalid_claim",
            forge(&key, &h, &claims_with(r#""iat":null"#)),
        ),
        (
            "invalid_claim",
            forge(&key, &h, &claims_with(r#""nbf":-1"#)),
        ),
        (
            "invalid_claim",
            forge(&key, &h, &claims_with(r#""aud":["financeiro"]"#)),
        ),
        (
            "invalid_claim",
            forge(&key, &h, &claims_with(r#""jti":"short""#)),
        ),
        (
            "invalid_claim",
            forge(&key, &h, &claims_with(r#""sub":"maria@example.com""#)),
        ),
        (
            "invalid_claim",
            forge(&key, &h, &claims_with(r#""exp":1764288000"#)),
        ),
        ("missing_claim", forge(&key, &h, &claims_without("jti"))),
        ("missing_claim", forge(&key, &h, &claims_without("exp"))),
        (
            "unknown_role",
            forge(&key, &h, &claims_with(r#""role":"admin""#)),
        ),
        ("malformed", forge(&key, &h, "[1,2]")),
    ];
    for header_param in ["crit", "jku", "jwk", "x5u", "x5c", "cty"] {
        let forged = forge(
            &key,
            &format!(
                r#"{{"alg":"EdDSA","typ":"cv-plugin-launch+jwt","kid":"{kid}","{header_param}":"x"}}"#
            ),
            &claims(0),
        );
        let err = verifier.verify(&forged).unwrap_err();
        assert_eq!(err.code(), "forbidden_header", "{header_param}");
        assert!(err.to_string().contains(header_param));
    }
    for (expected, token) in cases {
        let got = verifier.verify(&token);
        assert_eq!(
            got.as_ref().map_err(|e| e.code()).err(),
            Some(expected),
            "token {token:.80}… gave {got:?}"
        );
    }
}

#[test]
fn errors_never_echo_the_token() {
    // An attacker puts a real token's signature (a bearer secret until it expires) in every
    // header field the errors quote: alg, typ, kid and a forbidden member's name.
    let (issuer, keys, clock) = setup(Algorithm::EdDSA);
    let verifier = verifier(&keys, clock.clone());
    let token = cliente_opens(&issuer);
    let secret = token.token().rsplit('.').next().unwrap();
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let kid = issuer.kid();
    let headers = [
        format!(r#"{{"alg":"{secret}","typ":"cv-plugin-launch+jwt","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"EdDSA","typ":"{secret}","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"EdDSA","typ":"cv-plugin-launch+jwt","kid":"{secret}"}}"#),
        format!(r#"{{"alg":"EdDSA","typ":"cv-plugin-launch+jwt","kid":"{kid}","{secret}":1}}"#),
    ];
    let mut codes = Vec::new();
    for header in headers {
        let err = verifier
            .verify(&forge(&key, &header, &claims(0)))
            .unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains(secret), "{text}");
        // Each message quotes a short excerpt only.
        assert!(text.contains(&secret[..20]), "{text}");
        codes.push(err.code());
    }
    assert_eq!(
        codes,
        [
            "unsupported_alg",
            "wrong_typ",
            "unknown_kid",
            "forbidden_header"
        ]
    );
    clock.advance(10_000);
    let err = verifier.verify(token.token()).unwrap_err();
    assert!(!format!("{err} {err:?}").contains(secret));
}

#[test]
fn verifier_configuration_is_validated() {
    let (_, keys, _) = setup(Algorithm::EdDSA);
    let bare = || Verifier::builder(issuer_id(), PLUGIN.parse().unwrap());
    let builder = || bare().replay_guard(Arc::new(InMemoryReplayGuard::new()));
    assert_eq!(builder().build().unwrap_err().code(), "no_keys");
    // Single use is a decision: no default guard, and the error says what to write.
    let undecided = bare().key_set(keys.clone()).build().unwrap_err();
    assert_eq!(undecided.code(), "no_replay_guard");
    for words in [
        ".replay_guard(",
        "InMemoryReplayGuard",
        "RedisReplayGuard",
        ".dangerous_disable_replay_guard()",
    ] {
        assert!(undecided.to_string().contains(words), "{undecided}");
    }
    assert!(
        bare()
            .key_set(keys.clone())
            .dangerous_disable_replay_guard()
            .build()
            .is_ok()
    );
    assert!(
        bare()
            .key_set(keys.clone())
            .replay_guard_async(Arc::new(
                cv_portal_plugin::replay::NonBlockingReplayGuard::new(Arc::new(
                    InMemoryReplayGuard::new()
                ))
            ))
            .build()
            .is_ok()
    );
    assert_eq!(
        builder()
            .key_set(keys.clone())
            .leeway(Duration::from_secs(31))
            .build()
            .unwrap_err()
            .code(),
        "leeway_too_large"
    );
    assert!(
        builder()
            .key_set(keys.clone())
            .dangerous_extended_leeway(Duration::from_secs(300))
            .build()
            .is_ok()
    );
    assert!(
        builder()
            .key_set(keys.clone())
            .dangerous_extended_leeway(Duration::from_secs(301))
            .build()
            .is_err()
    );
    assert!(
        builder()
            .key_set(keys.clone())
            .max_token_len(100)
            .build()
            .is_err()
    );
    assert!(
        builder()
            .key_set(keys.clone())
            .max_token_len(4096)
            .build()
            .is_ok()
    );
    // Above PROTOCOL.md's 4096 bytes only through the dangerous door, and at most 64 KiB.
    assert_eq!(
        builder()
            .key_set(keys.clone())
            .max_token_len(8192)
            .build()
            .unwrap_err()
            .code(),
        "max_token_length_out_of_range"
    );
    assert!(
        builder()
            .key_set(keys.clone())
            .dangerous_max_token_len(8192)
            .build()
            .is_ok()
    );
    assert!(
        builder()
            .key_set(keys)
            .dangerous_max_token_len(65_537)
            .build()
            .is_err()
    );
}

#[test]
fn rotation_two_keys_then_retire_one() {
    let clock = clock();
    let old = Arc::new(SigningKey::generate(Algorithm::EdDSA).unwrap());
    let new = Arc::new(SigningKey::generate(Algorithm::EdDSA).unwrap());
    // Step 1: sign with old, publish both.
    let before = Issuer::builder(issuer_id(), old.clone())
        .also_publish(new.public_key())
        .clock(clock.clone())
        .build()
        .unwrap();
    // Step 3: sign with new, keep old published.
    let after = Issuer::builder(issuer_id(), new.clone())
        .also_publish(old.public_key())
        .clock(clock.clone())
        .build()
        .unwrap();
    assert_eq!(before.jwks().len(), 2);
    let old_token = before
        .mint(&plugin(PLUGIN), &viewer(Role::Cliente))
        .unwrap();
    let new_token = after.mint(&plugin(PLUGIN), &viewer(Role::Cliente)).unwrap();
    let both = verifier(before.jwks(), clock.clone());
    assert!(both.verify(old_token.token()).is_ok());
    assert!(both.verify(new_token.token()).is_ok());
    // Step 4: the old key is retired; its tokens now fail with unknown_kid.
    let retired = Issuer::builder(issuer_id(), new)
        .clock(clock.clone())
        .build()
        .unwrap();
    let only_new = verifier(retired.jwks(), clock);
    let old_again = before
        .mint(&plugin(PLUGIN), &viewer(Role::Cliente))
        .unwrap();
    assert_eq!(code(only_new.verify(old_again.token())), "unknown_kid");
    let new_again = retired
        .mint(&plugin(PLUGIN), &viewer(Role::Gestor))
        .unwrap();
    assert_eq!(
        only_new.verify(new_again.token()).unwrap().role(),
        Role::Gestor
    );
}

#[test]
fn key_cache_refetches_on_unknown_kid_rate_limited_and_keeps_last_good() {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let clock = clock();
    let first = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let second = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let served = Arc::new(Mutex::new(Ok(KeySet::new([first.public_key()])
        .unwrap()
        .to_jwks_json())));
    let fetches = Arc::new(AtomicUsize::new(0));
    let cache = {
        let (served, fetches) = (served.clone(), fetches.clone());
        Arc::new(
            KeyCache::builder(move || {
                fetches.fetch_add(1, Ordering::SeqCst);
                served.lock().unwrap().clone()
            })
            .clock(clock.clone())
            .min_refetch_interval(Duration::from_secs(30))
            .max_age(Duration::from_secs(3600))
            .build(),
        )
    };
    let verifier = Verifier::builder(issuer_id(), PLUGIN.parse().unwrap())
        .key_cache(cache.clone())
        .clock(clock.clone())
        .replay_guard(Arc::new(InMemoryReplayGuard::new()))
        .build()
        .unwrap();
    let t1 = forge(&first, &header(&first), &claims(1));
    assert!(verifier.verify(&t1).is_ok());
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    // The portal rotates: a token with the new kid makes the cache refetch once.
    *served.lock().unwrap() = Ok(KeySet::new([first.public_key(), second.public_key()])
        .unwrap()
        .to_jwks_json());
    // Within the rate limit the unknown kid is not refetched.
    let t2 = forge(&second, &header(&second), &claims(2));
    assert_eq!(code(verifier.verify(&t2)), "unknown_kid");
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    clock.advance(30);
    let t3 = forge(&second, &header(&second), &claims(3));
    assert!(verifier.verify(&t3).is_ok());
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    // A flood of made-up kids costs at most one fetch per interval.
    for i in 0..50 {
        let bogus = forge(
            &first,
            r#"{"alg":"EdDSA","typ":"cv-plugin-launch+jwt","kid":"made-up"}"#,
            &claims(100 + i),
        );
        assert_eq!(code(verifier.verify(&bogus)), "unknown_kid");
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    // The portal is down: after max age the cache tries, fails, and keeps the last good set.
    *served.lock().unwrap() = Err(cv_portal_plugin::FetchError::ConnectionRefused);
    clock.advance(3600);
    let t4 = forge(
        &second,
        &header(&second),
        &claims_with(&format!(
            r#""iat":{0},"nbf":{0},"exp":{1},"jti":"CCCCCCCCCCCCCCCCCCCCCC""#,
            NOW + 3630,
            NOW + 3900
        )),
    );
    assert!(verifier.verify(&t4).is_ok());
    assert_eq!(fetches.load(Ordering::SeqCst), 3);
}

#[test]
fn key_cache_with_no_good_fetch_is_keys_unavailable() {
    // The fetch error is a class, never text: no URL or credential can reach a log through it.
    let cache = Arc::new(KeyCache::builder(|| Err(cv_portal_plugin::FetchError::Timeout)).build());
    let verifier = Verifier::builder(issuer_id(), PLUGIN.parse().unwrap())
        .key_cache(cache.clone())
        .replay_guard(Arc::new(InMemoryReplayGuard::new()))
        .build()
        .unwrap();
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let token = forge(&key, &header(&key), &claims(0));
    let err = verifier.verify(&token).unwrap_err();
    assert_eq!(err.code(), "keys_unavailable");
    assert_eq!(err.fault(), cv_portal_plugin::Fault::Unavailable);
    assert_eq!(
        err.to_string(),
        "the portal's keys are unavailable: fetching the JWKS failed: timed out"
    );
    let failure = cache.last_error().unwrap();
    assert_eq!(failure.kind(), "timeout");
    assert_eq!(
        err,
        cv_portal_plugin::VerifyError::KeysUnavailable {
            last_failure: Some(failure)
        }
    );
}

#[test]
fn key_cache_rate_limit_cannot_be_switched_off() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let clock = clock();
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let jwks = KeySet::new([key.public_key()]).unwrap().to_jwks_json();
    let fetches = Arc::new(AtomicUsize::new(0));
    let counter = fetches.clone();
    let cache = Arc::new(
        KeyCache::builder(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok(jwks.clone())
        })
        .clock(clock.clone())
        .min_refetch_interval(Duration::ZERO)
        .build(),
    );
    let verifier = Verifier::builder(issuer_id(), PLUGIN.parse().unwrap())
        .key_cache(cache)
        .clock(clock.clone())
        .replay_guard(Arc::new(InMemoryReplayGuard::new()))
        .build()
        .unwrap();
    for i in 0..100 {
        let bogus = forge(
            &key,
            r#"{"alg":"EdDSA","typ":"cv-plugin-launch+jwt","kid":"made-up"}"#,
            &claims(i),
        );
        assert_eq!(code(verifier.verify(&bogus)), "unknown_kid");
    }
    // A zero interval is raised to the 1 s floor: one fetch in this second, however many tokens.
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    clock.advance(1);
    let bogus = forge(
        &key,
        r#"{"alg":"EdDSA","typ":"cv-plugin-launch+jwt","kid":"made-up"}"#,
        &claims(500),
    );
    assert_eq!(code(verifier.verify(&bogus)), "unknown_kid");
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
}

#[test]
fn a_stale_key_set_keeps_serving_known_keys_when_the_portal_is_down() {
    let clock = clock();
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let jwks = KeySet::new([key.public_key()]).unwrap().to_jwks_json();
    let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let portal = up.clone();
    let cache = Arc::new(
        KeyCache::builder(move || {
            if portal.load(std::sync::atomic::Ordering::SeqCst) {
                Ok(jwks.clone())
            } else {
                Err(cv_portal_plugin::FetchError::ConnectionRefused)
            }
        })
        .clock(clock.clone())
        .max_age(Duration::from_secs(60))
        .build(),
    );
    assert!(cache.key_set_for(key.kid()).is_ok());
    up.store(false, std::sync::atomic::Ordering::SeqCst);
    clock.advance(3_600);
    // Far past its max age, with every refetch failing, the known key still verifies.
    assert!(cache.key_set_for(key.kid()).is_ok());
    assert_eq!(cache.last_error().unwrap().kind(), "connection_refused");
}

// The tests below compare the crate with independent work: values published in RFC 8037
// (Ed25519) and RFC 7515 (ES256), checked by a signer that is anchored on those values, and
// tokens minted by PyJWT and jose. (`.ci/conformance.sh` adds the other direction: PyJWT and
// jose verify tokens the crate mints.)

/// RFC 8037 §A.1's Ed25519 key (a published TEST key).
const RFC8037_PRIVATE_JWK: &str = r#"{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
/// The same key's seed and public key in hex, as RFC 8032 §7.1 (TEST 1) prints them.
const RFC8032_TEST1_SECRET: &str =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const RFC8032_TEST1_PUBLIC: &str =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
/// RFC 8037 §A.3: the key's JWK thumbprint.
const RFC8037_THUMBPRINT: &str = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
/// RFC 8037 §A.4: the JWS of "Example of Ed25519 signing" under `{"alg":"EdDSA"}`.
const RFC8037_A4_INPUT: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
const RFC8037_A4_SIGNATURE: &str =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

/// RFC 7515 §A.3's P-256 key (a published TEST key): the private JWK and the public point.
const RFC7515_A3_PRIVATE_JWK: &str = r#"{"kty":"EC","crv":"P-256","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;
const RFC7515_A3_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
const RFC7515_A3_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
/// RFC 7515 §A.3.1: the ES256 JWS made with that key (ECDSA is randomized: any valid
/// signature would do, this one is published).
const RFC7515_A3_INPUT: &str = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
const RFC7515_A3_SIGNATURE: &str =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// The P-256 public point of RFC 7515 §A.3, `0x04 || x || y`, from the RFC's text.
fn rfc7515_point() -> Vec<u8> {
    [
        vec![0x04],
        base64_decode(RFC7515_A3_X),
        base64_decode(RFC7515_A3_Y),
    ]
    .concat()
}

/// A launch token minted by the crate with `key` at `NOW`, split into signing input and
/// signature bytes.
fn mint_with(key: SigningKey) -> (String, Vec<u8>) {
    let issuer = Issuer::builder(issuer_id(), key)
        .clock(clock())
        .build()
        .unwrap();
    let launch = cliente_opens(&issuer);
    let (input, signature) = launch.token().rsplit_once('.').unwrap();
    (input.to_owned(), base64_decode(signature))
}

#[test]
fn eddsa_signature_is_byte_for_byte_the_rfc_8037_signers() {
    // A reference signer made from the RFC's bytes alone (ring, not the crate), checked first
    // against RFC 8037 §A.4's published signature. Ed25519 is deterministic, so the crate's
    // signature of a launch token must be exactly the reference signer's.
    let jwk: serde_json::Value = serde_json::from_str(RFC8037_PRIVATE_JWK).unwrap();
    let seed = base64_decode(jwk["d"].as_str().unwrap());
    assert_eq!(seed, hex(RFC8032_TEST1_SECRET));
    let reference = ring::signature::Ed25519KeyPair::from_seed_and_public_key(
        &seed,
        &hex(RFC8032_TEST1_PUBLIC),
    )
    .unwrap();
    assert_eq!(
        reference.sign(RFC8037_A4_INPUT.as_bytes()).as_ref(),
        base64_decode(RFC8037_A4_SIGNATURE)
    );

    let key = SigningKey::from_jwk(RFC8037_PRIVATE_JWK).unwrap();
    assert_eq!(key.public_key().as_bytes(), hex(RFC8032_TEST1_PUBLIC));
    assert_eq!(key.kid(), RFC8037_THUMBPRINT);
    let (input, signature) = mint_with(key);
    assert_eq!(signature, reference.sign(input.as_bytes()).as_ref());
    // The header names the RFC's key by its RFC thumbprint.
    let header: serde_json::Value =
        serde_json::from_slice(&base64_decode(input.split('.').next().unwrap())).unwrap();
    assert_eq!(
        header,
        serde_json::json!({"alg": "EdDSA", "typ": "cv-plugin-launch+jwt", "kid": RFC8037_THUMBPRINT})
    );
}

#[test]
fn es256_key_verifies_the_rfc_7515_jws_and_signs_raw_r_s() {
    let key = SigningKey::from_jwk(RFC7515_A3_PRIVATE_JWK).unwrap();
    // The crate reads the RFC's key to the RFC's point, and that point verifies the RFC's own
    // published JWS (ring, not the crate).
    assert_eq!(key.public_key().as_bytes(), rfc7515_point());
    let verifies_the_rfc_jws = |point: &[u8]| {
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, point)
            .verify(
                RFC7515_A3_INPUT.as_bytes(),
                &base64_decode(RFC7515_A3_SIGNATURE),
            )
            .is_ok()
    };
    assert!(verifies_the_rfc_jws(key.public_key().as_bytes()));
    // A launch token the crate mints carries a 64-byte r || s signature (never DER) that the
    // RFC's point verifies.
    let (input, signature) = mint_with(key);
    assert_eq!(signature.len(), 64);
    ring::signature::UnparsedPublicKey::new(
        &ring::signature::ECDSA_P256_SHA256_FIXED,
        rfc7515_point(),
    )
    .verify(input.as_bytes(), &signature)
    .unwrap();
}

#[test]
fn tokens_minted_by_pyjwt_and_jose_verify() {
    // Minted once, with the RFC keys above, by PyJWT 2.15.1 (EdDSA; `jwt.encode` with
    // headers {typ, kid}) and jose 6.2.18 (ES256; `SignJWT` with `calculateJwkThumbprint`), at
    // NOW - 60 with a five-minute lifetime. The crate must verify them with the claims written
    // here, from keys published as the RFCs give them.
    const PYJWT_EDDSA: &str = "eyJhbGciOiJFZERTQSIsImtpZCI6ImtQcktfcW14VldhWVZBOXd3QkY2SXVvM3ZWeno3VHhIQ1R3WEJ5Z3JTNGsiLCJ0eXAiOiJjdi1wbHVnaW4tbGF1bmNoK2p3dCJ9.eyJpc3MiOiJodHRwczovL3BvcnRhbC5jb25zdHJ1dG9yYS5jb20uYnIiLCJhdWQiOiJmaW5hbmNlaXJvIiwic3ViIjoicHlqd3Q6cmZjODAzNyIsInJvbGUiOiJjbGllbnRlIiwiaWF0IjoxNzY0Mjg3OTQwLCJuYmYiOjE3NjQyODc5NDAsImV4cCI6MTc2NDI4ODI0MCwianRpIjoibWludGVkLWJ5LXB5and0LWVkZHNhIn0.8hPj2ypAC0ZpfXAxuMelB5iKEx3o5MfCY2KnHmJFd-K-jA4B4OA1FOHBvDiTL5BiyT6zLiOxhPBjBdtgT11tBw";
    const JOSE_ES256: &str = "eyJhbGciOiJFUzI1NiIsInR5cCI6ImN2LXBsdWdpbi1sYXVuY2grand0Iiwia2lkIjoib0tJeXd2R1VwVFZUeXhNUTNid0lJZVFVdWRmcl9Da0xNakNFMTlFQ0QtVSJ9.eyJpc3MiOiJodHRwczovL3BvcnRhbC5jb25zdHJ1dG9yYS5jb20uYnIiLCJhdWQiOiJmaW5hbmNlaXJvIiwic3ViIjoiam9zZTpyZmM3NTE1Iiwicm9sZSI6InNpbmRpY28iLCJpYXQiOjE3NjQyODc5NDAsIm5iZiI6MTc2NDI4Nzk0MCwiZXhwIjoxNzY0Mjg4MjQwLCJqdGkiOiJtaW50ZWQtYnktam9zZS1lczI1NiJ9.ICkmRI5EB4nWKn5Dj0yUymgsG4acl5x6Fb314WQtmePSLet4ss_c4kxRRKf9L48xrQHc5JKNeshzTzI6MZtOWQ";
    // The published set: the RFCs' public values, and the thumbprints jose computed.
    let jwks = format!(
        r#"{{"keys":[
            {{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"{RFC8037_THUMBPRINT}"}},
            {{"kty":"EC","crv":"P-256","x":"{RFC7515_A3_X}","y":"{RFC7515_A3_Y}","kid":"oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U"}}
        ]}}"#
    );
    let keys = KeySet::from_jwks_json(&jwks).unwrap();
    let verifier = verifier(&keys, clock());
    for (token, sub, role, jti) in [
        (
            PYJWT_EDDSA,
            "pyjwt:rfc8037",
            Role::Cliente,
            "minted-by-pyjwt-eddsa",
        ),
        (
            JOSE_ES256,
            "jose:rfc7515",
            Role::Sindico,
            "minted-by-jose-es256",
        ),
    ] {
        let claims = verifier
            .verify(token)
            .unwrap_or_else(|e| panic!("{sub}: {e} [{}]", e.code()));
        assert_eq!(claims.issuer().as_str(), ISSUER);
        assert_eq!(claims.plugin().as_str(), PLUGIN);
        assert_eq!(claims.subject().as_str(), sub);
        assert_eq!(claims.role(), role);
        assert_eq!(claims.issued_at(), NOW - 60);
        assert_eq!(claims.not_before(), NOW - 60);
        assert_eq!(claims.expires_at(), NOW + 240);
        assert_eq!(claims.token_id().as_str(), jti);
        // One change to the signed bytes and the same token fails.
        let tampered = token.replacen("eyJpc3Mi", "eyJpc3MI", 1);
        assert_eq!(code(verifier.verify(&tampered)), "bad_signature");
    }
}

#[test]
fn extreme_clocks_are_errors_not_panics() {
    let (issuer, keys, clock) = setup(Algorithm::EdDSA);
    let launch = cliente_opens(&issuer);
    let verifier = verifier(&keys, clock.clone());
    clock.set(i64::MAX);
    assert_eq!(code(verifier.verify(launch.token())), "expired");
    clock.set(i64::MIN);
    assert_eq!(code(verifier.verify(launch.token())), "issued_in_future");
    for now in [i64::MAX, i64::MIN, -1] {
        clock.set(now);
        assert_eq!(
            issuer
                .mint(&plugin(PLUGIN), &viewer(Role::Cliente))
                .unwrap_err(),
            IssueError::ClockOutOfRange
        );
    }
}

// ---- one signing key per algorithm, chosen by each plugin's configuration (issue 15) ----------

/// The plugin of a .NET vendor (no Ed25519 in Microsoft.IdentityModel): ES256.
const DOTNET: &str = "boletos-net";

/// A portal signing its EdDSA plugins with one key and its ES256 plugin with another.
fn two_algorithm_portal(
    clock: &Arc<cv_portal_plugin::FixedClock>,
) -> (Issuer, Arc<SigningKey>, Arc<SigningKey>) {
    let eddsa = Arc::new(SigningKey::generate(Algorithm::EdDSA).unwrap());
    let es256 = Arc::new(SigningKey::generate(Algorithm::ES256).unwrap());
    let issuer = Issuer::builder(issuer_id(), eddsa.clone())
        .signing_key(es256.clone())
        .clock(clock.clone())
        .build()
        .unwrap();
    (issuer, eddsa, es256)
}

fn header_of(token: &str) -> serde_json::Value {
    serde_json::from_slice(&base64_decode(token.split('.').next().unwrap())).unwrap()
}

/// What a .NET vendor holds: the portal's JWKS with the keys its library cannot use (OKP) left
/// out, read back from the published JSON.
fn without_ed25519(jwks: &KeySet) -> KeySet {
    let document: serde_json::Value = serde_json::from_str(&jwks.to_jwks_json()).unwrap();
    let ec: Vec<_> = document["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["kty"] == "EC")
        .cloned()
        .collect();
    KeySet::from_jwks_json(&serde_json::json!({ "keys": ec }).to_string()).unwrap()
}

fn vendor(plugin: &str, keys: &KeySet, clock: Arc<cv_portal_plugin::FixedClock>) -> Verifier {
    Verifier::builder(issuer_id(), plugin.parse().unwrap())
        .key_set(keys.clone())
        .clock(clock)
        .replay_guard(Arc::new(InMemoryReplayGuard::new()))
        .build()
        .unwrap()
}

#[test]
fn each_plugin_is_signed_with_the_key_of_its_own_algorithm() {
    let clock = clock();
    let (issuer, eddsa, es256) = two_algorithm_portal(&clock);
    let financeiro = plugin(PLUGIN);
    let boletos = plugin_signed_with(DOTNET, Algorithm::ES256);
    assert_eq!(financeiro.algorithm(), Algorithm::EdDSA, "the default");

    let ed_token = issuer.mint(&financeiro, &viewer(Role::Cliente)).unwrap();
    let es_token = issuer.mint(&boletos, &viewer(Role::Cliente)).unwrap();
    assert_eq!(
        header_of(ed_token.token()),
        serde_json::json!({"alg": "EdDSA", "typ": "cv-plugin-launch+jwt", "kid": eddsa.kid()})
    );
    assert_eq!(
        header_of(es_token.token()),
        serde_json::json!({"alg": "ES256", "typ": "cv-plugin-launch+jwt", "kid": es256.kid()})
    );
    // Raw r || s, 64 bytes, for both.
    for token in [&ed_token, &es_token] {
        let signature = token.token().rsplit('.').next().unwrap();
        assert_eq!(base64_decode(signature).len(), 64);
    }
    assert_eq!(issuer.kid(), eddsa.kid(), "the first key, as before");
    assert_eq!(issuer.kid_for(Algorithm::EdDSA), Some(eddsa.kid()));
    assert_eq!(issuer.kid_for(Algorithm::ES256), Some(es256.kid()));
    assert_eq!(
        issuer.algorithms().collect::<Vec<_>>(),
        [Algorithm::EdDSA, Algorithm::ES256]
    );
    assert!(issuer.check_plugin(&financeiro).is_ok() && issuer.check_plugin(&boletos).is_ok());

    // The JWKS publishes both keys, each pinned to its algorithm.
    let published: Vec<(Algorithm, String)> = issuer
        .jwks()
        .iter()
        .map(|k| (k.algorithm(), k.kid().to_owned()))
        .collect();
    assert_eq!(
        published,
        [
            (Algorithm::EdDSA, eddsa.kid().to_owned()),
            (Algorithm::ES256, es256.kid().to_owned())
        ]
    );
    let jwks: serde_json::Value = serde_json::from_str(&issuer.jwks().to_jwks_json()).unwrap();
    let kinds: Vec<(&str, &str)> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["kty"].as_str().unwrap(), k["alg"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds, [("OKP", "EdDSA"), ("EC", "ES256")]);

    // A vendor with the whole JWKS verifies its own plugin's tokens, whatever the algorithm.
    let claims = vendor(PLUGIN, issuer.jwks(), clock.clone())
        .verify(ed_token.token())
        .unwrap();
    assert_eq!(claims.plugin().as_str(), PLUGIN);
    let claims = vendor(DOTNET, issuer.jwks(), clock.clone())
        .verify(es_token.token())
        .unwrap();
    assert_eq!(claims.plugin().as_str(), DOTNET);
}

#[test]
fn a_vendor_holding_only_the_es256_key_verifies_its_plugin_without_ed25519() {
    let clock = clock();
    let (issuer, eddsa, es256) = two_algorithm_portal(&clock);
    let dotnet_keys = without_ed25519(issuer.jwks());
    assert_eq!(dotnet_keys.len(), 1);
    assert!(dotnet_keys.get(es256.kid()).is_some() && dotnet_keys.get(eddsa.kid()).is_none());
    let dotnet = vendor(DOTNET, &dotnet_keys, clock.clone());

    let boletos = plugin_signed_with(DOTNET, Algorithm::ES256);
    for role in [Role::Cliente, Role::Sindico, Role::Gestor] {
        let launch = issuer.mint(&boletos, &viewer(role)).unwrap();
        let claims = dotnet.verify(launch.token()).unwrap();
        assert_eq!((claims.role(), claims.plugin().as_str()), (role, DOTNET));
    }
    // A token of this plugin can only be ES256: an EdDSA one (which the portal never mints for
    // it) names a key the vendor does not hold.
    let eddsa_for_dotnet = forge(
        &eddsa,
        &format!(
            r#"{{"alg":"EdDSA","typ":"cv-plugin-launch+jwt","kid":"{}"}}"#,
            eddsa.kid()
        ),
        &claims_with(&format!(r#""aud":"{DOTNET}""#)),
    );
    assert_eq!(code(dotnet.verify(&eddsa_for_dotnet)), "unknown_kid");
    // The algorithm is pinned to the key (PROTOCOL.md §6 check 9): EdDSA named on the ES256 key
    // is refused before any signature is checked.
    let swapped = forge(
        &es256,
        &format!(
            r#"{{"alg":"EdDSA","typ":"cv-plugin-launch+jwt","kid":"{}"}}"#,
            es256.kid()
        ),
        &claims_with(&format!(r#""aud":"{DOTNET}""#)),
    );
    assert_eq!(code(dotnet.verify(&swapped)), "alg_mismatch");
    // The other plugins of the portal stay EdDSA, verified by their vendors as before.
    let financeiro = issuer
        .mint(&plugin(PLUGIN), &viewer(Role::Cliente))
        .unwrap();
    assert_eq!(header_of(financeiro.token())["alg"], "EdDSA");
    assert!(
        vendor(PLUGIN, issuer.jwks(), clock.clone())
            .verify(financeiro.token())
            .is_ok()
    );
}

#[test]
fn minting_for_an_algorithm_without_a_key_is_refused_never_signed_otherwise() {
    let clock = clock();
    // The portal as it was: one EdDSA key, `Issuer::new`.
    let issuer = Issuer::new(issuer_id(), SigningKey::generate(Algorithm::EdDSA).unwrap());
    let boletos = plugin_signed_with(DOTNET, Algorithm::ES256);
    let error = issuer
        .mint(&boletos, &viewer(Role::Cliente))
        .expect_err("no ES256 key");
    assert_eq!(error.code(), "no_signing_key");
    assert_eq!(
        error,
        IssueError::NoSigningKey {
            plugin: DOTNET.parse().unwrap(),
            algorithm: Algorithm::ES256
        }
    );
    assert_eq!(issuer.check_plugin(&boletos), Err(error.clone()));
    assert_eq!(issuer.kid_for(Algorithm::ES256), None);
    assert_eq!(
        error.message_en(),
        "plugin boletos-net is configured for ES256 launch tokens, but the portal has no ES256 \
         signing key; add one or change the plugin's algorithm"
    );
    assert_eq!(
        error.message_pt_br(),
        "o plugin boletos-net está configurado para tokens de acesso ES256, mas o portal não tem \
         chave de assinatura ES256; cadastre uma ou altere o Algoritmo de assinatura do plugin"
    );
    // The menu's refusals come first: an inactive plugin is inactive whatever its algorithm.
    let inactive = boletos.to_builder().active(false).build().unwrap();
    assert_eq!(
        issuer
            .mint(&inactive, &viewer(Role::Cliente))
            .unwrap_err()
            .code(),
        "plugin_inactive"
    );
    // An ES256-only portal (the old way to serve one .NET vendor) refuses EdDSA plugins, the
    // default: each plugin says ES256, or the portal adds an EdDSA key.
    let es_only = Issuer::builder(issuer_id(), SigningKey::generate(Algorithm::ES256).unwrap())
        .clock(clock.clone())
        .build()
        .unwrap();
    assert_eq!(
        es_only
            .mint(&plugin(PLUGIN), &viewer(Role::Cliente))
            .unwrap_err()
            .code(),
        "no_signing_key"
    );
    assert!(es_only.mint(&boletos, &viewer(Role::Cliente)).is_ok());
    // Every message of the enum exists in both languages.
    for error in [
        IssueError::PluginInactive,
        IssueError::NotVisibleToViewer { role: Role::Gestor },
        IssueError::ClockOutOfRange,
        IssueError::Rng,
        IssueError::Signing,
    ] {
        assert!(!error.message_pt_br().is_empty());
        assert_ne!(error.message_pt_br(), error.message_en());
    }
}

#[test]
fn rotating_the_es256_key_leaves_eddsa_untouched() {
    let clock = clock();
    let (issuer, eddsa, old_es256) = two_algorithm_portal(&clock);
    let next_es256 = Arc::new(SigningKey::generate(Algorithm::ES256).unwrap());
    let financeiro = plugin(PLUGIN);
    let boletos = plugin_signed_with(DOTNET, Algorithm::ES256);
    let jwks_before = issuer.jwks().clone();

    // Step 1: publish the next ES256 key beside the current keys; still sign with the old one.
    let step1 = Issuer::builder(issuer_id(), eddsa.clone())
        .signing_key(old_es256.clone())
        .also_publish(next_es256.public_key())
        .clock(clock.clone())
        .build()
        .unwrap();
    assert_eq!(step1.jwks().len(), 3);
    let old_token = step1.mint(&boletos, &viewer(Role::Cliente)).unwrap();
    assert_eq!(header_of(old_token.token())["kid"], old_es256.kid());

    // Step 3: sign with the next key.
    let step3 = step1.rotate(next_es256.clone()).unwrap();
    assert_eq!(step3.kid_for(Algorithm::ES256), Some(next_es256.kid()));
    assert_eq!(step3.kid_for(Algorithm::EdDSA), Some(eddsa.kid()));
    assert_eq!(step3.kid(), eddsa.kid());
    let published: Vec<&str> = step3.jwks().iter().map(|k| k.kid()).collect();
    assert_eq!(
        published,
        [eddsa.kid(), next_es256.kid(), old_es256.kid()],
        "signing keys first, the old ES256 key still published"
    );
    let new_token = step3.mint(&boletos, &viewer(Role::Cliente)).unwrap();
    assert_eq!(header_of(new_token.token())["kid"], next_es256.kid());
    // EdDSA is untouched: same kid, same header, and the EdDSA vendor's old key set (from before
    // the rotation began) still verifies what the rotated issuer mints.
    let ed_token = step3.mint(&financeiro, &viewer(Role::Cliente)).unwrap();
    assert_eq!(header_of(ed_token.token())["kid"], eddsa.kid());
    assert!(
        vendor(PLUGIN, &jwks_before, clock.clone())
            .verify(ed_token.token())
            .is_ok()
    );
    // The .NET vendor, with the ES256 keys of step 1, verifies old and new tokens.
    let dotnet = vendor(DOTNET, &without_ed25519(step1.jwks()), clock.clone());
    assert!(dotnet.verify(old_token.token()).is_ok());
    assert!(dotnet.verify(new_token.token()).is_ok());

    // The builder says the same: a second key of an algorithm replaces the first as signer and
    // the replaced key stays published.
    let built = Issuer::builder(issuer_id(), eddsa.clone())
        .signing_key(old_es256.clone())
        .signing_key(next_es256.clone())
        .signing_key(next_es256.clone()) // the same key twice is one key
        .clock(clock.clone())
        .build()
        .unwrap();
    assert_eq!(built.jwks(), step3.jwks());
    assert_eq!(built.kid_for(Algorithm::ES256), Some(next_es256.kid()));

    // Step 4: the old ES256 key is retired; its tokens fail, EdDSA's do not.
    let step4 = Issuer::builder(issuer_id(), eddsa.clone())
        .signing_key(next_es256.clone())
        .clock(clock.clone())
        .build()
        .unwrap();
    assert_eq!(step4.jwks().len(), 2);
    let dotnet = vendor(DOTNET, &without_ed25519(step4.jwks()), clock.clone());
    let old_again = step1.mint(&boletos, &viewer(Role::Sindico)).unwrap();
    assert_eq!(code(dotnet.verify(old_again.token())), "unknown_kid");
    assert!(
        dotnet
            .verify(
                step4
                    .mint(&boletos, &viewer(Role::Sindico))
                    .unwrap()
                    .token()
            )
            .is_ok()
    );
    assert!(
        vendor(PLUGIN, step4.jwks(), clock.clone())
            .verify(
                step4
                    .mint(&financeiro, &viewer(Role::Gestor))
                    .unwrap()
                    .token()
            )
            .is_ok()
    );

    // Rotating in a key of an algorithm the issuer did not sign with adds it.
    let ed_only = Issuer::builder(issuer_id(), eddsa.clone())
        .clock(clock.clone())
        .build()
        .unwrap();
    assert!(ed_only.mint(&boletos, &viewer(Role::Cliente)).is_err());
    let added = ed_only.rotate(old_es256.clone()).unwrap();
    assert_eq!(
        added.algorithms().collect::<Vec<_>>(),
        [Algorithm::EdDSA, Algorithm::ES256]
    );
    assert!(added.mint(&boletos, &viewer(Role::Cliente)).is_ok());
    // An explicitly published key that repeats a signing key is still refused.
    let repeated = Issuer::builder(issuer_id(), eddsa.clone())
        .signing_key(old_es256.clone())
        .also_publish(old_es256.public_key())
        .build()
        .unwrap_err();
    assert_eq!(repeated.code(), "duplicate_kid");
}
