//! The architecture's invariants that a machine can check, read from the source:
//!
//! - features (`liptako_node::FEATURES`) import the core and never another feature;
//! - the core never imports a feature (only the composition root, `server.rs`, knows them all);
//! - nothing in a running node reads the time but the clock (`clock.rs`); offline tools that
//!   run without a node (`init.rs`, `pki.rs`, `tak/certs.rs`) may;
//!
//! That every exit hands out only what the one decision allows is checked by behaviour, in
//! `exits.rs`.
//!
//! How to check the first by hand: `grep -rn 'crate::\(api\|tak\|air\|federation\)' src/<feature>`.

use std::fs;
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, with its text up to its unit tests (`#[cfg(test)]` at the
/// start of a line: tests may read the time or build fixtures freely).
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let text = fs::read_to_string(&path).unwrap();
                let code = match text.find("\n#[cfg(test)]") {
                    Some(at) => text[..at].to_owned(),
                    None => text,
                };
                out.push((path, code));
            }
        }
    }
    out.sort();
    out
}

fn relative(path: &Path) -> String {
    path.strip_prefix(src())
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// The feature a source file belongs to, if it is in a feature's directory.
fn feature_of(path: &Path) -> Option<&'static str> {
    let rel = relative(path);
    liptako_node::FEATURES
        .iter()
        .copied()
        .find(|feature| rel.starts_with(&format!("{feature}/")) || rel == format!("{feature}.rs"))
}

/// Whether `code` names feature `feature` through `crate::` (a path or a `use`).
fn names_feature(code: &str, feature: &str) -> bool {
    let path = format!("crate::{feature}::");
    let brace = format!("crate::{{{feature}");
    code.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .any(|line| {
            line.contains(&path)
                || line.contains(&brace)
                || line.contains(&format!("crate::{feature};"))
        })
}

#[test]
fn features_never_import_each_other_and_the_core_imports_none() {
    let mut violations = Vec::new();
    for (path, code) in sources(&src()) {
        let rel = relative(&path);
        let own = feature_of(&path);
        if rel == "server.rs" || rel == "lib.rs" {
            continue; // the composition root and the crate root know every feature
        }
        for feature in liptako_node::FEATURES {
            if Some(*feature) != own && names_feature(&code, feature) {
                violations.push(format!(
                    "{rel} ({}) imports feature {feature}",
                    own.unwrap_or("core")
                ));
            }
        }
        // `super::super::` would reach from one feature into another without naming it.
        if own.is_some() && code.contains("super::super::") {
            violations.push(format!(
                "{rel} reaches outside its feature with super::super::"
            ));
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn no_time_is_read_except_through_the_clock() {
    const OFFLINE: [&str; 3] = ["init.rs", "pki.rs", "tak/certs.rs"];
    let reads = [
        "OffsetDateTime::now_utc(",
        "SystemTime::now(",
        "std::time::Instant::now(",
        " Instant::now(",
        "(Instant::now(",
    ];
    let mut violations = Vec::new();
    for (path, code) in sources(&src()) {
        let rel = relative(&path);
        if rel == "clock.rs" || OFFLINE.contains(&rel.as_str()) {
            continue;
        }
        for (n, line) in code.lines().enumerate() {
            // tokio's clock is a clock tests can pause; it paces sleeps, it decides nothing.
            let line = line.replace("tokio::time::Instant::now(", "");
            if reads.iter().any(|read| line.contains(read)) {
                violations.push(format!("{rel}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "time read outside the clock:\n{}",
        violations.join("\n")
    );
}
