//! Configuration problems: one [`ConfigError`] per problem (field path, stable code, English and
//! Brazilian Portuguese messages) and [`ConfigErrors`], the non-empty list validation returns.

use std::fmt;

use super::icon::Icon;
use super::size::Dimension;
use super::{AuthConfig, PluginConfig};
use crate::quoted::Quoted;
use crate::wire::{ClientDataField, MAX_TOKEN_LIFETIME, PluginId};

/// The JSON type a field expected, reported by [`ConfigErrorKind::JsonWrongType`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JsonType {
    /// A JSON string.
    String,
    /// `true` or `false`.
    Boolean,
    /// A JSON object.
    Object,
    /// A whole number (no fraction, no exponent).
    Integer,
    /// A JSON array of strings.
    StringArray,
}

impl JsonType {
    fn en(self) -> &'static str {
        match self {
            JsonType::String => "a string",
            JsonType::Boolean => "true or false",
            JsonType::Object => "an object",
            JsonType::Integer => "a whole number",
            JsonType::StringArray => "an array of strings",
        }
    }

    fn pt_br(self) -> &'static str {
        match self {
            JsonType::String => "um texto",
            JsonType::Boolean => "verdadeiro ou falso (true/false)",
            JsonType::Object => "um objeto",
            JsonType::Integer => "um número inteiro",
            JsonType::StringArray => "uma lista (array) de textos",
        }
    }
}

/// Why a link is not a URL at all, reported by [`ConfigErrorKind::LinkInvalid`].
///
/// The crate's own list rather than the URL parser's error type, so that a new `url` release
/// does not change this crate's API. The `url` errors that have their own code (no scheme:
/// `link_not_absolute`; empty host: `link_no_host`) never appear here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UrlProblem {
    /// The port is not a number from 0 to 65535.
    InvalidPort,
    /// The host looks like an IPv4 address but is not one.
    InvalidIpv4Address,
    /// The host is in brackets but is not an IPv6 address.
    InvalidIpv6Address,
    /// The host is not a domain name: a character no domain may have (a space, `<`, `%`, ...) or
    /// a malformed international name (`xn--` labels that do not decode).
    InvalidDomain,
    /// Any other reason the parser gives.
    Other,
}

impl UrlProblem {
    pub(crate) fn from_parse_error(error: url::ParseError) -> Self {
        use url::ParseError as P;
        match error {
            P::InvalidPort => UrlProblem::InvalidPort,
            P::InvalidIpv4Address => UrlProblem::InvalidIpv4Address,
            P::InvalidIpv6Address => UrlProblem::InvalidIpv6Address,
            P::InvalidDomainCharacter | P::IdnaError => UrlProblem::InvalidDomain,
            _ => UrlProblem::Other,
        }
    }

    fn en(self) -> &'static str {
        match self {
            UrlProblem::InvalidPort => "invalid port number",
            UrlProblem::InvalidIpv4Address => "invalid IPv4 address",
            UrlProblem::InvalidIpv6Address => "invalid IPv6 address",
            UrlProblem::InvalidDomain => {
                "invalid domain name: a character that is not allowed, or a malformed \
                 international name"
            }
            UrlProblem::Other => "unrecognized format",
        }
    }

    fn pt_br(self) -> &'static str {
        match self {
            UrlProblem::InvalidPort => "número de porta inválido",
            UrlProblem::InvalidIpv4Address => "endereço IPv4 inválido",
            UrlProblem::InvalidIpv6Address => "endereço IPv6 inválido",
            UrlProblem::InvalidDomain => {
                "nome de domínio inválido: caractere não permitido ou nome internacional malformado"
            }
            UrlProblem::Other => "formato não reconhecido",
        }
    }
}

/// What is wrong, independent of where. Each variant has one stable [`code`](Self::code); the
/// full table is in the [module documentation](crate::config#error-codes).
///
/// Values echoed from the input (`found`, `scheme`) are [`Quoted`](crate::Quoted) excerpts: at
/// most 64 characters, control and invisible characters replaced. They are still user input:
/// escape them before putting a message into HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigErrorKind {
    /// `json_syntax`: the document is not JSON (or ends early).
    JsonSyntax {
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
    },
    /// `json_wrong_type`: the field holds a value of the wrong JSON type (including `null`).
    JsonWrongType {
        /// What was expected.
        expected: JsonType,
    },
    /// `json_unknown_field`: the object has a key this format does not define.
    JsonUnknownField {
        /// The keys that are accepted at this place.
        accepted: &'static [&'static str],
    },
    /// `json_duplicate_field`: the same key appears more than once in one object.
    JsonDuplicateField,
    /// `field_missing`: a required field was not given.
    Missing,
    /// `id_empty`.
    IdEmpty,
    /// `id_too_long`: more than [`PluginId::MAX_LEN`] bytes.
    IdTooLong {
        /// Length found, in bytes.
        len: usize,
    },
    /// `id_invalid_character`: a character outside `A-Z a-z 0-9 - _ .`.
    IdInvalidCharacter {
        /// The first offending character.
        found: char,
    },
    /// `id_invalid_first_character`: the id does not start with an ASCII letter or digit.
    IdInvalidFirstCharacter {
        /// The first character.
        found: char,
    },
    /// `name_empty`: empty after trimming.
    NameEmpty,
    /// `name_too_long`: more than [`PluginConfig::NAME_MAX_CHARS`] characters.
    NameTooLong {
        /// Length found, in characters (after trimming).
        chars: usize,
    },
    /// `name_control_character`: a control character (line break, tab, ...).
    NameControlCharacter,
    /// `link_too_long`: more than [`PluginConfig::LINK_MAX_LEN`] bytes.
    LinkTooLong {
        /// Length found, in bytes.
        len: usize,
    },
    /// `link_invalid`: not parseable as a URL.
    LinkInvalid {
        /// Why the parser refused it.
        problem: UrlProblem,
    },
    /// `link_not_absolute`: a relative URL (no scheme).
    LinkNotAbsolute,
    /// `link_no_host`: the URL has no host.
    LinkNoHost,
    /// `link_not_https`: the scheme is not `https` (and not `http` to a loopback host).
    LinkNotHttps {
        /// The scheme found (excerpt).
        scheme: Quoted,
    },
    /// `link_has_userinfo`: the URL carries `user:password@`.
    LinkHasUserinfo,
    /// `link_has_fragment`: the URL carries `#fragment`.
    LinkHasFragment,
    /// `link_reserved_query_param`: the query already has a `token` parameter, which the launch
    /// URL reserves for the launch token.
    LinkReservedQueryParam,
    /// `icon_unknown`: not one of [`Icon::ALL`].
    IconUnknown {
        /// The name found (excerpt).
        found: Quoted,
    },
    /// `title_empty`: empty after trimming.
    TitleEmpty,
    /// `title_too_long`: more than [`PluginConfig::TITLE_MAX_CHARS`] characters.
    TitleTooLong {
        /// Length found, in characters (after trimming).
        chars: usize,
    },
    /// `title_control_character`: a control character (line break, tab, ...).
    TitleControlCharacter,
    /// `kind_unsupported`: a plugin type other than `iframe`.
    KindUnsupported {
        /// The type found (excerpt).
        found: Quoted,
    },
    /// `iframe_size_invalid`: not of the form `800px` or `100%`.
    SizeInvalid {
        /// The text found (excerpt).
        found: Quoted,
    },
    /// `iframe_size_pixels_out_of_range`: outside [`Dimension::PIXELS_MIN`]..=[`Dimension::PIXELS_MAX`].
    SizePixelsOutOfRange {
        /// The number found, as written (may be negative or huge; excerpt).
        found: Quoted,
    },
    /// `iframe_size_percent_out_of_range`: outside [`Dimension::PERCENT_MIN`]..=[`Dimension::PERCENT_MAX`].
    SizePercentOutOfRange {
        /// The number found, as written (may be negative or huge; excerpt).
        found: Quoted,
    },
    /// `visible_to_unknown`: not `cliente`, `sindico` or `cliente_e_sindico`.
    VisibleToUnknown {
        /// The value found (excerpt).
        found: Quoted,
    },
    /// `auth_unsupported`: an authentication type other than `token`.
    AuthUnsupported {
        /// The type found (excerpt).
        found: Quoted,
    },
    /// `auth_lifetime_out_of_range`: outside [`AuthConfig::MIN_TOKEN_LIFETIME`]..=[`MAX_TOKEN_LIFETIME`].
    AuthLifetimeOutOfRange {
        /// The number of seconds found (may be negative or huge; excerpt).
        found: Quoted,
    },
    /// `auth_lifetime_not_whole_seconds`: the lifetime has a fraction of a second.
    AuthLifetimeNotWholeSeconds,
    /// `delivery_unknown`: not `query` or `form_post`.
    DeliveryUnknown {
        /// The value found (excerpt).
        found: Quoted,
    },
    /// `algorithm_unknown`: not `EdDSA` or `ES256`, the JOSE names, exactly.
    AlgorithmUnknown {
        /// The value found (excerpt).
        found: Quoted,
    },
    /// `client_data_unknown_field`: a name in `client_data` that is not a [`ClientDataField`].
    ClientDataUnknownField {
        /// The name found (excerpt).
        found: Quoted,
    },
    /// `client_data_duplicate_field`: a field listed more than once in `client_data`.
    ClientDataDuplicateField {
        /// The repeated field.
        field: ClientDataField,
    },
}

/// Generates [`ConfigErrorKind::ALL_CODES`], `code`, `problem_en` and `problem_pt_br` from one
/// row per variant, in the documented order: the variant, its code, and its problem in English and
/// in Brazilian Portuguese, so that a code and its two messages are read (and translated) together.
macro_rules! problems {
    ($($variant:pat => $code:literal { en: $en:expr, pt: $pt:expr $(,)? })*) => {
        impl ConfigErrorKind {
            /// Every code of this enum, in the order of the [table](crate::config#error-codes).
            pub const ALL_CODES: &'static [&'static str] = &[$($code),*];

            /// The stable, machine-readable code, e.g. `link_not_https`.
            #[allow(unused_variables)]
            pub fn code(&self) -> &'static str {
                match self {
                    $($variant => $code,)*
                }
            }

            /// The problem in English, without the field name.
            #[allow(unused_variables)]
            pub fn problem_en(&self) -> String {
                match self {
                    $($variant => String::from($en),)*
                }
            }

            /// The problem in Brazilian Portuguese, without the field name.
            #[allow(unused_variables)]
            pub fn problem_pt_br(&self) -> String {
                match self {
                    $($variant => String::from($pt),)*
                }
            }
        }
    };
}

use ConfigErrorKind as K;

const EMPTY: [&str; 2] = ["must not be empty", "não pode ficar vazio"];
const CONTROL: [&str; 2] = [
    "must not contain control characters such as line breaks or tabs",
    "não pode conter caracteres de controle, como quebras de linha ou tabulações",
];
const PX: (u32, u32) = (Dimension::PIXELS_MIN, Dimension::PIXELS_MAX);
const PC: (u8, u8) = (Dimension::PERCENT_MIN, Dimension::PERCENT_MAX);
const LIFETIME: (u64, u64) = (
    AuthConfig::MIN_TOKEN_LIFETIME.as_secs(),
    MAX_TOKEN_LIFETIME.as_secs(),
);

problems! {
    K::JsonSyntax { line, column } => "json_syntax" {
        en: format!("invalid JSON at line {line}, column {column}"),
        pt: format!("JSON inválido na linha {line}, coluna {column}"),
    }
    K::JsonWrongType { expected } => "json_wrong_type" {
        en: format!("expected {}", expected.en()),
        pt: format!("valor do tipo errado; era esperado {}", expected.pt_br()),
    }
    K::JsonUnknownField { accepted } => "json_unknown_field" {
        en: format!("unknown field; accepted fields are: {}", accepted.join(", ")),
        pt: format!("campo desconhecido; os campos aceitos são: {}", accepted.join(", ")),
    }
    K::JsonDuplicateField => "json_duplicate_field" {
        en: "the field appears more than once",
        pt: "o campo aparece mais de uma vez",
    }
    K::Missing => "field_missing" {
        en: "this field is required",
        pt: "campo obrigatório não informado",
    }
    K::IdEmpty => "id_empty" { en: EMPTY[0], pt: EMPTY[1] }
    K::IdTooLong { len } => "id_too_long" {
        en: too_many_bytes(*len, PluginId::MAX_LEN)[0].clone(),
        pt: too_many_bytes(*len, PluginId::MAX_LEN)[1].clone(),
    }
    K::IdInvalidCharacter { found } => "id_invalid_character" {
        en: format!("contains {found:?}; only ASCII letters, digits, '-', '_' and '.' are allowed"),
        pt: format!(
            "contém o caractere {found:?}; só são permitidos letras sem acento, dígitos, '-', '_' \
             e '.'"
        ),
    }
    K::IdInvalidFirstCharacter { found } => "id_invalid_first_character" {
        en: format!("must start with an ASCII letter or digit, found {found:?}"),
        pt: format!("deve começar com uma letra sem acento ou um dígito; encontrado {found:?}"),
    }
    K::NameEmpty => "name_empty" { en: EMPTY[0], pt: EMPTY[1] }
    K::NameTooLong { chars } => "name_too_long" {
        en: too_many_chars(*chars, PluginConfig::NAME_MAX_CHARS)[0].clone(),
        pt: too_many_chars(*chars, PluginConfig::NAME_MAX_CHARS)[1].clone(),
    }
    K::NameControlCharacter => "name_control_character" { en: CONTROL[0], pt: CONTROL[1] }
    K::LinkTooLong { len } => "link_too_long" {
        en: too_many_bytes(*len, PluginConfig::LINK_MAX_LEN)[0].clone(),
        pt: too_many_bytes(*len, PluginConfig::LINK_MAX_LEN)[1].clone(),
    }
    K::LinkInvalid { problem } => "link_invalid" {
        en: format!("is not a valid URL ({})", problem.en()),
        pt: format!("não é uma URL válida ({})", problem.pt_br()),
    }
    K::LinkNotAbsolute => "link_not_absolute" {
        en: "must be an absolute URL such as https://plugin.example.com/path",
        pt: "deve ser uma URL completa, como https://plugin.exemplo.com.br/caminho",
    }
    K::LinkNoHost => "link_no_host" {
        en: "must have a host name",
        pt: "deve ter um nome de host (domínio)",
    }
    K::LinkNotHttps { scheme } => "link_not_https" {
        en: format!(
            "must use https (found {scheme}); plain http is accepted only for localhost, \
             127.0.0.0/8 and [::1]"
        ),
        pt: format!(
            "deve usar https (encontrado {scheme}); http só é aceito para localhost, 127.0.0.0/8 \
             e [::1]"
        ),
    }
    K::LinkHasUserinfo => "link_has_userinfo" {
        en: "must not contain a user name or password (user:password@)",
        pt: "não pode conter usuário ou senha (usuario:senha@)",
    }
    K::LinkHasFragment => "link_has_fragment" {
        en: "must not contain a fragment (#...)",
        pt: "não pode conter fragmento (#...)",
    }
    K::LinkReservedQueryParam => "link_reserved_query_param" {
        en: "must not have a \"token\" query parameter: the portal adds it for the launch token",
        pt: "não pode ter o parâmetro \"token\" na query: o portal o acrescenta para o token de \
             acesso",
    }
    K::IconUnknown { found } => "icon_unknown" {
        en: format!("unknown icon {found}; valid icons are: {}", icon_names()),
        pt: format!("ícone {found} desconhecido; os ícones válidos são: {}", icon_names()),
    }
    K::TitleEmpty => "title_empty" { en: EMPTY[0], pt: EMPTY[1] }
    K::TitleTooLong { chars } => "title_too_long" {
        en: too_many_chars(*chars, PluginConfig::TITLE_MAX_CHARS)[0].clone(),
        pt: too_many_chars(*chars, PluginConfig::TITLE_MAX_CHARS)[1].clone(),
    }
    K::TitleControlCharacter => "title_control_character" { en: CONTROL[0], pt: CONTROL[1] }
    K::KindUnsupported { found } => "kind_unsupported" {
        en: format!("unsupported plugin type {found}; the only type is \"iframe\""),
        pt: format!("tipo de plugin {found} não suportado; o único tipo disponível é \"iframe\""),
    }
    K::SizeInvalid { found } => "iframe_size_invalid" {
        en: format!(
            "{found} is not a size; write pixels like \"800px\" or a percentage like \"100%\""
        ),
        pt: format!(
            "{found} não é um tamanho válido; use pixels, como \"800px\", ou porcentagem, como \
             \"100%\""
        ),
    }
    K::SizePixelsOutOfRange { found } => "iframe_size_pixels_out_of_range" {
        en: format!("{} px is out of range; use {} to {} px", found.as_str(), PX.0, PX.1),
        pt: format!(
            "{} px está fora do intervalo permitido (de {} a {} px)",
            found.as_str(),
            PX.0,
            PX.1
        ),
    }
    K::SizePercentOutOfRange { found } => "iframe_size_percent_out_of_range" {
        en: format!("{}% is out of range; use {}% to {}%", found.as_str(), PC.0, PC.1),
        pt: format!(
            "{}% está fora do intervalo permitido (de {}% a {}%)",
            found.as_str(),
            PC.0,
            PC.1
        ),
    }
    K::VisibleToUnknown { found } => "visible_to_unknown" {
        en: format!(
            "unknown value {found}; expected \"cliente\", \"sindico\" or \"cliente_e_sindico\""
        ),
        pt: format!(
            "valor {found} desconhecido; use \"cliente\", \"sindico\" ou \"cliente_e_sindico\""
        ),
    }
    K::AuthUnsupported { found } => "auth_unsupported" {
        en: format!("unsupported authentication type {found}; the only type is \"token\""),
        pt: format!(
            "tipo de autenticação {found} não suportado; o único tipo disponível é \"token\""
        ),
    }
    K::AuthLifetimeOutOfRange { found } => "auth_lifetime_out_of_range" {
        en: format!(
            "{} s is out of range; use {} to {} seconds (30 s to 1 h)",
            found.as_str(),
            LIFETIME.0,
            LIFETIME.1
        ),
        pt: format!(
            "{} s está fora do intervalo permitido (de {} a {} segundos, ou seja, de 30 s a 1 h)",
            found.as_str(),
            LIFETIME.0,
            LIFETIME.1
        ),
    }
    K::AuthLifetimeNotWholeSeconds => "auth_lifetime_not_whole_seconds" {
        en: "must be a whole number of seconds",
        pt: "deve ser um número inteiro de segundos",
    }
    K::DeliveryUnknown { found } => "delivery_unknown" {
        en: format!("unknown value {found}; expected \"query\" or \"form_post\""),
        pt: format!("valor {found} desconhecido; use \"query\" ou \"form_post\""),
    }
    K::AlgorithmUnknown { found } => "algorithm_unknown" {
        en: format!(
            "unknown signing algorithm {found}; expected \"EdDSA\" (the default) or \"ES256\" \
             (for vendors whose JWT library has no Ed25519, such as .NET), written exactly so"
        ),
        pt: format!(
            "algoritmo de assinatura {found} desconhecido; use \"EdDSA\" (o padrão) ou \"ES256\" \
             (para fornecedores cuja biblioteca JWT não tem Ed25519, como .NET), escrito \
             exatamente assim"
        ),
    }
    K::ClientDataUnknownField { found } => "client_data_unknown_field" {
        en: format!("unknown client data field {found}; valid fields are: {}", client_data_names()),
        pt: format!(
            "campo de dados do cliente {found} desconhecido; os campos válidos são: {}",
            client_data_names()
        ),
    }
    K::ClientDataDuplicateField { field } => "client_data_duplicate_field" {
        en: format!("\"{field}\" is listed more than once"),
        pt: format!("\"{field}\" aparece mais de uma vez na lista"),
    }
}

impl fmt::Display for ConfigErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.problem_en())
    }
}

/// "is N bytes long; at most M are allowed", in English and Portuguese (whose wording says
/// "caracteres" today; see the closing note of issue 10).
fn too_many_bytes(len: usize, max: usize) -> [String; 2] {
    [
        format!("is {len} bytes long; at most {max} are allowed"),
        format!("tem {len} caracteres; o máximo permitido é {max}"),
    ]
}

/// "has N characters; at most M are allowed", in English and Portuguese.
fn too_many_chars(chars: usize, max: usize) -> [String; 2] {
    [
        format!("has {chars} characters; at most {max} are allowed"),
        format!("tem {chars} caracteres; o máximo permitido é {max}"),
    ]
}

fn client_data_names() -> String {
    ClientDataField::ALL
        .iter()
        .map(|field| field.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn icon_names() -> String {
    Icon::ALL
        .iter()
        .map(|icon| icon.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One problem in a plugin configuration: where ([`path`](Self::path)), what
/// ([`code`](Self::code), [`kind`](Self::kind)) and a message in English and Brazilian Portuguese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    path: String,
    kind: ConfigErrorKind,
}

impl ConfigError {
    /// A problem `kind` at the field `path` (e.g. `"link"`, `"iframe_size.width"`).
    pub fn new(path: impl Into<String>, kind: ConfigErrorKind) -> Self {
        ConfigError {
            path: path.into(),
            kind,
        }
    }

    /// The field the problem is about, as a dotted JSON path (`"link"`, `"iframe_size.width"`,
    /// `"auth.token_lifetime_seconds"`). Empty for the document as a whole (`json_syntax`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The stable, machine-readable code, e.g. `link_not_https`.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// What is wrong, for callers that want to match on it.
    pub fn kind(&self) -> &ConfigErrorKind {
        &self.kind
    }

    /// A message for English readers, prefixed by the field's name: `title: must not be empty`.
    pub fn message_en(&self) -> String {
        match label(&self.path) {
            Some((en, _)) => format!("{en}: {}", self.kind.problem_en()),
            None if self.path.is_empty() => self.kind.problem_en(),
            None => format!("{}: {}", self.path, self.kind.problem_en()),
        }
    }

    /// A message for Brazilian admins, prefixed by the field's label on the "Gestão de Plugins"
    /// screen: `Título do Plugin: não pode ficar vazio`.
    pub fn message_pt_br(&self) -> String {
        match label(&self.path) {
            Some((_, pt)) => format!("{pt}: {}", self.kind.problem_pt_br()),
            None if self.path.is_empty() => self.kind.problem_pt_br(),
            None => format!("{}: {}", self.path, self.kind.problem_pt_br()),
        }
    }
}

/// English and Portuguese labels of the known field paths.
fn label(path: &str) -> Option<(&'static str, &'static str)> {
    Some(match path {
        "id" => ("id", "Identificador"),
        "name" => ("name", "Nome"),
        "active" => ("active", "Ativo"),
        "link" => ("link", "Link"),
        "icon" => ("icon", "Ícone"),
        "title" => ("title", "Título do Plugin"),
        "show_in_client_portal" => ("show_in_client_portal", "Exibir no portal do cliente"),
        "show_in_manager_panel" => ("show_in_manager_panel", "Exibir no gestor"),
        "kind" => ("kind", "Tipo"),
        "iframe_size" => ("iframe_size", "Tamanho do iframe"),
        "iframe_size.width" => ("iframe width", "Largura do iframe"),
        "iframe_size.height" => ("iframe height", "Altura do iframe"),
        "visible_to" => ("visible_to", "Visível para"),
        "auth" | "auth.type" => ("authentication type", "Tipo de autenticação"),
        "auth.token_lifetime_seconds" => ("token lifetime", "Duração do token"),
        "delivery" => ("delivery", "Entrega do token"),
        "algorithm" => ("algorithm", "Algoritmo de assinatura"),
        "client_data" => ("client_data", "Dados do cliente"),
        _ => return None,
    })
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}]", self.message_en(), self.code())
    }
}

impl std::error::Error for ConfigError {}

/// Every problem found in a plugin configuration (never empty), in field order.
///
/// ```
/// use cv_portal_plugin::config::PluginConfig;
///
/// let errors = PluginConfig::from_json(r#"{"id": ""}"#).unwrap_err();
/// assert!(errors.len() > 1);
/// assert!(errors.iter().any(|e| e.code() == "id_empty"));
/// assert!(errors.iter().any(|e| e.code() == "field_missing" && e.path() == "link"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(Vec<ConfigError>);

impl ConfigErrors {
    /// Wraps a list of problems; `None` when the list is empty (no problem, no error).
    pub(crate) fn from_vec(errors: Vec<ConfigError>) -> Option<Self> {
        (!errors.is_empty()).then_some(ConfigErrors(errors))
    }

    /// A list holding one problem.
    pub(crate) fn one(error: ConfigError) -> Self {
        ConfigErrors(vec![error])
    }

    /// The problems, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.0.iter()
    }

    /// How many problems there are (at least one).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false`: a `ConfigErrors` holds at least one problem.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The problems as a slice.
    pub fn as_slice(&self) -> &[ConfigError] {
        &self.0
    }

    /// The problems as a vector.
    pub fn into_vec(self) -> Vec<ConfigError> {
        self.0
    }

    /// The codes of all problems, in order (handy in tests and logs).
    pub fn codes(&self) -> Vec<&'static str> {
        self.0.iter().map(ConfigError::code).collect()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "invalid plugin configuration ({n} problem{}): ",
            if n == 1 { "" } else { "s" }
        )?;
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a ConfigError;
    type IntoIter = std::slice::Iter<'a, ConfigError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for ConfigErrors {
    type Item = ConfigError;
    type IntoIter = std::vec::IntoIter<ConfigError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_codes_lists_exactly_the_codes_of_the_variants() {
        use ConfigErrorKind as K;
        let q = || Quoted::new("x");
        let every_variant = [
            K::JsonSyntax { line: 1, column: 1 },
            K::JsonWrongType {
                expected: JsonType::String,
            },
            K::JsonUnknownField { accepted: &[] },
            K::JsonDuplicateField,
            K::Missing,
            K::IdEmpty,
            K::IdTooLong { len: 65 },
            K::IdInvalidCharacter { found: ' ' },
            K::IdInvalidFirstCharacter { found: '-' },
            K::NameEmpty,
            K::NameTooLong { chars: 101 },
            K::NameControlCharacter,
            K::LinkTooLong { len: 2049 },
            K::LinkInvalid {
                problem: UrlProblem::InvalidPort,
            },
            K::LinkNotAbsolute,
            K::LinkNoHost,
            K::LinkNotHttps { scheme: q() },
            K::LinkHasUserinfo,
            K::LinkHasFragment,
            K::LinkReservedQueryParam,
            K::IconUnknown { found: q() },
            K::TitleEmpty,
            K::TitleTooLong { chars: 61 },
            K::TitleControlCharacter,
            K::KindUnsupported { found: q() },
            K::SizeInvalid { found: q() },
            K::SizePixelsOutOfRange { found: q() },
            K::SizePercentOutOfRange { found: q() },
            K::VisibleToUnknown { found: q() },
            K::AuthUnsupported { found: q() },
            K::AuthLifetimeOutOfRange { found: q() },
            K::AuthLifetimeNotWholeSeconds,
            K::DeliveryUnknown { found: q() },
            K::AlgorithmUnknown { found: q() },
            K::ClientDataUnknownField { found: q() },
            K::ClientDataDuplicateField {
                field: ClientDataField::Name,
            },
        ];
        let codes: Vec<&str> = every_variant.iter().map(K::code).collect();
        assert_eq!(codes, K::ALL_CODES, "ALL_CODES is in declaration order");
        for kind in &every_variant {
            assert!(!kind.problem_en().is_empty() && !kind.problem_pt_br().is_empty());
        }
    }
}
