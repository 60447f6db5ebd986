//! Installed apps' guides as read from the guide directories: one subdirectory per app, named
//! by its slug, holding `*.md` guides. What could not be read is remembered, so that its
//! stored copy is kept rather than deleted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::store::KnowledgeDoc;

/// Guides larger than this are skipped: they would swamp the system prompt.
const MAX_GUIDE_BYTES: u64 = 1 << 20;
/// How deep guide directories are walked (a guard against symlink loops and odd trees).
const MAX_GUIDE_DEPTH: usize = 16;

/// One app's guides as read from disk.
#[derive(Debug, Default)]
pub struct AppGuides {
    pub docs: Vec<KnowledgeDoc>,
    /// Guides that exist but could not be read this time: their stored copy is kept.
    unreadable: Vec<String>,
    /// Directories (relative, ending in `/`) that could not be listed: everything stored
    /// under them is kept.
    unlisted: Vec<String>,
}

impl AppGuides {
    pub fn keeps(&self, url: &str) -> bool {
        self.unreadable.iter().any(|u| u == url) || self.unlisted.iter().any(|d| url.starts_with(d.as_str()))
    }
}

#[derive(Debug, Default)]
pub struct Scan {
    /// Each app's guides, by slug.
    pub apps: BTreeMap<String, AppGuides>,
    /// False when some guides directory could not be listed, so an app missing from `apps`
    /// may still be installed.
    pub complete: bool,
}

/// An app slug: what may follow `app:` in a source id.
fn is_slug(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Reads every app's guides from the guide directories; the first directory holding a slug
/// wins, as in PATH.
pub fn scan(dirs: &[PathBuf]) -> Scan {
    let mut scan = Scan {
        complete: true,
        ..Default::default()
    };
    for dir in dirs {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(dir = %dir.display(), "guides directory does not exist");
                continue;
            }
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "cannot read the guides directory");
                scan.complete = false;
                continue;
            }
        };
        let mut apps: Vec<(String, PathBuf)> = Vec::new();
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    tracing::warn!(dir = %dir.display(), error = %e, "cannot read the guides directory");
                    scan.complete = false;
                    continue;
                }
            };
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            match entry.file_name().to_str() {
                Some(name) if is_slug(name) => apps.push((name.to_owned(), path)),
                _ => tracing::warn!(
                    dir = %path.display(),
                    "skipped: an app's guides directory must be named like `notes` or `my-app-2` (a-z, 0-9, -)"
                ),
            }
        }
        apps.sort();
        for (slug, path) in apps {
            if scan.apps.contains_key(&slug) {
                tracing::warn!(dir = %path.display(), "skipped: an earlier guides directory has this app");
                continue;
            }
            let mut app = AppGuides::default();
            match std::fs::canonicalize(&path) {
                Ok(root) => read_guides(&root, &root, "", 0, &mut app),
                Err(e) => {
                    tracing::warn!(dir = %path.display(), error = %e, "cannot resolve the app's guides directory; the stored guides are kept");
                    app.unlisted.push(String::new());
                }
            }
            app.docs.sort_by(|a, b| a.source_url.cmp(&b.source_url));
            scan.apps.insert(slug, app);
        }
    }
    scan
}

/// Collects the `*.md` files under `dir` (recursively) into `app`, with paths relative to the
/// app's directory `root` (canonical). Hidden files and directories are skipped.
fn read_guides(root: &Path, dir: &Path, prefix: &str, depth: usize, app: &mut AppGuides) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries.collect::<std::io::Result<Vec<_>>>(),
        Err(e) => Err(e),
    };
    let entries = match entries {
        Ok(entries) => entries,
        Err(e) => {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot list guides; the stored ones are kept");
            app.unlisted.push(prefix.to_owned());
            return;
        }
    };
    for entry in entries {
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            tracing::warn!(path = %entry.path().display(), "skipped: the file name is not UTF-8");
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let rel = format!("{prefix}{name}");
        // Symlinked directories are not followed (loops); symlinked files are, within the app.
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir {
            if depth + 1 >= MAX_GUIDE_DEPTH {
                tracing::warn!(dir = %path.display(), "skipped: guides nested too deep");
            } else {
                read_guides(root, &path, &format!("{rel}/"), depth + 1, app);
            }
            continue;
        }
        if !name.ends_with(".md") {
            continue;
        }
        match read_guide(root, &path) {
            Ok(Some(text)) => app.docs.push(super::document(&rel, &text, None)),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "cannot read the guide; the stored copy is kept");
                app.unreadable.push(rel);
            }
        }
    }
}

/// The guide's text; None when it is not a file, too large to ingest, or a link to a file
/// outside the app's directory `root`: whatever an app links to would be served to every token
/// with `knowledge.read`, and an app has no business publishing the host's files.
fn read_guide(root: &Path, path: &Path) -> std::io::Result<Option<String>> {
    if !std::fs::canonicalize(path)?.starts_with(root) {
        tracing::warn!(file = %path.display(), "skipped: the guide links outside its app's directory");
        return Ok(None);
    }
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Ok(None);
    }
    if meta.len() > MAX_GUIDE_BYTES {
        tracing::warn!(file = %path.display(), bytes = meta.len(), "skipped: guides over 1 MiB are not ingested");
        return Ok(None);
    }
    let bytes = std::fs::read(path)?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for ok in ["notes", "weather", "my-app-2", "0x"] {
            assert!(is_slug(ok), "{ok}");
        }
        for bad in ["", "-x", "Notes", "my_app", "a.b", "app:x", "é"] {
            assert!(!is_slug(bad), "{bad}");
        }
    }

    #[test]
    fn scanning_reads_apps_and_skips_what_is_not_one() {
        let root = tempfile::tempdir().unwrap();
        let first = root.path().join("first");
        let second = root.path().join("second");
        std::fs::create_dir_all(first.join("notes/deep")).unwrap();
        std::fs::create_dir_all(first.join("Bad_Name")).unwrap();
        std::fs::create_dir_all(second.join("notes")).unwrap();
        std::fs::create_dir_all(second.join("weather")).unwrap();
        std::fs::write(first.join("notes/a.md"), "# Notes A\n\ntext").unwrap();
        std::fs::write(first.join("notes/deep/b.md"), "no heading").unwrap();
        std::fs::write(first.join("notes/skip.txt"), "not markdown").unwrap();
        std::fs::write(first.join("notes/.hidden.md"), "# hidden").unwrap();
        std::fs::write(first.join("notes/latin1.md"), b"caf\xe9").unwrap();
        std::fs::write(first.join("Bad_Name/x.md"), "# x").unwrap();
        std::fs::write(second.join("notes/shadowed.md"), "# shadowed").unwrap();
        std::fs::write(second.join("weather/w.md"), "# Weather").unwrap();
        std::fs::write(root.path().join("secret.md"), "# The host's secret").unwrap();
        std::os::unix::fs::symlink(root.path().join("secret.md"), first.join("notes/leak.md")).unwrap();
        std::os::unix::fs::symlink("a.md", first.join("notes/alias.md")).unwrap();
        std::os::unix::fs::symlink("missing.md", first.join("notes/dangling.md")).unwrap();

        let scan = scan(&[first, root.path().join("missing"), second]);
        assert!(scan.complete);
        assert_eq!(scan.apps.keys().collect::<Vec<_>>(), ["notes", "weather"]);
        let notes = &scan.apps["notes"];
        let paths: Vec<&str> = notes.docs.iter().map(|d| d.source_url.as_str()).collect();
        assert_eq!(
            paths,
            ["a.md", "alias.md", "deep/b.md"],
            "a link inside the app is read, one out is not"
        );
        assert_eq!(notes.docs[0].title, "Notes A");
        assert_eq!(notes.docs[1].content, notes.docs[0].content);
        assert_eq!(notes.docs[2].title, "b.md");
        assert_eq!(notes.docs[2].doc_url, None);
        let mut unreadable = notes.unreadable.clone();
        unreadable.sort();
        assert_eq!(unreadable, ["dangling.md", "latin1.md"]);
        assert!(notes.keeps("latin1.md") && !notes.keeps("a.md"));
    }
}
