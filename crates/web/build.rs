//! Embeds the web UI: makes sure the pinned npm packages are installed (`npm ci` at the
//! repository's root when `node_modules` is missing or holds other versions than
//! `package.json` pins), then writes `$OUT_DIR/assets.rs`, a sorted table of every file the UI
//! serves, each `include_bytes!`-ed from where it lies.
//!
//! Without npm (or when `npm ci` fails, or with `LIPTAKO_WEB_NO_NPM=1` and nothing installed)
//! the build still succeeds: the table is empty, `BUILT` is false and the node serves a page
//! saying the UI was not built. A warning says why.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The npm packages the UI loads, and the files of each it needs (served under
/// `vendor/<package>/<file name>`).
const VENDOR: &[(&str, &[&str])] = &[
    (
        "maplibre-gl",
        &[
            "dist/maplibre-gl.mjs",
            "dist/maplibre-gl-worker.mjs",
            "dist/maplibre-gl.css",
        ],
    ),
    ("milsymbol", &["dist/milsymbol.js"]),
    ("mgrs", &["dist/mgrs.esm.js"]),
    (
        "world-atlas",
        &["countries-10m.json", "countries-110m.json"],
    ),
    (
        "i18n-iso-countries",
        &["codes.json", "langs/fr.json", "langs/en.json"],
    ),
];

/// The folders of `web/` that are served (tests and benchmarks are not).
const WEB_DIRS: &[&str] = &["app", "i18n", "data"];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest.join("../..");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    for watched in [
        "package.json",
        "package-lock.json",
        "node_modules/.package-lock.json",
        "web/index.html",
    ] {
        println!("cargo::rerun-if-changed={}", root.join(watched).display());
    }
    for dir in WEB_DIRS {
        println!(
            "cargo::rerun-if-changed={}",
            root.join("web").join(dir).display()
        );
    }
    println!("cargo::rerun-if-env-changed=LIPTAKO_WEB_NO_NPM");

    let table = match collect(&root) {
        Ok(assets) => generated(&assets, ""),
        Err(reason) => {
            println!("cargo::warning=web UI not embedded: {reason}");
            generated(&BTreeMap::new(), &reason)
        }
    };
    if let Err(err) = std::fs::write(out.join("assets.rs"), table) {
        panic!("cannot write {}: {err}", out.join("assets.rs").display());
    }
}

/// Every served path with the file it comes from, or why the UI cannot be built.
fn collect(root: &Path) -> Result<BTreeMap<String, PathBuf>, String> {
    let pins = pinned_versions(root)?;
    if let Some(stale) = stale_package(root, &pins) {
        if std::env::var_os("LIPTAKO_WEB_NO_NPM").is_some() {
            return Err(format!(
                "{stale} (LIPTAKO_WEB_NO_NPM is set: run `npm ci` at the repository's root)"
            ));
        }
        npm_ci(root).map_err(|err| format!("{stale}; `npm ci` failed: {err}"))?;
        if let Some(stale) = stale_package(root, &pins) {
            return Err(format!("{stale} even after `npm ci`"));
        }
    }
    let mut assets = BTreeMap::new();
    let index = root.join("web/index.html");
    if !index.is_file() {
        return Err(format!("{} is missing", index.display()));
    }
    assets.insert("index.html".to_owned(), index);
    for dir in WEB_DIRS {
        walk(&root.join("web").join(dir), dir, &mut assets)?;
    }
    for (package, files) in VENDOR {
        for file in *files {
            let path = root.join("node_modules").join(package).join(file);
            if !path.is_file() {
                return Err(format!("{} is missing", path.display()));
            }
            let name = Path::new(file)
                .file_name()
                .and_then(|name| name.to_str())
                .ok_or_else(|| format!("bad file name {file}"))?;
            assets.insert(format!("vendor/{package}/{name}"), path);
        }
    }
    Ok(assets)
}

/// The versions `package.json` pins for the vendored packages.
fn pinned_versions(root: &Path) -> Result<BTreeMap<String, String>, String> {
    let text = std::fs::read_to_string(root.join("package.json"))
        .map_err(|err| format!("cannot read package.json: {err}"))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|err| format!("package.json: {err}"))?;
    let mut pins = BTreeMap::new();
    for (package, _) in VENDOR {
        let version = ["dependencies", "devDependencies"]
            .iter()
            .find_map(|section| json.get(section)?.get(package)?.as_str())
            .ok_or_else(|| format!("package.json does not pin {package}"))?;
        pins.insert((*package).to_owned(), version.to_owned());
    }
    Ok(pins)
}

/// The first vendored package that is not installed at its pinned version, described.
fn stale_package(root: &Path, pins: &BTreeMap<String, String>) -> Option<String> {
    for (package, version) in pins {
        let manifest = root.join("node_modules").join(package).join("package.json");
        let installed = std::fs::read_to_string(&manifest)
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .and_then(|json| json.get("version")?.as_str().map(str::to_owned));
        match installed {
            Some(installed) if &installed == version => {}
            Some(installed) => {
                return Some(format!(
                    "node_modules has {package} {installed}, package.json pins {version}"
                ));
            }
            None => return Some(format!("node_modules lacks {package} {version}")),
        }
    }
    None
}

fn npm_ci(root: &Path) -> Result<(), String> {
    println!("cargo::warning=running `npm ci` at the repository's root for the web UI");
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(root)
        .status()
        .map_err(|err| format!("cannot run npm: {err}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("npm ci exited with {status}"))
    }
}

/// Adds every file under `dir` as `<prefix>/<relative path>`; dot files are left out.
fn walk(dir: &Path, prefix: &str, assets: &mut BTreeMap<String, PathBuf>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|err| format!("cannot read {}: {err}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|err| format!("cannot read {}: {err}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let served = format!("{prefix}/{name}");
        if path.is_dir() {
            walk(&path, &served, assets)?;
        } else {
            assets.insert(served, path);
        }
    }
    Ok(())
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// FNV-1a over the content: an entity tag, not a security measure.
fn etag(path: &Path) -> Result<String, String> {
    let bytes =
        std::fs::read(path).map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    Ok(format!("\\\"{hash:016x}\\\""))
}

fn generated(assets: &BTreeMap<String, PathBuf>, reason: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "/// Whether the UI was embedded.");
    let _ = writeln!(out, "pub const BUILT: bool = {};", !assets.is_empty());
    let _ = writeln!(out, "/// Why it was not, if it was not.");
    let _ = writeln!(out, "pub const NOT_BUILT_REASON: &str = {reason:?};");
    let _ = writeln!(out, "/// Every embedded file, sorted by path.");
    let _ = writeln!(out, "pub static ASSETS: &[(&str, Asset)] = &[");
    for (served, path) in assets {
        let Ok(absolute) = path.canonicalize() else {
            continue;
        };
        let tag = match etag(&absolute) {
            Ok(tag) => tag,
            Err(err) => panic!("{err}"),
        };
        let _ = writeln!(
            out,
            "    ({served:?}, Asset {{ bytes: include_bytes!({:?}), content_type: {:?}, etag: \"{tag}\" }}),",
            absolute.display().to_string(),
            content_type(served),
        );
    }
    let _ = writeln!(out, "];");
    out
}
