//! `[taxii]`, `[[taxii.inbox]]` and `[[taxii.source]]` in `liptako.toml`.
//!
//! ```toml
//! [taxii]
//! title = "MLI intelligence"              # what discovery calls the server
//! tlp = { by_level = { NP = "green", DR = "amber", C = "red", S = "red" }, national = "amber+strict" }
//! tlp_import = [{ tlp = "green", marking = { level = "NP", releasable_to = ["AES"] } }]
//!
//! [[taxii.inbox]]                         # one per partner or tool that pushes to us
//! name = "opencti"
//! writers = ["opencti-sync"]              # user names allowed to post (empty: any editor)
//! default_marking = { level = "DR", releasable_to = [] }
//!
//! [[taxii.source]]                        # an external TAXII 2.1 server we pull from
//! name = "national-cert"
//! api_root = "https://cti.example.mil/taxii2/api/"
//! collection = "365fed99-08fa-fdcd-a1b3-fb247eb41d01"
//! username = "liptako"                    # HTTP basic, or token = "..." (bearer)
//! password = "..."
//! every = "5m"
//! default_marking = { level = "DR", releasable_to = [] }
//! ca = "certs/national-cert-ca.pem"       # for https with a private CA
//! ```

use std::path::PathBuf;

use liptako_model::{Marking, Nation, Policy};
use liptako_stix::{Tlp, TlpTable};
use serde::{Deserialize, Serialize};

use crate::config::ConfigDuration;

/// Default page size of `objects` and `manifest`.
pub const DEFAULT_PAGE: usize = 100;
/// Largest page size a client may ask for.
pub const MAX_PAGE: usize = 1000;
/// Default interval between pulls of a source.
pub const DEFAULT_SOURCE_EVERY: &str = "5m";

/// `[taxii]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxiiSection {
    /// Serve TAXII under `/taxii2/` (default true).
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// The server's title in discovery (default: "<nation> Liptako node").
    #[serde(default)]
    pub title: Option<String>,
    /// How exported markings become TLP 2.0.
    #[serde(default)]
    pub tlp: TlpTable,
    /// Which marking an imported TLP level stands for (none by default: TLP alone then falls
    /// back to the collection's default marking).
    #[serde(default)]
    pub tlp_import: Vec<TlpImport>,
    /// Inboxes, one `[[taxii.inbox]]` each.
    #[serde(default, rename = "inbox", skip_serializing_if = "Vec::is_empty")]
    pub inboxes: Vec<InboxSection>,
    /// External servers to pull from, one `[[taxii.source]]` each.
    #[serde(default, rename = "source", skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceSection>,
}

fn default_true() -> bool {
    true
}

impl Default for TaxiiSection {
    fn default() -> TaxiiSection {
        TaxiiSection {
            enabled: true,
            title: None,
            tlp: TlpTable::default(),
            tlp_import: Vec::new(),
            inboxes: Vec::new(),
            sources: Vec::new(),
        }
    }
}

impl TaxiiSection {
    /// Whether every field is its default (then `liptako init` writes no `[taxii]`).
    pub fn is_default(&self) -> bool {
        *self == TaxiiSection::default()
    }
}

/// One entry of `tlp_import`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlpImport {
    /// The TLP level.
    pub tlp: Tlp,
    /// The marking it stands for.
    pub marking: Marking,
}

/// `[[taxii.inbox]]`: a collection partners or tools post to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboxSection {
    /// Its name (the collection's alias; its id is derived from it).
    pub name: String,
    /// Its title.
    #[serde(default)]
    pub title: Option<String>,
    /// User names allowed to post; empty: every editor.
    #[serde(default)]
    pub writers: Vec<String>,
    /// The marking of objects that carry none this node knows; without it, such objects are
    /// refused.
    #[serde(default)]
    pub default_marking: Option<Marking>,
}

/// `[[taxii.source]]`: an external TAXII 2.1 collection this node pulls from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSection {
    /// Its name (in metrics, logs and the state file).
    pub name: String,
    /// The API root URL (`http://` or `https://`, ending in `/`).
    pub api_root: String,
    /// The collection's id.
    pub collection: String,
    /// HTTP basic user name.
    #[serde(default)]
    pub username: Option<String>,
    /// HTTP basic password.
    #[serde(default)]
    pub password: Option<String>,
    /// Bearer token (instead of basic).
    #[serde(default)]
    pub token: Option<String>,
    /// Interval between pulls.
    #[serde(default = "default_every")]
    pub every: ConfigDuration,
    /// Objects per page asked for.
    #[serde(default = "default_source_page")]
    pub page: usize,
    /// The marking of what carries no marking this node knows (required: nothing is stored
    /// unmarked).
    pub default_marking: Marking,
    /// CA certificate (PEM) for an `https` server with a private CA.
    #[serde(default)]
    pub ca: Option<PathBuf>,
}

fn default_every() -> ConfigDuration {
    DEFAULT_SOURCE_EVERY
        .parse()
        .unwrap_or(ConfigDuration(std::time::Duration::from_secs(300)))
}

fn default_source_page() -> usize {
    DEFAULT_PAGE
}

/// `[taxii]` checked against the policy: markings canonical.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Whether TAXII is served.
    pub enabled: bool,
    /// Discovery title.
    pub title: String,
    /// The TLP table.
    pub tlp: TlpTable,
    /// TLP level → marking.
    pub tlp_import: Vec<(Tlp, Marking)>,
    /// Inboxes, default markings canonical.
    pub inboxes: Vec<InboxSection>,
    /// Sources, default markings canonical.
    pub sources: Vec<SourceSection>,
}

impl TaxiiSection {
    /// Checks the section: markings known and canonical, names unique, sources sane.
    pub fn resolve(
        &self,
        policy: &Policy,
        nation: Nation,
        title: String,
    ) -> Result<Settings, String> {
        let canonical = |what: &str, marking: &Marking| {
            policy
                .canonical(nation, marking)
                .map_err(|err| format!("taxii: {what}: {err}"))
        };
        let mut tlp_import = Vec::new();
        for entry in &self.tlp_import {
            tlp_import.push((
                entry.tlp,
                canonical(
                    &format!("tlp_import {}", entry.tlp.as_str()),
                    &entry.marking,
                )?,
            ));
        }
        let mut inboxes = Vec::new();
        for inbox in &self.inboxes {
            if inbox.name.trim().is_empty()
                || inboxes.iter().any(|i: &InboxSection| i.name == inbox.name)
            {
                return Err(format!(
                    "taxii.inbox: name {:?} is empty or repeated",
                    inbox.name
                ));
            }
            let mut inbox = inbox.clone();
            inbox.default_marking = inbox
                .default_marking
                .as_ref()
                .map(|marking| canonical(&format!("inbox {} default_marking", inbox.name), marking))
                .transpose()?;
            inboxes.push(inbox);
        }
        let mut sources = Vec::new();
        for source in &self.sources {
            // The name is also the state file's name.
            let name_ok = !source.name.is_empty()
                && source.name.len() <= 64
                && source
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !name_ok
                || sources
                    .iter()
                    .any(|s: &SourceSection| s.name == source.name)
            {
                return Err(format!(
                    "taxii.source: name {:?}: use 1 to 64 letters, digits, '-' or '_', once",
                    source.name
                ));
            }
            if !(source.api_root.starts_with("http://") || source.api_root.starts_with("https://"))
            {
                return Err(format!(
                    "taxii.source {}: api_root must start with http:// or https://",
                    source.name
                ));
            }
            if source.page == 0 || source.page > MAX_PAGE {
                return Err(format!(
                    "taxii.source {}: page must be 1 to {MAX_PAGE}",
                    source.name
                ));
            }
            if source.every.0.is_zero() {
                return Err(format!(
                    "taxii.source {}: every must be above zero",
                    source.name
                ));
            }
            let mut source = source.clone();
            source.default_marking = canonical(
                &format!("source {} default_marking", source.name),
                &source.default_marking,
            )?;
            sources.push(source);
        }
        Ok(Settings {
            enabled: self.enabled,
            title: self.title.clone().unwrap_or(title),
            tlp: self.tlp.clone(),
            tlp_import,
            inboxes,
            sources,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liptako_model::{Confederation, Levels, Nation};

    fn policy() -> Policy {
        let nation = |code| Nation::parse(code).unwrap();
        Policy::new(
            Confederation::new("AES", vec![nation("MLI"), nation("BFA"), nation("NER")]).unwrap(),
            Levels::default(),
        )
    }

    #[test]
    fn sections_are_checked_and_markings_made_canonical() {
        let text = r#"
            tlp_import = [{ tlp = "green", marking = { level = "NP", releasable_to = ["mli", "aes"] } }]
            [[inbox]]
            name = "opencti"
            default_marking = { level = "DR", releasable_to = ["ner", "bfa"] }
            [[source]]
            name = "cert-1"
            api_root = "http://127.0.0.1:5000/api1/"
            collection = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
            default_marking = { level = "C" }
        "#;
        let section: TaxiiSection = toml::from_str(text).unwrap();
        let settings = section
            .resolve(&policy(), Nation::parse("MLI").unwrap(), "t".into())
            .unwrap();
        assert_eq!(settings.tlp_import[0].1, Marking::new("NP", ["AES"]));
        assert_eq!(
            settings.inboxes[0].default_marking,
            Some(Marking::new("DR", ["BFA", "NER"]))
        );
        assert_eq!(settings.sources[0].every.0.as_secs(), 300);
        assert_eq!(settings.sources[0].page, DEFAULT_PAGE);
        for bad in [
            text.replace("cert-1", "../etc"),
            text.replace("http://", "ftp://"),
            text.replace("level = \"C\"", "level = \"TOP\""),
            text.replace("[\"ner\", \"bfa\"]", "[\"TCD\"]"),
        ] {
            let section: TaxiiSection = toml::from_str(&bad).unwrap();
            assert!(
                section
                    .resolve(&policy(), Nation::parse("MLI").unwrap(), "t".into())
                    .is_err(),
                "{bad}"
            );
        }
        assert!(toml::from_str::<TaxiiSection>("unknown = 1").is_err());
        assert!(TaxiiSection::default().is_default());
    }
}
