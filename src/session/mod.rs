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
//! // One instance: revocations and ticket single use in memory. Several instances share Redis:
//! // `.revocation_store(..)` and `.ticket_guard(..)` (or their `_async` forms, for async services).
//! .single_instance()
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

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
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
pub use revocation::{
    AsyncRevocationStore, DEFAULT_REVOCATION_CAPACITY, InMemoryRevocationStore,
    NonBlockingRevocationStore, RevocationFuture, RevocationStore,
};
pub use ticket::{MAX_RESOURCE_LEN, TICKET_PARAM, TicketClaims};
pub use token::{
    MAX_SESSION_TOKEN_LEN, SESSION_TOKEN_TYPE, SessionClaims, SessionId, SessionToken,
    TICKET_TOKEN_TYPE,
};

use crate::clock::{Clock, SystemClock};
use crate::quoted::Quoted;
use crate::replay::{
    AsyncReplayGuard, InMemoryReplayGuard, NonBlockingReplayGuard, ReplayEntry, ReplayError,
    ReplayGuard, StoreCause, StoreFailure,
};
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

/// Mints and verifies the vendor's session tokens and download tickets for the (portal, plugin)
/// pairs it serves: one pair ([`Sessions::builder`]), or many portals with one session key, as a
/// [`PortalRegistry`](crate::PortalRegistry) serves them ([`SessionsBuilder::portal`],
/// [`Sessions::insert_portal`], [`Sessions::remove_portal`]). A session keeps the `iss` and `aud`
/// of its launch; it is accepted only while that pair is served, and is always that portal's.
/// Build it once at start-up and share it (`Send + Sync`).
///
/// ## Which methods: blocking or async
///
/// Revocation and ticket single use ask a store. A store on the network must not block an async
/// service's runtime thread, so each store is given for one path:
///
/// | store given with | blocking methods (`verify`, `authenticate`, `revoke`, `redeem_ticket`) | `…_async` methods (and `axum::Session`) |
/// |---|---|---|
/// | `single_instance()`, `…_non_blocking(..)` (memory) | asked | asked (ready at once) |
/// | `revocation_store`, `ticket_guard` (blocking, e.g. Redis) | asked | refused: 503, cause `blocking_only` |
/// | `revocation_store_async`, `ticket_guard_async` (async Redis) | refused: 503, cause `async_only` | awaited |
///
/// A refusal is `session_store_unavailable` or `ticket_guard_unavailable` (503): a check is never
/// skipped, and no runtime thread ever waits on the network.
pub struct Sessions {
    /// The issuers served, each with its plugins.
    portals: RwLock<BTreeMap<IssuerId, BTreeSet<PluginId>>>,
    /// The current key first, then the previous ones (verify only).
    keys: Vec<KeyEntry>,
    idle: i64,
    absolute: i64,
    ticket_lifetime: i64,
    clock: Arc<dyn Clock>,
    revocations: Revocations,
    tickets: Tickets,
    own_origin: Option<VendorOrigin>,
}

/// Where revocations are kept, and on which path they are asked.
enum Revocations {
    /// A blocking store: the blocking path only.
    Blocking(Arc<dyn RevocationStore>),
    /// An async store: the async path only.
    Async(Arc<dyn AsyncRevocationStore>),
    /// A store that answers from memory: both paths.
    NonBlocking(NonBlockingRevocationStore),
}

/// What keeps tickets single use, and on which path it is asked.
enum Tickets {
    /// A blocking guard: the blocking path only.
    Blocking(Arc<dyn ReplayGuard>),
    /// An async guard: the async path only.
    Async(Arc<dyn AsyncReplayGuard>),
    /// A guard that answers from memory: both paths.
    NonBlocking(NonBlockingReplayGuard),
}

/// Configures [`Sessions`]; start with [`Sessions::builder`] or [`Sessions::builder_for_portals`].
pub struct SessionsBuilder {
    portals: BTreeMap<IssuerId, BTreeSet<PluginId>>,
    key: SessionKey,
    previous: Vec<SessionKey>,
    idle: Duration,
    absolute: Duration,
    ticket_lifetime: Duration,
    clock: Arc<dyn Clock>,
    revocations: Option<Revocations>,
    tickets: Option<Tickets>,
    single_instance: bool,
    own_origin: Option<VendorOrigin>,
}

impl SessionsBuilder {
    /// Also serves sessions of launches of `issuer` for `plugin` (a vendor serving many portals
    /// with one session key; call it once per pair). Portals can also be added and removed
    /// later ([`Sessions::insert_portal`], [`Sessions::remove_portal`]).
    pub fn portal(mut self, issuer: IssuerId, plugin: PluginId) -> Self {
        self.portals.entry(issuer).or_default().insert(plugin);
        self
    }

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

    /// One process keeps everything in memory: every store not given otherwise is in memory (an
    /// [`InMemoryRevocationStore`] on this builder's clock, an [`InMemoryReplayGuard`] for
    /// tickets), asked on both paths. With several instances each would know only its own
    /// revocations and redemptions (a ticket would redeem once per instance): give shared stores
    /// instead. [`build`](Self::build) requires this or the stores.
    pub fn single_instance(mut self) -> Self {
        self.single_instance = true;
        self
    }

    /// Where revoked sessions are kept, for the blocking methods: a blocking store (a
    /// `RedisRevocationStore` shared by every instance). The `…_async` methods refuse with
    /// `session_store_unavailable` (cause `blocking_only`) rather than block a runtime thread on
    /// it: async services give [`revocation_store_async`](Self::revocation_store_async).
    ///
    /// A store given here must judge expiry by the same clock as the sessions. A logout handler
    /// must surface a failed revocation (a full or unreachable store: 503) rather than report
    /// success.
    pub fn revocation_store(mut self, store: Arc<dyn RevocationStore>) -> Self {
        self.revocations = Some(Revocations::Blocking(store));
        self
    }

    /// Where revoked sessions are kept, for async services: an [`AsyncRevocationStore`] (an
    /// `AsyncRedisRevocationStore`, feature `redis-async`), awaited by the `…_async` methods and
    /// `axum::Session` (feature `axum`). The blocking methods then have no store to ask
    /// and refuse with `session_store_unavailable` (cause `async_only`), never skipping the check.
    pub fn revocation_store_async(mut self, store: Arc<dyn AsyncRevocationStore>) -> Self {
        self.revocations = Some(Revocations::Async(store));
        self
    }

    /// Where revoked sessions are kept, for both paths: a store that answers from memory (an
    /// [`InMemoryRevocationStore`] of your own capacity, wrapped).
    pub fn revocation_store_non_blocking(mut self, store: NonBlockingRevocationStore) -> Self {
        self.revocations = Some(Revocations::NonBlocking(store));
        self
    }

    /// The replay guard that makes tickets single use, for the blocking
    /// [`redeem_ticket`](Sessions::redeem_ticket): a blocking guard (a `RedisReplayGuard` shared
    /// by every instance). [`redeem_ticket_async`](Sessions::redeem_ticket_async) asks it only if
    /// it answers from memory (an `InMemoryReplayGuard`), and otherwise refuses with
    /// `ticket_guard_unavailable` (cause `blocking_only`).
    pub fn ticket_guard(mut self, guard: Arc<dyn ReplayGuard>) -> Self {
        self.tickets = Some(Tickets::Blocking(guard));
        self
    }

    /// The replay guard that makes tickets single use, for async services (an
    /// `AsyncRedisReplayGuard`), awaited by [`redeem_ticket_async`](Sessions::redeem_ticket_async);
    /// the blocking [`redeem_ticket`](Sessions::redeem_ticket) refuses with
    /// `ticket_guard_unavailable` (cause `async_only`).
    pub fn ticket_guard_async(mut self, guard: Arc<dyn AsyncReplayGuard>) -> Self {
        self.tickets = Some(Tickets::Async(guard));
        self
    }

    /// The replay guard that makes tickets single use, for both paths: a guard that answers from
    /// memory (an [`InMemoryReplayGuard`], for instance the one the launch verifier shares).
    pub fn ticket_guard_non_blocking(mut self, guard: NonBlockingReplayGuard) -> Self {
        self.tickets = Some(Tickets::NonBlocking(guard));
        self
    }

    /// The vendor's own origin, for the cookie rule of [`Sessions::authenticate`]. Without it, a
    /// cookie-authenticated request with an unsafe method is always refused.
    pub fn vendor_origin(mut self, origin: VendorOrigin) -> Self {
        self.own_origin = Some(origin);
        self
    }

    /// Checks the options and builds the sessions. Fails with
    /// [`SessionConfigError::NoStores`] until revocation and ticket single use are chosen
    /// ([`single_instance`](Self::single_instance), or the stores).
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
        let missing = match (
            self.revocations.is_some() || self.single_instance,
            self.tickets.is_some() || self.single_instance,
        ) {
            (true, true) => None,
            (false, true) => Some("revocations"),
            (true, false) => Some("ticket single use"),
            (false, false) => Some("revocations and ticket single use"),
        };
        if let Some(missing) = missing {
            return Err(SessionConfigError::NoStores { missing });
        }
        Ok(Sessions {
            portals: RwLock::new(self.portals),
            keys,
            idle,
            absolute,
            ticket_lifetime,
            // The in-memory store judges expiry by the sessions' own clock: on another clock it
            // could sweep as expired a revocation whose session is still live.
            revocations: self.revocations.unwrap_or_else(|| {
                Revocations::NonBlocking(NonBlockingRevocationStore::new(Arc::new(
                    InMemoryRevocationStore::new().clock(Arc::clone(&self.clock)),
                )))
            }),
            clock: self.clock,
            tickets: self.tickets.unwrap_or_else(|| {
                Tickets::NonBlocking(NonBlockingReplayGuard::new(Arc::new(
                    InMemoryReplayGuard::new(),
                )))
            }),
            own_origin: self.own_origin,
        })
    }
}

impl Sessions {
    /// Starts configuring sessions for launches of `issuer` for `plugin`, minted with `key`
    /// (more pairs with [`SessionsBuilder::portal`]).
    ///
    /// Defaults: 15 minutes idle, 8 hours absolute, 60-second tickets, the system clock. There is
    /// no default store: choose [`single_instance`](SessionsBuilder::single_instance) or the
    /// stores (see [`Sessions`] for which suits the blocking or the async methods).
    pub fn builder(issuer: IssuerId, plugin: PluginId, key: SessionKey) -> SessionsBuilder {
        Sessions::builder_for_portals(key).portal(issuer, plugin)
    }

    /// Starts configuring sessions for many portals, minted with `key`, serving no (portal,
    /// plugin) pair yet: add them with [`SessionsBuilder::portal`] (one per pair a
    /// [`PortalRegistry`](crate::PortalRegistry) hosts) or later with
    /// [`insert_portal`](Self::insert_portal). Until then every session is refused as
    /// `session_wrong_issuer`.
    ///
    /// ```
    /// use cv_portal_plugin::{IssuerId, SessionKey, Sessions};
    /// let (alfa, beta) = (IssuerId::new("https://portal.alfa.com.br")?, IssuerId::new("https://portal.beta.com.br")?);
    /// let sessions = Sessions::builder_for_portals(SessionKey::generate()?)
    ///     .portal(alfa.clone(), "financeiro".parse()?)
    ///     .portal(beta.clone(), "financeiro".parse()?)
    ///     .single_instance()
    ///     .build()?;
    /// assert!(sessions.serves(&beta, &"financeiro".parse()?));
    /// // The portal leaves: its sessions are refused from now on.
    /// assert!(sessions.remove_portal(&beta));
    /// assert!(!sessions.serves(&beta, &"financeiro".parse()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder_for_portals(key: SessionKey) -> SessionsBuilder {
        SessionsBuilder {
            portals: BTreeMap::new(),
            key,
            previous: Vec::new(),
            idle: DEFAULT_IDLE_LIFETIME,
            absolute: DEFAULT_ABSOLUTE_LIFETIME,
            ticket_lifetime: DEFAULT_TICKET_LIFETIME,
            clock: Arc::new(SystemClock),
            revocations: None,
            tickets: None,
            single_instance: false,
            own_origin: None,
        }
    }

    /// Serves sessions of `issuer` for `plugins` from now on, replacing the plugins it had (a
    /// portal added to, or changed in, the vendor's [`PortalRegistry`](crate::PortalRegistry)).
    /// Returns whether the portal was served before.
    pub fn insert_portal(
        &self,
        issuer: IssuerId,
        plugins: impl IntoIterator<Item = PluginId>,
    ) -> bool {
        let plugins: BTreeSet<PluginId> = plugins.into_iter().collect();
        let mut portals = self.portals.write().unwrap_or_else(PoisonError::into_inner);
        portals.insert(issuer, plugins).is_some()
    }

    /// Stops serving the portal `issuer`: its sessions and tickets are refused from now on
    /// (`session_wrong_issuer`, `ticket_wrong_issuer`), and none can be started. Returns whether
    /// it was served.
    pub fn remove_portal(&self, issuer: &IssuerId) -> bool {
        let mut portals = self.portals.write().unwrap_or_else(PoisonError::into_inner);
        portals.remove(issuer).is_some()
    }

    /// Whether sessions of `issuer` for `plugin` are served.
    pub fn serves(&self, issuer: &IssuerId, plugin: &PluginId) -> bool {
        let portals = self.portals.read().unwrap_or_else(PoisonError::into_inner);
        portals
            .get(issuer)
            .is_some_and(|plugins| plugins.contains(plugin))
    }

    /// The portals served, in order.
    pub fn issuers(&self) -> Vec<IssuerId> {
        let portals = self.portals.read().unwrap_or_else(PoisonError::into_inner);
        portals.keys().cloned().collect()
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
    /// claims, issuer and plugin (a pair served), times (absolute cap, then idle expiry), then
    /// revocation, asked of a blocking or in-memory store (an async-only store refuses: use
    /// [`verify_async`](Self::verify_async)).
    pub fn verify(&self, token: &str) -> Result<SessionClaims, SessionError> {
        let claims = self.check_session(token)?;
        self.check_not_revoked(TokenKind::Session, &claims.sid)?;
        Ok(claims)
    }

    /// [`verify`](Self::verify) for async services: revocation is awaited on the async store
    /// ([`SessionsBuilder::revocation_store_async`]) or asked of the in-memory one, never of a
    /// blocking store (that refuses with `session_store_unavailable`, cause `blocking_only`).
    pub async fn verify_async(&self, token: &str) -> Result<SessionClaims, SessionError> {
        let claims = self.check_session(token)?;
        self.check_not_revoked_async(TokenKind::Session, &claims.sid)
            .await?;
        Ok(claims)
    }

    /// Every check of a session token but revocation.
    fn check_session(&self, token: &str) -> Result<SessionClaims, SessionError> {
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
        Ok(claims)
    }

    /// Finds the request's credential ([`extract_credential`], with the vendor origin of the
    /// builder) and verifies it ([`verify`](Self::verify)). A bearer token that fails is the
    /// answer: the cookie is never tried in its place. Async services call
    /// [`authenticate_async`](Self::authenticate_async).
    pub fn authenticate(
        &self,
        request: &CredentialRequest<'_>,
    ) -> Result<SessionClaims, SessionError> {
        // Without a configured origin, no Origin header matches: unsafe cookie requests fail.
        let credential = credential::extract(request, self.own_origin.as_ref())?;
        self.verify(credential.token())
    }

    /// [`authenticate`](Self::authenticate) for async services (what
    /// `axum::Session` (feature `axum`) calls): revocation is awaited, never asked of a
    /// blocking store on the runtime's thread (see [`verify_async`](Self::verify_async)).
    pub async fn authenticate_async(
        &self,
        request: &CredentialRequest<'_>,
    ) -> Result<SessionClaims, SessionError> {
        let credential = credential::extract(request, self.own_origin.as_ref())?;
        self.verify_async(credential.token()).await
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
    /// #     SessionKey::generate()?).vendor_origin(VendorOrigin::parse("https://erp.example.com")?).single_instance().build()?;
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
        self.check_bounce_origin(origin, sec_fetch_site)?;
        self.verify(session)
    }

    /// [`authenticate_bounce`](Self::authenticate_bounce) for async services: revocation is
    /// awaited (see [`verify_async`](Self::verify_async)).
    pub async fn authenticate_bounce_async(
        &self,
        session: &str,
        origin: Option<&str>,
        sec_fetch_site: Option<&str>,
    ) -> Result<SessionClaims, SessionError> {
        self.check_bounce_origin(origin, sec_fetch_site)?;
        self.verify_async(session).await
    }

    fn check_bounce_origin(
        &self,
        origin: Option<&str>,
        sec_fetch_site: Option<&str>,
    ) -> Result<(), SessionError> {
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
        Ok(())
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
    /// fail from now on with `session_revoked`. Kept until the session's absolute cap. An
    /// async-only store refuses here: use [`revoke_async`](Self::revoke_async).
    pub fn revoke(&self, claims: &SessionClaims) -> Result<(), SessionError> {
        let until = claims.lat.saturating_add(self.absolute);
        let result = match &self.revocations {
            Revocations::Blocking(store) => store.revoke(&claims.sid, until),
            Revocations::NonBlocking(store) => store.inner().revoke(&claims.sid, until),
            Revocations::Async(_) => Err(StoreFailure::new("revoke", StoreCause::AsyncOnly)),
        };
        result.map_err(|failure| SessionError::StoreUnavailable { failure })
    }

    /// [`revoke`](Self::revoke) for async services: awaited on the async store, never asked of a
    /// blocking one (`session_store_unavailable`, cause `blocking_only`).
    pub async fn revoke_async(&self, claims: &SessionClaims) -> Result<(), SessionError> {
        let until = claims.lat.saturating_add(self.absolute);
        let result = match &self.revocations {
            Revocations::Async(store) => store.revoke(&claims.sid, until).await,
            Revocations::NonBlocking(store) => store.inner().revoke(&claims.sid, until),
            Revocations::Blocking(_) => Err(StoreFailure::new("revoke", StoreCause::BlockingOnly)),
        };
        result.map_err(|failure| SessionError::StoreUnavailable { failure })
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
    /// the guard, fails with `ticket_replayed`. An async-only store or guard refuses here (503):
    /// use [`redeem_ticket_async`](Self::redeem_ticket_async).
    pub fn redeem_ticket(
        &self,
        ticket: &str,
        resource: &str,
    ) -> Result<TicketClaims, SessionError> {
        let (claims, now) = self.check_ticket(ticket, resource)?;
        self.check_not_revoked(TokenKind::Ticket, &claims.sid)?;
        let entry = ticket_entry(&claims, now);
        let consumed = match &self.tickets {
            Tickets::Blocking(guard) => guard.check_and_insert(&entry),
            Tickets::NonBlocking(guard) => guard.inner().check_and_insert(&entry),
            Tickets::Async(_) => Err(ReplayError::Unavailable(StoreFailure::new(
                "check_and_insert",
                StoreCause::AsyncOnly,
            ))),
        };
        consumed.map_err(ticket_refusal)?;
        Ok(claims)
    }

    /// [`redeem_ticket`](Self::redeem_ticket) for async services: revocation and single use are
    /// awaited on the async store and guard, never asked of blocking ones (503, cause
    /// `blocking_only`). A ticket is consumed only once every other check passed: a refusal
    /// (revoked session, store outage) leaves it redeemable.
    pub async fn redeem_ticket_async(
        &self,
        ticket: &str,
        resource: &str,
    ) -> Result<TicketClaims, SessionError> {
        let (claims, now) = self.check_ticket(ticket, resource)?;
        self.check_not_revoked_async(TokenKind::Ticket, &claims.sid)
            .await?;
        let entry = ticket_entry(&claims, now);
        let consumed = match &self.tickets {
            Tickets::Async(guard) => guard.check_and_insert(&entry).await,
            Tickets::NonBlocking(guard) => guard.inner().check_and_insert(&entry),
            // A guard that answers from memory (an `InMemoryReplayGuard`) blocks on nothing.
            Tickets::Blocking(guard) if guard.answers_from_memory() => {
                guard.check_and_insert(&entry)
            }
            Tickets::Blocking(_) => Err(ReplayError::Unavailable(StoreFailure::new(
                "check_and_insert",
                StoreCause::BlockingOnly,
            ))),
        };
        consumed.map_err(ticket_refusal)?;
        Ok(claims)
    }

    /// Every check of a ticket but revocation and single use; also returns the time it used.
    fn check_ticket(
        &self,
        ticket: &str,
        resource: &str,
    ) -> Result<(TicketClaims, i64), SessionError> {
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
        Ok((claims, now))
    }

    /// The idle lifetime.
    pub fn idle_lifetime(&self) -> Duration {
        Duration::from_secs(self.idle as u64)
    }

    /// The absolute cap, counted from the launch.
    pub fn absolute_lifetime(&self) -> Duration {
        Duration::from_secs(self.absolute as u64)
    }

    /// How the stores were given, for Debug: which path each serves.
    fn stores(&self) -> (&'static str, &'static str) {
        let revocations = match self.revocations {
            Revocations::Blocking(_) => "revocations: blocking",
            Revocations::Async(_) => "revocations: async",
            Revocations::NonBlocking(_) => "revocations: in memory",
        };
        let tickets = match self.tickets {
            Tickets::Blocking(_) => "tickets: blocking",
            Tickets::Async(_) => "tickets: async",
            Tickets::NonBlocking(_) => "tickets: in memory",
        };
        (revocations, tickets)
    }

    fn mint_session(&self, claims: &SessionClaims, now: i64) -> SessionToken {
        let token = self.keys[0].mint(TokenKind::Session, &claims.to_wire());
        SessionToken::new(token, claims.exp, now)
    }

    /// Whether (`iss`, `aud`) is a pair served: an issuer not served is the wrong issuer, a
    /// plugin that issuer is not served for the wrong audience.
    fn check_context(&self, kind: TokenKind, iss: &str, aud: &str) -> Result<(), SessionError> {
        let portals = self.portals.read().unwrap_or_else(PoisonError::into_inner);
        let Some((issuer, plugins)) = portals.iter().find(|(issuer, _)| issuer.as_str() == iss)
        else {
            return Err(SessionError::WrongIssuer {
                kind,
                expected: expected(portals.keys().map(IssuerId::as_str), "portals"),
                found: Quoted::ascii(iss),
            });
        };
        if !plugins.iter().any(|plugin| plugin.as_str() == aud) {
            return Err(SessionError::WrongAudience {
                kind,
                expected: expected(
                    plugins.iter().map(PluginId::as_str),
                    &format!("plugins for {}", issuer.as_str()),
                ),
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
        let answer = match &self.revocations {
            Revocations::Blocking(store) => store.is_revoked(sid),
            Revocations::NonBlocking(store) => store.inner().is_revoked(sid),
            Revocations::Async(_) => Err(StoreFailure::new("is_revoked", StoreCause::AsyncOnly)),
        };
        revocation_answer(kind, answer)
    }

    async fn check_not_revoked_async(
        &self,
        kind: TokenKind,
        sid: &SessionId,
    ) -> Result<(), SessionError> {
        let answer = match &self.revocations {
            Revocations::Async(store) => store.is_revoked(sid).await,
            Revocations::NonBlocking(store) => store.inner().is_revoked(sid),
            Revocations::Blocking(_) => {
                Err(StoreFailure::new("is_revoked", StoreCause::BlockingOnly))
            }
        };
        revocation_answer(kind, answer)
    }
}

/// What an `expected` field says: the one value configured, or how many there are.
fn expected<'a>(mut values: impl ExactSizeIterator<Item = &'a str>, what: &str) -> String {
    match values.len() {
        0 => format!("none (no {what} configured)"),
        1 => values.next().unwrap_or_default().to_owned(),
        n => format!("one of {n} {what}"),
    }
}

fn revocation_answer(
    kind: TokenKind,
    answer: Result<bool, StoreFailure>,
) -> Result<(), SessionError> {
    match answer {
        Ok(false) => Ok(()),
        Ok(true) => Err(SessionError::Revoked { kind }),
        Err(failure) => Err(SessionError::StoreUnavailable { failure }),
    }
}

/// The single-use entry of a checked ticket.
fn ticket_entry(claims: &TicketClaims, now: i64) -> ReplayEntry<'_> {
    ReplayEntry::new(
        TICKET_TOKEN_TYPE,
        claims.aud.as_str(),
        claims.jti.as_str(),
        claims.exp,
        now,
    )
}

fn ticket_refusal(error: ReplayError) -> SessionError {
    match error {
        ReplayError::Replayed => SessionError::TicketReplayed,
        ReplayError::Unavailable(failure) => SessionError::TicketGuardUnavailable {
            failure: Some(failure),
        },
        _ => SessionError::TicketGuardUnavailable { failure: None },
    }
}

impl fmt::Debug for Sessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let portals = self.portals.read().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("Sessions")
            .field("portals", &*portals)
            .field(
                "kids",
                &self.keys.iter().map(|e| e.key.kid()).collect::<Vec<_>>(),
            )
            .field("idle", &self.idle)
            .field("absolute", &self.absolute)
            .field("ticket_lifetime", &self.ticket_lifetime)
            .field("vendor_origin", &self.own_origin)
            .field("stores", &self.stores())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for SessionsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionsBuilder")
            .field("portals", &self.portals)
            .field("kid", &self.key.kid())
            .field("previous_keys", &self.previous.len())
            .field("idle", &self.idle)
            .field("absolute", &self.absolute)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
