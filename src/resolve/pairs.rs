//! A value for every pair of a search's candidate records (or identities): symmetric, `n × n`,
//! filled once and read many times by clustering and the decision rules.

/// A symmetric table of one value per pair of `n` items: setting `(i, j)` sets `(j, i)`.
#[derive(Debug, Clone)]
pub(crate) struct PairMatrix<T> {
    n: usize,
    cells: Vec<T>,
}

impl<T: Clone> PairMatrix<T> {
    /// Returns an `n × n` table with every pair set to `fill`.
    pub(crate) fn new(n: usize, fill: T) -> PairMatrix<T> {
        PairMatrix {
            n,
            cells: vec![fill; n * n],
        }
    }

    /// Returns the value of the pair `(i, j)`.
    pub(crate) fn get(&self, i: usize, j: usize) -> &T {
        &self.cells[i * self.n + j]
    }

    /// Sets the value of the pair `(i, j)`, and of `(j, i)`.
    pub(crate) fn set(&mut self, i: usize, j: usize, value: T) {
        self.cells[j * self.n + i] = value.clone();
        self.cells[i * self.n + j] = value;
    }
}

impl PairMatrix<bool> {
    /// True when some item of `a` and some item of `b` make a true pair (for conflicts: some
    /// record of one group cannot be the same person as some record of the other).
    pub(crate) fn any_between(&self, a: &[usize], b: &[usize]) -> bool {
        a.iter().any(|&x| b.iter().any(|&y| *self.get(x, y)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_set_one_way_reads_both_ways_and_groups_see_it() {
        let mut conflict = PairMatrix::new(4, false);
        conflict.set(0, 3, true);
        assert!(*conflict.get(3, 0) && *conflict.get(0, 3));
        assert!(!*conflict.get(1, 2));
        assert!(conflict.any_between(&[1, 3], &[0]));
        assert!(!conflict.any_between(&[1, 2], &[0, 3]));
    }
}
