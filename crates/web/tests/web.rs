//! The embedded UI: every file the page loads is there with its media type, nothing else
//! answers, and the committed places file is what `scripts/gen-places` derives from the
//! pinned package.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is the test failing

use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

#[test]
fn the_ui_is_embedded_with_every_file_the_page_loads() {
    assert!(
        liptako_web::is_built(),
        "the web UI was not embedded: {} (run npm ci at the repository's root)",
        liptako_web::not_built_reason()
    );
    let index = liptako_web::asset("index.html").unwrap();
    let html = std::str::from_utf8(index.bytes).unwrap();
    // Every /ui/ reference of the page, and every module import of the app, resolves.
    let mut wanted: Vec<String> = html
        .split("\"/ui/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect();
    for path in
        liptako_web::paths().filter(|path| path.ends_with(".js") && path.starts_with("app/"))
    {
        let text = std::str::from_utf8(liptako_web::asset(path).unwrap().bytes).unwrap();
        let dir = Path::new(path).parent().unwrap();
        for line in text.lines().filter(|line| line.starts_with("import ")) {
            let target = line.rsplit("from '").next().unwrap().trim_end_matches("';");
            let resolved = match target.strip_prefix("/ui/") {
                Some(absolute) => absolute.to_owned(),
                None => normalise(&dir.join(target)),
            };
            wanted.push(resolved);
        }
    }
    assert!(wanted.len() > 20, "too few references found: {wanted:?}");
    for path in &wanted {
        let asset = liptako_web::asset(path).unwrap_or_else(|| panic!("{path} is not embedded"));
        assert!(!asset.bytes.is_empty(), "{path} is empty");
        assert!(asset.etag.starts_with('"') && asset.etag.ends_with('"'));
    }
    let media = |path: &str| liptako_web::asset(path).unwrap().content_type;
    assert_eq!(media("app/main.js"), "text/javascript; charset=utf-8");
    assert_eq!(
        media("vendor/maplibre-gl/maplibre-gl.mjs"),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(
        media("vendor/maplibre-gl/maplibre-gl-worker.mjs"),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(media("app/app.css"), "text/css; charset=utf-8");
    assert_eq!(media("i18n/fr.json"), "application/json");
    assert_eq!(
        media("vendor/world-atlas/countries-10m.json"),
        "application/json"
    );
    for outside in [
        "../Cargo.toml",
        "/etc/passwd",
        "app/../../Cargo.toml",
        "",
        "test/e2e.test.mjs",
    ] {
        assert!(liptako_web::asset(outside).is_none(), "{outside} answers");
    }
}

fn normalise(path: &Path) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.iter().map(|part| part.to_str().unwrap()) {
        match part {
            "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

#[test]
fn places_are_what_gen_places_derives_from_the_pinned_package() {
    let output = Command::new("node")
        .arg(root().join("scripts/gen-places"))
        .output()
        .expect("node runs scripts/gen-places: run ./scripts/test, which installs Node.js");
    assert!(
        output.status.success(),
        "gen-places failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let committed = std::fs::read(root().join("web/data/places.json")).unwrap();
    assert!(
        output.stdout == committed,
        "web/data/places.json differs from scripts/gen-places' output: regenerate it"
    );
    let text = String::from_utf8(committed).unwrap();
    for town in [
        "\"Bamako\"",
        "\"Niamey\"",
        "\"Ouagadougou\"",
        "\"Ménaka\"",
        "\"Ayorou\"",
    ] {
        assert!(text.contains(town), "{town} is missing");
    }
}
