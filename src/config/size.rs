//! [`IframeSize`] ("Tamanho do iframe"): a width and a height, each a [`Dimension`] in pixels or
//! percent.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::error::{ConfigError, ConfigErrorKind, ConfigErrors};
use crate::quoted::Quoted;

/// One side of the iframe: a number of CSS pixels or a percentage of the container.
///
/// Bounds: pixels [`PIXELS_MIN`](Self::PIXELS_MIN)..=[`PIXELS_MAX`](Self::PIXELS_MAX)
/// (100..=4096), percent [`PERCENT_MIN`](Self::PERCENT_MIN)..=[`PERCENT_MAX`](Self::PERCENT_MAX)
/// (1..=100). The variants can hold any number; a [`PluginConfig`](super::PluginConfig) only ever
/// holds dimensions within bounds, because building one checks them.
///
/// The text (and JSON) form is the CSS one: `"800px"` or `"100%"`. Surrounding spaces are
/// ignored; anything else (`"800"`, `"80em"`, `"+5px"`, `"100 %"`) is `iframe_size_invalid`.
///
/// ```
/// use cv_portal_plugin::config::Dimension;
///
/// assert_eq!("800px".parse::<Dimension>().unwrap(), Dimension::Pixels(800));
/// assert_eq!(Dimension::Percent(100).to_string(), "100%");
/// assert_eq!("250%".parse::<Dimension>().unwrap_err().code(), "iframe_size_percent_out_of_range");
/// assert_eq!("0px".parse::<Dimension>().unwrap_err().code(), "iframe_size_pixels_out_of_range");
/// ```
///
/// Other units may come: match with a `_` arm, or use [`css_value`](Self::css_value) and
/// [`html_attribute_value`](Self::html_attribute_value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dimension {
    /// CSS pixels.
    Pixels(u32),
    /// Percent of the containing block.
    Percent(u8),
}

impl Dimension {
    /// Smallest accepted pixel size: below this no plugin page is usable.
    pub const PIXELS_MIN: u32 = 100;
    /// Largest accepted pixel size: taller content should scroll inside the iframe.
    pub const PIXELS_MAX: u32 = 4096;
    /// Smallest accepted percentage.
    pub const PERCENT_MIN: u8 = 1;
    /// Largest accepted percentage: the whole container.
    pub const PERCENT_MAX: u8 = 100;

    /// Checks the bounds.
    pub(crate) fn check(self) -> Result<Dimension, ConfigErrorKind> {
        match self {
            Dimension::Pixels(px) if !(Self::PIXELS_MIN..=Self::PIXELS_MAX).contains(&px) => {
                Err(ConfigErrorKind::SizePixelsOutOfRange {
                    found: Quoted::new(&px.to_string()),
                })
            }
            Dimension::Percent(pc) if !(Self::PERCENT_MIN..=Self::PERCENT_MAX).contains(&pc) => {
                Err(ConfigErrorKind::SizePercentOutOfRange {
                    found: Quoted::new(&pc.to_string()),
                })
            }
            ok => Ok(ok),
        }
    }

    /// Parses `"800px"` / `"100%"` and checks the bounds.
    pub(crate) fn parse_kind(text: &str) -> Result<Dimension, ConfigErrorKind> {
        let invalid = || ConfigErrorKind::SizeInvalid {
            found: Quoted::new(text),
        };
        let trimmed = text.trim();
        let (number, percent) = if let Some(n) = trimmed.strip_suffix("px") {
            (n, false)
        } else if let Some(n) = trimmed.strip_suffix('%') {
            (n, true)
        } else {
            return Err(invalid());
        };
        let (negative, digits) = match number.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, number),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let out_of_range = || {
            let found = Quoted::new(number);
            if percent {
                ConfigErrorKind::SizePercentOutOfRange { found }
            } else {
                ConfigErrorKind::SizePixelsOutOfRange { found }
            }
        };
        if negative {
            return Err(out_of_range());
        }
        // Digits only, so the only possible failure is overflow: out of range as well.
        let value: u64 = digits.parse().map_err(|_| out_of_range())?;
        let dimension = if percent {
            Dimension::Percent(u8::try_from(value).map_err(|_| out_of_range())?)
        } else {
            Dimension::Pixels(u32::try_from(value).map_err(|_| out_of_range())?)
        };
        dimension.check()
    }

    /// The value for an HTML `width`/`height` attribute: `"800"` for pixels, `"100%"` for percent.
    pub fn html_attribute_value(self) -> String {
        match self {
            Dimension::Pixels(px) => px.to_string(),
            Dimension::Percent(pc) => format!("{pc}%"),
        }
    }

    /// The CSS length: `"800px"` or `"100%"` (the same as `Display` and the JSON form).
    pub fn css_value(self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dimension::Pixels(px) => write!(f, "{px}px"),
            Dimension::Percent(pc) => write!(f, "{pc}%"),
        }
    }
}

impl FromStr for Dimension {
    type Err = ConfigError;

    /// Parses and bound-checks `"800px"` or `"100%"`. The error's path is `"iframe_size"`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Dimension::parse_kind(s).map_err(|kind| ConfigError::new("iframe_size", kind))
    }
}

impl Serialize for Dimension {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Dimension {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

/// The iframe's width and height, both within the [`Dimension`] bounds.
///
/// JSON form: `{"width": "100%", "height": "800px"}`.
///
/// ```
/// use cv_portal_plugin::config::{Dimension, IframeSize};
///
/// let size = IframeSize::new(Dimension::Percent(100), Dimension::Pixels(800)).unwrap();
/// assert_eq!(size.height(), Dimension::Pixels(800));
/// let errors = IframeSize::new(Dimension::Pixels(0), Dimension::Percent(250)).unwrap_err();
/// assert_eq!(errors.len(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct IframeSize {
    width: Dimension,
    height: Dimension,
}

impl IframeSize {
    /// Checks both sides; the errors' paths are `iframe_size.width` and `iframe_size.height`.
    pub fn new(width: Dimension, height: Dimension) -> Result<Self, ConfigErrors> {
        let mut errors = Vec::new();
        if let Err(kind) = width.check() {
            errors.push(ConfigError::new("iframe_size.width", kind));
        }
        if let Err(kind) = height.check() {
            errors.push(ConfigError::new("iframe_size.height", kind));
        }
        match ConfigErrors::from_vec(errors) {
            Some(errors) => Err(errors),
            None => Ok(IframeSize { width, height }),
        }
    }

    /// The width.
    pub fn width(self) -> Dimension {
        self.width
    }

    /// The height.
    pub fn height(self) -> Dimension {
        self.height
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_bounds_and_common_sizes() {
        let cases = [
            ("100px", Dimension::Pixels(100)),
            ("4096px", Dimension::Pixels(4096)),
            ("800px", Dimension::Pixels(800)),
            (" 600px ", Dimension::Pixels(600)),
            ("0800px", Dimension::Pixels(800)),
            ("1%", Dimension::Percent(1)),
            ("100%", Dimension::Percent(100)),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<Dimension>().unwrap(), expected, "{text:?}");
        }
    }

    #[test]
    fn rejects_nonsense_with_codes() {
        let px = "iframe_size_pixels_out_of_range";
        let pc = "iframe_size_percent_out_of_range";
        let bad = "iframe_size_invalid";
        let cases = [
            ("0px", px),
            ("99px", px),
            ("4097px", px),
            ("100000px", px),
            ("-5px", px),
            ("-0px", px),
            ("99999999999999999999999px", px),
            ("0%", pc),
            ("101%", pc),
            ("250%", pc),
            ("-10%", pc),
            ("800", bad),
            ("80em", bad),
            ("px", bad),
            ("%", bad),
            ("+5px", bad),
            ("1.5px", bad),
            ("100 %", bad),
            ("", bad),
            ("５００px", bad),
        ];
        for (text, code) in cases {
            let err = text.parse::<Dimension>().unwrap_err();
            assert_eq!(err.code(), code, "{text:?}");
        }
    }

    #[test]
    fn out_of_range_messages_name_the_bounds() {
        let err = "250%".parse::<Dimension>().unwrap_err();
        assert!(err.message_en().contains("250%"), "{}", err.message_en());
        assert!(err.message_pt_br().contains("de 1% a 100%"));
        let err = "-5px".parse::<Dimension>().unwrap_err();
        assert!(err.message_en().contains("-5 px"));
    }

    #[test]
    fn typed_values_are_checked_too() {
        assert!(IframeSize::new(Dimension::Pixels(100_000), Dimension::Pixels(500)).is_err());
        assert!(IframeSize::new(Dimension::Percent(0), Dimension::Pixels(500)).is_err());
        let errors = IframeSize::new(Dimension::Percent(250), Dimension::Pixels(0)).unwrap_err();
        let paths: Vec<_> = errors.iter().map(|e| e.path()).collect();
        assert_eq!(paths, ["iframe_size.width", "iframe_size.height"]);
    }

    #[test]
    fn text_form_round_trips() {
        for d in [Dimension::Pixels(123), Dimension::Percent(55)] {
            assert_eq!(d.to_string().parse::<Dimension>().unwrap(), d);
            let json = serde_json::to_string(&d).unwrap();
            assert_eq!(serde_json::from_str::<Dimension>(&json).unwrap(), d);
        }
        assert_eq!(Dimension::Pixels(800).html_attribute_value(), "800");
        assert_eq!(Dimension::Percent(50).html_attribute_value(), "50%");
    }
}
