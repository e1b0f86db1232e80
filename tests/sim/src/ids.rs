//! Seeded generation of ids, tokens and codes, so runs with the same seed and the same
//! request order produce the same values.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// The simulator's single source of randomness.
#[derive(Debug)]
pub(crate) struct IdGen {
    rng: StdRng,
}

impl IdGen {
    /// Seeded, or from the operating system when `seed` is `None`.
    pub(crate) fn new(seed: Option<u64>) -> Self {
        let rng = match seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        Self { rng }
    }

    /// `prefix` followed by random decimal digits, `len` characters in total.
    pub(crate) fn digits(&mut self, prefix: &str, len: usize) -> String {
        let mut out = String::with_capacity(len);
        out.push_str(prefix);
        while out.len() < len {
            out.push(char::from(b'0' + self.rng.random_range(0..10u8)));
        }
        out
    }

    /// `prefix` followed by `len` random letters and digits.
    pub(crate) fn alnum(&mut self, prefix: &str, len: usize) -> String {
        let mut out = String::with_capacity(prefix.len() + len);
        out.push_str(prefix);
        for _ in 0..len {
            out.push(char::from(ALNUM[self.rng.random_range(0..ALNUM.len())]));
        }
        out
    }

    /// True with probability `p` (clamped to 0..=1).
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        if p >= 1.0 {
            return true;
        }
        if p <= 0.0 || p.is_nan() {
            return false;
        }
        self.rng.random_bool(p)
    }
}

#[cfg(test)]
mod tests {
    use super::IdGen;

    #[test]
    fn same_seed_same_values() {
        let mut a = IdGen::new(Some(7));
        let mut b = IdGen::new(Some(7));
        assert_eq!(a.digits("1784", 17), b.digits("1784", 17));
        assert_eq!(a.alnum("IGAA", 20), b.alnum("IGAA", 20));
        let mut c = IdGen::new(Some(8));
        assert_ne!(a.alnum("", 32), c.alnum("", 32));
    }

    #[test]
    fn digits_have_requested_shape() {
        let mut ids = IdGen::new(Some(1));
        let id = ids.digits("1784", 17);
        assert_eq!(id.len(), 17);
        assert!(id.starts_with("1784"));
        assert!(id.bytes().all(|b| b.is_ascii_digit()));
    }
}
