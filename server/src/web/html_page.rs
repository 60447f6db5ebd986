//! The HTML shell around a rendered doc page (`templates/docs/page.html`): title, links to the
//! rest of the docs and to the page's markdown twin, and a small stylesheet.

use askama::Template;

use crate::agent_docs::Page;
use crate::web::markdown;

#[derive(Template)]
#[template(path = "docs/page.html")]
struct DocPage {
    title: String,
    canonical: String,
    twin: String,
    /// The rendered markdown: HTML already, so the template does not escape it.
    body: String,
}

/// The whole HTML document for `page`. The docs are compiled in, so a template that fails to
/// render fails the unit tests, never a request.
pub fn render(page: &Page) -> Result<String, askama::Error> {
    let rendered = markdown::render(page.path, page.text);
    DocPage {
        title: rendered.title.unwrap_or_else(|| page.title().to_string()),
        canonical: page.url(),
        twin: page.markdown_url(),
        body: rendered.html,
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shell_links_the_markdown_twin_and_the_index() {
        let page = Page {
            path: "concepts/x.md",
            text: "# Title <with> `code` & \"quotes\"\n\nBody.\n",
        };
        let html = render(&page).expect("renders");
        assert!(
            html.contains("<title>Title  code &#38; &#34;quotes&#34; · taOS agent docs</title>"),
            "the title is escaped: {html}"
        );
        assert!(html.contains(r#"<link rel="canonical" href="/docs/agents/concepts/x">"#));
        assert!(
            html.contains(r#"<link rel="alternate" type="text/markdown" href="/docs/agents/concepts/x.md""#)
        );
        assert!(html.contains(r#"<a href="/docs/agents/concepts/x.md">"#));
        for link in ["/docs/agents/", "/llms.txt", "/openapi.json", "/docs/api"] {
            assert!(html.contains(&format!(r#"<a href="{link}">"#)), "{link}");
        }
        assert!(html.contains("<main>\n<h1 id=\"title--code--quotes\">"), "{html}");
    }
}
