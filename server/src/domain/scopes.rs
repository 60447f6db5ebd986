//! Scopes: lists of glob patterns over action slugs (`agents.token.issue`).
//!
//! Only `*` is special; it matches any run of characters, dots included, so `agents.*` covers
//! `agents.token.issue`. Matching is case-sensitive.

/// Whether `pattern` matches the whole of `action`.
///
/// Greedy matching that remembers only the last `*` seen: on a mismatch we let that star
/// swallow one more character and retry. With `*` as the only wildcard this is exact and runs in
/// O(pattern × action) worst case, with no recursion for hostile patterns to blow up.
pub fn matches(pattern: &str, action: &str) -> bool {
    let p = pattern.as_bytes();
    let a = action.as_bytes();
    let (mut pi, mut ai) = (0usize, 0usize);
    // (index of the last star in p, index in a where that star's match currently ends)
    let mut backtrack: Option<(usize, usize)> = None;
    while ai < a.len() {
        if pi < p.len() && p[pi] == b'*' {
            backtrack = Some((pi, ai));
            pi += 1;
        } else if pi < p.len() && p[pi] == a[ai] {
            pi += 1;
            ai += 1;
        } else if let Some((star, end)) = backtrack {
            pi = star + 1;
            ai = end + 1;
            backtrack = Some((star, end + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Whether a principal holding `scope` may perform `action`. An empty scope allows nothing.
pub fn allows(scope: &[String], action: &str) -> bool {
    scope.iter().any(|p| matches(p, action))
}

/// Whether every pattern in `requested` is within `caller` (the user ceiling for issuing).
///
/// Each requested pattern is read as literal text, `*` included, and must be matched by some
/// caller pattern. That is sound for `*`-only globs: a caller literal can never be `*`, so every
/// requested `*` lands inside a caller `*`, and whatever it expands to stays inside it too.
pub fn covers(caller: &[String], requested: &[String]) -> bool {
    requested.iter().all(|r| caller.iter().any(|c| matches(c, r)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn star_matches_anything() {
        assert!(matches("*", "agents.list"));
        assert!(matches("*", "agents.token.issue"));
        assert!(matches("*", ""));
        assert!(allows(&s(&["*"]), "memory.read"));
    }

    #[test]
    fn prefix_glob() {
        assert!(matches("agents.*", "agents.list"));
        assert!(matches("agents.*", "agents.token.issue"));
        assert!(!matches("agents.*", "memory.read"));
        assert!(!matches("agents.*", "agents"));
        assert!(matches("agents.*", "agents."));
    }

    #[test]
    fn exact_match() {
        assert!(matches("agents.list", "agents.list"));
        assert!(!matches("agents.list", "agents.lis"));
        assert!(!matches("agents.list", "agents.list.x"));
        assert!(!matches("Agents.list", "agents.list"));
        assert!(allows(&s(&["memory.read", "agents.list"]), "agents.list"));
    }

    #[test]
    fn empty_scope_denies() {
        assert!(!allows(&[], "agents.list"));
        assert!(!allows(&[], ""));
    }

    #[test]
    fn nested_glob() {
        assert!(matches("agents.token.*", "agents.token.issue"));
        assert!(!matches("agents.token.*", "agents.list"));
    }

    #[test]
    fn inner_and_multiple_stars() {
        assert!(matches("*.read", "memory.read"));
        assert!(matches("*.read", "a.b.read"));
        assert!(!matches("*.read", "memory.readx"));
        assert!(matches("a*b*c", "aXXbYYbZc"));
        assert!(!matches("a*b*c", "aXXbYYbZ"));
        assert!(matches("**", "x"));
        assert!(matches("a**", "a"));
    }

    #[test]
    fn hostile_pattern_is_fast() {
        let pattern = format!("{}b", "*a".repeat(200));
        let action = "a".repeat(5000);
        let t = std::time::Instant::now();
        assert!(!matches(&pattern, &action));
        assert!(t.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn covers_is_sound() {
        assert!(covers(&s(&["agents.*"]), &s(&["agents.token.*"])));
        assert!(covers(
            &s(&["agents.*"]),
            &s(&["agents.list", "agents.token.issue"])
        ));
        assert!(!covers(&s(&["agents.list"]), &s(&["agents.*"])));
        assert!(covers(&s(&["*"]), &s(&["*", "anything.at.all"])));
        assert!(covers(&s(&["agents.list"]), &[]));
        assert!(covers(&[], &[]));
        assert!(!covers(&[], &s(&["agents.list"])));
        assert!(!covers(&s(&["agents.*"]), &s(&["*"])));
        assert!(!covers(
            &s(&["agents.*", "memory.read"]),
            &s(&["agents.list", "ui.notify"])
        ));
        assert!(covers(
            &s(&["*.read"]),
            &s(&["memory.read", "notifications.read"])
        ));
    }
}
