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

/// How many plugins' verifiers are kept built. Only ids of plugins the portal has are cached;
/// past this bound, verifiers are built per request.
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

    /// Answers one request. `authorization` is the value of the request's `Authorization`
    /// header (`None` when absent); `lookup` finds the person's data by the token's `sub` and
    /// `role`, and is called only for a token that verified, whose plugin may read, and that
    /// this call redeemed.
    ///
    /// Checks, in order: the header; the token exactly as PROTOCOL.md §6 says (30 s leeway) for
    /// the plugin its `aud` names; that plugin exists, is active and is shown to the token's role;
    /// the redemption (once per token, recorded as `client-data:` + `aud`); the lookup. The answer
    /// carries only the fields granted to the plugin, and the token's own `sub`, `role` and `aud`
    /// whatever the lookup put there. Never panics on any header value.
    pub fn handle(
        &self,
        authorization: Option<&str>,
        lookup: impl FnOnce(&SubjectId, Role) -> Option<ClientData>,
    ) -> Answer {
        let token = match bearer_token(authorization) {
            Ok(token) => token,
            Err(error) => return Answer::refusal(error, None),
        };
        let untrusted = match UntrustedToken::parse(token) {
            Ok(untrusted) => untrusted,
            Err(error) => return Answer::refusal(EndpointError::Token(error), None),
        };
        let (claims, plugin) = match self.verify(untrusted) {
            Ok(verified) => verified,
            Err(error) => return Answer::refusal(error, None),
        };
        match self.redeem(&claims, &plugin, lookup) {
            Ok(data) => Answer::ok(&data, claims),
            Err(error) => Answer::refusal(error, Some(claims)),
        }
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

    /// The checks after §6, the redemption, the lookup and the grants.
    fn redeem(
        &self,
        claims: &LaunchClaims,
        plugin: &PluginConfig,
        lookup: impl FnOnce(&SubjectId, Role) -> Option<ClientData>,
    ) -> Result<ClientData, EndpointError> {
        if !plugin.is_active() {
            return Err(EndpointError::PluginInactive);
        }
        if !plugin.is_shown_to(claims.role) {
            return Err(EndpointError::NotVisibleToViewer { role: claims.role });
        }
        let audience = format!("{REDEMPTION_AUDIENCE_PREFIX}{}", claims.aud.as_str());
        self.guard
            .check_and_insert(&ReplayEntry::new(
                claims.iss.as_str(),
                &audience,
                claims.jti.as_str(),
                claims.exp.saturating_add(DEFAULT_LEEWAY.as_secs() as i64),
                self.clock.now_unix(),
            ))
            .map_err(|e| EndpointError::Token(VerifyError::from(e)))?;

        let mut data = lookup(&claims.sub, claims.role).ok_or(EndpointError::ClientNotFound)?;
        data.keep_only(&(self.grants)(plugin));
        data.sub = claims.sub.clone();
        data.role = claims.role;
        data.plugin = claims.aud.clone();
        Ok(data)
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
        let Some(claimed) = claimed else {
            // No plugin id could match: the checks before `aud` still run and report first.
            let placeholder = PluginId::new("unknown")
                .unwrap_or_else(|_| unreachable!("\"unknown\" is a valid plugin id"));
            let (verifier, _) = self.verifier_for(&placeholder);
            return match verifier.verify_untrusted(token) {
                Ok(_) | Err(VerifyError::WrongAudience { .. }) => {
                    Err(EndpointError::PluginNotFound)
                }
                Err(error) => Err(EndpointError::Token(error)),
            };
        };
        let (verifier, keys) = self.verifier_for(&claimed);
        let claims = verifier
            .verify_untrusted(token)
            .map_err(EndpointError::Token)?;
        self.remember(claimed, verifier, &keys);
        let plugin = self
            .plugins
            .find(&claims.aud)
            .ok_or(EndpointError::PluginNotFound)?;
        Ok((claims, plugin))
    }

    /// The verifier for `plugin` over the current keys: the cached one, or a new one (not cached
    /// until a token verifies with it), with the key set it was built on.
    fn verifier_for(&self, plugin: &PluginId) -> (Arc<Verifier>, Arc<KeySet>) {
        let state = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let keys = Arc::clone(&state.keys);
        match state.verifiers.get(plugin) {
            Some(verifier) => (Arc::clone(verifier), keys),
            None => {
                drop(state);
                (
                    Arc::new(self.verifier(plugin.clone(), Arc::clone(&keys))),
                    keys,
                )
            }
        }
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
