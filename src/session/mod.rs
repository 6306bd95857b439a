//! Vendor sessions (feature `vendor`): what keeps serving the person inside the portal's iframe
//! after the single-use launch token is spent, without third-party cookies.
//!
//! After [`Verifier::verify`](crate::Verifier::verify) accepts a launch, [`Sessions::start`]
//! mints the vendor's own short **session token** (HS256 with a [`SessionKey`] only the vendor
//! holds, `typ` `cv-plugin-session+jwt`). The page keeps it in memory and sends it as
//! `Authorization: Bearer`; [`Sessions::verify`] (or [`Sessions::authenticate`], which applies
//! the bearer-then-cookie rule of [`extract_credential`]) checks it on every request. When it
//! ends (15 minutes by default) the page asks the portal for a fresh launch token over
//! `postMessage` and exchanges it for a new session: every such renewal goes through the portal,
//! which answers only for a person still logged in, so a portal logout ends the plugin's session
//! within one idle window. [`Sessions::renew`] instead slides the idle window on the vendor's side
//! alone (up to 8 hours from the launch); it suits a vendor's own cookie path, but a portal logout
//! then takes effect only at that cap (or at once with [`Sessions::revoke`]). Downloads that
//! cannot carry a header use a one-minute, single-use **ticket** ([`Sessions::ticket`],
//! [`Sessions::redeem_ticket`]). [`page_headers`] and [`session_challenge`] are the exact
//! response headers of the page and of a refusal. [`PAGE_SCRIPT`] is the page's side of all
//! this (assets/js/cv-plugin-page.js), and [`bounce_page`] the page a load without a session gets.
//!
//! Every token is checked as strictly as a launch token: one exact header per key, the MAC
//! (constant time) before any JSON is read, then the claims, times, revocation. A launch token
//! is refused here (`session_wrong_type`), and a session token by a launch verifier.
//!
//! ## The vendor flow
//!
#![cfg_attr(feature = "portal", doc = "```")]
#![cfg_attr(not(feature = "portal"), doc = "```ignore")]
//! use std::sync::Arc;
//! use cv_portal_plugin::{
//!     Algorithm, CredentialRequest, FixedClock, Issuer, IssuerId, KeySet, PluginConfig, Role,
//!     SessionKey, Sessions, SigningKey, SubjectId, Verifier, Viewer, VisibleTo, Dimension, Icon,
//! };
//!
//! let clock = Arc::new(FixedClock::new(1_764_288_000));
//! # let issuer = Issuer::builder(IssuerId::new("https://portal.construtora.com.br")?,
//! #     SigningKey::generate(Algorithm::EdDSA)?).clock(clock.clone()).build()?;
//! # let plugin = PluginConfig::builder().id("financeiro").name("Financeiro").link("https://erp.example.com/f")
//! #     .icon(Icon::Alerta).title("Financeiro").show_in_client_portal(true)
//! #     .iframe_size(Dimension::Percent(100), Dimension::Pixels(800)).visible_to(VisibleTo::Cliente).build()?;
//! # let launch = issuer.mint(&plugin, &Viewer::new(SubjectId::new("48213")?, Role::Cliente))?;
//! # let jwks = issuer.jwks().to_jwks_json();
//! // Start-up: the launch verifier and the sessions of one plugin of one portal.
//! let verifier = Verifier::builder(issuer.issuer_id().clone(), "financeiro".parse()?)
//!     .key_set(KeySet::from_jwks_json(&jwks)?)
//!     .clock(clock.clone())
//!     .replay_guard(std::sync::Arc::new(cv_portal_plugin::InMemoryReplayGuard::new()))
//!     .build()?;
//! # let secret = [7u8; 32];
//! // `secret`: 32 or more random bytes from your secret store (never a literal in code), the
//! // same on every instance; the kid names it for rotation.
//! let sessions = Sessions::builder(
//!     issuer.issuer_id().clone(),
//!     "financeiro".parse()?,
//!     SessionKey::from_bytes("2026-11", &secret)?,
//! )
//! .clock(clock.clone())
//! .build()?;
//!
//! // The launch: verify once, start a session, answer the page with its JSON (or embed it).
//! let launch_claims = verifier.verify(launch.token())?;
//! let session = sessions.start(&launch_claims)?;
//! assert_eq!(session.expires_in(), 900);
//!
//! // The next request: `Authorization: Bearer <session>`.
//! let bearer = format!("Bearer {}", session.as_str());
//! let claims = sessions.authenticate(&CredentialRequest::new("GET").authorization(Some(&bearer)))?;
//! assert_eq!(claims.subject().as_str(), "48213");
//!
//! // Ten minutes later the page is still in use: a vendor that slides the idle window itself
//! // (see above for what that costs) renews here.
//! clock.advance(600);
//! let claims = sessions.verify(session.as_str())?;
//! assert!(sessions.should_renew(&claims));
//! let renewed = sessions.renew(&claims).expect("before the cap");
//! assert_eq!(sessions.verify(renewed.as_str())?.session_id(), claims.session_id());
//!
//! // A boleto download link: a one-minute ticket for that path, redeemed once.
//! let ticket = sessions.ticket(&claims, "/boletos/123.pdf")?;
//! let redeemed = sessions.redeem_ticket(&ticket, "/boletos/123.pdf")?;
//! assert_eq!(redeemed.subject().as_str(), "48213");
//! assert_eq!(sessions.redeem_ticket(&ticket, "/boletos/123.pdf").unwrap_err().code(), "ticket_replayed");
//!
//! // A launch token is not a session token.
//! assert_eq!(sessions.verify(launch.token()).unwrap_err().code(), "session_wrong_type");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod credential;
mod error;
mod headers;
mod key;
mod origin;
mod page;
#[cfg(feature = "redis")]
pub mod redis;
mod revocation;
mod ticket;
mod token;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use credential::{Credential, CredentialRequest, CredentialSource, extract_credential};
pub use error::{ExchangeUrlError, OriginError, SessionConfigError, SessionError, TokenKind};
pub use headers::{
    SESSION_COOKIE_NAME, SESSION_REALM, clear_session_cookie, page_headers, session_challenge,
    session_cookie,
};
pub use key::{MAX_KID_LEN, MIN_SECRET_LEN, SessionKey};
pub use origin::{PortalOrigin, VendorOrigin};
pub use page::{PAGE_SCRIPT, bounce_page};
pub use revocation::{DEFAULT_REVOCATION_CAPACITY, InMemoryRevocationStore, RevocationStore};
pub use ticket::{MAX_RESOURCE_LEN, TICKET_PARAM, TicketClaims};
pub use token::{
    MAX_SESSION_TOKEN_LEN, SESSION_TOKEN_TYPE, SessionClaims, SessionId, SessionToken,
    TICKET_TOKEN_TYPE,
};

use crate::clock::{Clock, SystemClock};
use crate::quoted::Quoted;
use crate::replay::{InMemoryReplayGuard, ReplayEntry, ReplayError, ReplayGuard};
use crate::wire::{IssuerId, LaunchClaims, PluginId, TokenId};
use ticket::{WireTicket, check_resource};
use token::{KeyEntry, WireSession, open, parse_claims, random_id};

/// The default idle lifetime of a session: 15 minutes.
pub const DEFAULT_IDLE_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// The default absolute cap, counted from the launch: 8 hours.
pub const DEFAULT_ABSOLUTE_LIFETIME: Duration = Duration::from_secs(8 * 3600);
/// The default lifetime of a download ticket: 60 seconds.
pub const DEFAULT_TICKET_LIFETIME: Duration = Duration::from_secs(60);
/// How far ahead of this instance's clock a token's `iat` may be (other instances' clocks): 30 s.
pub const ISSUED_AT_LEEWAY: i64 = 30;

const MAX_IDLE: Duration = Duration::from_secs(24 * 3600);
const MAX_ABSOLUTE: Duration = Duration::from_secs(30 * 24 * 3600);
const MAX_TICKET: Duration = Duration::from_secs(300);

/// Mints and verifies the vendor's session tokens and download tickets for one plugin of one
/// portal. Build it once at start-up and share it (`Send + Sync`).
pub struct Sessions {
    issuer: IssuerId,
    plugin: PluginId,
    /// The current key first, then the previous ones (verify only).
    keys: Vec<KeyEntry>,
    idle: i64,
    absolute: i64,
    ticket_lifetime: i64,
    clock: Arc<dyn Clock>,
    revocations: Arc<dyn RevocationStore>,
    tickets: Arc<dyn ReplayGuard>,
    own_origin: Option<VendorOrigin>,
}

/// Configures [`Sessions`]; start with [`Sessions::builder`].
pub struct SessionsBuilder {
    issuer: IssuerId,
    plugin: PluginId,
    key: SessionKey,
    previous: Vec<SessionKey>,
    idle: Duration,
    absolute: Duration,
    ticket_lifetime: Duration,
    clock: Arc<dyn Clock>,
    revocations: Option<Arc<dyn RevocationStore>>,
    tickets: Option<Arc<dyn ReplayGuard>>,
    own_origin: Option<VendorOrigin>,
}

impl SessionsBuilder {
    /// Keys that no longer mint but still verify (rotation: add the new key as current, keep the
    /// old one here for one idle lifetime, then remove it; its tokens then fail as
    /// `session_unknown_kid`).
    pub fn previous_keys(mut self, keys: impl IntoIterator<Item = SessionKey>) -> Self {
        self.previous = keys.into_iter().collect();
        self
    }

    /// How long a session lives without renewal (default 15 minutes; accepted 1 minute to 24
    /// hours, and at most the absolute cap).
    pub fn idle_lifetime(mut self, idle: Duration) -> Self {
        self.idle = idle;
        self
    }

    /// How long a session may be renewed, counted from the launch's `iat` (default 8 hours;
    /// accepted up to 30 days, and at least the idle lifetime).
    pub fn absolute_lifetime(mut self, absolute: Duration) -> Self {
        self.absolute = absolute;
        self
    }

    /// How long a download ticket lives (default 60 s; accepted 5 s to 5 minutes).
    pub fn ticket_lifetime(mut self, lifetime: Duration) -> Self {
        self.ticket_lifetime = lifetime;
        self
    }

    /// The clock (tests inject a [`FixedClock`](crate::FixedClock)).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Where revoked sessions are kept (default: an [`InMemoryRevocationStore`] on this
    /// builder's clock, one process only; several instances share a Redis store). A store given
    /// here must judge expiry by the same clock as the sessions. A logout handler must surface a
    /// failed revocation (a full or unreachable store: 503) rather than report success.
    pub fn revocation_store(mut self, store: Arc<dyn RevocationStore>) -> Self {
        self.revocations = Some(store);
        self
    }

    /// The replay guard that makes tickets single use (default: an [`InMemoryReplayGuard`];
    /// several instances share a `RedisReplayGuard`).
    pub fn ticket_guard(mut self, guard: Arc<dyn ReplayGuard>) -> Self {
        self.tickets = Some(guard);
        self
    }

    /// The vendor's own origin, for the cookie rule of [`Sessions::authenticate`]. Without it, a
    /// cookie-authenticated request with an unsafe method is always refused.
    pub fn vendor_origin(mut self, origin: VendorOrigin) -> Self {
        self.own_origin = Some(origin);
        self
    }

    /// Checks the options and builds the sessions.
    pub fn build(self) -> Result<Sessions, SessionConfigError> {
        let range = |option, value: Duration, min: Duration, max: Duration, expected| {
            if value < min || value > max {
                Err(SessionConfigError::InvalidLifetime { option, expected })
            } else {
                Ok(value.as_secs() as i64)
            }
        };
        let idle = range(
            "idle_lifetime",
            self.idle,
            Duration::from_secs(60),
            MAX_IDLE,
            "1 minute to 24 hours",
        )?;
        let absolute = range(
            "absolute_lifetime",
            self.absolute,
            self.idle,
            MAX_ABSOLUTE,
            "at least the idle lifetime, at most 30 days",
        )?;
        let ticket_lifetime = range(
            "ticket_lifetime",
            self.ticket_lifetime,
            Duration::from_secs(5),
            MAX_TICKET,
            "5 seconds to 5 minutes",
        )?;
        let mut keys: Vec<KeyEntry> = Vec::with_capacity(1 + self.previous.len());
        for key in std::iter::once(self.key).chain(self.previous) {
            if keys.iter().any(|e| e.key.kid() == key.kid()) {
                return Err(SessionConfigError::DuplicateKid {
                    kid: Quoted::ascii(key.kid()),
                });
            }
            keys.push(KeyEntry::new(key));
        }
        Ok(Sessions {
            issuer: self.issuer,
            plugin: self.plugin,
            keys,
            idle,
            absolute,
            ticket_lifetime,
            // The default store judges expiry by the sessions' own clock: on another clock it
            // could sweep as expired a revocation whose session is still live.
            revocations: self.revocations.unwrap_or_else(|| {
                Arc::new(InMemoryRevocationStore::new().clock(Arc::clone(&self.clock)))
            }),
            clock: self.clock,
            tickets: self
                .tickets
                .unwrap_or_else(|| Arc::new(InMemoryReplayGuard::new())),
            own_origin: self.own_origin,
        })
    }
}

impl Sessions {
    /// Starts configuring sessions for launches of `issuer` for `plugin`, minted with `key`.
    ///
    /// Defaults: 15 minutes idle, 8 hours absolute, 60-second tickets, the system clock,
    /// in-memory revocation and ticket single use.
    pub fn builder(issuer: IssuerId, plugin: PluginId, key: SessionKey) -> SessionsBuilder {
        SessionsBuilder {
            issuer,
            plugin,
            key,
            previous: Vec::new(),
            idle: DEFAULT_IDLE_LIFETIME,
            absolute: DEFAULT_ABSOLUTE_LIFETIME,
            ticket_lifetime: DEFAULT_TICKET_LIFETIME,
            clock: Arc::new(SystemClock),
            revocations: None,
            tickets: None,
            own_origin: None,
        }
    }

    /// Starts a session for a verified launch: a new random `sid`, bound to the launch's `iss`,
    /// `aud`, `sub`, `role` and `jti`, expiring at the earlier of now + idle and the launch's
    /// `iat` + the absolute cap.
    pub fn start(&self, launch: &LaunchClaims) -> Result<SessionToken, SessionError> {
        let kind = TokenKind::Session;
        self.check_context(kind, launch.iss.as_str(), launch.aud.as_str())?;
        let now = self.clock.now_unix();
        // A launch minted by a clock slightly ahead of ours: count the cap from our now.
        let lat = launch.iat.min(now);
        let cap = lat.saturating_add(self.absolute);
        if now >= cap {
            return Err(SessionError::TooOld {
                age: now - lat,
                max: self.absolute,
            });
        }
        let claims = SessionClaims {
            iss: launch.iss.clone(),
            aud: launch.aud.clone(),
            sub: launch.sub.clone(),
            role: launch.role,
            lid: launch.jti.clone(),
            sid: SessionId::random()?,
            lat,
            iat: now,
            exp: now.saturating_add(self.idle).min(cap),
        };
        Ok(self.mint_session(&claims, now))
    }

    /// Verifies a session token: size, structure, the exact header of a known key, the MAC, the
    /// claims, issuer and plugin, times (absolute cap, then idle expiry), then revocation.
    pub fn verify(&self, token: &str) -> Result<SessionClaims, SessionError> {
        let kind = TokenKind::Session;
        let payload = open(&self.keys, kind, token)?;
        let claims =
            SessionClaims::from_wire(parse_claims::<WireSession<String>>(kind, &payload)?)?;
        self.check_context(kind, claims.iss.as_str(), claims.aud.as_str())?;
        let now = self.clock.now_unix();
        self.check_issued_at(kind, claims.iat, now)?;
        let age = now.saturating_sub(claims.lat);
        if age >= self.absolute {
            return Err(SessionError::TooOld {
                age,
                max: self.absolute,
            });
        }
        if now >= claims.exp {
            return Err(SessionError::Expired {
                kind,
                seconds_ago: now - claims.exp,
            });
        }
        self.check_not_revoked(kind, &claims.sid)?;
        Ok(claims)
    }

    /// Finds the request's credential ([`extract_credential`], with the vendor origin of the
    /// builder) and verifies it. A bearer token that fails is the answer: the cookie is never
    /// tried in its place.
    pub fn authenticate(
        &self,
        request: &CredentialRequest<'_>,
    ) -> Result<SessionClaims, SessionError> {
        // Without a configured origin, no Origin header matches: unsafe cookie requests fail.
        let credential = credential::extract(request, self.own_origin.as_ref())?;
        self.verify(credential.token())
    }

    /// The session of a bounce page's form POST (PROTOCOL.md §13.5): `session` is the form's
    /// `session` field. Accepted only from the vendor's own origin: `Sec-Fetch-Site: same-origin`,
    /// or an `Origin` equal to the configured vendor origin; otherwise another site could post
    /// its own session into the frame (login CSRF) and this is `credential_origin_mismatch`
    /// (403). Then the session is verified as [`verify`](Self::verify) does.
    ///
    /// ```
    /// # use cv_portal_plugin::{Sessions, SessionKey, VendorOrigin, IssuerId};
    /// # let sessions = Sessions::builder(IssuerId::new("https://portal.example.com")?, "financeiro".parse()?,
    /// #     SessionKey::generate()?).vendor_origin(VendorOrigin::parse("https://erp.example.com")?).build()?;
    /// // A cross-site form post carrying someone's session is refused before it is even read:
    /// let refused = sessions.authenticate_bounce("eyJ...", Some("https://evil.example"), Some("cross-site"));
    /// assert_eq!(refused.unwrap_err().code(), "credential_origin_mismatch");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn authenticate_bounce(
        &self,
        session: &str,
        origin: Option<&str>,
        sec_fetch_site: Option<&str>,
    ) -> Result<SessionClaims, SessionError> {
        let same_site_fetch = sec_fetch_site == Some("same-origin");
        let same_origin = matches!(
            (origin, self.own_origin.as_ref()),
            (Some(origin), Some(own)) if origin == own.as_str()
        );
        if !same_site_fetch && !same_origin {
            return Err(SessionError::CredentialOriginMismatch {
                method: Quoted::ascii("POST"),
                origin: Quoted::ascii(origin.unwrap_or("(none)")),
            });
        }
        self.verify(session)
    }

    /// Whether a renewal is worth it now: past half the idle window since the token was minted,
    /// and the cap still leaves room to extend it.
    pub fn should_renew(&self, claims: &SessionClaims) -> bool {
        let now = self.clock.now_unix();
        let cap = claims.lat.saturating_add(self.absolute);
        now.saturating_sub(claims.iat) >= self.idle / 2 && claims.exp < cap && now < claims.exp
    }

    /// A new token for the same session (same `sid`, `lid`, `lat`) whose idle window starts now,
    /// never past the absolute cap. `None` when it would not expire later than the current one
    /// (the cap is reached) or the session has already ended.
    pub fn renew(&self, claims: &SessionClaims) -> Option<SessionToken> {
        let now = self.clock.now_unix();
        let cap = claims.lat.saturating_add(self.absolute);
        let exp = now.saturating_add(self.idle).min(cap);
        if now >= claims.exp || now >= cap || exp <= claims.exp {
            return None;
        }
        let renewed = SessionClaims {
            iat: now.max(claims.lat),
            exp,
            ..claims.clone()
        };
        Some(self.mint_session(&renewed, now))
    }

    /// Revokes the session (logout, or a person the vendor blocked): its tokens, and its tickets,
    /// fail from now on with `session_revoked`. Kept until the session's absolute cap.
    pub fn revoke(&self, claims: &SessionClaims) -> Result<(), SessionError> {
        let until = claims.lat.saturating_add(self.absolute);
        self.revocations
            .revoke(&claims.sid, until)
            .map_err(|failure| SessionError::StoreUnavailable { failure })
    }

    /// A download ticket for `resource` (a path such as `/boletos/123.pdf`, no query), bound to
    /// the session: single use, valid for the ticket lifetime (never past the session's cap).
    /// Put it in the link as `?ticket=` ([`TICKET_PARAM`]).
    pub fn ticket(&self, claims: &SessionClaims, resource: &str) -> Result<String, SessionError> {
        let kind = TokenKind::Ticket;
        let res = check_resource(resource)?;
        self.check_context(kind, claims.iss.as_str(), claims.aud.as_str())?;
        let now = self.clock.now_unix();
        let cap = claims.lat.saturating_add(self.absolute);
        if now >= cap {
            return Err(SessionError::TooOld {
                age: now - claims.lat,
                max: self.absolute,
            });
        }
        let jti = TokenId::parse(&random_id()?).ok_or(SessionError::RandomUnavailable)?;
        let ticket = TicketClaims {
            iss: claims.iss.clone(),
            aud: claims.aud.clone(),
            sub: claims.sub.clone(),
            role: claims.role,
            sid: claims.sid.clone(),
            res: res.to_owned(),
            jti,
            iat: now,
            exp: now.saturating_add(self.ticket_lifetime).min(cap),
        };
        let minted = self.keys[0].mint(kind, &ticket.to_wire());
        // Never hand out a ticket that `redeem_ticket` would refuse as too large (a long
        // resource full of characters JSON escapes).
        if minted.len() > MAX_SESSION_TOKEN_LEN {
            return Err(SessionError::TooLarge {
                kind,
                len: minted.len(),
                max: MAX_SESSION_TOKEN_LEN,
            });
        }
        Ok(minted)
    }

    /// Redeems a ticket presented at `resource` (the request's path, without the query): checks
    /// it like a session token, then that it was issued for this resource, that its session is
    /// not revoked, and consumes its single use. A second redemption, from any instance sharing
    /// the guard, fails with `ticket_replayed`.
    pub fn redeem_ticket(
        &self,
        ticket: &str,
        resource: &str,
    ) -> Result<TicketClaims, SessionError> {
        let kind = TokenKind::Ticket;
        let payload = open(&self.keys, kind, ticket)?;
        let claims = TicketClaims::from_wire(parse_claims::<WireTicket<String>>(kind, &payload)?)?;
        self.check_context(kind, claims.iss.as_str(), claims.aud.as_str())?;
        let now = self.clock.now_unix();
        self.check_issued_at(kind, claims.iat, now)?;
        if now >= claims.exp {
            return Err(SessionError::Expired {
                kind,
                seconds_ago: now - claims.exp,
            });
        }
        if claims.res != resource {
            return Err(SessionError::WrongResource);
        }
        self.check_not_revoked(kind, &claims.sid)?;
        let entry = ReplayEntry::new(
            TICKET_TOKEN_TYPE,
            claims.aud.as_str(),
            claims.jti.as_str(),
            claims.exp,
            now,
        );
        self.tickets.check_and_insert(&entry).map_err(|e| match e {
            ReplayError::Replayed => SessionError::TicketReplayed,
            ReplayError::Unavailable(failure) => SessionError::TicketGuardUnavailable {
                failure: Some(failure),
            },
            _ => SessionError::TicketGuardUnavailable { failure: None },
        })?;
        Ok(claims)
    }

    /// The idle lifetime.
    pub fn idle_lifetime(&self) -> Duration {
        Duration::from_secs(self.idle as u64)
    }

    /// The absolute cap, counted from the launch.
    pub fn absolute_lifetime(&self) -> Duration {
        Duration::from_secs(self.absolute as u64)
    }

    fn mint_session(&self, claims: &SessionClaims, now: i64) -> SessionToken {
        let token = self.keys[0].mint(TokenKind::Session, &claims.to_wire());
        SessionToken::new(token, claims.exp, now)
    }

    fn check_context(&self, kind: TokenKind, iss: &str, aud: &str) -> Result<(), SessionError> {
        if iss != self.issuer.as_str() {
            return Err(SessionError::WrongIssuer {
                kind,
                expected: self.issuer.as_str().to_owned(),
                found: Quoted::ascii(iss),
            });
        }
        if aud != self.plugin.as_str() {
            return Err(SessionError::WrongAudience {
                kind,
                expected: self.plugin.as_str().to_owned(),
                found: Quoted::ascii(aud),
            });
        }
        Ok(())
    }

    fn check_issued_at(&self, kind: TokenKind, iat: i64, now: i64) -> Result<(), SessionError> {
        if iat > now.saturating_add(ISSUED_AT_LEEWAY) {
            return Err(SessionError::IssuedInFuture {
                kind,
                seconds_ahead: iat - now,
            });
        }
        Ok(())
    }

    fn check_not_revoked(&self, kind: TokenKind, sid: &SessionId) -> Result<(), SessionError> {
        match self.revocations.is_revoked(sid) {
            Ok(false) => Ok(()),
            Ok(true) => Err(SessionError::Revoked { kind }),
            Err(failure) => Err(SessionError::StoreUnavailable { failure }),
        }
    }
}

impl fmt::Debug for Sessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sessions")
            .field("issuer", &self.issuer)
            .field("plugin", &self.plugin)
            .field(
                "kids",
                &self.keys.iter().map(|e| e.key.kid()).collect::<Vec<_>>(),
            )
            .field("idle", &self.idle)
            .field("absolute", &self.absolute)
            .field("ticket_lifetime", &self.ticket_lifetime)
            .field("vendor_origin", &self.own_origin)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for SessionsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionsBuilder")
            .field("issuer", &self.issuer)
            .field("plugin", &self.plugin)
            .field("kid", &self.key.kid())
            .field("previous_keys", &self.previous.len())
            .field("idle", &self.idle)
            .field("absolute", &self.absolute)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
