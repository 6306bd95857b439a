//! The portal side: minting a launch token when a viewer opens a plugin.
//!
//! The [`Issuer`] holds the portal's signing keys, parsed once, at most one per algorithm, and
//! the issuer id. It mints only for an active plugin that the viewer may see (the same rule as the
//! menu), with the plugin's own token lifetime and signing algorithm
//! ([`PluginConfig::algorithm`]), a fresh 128-bit `jti`, and `iat = nbf = now`. The result
//! carries the launch URL (the plugin link with a `token` query parameter) and can render the
//! leak-resistant form POST.
//!
//! **One key per algorithm.** Most plugins use EdDSA; a vendor whose JWT library lacks Ed25519
//! (.NET) gets an ES256 plugin. The issuer signs each plugin's tokens with its key of that
//! plugin's algorithm and publishes every key, so one such vendor does not move the other plugins
//! of the portal off EdDSA. A plugin whose algorithm has no key is refused
//! ([`IssueError::NoSigningKey`]), never signed with another algorithm: the vendor was told its
//! algorithm and may well be unable to verify the other one. Each algorithm's key rotates on its
//! own (PROTOCOL.md §7): [`Issuer::rotate`], or the builder with the keys of each step.
//!
//! Signing goes straight to the ring key pair held by the issuer rather than through
//! jsonwebtoken's provider, whose factory would re-parse the PKCS#8 key on every mint (as costly as
//! the signature itself). The bytes are the same JWS jsonwebtoken produces; the tests check it.

use std::fmt;
use std::sync::{Arc, OnceLock};

use url::Url;

use crate::b64;
use crate::clock::{Clock, SystemClock};
use crate::config::{Delivery, PluginConfig};
use crate::html;
use crate::keys::{Algorithm, KeyError, KeySet, PublicKey, SigningKey};
use crate::viewer::Viewer;
use crate::wire::{
    IssuerId, LaunchClaims, MAX_TIMESTAMP, PluginId, Role, TOKEN_PARAM, TOKEN_TYPE, TokenId,
};

/// Mints launch tokens for one portal.
///
/// ```
/// use cv_portal_plugin::{Algorithm, Issuer, IssuerId, SigningKey};
/// let key = SigningKey::generate(Algorithm::EdDSA)?;
/// let issuer = Issuer::new(IssuerId::new("https://portal.example.com.br").unwrap(), key);
/// assert_eq!(issuer.jwks().len(), 1);
/// # Ok::<(), cv_portal_plugin::KeyError>(())
/// ```
///
/// A portal with one plugin for a .NET vendor (ES256) beside its EdDSA plugins:
///
/// ```
/// use cv_portal_plugin::{Algorithm, Issuer, IssuerId, SigningKey};
/// let eddsa = SigningKey::generate(Algorithm::EdDSA)?;
/// let es256 = SigningKey::generate(Algorithm::ES256)?;
/// let issuer = Issuer::builder(IssuerId::new("https://portal.example.com.br").unwrap(), eddsa)
///     .signing_key(es256)
///     .build()?;
/// assert_eq!(issuer.algorithms().collect::<Vec<_>>(), [Algorithm::EdDSA, Algorithm::ES256]);
/// assert_eq!(issuer.jwks().len(), 2); // both published
/// # Ok::<(), cv_portal_plugin::KeyError>(())
/// ```
pub struct Issuer {
    issuer: IssuerId,
    /// At most one per algorithm; the first is the key given to [`Issuer::new`] or
    /// [`Issuer::builder`] (or the key that replaced it).
    signers: Vec<Signer>,
    /// The signing keys' public keys first, in the order of `signers`, then the keys published
    /// without signing (next or retiring keys).
    published: KeySet,
    clock: Arc<dyn Clock>,
}

/// A signing key and its token header, computed once.
struct Signer {
    key: Arc<SigningKey>,
    /// `base64url(header) + "."`.
    header_prefix: String,
}

impl Signer {
    fn new(key: Arc<SigningKey>) -> Signer {
        let header = serde_json::json!({
            "alg": key.algorithm().as_str(),
            "typ": TOKEN_TYPE,
            "kid": key.kid(),
        });
        let mut header_prefix = b64::encode(header.to_string().as_bytes());
        header_prefix.push('.');
        Signer { key, header_prefix }
    }
}

/// Configures an [`Issuer`]: its signing keys (one per algorithm), keys published beside them,
/// and the clock.
pub struct IssuerBuilder {
    issuer: IssuerId,
    /// At most one per algorithm, in the order given.
    keys: Vec<Arc<SigningKey>>,
    extra: Vec<PublicKey>,
    /// Keys replaced by [`IssuerBuilder::signing_key`]: published after `extra` unless already
    /// published.
    replaced: Vec<PublicKey>,
    clock: Arc<dyn Clock>,
}

impl IssuerBuilder {
    /// Signs with `key` the tokens of every plugin configured with `key`'s algorithm
    /// ([`PluginConfig::algorithm`]), beside the keys of other algorithms; its public key is
    /// published with them.
    ///
    /// The issuer holds one signing key per algorithm: a key of an algorithm that already has one
    /// (the key given to [`Issuer::builder`] included) replaces it as the signer, and the replaced
    /// key **stays published**, so the tokens it signed keep verifying (a rotation's step 3,
    /// PROTOCOL.md §7). To stop publishing a key, build without it. The same key twice is one key.
    pub fn signing_key(mut self, key: impl Into<Arc<SigningKey>>) -> Self {
        let key = key.into();
        match self
            .keys
            .iter_mut()
            .find(|held| held.algorithm() == key.algorithm())
        {
            Some(held) if held.kid() == key.kid() => {}
            Some(held) => {
                self.replaced.push(held.public_key());
                *held = key;
            }
            None => self.keys.push(key),
        }
        self
    }

    /// Publishes another public key beside the signing keys: the next key before a rotation, or a
    /// retired one during the max TTL + leeway after it (see PROTOCOL.md §7, "Keys and rotation").
    pub fn also_publish(mut self, key: PublicKey) -> Self {
        self.extra.push(key);
        self
    }

    /// The clock (tests inject a [`FixedClock`](crate::FixedClock)).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the issuer. Fails if a key given to [`also_publish`](Self::also_publish) repeats
    /// the `kid` of a signing key or of another published key.
    pub fn build(self) -> Result<Issuer, KeyError> {
        let mut published: Vec<PublicKey> = self.keys.iter().map(|k| k.public_key()).collect();
        published.extend(self.extra);
        for key in self.replaced {
            if !published.iter().any(|p| p.kid() == key.kid()) {
                published.push(key);
            }
        }
        let published = KeySet::new(published)?;
        Ok(Issuer::assemble(
            self.issuer,
            self.keys,
            published,
            self.clock,
        ))
    }
}

impl Issuer {
    /// An issuer signing with `key`, on the system clock, publishing only that key. Every plugin
    /// it mints for must be configured with `key`'s algorithm; add a key of the other algorithm
    /// with [`Issuer::builder`] and [`IssuerBuilder::signing_key`].
    pub fn new(issuer: IssuerId, key: SigningKey) -> Issuer {
        let published = KeySet::single(key.public_key());
        Issuer::assemble(
            issuer,
            vec![Arc::new(key)],
            published,
            Arc::new(SystemClock),
        )
    }

    fn assemble(
        issuer: IssuerId,
        keys: Vec<Arc<SigningKey>>,
        published: KeySet,
        clock: Arc<dyn Clock>,
    ) -> Issuer {
        Issuer {
            issuer,
            signers: keys.into_iter().map(Signer::new).collect(),
            published,
            clock,
        }
    }

    /// Starts configuring an issuer around its first signing key (shared with an `Arc` if
    /// needed); [`IssuerBuilder::signing_key`] adds the key of another algorithm.
    pub fn builder(issuer: IssuerId, key: impl Into<Arc<SigningKey>>) -> IssuerBuilder {
        IssuerBuilder {
            issuer,
            keys: vec![key.into()],
            extra: Vec::new(),
            replaced: Vec::new(),
            clock: Arc::new(SystemClock),
        }
    }

    /// The same issuer with `next` as the signing key of its algorithm: the per-algorithm form of
    /// a rotation's step 3 (PROTOCOL.md §7). The key it replaces stays published (remove it with
    /// the builder, one maximum lifetime plus leeway after its last token); the keys of other
    /// algorithms, the other published keys and the clock are unchanged. A key of an algorithm
    /// the issuer did not sign with yet is added. `next` should have been published (step 1, for
    /// example with [`IssuerBuilder::also_publish`]) at least one refresh interval before.
    ///
    /// ```
    /// use cv_portal_plugin::{Algorithm, Issuer, IssuerId, SigningKey};
    /// let eddsa = SigningKey::generate(Algorithm::EdDSA)?;
    /// let old = SigningKey::generate(Algorithm::ES256)?;
    /// let next = SigningKey::generate(Algorithm::ES256)?;
    /// let issuer = Issuer::builder(IssuerId::new("https://portal.example.com.br").unwrap(), eddsa)
    ///     .signing_key(old)
    ///     .also_publish(next.public_key()) // step 1
    ///     .build()?;
    /// let eddsa_kid = issuer.kid_for(Algorithm::EdDSA).map(str::to_owned);
    /// let rotated = issuer.rotate(next)?; // step 3, ES256 only
    /// assert_eq!(rotated.kid_for(Algorithm::EdDSA).map(str::to_owned), eddsa_kid);
    /// assert_eq!(rotated.jwks().len(), 3); // the old ES256 key is still published
    /// # Ok::<(), cv_portal_plugin::KeyError>(())
    /// ```
    pub fn rotate(&self, next: impl Into<Arc<SigningKey>>) -> Result<Issuer, KeyError> {
        let next = next.into();
        let mut keys: Vec<Arc<SigningKey>> = self.signers.iter().map(|s| s.key.clone()).collect();
        match keys
            .iter_mut()
            .find(|held| held.algorithm() == next.algorithm())
        {
            Some(held) => *held = next,
            None => keys.push(next),
        }
        let mut published: Vec<PublicKey> = keys.iter().map(|k| k.public_key()).collect();
        for key in self.published.iter() {
            if !published.iter().any(|p| p.kid() == key.kid()) {
                published.push(key.clone());
            }
        }
        let published = KeySet::new(published)?;
        Ok(Issuer::assemble(
            self.issuer.clone(),
            keys,
            published,
            self.clock.clone(),
        ))
    }

    /// The issuer id (`iss`).
    pub fn issuer_id(&self) -> &IssuerId {
        &self.issuer
    }

    /// The `kid` of the first signing key: the key given to [`Issuer::new`] or
    /// [`Issuer::builder`], or the key of the same algorithm that replaced it. With keys of two
    /// algorithms, [`kid_for`](Self::kid_for) names each.
    pub fn kid(&self) -> &str {
        // An issuer is only ever assembled with at least one signing key.
        self.signers.first().map_or("", |s| s.key.kid())
    }

    /// The `kid` of the key that signs the tokens of plugins configured with `algorithm`, if the
    /// issuer has one.
    pub fn kid_for(&self, algorithm: Algorithm) -> Option<&str> {
        self.signer(algorithm).map(|s| s.key.kid())
    }

    /// The algorithms the issuer signs with, one per signing key, in the order the keys were
    /// given: what the discovery document's `token_signing_alg_values_supported` lists
    /// (`data_endpoint::render_discovery`).
    pub fn algorithms(&self) -> impl Iterator<Item = Algorithm> + '_ {
        self.signers.iter().map(|s| s.key.algorithm())
    }

    /// The public keys to publish as the portal's JWKS: every signing key first (one per
    /// algorithm), then the next and retiring keys.
    pub fn jwks(&self) -> &KeySet {
        &self.published
    }

    /// Whether this issuer can mint for `plugin`: `Err(`[`IssueError::NoSigningKey`]`)` when it
    /// has no key of the plugin's algorithm. Check every plugin with it when the portal starts
    /// and when an admin saves a plugin, so that a missing key shows up there (with
    /// [`IssueError::message_pt_br`] for the admin) rather than when someone opens the plugin.
    /// Whether the plugin is active or shown to anyone is not checked here.
    pub fn check_plugin(&self, plugin: &PluginConfig) -> Result<(), IssueError> {
        self.signer_for(plugin).map(|_| ())
    }

    fn signer(&self, algorithm: Algorithm) -> Option<&Signer> {
        self.signers.iter().find(|s| s.key.algorithm() == algorithm)
    }

    fn signer_for(&self, plugin: &PluginConfig) -> Result<&Signer, IssueError> {
        self.signer(plugin.algorithm())
            .ok_or_else(|| IssueError::NoSigningKey {
                plugin: plugin.id().clone(),
                algorithm: plugin.algorithm(),
            })
    }

    /// Mints a launch token for `viewer` opening `plugin`, signed with the issuer's key of the
    /// plugin's algorithm.
    ///
    /// Refuses with [`IssueError::PluginInactive`] or [`IssueError::NotVisibleToViewer`] when the
    /// menu would not show the plugin to this viewer, then with [`IssueError::NoSigningKey`] when
    /// the issuer has no key of the plugin's algorithm.
    pub fn mint(&self, plugin: &PluginConfig, viewer: &Viewer) -> Result<LaunchToken, IssueError> {
        if !plugin.is_active() {
            return Err(IssueError::PluginInactive);
        }
        if !plugin.is_shown_to(viewer.role()) {
            return Err(IssueError::NotVisibleToViewer {
                role: viewer.role(),
            });
        }
        let signer = self.signer_for(plugin)?;
        let lifetime = i64::try_from(plugin.token_lifetime().as_secs())
            .map_err(|_| IssueError::ClockOutOfRange)?;
        let now = self.clock.now_unix();
        if now < 0 || now > MAX_TIMESTAMP - lifetime {
            return Err(IssueError::ClockOutOfRange);
        }
        let claims = LaunchClaims {
            iss: self.issuer.clone(),
            aud: plugin.id().clone(),
            sub: viewer.subject().clone(),
            role: viewer.role(),
            iat: now,
            nbf: now,
            exp: now + lifetime,
            jti: TokenId::random().ok_or(IssueError::Rng)?,
        };
        let token = signer.sign(&claims)?;
        Ok(LaunchToken {
            token,
            claims,
            link: plugin.link().clone(),
            delivery: plugin.delivery(),
            launch_url: OnceLock::new(),
        })
    }
}

impl Signer {
    fn sign(&self, claims: &LaunchClaims) -> Result<String, IssueError> {
        let payload = serde_json::to_vec(claims).map_err(|_| IssueError::Signing)?;
        let mut token =
            String::with_capacity(self.header_prefix.len() + payload.len() * 4 / 3 + 90);
        token.push_str(&self.header_prefix);
        b64::encode_into(&payload, &mut token);
        let signature = self
            .key
            .sign(token.as_bytes())
            .map_err(|_| IssueError::Signing)?;
        token.push('.');
        b64::encode_into(&signature, &mut token);
        Ok(token)
    }
}

impl fmt::Debug for IssuerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuerBuilder")
            .field("issuer", &self.issuer)
            .field("keys", &self.keys)
            .field("also_published", &self.extra.len())
            .field("replaced", &self.replaced.len())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<&SigningKey> = self.signers.iter().map(|s| &*s.key).collect();
        f.debug_struct("Issuer")
            .field("issuer", &self.issuer)
            .field("keys", &keys)
            .field("published", &self.published.len())
            .finish_non_exhaustive()
    }
}

/// A freshly minted launch token, its claims, and the ways to deliver it.
///
/// The token is a bearer credential until it expires: `Debug` does not show it.
#[derive(Clone)]
pub struct LaunchToken {
    token: String,
    claims: LaunchClaims,
    link: Url,
    delivery: Delivery,
    /// Built on first use: appending the token to the link is about half of minting's work
    /// besides the signature (BENCHMARKS.md), and a portal that delivers by form POST never
    /// needs it.
    launch_url: OnceLock<Url>,
}

impl LaunchToken {
    /// The compact JWS.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The claims inside it.
    pub fn claims(&self) -> &LaunchClaims {
        &self.claims
    }

    /// How the plugin's configuration says to deliver this token ([`PluginConfig::delivery`]):
    /// with [`Delivery::Query`], use [`launch_url`](Self::launch_url) as the iframe `src`; with
    /// [`Delivery::FormPost`], serve [`form_post_html`](Self::form_post_html) as the iframe's
    /// document. Both methods work whatever the setting; the vendor expects the configured one.
    ///
    /// ```
    /// # use cv_portal_plugin::{Algorithm, Issuer, IssuerId, Role, SigningKey, SubjectId, Viewer};
    /// # use cv_portal_plugin::config::{Delivery, Dimension, Icon, PluginConfig, VisibleTo};
    /// # let issuer = Issuer::new(IssuerId::new("https://portal.example.com")?, SigningKey::generate(Algorithm::EdDSA)?);
    /// let plugin = PluginConfig::builder()
    ///     .id("financeiro").name("Financeiro").title("Financeiro").icon(Icon::Boleto)
    ///     .link("https://erp.example.com/financeiro")
    ///     .show_in_client_portal(true).visible_to(VisibleTo::Cliente)
    ///     .iframe_size(Dimension::Percent(100), Dimension::Pixels(800))
    ///     .delivery(Delivery::FormPost)
    ///     .build()?;
    /// let launch = issuer.mint(&plugin, &Viewer::new(SubjectId::new("48213")?, Role::Cliente))?;
    /// let document = match launch.delivery() {
    ///     Delivery::FormPost => launch.form_post_html(),
    ///     _ => format!("<iframe src=\"{}\"></iframe>", launch.launch_url()),
    /// };
    /// assert!(document.contains("method=\"post\""));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn delivery(&self) -> Delivery {
        self.delivery
    }

    /// The plugin link with the token appended as the `token` query parameter (path and any
    /// existing query kept). Use it as the iframe `src`.
    pub fn launch_url(&self) -> &Url {
        self.launch_url.get_or_init(|| {
            let mut launch_url = self.link.clone();
            launch_url
                .query_pairs_mut()
                .append_pair(TOKEN_PARAM, &self.token);
            launch_url
        })
    }

    /// An HTML page that POSTs the token to the plugin link as the form field `token` as soon as it
    /// loads: the token never appears in a URL, so it cannot leak through logs, history or
    /// `Referer`. Serve it as the iframe's document (for example via `srcdoc`): under the
    /// recommended sandbox it runs with the portal's origin until it navigates to the plugin link,
    /// which is safe only because its markup is the crate's own; never add other content. Every interpolated
    /// value is HTML-escaped; the page sends no referrer and has a no-script fallback button.
    pub fn form_post_html(&self) -> String {
        let action = html::escape(self.link.as_str());
        let token = html::escape(&self.token);
        format!(
            "<!DOCTYPE html>\n<html lang=\"pt-BR\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"referrer\" content=\"no-referrer\">\n<title>Abrindo plugin…</title>\n\
             </head>\n<body>\n<form method=\"post\" action=\"{action}\" \
             enctype=\"application/x-www-form-urlencoded\">\n\
             <input type=\"hidden\" name=\"{TOKEN_PARAM}\" value=\"{token}\">\n\
             <noscript><button type=\"submit\">Continuar</button></noscript>\n</form>\n\
             <script>document.forms[0].submit();</script>\n</body>\n</html>\n"
        )
    }

    /// Consumes the value, returning the compact JWS.
    pub fn into_token(self) -> String {
        self.token
    }
}

impl fmt::Debug for LaunchToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LaunchToken")
            .field("token", &"[redacted]")
            .field("claims", &self.claims)
            .field("link", &self.link.as_str())
            .field("delivery", &self.delivery)
            .finish()
    }
}

/// Why the issuer refused to mint a launch token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The plugin is not active: inactive plugins never get tokens.
    #[error("plugin is inactive")]
    PluginInactive,
    /// The viewer's role may not see this plugin (the menu rule), so it gets no token.
    #[error("plugin is not shown to role {role}")]
    NotVisibleToViewer {
        /// The viewer's role.
        role: Role,
    },
    /// The plugin's configuration names a signing algorithm ([`PluginConfig::algorithm`]) the
    /// issuer has no key of. Nothing is signed with another algorithm: the plugin's vendor may
    /// be unable to verify it. Add a key of that algorithm
    /// ([`IssuerBuilder::signing_key`]) or change the plugin's algorithm.
    #[error(
        "plugin {plugin} is configured for {algorithm} launch tokens, but the portal has no \
         {algorithm} signing key; add one or change the plugin's algorithm"
    )]
    NoSigningKey {
        /// The plugin.
        plugin: PluginId,
        /// The algorithm its configuration names.
        algorithm: Algorithm,
    },
    /// The clock reads a time outside the range a token can carry.
    #[error("the clock reads a time a token cannot carry")]
    ClockOutOfRange,
    /// The random generator failed while drawing a `jti`.
    #[error("the system random number generator failed while drawing a token id")]
    Rng,
    /// The signing operation failed.
    #[error("signing failed")]
    Signing,
}

impl IssueError {
    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            IssueError::PluginInactive => "plugin_inactive",
            IssueError::NotVisibleToViewer { .. } => "not_visible_to_viewer",
            IssueError::NoSigningKey { .. } => "no_signing_key",
            IssueError::ClockOutOfRange => "clock_out_of_range",
            IssueError::Rng => "jti_generation_failed",
            IssueError::Signing => "signing_failed",
        }
    }

    /// Every code of this enum.
    pub const ALL_CODES: &'static [&'static str] = &[
        "plugin_inactive",
        "not_visible_to_viewer",
        "no_signing_key",
        "clock_out_of_range",
        "jti_generation_failed",
        "signing_failed",
    ];

    /// The message for English readers (the same text as `Display`).
    pub fn message_en(&self) -> String {
        self.to_string()
    }

    /// The message for Brazilian portal admins.
    pub fn message_pt_br(&self) -> String {
        match self {
            IssueError::PluginInactive => "o plugin está inativo".to_owned(),
            IssueError::NotVisibleToViewer { role } => {
                format!("o plugin não é exibido para o perfil {role}")
            }
            IssueError::NoSigningKey { plugin, algorithm } => format!(
                "o plugin {plugin} está configurado para tokens de acesso {algorithm}, mas o \
                 portal não tem chave de assinatura {algorithm}; cadastre uma ou altere o \
                 Algoritmo de assinatura do plugin"
            ),
            IssueError::ClockOutOfRange => {
                "o relógio indica uma data que um token não pode conter".to_owned()
            }
            IssueError::Rng => "o gerador de números aleatórios do sistema falhou ao sortear o \
                                identificador do token"
                .to_owned(),
            IssueError::Signing => "a assinatura do token falhou".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::config::{Dimension, Icon, VisibleTo};
    use crate::keys::Algorithm;
    use crate::wire::SubjectId;

    #[test]
    fn launch_url_is_built_once_on_demand_and_survives_clones() {
        let issuer = Issuer::builder(
            IssuerId::new("https://portal.construtora.com.br").unwrap(),
            SigningKey::generate(Algorithm::EdDSA).unwrap(),
        )
        .clock(Arc::new(FixedClock::new(1_764_288_000)))
        .build()
        .unwrap();
        let plugin = PluginConfig::builder()
            .id("financeiro")
            .name("Financeiro")
            .link("https://erp.example.com/portal/financeiro?empresa=7")
            .icon(Icon::Alerta)
            .title("Financeiro")
            .show_in_client_portal(true)
            .iframe_size(Dimension::Percent(100), Dimension::Pixels(800))
            .visible_to(VisibleTo::Cliente)
            .build()
            .unwrap();
        let viewer = Viewer::new(SubjectId::new("48213").unwrap(), Role::Cliente);
        let launch = issuer.mint(&plugin, &viewer).unwrap();
        let early_clone = launch.clone();

        let expected = format!(
            "https://erp.example.com/portal/financeiro?empresa=7&token={}",
            launch.token()
        );
        assert_eq!(launch.launch_url().as_str(), expected);
        // The same value on every call, and in clones made before or after the first call.
        assert!(std::ptr::eq(launch.launch_url(), launch.launch_url()));
        assert_eq!(early_clone.launch_url().as_str(), expected);
        assert_eq!(launch.clone().launch_url().as_str(), expected);
        // Building it does not touch the link the form POST uses.
        assert!(
            launch
                .form_post_html()
                .contains("action=\"https://erp.example.com/portal/financeiro?empresa=7\"")
        );
    }
}
