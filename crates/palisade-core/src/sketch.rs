//! A mergeable distinct-value counter: the k-minimum-values sketch.
//!
//! It keeps the `CAPACITY` smallest 64-bit hashes of the values it has seen. Below that
//! many values the count is exact; above, it is estimated from how densely the smallest
//! hashes fill the hash space (relative standard error about `1 / sqrt(CAPACITY - 2)`, 9%).
//! Merging two sketches gives the sketch of the union, whatever order values arrived in.

use serde::{Deserialize, Serialize};

/// Number of hashes a sketch keeps.
pub const CAPACITY: usize = 128;

/// Counts distinct values in bounded memory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistinctSketch {
    /// Ascending, without duplicates, at most `CAPACITY` long.
    hashes: Vec<u64>,
}

impl DistinctSketch {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert_value(&mut self, value: &str) {
        self.insert_hash(value_hash(value));
    }

    pub fn insert_hash(&mut self, hash: u64) {
        if self.hashes.len() == CAPACITY && hash >= self.hashes[CAPACITY - 1] {
            return;
        }
        if let Err(at) = self.hashes.binary_search(&hash) {
            self.hashes.insert(at, hash);
            self.hashes.truncate(CAPACITY);
        }
    }

    pub fn merge(&mut self, other: &DistinctSketch) {
        for &hash in &other.hashes {
            self.insert_hash(hash);
        }
    }

    /// True while the sketch has seen fewer than `CAPACITY` distinct values, so
    /// [`estimate`](Self::estimate) is an exact count.
    pub fn is_exact(&self) -> bool {
        self.hashes.len() < CAPACITY
    }

    /// Number of distinct values seen: exact below `CAPACITY`, estimated above.
    pub fn estimate(&self) -> u64 {
        if self.is_exact() {
            return self.hashes.len() as u64;
        }
        let largest = self.hashes[CAPACITY - 1] as f64 / u64::MAX as f64;
        if largest <= 0.0 {
            return self.hashes.len() as u64;
        }
        ((CAPACITY - 1) as f64 / largest).round() as u64
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.hashes.iter().flat_map(|h| h.to_le_bytes()).collect()
    }

    /// Rebuilds a sketch from [`to_bytes`](Self::to_bytes) output; trailing bytes that do
    /// not form a whole hash are ignored.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        let mut sketch = Self::new();
        for chunk in bytes.chunks_exact(8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            sketch.insert_hash(u64::from_le_bytes(word));
        }
        sketch
    }
}

/// Stable 64-bit hash of a value (XXH3), the same on every machine and release.
pub fn value_hash(value: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(value.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_below_capacity() {
        let mut sketch = DistinctSketch::new();
        for i in 0..100 {
            sketch.insert_value(&format!("value-{i}"));
            sketch.insert_value(&format!("value-{i}"));
        }
        assert!(sketch.is_exact());
        assert_eq!(sketch.estimate(), 100);
    }

    #[test]
    fn estimate_within_thirty_percent() {
        let mut sketch = DistinctSketch::new();
        for i in 0..100_000 {
            sketch.insert_value(&i.to_string());
        }
        let estimate = sketch.estimate() as f64;
        assert!((70_000.0..130_000.0).contains(&estimate), "estimate {estimate}");
    }

    #[test]
    fn merge_is_order_independent() {
        let mut a = DistinctSketch::new();
        let mut b = DistinctSketch::new();
        for i in 0..500 {
            a.insert_value(&format!("a{i}"));
            b.insert_value(&format!("b{i}"));
        }
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b.clone();
        ba.merge(&a);
        assert_eq!(ab, ba);
    }

    #[test]
    fn bytes_round_trip() {
        let mut sketch = DistinctSketch::new();
        sketch.insert_value("x");
        sketch.insert_value("y");
        assert_eq!(DistinctSketch::from_bytes(&sketch.to_bytes()), sketch);
        assert_eq!(DistinctSketch::from_bytes(&[1, 2, 3]).estimate(), 0);
    }
}
