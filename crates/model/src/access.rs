//! **The access decision**: the one place that decides who may hold what, and the few
//! functions built on it that every door of a node uses.
//!
//! - [`Policy::allows`]: may this [`Audience`] (a reader in one world, or a partner link) hold
//!   this object? Clearance, releasability, world (real or an exercise; over a link, only the
//!   worlds of the exercises the partner takes part in) and the link ceiling, decided together. Every exit of data (HTTP, live feed, CoT, TAXII, federation, exports)
//!   calls it, and nothing else decides.
//! - [`Policy::transition`]: what a reader who may have seen the previous version of something is
//!   told about its new state: [`Transition::Show`], [`Transition::Hide`] (it left the reader's
//!   sight or was recalled) or [`Transition::Delete`]. Every live path (WebSocket, TAK) uses it.
//! - [`Policy::marking_input`]: the one way a marking written by a client (API, CoT, STIX)
//!   becomes an object's marking: canonical form, clearance, and the release rules (a release is
//!   an act of the author or a releasing officer, never of a partner's liaison officer).
//! - [`Policy::derive_marking`]: the marking of something derived from marked sources (an alert
//!   about a zone): the highest level, released only to nations that may hold every source.
//!
//! ```
//! use liptako_model::{Audience, Confederation, Levels, Marking, Nation, Policy, Principal, Role};
//! # use liptako_model::Marked;
//! # struct Report { origin: Nation, marking: Marking, exercise: Option<String> }
//! # impl Marked for Report {
//! #     fn origin(&self) -> Nation { self.origin }
//! #     fn marking(&self) -> &Marking { &self.marking }
//! #     fn world(&self) -> Option<&str> { self.exercise.as_deref() }
//! # }
//! let nation = |code| Nation::parse(code).unwrap();
//! let policy = Policy::new(
//!     Confederation::new("AES", vec![nation("MLI"), nation("BFA"), nation("NER")]).unwrap(),
//!     Levels::default(),
//! );
//! let report = Report { origin: nation("MLI"), marking: Marking::new("DR", ["AES"]), exercise: None };
//! let analyst = Principal::new("awa", nation("BFA"), "C", Role::Viewer);
//! let guest = Principal::new("guest", nation("BFA"), "NP", Role::Viewer);
//! assert!(policy.allows(Audience::reader(&analyst, None), &report));
//! assert!(!policy.allows(Audience::reader(&guest, None), &report));
//! // The same analyst looking at an exercise's world does not see real-world data.
//! assert!(!policy.allows(Audience::reader(&analyst, Some("SAHEL 27")), &report));
//! ```

use std::collections::BTreeSet;

use crate::exercise::ExerciseWorlds;
use crate::marking::{LinkAccreditation, Marked, Marking, MarkingError, Policy, Principal, Role};
use crate::nation::Nation;

/// Who data is about to be handed to.
#[derive(Debug, Clone, Copy)]
pub struct Audience<'a> {
    nation: Nation,
    clearance: &'a str,
    worlds: Worlds<'a>,
}

/// Which worlds an audience reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Worlds<'a> {
    /// One world: the real world (`None`) or one exercise's.
    One(Option<&'a str>),
    /// A partner node: the real world, and each exercise's world in which both the partner's
    /// nation and the object's origin take part, by the exercises the deciding node holds
    /// (each object kept in its own world there). An exercise it does not hold crosses to
    /// nobody.
    Partner(&'a ExerciseWorlds),
}

impl<'a> Audience<'a> {
    /// A user or client of this node, looking at one world: the real world (`None`) or an
    /// exercise's.
    pub fn reader(principal: &'a Principal, world: Option<&'a str>) -> Audience<'a> {
        Audience {
            nation: principal.nation,
            clearance: &principal.clearance,
            worlds: Worlds::One(world),
        }
    }

    /// A partner node over a federation link: its nation, cleared to the link's ceiling, holding
    /// the real world and the worlds of the `exercises` it takes part in. `exercises` is what
    /// the deciding node holds at the moment of the decision (the core reads it from the
    /// store's exercise objects), so a nation removed from an exercise is refused its world at
    /// the next decision.
    pub fn link(link: &'a LinkAccreditation, exercises: &'a ExerciseWorlds) -> Audience<'a> {
        Audience {
            nation: link.nation,
            clearance: &link.ceiling,
            worlds: Worlds::Partner(exercises),
        }
    }

    /// The nation data would go to.
    pub fn nation(&self) -> Nation {
        self.nation
    }
}

/// What a reader is told when something it may have seen changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Show the new state (the reader may see it).
    Show,
    /// Drop it: the reader saw it and may no longer (its marking was raised or narrowed, or it
    /// was recalled or withdrawn). Nothing of the new state is told.
    Hide,
    /// It was deleted: drop it.
    Delete,
}

impl Policy {
    /// **The access decision**: may `audience` hold `object`? True only when the audience is in
    /// the object's world (a reader), or is a link and the object is real-world or of an
    /// exercise both the link's nation and the object's origin take part in, is cleared to the object's
    /// level (a link: its ceiling), and is of the object's origin nation or one it is released
    /// to. Unknown levels or tokens deny.
    pub fn allows<O: Marked + ?Sized>(&self, audience: Audience<'_>, object: &O) -> bool {
        let in_world = match audience.worlds {
            Worlds::One(world) => object.world() == world,
            Worlds::Partner(exercises) => match object.world() {
                None => true,
                Some(world) => {
                    exercises.takes_part(world, audience.nation)
                        && exercises.takes_part(world, object.origin())
                }
            },
        };
        in_world
            && self.may_hold(
                audience.nation,
                audience.clearance,
                object.origin(),
                object.marking(),
            )
    }

    /// What `audience` is told when `previous` (what it may have seen; `None` if nothing) becomes
    /// `current` (`None`: recalled or withdrawn, this node no longer holds it). `None`: nothing
    /// to tell (it neither saw the old state nor may see the new one).
    pub fn transition<P, C>(
        &self,
        audience: Audience<'_>,
        previous: Option<&P>,
        current: Option<&C>,
    ) -> Option<Transition>
    where
        P: Marked + ?Sized,
        C: Marked + ?Sized,
    {
        let saw = previous
            .is_some_and(|previous| !previous.is_deleted() && self.allows(audience, previous));
        let Some(current) = current else {
            return saw.then_some(Transition::Hide);
        };
        let sees = self.allows(audience, current);
        if current.is_deleted() {
            (sees || saw).then_some(Transition::Delete)
        } else if sees {
            Some(Transition::Show)
        } else {
            saw.then_some(Transition::Hide)
        }
    }

    /// The canonical form of a marking for an object of `origin`: the level one of the
    /// configured levels; tokens upper-case, sorted, without duplicates; just the confederation's
    /// name when it is among them; the origin's own code dropped (released to its origin alone is
    /// national: one meaning, one form, whatever door it came through).
    pub fn canonical(&self, origin: Nation, marking: &Marking) -> Result<Marking, MarkingError> {
        let level = marking.level.trim();
        let Some(rank) = self
            .levels()
            .names()
            .iter()
            .position(|name| name.eq_ignore_ascii_case(level))
        else {
            return Err(MarkingError::UnknownLevel {
                level: marking.level.clone(),
                known: self.levels().names().join(", "),
            });
        };
        let level = self.levels().names().get(rank).cloned().unwrap_or_default();
        let confederation = self.confederation();
        let mut tokens = BTreeSet::new();
        let mut all_members = false;
        // Every token is checked, even beside the confederation's name, so that a canonical
        // marking never means less or more than what was written.
        for token in &marking.releasable_to {
            let token = token.trim().to_ascii_uppercase();
            if token == confederation.name() {
                all_members = true;
                continue;
            }
            match Nation::parse(&token) {
                Ok(nation) if confederation.is_member(nation) => {
                    if nation != origin {
                        tokens.insert(token);
                    }
                }
                _ => {
                    return Err(MarkingError::UnknownReleasability {
                        token,
                        confederation: confederation.name().to_owned(),
                    });
                }
            }
        }
        if all_members {
            return Ok(Marking::new(&level, [confederation.name()]));
        }
        Ok(Marking::new(&level, tokens))
    }

    /// The nations that may hold something `origin` marked `marking` (ignoring clearance): the
    /// origin and the members it is released to.
    pub fn holders(&self, origin: Nation, marking: &Marking) -> BTreeSet<Nation> {
        let mut nations: BTreeSet<Nation> = self
            .confederation()
            .members()
            .iter()
            .copied()
            .filter(|member| self.released_to(*member, marking))
            .collect();
        nations.insert(origin);
        nations
    }

    /// Whether going from `previous` to `next` (both canonical, for an object of `origin`)
    /// widens the release: a lower level, or a nation that may hold `next` but not `previous`.
    pub fn widens(&self, origin: Nation, previous: &Marking, next: &Marking) -> bool {
        let lower = match (
            self.levels().rank(&previous.level),
            self.levels().rank(&next.level),
        ) {
            (Some(before), Some(after)) => after < before,
            // An unknown level cannot be judged: treat the change as a release.
            _ => true,
        };
        lower
            || !self
                .holders(origin, next)
                .is_subset(&self.holders(origin, previous))
    }

    /// **The one marking input**: turns a marking a client wrote (API, CoT, STIX) into the
    /// marking of an object of `origin` made or changed by `who`, or says why not.
    ///
    /// - the marking is put in [`canonical`](Policy::canonical) form;
    /// - nobody marks above their own clearance;
    /// - a partner's liaison officer (a principal of another nation than the origin) must keep
    ///   the object releasable to their own nation, so that they do not hide their own work
    ///   from themselves;
    /// - on a change (`previous` = the current marking and whether `who` is the object's
    ///   author), widening the release is an act: allowed to the author or a releasing officer
    ///   (role `releaser` or above) of the origin nation, never to a liaison officer. Narrowing is
    ///   open to every editor who may see the object.
    pub fn marking_input(
        &self,
        who: &Principal,
        origin: Nation,
        given: &Marking,
        previous: Option<(&Marking, bool)>,
    ) -> Result<Marking, MarkingError> {
        let marking = self.canonical(origin, given)?;
        self.check_may_mark(who, &marking)?;
        let liaison = who.nation != origin;
        if liaison && !self.holders(origin, &marking).contains(&who.nation) {
            return Err(MarkingError::LiaisonMustKeep {
                nation: who.nation.as_str().to_owned(),
            });
        }
        if let Some((previous, is_author)) = previous
            && self.widens(origin, previous, &marking)
        {
            let may_release = !liaison && (is_author || who.role >= Role::Releaser);
            if !may_release {
                return Err(MarkingError::ReleaseNotAllowed {
                    from: previous.to_string(),
                    to: marking.to_string(),
                    why: if liaison {
                        "a partner's liaison officer never widens a release".to_owned()
                    } else {
                        "only the object's author or a releasing officer (role releaser) may"
                            .to_owned()
                    },
                });
            }
        }
        Ok(marking)
    }

    /// The marking of something `origin` derives from marked `sources` (an alert about a zone,
    /// a warning about a site): the highest of their levels, released to the nations that may
    /// hold every source; all members only when every source is released to all members.
    pub fn derive_marking(
        &self,
        origin: Nation,
        sources: &[(Nation, &Marking)],
    ) -> Result<Marking, MarkingError> {
        let mut level: Option<(usize, &str)> = None;
        let mut holders: Option<BTreeSet<Nation>> = None;
        let mut all_members = true;
        for (source_origin, marking) in sources {
            let rank =
                self.levels()
                    .rank(&marking.level)
                    .ok_or_else(|| MarkingError::UnknownLevel {
                        level: marking.level.clone(),
                        known: self.levels().names().join(", "),
                    })?;
            if level.is_none_or(|(highest, _)| rank > highest) {
                level = Some((rank, &marking.level));
            }
            let reach = self.holders(*source_origin, marking);
            all_members &= marking
                .releasable_to
                .iter()
                .any(|token| token == self.confederation().name());
            holders = Some(match holders {
                None => reach,
                Some(held) => held.intersection(&reach).copied().collect(),
            });
        }
        let level = level.map_or_else(|| self.levels().lowest().to_owned(), |(_, l)| l.to_owned());
        if all_members && !sources.is_empty() {
            return Ok(Marking::new(&level, [self.confederation().name()]));
        }
        let tokens: Vec<String> = holders
            .unwrap_or_default()
            .into_iter()
            .filter(|nation| *nation != origin)
            .map(|nation| nation.as_str().to_owned())
            .collect();
        self.canonical(origin, &Marking::new(&level, tokens))
    }
}
