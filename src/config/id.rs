//! The configuration's reading of a plugin id: every problem of the wire rule
//! ([`PluginId`](crate::PluginId)) as a bilingual [`ConfigErrorKind`].

use super::error::ConfigErrorKind;
use crate::wire::{IdProblem, PluginId, plugin_id_problems};

/// Validates `id` for the configuration, reporting every problem (at most two).
pub(crate) fn parse_plugin_id(id: &str) -> Result<PluginId, Vec<ConfigErrorKind>> {
    let problems = plugin_id_problems(id);
    if problems.is_empty() {
        // The same rule just passed, so this cannot fail; fall back to a problem, not a panic.
        return PluginId::new(id).map_err(|_| vec![ConfigErrorKind::IdEmpty]);
    }
    Err(problems
        .into_iter()
        .map(|problem| match problem {
            IdProblem::TooLong { len, .. } => ConfigErrorKind::IdTooLong { len },
            IdProblem::InvalidCharacter { found } => ConfigErrorKind::IdInvalidCharacter { found },
            IdProblem::InvalidFirstCharacter { found } => {
                ConfigErrorKind::IdInvalidFirstCharacter { found }
            }
            _ => ConfigErrorKind::IdEmpty,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_becomes_its_config_kind() {
        assert_eq!(parse_plugin_id("boleto").unwrap().as_str(), "boleto");
        assert_eq!(parse_plugin_id(""), Err(vec![ConfigErrorKind::IdEmpty]));
        assert_eq!(
            parse_plugin_id("-x"),
            Err(vec![ConfigErrorKind::IdInvalidFirstCharacter {
                found: '-'
            }])
        );
        assert_eq!(
            parse_plugin_id(&"é".repeat(40)),
            Err(vec![
                ConfigErrorKind::IdTooLong { len: 80 },
                ConfigErrorKind::IdInvalidCharacter { found: 'é' }
            ])
        );
    }
}
