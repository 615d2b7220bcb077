//! Helpers shared by the test modules.

use std::path::{Path, PathBuf};

use liptako_cot::{Event, Limits, encode_xml};

/// `crates/cot`.
pub fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The workspace root (`crates/cot/../..`).
pub fn workspace_root() -> PathBuf {
    crate_dir().join("../..")
}

pub fn limits() -> Limits {
    Limits::default()
}

/// The XML of an event as text, for comparisons that must treat NaN as equal to itself.
pub fn xml_text(event: &Event) -> String {
    String::from_utf8(encode_xml(event)).expect("the encoder writes UTF-8")
}

/// Files in `dir` with extension `ext`, sorted by name.
pub fn files_with_extension(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|found| found == ext))
        .collect();
    files.sort();
    files
}

/// Compares `actual` with the file at `expected_path`, or rewrites the file when
/// `UPDATE_EXPECT=1`. Returns a description of the difference, if any.
pub fn check_expected(expected_path: &Path, actual: &str) -> Option<String> {
    if std::env::var_os("UPDATE_EXPECT").is_some_and(|value| value == "1") {
        std::fs::write(expected_path, actual).expect("write expected file");
        return None;
    }
    let expected = std::fs::read_to_string(expected_path).unwrap_or_default();
    if expected == actual {
        return None;
    }
    let first_difference = expected
        .lines()
        .zip(actual.lines())
        .position(|(want, got)| want != got)
        .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
    Some(format!(
        "{}: differs from line {} (expected {:?}, got {:?}); run with UPDATE_EXPECT=1 to accept",
        expected_path.display(),
        first_difference + 1,
        expected.lines().nth(first_difference).unwrap_or("<end>"),
        actual.lines().nth(first_difference).unwrap_or("<end>"),
    ))
}
