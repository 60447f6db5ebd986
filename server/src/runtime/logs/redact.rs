//! Making a raw line safe to store: secrets masked, length bounded.

pub const REDACTED: &str = "[REDACTED]";
/// Marks a line that was cut.
const CUT: &str = "…";
pub(super) const MIN_SECRET: usize = 4;

/// `text` with every secret masked, cut to `max` bytes (on a character boundary). When the
/// text was cut (here or by the reader) a secret may have been cut in two: a tail that is
/// the start of a secret is masked too.
pub(super) fn clean(text: &str, truncated: bool, secrets: &[String], max: usize) -> String {
    let mut line = text.to_string();
    for secret in secrets {
        if line.contains(secret.as_str()) {
            line = line.replace(secret.as_str(), REDACTED);
        }
    }
    if truncated || line.len() > max {
        let limit = max.saturating_sub(CUT.len());
        truncate_to(&mut line, limit);
        if mask_cut_secret(&mut line, secrets) && line.len() > limit {
            // Keep the mask whole; lose the text before it instead.
            line.truncate(line.len() - REDACTED.len());
            truncate_to(&mut line, limit.saturating_sub(REDACTED.len()));
            line.push_str(REDACTED);
        }
        line.push_str(CUT);
    }
    line
}

fn truncate_to(line: &mut String, max: usize) {
    if line.len() > max {
        let mut end = max;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        line.truncate(end);
    }
}

/// Whether a tail of `line` was the start of a secret (now masked).
fn mask_cut_secret(line: &mut String, secrets: &[String]) -> bool {
    let longest = secrets
        .iter()
        .filter_map(|s| {
            (MIN_SECRET..s.len())
                .rev()
                .find(|&n| s.is_char_boundary(n) && line.ends_with(&s[..n]))
        })
        .max();
    let Some(n) = longest else { return false };
    line.truncate(line.len() - n);
    line.push_str(REDACTED);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "taos_agent_0123456789abcdefghijklmnopqrstuvwxyzABCD";

    #[test]
    fn secrets_are_masked_wherever_they_are() {
        let secrets = vec![TOKEN.to_string()];
        let line = format!("token={TOKEN} again:{TOKEN}");
        assert_eq!(
            clean(&line, false, &secrets, 1000),
            "token=[REDACTED] again:[REDACTED]"
        );
    }

    #[test]
    fn long_lines_are_cut_on_a_char_boundary() {
        let line = "é".repeat(100);
        let out = clean(&line, false, &[], 21);
        assert!(out.len() <= 21, "{}", out.len());
        assert!(out.ends_with(CUT));
        assert_eq!(out.trim_end_matches(CUT), "é".repeat(9));
    }

    #[test]
    fn a_secret_cut_in_two_is_still_masked() {
        let secrets = vec![TOKEN.to_string()];
        // The reader cut the line in the middle of the token.
        let raw = format!("auth: {}", &TOKEN[..20]);
        assert_eq!(
            clean(&raw, true, &secrets, 1000),
            format!("auth: {REDACTED}{CUT}")
        );
        // A whole token is masked before the line is measured, so it is never cut.
        let line = format!("{}{TOKEN}", "x".repeat(30));
        assert_eq!(
            clean(&line, false, &secrets, 50),
            format!("{}{REDACTED}", "x".repeat(30))
        );
        // The reader cut at the bound: the mask is longer than what it hides, the bound holds.
        let raw = format!("{}{}", "x".repeat(40), &TOKEN[..10]);
        let out = clean(&raw, true, &secrets, 50);
        assert_eq!(out, format!("{}{REDACTED}{CUT}", "x".repeat(37)));
        assert_eq!(out.len(), 50);
    }

    #[test]
    fn an_uncut_line_keeps_text_that_merely_looks_like_a_secret_start() {
        let secrets = vec![TOKEN.to_string()];
        assert_eq!(clean("prefix taos", false, &secrets, 1000), "prefix taos");
    }
}
