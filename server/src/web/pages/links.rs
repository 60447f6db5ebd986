//! Which addresses the pages will send a browser to: the `next` of the sign-in form and a
//! notification's `action_url`. Both come from someone else (a link, an agent), so anything
//! not plainly safe is refused.

use url::Url;

/// Where the sign-in form goes when `next` is missing or not a path on this site.
pub const DEFAULT_NEXT: &str = "/notifications";

/// A path on this site: one leading `/`, not `//` or `/\` (which browsers treat as another
/// host), and only visible ASCII, because browsers drop tabs and newlines from URLs
/// (`/\t/evil.example` is `//evil.example`) and anything else could not be a `Location`.
pub fn is_local_path(s: &str) -> bool {
    s.starts_with('/') && !s.starts_with("//") && !s.contains('\\') && s.bytes().all(|b| b.is_ascii_graphic())
}

/// Where to send someone after they sign in.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if is_local_path(n) => n,
        _ => DEFAULT_NEXT,
    }
}

/// The `href` for an `action_url`, when it is an absolute http(s) URL with a host or a path on
/// this site; `None` means show it as text. The href is the parsed URL, so what the browser
/// follows is what was checked.
pub fn action_href(raw: &str) -> Option<String> {
    if is_local_path(raw) {
        return Some(raw.to_string());
    }
    // The URL parser forgives leading spaces, embedded tabs and missing slashes
    // (`https:evil.example`); a link must not need that.
    let lower = raw.get(..8).unwrap_or(raw).to_ascii_lowercase();
    let absolute = lower.starts_with("http://") || lower.starts_with("https://");
    if !absolute
        || raw
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
    {
        return None;
    }
    let url = Url::parse(raw).ok()?;
    let web = matches!(url.scheme(), "http" | "https");
    (web && url.host_str().is_some_and(|h| !h.is_empty())).then(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            " /notifications",
            "javascript:alert(1)",
            "notifications",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), DEFAULT_NEXT, "{bad:?}");
        }
        assert_eq!(safe_next(None), DEFAULT_NEXT);
        assert_eq!(
            safe_next(Some("/notifications?cursor=x")),
            "/notifications?cursor=x"
        );
        assert_eq!(safe_next(Some("/")), "/");
    }

    #[test]
    fn only_web_urls_and_local_paths_become_links() {
        for bad in [
            "javascript:alert(1)",
            " javascript:alert(1)",
            "JavaScript:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "//evil.example",
            "/\\evil.example",
            "https:/\\evil.example",
            " https://example.com/x",
            "http://",
            "https:evil.example",
            "mailto:a@example.com",
            "file:///etc/passwd",
            "relative/path",
        ] {
            assert_eq!(action_href(bad), None, "{bad:?}");
        }
        assert_eq!(
            action_href("https://example.com/x").as_deref(),
            Some("https://example.com/x")
        );
        assert_eq!(
            action_href("http://example.com").as_deref(),
            Some("http://example.com/")
        );
        assert_eq!(action_href("/notifications").as_deref(), Some("/notifications"));
    }
}
