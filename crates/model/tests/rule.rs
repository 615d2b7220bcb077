//! Property tests of the access decision.
//!
//! An independent formulation (who may hold it = a set of nations, computed the long way) is
//! compared with `Policy::allows` on random confederations, markings, worlds and principals, and
//! the decision's laws are checked one by one: monotone in clearance and in releasability,
//! national means origin only, unknown levels deny, worlds never mix for a reader, the link
//! audience is the reader rule over every world, canonical markings mean the same as what the
//! client wrote; then the visibility transition, the one marking input (release rules) and
//! marking derivation.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is the test failing

use std::collections::BTreeSet;

use liptako_model::{
    Audience, Confederation, Exercise, ExerciseStatus, ExerciseWorlds, Levels, LinkAccreditation,
    Marked, Marking, MarkingError, Nation, Policy, Principal, Role, Transition,
};
use proptest::prelude::*;

const CODES: [&str; 6] = ["MLI", "BFA", "NER", "TCD", "SEN", "CIV"];

fn nation(code: &str) -> Nation {
    Nation::parse(code).unwrap()
}

/// A marked thing for the tests.
#[derive(Debug, Clone)]
struct Thing {
    origin: Nation,
    marking: Marking,
    world: Option<String>,
    deleted: bool,
}

impl Thing {
    fn new(origin: Nation, marking: Marking) -> Thing {
        Thing {
            origin,
            marking,
            world: None,
            deleted: false,
        }
    }
}

impl Marked for Thing {
    fn origin(&self) -> Nation {
        self.origin
    }
    fn marking(&self) -> &Marking {
        &self.marking
    }
    fn world(&self) -> Option<&str> {
        self.world.as_deref()
    }
    fn is_deleted(&self) -> bool {
        self.deleted
    }
}

/// The decision for a real-world reader.
fn sees(policy: &Policy, principal: &Principal, thing: &Thing) -> bool {
    policy.allows(Audience::reader(principal, None), thing)
}

/// Confederation of the first `n_members` codes (at least 2), named AES; the others are outsiders.
fn policy(n_members: usize) -> Policy {
    let members = CODES[..n_members].iter().map(|code| nation(code)).collect();
    Policy::new(
        Confederation::new("AES", members).unwrap(),
        Levels::default(),
    )
}

fn level_name(rank: usize) -> String {
    ["NP", "DR", "C", "S", "TS"][rank].to_owned() // "TS" is not a default level
}

prop_compose! {
    fn any_case()(n_members in 2usize..=4,
                  origin in 0usize..6,
                  level in 0usize..5,
                  tokens in proptest::collection::vec(0usize..8, 0..4),
                  viewer in 0usize..6,
                  clearance in 0usize..5)
        -> (usize, Thing, Principal)
    {
        // token index 6 = the confederation's name, 7 = a name that is nothing here
        let releasable_to = tokens.iter().map(|&idx| match idx {
            6 => "AES".to_owned(),
            7 => "XYZ".to_owned(),
            idx => CODES[idx].to_owned(),
        }).collect();
        let thing = Thing::new(nation(CODES[origin]), Marking { level: level_name(level), releasable_to });
        let principal = Principal::new("p", nation(CODES[viewer]), &level_name(clearance), Role::Viewer);
        (n_members, thing, principal)
    }
}

/// The oracle: the set of nations that may hold `thing`, and the clearance order, written out.
fn oracle(n_members: usize, thing: &Thing, principal: &Principal) -> bool {
    let order = ["NP", "DR", "C", "S"];
    let (Some(cleared), Some(level)) = (
        order.iter().position(|l| *l == principal.clearance),
        order.iter().position(|l| *l == thing.marking.level),
    ) else {
        return false;
    };
    let mut holders: BTreeSet<&str> = BTreeSet::new();
    holders.insert(thing.origin.as_str());
    for token in &thing.marking.releasable_to {
        if token == "AES" {
            holders.extend(&CODES[..n_members]);
        } else {
            holders.insert(token.as_str());
        }
    }
    cleared >= level && holders.contains(principal.nation.as_str())
}

proptest! {
    #[test]
    fn rule_matches_the_oracle((n_members, thing, principal) in any_case()) {
        let policy = policy(n_members);
        prop_assert_eq!(sees(&policy, &principal, &thing), oracle(n_members, &thing, &principal));
    }

    #[test]
    fn monotone_in_clearance((n_members, thing, principal) in any_case(), higher in 0usize..4) {
        let policy = policy(n_members);
        let order = ["NP", "DR", "C", "S"];
        if let Some(now) = order.iter().position(|l| *l == principal.clearance)
            && sees(&policy, &principal, &thing)
            && higher >= now
        {
            let raised = Principal { clearance: order[higher].to_owned(), ..principal.clone() };
            prop_assert!(sees(&policy, &raised, &thing));
        }
    }

    #[test]
    fn monotone_in_releasability((n_members, thing, principal) in any_case(), extra in 0usize..7) {
        let policy = policy(n_members);
        if sees(&policy, &principal, &thing) {
            let mut wider = thing.clone();
            wider.marking.releasable_to.push(if extra == 6 { "AES".into() } else { CODES[extra].into() });
            prop_assert!(sees(&policy, &principal, &wider));
        }
    }

    #[test]
    fn national_means_origin_only((n_members, mut thing, principal) in any_case()) {
        let policy = policy(n_members);
        thing.marking.releasable_to.clear();
        if sees(&policy, &principal, &thing) {
            prop_assert_eq!(principal.nation, thing.origin);
        }
    }

    #[test]
    fn clearance_below_level_never_sees((n_members, thing, principal) in any_case()) {
        let policy = policy(n_members);
        let order = policy.levels();
        match (order.rank(&principal.clearance), order.rank(&thing.marking.level)) {
            (Some(cleared), Some(level)) if cleared < level =>
                prop_assert!(!sees(&policy, &principal, &thing)),
            (None, _) | (_, None) => prop_assert!(!sees(&policy, &principal, &thing)),
            _ => {}
        }
    }

    #[test]
    fn outsiders_never_see_through_the_confederation((n_members, mut thing, principal) in any_case()) {
        let policy = policy(n_members);
        thing.marking.releasable_to = vec!["AES".into()];
        let outsider = !policy.confederation().is_member(principal.nation);
        if outsider && principal.nation != thing.origin {
            prop_assert!(!sees(&policy, &principal, &thing));
        }
    }

    #[test]
    fn link_rule_is_the_principal_rule((n_members, thing, principal) in any_case(), partner_takes_part: bool, origin_takes_part: bool) {
        let policy = policy(n_members);
        let link = LinkAccreditation { nation: principal.nation, ceiling: principal.clearance.clone() };
        let none = ExerciseWorlds::none();
        prop_assert_eq!(policy.allows(Audience::link(&link, &none), &thing), sees(&policy, &principal, &thing));
        // A link holds an exercise's world only if the exercise held here lists both the
        // partner's nation and the object's origin; a reader holds only the world it looks at.
        let drill = Thing { world: Some("drill".into()), ..thing.clone() };
        let mut exercises = ExerciseWorlds::none();
        let mut participants = Vec::new();
        if partner_takes_part { participants.push(principal.nation); }
        if origin_takes_part { participants.push(thing.origin); }
        exercises.insert("drill", participants.iter().copied());
        prop_assert_eq!(
            policy.allows(Audience::link(&link, &exercises), &drill),
            participants.contains(&principal.nation)
                && participants.contains(&thing.origin)
                && sees(&policy, &principal, &thing)
        );
        prop_assert!(!policy.allows(Audience::link(&link, &none), &drill));
        prop_assert!(!sees(&policy, &principal, &drill));
        prop_assert_eq!(
            policy.allows(Audience::reader(&principal, Some("drill")), &drill),
            sees(&policy, &principal, &thing)
        );
        prop_assert!(!policy.allows(Audience::reader(&principal, Some("other")), &drill));
    }

    #[test]
    fn canonical_marking_means_the_same((n_members, thing, principal) in any_case()) {
        let policy = policy(n_members);
        if let Ok(canonical) = policy.canonical(thing.origin, &thing.marking) {
            let recanonical = policy.canonical(thing.origin, &canonical).unwrap();
            prop_assert_eq!(&recanonical, &canonical);
            prop_assert!(!canonical.releasable_to.iter().any(|token| token == thing.origin.as_str()));
            let rewritten = Thing::new(thing.origin, canonical);
            prop_assert_eq!(sees(&policy, &principal, &rewritten), sees(&policy, &principal, &thing));
        }
    }
}

#[test]
fn canonical_rejects_unknown_names() {
    let policy = policy(3);
    let mli = nation("MLI");
    let err = policy
        .canonical(mli, &Marking::new("TS", ["AES"]))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown classification level \"TS\"")
    );
    let err = policy
        .canonical(mli, &Marking::new("DR", ["XYZ"]))
        .unwrap_err();
    assert!(err.to_string().contains("\"XYZ\""));
    // A nation that exists but is not a member is not a releasability here.
    assert!(policy.canonical(mli, &Marking::new("DR", ["SEN"])).is_err());
    assert_eq!(
        policy
            .canonical(mli, &Marking::new("DR", ["ner", "BFA", "NER"]))
            .unwrap(),
        Marking::new("DR", ["BFA", "NER"])
    );
    assert_eq!(
        policy
            .canonical(mli, &Marking::new("c", ["BFA", "aes"]))
            .unwrap(),
        Marking::new("C", ["AES"])
    );
    // Released to the origin alone is national, whichever way it was written.
    assert_eq!(
        policy.canonical(mli, &Marking::new("DR", ["MLI"])).unwrap(),
        Marking::new("DR", Vec::<String>::new())
    );
}

#[test]
fn nobody_marks_above_their_clearance() {
    let policy = policy(3);
    let editor = Principal::new("e", nation("MLI"), "DR", Role::Editor);
    assert!(
        policy
            .check_may_mark(&editor, &Marking::new("DR", ["AES"]))
            .is_ok()
    );
    let err = policy
        .check_may_mark(&editor, &Marking::new("C", ["AES"]))
        .unwrap_err();
    assert!(err.to_string().contains("above your clearance"));
}

#[test]
fn confederation_name_may_not_be_a_member_code() {
    assert!(Confederation::new("MLI", vec![nation("MLI"), nation("BFA")]).is_err());
    assert!(Confederation::new("AES", vec![nation("MLI"), nation("MLI")]).is_err());
    assert!(Levels::new(vec!["NP".into(), "NP".into()]).is_err());
    assert!(Levels::new(vec![]).is_err());
}

// The marking-rule cases again, with a second version of the same thing.
prop_compose! {
    fn any_change()((n_members, before, principal) in any_case(),
                    level in 0usize..5,
                    tokens in proptest::collection::vec(0usize..7, 0..4),
                    deleted in any::<bool>(),
                    absent in 0usize..8)
        -> (usize, Thing, Option<Thing>, Principal)
    {
        let releasable_to = tokens.iter().map(|&idx| match idx {
            6 => "AES".to_owned(),
            idx => CODES[idx].to_owned(),
        }).collect();
        let after = Thing {
            marking: Marking { level: level_name(level), releasable_to },
            deleted,
            ..before.clone()
        };
        // Now and then the new state is gone altogether (a recall).
        (n_members, before, (absent != 0).then_some(after), principal)
    }
}

proptest! {
    #[test]
    fn transition_tells_exactly_who_saw_or_sees((n_members, before, after, principal) in any_change()) {
        let policy = policy(n_members);
        let reader = Audience::reader(&principal, None);
        let saw = sees(&policy, &principal, &before);
        let told = policy.transition(reader, Some(&before), after.as_ref());
        match &after {
            None => prop_assert_eq!(told, saw.then_some(Transition::Hide)),
            Some(after) => {
                let now = sees(&policy, &principal, after);
                let expected = if after.deleted {
                    (saw || now).then_some(Transition::Delete)
                } else if now {
                    Some(Transition::Show)
                } else {
                    saw.then_some(Transition::Hide)
                };
                prop_assert_eq!(told, expected);
                // Shown only to who may see it now; hidden only from who saw it.
                if told == Some(Transition::Show) {
                    prop_assert!(now);
                }
                if told == Some(Transition::Hide) {
                    prop_assert!(saw && !now);
                }
            }
        }
        // Nothing is told across worlds.
        let elsewhere = Audience::reader(&principal, Some("drill"));
        prop_assert_eq!(policy.transition(elsewhere, Some(&before), after.as_ref()), None);
        // Nothing seen before the first version.
        if let Some(after) = &after {
            let first = policy.transition(reader, None::<&Thing>, Some(after));
            prop_assert!(first != Some(Transition::Hide));
        }
    }

    #[test]
    fn marking_input_never_widens_without_the_right((n_members, before, after, principal) in any_change(),
                                                     role in 0usize..4,
                                                     is_author in any::<bool>()) {
        let policy = policy(n_members);
        let Some(after) = after else { return Ok(()) };
        let origin = before.origin;
        let Ok(previous) = policy.canonical(origin, &before.marking) else { return Ok(()) };
        let who = Principal { role: Role::ALL[role], ..principal.clone() };
        match policy.marking_input(&who, origin, &after.marking, Some((&previous, is_author))) {
            Ok(marking) => {
                prop_assert_eq!(policy.canonical(origin, &marking), Ok(marking.clone()));
                prop_assert!(policy.check_may_mark(&who, &marking).is_ok());
                if who.nation != origin {
                    // A liaison keeps it for its own nation, and never widens.
                    prop_assert!(policy.holders(origin, &marking).contains(&who.nation));
                    prop_assert!(!policy.widens(origin, &previous, &marking));
                } else if policy.widens(origin, &previous, &marking) {
                    prop_assert!(is_author || who.role >= Role::Releaser);
                }
            }
            Err(MarkingError::ReleaseNotAllowed { .. }) => {
                prop_assert!(policy.widens(origin, &previous, &policy.canonical(origin, &after.marking).unwrap()));
            }
            Err(_) => {}
        }
    }

    #[test]
    fn derived_markings_reach_no_one_a_source_does_not((n_members, a, b, principal) in any_change()) {
        let policy = policy(n_members);
        let Some(b) = b else { return Ok(()) };
        let derived_origin = nation(CODES[0]);
        let sources = [(a.origin, &a.marking), (b.origin, &b.marking)];
        if let Ok(marking) = policy.derive_marking(derived_origin, &sources) {
            let derived = Thing::new(derived_origin, marking);
            if sees(&policy, &principal, &derived) && principal.nation != derived_origin {
                prop_assert!(sees(&policy, &principal, &a));
                prop_assert!(sees(&policy, &principal, &b));
            }
        }
    }
}

#[test]
fn liaison_officers_keep_their_nation_and_never_release() {
    let policy = policy(3);
    let (mli, bfa) = (nation("MLI"), nation("BFA"));
    let liaison = Principal::new("bfa-lo", bfa, "DR", Role::Admin);
    // Creating on the MLI node: national to MLI would hide it from its own author.
    let err = policy
        .marking_input(
            &liaison,
            mli,
            &Marking::new("DR", Vec::<String>::new()),
            None,
        )
        .unwrap_err();
    assert!(matches!(err, MarkingError::LiaisonMustKeep { .. }), "{err}");
    assert_eq!(
        policy
            .marking_input(&liaison, mli, &Marking::new("DR", ["bfa"]), None)
            .unwrap(),
        Marking::new("DR", ["BFA"])
    );
    // Re-releasing an MLI report from BFA to NER: refused, even to an admin liaison.
    let held = Marking::new("DR", ["BFA"]);
    let err = policy
        .marking_input(
            &liaison,
            mli,
            &Marking::new("DR", ["BFA", "NER"]),
            Some((&held, true)),
        )
        .unwrap_err();
    assert!(
        matches!(err, MarkingError::ReleaseNotAllowed { .. }),
        "{err}"
    );
    // Narrowing (raising the level) stays open to the liaison.
    assert!(
        policy
            .marking_input(
                &liaison,
                mli,
                &Marking::new("DR", ["BFA"]),
                Some((&Marking::new("NP", ["AES"]), false))
            )
            .is_ok()
    );
}

#[test]
fn editors_release_only_their_own_work_and_releasers_any() {
    let policy = policy(3);
    let mli = nation("MLI");
    let national = Marking::new("DR", Vec::<String>::new());
    let wide = Marking::new("DR", ["AES"]);
    let editor = Principal::new("np", mli, "DR", Role::Editor);
    let releaser = Principal::new("ro", mli, "DR", Role::Releaser);
    assert!(
        policy
            .marking_input(&editor, mli, &wide, Some((&national, false)))
            .is_err()
    );
    assert!(
        policy
            .marking_input(&editor, mli, &wide, Some((&national, true)))
            .is_ok()
    );
    assert!(
        policy
            .marking_input(&releaser, mli, &wide, Some((&national, false)))
            .is_ok()
    );
    // Lowering the level is a release too.
    let lower = Marking::new("NP", Vec::<String>::new());
    assert!(
        policy
            .marking_input(&editor, mli, &lower, Some((&national, false)))
            .is_err()
    );
}

#[test]
fn derivation_takes_the_highest_level_and_the_common_release() {
    let policy = policy(3);
    let (mli, bfa) = (nation("MLI"), nation("BFA"));
    let zone = Marking::new("C", ["MLI"]);
    let alert = Marking::new("DR", ["AES"]);
    assert_eq!(
        policy
            .derive_marking(mli, &[(mli, &alert), (bfa, &zone)])
            .unwrap(),
        // The zone's origin may hold what is derived from its own zone.
        Marking::new("C", ["BFA"])
    );
    assert_eq!(
        policy
            .derive_marking(mli, &[(mli, &alert), (bfa, &Marking::new("NP", ["AES"]))])
            .unwrap(),
        Marking::new("DR", ["AES"])
    );
}

/// Participation in an exercise, by the exercise objects a node holds: a participant, a
/// non-participant, an unknown exercise, a participant removed, an exercise deleted.
#[test]
fn exercise_worlds_cross_only_to_participants() {
    let policy = policy(3);
    let (mli, bfa, ner) = (nation("MLI"), nation("BFA"), nation("NER"));
    let link = |nation| LinkAccreditation {
        nation,
        ceiling: "C".into(),
    };
    let (to_bfa, to_ner) = (link(bfa), link(ner));
    let report = Thing {
        world: Some("SAHEL 27".into()),
        ..Thing::new(mli, Marking::new("DR", ["AES"]))
    };
    let exercise = |participants: Vec<Nation>, version: u64, deleted: bool| {
        let body = Exercise {
            name: "SAHEL 27".into(),
            participating_nations: participants,
            start: time::macros::datetime!(2026-12-07 08:00 UTC),
            end: time::macros::datetime!(2026-12-07 18:00 UTC),
            status: ExerciseStatus::Running,
            control: vec![],
        };
        liptako_model::Object {
            meta: liptako_model::Meta {
                id: uuid::Uuid::nil(),
                origin: mli,
                version,
                created: time::macros::datetime!(2026-12-06 08:00 UTC),
                updated: time::macros::datetime!(2026-12-06 08:00 UTC),
                valid_until: None,
                marking: Marking::new("DR", ["AES"]),
                exercise: None,
                deleted,
            },
            body: liptako_model::Body::Exercise(Box::new(body)),
        }
    };
    // MLI directs SAHEL 27 with NER.
    let held = [exercise(vec![mli, ner], 1, false)];
    let worlds = ExerciseWorlds::from_objects(&held);
    assert!(policy.allows(Audience::link(&to_ner, &worlds), &report));
    assert!(!policy.allows(Audience::link(&to_bfa, &worlds), &report));
    // Real-world data is untouched by exercises.
    let real = Thing::new(mli, Marking::new("DR", ["AES"]));
    assert!(policy.allows(Audience::link(&to_bfa, &worlds), &real));
    // An exercise this node does not hold crosses to nobody.
    let unknown = Thing {
        world: Some("UNKNOWN".into()),
        ..real.clone()
    };
    assert!(!policy.allows(Audience::link(&to_ner, &worlds), &unknown));
    // A non-participant's object in the world does not cross either (its origin takes no part).
    let from_bfa = Thing {
        world: Some("SAHEL 27".into()),
        ..Thing::new(bfa, Marking::new("DR", ["AES"]))
    };
    assert!(!policy.allows(Audience::link(&to_ner, &worlds), &from_bfa));
    // NER removed (a new version of the exercise): refused at the next decision.
    let held = [exercise(vec![mli], 2, false)];
    let worlds = ExerciseWorlds::from_objects(&held);
    assert!(!policy.allows(Audience::link(&to_ner, &worlds), &report));
    // Deleted, or in an exercise's own world: not an exercise this node holds.
    let held = [exercise(vec![mli, ner], 3, true)];
    assert!(!policy.allows(
        Audience::link(&to_ner, &ExerciseWorlds::from_objects(&held)),
        &report
    ));
    let mut nested = exercise(vec![mli, ner], 1, false);
    nested.meta.exercise = Some("SAHEL 27".into());
    assert!(!policy.allows(
        Audience::link(&to_ner, &ExerciseWorlds::from_objects([&nested])),
        &report
    ));
    // The marking still decides within the world: a national report stays home.
    let national = Thing {
        world: Some("SAHEL 27".into()),
        ..Thing::new(mli, Marking::new("DR", Vec::<String>::new()))
    };
    let held = [exercise(vec![mli, ner], 1, false)];
    assert!(!policy.allows(
        Audience::link(&to_ner, &ExerciseWorlds::from_objects(&held)),
        &national
    ));
}
