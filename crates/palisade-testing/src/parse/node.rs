//! YAML nodes with positions, so that every later check can point at the exact line and
//! column. The tree is shared with the server, whose configuration errors use it too.

pub use palisade_core::yaml::{Node, NodeValue, Position};

#[cfg(test)]
mod tests {
    #[test]
    fn node_reads_scalars() {
        let node = super::super::parse_yaml("[1, 2.5, true, null, \"x\", y]", "t.yaml").unwrap();
        assert_eq!(node.to_json(), serde_json::json!([1, 2.5, true, null, "x", "y"]));
    }
}
