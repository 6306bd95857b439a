//! The portal's client-data endpoint (PROTOCOL.md §11) and discovery document (§10): a vendor
//! redeems the launch token it just verified, once, for the fields of the person's data its
//! plugin was granted.
//!
//! Framework-agnostic: [`ClientDataEndpoint::handle`] takes the `Authorization` header's value
//! and the portal's own lookup, and returns an [`Answer`] (status, headers, JSON body) for any
//! HTTP server to send. It is the one module that uses both sides of the crate: the vendor's
//! [`Verifier`] checks the token exactly as §6 says, with the portal's own keys, and the portal's
//! plugin configurations decide whether the plugin may still read.

mod answer;
mod discovery;
mod error;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

pub use answer::{Answer, MAX_BODY_LEN, REALM, RETRY_AFTER_SECS};
pub use discovery::render_discovery;
pub use error::EndpointError;

use crate::clock::{Clock, SystemClock};
use crate::config::PluginConfig;
use crate::keys::KeySet;
use crate::replay::{InMemoryReplayGuard, ReplayEntry, ReplayGuard};
use crate::verify::{DEFAULT_LEEWAY, UntrustedToken, Verifier, VerifyError};
use crate::wire::{
    ClientData, ClientDataField, IssuerId, LaunchClaims, MAX_TOKEN_LEN, PluginId, Role, SubjectId,
};

/// The prefix of the audience under which a redemption is recorded in the endpoint's
/// [`ReplayGuard`]: `client-data:` + the plugin id. A store shared with a vendor's own single use
/// never confuses the two records.
pub const REDEMPTION_AUDIENCE_PREFIX: &str = "client-data:";

/// The longest `Authorization` header value accepted: `Bearer ` and a token of at most
/// [`MAX_TOKEN_LEN`] bytes.
pub const MAX_AUTHORIZATION_LEN: usize = 7 + MAX_TOKEN_LEN;

/// How many plugins' verifiers are kept built. Only ids that a token with a valid signature named
/// are cached (ids the portal minted for, including plugins it has since removed); past this
/// bound, verifiers are built per request.
const VERIFIER_CACHE_MAX: usize = 1024;

type FindPlugin = dyn Fn(&PluginId) -> Option<Arc<PluginConfig>> + Send + Sync;
type Grants = dyn Fn(&PluginConfig) -> Vec<ClientDataField> + Send + Sync;

enum Plugins {
    List(Vec<Arc<PluginConfig>>),
    Find(Box<FindPlugin>),
}

impl Plugins {
    fn find(&self, id: &PluginId) -> Option<Arc<PluginConfig>> {
        match self {
            Plugins::List(list) => list.iter().find(|p| p.id() == id).cloned(),
            Plugins::Find(find) => find(id),
        }
    }
}

/// A request that passed every check before the lookup ([`ClientDataEndpoint::authorize`]): the
/// token verified and its plugin may read. Nothing is consumed yet; hand it to
/// [`ClientDataEndpoint::complete`] with the lookup's result. Built only by the endpoint.
#[derive(Debug)]
pub struct Authorized {
    claims: LaunchClaims,
    plugin: Arc<PluginConfig>,
    granted: Vec<ClientDataField>,
}

impl Authorized {
    /// The verified claims of the launch token.
    pub fn claims(&self) -> &LaunchClaims {
        &self.claims
    }

    /// The person to look up (`sub`).
    pub fn subject(&self) -> &SubjectId {
        &self.claims.sub
    }

    /// The person's role.
    pub fn role(&self) -> Role {
        self.claims.role
    }

    /// The plugin's current configuration.
    pub fn plugin(&self) -> &PluginConfig {
        &self.plugin
    }

    /// The fields the plugin is granted: load only these (the others are removed anyway).
    pub fn granted(&self) -> &[ClientDataField] {
        &self.granted
    }
}

/// The portal's lookup could not answer (its database is down, a timeout): the endpoint answers
/// `503 lookup_unavailable` with `Retry-After`, and the token is not consumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the portal's client-data lookup is unavailable")]
pub struct LookupUnavailable;

/// The portal's client-data endpoint: checks a launch token presented as a bearer credential,
/// redeems it once, and answers with the granted fields of the person's data.
///
/// ```
/// use std::sync::Arc;
/// use cv_portal_plugin::wire::{ClientData, ClientDataField};
/// use cv_portal_plugin::{
///     Algorithm, ClientDataEndpoint, Dimension, Icon, Issuer, IssuerId, PluginConfig, Role,
///     SigningKey, SubjectId, Viewer, VisibleTo,
/// };
///
/// let issuer = Issuer::new(
///     IssuerId::new("https://portal.construtora.com.br")?,
///     SigningKey::generate(Algorithm::EdDSA)?,
/// );
/// let financeiro = PluginConfig::builder()
///     .id("financeiro")
///     .name("Financeiro (ERP UAU)")
///     .link("https://erp.example.com/portal/financeiro")
///     .icon(Icon::Alerta)
///     .title("Financeiro")
///     .show_in_client_portal(true)
///     .iframe_size(Dimension::Percent(100), Dimension::Pixels(800))
///     .visible_to(VisibleTo::Cliente)
///     .client_data([ClientDataField::Name])
///     .build()?;
/// let launch = issuer.mint(&financeiro, &Viewer::new(SubjectId::new("48213")?, Role::Cliente))?;
///
/// let endpoint = ClientDataEndpoint::builder(issuer.issuer_id().clone(), issuer.jwks().clone())
///     .plugins([financeiro]) // granted: `client_data: ["name"]` (see above)
///     .build();
/// let lookup = |sub: &SubjectId, role: Role| {
///     Some(ClientData {
///         sub: sub.clone(),
///         role,
///         plugin: "financeiro".parse().ok()?,
///         name: Some("Maria Souza".into()),
///         email: Some("maria@example.com".into()), // not granted: never sent
///         document: None,
///         phone: None,
///         units: None,
///     })
/// };
/// let header = format!("Bearer {}", launch.token());
/// let answer = endpoint.handle(Some(&header), lookup);
/// assert_eq!(answer.status, 200);
/// assert!(answer.body.contains("Maria Souza") && !answer.body.contains("maria@"));
/// let again = endpoint.handle(Some(&header), lookup);
/// assert_eq!((again.status, again.code()), (401, Some("replayed")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ClientDataEndpoint {
    issuer: IssuerId,
    plugins: Plugins,
    grants: Box<Grants>,
    guard: Arc<dyn ReplayGuard>,
    clock: Arc<dyn Clock>,
    keys: RwLock<KeyState>,
}

/// The portal's current keys and the verifiers built over them, swapped together so that no
/// verifier of an older key set outlives [`ClientDataEndpoint::set_keys`].
struct KeyState {
    keys: Arc<KeySet>,
    /// Verifiers of plugin ids that authenticated tokens named (never an id read from a token
    /// whose signature did not verify), at most [`VERIFIER_CACHE_MAX`].
    verifiers: HashMap<PluginId, Arc<Verifier>>,
}

/// Configures a [`ClientDataEndpoint`].
pub struct ClientDataEndpointBuilder {
    issuer: IssuerId,
    keys: KeySet,
    plugins: Plugins,
    grants: Box<Grants>,
    guard: Option<Arc<dyn ReplayGuard>>,
    clock: Arc<dyn Clock>,
}

impl ClientDataEndpoint {
    /// Starts configuring the endpoint of the portal `issuer`, whose published keys are `keys`
    /// (`issuer.jwks().clone()`). After every key rotation, and at once in an emergency rotation
    /// (a compromised key), give every instance the new set with [`set_keys`](Self::set_keys),
    /// or tokens signed with a removed key keep redeeming data here after vendors refuse them.
    ///
    /// Defaults: no plugins (every token is `plugin_not_found`), each plugin's own grants
    /// ([`PluginConfig::client_data`], none unless granted),
    /// an in-memory redemption record (one process; several instances share a
    /// `RedisReplayGuard`), the system clock.
    pub fn builder(issuer: IssuerId, keys: KeySet) -> ClientDataEndpointBuilder {
        ClientDataEndpointBuilder {
            issuer,
            keys,
            plugins: Plugins::List(Vec::new()),
            grants: Box::new(|plugin| plugin.client_data().to_vec()),
            guard: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// Answers one request: [`authorize`](Self::authorize), then `lookup`, then
    /// [`complete`](Self::complete). `authorization` is the value of the request's
    /// `Authorization` header: `None` when absent, and a value that is not UTF-8 passed as
    /// `Some("")` (it is then `400 invalid_request`). `lookup` finds the person's data by the
    /// token's `sub` and `role`, and is called only for a token that verified and whose plugin may
    /// read; it may return every field the portal has, since only the granted ones are sent.
    ///
    /// A lookup that can fail (a database that may be down) or that is async uses
    /// [`authorize`](Self::authorize) and [`complete`](Self::complete) directly, so that an
    /// outage is `503 lookup_unavailable` (the token not consumed, the vendor retries) rather than
    /// a final `404 client_not_found`. Never panics on any header value.
    pub fn handle(
        &self,
        authorization: Option<&str>,
        lookup: impl FnOnce(&SubjectId, Role) -> Option<ClientData>,
    ) -> Answer {
        match self.authorize(authorization) {
            Ok(authorized) => {
                let found = lookup(authorized.subject(), authorized.role());
                self.complete(authorized, Ok(found))
            }
            Err(refusal) => refusal,
        }
    }

    /// The checks before the lookup: the header; the token exactly as PROTOCOL.md §6 says (30 s
    /// leeway) for the plugin its `aud` names; that plugin exists, is active and is shown to the
    /// token's role. Nothing is consumed here. `Ok` carries what the lookup needs (the person,
    /// the role, the fields granted to the plugin, so the portal can load only those); `Err` is
    /// the answer to send.
    ///
    /// ```
    /// # use cv_portal_plugin::{ClientDataEndpoint, Issuer, IssuerId, SigningKey, Algorithm};
    /// use cv_portal_plugin::data_endpoint::LookupUnavailable;
    /// # let issuer = Issuer::new(IssuerId::new("https://portal.example.com")?, SigningKey::generate(Algorithm::EdDSA)?);
    /// # let endpoint = ClientDataEndpoint::builder(issuer.issuer_id().clone(), issuer.jwks().clone()).build();
    /// # let header: Option<&str> = None;
    /// let answer = match endpoint.authorize(header) {
    ///     Err(refusal) => refusal,
    ///     Ok(authorized) => {
    ///         // e.g. `db.client_data(authorized.subject(), authorized.granted()).await`
    ///         let found = Err(LookupUnavailable); // the database is down
    ///         endpoint.complete(authorized, found)
    ///     }
    /// };
    /// assert_eq!(answer.status, 401); // no header at all
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    // The refusal is the answer itself, sent at once by the caller: boxing it would only add an
    // allocation to every refused request.
    #[allow(clippy::result_large_err)]
    pub fn authorize(&self, authorization: Option<&str>) -> Result<Authorized, Answer> {
        let token = bearer_token(authorization).map_err(|e| Answer::refusal(e, None))?;
        let untrusted = UntrustedToken::parse(token)
            .map_err(|e| Answer::refusal(EndpointError::Token(e), None))?;
        let (claims, plugin) = self
            .verify(untrusted)
            .map_err(|e| Answer::refusal(e, None))?;
        if !plugin.is_active() {
            return Err(Answer::refusal(EndpointError::PluginInactive, Some(claims)));
        }
        if !plugin.is_shown_to(claims.role) {
            let role = claims.role;
            return Err(Answer::refusal(
                EndpointError::NotVisibleToViewer { role },
                Some(claims),
            ));
        }
        let granted = (self.grants)(&plugin);
        Ok(Authorized {
            claims,
            plugin,
            granted,
        })
    }

    /// The rest, once the portal has looked the person up: `found` is the lookup's result
    /// (`Ok(None)`: this person has no data; `Err`: the lookup could not answer). A failed lookup
    /// is `503 lookup_unavailable` and consumes nothing. Otherwise the token is redeemed (once,
    /// recorded as `client-data:` + `aud`; a second time is `401 replayed`), then the answer is
    /// `404 client_not_found` or `200` with only the granted fields and the token's own `sub`,
    /// `role` and `aud`, whatever the lookup put there.
    pub fn complete(
        &self,
        authorized: Authorized,
        found: Result<Option<ClientData>, LookupUnavailable>,
    ) -> Answer {
        let Authorized {
            claims, granted, ..
        } = authorized;
        let found = match found {
            Ok(found) => found,
            Err(LookupUnavailable) => {
                return Answer::refusal(EndpointError::LookupUnavailable, Some(claims));
            }
        };
        if let Err(error) = self.redeem(&claims) {
            return Answer::refusal(error, Some(claims));
        }
        let Some(mut data) = found else {
            return Answer::refusal(EndpointError::ClientNotFound, Some(claims));
        };
        data.keep_only(&granted);
        data.sub = claims.sub.clone();
        data.role = claims.role;
        data.plugin = claims.aud.clone();
        Answer::ok(&data, claims)
    }

    /// The issuer id whose tokens this endpoint redeems.
    pub fn issuer(&self) -> &IssuerId {
        &self.issuer
    }

    /// Replaces the portal's keys, for example after a rotation or at once when a key is
    /// compromised: from the return of this call, a token signed by a key missing from `keys`
    /// is refused (`unknown_kid`), including by requests already in flight that had not yet
    /// checked their signature. Redemptions already recorded are kept.
    pub fn set_keys(&self, keys: KeySet) {
        let mut state = self.keys.write().unwrap_or_else(|e| e.into_inner());
        *state = KeyState {
            keys: Arc::new(keys),
            verifiers: HashMap::new(),
        };
    }

    /// The kids of the keys this endpoint accepts now.
    pub fn kids(&self) -> Vec<String> {
        let state = self.keys.read().unwrap_or_else(|e| e.into_inner());
        state.keys.iter().map(|k| k.kid().to_owned()).collect()
    }

    /// Records the redemption: once per token.
    fn redeem(&self, claims: &LaunchClaims) -> Result<(), EndpointError> {
        let audience = format!("{REDEMPTION_AUDIENCE_PREFIX}{}", claims.aud.as_str());
        self.guard
            .check_and_insert(&ReplayEntry::new(
                claims.iss.as_str(),
                &audience,
                claims.jti.as_str(),
                claims.exp.saturating_add(DEFAULT_LEEWAY.as_secs() as i64),
                self.clock.now_unix(),
            ))
            .map_err(|e| EndpointError::Token(VerifyError::from(e)))
    }

    /// §6 for the plugin the token claims, then the plugin's configuration. The configuration is
    /// looked up only for a token whose every §6 check passed (its `aud` is then one the portal
    /// minted for), so an unauthenticated request never reaches the portal's plugin store, and a
    /// forged token with an invented `aud` reads `bad_signature` or `unknown_kid`.
    fn verify(
        &self,
        token: UntrustedToken<'_>,
    ) -> Result<(LaunchClaims, Arc<PluginConfig>), EndpointError> {
        let claimed = token
            .unverified_audience()
            .ok()
            .and_then(|aud| PluginId::new(aud.into_owned()).ok());
        // No plugin id could match: the checks before `aud` still run and report first.
        let placeholder = claimed.is_none();
        let claimed = claimed.unwrap_or_else(|| {
            PluginId::new("unknown").unwrap_or_else(|_| unreachable!("a valid plugin id"))
        });
        let (verified, verifier, keys) = self.verify_with_current_keys(&claimed, token);
        if placeholder {
            return match verified {
                Ok(_) | Err(VerifyError::WrongAudience { .. }) => {
                    Err(EndpointError::PluginNotFound)
                }
                Err(error) => Err(EndpointError::Token(error)),
            };
        }
        let claims = verified.map_err(EndpointError::Token)?;
        self.remember(claimed, verifier, &keys);
        let plugin = self
            .plugins
            .find(&claims.aud)
            .ok_or(EndpointError::PluginNotFound)?;
        Ok((claims, plugin))
    }

    /// Verifies `token` for `plugin` while holding the key state's read lock, so that
    /// [`set_keys`](Self::set_keys) (which takes the write lock) returns only after every check
    /// that began with the old keys has finished, and none starts with them afterwards. Returns
    /// the verifier used (the cached one, or a new one not cached yet) and its key set.
    #[allow(clippy::type_complexity)]
    fn verify_with_current_keys(
        &self,
        plugin: &PluginId,
        token: UntrustedToken<'_>,
    ) -> (
        Result<LaunchClaims, VerifyError>,
        Arc<Verifier>,
        Arc<KeySet>,
    ) {
        let state = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let keys = Arc::clone(&state.keys);
        let verifier = match state.verifiers.get(plugin) {
            Some(verifier) => Arc::clone(verifier),
            None => Arc::new(self.verifier(plugin.clone(), Arc::clone(&keys))),
        };
        let verified = verifier.verify_untrusted(token);
        drop(state);
        (verified, verifier, keys)
    }

    /// Caches the verifier of an authenticated plugin id, unless the keys changed meanwhile or
    /// the cache is full.
    fn remember(&self, plugin: PluginId, verifier: Arc<Verifier>, keys: &Arc<KeySet>) {
        {
            let state = self.keys.read().unwrap_or_else(|e| e.into_inner());
            if state.verifiers.contains_key(&plugin) || !Arc::ptr_eq(&state.keys, keys) {
                return;
            }
        }
        let mut state = self.keys.write().unwrap_or_else(|e| e.into_inner());
        if Arc::ptr_eq(&state.keys, keys) && state.verifiers.len() < VERIFIER_CACHE_MAX {
            state.verifiers.entry(plugin).or_insert(verifier);
        }
    }

    /// A verifier for `plugin` with single use off: the endpoint records redemptions itself, in
    /// its own guard, after the plugin checks.
    fn verifier(&self, plugin: PluginId, keys: Arc<KeySet>) -> Verifier {
        Verifier::builder(self.issuer.clone(), plugin)
            .shared_key_set(keys)
            .clock(Arc::clone(&self.clock))
            .dangerous_disable_replay_guard()
            .build()
            .unwrap_or_else(|_| unreachable!("a key set and the default limits always build"))
    }
}

impl ClientDataEndpointBuilder {
    /// The portal's plugin configurations, as a fixed list (looked up by id).
    pub fn plugins(mut self, plugins: impl IntoIterator<Item = PluginConfig>) -> Self {
        self.plugins = Plugins::List(plugins.into_iter().map(Arc::new).collect());
        self
    }

    /// Where to find a plugin's current configuration by id (for example the portal's database
    /// or a cache of it), instead of a fixed list. Called once per request whose token passed
    /// every check of PROTOCOL.md §6, never for an unauthenticated one.
    pub fn find_plugin(
        mut self,
        find: impl Fn(&PluginId) -> Option<Arc<PluginConfig>> + Send + Sync + 'static,
    ) -> Self {
        self.plugins = Plugins::Find(Box::new(find));
        self
    }

    /// Overrides the fields each plugin is granted ("dados do cliente"); every other field is
    /// removed from the answer, whatever the lookup returned. Default: the plugin
    /// configuration's own grants, [`PluginConfig::client_data`] (none unless the admin granted
    /// some).
    pub fn grants(
        mut self,
        grants: impl Fn(&PluginConfig) -> Vec<ClientDataField> + Send + Sync + 'static,
    ) -> Self {
        self.grants = Box::new(grants);
        self
    }

    /// Where redemptions are recorded. A portal running several instances shares one store
    /// (`RedisReplayGuard`); each launch token is then redeemable once across all of them.
    pub fn replay_guard(mut self, guard: Arc<dyn ReplayGuard>) -> Self {
        self.guard = Some(guard);
        self
    }

    /// The clock (tests inject a [`FixedClock`](crate::FixedClock)).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the endpoint.
    pub fn build(self) -> ClientDataEndpoint {
        ClientDataEndpoint {
            issuer: self.issuer,
            keys: RwLock::new(KeyState {
                keys: Arc::new(self.keys),
                verifiers: HashMap::new(),
            }),
            plugins: self.plugins,
            grants: self.grants,
            guard: self
                .guard
                .unwrap_or_else(|| Arc::new(InMemoryReplayGuard::new())),
            clock: self.clock,
        }
    }
}

impl fmt::Debug for ClientDataEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientDataEndpoint")
            .field("issuer", &self.issuer)
            .field("kids", &self.kids())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for ClientDataEndpointBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientDataEndpointBuilder")
            .field("issuer", &self.issuer)
            .field("keys", &self.keys.len())
            .field("own_replay_guard", &self.guard.is_some())
            .finish_non_exhaustive()
    }
}

/// The token of an `Authorization: Bearer <token>` value (RFC 6750 §2.1: the scheme is
/// case-insensitive, one space, a `b64token`), or why the value is refused.
fn bearer_token(value: Option<&str>) -> Result<&str, EndpointError> {
    let invalid = |reason| EndpointError::InvalidRequest { reason };
    let value = value.ok_or(EndpointError::MissingToken)?;
    if value.len() > MAX_AUTHORIZATION_LEN {
        return Err(invalid("longer than 4103 bytes"));
    }
    let Some((scheme, token)) = value.split_once(' ') else {
        return Err(invalid("expected the Bearer scheme, one space and a token"));
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(invalid("the scheme is not Bearer"));
    }
    let body = token.trim_end_matches('=');
    let b64token =
        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/');
    if body.is_empty() || !body.bytes().all(b64token) {
        return Err(invalid(
            "the token is empty or has characters other than base64url and dots",
        ));
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_values() {
        assert_eq!(bearer_token(Some("Bearer a.b.c")), Ok("a.b.c"));
        assert_eq!(bearer_token(Some("bearer a.b.c")), Ok("a.b.c"));
        assert_eq!(bearer_token(None), Err(EndpointError::MissingToken));
        for bad in [
            "",
            "Bearer",
            "Bearer ",
            "Bearer  a.b.c",
            "Bearer a.b.c ",
            "Basic a.b.c",
            "Bearer a b",
            "Bearer a\tb",
            "Bearer é",
            "Bearer =",
        ] {
            assert_eq!(
                bearer_token(Some(bad)).map_err(|e| e.code()),
                Err("invalid_request"),
                "{bad:?}"
            );
        }
        let long = format!("Bearer {}", "a".repeat(MAX_TOKEN_LEN + 1));
        assert!(bearer_token(Some(&long)).is_err());
        let longest = format!("Bearer {}", "a".repeat(MAX_TOKEN_LEN));
        assert!(bearer_token(Some(&longest)).is_ok());
    }
}
