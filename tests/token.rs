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

/// The usual launch: a cliente opens the Financeiro plugin.
fn cliente_opens(issuer: &Issuer) -> cv_portal_plugin::LaunchToken {
    issuer
        .mint(&plugin(PLUGIN), &viewer(Role::Cliente))
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
    let builder = || Verifier::builder(issuer_id(), PLUGIN.parse().unwrap());
    assert_eq!(builder().build().unwrap_err().code(), "no_keys");
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
    assert!(builder().key_set(keys).max_token_len(8192).build().is_ok());
}

#[test]
fn rotation_two_keys_then_retire_one() {
    let clock = clock();
    let old = Arc::new(SigningKey::generate(Algorithm::EdDSA).unwrap());
    let new = Arc::new(SigningKey::generate(Algorithm::ES256).unwrap());
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
    *served.lock().unwrap() = Err(cv_portal_plugin::FetchError::new("connection refused"));
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
    // The fetch error names a URL with credentials, as many HTTP clients' errors do: operators
    // see it through last_error(), but it never reaches the per-token verification error.
    let cache = Arc::new(
        KeyCache::builder(|| {
            Err(cv_portal_plugin::FetchError::new(
                "timeout fetching https://user:hunter2@portal.example/jwks",
            ))
        })
        .build(),
    );
    let verifier = Verifier::builder(issuer_id(), PLUGIN.parse().unwrap())
        .key_cache(cache.clone())
        .build()
        .unwrap();
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let token = forge(&key, &header(&key), &claims(0));
    let err = verifier.verify(&token).unwrap_err();
    assert_eq!(err.code(), "keys_unavailable");
    assert!(!format!("{err} {err:?}").contains("hunter2"), "{err}");
    assert!(cache.last_error().unwrap().contains("timeout"));
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
                Err(cv_portal_plugin::FetchError::new("connection refused"))
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
    assert!(cache.last_error().unwrap().contains("connection refused"));
}

#[test]
fn our_tokens_decode_with_jsonwebtoken_itself() {
    // An independent check that the JWS is standard: jsonwebtoken's own decode, with its own
    // validation, accepts what the issuer mints.
    let _ = cv_portal_plugin::install_as_jsonwebtoken_default();
    for alg in [Algorithm::EdDSA, Algorithm::ES256] {
        let key = SigningKey::generate(alg).unwrap();
        let issuer = Issuer::new(issuer_id(), key);
        let launch = cliente_opens(&issuer);
        let public = issuer.jwks().iter().next().unwrap().to_jwk();
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_str(&public).unwrap();
        let mut validation = jsonwebtoken::Validation::new(match alg {
            Algorithm::EdDSA => jsonwebtoken::Algorithm::EdDSA,
            Algorithm::ES256 => jsonwebtoken::Algorithm::ES256,
        });
        validation.set_audience(&[PLUGIN]);
        validation.set_issuer(&[ISSUER]);
        let decoded = jsonwebtoken::decode::<serde_json::Value>(
            launch.token(),
            &jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap(),
            &validation,
        )
        .unwrap();
        assert_eq!(decoded.claims["sub"], "48213");
        assert_eq!(decoded.header.typ.as_deref(), Some("cv-plugin-launch+jwt"));
    }
}

#[test]
fn signature_equals_jsonwebtoken_provider_signature() {
    // Ed25519 is deterministic: the issuer's direct ring signature must equal what jsonwebtoken
    // computes through the installed ring provider for the same signing input.
    let _ = cv_portal_plugin::install_as_jsonwebtoken_default();
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let der = key.to_pkcs8_der();
    let issuer = Issuer::new(issuer_id(), key);
    let launch = cliente_opens(&issuer);
    let (input, signature) = launch.token().rsplit_once('.').unwrap();
    let via_provider = jsonwebtoken::crypto::sign(
        input.as_bytes(),
        &jsonwebtoken::EncodingKey::from_ed_der(&der),
        jsonwebtoken::Algorithm::EdDSA,
    )
    .unwrap();
    assert_eq!(via_provider, signature);
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
