//! Small fixed-size matrices for the filters (state dimension 5, measurement dimension 2 or 4).
//!
//! Sizes are const generics so every product is checked at compile time and lives on the stack;
//! the filters never allocate. Only what the Kalman and IMM equations need is here.

use std::ops::{Add, Mul, Sub};

/// A dense `R x C` matrix of `f64`, row-major.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mat<const R: usize, const C: usize>(pub [[f64; C]; R]);

/// A column vector.
pub type Vector<const N: usize> = Mat<N, 1>;

impl<const R: usize, const C: usize> Default for Mat<R, C> {
    fn default() -> Self {
        Self::zeros()
    }
}

impl<const R: usize, const C: usize> Mat<R, C> {
    pub const fn zeros() -> Self {
        Mat([[0.0; C]; R])
    }

    pub fn transpose(&self) -> Mat<C, R> {
        let mut out = Mat::<C, R>::zeros();
        for (i, row) in self.0.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                out.0[j][i] = *v;
            }
        }
        out
    }

    pub fn scale(&self, k: f64) -> Self {
        let mut out = *self;
        for row in out.0.iter_mut() {
            for v in row.iter_mut() {
                *v *= k;
            }
        }
        out
    }

    pub fn is_finite(&self) -> bool {
        self.0.iter().all(|row| row.iter().all(|v| v.is_finite()))
    }

    /// The top-left `R2 x C2` block.
    pub fn block<const R2: usize, const C2: usize>(&self) -> Mat<R2, C2> {
        let mut out = Mat::<R2, C2>::zeros();
        for (i, row) in out.0.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = self.0[i][j];
            }
        }
        out
    }
}

impl<const N: usize> Mat<N, N> {
    pub fn identity() -> Self {
        let mut out = Self::zeros();
        for (i, row) in out.0.iter_mut().enumerate() {
            row[i] = 1.0;
        }
        out
    }

    pub fn diagonal(values: [f64; N]) -> Self {
        let mut out = Self::zeros();
        for (i, row) in out.0.iter_mut().enumerate() {
            row[i] = values[i];
        }
        out
    }

    /// `(M + M^T) / 2`: removes the asymmetry rounding leaves in covariance products.
    pub fn symmetrized(&self) -> Self {
        let mut out = *self;
        for i in 0..N {
            for j in (i + 1)..N {
                let m = 0.5 * (self.0[i][j] + self.0[j][i]);
                out.0[i][j] = m;
                out.0[j][i] = m;
            }
        }
        out
    }

    /// Cholesky factor `L` (lower triangular, `L L^T = self`) of a symmetric positive-definite
    /// matrix, or `None` if the matrix is not positive definite.
    pub fn cholesky(&self) -> Option<Self> {
        let mut l = Self::zeros();
        for i in 0..N {
            for j in 0..=i {
                let mut sum = self.0[i][j];
                for k in 0..j {
                    sum -= l.0[i][k] * l.0[j][k];
                }
                if i == j {
                    if !(sum.is_finite() && sum > 0.0) {
                        return None;
                    }
                    l.0[i][j] = sum.sqrt();
                } else {
                    l.0[i][j] = sum / l.0[j][j];
                }
            }
        }
        Some(l)
    }

    /// Inverse and log-determinant of a symmetric positive-definite matrix.
    pub fn spd_inverse_logdet(&self) -> Option<(Self, f64)> {
        let l = self.cholesky()?;
        let mut log_det = 0.0;
        for i in 0..N {
            log_det += 2.0 * l.0[i][i].ln();
        }
        // inverse = L^-T L^-1.
        let linv = l.lower_triangular_inverse();
        Some((linv.transpose() * linv, log_det))
    }

    /// The inverse of a lower-triangular matrix with a non-zero diagonal (a Cholesky factor),
    /// by forward substitution.
    pub fn lower_triangular_inverse(&self) -> Self {
        let mut linv = Self::zeros();
        for i in 0..N {
            linv.0[i][i] = 1.0 / self.0[i][i];
            for j in 0..i {
                let mut sum = 0.0;
                for k in j..i {
                    sum -= self.0[i][k] * linv.0[k][j];
                }
                linv.0[i][j] = sum / self.0[i][i];
            }
        }
        linv
    }

    pub fn trace(&self) -> f64 {
        (0..N).map(|i| self.0[i][i]).sum()
    }
}

impl<const R: usize, const K: usize, const C: usize> Mul<Mat<K, C>> for Mat<R, K> {
    type Output = Mat<R, C>;
    fn mul(self, rhs: Mat<K, C>) -> Mat<R, C> {
        let mut out = Mat::<R, C>::zeros();
        for i in 0..R {
            for k in 0..K {
                let a = self.0[i][k];
                if a == 0.0 {
                    continue;
                }
                for j in 0..C {
                    out.0[i][j] += a * rhs.0[k][j];
                }
            }
        }
        out
    }
}

impl<const R: usize, const C: usize> Add for Mat<R, C> {
    type Output = Self;
    fn add(self, rhs: Self) -> Self {
        let mut out = self;
        for (row, rrow) in out.0.iter_mut().zip(rhs.0.iter()) {
            for (v, r) in row.iter_mut().zip(rrow.iter()) {
                *v += r;
            }
        }
        out
    }
}

impl<const R: usize, const C: usize> Sub for Mat<R, C> {
    type Output = Self;
    fn sub(self, rhs: Self) -> Self {
        let mut out = self;
        for (row, rrow) in out.0.iter_mut().zip(rhs.0.iter()) {
            for (v, r) in row.iter_mut().zip(rrow.iter()) {
                *v -= r;
            }
        }
        out
    }
}

impl<const N: usize> Vector<N> {
    pub fn from_array(values: [f64; N]) -> Self {
        let mut out = Self::zeros();
        for (row, v) in out.0.iter_mut().zip(values) {
            row[0] = v;
        }
        out
    }

    pub fn get(&self, i: usize) -> f64 {
        self.0[i][0]
    }

    pub fn set(&mut self, i: usize, v: f64) {
        self.0[i][0] = v;
    }

    /// `x^T M x` for a symmetric `M`.
    pub fn quadratic_form(&self, m: &Mat<N, N>) -> f64 {
        let mx = *m * *self;
        (0..N).map(|i| self.0[i][0] * mx.0[i][0]).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_of_spd() {
        let m = Mat([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]]);
        let (inv, log_det) = m.spd_inverse_logdet().expect("spd");
        let id = m * inv;
        for i in 0..3 {
            for j in 0..3 {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((id.0[i][j] - want).abs() < 1e-12);
            }
        }
        // det = 4*(6-0.04) - 1*(2-0.1) + 0.5*(0.2-1.5)
        let det: f64 = 4.0 * (6.0 - 0.04) - (2.0 - 0.1) + 0.5 * (0.2 - 1.5);
        assert!((log_det - det.ln()).abs() < 1e-12);
    }

    #[test]
    fn not_positive_definite() {
        let m = Mat([[1.0, 2.0], [2.0, 1.0]]);
        assert!(m.cholesky().is_none());
        let nan = Mat([[f64::NAN, 0.0], [0.0, 1.0]]);
        assert!(nan.cholesky().is_none());
    }
}
