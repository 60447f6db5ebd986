//! The breaking-change gate: the contract against the blessed snapshot of its major version,
//! with Oxide's `drift`. Backward-incompatible changes fail unless `info.version`'s major was
//! bumped; changes drift cannot classify are printed for a person to judge.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use drift::ChangeClass;
use serde_json::Value;

use crate::spec;

fn major(doc: &Value) -> Result<u64> {
    let v = doc["info"]["version"]
        .as_str()
        .context("info.version is missing")?;
    v.split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .with_context(|| format!("info.version {v} is not semver"))
}

fn snapshot(root: &Path, major: u64) -> PathBuf {
    root.join(format!("openapi/released/v{major}.json"))
}

pub fn bless(root: &Path) -> Result<()> {
    let current = spec::load(root)?.json;
    let path = snapshot(root, major(&current)?);
    std::fs::write(&path, serde_json::to_string_pretty(&current)? + "\n")?;
    eprintln!("blessed {}", path.display());
    Ok(())
}

pub fn run(root: &Path) -> Result<()> {
    let current = spec::load(root)?.json;
    let major = major(&current)?;
    let path = snapshot(root, major);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(_) if major > 1 && snapshot(root, major - 1).exists() => {
            eprintln!(
                "compat: major version {major} is new; breaking changes against v{} are allowed. Bless v{major} when it is released.",
                major - 1
            );
            return Ok(());
        }
        Err(e) => bail!(
            "no blessed snapshot {} ({e}); run `cargo codegen bless`",
            path.display()
        ),
    };
    let blessed: Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let changes = drift::compare(&blessed, &current)?;
    let mut breaking = 0;
    let mut unhandled = 0;
    for change in &changes {
        let at = change
            .paths
            .first()
            .map(|p| p.new.to_string())
            .unwrap_or_default();
        for info in &change.changes {
            let label = match info.class {
                ChangeClass::BackwardIncompatible | ChangeClass::Incompatible => {
                    breaking += 1;
                    "BREAKING"
                }
                ChangeClass::ForwardIncompatible => "forward-incompatible",
                ChangeClass::Unhandled => {
                    unhandled += 1;
                    "unclassified (judge it yourself)"
                }
                ChangeClass::Trivial => continue,
            };
            eprintln!("compat: {label}: {at} {}: {}", info.new_subpath, info.message);
        }
    }
    if breaking > 0 {
        bail!(
            "{breaking} backward-incompatible change(s) against {}; bump the major of info.version or keep the old behaviour",
            path.display()
        );
    }
    eprintln!(
        "compat: no breaking change against {} ({unhandled} unclassified change(s) listed above)",
        path.display()
    );
    Ok(())
}
