//! Unit tests of [`Sessions`] that need its internals; the public behaviour is in
//! tests/session.rs.

use super::*;
use crate::clock::FixedClock;

const NOW: i64 = 1_764_288_000;

fn launch(iat: i64) -> LaunchClaims {
    LaunchClaims {
        iss: IssuerId::new("https://portal.construtora.com.br").unwrap(),
        aud: PluginId::new("financeiro").unwrap(),
        sub: crate::wire::SubjectId::new("48213").unwrap(),
        role: crate::wire::Role::Cliente,
        iat,
        nbf: iat,
        exp: iat + 300,
        jti: TokenId::parse("AAAAAAAAAAAAAAAAAAAAAA").unwrap(),
    }
}

fn sessions(clock: Arc<FixedClock>) -> Sessions {
    Sessions::builder(
        IssuerId::new("https://portal.construtora.com.br").unwrap(),
        PluginId::new("financeiro").unwrap(),
        SessionKey::from_bytes("k1", &[9; 32]).unwrap(),
    )
    .clock(clock)
    .single_instance()
    .build()
    .unwrap()
}

#[test]
fn claims_are_written_in_a_fixed_order() {
    let clock = Arc::new(FixedClock::new(NOW));
    let sessions = sessions(clock);
    let token = sessions.start(&launch(NOW - 5)).unwrap();
    let payload = token.as_str().split('.').nth(1).unwrap();
    let json = String::from_utf8(crate::b64::decode(payload).unwrap()).unwrap();
    let sid = sessions.verify(token.as_str()).unwrap().sid;
    assert_eq!(
        json,
        format!(
            r#"{{"iss":"https://portal.construtora.com.br","aud":"financeiro","sub":"48213","role":"cliente","lid":"AAAAAAAAAAAAAAAAAAAAAA","sid":"{sid}","lat":{},"iat":{NOW},"exp":{}}}"#,
            NOW - 5,
            NOW + 900
        )
    );
}

#[test]
fn a_launch_from_a_clock_ahead_counts_the_cap_from_now() {
    let clock = Arc::new(FixedClock::new(NOW));
    let sessions = sessions(clock);
    let token = sessions.start(&launch(NOW + 20)).unwrap();
    let claims = sessions.verify(token.as_str()).unwrap();
    assert_eq!(claims.launched_at(), NOW);
    assert_eq!(claims.issued_at(), NOW);
}

#[test]
fn lifetimes_are_range_checked() {
    let base = || {
        Sessions::builder(
            IssuerId::new("https://p.example").unwrap(),
            PluginId::new("f").unwrap(),
            SessionKey::from_bytes("k1", &[9; 32]).unwrap(),
        )
    };
    let code = |b: SessionsBuilder| b.build().unwrap_err().code();
    assert_eq!(
        code(base().idle_lifetime(Duration::from_secs(59))),
        "session_invalid_lifetime"
    );
    assert_eq!(
        code(base().absolute_lifetime(Duration::from_secs(600))),
        "session_invalid_lifetime",
        "the cap is below the 15-minute idle lifetime"
    );
    assert_eq!(
        code(base().ticket_lifetime(Duration::from_secs(301))),
        "session_invalid_lifetime"
    );
    assert_eq!(
        code(base().previous_keys([SessionKey::from_bytes("k1", &[8; 32]).unwrap()])),
        "session_duplicate_kid"
    );
    assert!(
        base()
            .idle_lifetime(Duration::from_secs(60))
            .absolute_lifetime(Duration::from_secs(60))
            .single_instance()
            .build()
            .is_ok()
    );
}

#[test]
fn the_stores_are_a_decision() {
    let base = || {
        Sessions::builder(
            IssuerId::new("https://p.example").unwrap(),
            PluginId::new("f").unwrap(),
            SessionKey::from_bytes("k1", &[9; 32]).unwrap(),
        )
    };
    let missing = |b: SessionsBuilder| match b.build().unwrap_err() {
        SessionConfigError::NoStores { missing } => missing,
        other => panic!("{other:?}"),
    };
    assert_eq!(missing(base()), "revocations and ticket single use");
    let revocations = Arc::new(InMemoryRevocationStore::new());
    assert_eq!(
        missing(base().revocation_store(revocations.clone())),
        "ticket single use"
    );
    let guard = Arc::new(crate::InMemoryReplayGuard::new());
    assert_eq!(missing(base().ticket_guard(guard.clone())), "revocations");
    let error = base().build().unwrap_err();
    assert_eq!(error.code(), "session_no_stores");
    for line in [".single_instance()", ".revocation_store(", ".ticket_guard("] {
        assert!(error.to_string().contains(line), "{error}");
    }
    assert!(
        base()
            .revocation_store(revocations)
            .ticket_guard(guard)
            .build()
            .is_ok()
    );
    // single_instance fills in what was not given.
    assert!(
        base()
            .ticket_guard(Arc::new(crate::InMemoryReplayGuard::new()))
            .single_instance()
            .build()
            .is_ok()
    );
}

#[test]
fn sessions_are_shared_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Sessions>();
    send_sync::<SessionKey>();
    send_sync::<InMemoryRevocationStore>();
}
