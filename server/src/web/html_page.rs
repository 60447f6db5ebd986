//! The HTML shell around a rendered doc page: title, links to the rest of the docs and to the
//! page's markdown twin, and a small stylesheet.

use crate::agent_docs::Page;
use crate::web::markdown::{self, escape_html};

/// The whole HTML document for `page`.
pub fn render(page: &Page) -> String {
    let rendered = markdown::render(page.path, page.text);
    let title = rendered.title.unwrap_or_else(|| page.title().to_string());
    let title = escape_html(&title);
    let twin = escape_html(&format!("/docs/agents/{}", page.path));
    let canonical = escape_html(&page.url());
    let body = rendered.html;
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · taOS agent docs</title>
<link rel="canonical" href="{canonical}">
<link rel="alternate" type="text/markdown" href="{twin}" title="This page as markdown">
<style>{STYLE}</style>
</head>
<body>
<header>
<nav aria-label="Docs">
<a href="/docs/agents/">Agent docs</a>
<a href="/llms.txt">llms.txt</a>
<a href="/openapi.json">OpenAPI</a>
<a href="/docs/api">API explorer</a>
<a href="{twin}">This page as markdown</a>
</nav>
</header>
<main>
{body}</main>
</body>
</html>
"#
    )
}

const STYLE: &str = "
:root{color-scheme:light dark;--fg:#1f2328;--bg:#fff;--muted:#59636e;--line:#d1d9e0;--code:#f6f8fa;--link:#0969da}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--line:#3d444d;--code:#161b22;--link:#4493f8}}
*{box-sizing:border-box}
body{margin:0;color:var(--fg);background:var(--bg);font:16px/1.6 system-ui,-apple-system,'Segoe UI',sans-serif}
header{border-bottom:1px solid var(--line);padding:.6rem 1rem}
nav{max-width:50rem;margin:0 auto;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;font-size:.9rem}
main{max-width:52rem;margin:0 auto;padding:1rem 1rem 4rem}
a{color:var(--link);text-decoration:none}
a:hover{text-decoration:underline}
h1,h2,h3,h4{line-height:1.25;margin:1.6em 0 .6em}
h1,h2{padding-bottom:.3em;border-bottom:1px solid var(--line)}
.anchor{color:var(--muted);font-weight:normal;opacity:0;margin-left:.2em}
h1:hover .anchor,h2:hover .anchor,h3:hover .anchor,h4:hover .anchor,.anchor:focus{opacity:1}
code,pre{font:.875em/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--code);border-radius:6px}
code{padding:.15em .35em}
pre{padding:.9em 1em;overflow:auto}
pre code{padding:0;background:none;font-size:1em}
table{border-collapse:collapse;display:block;overflow:auto;margin:1em 0}
th,td{border:1px solid var(--line);padding:.35em .7em;vertical-align:top}
th{background:var(--code);text-align:left}
blockquote{margin:1em 0;padding:0 1em;color:var(--muted);border-left:.25em solid var(--line)}
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shell_links_the_markdown_twin_and_the_index() {
        let page = Page {
            path: "concepts/x.md",
            text: "# Title <with> `code`\n\nBody.\n",
        };
        let html = render(&page);
        assert!(
            html.contains("<title>Title  code · taOS agent docs</title>"),
            "{html}"
        );
        assert!(
            html.contains(r#"<link rel="alternate" type="text/markdown" href="/docs/agents/concepts/x.md""#)
        );
        assert!(html.contains(r#"<a href="/docs/agents/concepts/x.md">"#));
        for link in ["/docs/agents/", "/llms.txt", "/openapi.json", "/docs/api"] {
            assert!(html.contains(&format!(r#"<a href="{link}">"#)), "{link}");
        }
    }
}
