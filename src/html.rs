//! HTML escaping for the markup the crate emits (iframe tags and form-post pages).
//!
//! Everything the crate interpolates into HTML goes through [`escape`], which is correct both in
//! text content and inside double-quoted attribute values.

/// Escapes `&`, `<`, `>`, `"` and `'` so the result is safe in text and in quoted attributes.
pub(crate) fn escape(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + input.len() / 8);
    for c in input.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_every_markup_character() {
        assert_eq!(
            escape(r#"<script>alert("x&'y")</script>"#),
            "&lt;script&gt;alert(&quot;x&amp;&#39;y&quot;)&lt;/script&gt;"
        );
        assert_eq!(escape("Financeiro – 2ª via"), "Financeiro – 2ª via");
        assert_eq!(escape(""), "");
    }
}
