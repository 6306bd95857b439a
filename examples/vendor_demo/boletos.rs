//! The vendor's demo data: a person's boletos, derived from their id in CV (the same person
//! always sees the same boletos), and the boleto PDF.

use ring::digest::{SHA256, digest};

/// One boleto.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Boleto {
    /// `<subject>-<nn>`: the person's id, then the boleto's number.
    pub id: String,
    /// `dd/mm/aaaa`.
    pub due: String,
    /// In cents.
    pub amount_cents: u64,
    /// `R$ 1.234,56`.
    pub amount: String,
    /// `pago` or `em aberto`.
    pub status: &'static str,
    /// A *linha digitável*-like line (demo digits).
    pub line: String,
}

/// The boletos of the person `subject`: four monthly installments, the first ones paid.
pub fn boletos_of(subject: &str) -> Vec<Boleto> {
    let seed = digest(&SHA256, subject.as_bytes());
    let bytes = seed.as_ref();
    let base = 85_000 + u64::from(u16::from_be_bytes([bytes[0], bytes[1]])) * 3;
    let paid = 1 + usize::from(bytes[2] % 2);
    (0..4)
        .map(|n| {
            let amount_cents = base + n as u64 * 1_250;
            let digits: String = bytes[4 + n * 6..10 + n * 6]
                .iter()
                .map(|b| format!("{:03}", b))
                .collect();
            Boleto {
                id: format!("{subject}-{:02}", n + 1),
                due: format!("10/{:02}/2026", 9 + n),
                amount_cents,
                amount: brl(amount_cents),
                status: if n < paid { "pago" } else { "em aberto" },
                line: format!("34191.{}", &digits[..15.min(digits.len())]),
            }
        })
        .collect()
}

/// The boleto `id` if it is one of `subject`'s.
pub fn find(subject: &str, id: &str) -> Option<Boleto> {
    boletos_of(subject).into_iter().find(|b| b.id == id)
}

/// `R$ 1.234,56`.
fn brl(cents: u64) -> String {
    let reais = cents / 100;
    let mut grouped = String::new();
    let digits = reais.to_string();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    format!("R$ {grouped},{:02}", cents % 100)
}

/// A one-page PDF (PDF 1.4, Helvetica) saying which boleto it is: tiny but valid, with a correct
/// cross-reference table.
pub fn pdf(boleto: &Boleto, name: &str) -> Vec<u8> {
    // The standard fonts' encoding is not UTF-8: keep the text ASCII.
    let ascii = |text: &str| -> String {
        text.chars()
            .map(|c| match c {
                'á' | 'à' | 'â' | 'ã' => 'a',
                'é' | 'ê' => 'e',
                'í' => 'i',
                'ó' | 'ô' | 'õ' => 'o',
                'ú' => 'u',
                'ç' => 'c',
                'Á' | 'Â' | 'Ã' => 'A',
                'É' => 'E',
                'Ç' => 'C',
                c if c.is_ascii() && c != '(' && c != ')' && c != '\\' => c,
                _ => ' ',
            })
            .collect()
    };
    let lines = [
        "2a via do boleto (demonstracao)".to_owned(),
        format!("Boleto {}", ascii(&boleto.id)),
        format!("Cliente: {}", ascii(name)),
        format!("Vencimento: {}", boleto.due),
        format!("Valor: {}", ascii(&boleto.amount)),
        format!("Linha digitavel: {}", boleto.line),
    ];
    let mut content = String::from("BT /F1 14 Tf 72 760 Td 18 TL\n");
    for line in &lines {
        content.push_str(&format!("({line}) Tj T*\n"));
    }
    content.push_str("ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}
