//! [`AuthConfig`] ("Tipo de autenticação"): how the plugin learns who is logged in.

use std::time::Duration;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::error::ConfigErrorKind;
use crate::quoted::Quoted;
use crate::wire::MAX_TOKEN_LIFETIME;

/// The plugin's authentication ("Tipo de autenticação"). The portal has only one type: a
/// short-lived signed launch token sent to the plugin's link when the viewer opens it.
///
/// The lifetime is [`DEFAULT_TOKEN_LIFETIME`](Self::DEFAULT_TOKEN_LIFETIME) (5 minutes) unless
/// set, and must be a whole number of seconds between
/// [`MIN_TOKEN_LIFETIME`](Self::MIN_TOKEN_LIFETIME) (30 s) and
/// [`wire::MAX_TOKEN_LIFETIME`](crate::wire::MAX_TOKEN_LIFETIME) (1 h, the protocol's limit, which
/// verifiers enforce too). A value of this type can be built with any lifetime; a
/// [`PluginConfig`](super::PluginConfig) only ever holds one in range.
///
/// JSON form: `{"type": "token", "token_lifetime_seconds": 300}`; `token_lifetime_seconds` may be
/// omitted on input (the default applies) and is always written on output.
///
/// The portal may add authentication types: match with a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthConfig {
    /// A signed launch token ("Token").
    Token {
        /// How long a launch token for this plugin stays valid.
        lifetime: Duration,
    },
}

impl AuthConfig {
    /// The lifetime used when none is configured: 5 minutes.
    pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(5 * 60);
    /// The shortest accepted lifetime: 30 seconds (enough for a slow page load).
    pub const MIN_TOKEN_LIFETIME: Duration = Duration::from_secs(30);

    /// Token authentication with the given lifetime (checked when the configuration is built).
    pub const fn token(lifetime: Duration) -> Self {
        AuthConfig::Token { lifetime }
    }

    /// The JSON name of the type: `"token"`.
    pub const fn type_name(&self) -> &'static str {
        match self {
            AuthConfig::Token { .. } => "token",
        }
    }

    /// The launch token lifetime.
    pub const fn token_lifetime(&self) -> Duration {
        match self {
            AuthConfig::Token { lifetime } => *lifetime,
        }
    }

    /// Checks the lifetime.
    pub(crate) fn check(self) -> Result<AuthConfig, ConfigErrorKind> {
        check_lifetime(self.token_lifetime()).map(AuthConfig::token)
    }
}

impl Default for AuthConfig {
    /// Token authentication with the default 5-minute lifetime.
    fn default() -> Self {
        AuthConfig::token(AuthConfig::DEFAULT_TOKEN_LIFETIME)
    }
}

pub(crate) fn check_lifetime(lifetime: Duration) -> Result<Duration, ConfigErrorKind> {
    if lifetime.subsec_nanos() != 0 {
        return Err(ConfigErrorKind::AuthLifetimeNotWholeSeconds);
    }
    check_lifetime_seconds(i128::from(lifetime.as_secs()))
}

pub(crate) fn check_lifetime_seconds(seconds: i128) -> Result<Duration, ConfigErrorKind> {
    let min = i128::from(AuthConfig::MIN_TOKEN_LIFETIME.as_secs());
    let max = i128::from(MAX_TOKEN_LIFETIME.as_secs());
    match u64::try_from(seconds) {
        Ok(secs) if (min..=max).contains(&seconds) => Ok(Duration::from_secs(secs)),
        _ => Err(ConfigErrorKind::AuthLifetimeOutOfRange {
            found: Quoted::new(&seconds.to_string()),
        }),
    }
}

impl Serialize for AuthConfig {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("type", self.type_name())?;
        map.serialize_entry("token_lifetime_seconds", &self.token_lifetime().as_secs())?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetime_bounds() {
        for ok in [30, 31, 300, 3599, 3600] {
            assert_eq!(
                check_lifetime(Duration::from_secs(ok)),
                Ok(Duration::from_secs(ok))
            );
        }
        for bad in [0, 1, 29, 3601, 86_400, u64::MAX] {
            assert_eq!(
                check_lifetime(Duration::from_secs(bad)).unwrap_err().code(),
                "auth_lifetime_out_of_range",
                "{bad}"
            );
        }
        assert_eq!(
            check_lifetime(Duration::from_millis(30_500)).unwrap_err(),
            ConfigErrorKind::AuthLifetimeNotWholeSeconds
        );
        assert!(check_lifetime_seconds(-300).is_err());
        assert!(check_lifetime_seconds(i128::MAX).is_err());
    }

    #[test]
    fn default_is_five_minutes_and_serializes() {
        assert_eq!(
            AuthConfig::default().token_lifetime(),
            Duration::from_secs(300)
        );
        assert_eq!(
            serde_json::to_string(&AuthConfig::default()).unwrap(),
            r#"{"type":"token","token_lifetime_seconds":300}"#
        );
    }
}
