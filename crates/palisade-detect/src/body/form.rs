//! `application/x-www-form-urlencoded` bodies and query strings.

use super::decode_form_component;

/// Splits `a=1&b=2` into decoded name and value pairs, at most `max_pairs` of them;
/// returns the pairs and whether some were left out.
pub fn parse_pairs(text: &str, max_pairs: usize) -> (Vec<(String, String)>, bool) {
    let mut pairs = Vec::new();
    for part in text.split('&') {
        if part.is_empty() {
            continue;
        }
        if pairs.len() == max_pairs {
            return (pairs, true);
        }
        let (name, value) = part.split_once('=').unwrap_or((part, ""));
        pairs.push((decode_form_component(name), decode_form_component(value)));
    }
    (pairs, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_decoded() {
        let (pairs, cut) = parse_pairs("a=1&b=x+y%27&&c", 10);
        assert_eq!(pairs, vec![("a".into(), "1".into()), ("b".into(), "x y'".into()), ("c".into(), String::new())]);
        assert!(!cut);
    }

    #[test]
    fn pairs_are_bounded() {
        let (pairs, cut) = parse_pairs("a=1&b=2&c=3", 2);
        assert_eq!(pairs.len(), 2);
        assert!(cut);
    }
}
