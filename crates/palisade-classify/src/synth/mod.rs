//! Labelled synthetic API payloads for the accuracy evaluation and the benchmark.
//!
//! [`generate`] builds JSON request and response bodies with three kinds of fields. Some
//! contain valid values of every built-in class, with check digits computed and phone
//! numbers that the phone metadata accepts. Others contain look-alikes that no class
//! should report: order ids, timestamps, versions, UUIDs, tracking numbers, nine-digit ids
//! and numbers with a wrong check digit. The rest is filler.
//! Keys are realistic names, and values whose format identifies them on its own are also
//! placed under neutral keys such as `value` or `data`, so the evaluation measures what
//! the value alone gives. Classes that need a key name (person names, dates of birth,
//! passwords, bare nine-digit numbers) appear only under their keys: under a neutral key
//! such a value is not identifiable and carries no label. Every field records its byte
//! span in the payload text, so other tools can be scored on the same text.

mod samples;
mod values;

use std::collections::BTreeMap;

use fastrand::Rng;
use palisade_core::Section;
use serde::Serialize;

use crate::Classifier;
pub use samples::positive_class_ids;

/// Kind of value a field was generated as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// A valid value of the labelled classes.
    Positive,
    /// A value made to resemble sensitive data that is not.
    LookAlike,
    /// Ordinary data.
    Filler,
}

/// One labelled field of a payload.
#[derive(Debug, Clone, Serialize)]
pub struct LabelledField {
    /// Path as field learning writes it, such as `items[].email`.
    pub path: String,
    /// Decoded value; numbers as their JSON text.
    pub value: String,
    pub is_number: bool,
    /// Byte span of the value in the payload text, inside the quotes for strings.
    pub start: usize,
    pub end: usize,
    /// Class ids the value holds; empty for look-alikes and filler.
    pub labels: Vec<&'static str>,
    pub kind: FieldKind,
    /// True when the key name is neutral (`value`, `data`, free text).
    pub neutral_key: bool,
}

/// One JSON body with its labels.
#[derive(Debug, Clone, Serialize)]
pub struct Payload {
    pub section: Section,
    pub text: String,
    pub fields: Vec<LabelledField>,
}

/// A generated evaluation set.
#[derive(Debug, Clone, Serialize)]
pub struct Dataset {
    pub seed: u64,
    pub payloads: Vec<Payload>,
}

impl Dataset {
    pub fn fields(&self) -> usize {
        self.payloads.iter().map(|p| p.fields.len()).sum()
    }

    pub fn bytes(&self) -> usize {
        self.payloads.iter().map(|p| p.text.len()).sum()
    }
}

/// A value before it is placed in a payload.
#[derive(Debug, Clone)]
pub(crate) struct Sample {
    /// Keys from the payload root to the field, such as `["billing", "address", "line1"]`.
    pub keys: Vec<String>,
    pub value: String,
    pub is_number: bool,
    pub labels: Vec<&'static str>,
    pub kind: FieldKind,
    pub neutral_key: bool,
}

/// Fields per payload.
const FIELDS_PER_PAYLOAD: std::ops::RangeInclusive<usize> = 4..=9;

/// Generates `payload_count` labelled payloads from `seed`. Positives take turns over
/// every class so each class gets about the same number of values.
pub fn generate(seed: u64, payload_count: usize) -> Dataset {
    generate_with_ibans(seed, payload_count, &[])
}

/// [`generate`], drawing half of the IBAN values from `iban_specs`: pairs of a country
/// code and a BBAN format such as `4!n4!n12!c` from the ISO 13616 registry.
pub fn generate_with_ibans(seed: u64, payload_count: usize, iban_specs: &[(String, String)]) -> Dataset {
    let mut rng = Rng::with_seed(seed);
    let mut generator = samples::Generator::new(iban_specs);
    let mut payloads = Vec::with_capacity(payload_count);
    for _ in 0..payload_count {
        let count = rng.usize(FIELDS_PER_PAYLOAD);
        let mut batch = Vec::with_capacity(count);
        for _ in 0..count {
            let sample = match rng.u8(0..20) {
                0..=9 => generator.positive(&mut rng),
                10..=16 => generator.look_alike(&mut rng),
                _ => generator.filler(&mut rng),
            };
            batch.push(sample);
        }
        let section = if rng.bool() { Section::RequestBody } else { Section::ResponseBody };
        payloads.push(build_payload(&mut rng, section, batch));
    }
    Dataset { seed, payloads }
}

/// A JSON object under construction: entries in insertion order.
#[derive(Default)]
struct Object {
    entries: Vec<(String, Entry)>,
}

enum Entry {
    Leaf(usize),
    Object { object: Object, array: bool },
}

impl Object {
    /// Inserts sample `index` at `keys`; false when the key is taken.
    fn insert(&mut self, rng: &mut Rng, keys: &[String], index: usize) -> bool {
        let Some((key, rest)) = keys.split_first() else {
            return false;
        };
        let position = self.entries.iter().position(|(k, _)| k == key);
        if rest.is_empty() {
            if position.is_some() {
                return false;
            }
            self.entries.push((key.clone(), Entry::Leaf(index)));
            return true;
        }
        let position = match position {
            Some(p) => p,
            None => {
                // A quarter of nested objects sit in a one-element array (`items[].x`).
                let array = rng.u8(0..4) == 0;
                self.entries.push((key.clone(), Entry::Object { object: Object::default(), array }));
                self.entries.len() - 1
            }
        };
        match &mut self.entries[position].1 {
            Entry::Object { object, .. } => object.insert(rng, rest, index),
            Entry::Leaf(_) => false,
        }
    }
}

fn build_payload(rng: &mut Rng, section: Section, samples: Vec<Sample>) -> Payload {
    let mut root = Object::default();
    let mut placed = vec![false; samples.len()];
    for (i, sample) in samples.iter().enumerate() {
        placed[i] = root.insert(rng, &sample.keys, i);
    }

    let mut text = String::new();
    let mut spans: BTreeMap<usize, (String, usize, usize)> = BTreeMap::new();
    write_object(&root, "", &samples, &mut text, &mut spans);

    let fields = spans
        .into_iter()
        .filter(|(i, _)| placed[*i])
        .map(|(i, (path, start, end))| {
            let sample = &samples[i];
            LabelledField {
                path,
                value: sample.value.clone(),
                is_number: sample.is_number,
                start,
                end,
                labels: sample.labels.clone(),
                kind: sample.kind,
                neutral_key: sample.neutral_key,
            }
        })
        .collect();
    Payload { section, text, fields }
}

fn write_object(
    object: &Object,
    prefix: &str,
    samples: &[Sample],
    text: &mut String,
    spans: &mut BTreeMap<usize, (String, usize, usize)>,
) {
    text.push('{');
    for (n, (key, entry)) in object.entries.iter().enumerate() {
        if n > 0 {
            text.push_str(", ");
        }
        text.push_str(&json_string(key));
        text.push_str(": ");
        let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        match entry {
            Entry::Leaf(i) => {
                let sample = &samples[*i];
                let (start, end) = if sample.is_number {
                    let start = text.len();
                    text.push_str(&sample.value);
                    (start, text.len())
                } else {
                    let quoted = json_string(&sample.value);
                    let start = text.len() + 1;
                    text.push_str(&quoted);
                    (start, text.len() - 1)
                };
                spans.insert(*i, (path, start, end));
            }
            Entry::Object { object, array } => {
                if *array {
                    text.push('[');
                    write_object(object, &format!("{path}[]"), samples, text, spans);
                    text.push(']');
                } else {
                    write_object(object, &path, samples, text, spans);
                }
            }
        }
    }
    text.push('}');
}

fn json_string(text: &str) -> String {
    // serde_json returns an error for strings only from a failing writer, and a String
    // writer does not fail.
    serde_json::to_string(text).unwrap_or_default()
}

/// Calls `visit(path, text, is_number)` for every string and number in `value`, with
/// paths as field learning writes them (`items[].email`).
pub fn walk_values(value: &serde_json::Value, visit: &mut dyn FnMut(&str, &str, bool)) {
    let mut path = String::new();
    walk(value, &mut path, visit);
}

fn walk(value: &serde_json::Value, path: &mut String, visit: &mut dyn FnMut(&str, &str, bool)) {
    match value {
        serde_json::Value::String(text) => visit(path, text, false),
        serde_json::Value::Number(number) => visit(path, &number.to_string(), true),
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                walk(child, path, visit);
                path.truncate(len);
            }
        }
        serde_json::Value::Array(items) => {
            let len = path.len();
            path.push_str("[]");
            for item in items {
                walk(item, path, visit);
            }
            path.truncate(len);
        }
        _ => {}
    }
}

/// Precision, recall and F1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Scores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl Scores {
    /// Scores from counts. With nothing predicted precision is 1, with nothing to find
    /// recall is 1.
    pub fn from_counts(true_positives: u64, false_positives: u64, false_negatives: u64) -> Self {
        let ratio = |num: u64, den: u64| if den == 0 { 1.0 } else { num as f64 / den as f64 };
        let precision = ratio(true_positives, true_positives + false_positives);
        let recall = ratio(true_positives, true_positives + false_negatives);
        let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
        Self { precision, recall, f1 }
    }
}

/// Counts and scores of one class.
#[derive(Debug, Clone, Serialize)]
pub struct ClassScore {
    pub class: String,
    /// Fields labelled with the class.
    pub support: u64,
    /// Of those, fields whose key is neutral.
    pub neutral_key_support: u64,
    pub true_positives: u64,
    pub false_positives: u64,
    pub false_negatives: u64,
    #[serde(flatten)]
    pub scores: Scores,
}

/// One misclassified field, for inspection.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub class: String,
    /// `false_positive` or `false_negative`.
    pub kind: &'static str,
    pub path: String,
    pub value: String,
    pub found: Vec<String>,
}

/// Result of classifying a dataset.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub seed: u64,
    pub payloads: usize,
    pub fields: usize,
    pub positive_fields: usize,
    pub look_alike_fields: usize,
    pub neutral_key_fields: usize,
    /// Look-alike fields that got any class.
    pub look_alike_false_positives: usize,
    pub classes: Vec<ClassScore>,
    /// Counts summed over classes.
    pub micro: Scores,
    /// Mean F1 over classes.
    pub macro_f1: f64,
    /// Lowest F1 of any class.
    pub min_f1: f64,
    pub misses: Vec<Miss>,
    /// Palisade's classes for each field of each payload, in field order.
    #[serde(skip)]
    pub predictions: Vec<Vec<Vec<String>>>,
}

/// Most misses kept in an [`Evaluation`].
const MAX_MISSES: usize = 200;

#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    true_positives: u64,
    false_positives: u64,
    false_negatives: u64,
    support: u64,
    neutral_key_support: u64,
}

/// Classifies every payload by walking its JSON, and scores the classes per field
/// against the labels.
pub fn evaluate(classifier: &Classifier, dataset: &Dataset) -> Evaluation {
    let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
    for id in positive_class_ids() {
        counts.insert(id.to_string(), Counts::default());
    }
    let mut predictions = Vec::with_capacity(dataset.payloads.len());
    let mut misses = Vec::new();
    let mut look_alike_false_positives = 0;
    let mut matches = Vec::new();

    for payload in &dataset.payloads {
        // Classes found at each path of the payload.
        let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(&payload.text) {
            walk_values(&json, &mut |path, text, _| {
                matches.clear();
                classifier.classify(payload.section, path, text, &mut matches);
                let entry = found.entry(path.to_string()).or_default();
                for m in &matches {
                    let id = &classifier.class(m.class).id;
                    if !entry.contains(id) {
                        entry.push(id.clone());
                    }
                }
            });
        }

        let mut payload_predictions = Vec::with_capacity(payload.fields.len());
        for field in &payload.fields {
            let predicted = found.get(&field.path).cloned().unwrap_or_default();
            if field.kind == FieldKind::LookAlike && !predicted.is_empty() {
                look_alike_false_positives += 1;
            }
            for label in &field.labels {
                let entry = counts.entry(label.to_string()).or_default();
                entry.support += 1;
                entry.neutral_key_support += u64::from(field.neutral_key);
                if predicted.iter().any(|p| p == label) {
                    entry.true_positives += 1;
                } else {
                    entry.false_negatives += 1;
                    record_miss(&mut misses, label, "false_negative", field, &predicted);
                }
            }
            for class in &predicted {
                if !field.labels.iter().any(|l| l == class) {
                    counts.entry(class.clone()).or_default().false_positives += 1;
                    record_miss(&mut misses, class, "false_positive", field, &predicted);
                }
            }
            payload_predictions.push(predicted);
        }
        predictions.push(payload_predictions);
    }

    summarize(dataset, counts, misses, look_alike_false_positives, predictions)
}

fn record_miss(misses: &mut Vec<Miss>, class: &str, kind: &'static str, field: &LabelledField, found: &[String]) {
    if misses.len() < MAX_MISSES {
        misses.push(Miss {
            class: class.to_string(),
            kind,
            path: field.path.clone(),
            value: field.value.chars().take(120).collect(),
            found: found.to_vec(),
        });
    }
}

fn summarize(
    dataset: &Dataset,
    counts: BTreeMap<String, Counts>,
    misses: Vec<Miss>,
    look_alike_false_positives: usize,
    predictions: Vec<Vec<Vec<String>>>,
) -> Evaluation {
    let mut classes = Vec::new();
    let mut total = Counts::default();
    for (class, c) in &counts {
        total.true_positives += c.true_positives;
        total.false_positives += c.false_positives;
        total.false_negatives += c.false_negatives;
        classes.push(ClassScore {
            class: class.clone(),
            support: c.support,
            neutral_key_support: c.neutral_key_support,
            true_positives: c.true_positives,
            false_positives: c.false_positives,
            false_negatives: c.false_negatives,
            scores: Scores::from_counts(c.true_positives, c.false_positives, c.false_negatives),
        });
    }
    let macro_f1 = classes.iter().map(|c| c.scores.f1).sum::<f64>() / classes.len().max(1) as f64;
    let min_f1 = classes.iter().map(|c| c.scores.f1).fold(1.0, f64::min);
    let fields = dataset.payloads.iter().flat_map(|p| &p.fields);
    Evaluation {
        seed: dataset.seed,
        payloads: dataset.payloads.len(),
        fields: dataset.fields(),
        positive_fields: fields.clone().filter(|f| f.kind == FieldKind::Positive).count(),
        look_alike_fields: fields.clone().filter(|f| f.kind == FieldKind::LookAlike).count(),
        neutral_key_fields: fields.filter(|f| f.neutral_key).count(),
        look_alike_false_positives,
        classes,
        micro: Scores::from_counts(total.true_positives, total.false_positives, total.false_negatives),
        macro_f1,
        min_f1,
        misses,
        predictions,
    }
}

/// One line of the JSON Lines export: a payload's text and its fields with character
/// offsets (Unicode scalar values, as Python indexes strings), labels and Palisade's
/// classes.
#[derive(Debug, Serialize)]
pub struct ExportLine<'a> {
    pub id: usize,
    pub section: Section,
    pub text: &'a str,
    pub fields: Vec<ExportField<'a>>,
}

#[derive(Debug, Serialize)]
pub struct ExportField<'a> {
    pub path: &'a str,
    pub start: usize,
    pub end: usize,
    pub labels: &'a [&'static str],
    pub palisade: &'a [String],
    pub kind: FieldKind,
    pub neutral_key: bool,
}

/// Export lines of `dataset` with the predictions of `evaluation`.
pub fn export_lines<'a>(dataset: &'a Dataset, evaluation: &'a Evaluation) -> Vec<ExportLine<'a>> {
    let mut lines = Vec::with_capacity(dataset.payloads.len());
    for (id, payload) in dataset.payloads.iter().enumerate() {
        let predicted = evaluation.predictions.get(id);
        let char_offset = |byte: usize| payload.text[..byte].chars().count();
        let fields = payload
            .fields
            .iter()
            .enumerate()
            .map(|(i, field)| ExportField {
                path: &field.path,
                start: char_offset(field.start),
                end: char_offset(field.end),
                labels: &field.labels,
                palisade: predicted.and_then(|p| p.get(i)).map_or(&[][..], |v| &v[..]),
                kind: field.kind,
                neutral_key: field.neutral_key,
            })
            .collect();
        lines.push(ExportLine { id, section: payload.section, text: &payload.text, fields });
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ClassifyConfig;

    #[test]
    fn spans_point_at_values() {
        let dataset = generate(7, 50);
        for payload in &dataset.payloads {
            let json: serde_json::Value = serde_json::from_str(&payload.text).unwrap();
            let mut seen = BTreeMap::new();
            walk_values(&json, &mut |path, text, _| {
                seen.insert(path.to_string(), text.to_string());
            });
            for field in &payload.fields {
                assert_eq!(seen.get(&field.path), Some(&field.value), "{}", payload.text);
                let raw = &payload.text[field.start..field.end];
                let decoded = if field.is_number {
                    raw.to_string()
                } else {
                    serde_json::from_str::<String>(&format!("\"{raw}\"")).unwrap()
                };
                assert_eq!(decoded, field.value);
            }
        }
    }

    #[test]
    fn generation_is_deterministic() {
        let a = generate(3, 20);
        let b = generate(3, 20);
        let texts = |d: &Dataset| d.payloads.iter().map(|p| p.text.clone()).collect::<Vec<_>>();
        assert_eq!(texts(&a), texts(&b));
    }

    #[test]
    fn every_class_has_positives() {
        let classifier = Classifier::new(&ClassifyConfig::default()).unwrap();
        let dataset = generate(1, 600);
        let evaluation = evaluate(&classifier, &dataset);
        for class in classifier.classes() {
            let score = evaluation.classes.iter().find(|c| c.class == class.id);
            assert!(score.is_some_and(|s| s.support > 0), "no positives for {}", class.id);
        }
    }

    #[test]
    fn scores_from_counts() {
        let s = Scores::from_counts(8, 2, 0);
        assert!((s.precision - 0.8).abs() < 1e-9);
        assert!((s.recall - 1.0).abs() < 1e-9);
        assert!((s.f1 - 16.0 / 18.0).abs() < 1e-9);
        assert_eq!(Scores::from_counts(0, 0, 0), Scores { precision: 1.0, recall: 1.0, f1: 1.0 });
    }
}
