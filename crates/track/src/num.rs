//! Number checks that are false for NaN, so a corrupt value never passes a range check (a
//! plain `x > 0.0` negated would let NaN through).

/// Finite and greater than zero.
pub(crate) fn positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

/// Finite and not below zero.
pub(crate) fn non_negative(x: f64) -> bool {
    x.is_finite() && x >= 0.0
}

/// Finite and within `lo..=hi`.
pub(crate) fn within(x: f64, lo: f64, hi: f64) -> bool {
    x.is_finite() && x >= lo && x <= hi
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_and_infinities_fail() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(!positive(bad) && !non_negative(bad) && !within(bad, -1e300, 1e300));
        }
        assert!(positive(1e-9) && !positive(0.0) && non_negative(0.0) && within(1.0, 1.0, 2.0));
    }
}
