//! The web UI of a Liptako node (the map: `web/` at the repository's root), embedded in the
//! binary at compile time so that a node serves it with no network and no file beside it.
//!
//! `build.rs` makes sure the pinned npm packages are installed (it runs `npm ci` at the
//! repository's root when `node_modules` is missing or does not hold the versions
//! `package.json` pins), then embeds `web/index.html`, `web/app/`, `web/i18n/`, `web/data/`
//! and the files the UI loads from `maplibre-gl`, `milsymbol`, `mgrs` and `world-atlas`
//! (under `vendor/<package>/`). Where npm is missing or fails, the build still succeeds and
//! [`asset`] serves one page saying the UI was not built and how to build it ([`is_built`] is
//! then false).
//!
//! ```
//! let page = liptako_web::asset("index.html").expect("there is always a page at /");
//! assert_eq!(page.content_type, "text/html; charset=utf-8");
//! assert!(liptako_web::asset("../Cargo.toml").is_none());
//! ```

/// One embedded file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asset {
    /// Its content.
    pub bytes: &'static [u8],
    /// Its media type, for `Content-Type`.
    pub content_type: &'static str,
    /// A strong entity tag (quoted) that changes with the content, for `ETag`.
    pub etag: &'static str,
}

mod generated {
    use super::Asset;
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

/// The page served instead of the UI when the build could not embed it.
const NOT_BUILT: Asset = Asset {
    bytes: include_bytes!("not_built.html"),
    content_type: "text/html; charset=utf-8",
    etag: "\"liptako-ui-not-built\"",
};

/// The embedded file at `path` (relative, no leading slash: `index.html`, `app/main.js`,
/// `vendor/maplibre-gl/maplibre-gl.mjs`), or `None`. Only embedded paths answer: there is no
/// file system behind this, so `..` or an absolute path names nothing.
pub fn asset(path: &str) -> Option<Asset> {
    if !generated::BUILT {
        return (path == "index.html").then_some(NOT_BUILT);
    }
    generated::ASSETS
        .binary_search_by(|(name, _)| (*name).cmp(path))
        .ok()
        .and_then(|idx| generated::ASSETS.get(idx))
        .map(|(_, asset)| *asset)
}

/// Whether the UI was built and embedded (false: only the "not built" page is served).
pub fn is_built() -> bool {
    generated::BUILT
}

/// Every embedded path, sorted.
pub fn paths() -> impl Iterator<Item = &'static str> {
    generated::ASSETS.iter().map(|(name, _)| *name)
}

/// Why the UI was not built, when it was not (from the build script); empty otherwise.
pub fn not_built_reason() -> &'static str {
    generated::NOT_BUILT_REASON
}
