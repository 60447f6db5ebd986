//! Reading the HTML taosd serves the way a browser shows it.

/// `s` with the character references an HTML escaper writes (named or numeric) decoded.
#[track_caller]
pub fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest
            .find(';')
            .unwrap_or_else(|| panic!("a character reference ends with `;`: {rest:?}"));
        let name = &rest[1..end];
        let c = match name {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = match name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                    Some(hex) => u32::from_str_radix(hex, 16),
                    None => name.trim_start_matches('#').parse(),
                };
                code.ok()
                    .and_then(char::from_u32)
                    .unwrap_or_else(|| panic!("unknown reference &{name};"))
            }
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The raw text between the end of the first tag that starts with `open` and the next
/// `close`, e.g. `text_in(html, "<title", "</title>")`.
#[track_caller]
pub fn text_in<'p>(html: &'p str, open: &str, close: &str) -> &'p str {
    let at = html.find(open).unwrap_or_else(|| panic!("no {open} in:\n{html}"));
    let start = at + html[at..].find('>').expect("the tag ends") + 1;
    let end = start
        + html[start..]
            .find(close)
            .unwrap_or_else(|| panic!("no {close} after {open}"));
    &html[start..end]
}

/// The text a browser shows for a fragment of HTML: tags dropped, references decoded.
#[track_caller]
pub fn text_of(fragment: &str) -> String {
    let mut text = String::new();
    let mut rest = fragment;
    while let Some(i) = rest.find('<') {
        text.push_str(&rest[..i]);
        let end = rest[i..]
            .find('>')
            .unwrap_or_else(|| panic!("a tag ends: {rest:?}"));
        rest = &rest[i + end + 1..];
    }
    text.push_str(rest);
    unescape(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_decode() {
        assert_eq!(
            unescape("&lt;b&gt; &amp;&quot;&#39;&#34;&#x27;&apos;"),
            "<b> &\"'\"''"
        );
        assert_eq!(
            text_in("<p><title a=1>T &amp; U</title>", "<title", "</title>"),
            "T &amp; U"
        );
    }

    #[test]
    fn text_drops_tags() {
        assert_eq!(
            text_of("Read <code>GET /api</code> &amp; more <a href=\"#x\">#</a>"),
            "Read GET /api & more #"
        );
    }
}
