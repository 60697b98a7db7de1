//! Comparing discovered path templates with a description's paths.
//!
//! Both sides are normalised the same way before comparing: empty segments (a trailing
//! `/`) are dropped, as Palisade does for request paths, and every `{name}` becomes
//! `{}` because parameter names cannot be discovered from traffic.

use serde::Serialize;

/// Normalises a path template: `/users/{userId}/` becomes `/users/{}`.
pub fn normalize_template(template: &str) -> String {
    let mut out = String::new();
    for segment in template.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        out.push_str(&blank_params(segment));
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Replaces every `{...}` inside one segment by `{}`.
fn blank_params(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    let mut rest = segment;
    while let Some(start) = rest.find('{') {
        let Some(length) = rest[start..].find('}') else {
            break;
        };
        out.push_str(&rest[..start]);
        out.push_str("{}");
        rest = &rest[start + length + 1..];
    }
    out.push_str(rest);
    out
}

/// True when a segment contains a parameter together with other text, as in
/// `/files/{name}.json` or `/{owner}:{repo}`. Discovery replaces whole segments, so it
/// cannot produce such a template.
pub fn has_param_inside_segment(template: &str) -> bool {
    template.split('/').any(|segment| {
        let params = segment.matches('{').count();
        params > 1 || (params == 1 && !(segment.starts_with('{') && segment.ends_with('}')))
    })
}

/// Removes the base path's segments from the front of a normalised template. Returns
/// the template unchanged when it does not start with them.
pub fn strip_base_path(template: &str, base_path: &str) -> String {
    if base_path.is_empty() {
        return template.to_string();
    }
    match template.strip_prefix(base_path) {
        Some("") => "/".to_string(),
        Some(rest) if rest.starts_with('/') => rest.to_string(),
        _ => template.to_string(),
    }
}

/// Sizes of the discovered set, the description's set and their intersection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub spec: usize,
    pub discovered: usize,
    pub matched: usize,
}

impl Counts {
    pub fn add(&mut self, other: Counts) {
        self.spec += other.spec;
        self.discovered += other.discovered;
        self.matched += other.matched;
    }

    pub fn scores(&self) -> Scores {
        Scores::from_counts(self.matched, self.discovered, self.spec)
    }
}

/// Precision, recall and F1, each from 0 to 1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Scores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl Scores {
    /// Precision is `matched / discovered` and recall `matched / spec`. A ratio with a
    /// zero denominator is 0, so an empty result never scores well.
    pub fn from_counts(matched: usize, discovered: usize, spec: usize) -> Self {
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let precision = ratio(matched, discovered);
        let recall = ratio(matched, spec);
        Self::from_precision_recall(precision, recall)
    }

    fn from_precision_recall(precision: f64, recall: f64) -> Self {
        let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
        Self { precision, recall, f1 }
    }

    /// Averages each score over `items` without weights: the macro average.
    pub fn mean<'a>(items: impl IntoIterator<Item = &'a Scores>) -> Scores {
        let mut sum = Scores::default();
        let mut count = 0usize;
        for item in items {
            sum.precision += item.precision;
            sum.recall += item.recall;
            sum.f1 += item.f1;
            count += 1;
        }
        if count == 0 {
            return sum;
        }
        let n = count as f64;
        Scores { precision: sum.precision / n, recall: sum.recall / n, f1: sum.f1 / n }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_template_cases() {
        let cases = [
            ("/users/{userId}", "/users/{}"),
            ("/users/{id}/", "/users/{}"),
            ("/", "/"),
            ("", "/"),
            ("//a//b", "/a/b"),
            ("/files/{name}.json", "/files/{}.json"),
            ("/{owner}:{repo}", "/{}:{}"),
        ];
        for (template, expected) in cases {
            assert_eq!(normalize_template(template), expected, "{template}");
        }
    }

    #[test]
    fn param_inside_segment_cases() {
        assert!(has_param_inside_segment("/files/{name}.json"));
        assert!(has_param_inside_segment("/{owner}:{repo}"));
        assert!(has_param_inside_segment("/v1/{name}:cancel"));
        assert!(!has_param_inside_segment("/users/{id}/orders"));
        assert!(!has_param_inside_segment("/users"));
    }

    #[test]
    fn strip_base_path_cases() {
        assert_eq!(strip_base_path("/api/v1/users", "/api/v1"), "/users");
        assert_eq!(strip_base_path("/api/v1", "/api/v1"), "/");
        assert_eq!(strip_base_path("/api/v10/users", "/api/v1"), "/api/v10/users");
        assert_eq!(strip_base_path("/users", ""), "/users");
    }

    #[test]
    fn scores_from_counts() {
        let scores = Scores::from_counts(3, 4, 6);
        assert_eq!(scores.precision, 0.75);
        assert_eq!(scores.recall, 0.5);
        assert!((scores.f1 - 0.6).abs() < 1e-12);
        assert_eq!(Scores::from_counts(0, 0, 5), Scores::default());
    }

    #[test]
    fn mean_is_unweighted() {
        let a = Scores::from_counts(1, 1, 1);
        let b = Scores::default();
        let mean = Scores::mean([&a, &b]);
        assert_eq!(mean.f1, 0.5);
    }
}
