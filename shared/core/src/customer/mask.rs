//! Masking for logs and outputs: a phone number keeps its country code and last two digits, an email address its first character and domain.

/// Masks a phone number for logs and outputs: its country code and its last two digits, no
/// more (`+351*******78`). A number whose country code cannot be read keeps only its last two.
pub fn mask_phone(s: &str) -> String {
    let digits: Vec<char> = s.chars().filter(char::is_ascii_digit).collect();
    if digits.len() <= 4 {
        return "*".repeat(s.chars().count());
    }
    let code = phonenumber::parse(None, s)
        .ok()
        .map(|n| n.code().value().to_string())
        .filter(|c| c.len() + 2 < digits.len())
        .unwrap_or_default();
    let tail: String = digits[digits.len() - 2..].iter().collect();
    format!("+{code}{}{tail}", "*".repeat(digits.len() - code.len() - 2))
}

/// Masks an email address for logs and outputs, keeping its first character and the domain.
pub fn mask_email(s: &str) -> String {
    match s.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}
