//! Border crossings of one unit, with hysteresis, pure: the caller says which nation is under
//! each position and how far the position is from the nearest border; [`BorderWatch`] says when
//! the unit entered a partner's territory and when it came back out.
//!
//! A unit enters a partner's territory only when it is more than `margin_m` inside it, and
//! leaves only when it is more than `margin_m` outside it (home, a third nation, or nowhere), so
//! a unit riding the border line, or a position jittering across it, makes one crossing, not
//! fifty. Between the two thresholds nothing changes.

use liptako_model::Nation;

/// Where a position is, as the borders say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Location {
    /// The nation under the position (none: sea, or a territory the borders do not know).
    pub nation: Option<Nation>,
    /// Distance to the nearest border, metres.
    pub distance_to_border_m: f64,
}

/// A change of side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crossing {
    /// The unit is now inside this partner's territory.
    Entered(Nation),
    /// The unit is out of this partner's territory again.
    Left(Nation),
}

/// One unit's side of the border.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BorderWatch {
    inside: Option<Nation>,
}

impl BorderWatch {
    /// A watch that knows the unit is inside `nation`'s territory (after a restart, from an
    /// open notice).
    pub fn inside(nation: Nation) -> BorderWatch {
        BorderWatch {
            inside: Some(nation),
        }
    }

    /// The partner whose territory the unit is in, if any.
    pub fn current(&self) -> Option<Nation> {
        self.inside
    }

    /// Takes one position's location; `is_partner` says which nations' territory counts (the
    /// confederation's other members). Returns the crossings it makes, in order (at most a
    /// `Left` then an `Entered`, when a unit goes straight from one partner into another).
    pub fn observe(
        &mut self,
        location: Location,
        margin_m: f64,
        is_partner: impl Fn(Nation) -> bool,
    ) -> Vec<Crossing> {
        let clear = location.distance_to_border_m > margin_m;
        let mut crossings = Vec::new();
        if let Some(partner) = self.inside {
            if location.nation == Some(partner) || !clear {
                return crossings;
            }
            self.inside = None;
            crossings.push(Crossing::Left(partner));
        }
        if let Some(nation) = location.nation
            && clear
            && is_partner(nation)
        {
            self.inside = Some(nation);
            crossings.push(Crossing::Entered(nation));
        }
        crossings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn nation(code: &str) -> Nation {
        Nation::parse(code).unwrap()
    }

    /// A unit of MLI at `x_m` metres east of the MLI/NER line (negative: in MLI).
    fn at(x_m: f64) -> Location {
        Location {
            nation: Some(if x_m < 0.0 {
                nation("MLI")
            } else {
                nation("NER")
            }),
            distance_to_border_m: x_m.abs(),
        }
    }

    fn partner(n: Nation) -> bool {
        n != nation("MLI")
    }

    #[test]
    fn in_and_out() {
        let mut watch = BorderWatch::default();
        assert!(watch.observe(at(-5000.0), 1000.0, partner).is_empty());
        assert!(watch.observe(at(500.0), 1000.0, partner).is_empty());
        assert_eq!(
            watch.observe(at(1500.0), 1000.0, partner),
            vec![Crossing::Entered(nation("NER"))]
        );
        assert!(watch.observe(at(-800.0), 1000.0, partner).is_empty());
        assert_eq!(
            watch.observe(at(-1200.0), 1000.0, partner),
            vec![Crossing::Left(nation("NER"))]
        );
    }

    #[test]
    fn from_one_partner_straight_into_another() {
        let mut watch = BorderWatch::inside(nation("NER"));
        let bfa = Location {
            nation: Some(nation("BFA")),
            distance_to_border_m: 3000.0,
        };
        assert_eq!(
            watch.observe(bfa, 1000.0, partner),
            vec![
                Crossing::Left(nation("NER")),
                Crossing::Entered(nation("BFA"))
            ]
        );
    }

    #[test]
    fn a_third_country_is_not_a_partner() {
        let mut watch = BorderWatch::default();
        let dza = Location {
            nation: Some(nation("DZA")),
            distance_to_border_m: 9000.0,
        };
        assert!(
            watch
                .observe(dza, 1000.0, |n| n == nation("NER"))
                .is_empty()
        );
    }

    proptest! {
        /// A unit riding the line (every position within the margin of it, on either side)
        /// after one clear entry raises that one entry and nothing else.
        #[test]
        fn riding_the_line_raises_one_crossing(
            wobble in proptest::collection::vec(-999.0f64..999.0, 1..400),
        ) {
            let mut watch = BorderWatch::default();
            let mut crossings = watch.observe(at(-20_000.0), 1000.0, partner);
            crossings.extend(watch.observe(at(2_000.0), 1000.0, partner));
            for x_m in wobble {
                crossings.extend(watch.observe(at(x_m), 1000.0, partner));
            }
            prop_assert_eq!(crossings, vec![Crossing::Entered(nation("NER"))]);
        }

        /// On any path, crossings alternate (enter, leave, enter, ...), and between two of them
        /// the unit moved more than twice the margin across the line.
        #[test]
        fn crossings_alternate_and_need_the_full_swing(
            path in proptest::collection::vec(-5_000.0f64..5_000.0, 1..400),
        ) {
            let mut watch = BorderWatch::default();
            let mut last: Option<(Crossing, f64)> = None;
            for x_m in path {
                for crossing in watch.observe(at(x_m), 1000.0, partner) {
                    match (last, crossing) {
                        (None, Crossing::Entered(_)) => prop_assert!(x_m > 1000.0),
                        (Some((Crossing::Entered(_), _)), Crossing::Left(_)) => {
                            prop_assert!(x_m < -1000.0)
                        }
                        (Some((Crossing::Left(_), _)), Crossing::Entered(_)) => {
                            prop_assert!(x_m > 1000.0)
                        }
                        (previous, next) => {
                            prop_assert!(false, "{:?} then {:?}", previous, next)
                        }
                    }
                    last = Some((crossing, x_m));
                }
            }
        }
    }
}
