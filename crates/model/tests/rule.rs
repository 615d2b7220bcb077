//! Property tests of the marking rule.
//!
//! An independent formulation (who may hold it = a set of nations, computed the long way) is
//! compared with `Policy::may_see` on random confederations, markings and principals, and the
//! rule's laws are checked one by one: monotone in clearance and in releasability, national means
//! origin only, unknown levels deny, the link rule is the principal rule, canonical markings mean
//! the same as what the client wrote.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is the test failing

use std::collections::BTreeSet;

use liptako_model::{
    Confederation, Levels, LinkAccreditation, Marked, Marking, Nation, Policy, Principal, Role,
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
}

impl Marked for Thing {
    fn origin(&self) -> Nation {
        self.origin
    }
    fn marking(&self) -> &Marking {
        &self.marking
    }
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
        let thing = Thing { origin: nation(CODES[origin]), marking: Marking { level: level_name(level), releasable_to } };
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
        prop_assert_eq!(policy.may_see(&principal, &thing), oracle(n_members, &thing, &principal));
    }

    #[test]
    fn monotone_in_clearance((n_members, thing, principal) in any_case(), higher in 0usize..4) {
        let policy = policy(n_members);
        let order = ["NP", "DR", "C", "S"];
        if let Some(now) = order.iter().position(|l| *l == principal.clearance)
            && policy.may_see(&principal, &thing)
            && higher >= now
        {
            let raised = Principal { clearance: order[higher].to_owned(), ..principal.clone() };
            prop_assert!(policy.may_see(&raised, &thing));
        }
    }

    #[test]
    fn monotone_in_releasability((n_members, thing, principal) in any_case(), extra in 0usize..7) {
        let policy = policy(n_members);
        if policy.may_see(&principal, &thing) {
            let mut wider = thing.clone();
            wider.marking.releasable_to.push(if extra == 6 { "AES".into() } else { CODES[extra].into() });
            prop_assert!(policy.may_see(&principal, &wider));
        }
    }

    #[test]
    fn national_means_origin_only((n_members, mut thing, principal) in any_case()) {
        let policy = policy(n_members);
        thing.marking.releasable_to.clear();
        if policy.may_see(&principal, &thing) {
            prop_assert_eq!(principal.nation, thing.origin);
        }
    }

    #[test]
    fn clearance_below_level_never_sees((n_members, thing, principal) in any_case()) {
        let policy = policy(n_members);
        let order = policy.levels();
        match (order.rank(&principal.clearance), order.rank(&thing.marking.level)) {
            (Some(cleared), Some(level)) if cleared < level =>
                prop_assert!(!policy.may_see(&principal, &thing)),
            (None, _) | (_, None) => prop_assert!(!policy.may_see(&principal, &thing)),
            _ => {}
        }
    }

    #[test]
    fn outsiders_never_see_through_the_confederation((n_members, mut thing, principal) in any_case()) {
        let policy = policy(n_members);
        thing.marking.releasable_to = vec!["AES".into()];
        let outsider = !policy.confederation().is_member(principal.nation);
        if outsider && principal.nation != thing.origin {
            prop_assert!(!policy.may_see(&principal, &thing));
        }
    }

    #[test]
    fn link_rule_is_the_principal_rule((n_members, thing, principal) in any_case()) {
        let policy = policy(n_members);
        let link = LinkAccreditation { nation: principal.nation, ceiling: principal.clearance.clone() };
        prop_assert_eq!(policy.may_cross(&link, &thing), policy.may_see(&principal, &thing));
    }

    #[test]
    fn canonical_marking_means_the_same((n_members, thing, principal) in any_case()) {
        let policy = policy(n_members);
        if let Ok(canonical) = policy.check_marking(&thing.marking) {
            let recanonical = policy.check_marking(&canonical).unwrap();
            prop_assert_eq!(&recanonical, &canonical);
            let rewritten = Thing { origin: thing.origin, marking: canonical };
            prop_assert_eq!(policy.may_see(&principal, &rewritten), policy.may_see(&principal, &thing));
        }
    }
}

#[test]
fn check_marking_rejects_unknown_names() {
    let policy = policy(3);
    let err = policy
        .check_marking(&Marking::new("TS", ["AES"]))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown classification level \"TS\"")
    );
    let err = policy
        .check_marking(&Marking::new("DR", ["XYZ"]))
        .unwrap_err();
    assert!(err.to_string().contains("\"XYZ\""));
    // A nation that exists but is not a member is not a releasability here.
    assert!(policy.check_marking(&Marking::new("DR", ["SEN"])).is_err());
    assert_eq!(
        policy
            .check_marking(&Marking::new("DR", ["ner", "BFA", "NER"]))
            .unwrap(),
        Marking::new("DR", ["BFA", "NER"])
    );
    assert_eq!(
        policy
            .check_marking(&Marking::new("C", ["BFA", "aes"]))
            .unwrap(),
        Marking::new("C", ["AES"])
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
