//! Markings, principals and **the marking rule**: the one place that decides who may see what.
//!
//! A [`Marking`] is a classification level plus a releasability. Levels are an ordered,
//! configurable list ([`Levels`], default `NP < DR < C < S`). Releasability is a list of tokens:
//! `[]` means national only (the origin nation), the confederation's name (`["AES"]`) means all
//! member nations, and nation codes (`["BFA"]`) name the nations it is released to.
//!
//! Every path that hands data out (HTTP, WebSocket, CoT, TAXII, federation, exports) asks the
//! one access decision, [`Policy::allows`] (in [`crate::access`]), which applies the marking
//! rule:
//!
//! ```text
//! may_hold(nation, clearance, o) = clearance >= o.level
//!                               && (nation == o.origin || nation ∈ releasable_to(o))
//! ```
//!
//! Anything the policy does not recognise (a level or token unknown to this configuration)
//! denies: an object the rule cannot evaluate is never handed out.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::nation::Nation;

/// The ordered list of classification levels, lowest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct Levels(Vec<String>);

/// The default levels: non protégé, diffusion restreinte, confidentiel, secret.
pub const DEFAULT_LEVELS: [&str; 4] = ["NP", "DR", "C", "S"];

impl Default for Levels {
    fn default() -> Levels {
        Levels(
            DEFAULT_LEVELS
                .iter()
                .map(|name| (*name).to_owned())
                .collect(),
        )
    }
}

impl TryFrom<Vec<String>> for Levels {
    type Error = PolicyError;
    fn try_from(names: Vec<String>) -> Result<Levels, PolicyError> {
        Levels::new(names)
    }
}

impl From<Levels> for Vec<String> {
    fn from(levels: Levels) -> Vec<String> {
        levels.0
    }
}

impl Levels {
    /// Builds the list from names given lowest first; names must be unique, non-empty, at most
    /// 16 levels.
    pub fn new(names: Vec<String>) -> Result<Levels, PolicyError> {
        if names.is_empty() || names.len() > 16 {
            return Err(PolicyError::Levels(
                "between 1 and 16 levels are needed".into(),
            ));
        }
        for (idx, name) in names.iter().enumerate() {
            if name.is_empty() || name.len() > 16 || !name.chars().all(is_token_char) {
                return Err(PolicyError::Levels(format!(
                    "level {name:?}: use 1 to 16 letters, digits, '-' or '_'"
                )));
            }
            if names[..idx].contains(name) {
                return Err(PolicyError::Levels(format!(
                    "level {name:?} is listed twice"
                )));
            }
        }
        Ok(Levels(names))
    }

    /// The position of `name` in the order (0 = lowest), or `None` if it is not a level here.
    pub fn rank(&self, name: &str) -> Option<usize> {
        self.0.iter().position(|level| level == name)
    }

    /// The highest level (the admin user is cleared to it).
    pub fn highest(&self) -> &str {
        self.0.last().map(String::as_str).unwrap_or("")
    }

    /// The lowest level.
    pub fn lowest(&self) -> &str {
        self.0.first().map(String::as_str).unwrap_or("")
    }

    /// All names, lowest first.
    pub fn names(&self) -> &[String] {
        &self.0
    }
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Classification level and releasability of one object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Marking {
    /// Classification level, one of the configured levels (default `NP`, `DR`, `C`, `S`).
    #[cfg_attr(feature = "openapi", schema(example = "DR"))]
    pub level: String,
    /// Who it is released to besides the origin: `[]` national only, the confederation's name
    /// for all members, or a list of nation codes.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = json!(["AES"])))]
    pub releasable_to: Vec<String>,
}

impl Marking {
    /// A marking from a level and releasability tokens (not yet checked against a policy).
    pub fn new<I, S>(level: &str, releasable_to: I) -> Marking
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Marking {
            level: level.to_owned(),
            releasable_to: releasable_to.into_iter().map(Into::into).collect(),
        }
    }

    /// National only: no nation besides the origin may hold it.
    pub fn is_national(&self) -> bool {
        self.releasable_to.is_empty()
    }
}

impl fmt::Display for Marking {
    /// `DR REL AES`, `C REL BFA, NER`, `S NATIONAL`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.releasable_to.is_empty() {
            write!(f, "{} NATIONAL", self.level)
        } else {
            write!(f, "{} REL {}", self.level, self.releasable_to.join(", "))
        }
    }
}

/// What a principal may do besides reading; ordered: an editor is also a viewer, a releasing
/// officer also an editor, an admin all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads what the marking rule allows.
    Viewer,
    /// Also creates, changes and deletes objects; may narrow a marking, and widen the marking of
    /// objects they created themselves.
    Editor,
    /// Also widens the release of any object this node originates (lower level, more nations):
    /// a release is an act of this role (or of the object's author), and it is audited.
    Releaser,
    /// Also manages users, links and the audit log.
    Admin,
}

impl Role {
    /// Every role, lowest first.
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Editor, Role::Releaser, Role::Admin];

    /// Parses `viewer`, `editor`, `releaser` or `admin`.
    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }

    /// The lower-case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Releaser => "releaser",
            Role::Admin => "admin",
        }
    }
}

/// Someone or something data is handed to: a user, a client certificate, a TAK listener.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Principal {
    /// User name or certificate subject.
    pub name: String,
    /// The nation the principal belongs to.
    pub nation: Nation,
    /// The highest level the principal is cleared to.
    pub clearance: String,
    /// What the principal may do besides reading.
    pub role: Role,
}

impl Principal {
    /// A principal from its parts.
    pub fn new(name: &str, nation: Nation, clearance: &str, role: Role) -> Principal {
        Principal {
            name: name.to_owned(),
            nation,
            clearance: clearance.to_owned(),
            role,
        }
    }
}

/// The accreditation of a federation link: the partner's nation and the highest level that may
/// cross the link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkAccreditation {
    /// The partner node's nation (from its certificate).
    pub nation: Nation,
    /// The highest level that may cross.
    pub ceiling: String,
}

/// Anything that carries an origin, a marking and a world, so the access decision can judge it.
pub trait Marked {
    /// The nation that originated it.
    fn origin(&self) -> Nation;
    /// Its marking.
    fn marking(&self) -> &Marking;
    /// The exercise whose world it belongs to; `None` is the real world. Required, so that no
    /// kind of data can forget that exercise and real-world data are kept apart.
    fn world(&self) -> Option<&str>;
    /// Whether it is a deletion (a tombstone): readers who saw it are told to drop it.
    fn is_deleted(&self) -> bool {
        false
    }
}

/// Data about to be written or sent, as the access decision reads it: its origin, marking and
/// world, borrowed (a notice or alert not yet written, a partner's air track).
#[derive(Debug, Clone, Copy)]
pub struct Labelled<'a> {
    /// The nation that originates it.
    pub origin: Nation,
    /// Its marking.
    pub marking: &'a Marking,
    /// Its world (`None`: the real world).
    pub world: Option<&'a str>,
}

impl Marked for Labelled<'_> {
    fn origin(&self) -> Nation {
        self.origin
    }
    fn marking(&self) -> &Marking {
        self.marking
    }
    fn world(&self) -> Option<&str> {
        self.world
    }
}

/// The confederation: its name (the releasability token for "all members") and its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confederation {
    name: String,
    members: Vec<Nation>,
}

impl Confederation {
    /// A confederation; its name must not be one of the members' codes, and members are unique.
    pub fn new(name: &str, members: Vec<Nation>) -> Result<Confederation, PolicyError> {
        let name = name.trim().to_ascii_uppercase();
        if name.is_empty() || name.len() > 16 || !name.chars().all(is_token_char) {
            return Err(PolicyError::Confederation(format!(
                "name {name:?}: use 1 to 16 letters, digits, '-' or '_'"
            )));
        }
        if members.iter().any(|member| member.as_str() == name) {
            return Err(PolicyError::Confederation(format!(
                "name {name:?} is also a member's code"
            )));
        }
        let mut sorted = members.clone();
        sorted.sort();
        sorted.dedup();
        if sorted.len() != members.len() {
            return Err(PolicyError::Confederation(
                "a member is listed twice".into(),
            ));
        }
        Ok(Confederation { name, members })
    }

    /// The confederation's name, e.g. `AES`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The member nations, in configuration order.
    pub fn members(&self) -> &[Nation] {
        &self.members
    }

    /// Whether `nation` is a member.
    pub fn is_member(&self, nation: Nation) -> bool {
        self.members.contains(&nation)
    }
}

/// The marking rule and the checks around it, for one confederation and one list of levels.
#[derive(Debug, Clone)]
pub struct Policy {
    confederation: Confederation,
    levels: Levels,
}

impl Policy {
    /// A policy for a confederation and its levels.
    pub fn new(confederation: Confederation, levels: Levels) -> Policy {
        Policy {
            confederation,
            levels,
        }
    }

    /// The confederation.
    pub fn confederation(&self) -> &Confederation {
        &self.confederation
    }

    /// The levels, lowest first.
    pub fn levels(&self) -> &Levels {
        &self.levels
    }

    /// The rule itself: may a holder of `nation`, cleared to `clearance`, hold something that
    /// `origin` marked `marking`? Unknown levels deny. Exits do not call this: they call
    /// [`Policy::allows`], which also decides the world and the kind of audience.
    pub(crate) fn may_hold(
        &self,
        nation: Nation,
        clearance: &str,
        origin: Nation,
        marking: &Marking,
    ) -> bool {
        let (Some(cleared), Some(level)) = (
            self.levels.rank(clearance),
            self.levels.rank(&marking.level),
        ) else {
            return false;
        };
        cleared >= level && (nation == origin || self.released_to(nation, marking))
    }

    /// Whether the releasability names `nation`, directly or through the confederation.
    pub(crate) fn released_to(&self, nation: Nation, marking: &Marking) -> bool {
        marking.releasable_to.iter().any(|token| {
            token == nation.as_str()
                || (token == self.confederation.name() && self.confederation.is_member(nation))
        })
    }

    /// A principal may not mark (create or change) anything above their own clearance.
    pub fn check_may_mark(
        &self,
        principal: &Principal,
        marking: &Marking,
    ) -> Result<(), MarkingError> {
        match (
            self.levels.rank(&principal.clearance),
            self.levels.rank(&marking.level),
        ) {
            (Some(cleared), Some(level)) if cleared >= level => Ok(()),
            _ => Err(MarkingError::AboveClearance {
                level: marking.level.clone(),
                clearance: principal.clearance.clone(),
            }),
        }
    }

    /// Checks that `clearance` is one of the levels.
    pub fn check_level(&self, clearance: &str) -> Result<(), MarkingError> {
        match self.levels.rank(clearance) {
            Some(_) => Ok(()),
            None => Err(MarkingError::UnknownLevel {
                level: clearance.to_owned(),
                known: self.levels.names().join(", "),
            }),
        }
    }
}

/// A marking a client gave that this policy cannot accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarkingError {
    /// The level is not one of the configured levels.
    #[error("unknown classification level {level:?} (levels here: {known})")]
    UnknownLevel { level: String, known: String },
    /// A releasability token is neither a member nation nor the confederation.
    #[error(
        "releasable_to: {token:?} is neither a member nation nor the confederation {confederation:?}"
    )]
    UnknownReleasability {
        token: String,
        confederation: String,
    },
    /// The principal tried to mark above their own clearance.
    #[error("cannot mark {level:?}: above your clearance {clearance:?}")]
    AboveClearance { level: String, clearance: String },
    /// A partner's liaison officer made the object unreleasable to their own nation.
    #[error(
        "as a liaison officer of {nation}, keep what you mark releasable to {nation} (add {nation} or the confederation to releasable_to)"
    )]
    LiaisonMustKeep { nation: String },
    /// The change widens the release and the principal may not release.
    #[error("widening the release from {from} to {to} is a release act: {why}")]
    ReleaseNotAllowed {
        from: String,
        to: String,
        why: String,
    },
}

/// A confederation or levels configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The levels list is malformed.
    #[error("classification levels: {0}")]
    Levels(String),
    /// The confederation is malformed.
    #[error("confederation: {0}")]
    Confederation(String),
}
