//! Agent slugs: the URL-safe names under `/api/agents/{name}`, derived from display names.

/// Longest slug; fits a DNS label, so a slug can name a host or container too.
pub const MAX_LEN: usize = 63;

/// Slugs that would collide with static routes under `/api/agents/`.
pub const RESERVED: &[&str] = &["archived", "import", "bulk", "containers", "deploy"];

/// Highest numeric suffix tried before giving up on a name.
const MAX_SUFFIX: u32 = 1000;

/// Lowercase ASCII letters and digits, every other run of characters turned into one `-`,
/// trimmed of `-` at both ends and cut to [`MAX_LEN`]. None when nothing usable is left.
///
/// Letters and digits of any script count: they are transliterated to ASCII first
/// (`Исследователь` → `issledovatel`, `Café Bot` → `cafe-bot`, `研究` → `yan-jiu`), so a slug
/// stays within the contract's `^[a-z0-9]+(-[a-z0-9]+)*$` and readable. Anything else (emoji,
/// punctuation, spaces) separates words.
pub fn slugify(display_name: &str) -> Option<String> {
    let mut out = String::with_capacity(display_name.len().min(MAX_LEN));
    let mut pending_dash = false;
    'chars: for c in display_name.chars() {
        let ascii = if c.is_ascii() {
            None
        } else if c.is_alphanumeric() {
            deunicode::deunicode_char(c)
        } else {
            Some("")
        };
        let mut one = [0u8; 4];
        let spelled: &str = match ascii {
            None => c.encode_utf8(&mut one),
            Some(t) => t,
        };
        if spelled.is_empty() {
            pending_dash = true;
        }
        for c in spelled.chars() {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                if pending_dash && !out.is_empty() {
                    out.push('-');
                }
                pending_dash = false;
                out.push(c);
                if out.len() >= MAX_LEN {
                    break 'chars;
                }
            } else {
                pending_dash = true;
            }
        }
    }
    let trimmed = truncate(&out, MAX_LEN);
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// `s` cut to at most `max` bytes (slugs are ASCII) without a trailing `-`.
fn truncate(s: &str, max: usize) -> &str {
    let cut = &s[..s.len().min(max)];
    cut.trim_end_matches('-')
}

/// Slugs to try, in order: `base`, `base-2`, … `base-1000`, each at most [`MAX_LEN`] long
/// (the base is shortened to make room for the suffix), skipping reserved names.
pub fn candidates(base: &str) -> impl Iterator<Item = String> + Send + 'static {
    let base = base.to_owned();
    let first = (!base.is_empty()).then(|| truncate(&base, MAX_LEN).to_owned());
    let rest = (2..=MAX_SUFFIX).filter_map(move |n| {
        let suffix = format!("-{n}");
        let stem = truncate(&base, MAX_LEN - suffix.len());
        (!stem.is_empty()).then(|| format!("{stem}{suffix}"))
    });
    first
        .into_iter()
        .filter(|s| !s.is_empty())
        .chain(rest)
        .filter(|s| !RESERVED.contains(&s.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugify_examples() {
        assert_eq!(
            slugify("Mary's Coding Buddy").as_deref(),
            Some("mary-s-coding-buddy")
        );
        assert_eq!(slugify("🚀 Alpha v2").as_deref(), Some("alpha-v2"));
        assert_eq!(slugify("Agent_42!").as_deref(), Some("agent-42"));
        assert_eq!(slugify("!!!"), None);
        assert_eq!(slugify(""), None);
        assert_eq!(slugify("  --Research   Bot--  ").as_deref(), Some("research-bot"));
        assert_eq!(slugify("Ünïcode Ägent").as_deref(), Some("unicode-agent"));
    }

    #[test]
    fn slugify_transliterates_letters_of_any_script() {
        assert_eq!(slugify("Исследователь").as_deref(), Some("issledovatel"));
        assert_eq!(slugify("Café Bot").as_deref(), Some("cafe-bot"));
        assert_eq!(slugify("Straße № 5").as_deref(), Some("strasse-5"));
        assert_eq!(slugify("Ἀθηνᾶ").as_deref(), Some("athena"));
        assert_eq!(slugify("研究 助手").as_deref(), Some("yan-jiu-zhu-shou"));
        assert_eq!(slugify("٣ bots").as_deref(), Some("3-bots"));
        // Emoji and symbols only separate; a name of nothing else has no slug.
        assert_eq!(slugify("🚀🚀"), None);
        assert_eq!(slugify("Bot 🚀 One").as_deref(), Some("bot-one"));
        // Every slug stays within the contract's pattern.
        for name in ["Ωmega—Ünit", "ʻOkina", "Ǆemal", "ﬁne", "x\u{301}y"] {
            let slug = slugify(name).expect("has letters");
            assert!(
                slug.split('-').all(|w| !w.is_empty()
                    && w.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())),
                "{name} → {slug}"
            );
        }
    }

    #[test]
    fn slugify_truncates_without_trailing_dash() {
        let long = "a".repeat(100);
        assert_eq!(slugify(&long).map(|s| s.len()), Some(63));
        let dashy = format!("{} b", "a".repeat(62));
        assert_eq!(slugify(&dashy), Some("a".repeat(62)));
    }

    #[test]
    fn candidates_order_and_bounds() {
        let c: Vec<String> = candidates("bot").collect();
        assert_eq!(c[0], "bot");
        assert_eq!(c[1], "bot-2");
        assert_eq!(c.last().map(String::as_str), Some("bot-1000"));
        assert_eq!(c.len(), 1000);

        let long = "x".repeat(63);
        for c in candidates(&long) {
            assert!(c.len() <= 63, "{c}");
        }
        let c: Vec<String> = candidates(&long).collect();
        assert_eq!(c[0], long);
        assert_eq!(c[1], format!("{}-2", "x".repeat(61)));
        assert_eq!(c[999], format!("{}-1000", "x".repeat(58)));

        // Truncation that lands on a dash drops it rather than doubling it.
        let base = format!("{}-yy", "x".repeat(60));
        let c: Vec<String> = candidates(&base).collect();
        assert_eq!(c[1], format!("{}-2", "x".repeat(60)));
    }

    #[test]
    fn candidates_skip_reserved() {
        let c: Vec<String> = candidates("archived").take(2).collect();
        assert_eq!(c, ["archived-2", "archived-3"]);
        assert_eq!(candidates("import").next().as_deref(), Some("import-2"));
        assert_eq!(candidates("").next(), None);
    }
}
