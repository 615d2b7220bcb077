//! Joint exercises: the [`Exercise`] object that makes an exercise's world complete, and
//! [`ExerciseWorlds`], who takes part in each world, which the access decision reads for a
//! partner link.
//!
//! An exercise is a real-world object written by its directing nation (its origin): its `name`
//! is the world name that the exercise's objects carry in their `exercise` field. An object of
//! world X crosses a federation link to nation N only if the node deciding holds an exercise
//! named X whose participating nations include N and the object's origin (deny by default: an
//! unknown exercise crosses to nobody). See `Policy::allows`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::marking::Marked;
use crate::nation::Nation;
use crate::object::{Body, InvalidObject, MAX_NAME_CHARS, Object, check_exercise_name, check_text};

/// Most nations one exercise lists, and most names of its control staff.
pub const MAX_EXERCISE_LISTED: usize = 64;

/// A joint exercise, directed by its origin nation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Exercise {
    /// The world name its objects carry in their `exercise` field (1 to 64 letters, digits,
    /// spaces, `-`, `_`, `.`).
    pub name: String,
    /// Every nation taking part, the directing nation (the origin) included. Objects of the
    /// exercise's world cross only to these nations.
    pub participating_nations: Vec<Nation>,
    /// Start of the exercise window.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub start: OffsetDateTime,
    /// End of the exercise window.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub end: OffsetDateTime,
    /// `planned`, `running` or `ended`. Nothing new is created in an ended exercise's world.
    pub status: ExerciseStatus,
    /// The exercise control staff: user names of the directing node (they load and run
    /// injects).
    #[serde(default)]
    pub control: Vec<String>,
}

/// Where an exercise stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExerciseStatus {
    /// Prepared, not started.
    Planned,
    /// Under way.
    Running,
    /// Over: its world is read-only.
    Ended,
}

impl ExerciseStatus {
    /// Every status.
    pub const ALL: [ExerciseStatus; 3] = [
        ExerciseStatus::Planned,
        ExerciseStatus::Running,
        ExerciseStatus::Ended,
    ];

    /// The snake_case name (the `kind=` filter of exercises).
    pub fn as_str(&self) -> &'static str {
        match self {
            ExerciseStatus::Planned => "planned",
            ExerciseStatus::Running => "running",
            ExerciseStatus::Ended => "ended",
        }
    }
}

impl Exercise {
    /// Checks the fields on their own (the directing nation among the participants is checked
    /// with the origin: [`Exercise::check_directed_by`]).
    pub fn check(&self) -> Result<(), InvalidObject> {
        check_exercise_name(&self.name).map_err(|err| InvalidObject {
            field: "name",
            reason: err.reason,
        })?;
        if self.participating_nations.is_empty() {
            return Err(InvalidObject::new(
                "participating_nations",
                "must name at least the directing nation",
            ));
        }
        if self.participating_nations.len() > MAX_EXERCISE_LISTED {
            return Err(InvalidObject {
                field: "participating_nations",
                reason: format!("at most {MAX_EXERCISE_LISTED} nations"),
            });
        }
        let mut seen = BTreeSet::new();
        if let Some(twice) = self
            .participating_nations
            .iter()
            .find(|nation| !seen.insert(**nation))
        {
            return Err(InvalidObject {
                field: "participating_nations",
                reason: format!("names {twice} twice"),
            });
        }
        if self.end <= self.start {
            return Err(InvalidObject::new("end", "must be after start"));
        }
        if self.control.len() > MAX_EXERCISE_LISTED {
            return Err(InvalidObject {
                field: "control",
                reason: format!("at most {MAX_EXERCISE_LISTED} names"),
            });
        }
        for name in &self.control {
            check_text("control", name, 1, MAX_NAME_CHARS)?;
        }
        Ok(())
    }

    /// Checks that `origin`, the directing nation, takes part.
    pub fn check_directed_by(&self, origin: Nation) -> Result<(), InvalidObject> {
        if self.participating_nations.contains(&origin) {
            Ok(())
        } else {
            Err(InvalidObject {
                field: "participating_nations",
                reason: format!("must include the directing nation {origin}"),
            })
        }
    }

    /// Whether `nation` takes part.
    pub fn takes_part(&self, nation: Nation) -> bool {
        self.participating_nations.contains(&nation)
    }
}

/// The exercise worlds a node holds and the nations taking part in each, made from the
/// [`Exercise`] objects it holds (live, real-world ones). What a partner link's audience
/// carries: the access decision lets an object of world X cross to nation N only if N and the
/// object's origin take part in X here. A world no held exercise names has no participants.
///
/// Two held exercises of the same name (two directing nations chose it) count as one world
/// whose participants are the nations both list: when in doubt, fewer nations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExerciseWorlds {
    by_name: BTreeMap<String, BTreeSet<Nation>>,
}

impl ExerciseWorlds {
    /// No exercise: every exercise world crosses to nobody.
    pub fn none() -> ExerciseWorlds {
        ExerciseWorlds::default()
    }

    /// The worlds of the live, real-world exercises among `objects` (others are ignored).
    pub fn from_objects<'a>(objects: impl IntoIterator<Item = &'a Object>) -> ExerciseWorlds {
        let mut worlds = ExerciseWorlds::none();
        for object in objects {
            worlds.add(object);
        }
        worlds
    }

    /// Adds `object` if it is a live real-world exercise.
    pub fn add(&mut self, object: &Object) {
        if object.is_deleted() || object.world().is_some() {
            return;
        }
        if let Body::Exercise(exercise) = &object.body {
            self.insert(
                &exercise.name,
                exercise.participating_nations.iter().copied(),
            );
        }
    }

    /// Adds a world and its participants (intersected with any held under the same name).
    pub fn insert(&mut self, name: &str, participants: impl IntoIterator<Item = Nation>) {
        let participants: BTreeSet<Nation> = participants.into_iter().collect();
        self.by_name
            .entry(name.to_owned())
            .and_modify(|held| held.retain(|nation| participants.contains(nation)))
            .or_insert(participants);
    }

    /// Whether `nation` takes part in the world `name`.
    pub fn takes_part(&self, name: &str, nation: Nation) -> bool {
        self.by_name
            .get(name)
            .is_some_and(|participants| participants.contains(&nation))
    }

    /// The worlds held, by name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn nation(code: &str) -> Nation {
        Nation::parse(code).unwrap()
    }

    fn drill() -> Exercise {
        Exercise {
            name: "SAHEL 27".into(),
            participating_nations: vec![nation("MLI"), nation("NER")],
            start: datetime!(2026-12-07 08:00 UTC),
            end: datetime!(2026-12-07 18:00 UTC),
            status: ExerciseStatus::Planned,
            control: vec!["moussa".into()],
        }
    }

    #[test]
    fn a_sound_exercise_passes() {
        assert_eq!(drill().check(), Ok(()));
        assert_eq!(drill().check_directed_by(nation("MLI")), Ok(()));
    }

    #[test]
    fn bad_exercises_name_the_field() {
        let field = |change: &dyn Fn(&mut Exercise)| {
            let mut exercise = drill();
            change(&mut exercise);
            exercise.check().err().map(|err| err.field)
        };
        assert_eq!(field(&|e| e.name = "SAHEL<27>".into()), Some("name"));
        assert_eq!(field(&|e| e.name = " ".into()), Some("name"));
        assert_eq!(field(&|e| e.name = "x".repeat(65)), Some("name"));
        assert_eq!(field(&|e| e.end = e.start), Some("end"));
        assert_eq!(
            field(&|e| e.participating_nations.clear()),
            Some("participating_nations")
        );
        assert_eq!(
            field(&|e| e.participating_nations.push(nation("NER"))),
            Some("participating_nations")
        );
        assert_eq!(field(&|e| e.control.push(String::new())), Some("control"));
        let err = drill().check_directed_by(nation("BFA")).unwrap_err();
        assert_eq!(err.field, "participating_nations");
        assert!(err.reason.contains("BFA"), "{err}");
    }

    #[test]
    fn worlds_know_their_participants_and_nothing_else() {
        let mut worlds = ExerciseWorlds::none();
        worlds.insert("SAHEL 27", [nation("MLI"), nation("NER")]);
        assert!(worlds.takes_part("SAHEL 27", nation("NER")));
        assert!(!worlds.takes_part("SAHEL 27", nation("BFA")));
        assert!(!worlds.takes_part("UNKNOWN", nation("MLI")));
        // Case and spacing are part of the name.
        assert!(!worlds.takes_part("sahel 27", nation("MLI")));
        // The same name twice: only the nations both list.
        worlds.insert("SAHEL 27", [nation("MLI"), nation("BFA")]);
        assert!(worlds.takes_part("SAHEL 27", nation("MLI")));
        assert!(!worlds.takes_part("SAHEL 27", nation("NER")));
        assert!(!worlds.takes_part("SAHEL 27", nation("BFA")));
    }
}
