//! A vendor serving many portals (issue 13): routing by the unverified `iss`, per-portal keys,
//! keys refreshed off the request path, and portals added and removed while verifying.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::{NOW, claims_with, clock, forge, plugin_signed_with, viewer};
use cv_portal_plugin::keys::{KeySource, ManualMonotonicClock, MonotonicClock};
use cv_portal_plugin::{
    Algorithm, FetchError, FixedClock, InMemoryReplayGuard, Issuer, IssuerId, KeyCache, KeySet,
    KeysFailure, Portal, PortalRegistry, RegistryError, Role, SigningKey,
};

const A: &str = "https://portal.alfa.com.br";
const B: &str = "https://portal.beta.com.br";

fn id(issuer: &str) -> IssuerId {
    IssuerId::new(issuer).unwrap()
}

fn issuer(name: &str, key: SigningKey) -> Issuer {
    Issuer::builder(id(name), key)
        .clock(clock())
        .build()
        .unwrap()
}

fn mint(issuer: &Issuer, plugin_id: &str) -> String {
    // The plugin is configured with the algorithm of the issuer's (only) key.
    let alg = issuer.algorithms().next().unwrap();
    issuer
        .mint(&plugin_signed_with(plugin_id, alg), &viewer(Role::Cliente))
        .unwrap()
        .into_token()
}

fn manual_source(time: &Arc<ManualMonotonicClock>) -> Arc<KeySource> {
    Arc::new(
        KeySource::builder()
            .clock(Arc::clone(time) as Arc<dyn MonotonicClock>)
            .build(),
    )
}

/// A registry of `portals`, each with its own key source holding the keys given, hosting
/// `financeiro`.
fn registry(portals: &[(&str, KeySet)]) -> (PortalRegistry, Vec<Arc<KeySource>>) {
    let registry = PortalRegistry::new(Arc::new(InMemoryReplayGuard::new()));
    let mut sources = Vec::new();
    for (name, keys) in portals {
        let source = Arc::new(KeySource::new());
        source.set(keys.clone());
        registry
            .insert(
                Portal::new(id(name), Arc::clone(&source))
                    .plugin("financeiro".parse().unwrap())
                    .clock(clock()),
            )
            .unwrap();
        sources.push(source);
    }
    (registry, sources)
}

/// Claims for `iss` with a distinct `jti`.
fn claims_for(iss: &str, n: u32) -> String {
    claims_with(&format!(r#""iss":"{iss}","jti":"jti-{n:016}""#))
}

fn header(alg: Algorithm, kid: &str) -> String {
    format!(r#"{{"alg":"{alg}","typ":"cv-plugin-launch+jwt","kid":"{kid}"}}"#)
}

#[test]
fn a_token_of_portal_a_never_verifies_against_portal_b() {
    let key_a = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let key_b = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let set = |k: &SigningKey| KeySet::new([k.public_key()]).unwrap();
    let (registry, _) = registry(&[(A, set(&key_a)), (B, set(&key_b))]);

    let ok = registry
        .verify(&forge(
            &key_a,
            &header(Algorithm::EdDSA, key_a.kid()),
            &claims_for(A, 1),
        ))
        .unwrap();
    assert_eq!(ok.portal().as_str(), A);
    assert_eq!(ok.claims().issuer().as_str(), A);

    // A's key, claiming to be B: B has no such kid.
    let error = registry
        .verify(&forge(
            &key_a,
            &header(Algorithm::EdDSA, key_a.kid()),
            &claims_for(B, 2),
        ))
        .unwrap_err();
    assert_eq!(error.code(), "unknown_kid");
    assert_eq!(error.portal().unwrap().as_str(), B);
    // A's key under B's kid: B checks with its own key under that kid, and refuses.
    let error = registry
        .verify(&forge(
            &key_a,
            &header(Algorithm::EdDSA, key_b.kid()),
            &claims_for(B, 3),
        ))
        .unwrap_err();
    assert_eq!(error.code(), "bad_signature");
    assert_eq!(error.portal().unwrap().as_str(), B);
    // B's own token verifies as B.
    let ok = registry
        .verify(&forge(
            &key_b,
            &header(Algorithm::EdDSA, key_b.kid()),
            &claims_for(B, 4),
        ))
        .unwrap();
    assert_eq!(ok.portal().as_str(), B);
}

#[test]
fn the_same_key_under_the_same_kid_at_two_portals_is_harmless() {
    // One hosting provider signs for two construction companies with the same key.
    let shared = SigningKey::generate(Algorithm::ES256).unwrap();
    let set = KeySet::new([shared.public_key()]).unwrap();
    let (registry, sources) = registry(&[(A, set.clone()), (B, set)]);
    let head = header(Algorithm::ES256, shared.kid());
    for (iss, n) in [(A, 1), (B, 2)] {
        let launch = registry
            .verify(&forge(&shared, &head, &claims_for(iss, n)))
            .unwrap();
        assert_eq!(
            launch.portal().as_str(),
            iss,
            "the verified iss names the portal"
        );
    }
    // Invalidating it at A leaves B alone: each portal has its own source.
    assert!(sources[0].invalidate(shared.kid()));
    let error = registry
        .verify(&forge(&shared, &head, &claims_for(A, 3)))
        .unwrap_err();
    assert_eq!(
        (error.code(), error.portal().unwrap().as_str()),
        ("unknown_kid", A)
    );
    assert!(
        registry
            .verify(&forge(&shared, &head, &claims_for(B, 4)))
            .is_ok()
    );
}

#[test]
fn an_unknown_issuer_is_refused_without_asking_for_keys() {
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let (registry, sources) = registry(&[(A, KeySet::new([key.public_key()]).unwrap())]);
    for (n, iss) in ["https://evil.example", "https://portal.alfa.com.br/"]
        .into_iter()
        .enumerate()
    {
        let token = forge(
            &key,
            &header(Algorithm::EdDSA, "made-up"),
            &claims_for(iss, n as u32),
        );
        let error = registry.verify(&token).unwrap_err();
        assert_eq!(error.code(), "unknown_issuer");
        assert_eq!(error.fault().http_status(), 401);
        assert!(error.portal().is_none());
        assert!(matches!(error, RegistryError::UnknownIssuer { .. }));
    }
    assert_eq!(sources[0].refetch_requests(), 0);
    // The same made-up kid for the registered issuer does ask (so the counter above can move).
    let token = forge(
        &key,
        &header(Algorithm::EdDSA, "made-up"),
        &claims_for(A, 9),
    );
    assert_eq!(registry.verify(&token).unwrap_err().code(), "unknown_kid");
    assert_eq!(sources[0].refetch_requests(), 1);
    // A token that cannot be routed says why, with the verifier's code.
    assert_eq!(registry.verify("x.y").unwrap_err().code(), "malformed");
    let no_iss = forge(
        &key,
        &header(Algorithm::EdDSA, key.kid()),
        &common::claims_without("iss"),
    );
    assert_eq!(
        registry.verify(&no_iss).unwrap_err().code(),
        "missing_claim"
    );
}

/// The background driver on a real runtime with a fake transport that counts its fetches:
/// tokens of unknown issuers make no fetch; an unknown kid at a registered portal makes one.
#[test]
fn the_fake_transport_sees_no_fetch_for_unknown_issuers() {
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let set = KeySet::new([key.public_key()]).unwrap();
    let time = Arc::new(ManualMonotonicClock::new());
    let source = manual_source(&time);
    let registry = PortalRegistry::new(Arc::new(InMemoryReplayGuard::new()));
    registry
        .insert(
            Portal::new(id(A), Arc::clone(&source))
                .plugin("financeiro".parse().unwrap())
                .clock(clock()),
        )
        .unwrap();

    let fetches = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let driver = {
        let (source, fetches, stop) =
            (Arc::clone(&source), Arc::clone(&fetches), Arc::clone(&stop));
        thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .unwrap();
            runtime.block_on(source.run_refresh(
                move || {
                    fetches.fetch_add(1, Ordering::SeqCst);
                    let set = set.clone();
                    async move { Ok((set, None)) }
                },
                tokio::time::sleep,
                async move {
                    while !stop.load(Ordering::SeqCst) {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                },
            ));
        })
    };
    let wait_for = |n: u64| {
        for _ in 0..2_000 {
            if fetches.load(Ordering::SeqCst) >= n {
                return;
            }
            thread::sleep(Duration::from_millis(5));
        }
        panic!(
            "expected {n} fetches, saw {}",
            fetches.load(Ordering::SeqCst)
        );
    };
    wait_for(1); // the driver's first fetch, at once
    assert!(
        registry
            .verify(&forge(
                &key,
                &header(Algorithm::EdDSA, key.kid()),
                &claims_for(A, 0)
            ))
            .is_ok()
    );

    time.advance(Duration::from_secs(31)); // the rate limit would allow a refetch now
    for n in 0..100 {
        let token = forge(
            &key,
            &header(Algorithm::EdDSA, &format!("kid-{n}")),
            &claims_for("https://evil.example", n),
        );
        assert_eq!(
            registry.verify(&token).unwrap_err().code(),
            "unknown_issuer"
        );
    }
    thread::sleep(Duration::from_millis(50));
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        1,
        "no fetch for an unknown issuer"
    );
    assert_eq!(source.refetch_requests(), 0);

    let token = forge(
        &key,
        &header(Algorithm::EdDSA, "rotated?"),
        &claims_for(A, 1),
    );
    assert_eq!(registry.verify(&token).unwrap_err().code(), "unknown_kid");
    wait_for(2); // the request woke the driver long before its 5-minute timer
    stop.store(true, Ordering::SeqCst);
    driver.join().unwrap();
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
}

#[test]
fn a_storm_of_random_kids_asks_once_and_known_kids_keep_verifying() {
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let time = Arc::new(ManualMonotonicClock::new());
    let source = manual_source(&time);
    source.set(KeySet::new([key.public_key()]).unwrap());
    let registry = Arc::new(PortalRegistry::new(Arc::new(InMemoryReplayGuard::new())));
    registry
        .insert(
            Portal::new(id(A), Arc::clone(&source))
                .plugin("financeiro".parse().unwrap())
                .clock(clock()),
        )
        .unwrap();

    let head = header(Algorithm::EdDSA, key.kid());
    let known: Vec<String> = (0..200)
        .map(|n| forge(&key, &head, &claims_for(A, n)))
        .collect();
    let storm: Vec<String> = (0..1_000u32)
        .map(|n| {
            let kid = format!("{:016x}", (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            forge(
                &key,
                &header(Algorithm::EdDSA, &kid),
                &claims_for(A, 10_000 + n),
            )
        })
        .collect();
    let codes = Mutex::new(HashSet::new());
    thread::scope(|scope| {
        for half in storm.chunks(500) {
            let (registry, codes) = (&registry, &codes);
            scope.spawn(move || {
                for token in half {
                    codes
                        .lock()
                        .unwrap()
                        .insert(registry.verify(token).unwrap_err().code());
                }
            });
        }
        for token in &known {
            let launch = registry
                .verify(token)
                .expect("a known kid verifies during the storm");
            assert_eq!(launch.portal().as_str(), A);
        }
    });
    assert_eq!(*codes.lock().unwrap(), HashSet::from(["unknown_kid"]));
    assert_eq!(
        source.refetch_requests(),
        1,
        "one request for 1,000 unknown kids"
    );
    // No driver took it: still one outstanding request, however long the storm lasts.
    time.advance(Duration::from_secs(3_600));
    for token in storm.iter().take(100) {
        let _ = registry.verify(token);
    }
    assert_eq!(source.refetch_requests(), 1, "coalesced");
}

#[test]
fn a_wall_clock_stepped_back_does_not_freeze_refetching() {
    // The old KeyCache measures its rate limit on the wall clock: stepped back an hour, it does
    // not refetch for an hour and thirty seconds.
    let wall = Arc::new(FixedClock::new(NOW));
    let cache_fetches = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&cache_fetches);
    let jwks = KeySet::new([SigningKey::generate(Algorithm::EdDSA).unwrap().public_key()])
        .unwrap()
        .to_jwks_json();
    let cache = KeyCache::builder(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        Ok::<_, FetchError>(jwks.clone())
    })
    .clock(Arc::clone(&wall) as _)
    .build();
    let _ = cache.key_set_for("unknown");
    wall.advance(-3_600);
    wall.advance(31);
    let _ = cache.key_set_for("unknown");
    assert_eq!(
        cache_fetches.load(Ordering::SeqCst),
        1,
        "the KeyCache froze"
    );

    // The KeySource reads only monotonic time: whatever the wall clock does, 30 s after the
    // last fetch started an unknown kid gets its refetch.
    let time = Arc::new(ManualMonotonicClock::new());
    let source = manual_source(&time);
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    source.set(KeySet::new([key.public_key()]).unwrap());
    let registry = PortalRegistry::new(Arc::new(InMemoryReplayGuard::new()));
    registry
        .insert(
            Portal::new(id(A), Arc::clone(&source))
                .plugin("financeiro".parse().unwrap())
                .clock(Arc::clone(&wall) as _),
        )
        .unwrap();
    let unknown = |n: u32| {
        forge(
            &key,
            &header(Algorithm::EdDSA, "unknown"),
            &claims_for(A, n),
        )
    };
    assert_eq!(
        registry.verify(&unknown(1)).unwrap_err().code(),
        "unknown_kid"
    );
    assert_eq!(source.refetch_requests(), 1);
    // A driver takes the request and fails; the wall clock steps back an hour meanwhile.
    let fetched =
        block_on(source.refresh_with(async { Err(KeysFailure::Fetch(FetchError::Timeout)) }));
    assert!(fetched.is_err());
    wall.advance(-3_600);
    time.advance(Duration::from_secs(30));
    // Stale-if-error: the known key still verifies; the unknown kid is now keys_unavailable
    // and gets its refetch.
    assert_eq!(
        registry.verify(&unknown(2)).unwrap_err().code(),
        "keys_unavailable"
    );
    assert_eq!(source.refetch_requests(), 2);
}

/// Runs a future that never waits (the fetch above is ready at once).
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

#[test]
fn an_invalidated_key_stops_verifying_at_once() {
    let portal = issuer(A, SigningKey::generate(Algorithm::EdDSA).unwrap());
    let (registry, _) = registry(&[(A, portal.jwks().clone())]);
    assert!(registry.verify(&mint(&portal, "financeiro")).is_ok());
    let source = registry.key_source(&id(A)).unwrap();
    assert!(source.invalidate(portal.kid()));
    let error = registry.verify(&mint(&portal, "financeiro")).unwrap_err();
    assert_eq!(error.code(), "unknown_kid");
    assert_eq!(error.fault().http_status(), 401);
    // A set fetched or pushed later that still publishes it does not bring it back.
    source.set(portal.jwks().clone());
    assert_eq!(
        registry
            .verify(&mint(&portal, "financeiro"))
            .unwrap_err()
            .code(),
        "unknown_kid"
    );
}

#[test]
fn a_plugin_not_hosted_for_the_portal_is_named_after_the_signature_is_checked() {
    let portal = issuer(A, SigningKey::generate(Algorithm::EdDSA).unwrap());
    let (registry, _) = registry(&[(A, portal.jwks().clone())]);
    let error = registry.verify(&mint(&portal, "boletos")).unwrap_err();
    assert_eq!(error.code(), "wrong_audience");
    assert_eq!(error.portal().unwrap().as_str(), A);
    assert!(error.to_string().contains("boletos"), "{error}");
    // A forged token for a plugin not hosted fails at the signature, as one verifier would.
    let other = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let forged = forge(
        &other,
        &header(Algorithm::EdDSA, portal.kid()),
        &claims_with(&format!(r#""iss":"{A}","aud":"boletos""#)),
    );
    assert_eq!(
        registry.verify(&forged).unwrap_err().code(),
        "bad_signature"
    );
    // Single use holds through the registry, and the error names the portal.
    let token = mint(&portal, "financeiro");
    assert!(registry.verify(&token).is_ok());
    let error = registry.verify(&token).unwrap_err();
    assert_eq!(
        (error.code(), error.portal().unwrap().as_str()),
        ("replayed", A)
    );
}

#[test]
fn a_portal_with_no_keys_yet_answers_503_naming_it() {
    let portal = issuer(A, SigningKey::generate(Algorithm::EdDSA).unwrap());
    let registry = PortalRegistry::new(Arc::new(InMemoryReplayGuard::new()));
    registry
        .insert(
            Portal::new(id(A), Arc::new(KeySource::new()))
                .plugin("financeiro".parse().unwrap())
                .clock(clock()),
        )
        .unwrap();
    let error = registry.verify(&mint(&portal, "financeiro")).unwrap_err();
    assert_eq!(error.code(), "keys_unavailable");
    assert_eq!(error.fault().http_status(), 503);
    assert!(error.to_string().contains(A), "{error}");
    // A portal hosting nothing is refused when added.
    let refused = registry
        .insert(Portal::new(id(B), Arc::new(KeySource::new())))
        .unwrap_err();
    assert_eq!(refused.code(), "no_plugin");
}

#[test]
fn portals_come_and_go_while_threads_verify() {
    let alfa = issuer(A, SigningKey::generate(Algorithm::EdDSA).unwrap());
    let beta = issuer(B, SigningKey::generate(Algorithm::ES256).unwrap());
    let (registry, _) = registry(&[(A, alfa.jwks().clone())]);
    let beta_portal = || {
        let source = Arc::new(KeySource::new());
        source.set(beta.jwks().clone());
        Portal::new(id(B), source)
            .plugin("financeiro".parse().unwrap())
            .clock(clock())
    };
    let done = AtomicBool::new(false);
    let outcomes = Mutex::new(HashSet::new());
    thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                let mut seen = HashSet::new();
                while !done.load(Ordering::SeqCst) {
                    assert!(
                        registry.verify(&mint(&alfa, "financeiro")).is_ok(),
                        "A stays"
                    );
                    seen.insert(match registry.verify(&mint(&beta, "financeiro")) {
                        Ok(launch) => launch.portal().to_string(),
                        Err(error) => error.code().to_owned(),
                    });
                }
                outcomes.lock().unwrap().extend(seen);
            });
        }
        for _ in 0..300 {
            registry.insert(beta_portal()).unwrap();
            thread::yield_now();
            assert!(registry.remove(&id(B)));
            thread::yield_now();
        }
        done.store(true, Ordering::SeqCst);
    });
    let outcomes = outcomes.into_inner().unwrap();
    let allowed = HashSet::from([B.to_owned(), "unknown_issuer".to_owned()]);
    assert!(outcomes.is_subset(&allowed), "{outcomes:?}");
    assert!(!outcomes.is_empty());
    assert!(!registry.contains(&id(B)));
    assert_eq!(
        registry
            .verify(&mint(&beta, "financeiro"))
            .unwrap_err()
            .code(),
        "unknown_issuer"
    );
    registry.insert(beta_portal()).unwrap();
    assert_eq!(registry.issuers(), [id(A), id(B)]);
    assert_eq!(
        registry
            .verify(&mint(&beta, "financeiro"))
            .unwrap()
            .portal()
            .as_str(),
        B
    );
}

#[test]
fn verify_async_routes_checks_and_shares_single_use_with_the_sync_path() {
    let a = issuer(A, SigningKey::generate(Algorithm::EdDSA).unwrap());
    let b = issuer(B, SigningKey::generate(Algorithm::EdDSA).unwrap());
    let store: Arc<dyn cv_portal_plugin::ReplayGuard> = Arc::new(InMemoryReplayGuard::new());
    let registry = two_portal_registry(PortalRegistry::new(Arc::clone(&store)), &a, &b);
    let token = mint(&b, "financeiro");
    let verified = block_on(registry.verify_async(&token)).unwrap();
    assert_eq!(verified.portal().as_str(), B);
    // The same store: the sync path and the async path see one single use.
    assert_eq!(registry.verify(&token).unwrap_err().code(), "replayed");
    let again = block_on(registry.verify_async(&token)).unwrap_err();
    assert_eq!(
        (again.code(), again.portal().map(|p| p.as_str())),
        ("replayed", Some(B))
    );
    // Routing and refusals are the sync path's.
    let unknown = block_on(registry.verify_async(&mint(
        &issuer(
            "https://portal.gama.com.br",
            SigningKey::generate(Algorithm::EdDSA).unwrap(),
        ),
        "financeiro",
    )));
    assert_eq!(unknown.unwrap_err().code(), "unknown_issuer");
    let other_plugin = block_on(registry.verify_async(&mint(&a, "obras"))).unwrap_err();
    assert_eq!(other_plugin.code(), "wrong_audience");
    let sync_first = mint(&a, "financeiro");
    registry.verify(&sync_first).unwrap();
    assert_eq!(
        block_on(registry.verify_async(&sync_first))
            .unwrap_err()
            .code(),
        "replayed"
    );
    // The store saw exactly the two tokens accepted.
    assert_eq!(
        store.check_and_insert(&cv_portal_plugin::ReplayEntry::new(
            B,
            "financeiro",
            "never-seen-0001",
            i64::MAX,
            0
        )),
        Ok(())
    );
}

#[test]
fn an_async_registry_awaits_its_guard_and_its_blocking_path_refuses_instead_of_skipping() {
    use cv_portal_plugin::replay::{AsyncReplayGuard, ReplayFuture};
    use std::sync::atomic::AtomicUsize;
    /// An async guard that counts the entries it was asked about, over memory.
    struct Counting {
        inner: InMemoryReplayGuard,
        asked: AtomicUsize,
    }
    impl AsyncReplayGuard for Counting {
        fn check_and_insert<'a>(
            &'a self,
            entry: &'a cv_portal_plugin::ReplayEntry<'a>,
        ) -> ReplayFuture<'a> {
            self.asked.fetch_add(1, Ordering::SeqCst);
            let result = cv_portal_plugin::ReplayGuard::check_and_insert(&self.inner, entry);
            Box::pin(std::future::ready(result))
        }
    }
    let a = issuer(A, SigningKey::generate(Algorithm::EdDSA).unwrap());
    let b = issuer(B, SigningKey::generate(Algorithm::EdDSA).unwrap());
    let guard = Arc::new(Counting {
        inner: InMemoryReplayGuard::new(),
        asked: AtomicUsize::new(0),
    });
    let registry = two_portal_registry(
        PortalRegistry::new_async(Arc::clone(&guard) as Arc<dyn AsyncReplayGuard>),
        &a,
        &b,
    );
    let token = mint(&a, "financeiro");
    assert_eq!(
        block_on(registry.verify_async(&token))
            .unwrap()
            .portal()
            .as_str(),
        A
    );
    assert_eq!(
        block_on(registry.verify_async(&token)).unwrap_err().code(),
        "replayed"
    );
    assert_eq!(guard.asked.load(Ordering::SeqCst), 2);
    // The blocking path has no guard to ask: a genuine, unused token is refused as an outage
    // (503, not consumed), never accepted without single use.
    let fresh = mint(&b, "financeiro");
    let refused = registry.verify(&fresh).unwrap_err();
    assert_eq!(
        (refused.code(), refused.fault().http_status()),
        ("replay_store_unavailable", 503)
    );
    assert!(refused.to_string().contains("async"), "{refused}");
    assert_eq!(guard.asked.load(Ordering::SeqCst), 2);
    // Not consumed: the async path still accepts it once.
    assert!(block_on(registry.verify_async(&fresh)).is_ok());
    // A forged token never reaches the guard.
    let forged = mint(
        &issuer(A, SigningKey::generate(Algorithm::EdDSA).unwrap()),
        "financeiro",
    );
    assert_eq!(
        block_on(registry.verify_async(&forged)).unwrap_err().code(),
        "unknown_kid"
    );
    assert_eq!(guard.asked.load(Ordering::SeqCst), 3);
}

/// `registry` with portals A and B (keys of `a` and `b`), each hosting `financeiro`.
fn two_portal_registry(registry: PortalRegistry, a: &Issuer, b: &Issuer) -> PortalRegistry {
    for (name, keys) in [(A, a.jwks().clone()), (B, b.jwks().clone())] {
        let source = Arc::new(KeySource::new());
        source.set(keys);
        registry
            .insert(
                Portal::new(id(name), source)
                    .plugin("financeiro".parse().unwrap())
                    .clock(clock()),
            )
            .unwrap();
    }
    registry
}

#[test]
fn two_portals_cannot_share_one_key_source() {
    let registry = PortalRegistry::new(Arc::new(InMemoryReplayGuard::new()));
    let shared = Arc::new(KeySource::new());
    let plugin_id = || "financeiro".parse().unwrap();
    registry
        .insert(Portal::new(id(A), Arc::clone(&shared)).plugin(plugin_id()))
        .unwrap();
    let error = registry
        .insert(Portal::new(id(B), Arc::clone(&shared)).plugin(plugin_id()))
        .unwrap_err();
    assert_eq!(error.code(), "key_source_shared");
    assert!(
        error.to_string().contains(A) && error.to_string().contains(B),
        "{error}"
    );
    assert!(!registry.contains(&id(B)));
    // Replacing a portal with its own source again is fine.
    assert!(
        registry
            .insert(Portal::new(id(A), shared).plugin(plugin_id()))
            .unwrap()
    );
}

#[test]
fn a_blocking_registry_never_asks_a_networked_guard_from_async_code() {
    use std::sync::atomic::AtomicUsize;
    /// A guard that would wait on the network (it does not say it answers from memory).
    struct Networked(AtomicUsize);
    impl cv_portal_plugin::ReplayGuard for Networked {
        fn check_and_insert(
            &self,
            _: &cv_portal_plugin::ReplayEntry<'_>,
        ) -> Result<(), cv_portal_plugin::ReplayError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }
    let a = issuer(A, SigningKey::generate(Algorithm::EdDSA).unwrap());
    let b = issuer(B, SigningKey::generate(Algorithm::EdDSA).unwrap());
    let guard = Arc::new(Networked(AtomicUsize::new(0)));
    let registry = two_portal_registry(
        PortalRegistry::new(Arc::clone(&guard) as Arc<dyn cv_portal_plugin::ReplayGuard>),
        &a,
        &b,
    );
    let token = mint(&a, "financeiro");
    let refused = block_on(registry.verify_async(&token)).unwrap_err();
    assert_eq!(
        (refused.code(), refused.fault().http_status()),
        ("replay_store_unavailable", 503)
    );
    assert!(refused.to_string().contains("async"), "{refused}");
    assert_eq!(guard.0.load(Ordering::SeqCst), 0);
    // The blocking path asks it.
    assert!(registry.verify(&token).is_ok());
    assert_eq!(guard.0.load(Ordering::SeqCst), 1);
}

#[test]
fn a_verified_launch_hands_back_its_token_for_the_redemption_and_never_shows_it() {
    let a = issuer(A, SigningKey::generate(Algorithm::EdDSA).unwrap());
    let b = issuer(B, SigningKey::generate(Algorithm::EdDSA).unwrap());
    let registry = two_portal_registry(
        PortalRegistry::new(Arc::new(InMemoryReplayGuard::new())),
        &a,
        &b,
    );
    let token = mint(&a, "financeiro");
    let launch = registry.verify(&token).unwrap();
    assert_eq!(launch.token(), token);
    let async_token = mint(&b, "financeiro");
    let launch_b = block_on(registry.verify_async(&async_token)).unwrap();
    assert_eq!(launch_b.token(), async_token);
    for shown in [format!("{launch:?}"), format!("{launch_b:?}")] {
        assert!(
            !shown.contains(&token) && !shown.contains(&async_token),
            "{shown}"
        );
        assert!(shown.contains("bytes>"), "{shown}");
    }
}
