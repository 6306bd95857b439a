//! [`PortalRegistry`]: one vendor, many portals. Routes each launch token to the portal it claims
//! to come from, then verifies it in full against that portal's keys and plugins (PROTOCOL.md §6,
//! "Serving several portals").
//!
//! The unverified `iss` only picks the portal, and an issuer that is not registered is refused
//! (`unknown_issuer`) before any key is looked at, so no token can make the vendor fetch anything
//! for an issuer it was not configured with. Each portal has its own [`KeySource`]: the same `kid`
//! published by two portals is two lookups in two sets, never one.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::clock::Clock;
use crate::keys::KeySource;
use crate::quoted::Quoted;
use crate::replay::{AsyncReplayGuard, ReplayGuard};
use crate::verify::{Fault, UntrustedToken, Verifier, VerifierConfigError, VerifyError};
use crate::wire::{Delivery, IssuerId, LaunchClaims, PluginId};

/// One portal as the vendor is configured for it: its issuer id, its keys, the plugins the vendor
/// hosts for it, and how strictly to check time. Added to a [`PortalRegistry`].
///
/// ```
/// use std::sync::Arc;
/// use cv_portal_plugin::keys::KeySource;
/// use cv_portal_plugin::{InMemoryReplayGuard, IssuerId, Portal, PortalRegistry};
///
/// let registry = PortalRegistry::new(Arc::new(InMemoryReplayGuard::new()));
/// let portal = Portal::new(
///     IssuerId::new("https://portal.construtora.com.br")?,
///     Arc::new(KeySource::new()),
/// )
/// .plugin("financeiro".parse()?)
/// .plugin("boletos".parse()?);
/// registry.insert(portal)?;
/// assert_eq!(registry.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Portal {
    issuer: IssuerId,
    keys: Arc<KeySource>,
    plugins: BTreeSet<PluginId>,
    deliveries: HashMap<PluginId, Delivery>,
    leeway: Option<(Duration, bool)>,
    clock: Option<Arc<dyn Clock>>,
}

impl Portal {
    /// A portal with issuer id `issuer` whose keys come from `keys` (refreshed by the vendor's
    /// driver, [`KeySource::run_refresh`], or pushed). Host at least one plugin with
    /// [`plugin`](Self::plugin).
    pub fn new(issuer: IssuerId, keys: Arc<KeySource>) -> Portal {
        Portal {
            issuer,
            keys,
            plugins: BTreeSet::new(),
            deliveries: HashMap::new(),
            leeway: None,
            clock: None,
        }
    }

    /// A plugin the vendor hosts for this portal: tokens whose `aud` is this id verify, however
    /// they arrive. Prefer [`plugin_with_delivery`](Self::plugin_with_delivery), which also
    /// holds the plugin to the one delivery the portal uses for it.
    pub fn plugin(mut self, plugin: PluginId) -> Self {
        self.deliveries.remove(&plugin);
        self.plugins.insert(plugin);
        self
    }

    /// A plugin the vendor hosts for this portal, launched only by `delivery` (PROTOCOL.md §5:
    /// the portal uses one delivery per plugin, and the vendor accepts that one). The registry
    /// verifies its tokens as [`plugin`](Self::plugin) does; [`PortalRegistry::delivery`] tells
    /// the launch handler which delivery to require (the `axum` feature's `Launch` refuses the
    /// other one with `wrong_delivery`). A form-POST plugin then never takes a token from a URL,
    /// where it may have leaked.
    pub fn plugin_with_delivery(mut self, plugin: PluginId, delivery: Delivery) -> Self {
        self.deliveries.insert(plugin.clone(), delivery);
        self.plugins.insert(plugin);
        self
    }

    /// A leeway of at most the default 30 seconds (see [`VerifierBuilder::leeway`](crate::VerifierBuilder::leeway)).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = Some((leeway, false));
        self
    }

    /// A leeway above the default, up to 5 minutes (see
    /// [`VerifierBuilder::dangerous_extended_leeway`](crate::VerifierBuilder::dangerous_extended_leeway)).
    pub fn dangerous_extended_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = Some((leeway, true));
        self
    }

    /// The clock (tests inject a [`FixedClock`](crate::FixedClock)).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The portal's issuer id.
    pub fn issuer(&self) -> &IssuerId {
        &self.issuer
    }
}

impl fmt::Debug for Portal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Portal")
            .field("issuer", &self.issuer)
            .field("plugins", &self.plugins)
            .field("deliveries", &self.deliveries)
            .field("leeway", &self.leeway)
            .finish_non_exhaustive()
    }
}

/// A registered portal: one verifier per hosted plugin, all over the portal's one key source.
struct Entry {
    keys: Arc<KeySource>,
    verifiers: HashMap<PluginId, Verifier>,
    /// The one delivery of each plugin that has one.
    deliveries: HashMap<PluginId, Delivery>,
    /// The verifier that checks a token whose `aud` is not hosted (the first plugin in order), so
    /// that it is refused by the first failing check of PROTOCOL.md §6, as one verifier would.
    fallback: PluginId,
}

/// A launch verified by a [`PortalRegistry`]: the claims, the portal they came from, and the
/// token itself, which the vendor redeems once for the person's data (PROTOCOL.md §11). `Debug`
/// never shows the token.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifiedLaunch {
    claims: LaunchClaims,
    token: String,
}

impl fmt::Debug for VerifiedLaunch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedLaunch")
            .field("claims", &self.claims)
            .field("token", &format_args!("<{} bytes>", self.token.len()))
            .finish()
    }
}

impl VerifiedLaunch {
    /// The portal the launch came from (its verified `iss`).
    pub fn portal(&self) -> &IssuerId {
        self.claims.issuer()
    }

    /// The verified claims.
    pub fn claims(&self) -> &LaunchClaims {
        &self.claims
    }

    /// The verified claims, by value.
    pub fn into_claims(self) -> LaunchClaims {
        self.claims
    }

    /// The launch token as presented, for its one redemption at the portal's client-data
    /// endpoint: `ClientDataRequest::for_launch(&discovery, launch.claims(), launch.token())`.
    /// Never log it, put it in a URL or a page, or keep it past that request.
    pub fn token(&self) -> &str {
        &self.token
    }
}

/// Why a [`PortalRegistry`] refused a token. Each variant has a stable [`code`](Self::code) and
/// names the portal when the token could be routed to one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The token could not be read far enough to route it (its structure, header, or `iss`): the
    /// [`VerifyError`] of the check that failed.
    #[error("{0}")]
    Unrouted(VerifyError),
    /// The token's `iss` is not a registered portal. Nothing was fetched for it.
    #[error("no portal is registered with issuer {found}")]
    UnknownIssuer {
        /// The `iss` found (excerpt, unverified).
        found: Quoted,
    },
    /// The token claims a registered portal, but its `aud` is not a plugin hosted for it. The
    /// token was verified against the portal's keys up to the audience check, so this is only
    /// reported for a token that portal really signed (code `wrong_audience`).
    #[error("plugin {found} is not hosted for portal \"{portal}\"")]
    NotHosted {
        /// The portal.
        portal: IssuerId,
        /// The `aud` found (excerpt).
        found: Quoted,
    },
    /// The token was routed to `portal` and refused by its verification.
    #[error("portal \"{portal}\": {error}")]
    Verify {
        /// The portal the token claims to come from.
        portal: IssuerId,
        /// Why it was refused.
        error: VerifyError,
    },
}

impl RegistryError {
    /// The stable machine-readable code: `unknown_issuer`, `wrong_audience` for a plugin not
    /// hosted for the portal, or the [`VerifyError::code`] of the failing check.
    pub fn code(&self) -> &'static str {
        match self {
            RegistryError::Unrouted(error) | RegistryError::Verify { error, .. } => error.code(),
            RegistryError::UnknownIssuer { .. } => "unknown_issuer",
            RegistryError::NotHosted { .. } => "wrong_audience",
        }
    }

    /// Whose fault it is: [`Fault::Token`] (401) but for the verifier's own outages
    /// (`keys_unavailable`, `replay_store_unavailable`, `replay_capacity_exceeded`: 503).
    pub fn fault(&self) -> Fault {
        match self {
            RegistryError::Unrouted(error) | RegistryError::Verify { error, .. } => error.fault(),
            RegistryError::UnknownIssuer { .. } | RegistryError::NotHosted { .. } => Fault::Token,
        }
    }

    /// The portal the token was routed to, if it was.
    pub fn portal(&self) -> Option<&IssuerId> {
        match self {
            RegistryError::Verify { portal, .. } | RegistryError::NotHosted { portal, .. } => {
                Some(portal)
            }
            _ => None,
        }
    }

    /// The codes of this enum's own variants; the others carry [`VerifyError::ALL_CODES`].
    pub const OWN_CODES: &'static [&'static str] = &["unknown_issuer"];
}

/// Why a portal could not be added to a [`PortalRegistry`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PortalConfigError {
    /// The portal hosts no plugin: no token could ever verify.
    #[error("portal \"{portal}\" hosts no plugin")]
    NoPlugin {
        /// The portal.
        portal: IssuerId,
    },
    /// The portal's key source is already the key source of another registered portal: a key
    /// of either portal would then verify tokens claiming to come from the other. Give each
    /// portal its own `KeySource`.
    #[error("portal \"{portal}\" shares its key source with portal \"{with}\"")]
    SharedKeySource {
        /// The portal being added.
        portal: IssuerId,
        /// The registered portal holding the same key source.
        with: IssuerId,
    },
    /// A verifier for the portal could not be built (a leeway out of range).
    #[error("portal \"{portal}\": {error}")]
    Verifier {
        /// The portal.
        portal: IssuerId,
        /// Why.
        error: VerifierConfigError,
    },
}

impl PortalConfigError {
    /// The stable machine-readable code: `no_plugin`, `key_source_shared`, or the
    /// [`VerifierConfigError::code`].
    pub fn code(&self) -> &'static str {
        match self {
            PortalConfigError::NoPlugin { .. } => "no_plugin",
            PortalConfigError::SharedKeySource { .. } => "key_source_shared",
            PortalConfigError::Verifier { error, .. } => error.code(),
        }
    }
}

/// The portals a vendor serves, by issuer id: verifies any launch token against the right one.
///
/// Portals can be added, replaced and removed while other threads verify: the table is read
/// under a lock held only to clone one portal's handle, never during verification. One replay
/// guard serves every portal (it records `(iss, aud, jti)`, so portals cannot collide in it);
/// give it a store shared by every instance when the vendor runs several: an
/// `AsyncRedisReplayGuard` through [`new_async`](Self::new_async) in an async service, a
/// `RedisReplayGuard` through [`new`](Self::new) in a synchronous one.
///
/// ```
/// # #[cfg(feature = "portal")] {
/// use std::sync::Arc;
/// use cv_portal_plugin::keys::KeySource;
/// use cv_portal_plugin::{
///     Algorithm, InMemoryReplayGuard, Issuer, IssuerId, Portal, PortalRegistry, SigningKey,
/// };
/// # let plugin = cv_portal_plugin::PluginConfig::builder().id("financeiro").name("Financeiro")
/// #     .link("https://erp.example.com/f").icon(cv_portal_plugin::Icon::Alerta).title("F")
/// #     .show_in_client_portal(true)
/// #     .iframe_size(cv_portal_plugin::Dimension::Percent(100), cv_portal_plugin::Dimension::Pixels(800))
/// #     .visible_to(cv_portal_plugin::VisibleTo::Cliente).build().unwrap();
/// # let viewer = cv_portal_plugin::Viewer::new(cv_portal_plugin::SubjectId::new("48213").unwrap(), cv_portal_plugin::Role::Cliente);
///
/// // Two construction companies, each with its own portal and keys.
/// let registry = PortalRegistry::new(Arc::new(InMemoryReplayGuard::new()));
/// for name in ["https://portal.alfa.com.br", "https://portal.beta.com.br"] {
///     let issuer = Issuer::new(IssuerId::new(name)?, SigningKey::generate(Algorithm::EdDSA)?);
///     let keys = Arc::new(KeySource::new());
///     keys.set(issuer.jwks().clone()); // in production: KeySource::run_refresh in the background
///     registry.insert(Portal::new(issuer.issuer_id().clone(), keys).plugin("financeiro".parse()?))?;
///     let launch = issuer.mint(&plugin, &viewer)?;
///     assert_eq!(registry.verify(launch.token())?.portal().as_str(), name);
/// }
/// let error = registry.verify("eyJhbGciOiJFZERTQSJ9.e30.AA").unwrap_err();
/// assert_eq!(error.fault().http_status(), 401);
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct PortalRegistry {
    replay: RegistryReplay,
    portals: RwLock<HashMap<IssuerId, Arc<Entry>>>,
}

/// The single use a [`PortalRegistry`] was built with.
enum RegistryReplay {
    /// A blocking guard: asked by `verify`, and in place by `verify_async`.
    Blocking(Arc<dyn ReplayGuard>),
    /// An async guard: awaited by `verify_async`; `verify` refuses (no guard to ask).
    Async(Arc<dyn AsyncReplayGuard>),
    /// None.
    Disabled,
}

impl PortalRegistry {
    /// An empty registry whose portals share the blocking guard `replay` for single use: an
    /// [`InMemoryReplayGuard`](crate::InMemoryReplayGuard) (one instance), or a
    /// `RedisReplayGuard` for a synchronous service with several instances.
    ///
    /// [`verify`](Self::verify) asks it; [`verify_async`](Self::verify_async) asks it only if it
    /// answers from memory. An async service with several instances uses
    /// [`new_async`](Self::new_async) with an `AsyncRedisReplayGuard`.
    pub fn new(replay: Arc<dyn ReplayGuard>) -> PortalRegistry {
        PortalRegistry::with(RegistryReplay::Blocking(replay))
    }

    /// An empty registry for async services whose portals share the async guard `replay` (an
    /// `AsyncRedisReplayGuard`, feature `redis-async`), awaited by
    /// [`verify_async`](Self::verify_async). The blocking [`verify`](Self::verify) then has no
    /// guard to ask and refuses every token that passes the other checks with
    /// `replay_store_unavailable` (cause `async_only`, 503), never skipping single use.
    pub fn new_async(replay: Arc<dyn AsyncReplayGuard>) -> PortalRegistry {
        PortalRegistry::with(RegistryReplay::Async(replay))
    }

    /// An empty registry without single use: the same token verifies until it expires. Only for
    /// benchmarks, or vendors that enforce single use elsewhere.
    pub fn dangerous_without_replay_guard() -> PortalRegistry {
        PortalRegistry::with(RegistryReplay::Disabled)
    }

    fn with(replay: RegistryReplay) -> PortalRegistry {
        PortalRegistry {
            replay,
            portals: RwLock::new(HashMap::new()),
        }
    }

    /// Adds `portal`, or replaces the portal with the same issuer id (its plugins, keys and
    /// leeway). Returns whether one was replaced. Verifications already running finish with the
    /// portal as it was.
    pub fn insert(&self, portal: Portal) -> Result<bool, PortalConfigError> {
        let issuer = portal.issuer.clone();
        let entry = Arc::new(self.entry(portal)?);
        let mut portals = self.portals.write().unwrap_or_else(|e| e.into_inner());
        let sharing = portals
            .iter()
            .find(|(other, held)| **other != issuer && Arc::ptr_eq(&held.keys, &entry.keys));
        if let Some((with, _)) = sharing {
            return Err(PortalConfigError::SharedKeySource {
                portal: issuer,
                with: with.clone(),
            });
        }
        Ok(portals.insert(issuer, entry).is_some())
    }

    /// Removes the portal `issuer`: its tokens then fail with `unknown_issuer`. Returns whether
    /// it was registered.
    pub fn remove(&self, issuer: &IssuerId) -> bool {
        let mut portals = self.portals.write().unwrap_or_else(|e| e.into_inner());
        portals.remove(issuer).is_some()
    }

    /// The key source of the portal `issuer`, if it is registered (to push or invalidate keys).
    pub fn key_source(&self, issuer: &IssuerId) -> Option<Arc<KeySource>> {
        self.get(issuer).map(|entry| Arc::clone(&entry.keys))
    }

    /// The one delivery the portal `issuer` uses for `plugin`, if the plugin was added with
    /// [`Portal::plugin_with_delivery`]: a launch handler refuses a verified launch that arrived
    /// another way (`wrong_delivery`).
    pub fn delivery(&self, issuer: &IssuerId, plugin: &PluginId) -> Option<Delivery> {
        self.get(issuer)
            .and_then(|entry| entry.deliveries.get(plugin).copied())
    }

    /// Whether the portal `issuer` is registered.
    pub fn contains(&self, issuer: &IssuerId) -> bool {
        self.get(issuer).is_some()
    }

    /// The number of portals registered.
    pub fn len(&self) -> usize {
        self.portals.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether no portal is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The issuer ids registered, in order.
    pub fn issuers(&self) -> Vec<IssuerId> {
        let portals = self.portals.read().unwrap_or_else(|e| e.into_inner());
        let mut issuers: Vec<IssuerId> = portals.keys().cloned().collect();
        issuers.sort();
        issuers
    }

    /// Verifies `token` against the portal its `iss` names, and consumes its single use.
    ///
    /// The unverified `iss` is read only to pick the portal: an unregistered one fails with
    /// `unknown_issuer` before any key is looked up. Then the token is verified in full, exactly
    /// as [`Verifier::verify`] does, by the verifier of the plugin its `aud` names; a plugin not
    /// hosted for the portal fails with `wrong_audience` (once the token's signature and claims
    /// have passed). Never waits on the network: keys come from the portal's [`KeySource`].
    pub fn verify(&self, token: &str) -> Result<VerifiedLaunch, RegistryError> {
        let raw = token;
        let (token, issuer, entry, plugin) = self.route(token)?;
        let verified = entry.verifiers[&plugin].verify_untrusted(token);
        finish(issuer, raw, verified)
    }

    /// [`verify`](Self::verify) for async services: the same routing and checks, then single use
    /// through the registry's guard without blocking a runtime thread: the async guard of
    /// [`new_async`](Self::new_async) is awaited; the blocking guard of [`new`](Self::new) is
    /// asked in place if it answers from memory (an `InMemoryReplayGuard`), and otherwise not at
    /// all: a `RedisReplayGuard` here refuses every token with `replay_store_unavailable` (cause
    /// `blocking_only`) instead of holding a runtime thread for each round trip.
    ///
    /// ```
    /// # #[cfg(feature = "portal")] {
    /// use std::sync::Arc;
    /// use cv_portal_plugin::keys::KeySource;
    /// use cv_portal_plugin::replay::NonBlockingReplayGuard;
    /// use cv_portal_plugin::{
    ///     Algorithm, InMemoryReplayGuard, Issuer, IssuerId, Portal, PortalRegistry, SigningKey,
    ///     Viewer,
    /// };
    /// # fn block_on<F: std::future::Future>(future: F) -> F::Output {
    /// #     let mut future = std::pin::pin!(future);
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     loop {
    /// #         if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) { return out; }
    /// #     }
    /// # }
    /// # let plugin = cv_portal_plugin::PluginConfig::builder().id("financeiro").name("Financeiro")
    /// #     .link("https://erp.example.com/f").icon(cv_portal_plugin::Icon::Alerta).title("F")
    /// #     .show_in_client_portal(true)
    /// #     .iframe_size(cv_portal_plugin::Dimension::Percent(100), cv_portal_plugin::Dimension::Pixels(800))
    /// #     .visible_to(cv_portal_plugin::VisibleTo::Cliente).build().unwrap();
    /// # let viewer = Viewer::new(cv_portal_plugin::SubjectId::new("48213").unwrap(), cv_portal_plugin::Role::Cliente);
    /// let issuer = Issuer::new(IssuerId::new("https://portal.alfa.com.br")?, SigningKey::generate(Algorithm::EdDSA)?);
    /// // In production: `AsyncRedisReplayGuard::connect(url).await?` (feature `redis-async`).
    /// let guard = NonBlockingReplayGuard::new(Arc::new(InMemoryReplayGuard::new()));
    /// let registry = PortalRegistry::new_async(Arc::new(guard));
    /// let keys = Arc::new(KeySource::new());
    /// keys.set(issuer.jwks().clone());
    /// registry.insert(Portal::new(issuer.issuer_id().clone(), keys).plugin("financeiro".parse()?))?;
    ///
    /// let launch = issuer.mint(&plugin, &viewer)?;
    /// block_on(async {
    ///     assert!(registry.verify_async(launch.token()).await.is_ok());
    ///     let again = registry.verify_async(launch.token()).await.unwrap_err();
    ///     assert_eq!(again.code(), "replayed");
    /// });
    /// // The blocking path has no guard to ask: it refuses rather than skip single use.
    /// let blocking = registry.verify(issuer.mint(&plugin, &viewer)?.token()).unwrap_err();
    /// assert_eq!(blocking.code(), "replay_store_unavailable");
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn verify_async(&self, token: &str) -> Result<VerifiedLaunch, RegistryError> {
        let raw = token;
        let (token, issuer, entry, plugin) = self.route(token)?;
        let verified = entry.verifiers[&plugin].verify_untrusted_async(token).await;
        finish(issuer, raw, verified)
    }

    /// Parses `token` and picks its portal (by the unverified `iss`) and the verifier of its
    /// plugin (by the unverified `aud`; a plugin the portal does not host is checked by the
    /// portal's first verifier, so a forgery still fails on its signature first).
    fn route<'t>(
        &self,
        token: &'t str,
    ) -> Result<(UntrustedToken<'t>, IssuerId, Arc<Entry>, PluginId), RegistryError> {
        let token = UntrustedToken::parse(token).map_err(RegistryError::Unrouted)?;
        let issuer = token.unverified_issuer().map_err(RegistryError::Unrouted)?;
        let entry = self
            .get(&issuer)
            .ok_or_else(|| RegistryError::UnknownIssuer {
                found: Quoted::ascii(issuer.as_str()),
            })?;
        let plugin = token
            .unverified_audience()
            .ok()
            .and_then(|aud| entry.verifiers.keys().find(|p| p.as_str() == aud).cloned())
            .unwrap_or_else(|| entry.fallback.clone());
        Ok((token, issuer, entry, plugin))
    }

    fn get(&self, issuer: &IssuerId) -> Option<Arc<Entry>> {
        let portals = self.portals.read().unwrap_or_else(|e| e.into_inner());
        portals.get(issuer).cloned()
    }

    fn entry(&self, portal: Portal) -> Result<Entry, PortalConfigError> {
        let Some(fallback) = portal.plugins.first().cloned() else {
            return Err(PortalConfigError::NoPlugin {
                portal: portal.issuer,
            });
        };
        let mut verifiers = HashMap::with_capacity(portal.plugins.len());
        for plugin in &portal.plugins {
            let mut builder = Verifier::builder(portal.issuer.clone(), plugin.clone())
                .key_source(Arc::clone(&portal.keys));
            builder = match portal.leeway {
                Some((leeway, false)) => builder.leeway(leeway),
                Some((leeway, true)) => builder.dangerous_extended_leeway(leeway),
                None => builder,
            };
            if let Some(clock) = &portal.clock {
                builder = builder.clock(Arc::clone(clock));
            }
            builder = match &self.replay {
                RegistryReplay::Blocking(guard) => builder.replay_guard(Arc::clone(guard)),
                RegistryReplay::Async(guard) => builder.replay_guard_async(Arc::clone(guard)),
                RegistryReplay::Disabled => builder.dangerous_disable_replay_guard(),
            };
            let verifier = builder
                .build()
                .map_err(|error| PortalConfigError::Verifier {
                    portal: portal.issuer.clone(),
                    error,
                })?;
            verifiers.insert(plugin.clone(), verifier);
        }
        Ok(Entry {
            keys: portal.keys,
            verifiers,
            deliveries: portal.deliveries,
            fallback,
        })
    }
}

/// The registry's answer for a verification of `issuer`'s token.
fn finish(
    issuer: IssuerId,
    token: &str,
    verified: Result<LaunchClaims, VerifyError>,
) -> Result<VerifiedLaunch, RegistryError> {
    match verified {
        Ok(claims) => Ok(VerifiedLaunch {
            claims,
            token: token.to_owned(),
        }),
        Err(VerifyError::WrongAudience { found, .. }) => Err(RegistryError::NotHosted {
            portal: issuer,
            found,
        }),
        Err(error) => Err(RegistryError::Verify {
            portal: issuer,
            error,
        }),
    }
}

impl fmt::Debug for PortalRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PortalRegistry")
            .field("portals", &self.len())
            .field(
                "single_use",
                &match self.replay {
                    RegistryReplay::Blocking(_) => "blocking",
                    RegistryReplay::Async(_) => "async",
                    RegistryReplay::Disabled => "disabled",
                },
            )
            .finish_non_exhaustive()
    }
}
