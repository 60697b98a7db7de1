//! The compiled classifier.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use palisade_core::Section;
use phonenumber::country;
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

use crate::builtin::{ALL_SECTIONS, BUILTIN_ORDER, BUILTINS, Builtin, Category};
use crate::config::{ClassifyConfig, ConfigError, CustomClass};
use crate::key::{self, KeyTable};
use crate::rules::{self, Candidate, Features, KeyRule, ValueRule};
use crate::{ClassId, ClassMatch, DataClassInfo};

/// Nesting depth accepted in custom regexes, so a deeply nested pattern cannot exhaust
/// the parser's stack.
const MAX_REGEX_NESTING: u32 = 64;
/// Compiled size limit of each built-in pattern.
const BUILTIN_REGEX_BYTES: usize = 8 << 20;
/// Values shorter than this skip the literal scan: no prefixed secret is this short.
const MIN_LITERAL_SCAN_BYTES: u32 = 10;
/// Most value rules; their literal hits are kept in a `u64`.
const MAX_VALUE_RULES: usize = 64;

/// A custom class compiled.
struct CustomRule {
    class: ClassId,
    value: Option<Regex>,
    key: Option<Regex>,
    sections: Vec<Section>,
}

/// Sensitive-data classifier: every built-in and custom class compiled once. Shared by
/// reference across threads; `classify` takes `&self`.
pub struct Classifier {
    classes: Vec<DataClassInfo>,
    /// Class id of each built-in class, `None` when disabled.
    builtin_ids: Vec<Option<ClassId>>,
    /// Ids of the enabled classes that only key names identify (passwords, tokens).
    generic_secret_ids: Vec<ClassId>,
    value_rules: Vec<ValueRule>,
    value_regexes: Vec<Regex>,
    /// One automaton over the literal prefixes of the secret rules (`AKIA`, `ghp_`,
    /// `eyJ`, ...); pattern `i` belongs to rule `literal_rules[i]`.
    literals: AhoCorasick,
    literal_rules: Vec<usize>,
    /// Rules that need a literal, as a bit set over rule indexes.
    literal_gated: u64,
    /// Shortest value any literal-gated rule can match.
    literal_min_len: u32,
    key_rules: Vec<KeyRule>,
    /// Union of the hints the enabled key rules need.
    key_hints: u64,
    keys: KeyTable,
    custom: Vec<CustomRule>,
    custom_value_set: Option<RegexSet>,
    /// Index into `custom` of each pattern in `custom_value_set`.
    custom_value_rules: Vec<usize>,
    phone_regions: Vec<country::Id>,
    max_value_bytes: usize,
    max_matches: usize,
    truncated: AtomicU64,
}

impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier").field("classes", &self.classes.len()).finish_non_exhaustive()
    }
}

impl Classifier {
    /// Compiles the built-in classes that `config` leaves enabled and its custom classes.
    /// Errors name the class, and for regexes the position in the pattern.
    pub fn new(config: &ClassifyConfig) -> Result<Self, ConfigError> {
        check_limits(config)?;
        let disabled = config.disabled_builtin_ids()?;
        let phone_regions = parse_regions(&config.phone_regions)?;

        // Enabled built-in classes first, then custom ones, in configuration order.
        let mut classes = Vec::with_capacity(BUILTINS.len() + config.custom_classes.len());
        let mut builtin_ids = Vec::with_capacity(BUILTINS.len());
        for def in BUILTINS {
            if disabled.contains(&def.id) {
                builtin_ids.push(None);
                continue;
            }
            builtin_ids.push(Some(ClassId(classes.len() as u16)));
            classes.push(DataClassInfo {
                id: def.id.to_string(),
                name: def.name.to_string(),
                category: def.category,
                severity: def.severity,
                sections: ALL_SECTIONS.to_vec(),
                builtin: true,
            });
        }

        let generic_secret_ids =
            BUILTIN_ORDER.iter().filter(|b| b.is_generic_secret()).filter_map(|b| builtin_ids[*b as usize]).collect();
        let enabled = |list: &[Builtin]| list.iter().any(|b| builtin_ids[*b as usize].is_some());
        let value_rules: Vec<ValueRule> = rules::value_rules().into_iter().filter(|r| enabled(r.classes)).collect();
        let key_rules: Vec<KeyRule> = rules::key_rules().into_iter().filter(|r| enabled(r.classes)).collect();
        let key_hints = key_rules.iter().fold(0, |hints, r| hints | r.needs);
        assert!(value_rules.len() <= MAX_VALUE_RULES, "literal hits are kept in a u64");

        // The built-in patterns are part of the program; failing to compile them is a bug
        // that the unit tests catch.
        let value_regexes = value_rules
            .iter()
            .map(|r| {
                RegexBuilder::new(r.pattern).size_limit(BUILTIN_REGEX_BYTES).build().expect("built-in patterns compile")
            })
            .collect();

        let mut literal_patterns = Vec::new();
        let mut literal_rules = Vec::new();
        let mut literal_gated = 0u64;
        let mut literal_min_len = u32::MAX;
        for (i, rule) in value_rules.iter().enumerate() {
            if rule.literals.is_empty() {
                continue;
            }
            literal_gated |= 1 << i;
            literal_min_len = literal_min_len.min(rule.min_literal_len().max(MIN_LITERAL_SCAN_BYTES));
            for literal in rule.literals {
                literal_patterns.push(*literal);
                literal_rules.push(i);
            }
        }
        let literals = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&literal_patterns)
            .expect("built-in literals compile");

        let (custom, custom_value_set, custom_value_rules) = compile_custom(config, &mut classes)?;

        Ok(Self {
            classes,
            builtin_ids,
            generic_secret_ids,
            value_rules,
            value_regexes,
            literals,
            literal_rules,
            literal_gated,
            literal_min_len,
            key_rules,
            key_hints,
            keys: KeyTable::new(),
            custom,
            custom_value_set,
            custom_value_rules,
            phone_regions,
            max_value_bytes: config.max_value_bytes,
            max_matches: config.max_matches_per_value,
            truncated: AtomicU64::new(0),
        })
    }

    /// Returns every enabled class. A [`ClassId`] indexes this slice.
    pub fn classes(&self) -> &[DataClassInfo] {
        &self.classes
    }

    /// Returns the class that `id` refers to.
    pub fn class(&self, id: ClassId) -> &DataClassInfo {
        &self.classes[id.index()]
    }

    /// Looks up the id of the class named `id`, such as `"email"`.
    pub fn class_id(&self, id: &str) -> Option<ClassId> {
        self.classes.iter().position(|c| c.id == id).map(|i| ClassId(i as u16))
    }

    /// Values longer than `max_value_bytes` seen so far; only their first
    /// `max_value_bytes` were scanned.
    pub fn truncated_values(&self) -> u64 {
        self.truncated.load(Ordering::Relaxed)
    }

    /// Classifies one value found at `section` under field path `path` (a JSON path like
    /// `user.addresses[].zip`, a header name, a query parameter name). Appends matches to
    /// `out`, which the caller clears; spans are byte offsets into `value`, and classes
    /// recognised by key name cover the whole value. JSON numbers can be passed as their
    /// text so that `lat` and `lng` fields are seen.
    pub fn classify(&self, section: Section, path: &str, value: &str, out: &mut Vec<ClassMatch>) {
        let first = out.len();
        let value = self.bounded(value);
        if value.trim().is_empty() {
            return;
        }
        let hints = self.keys.context(path);
        let candidate = |start, end| Candidate { value, start, end, hints, phone_regions: &self.phone_regions };

        // Classes named by the key: the whole trimmed value is checked.
        let mut key_matches = 0;
        if hints & self.key_hints != 0 {
            let trimmed = value.trim();
            let start = value.len() - value.trim_start().len();
            let whole = candidate(start, start + trimmed.len());
            for rule in &self.key_rules {
                if rule.needs & hints != 0
                    && let Some(class) = (rule.check)(trimmed, &whole)
                {
                    self.push_builtin(class, start, start + trimmed.len(), out);
                }
            }
            key_matches = out.len() - first;
        }

        // Value patterns: byte statistics and one literal scan decide which rules can
        // match; only those rules search the value.
        let features = Features::of(value);
        let mut literal_hits = 0u64;
        if features.len >= self.literal_min_len {
            for hit in self.literals.find_overlapping_iter(value) {
                literal_hits |= 1 << self.literal_rules[hit.pattern().as_usize()];
            }
        }
        for (i, rule) in self.value_rules.iter().enumerate() {
            let literal_ok = self.literal_gated & (1 << i) == 0 || literal_hits & (1 << i) != 0;
            if !literal_ok || hints & rule.vetoed_by != 0 || !(rule.gate)(&features) {
                continue;
            }
            for m in self.value_regexes[i].find_iter(value) {
                if let Some(found) = (rule.check)(&candidate(m.start(), m.end())) {
                    self.push_builtin(found.class, found.start, found.end, out);
                }
                if out.len() - first >= self.max_matches {
                    break;
                }
            }
        }

        self.classify_custom(section, path, value, out);
        self.resolve(first, key_matches, out);
    }

    /// [`Classifier::classify`] for bytes that may not be UTF-8: invalid sequences are
    /// replaced with U+FFFD first, so spans index the replaced text, which equals `value`
    /// when `value` is valid UTF-8.
    pub fn classify_bytes(&self, section: Section, path: &str, value: &[u8], out: &mut Vec<ClassMatch>) {
        let bounded = &value[..value.len().min(self.max_value_bytes.saturating_add(4))];
        let text = String::from_utf8_lossy(bounded);
        if bounded.len() < value.len() {
            self.truncated.fetch_add(1, Ordering::Relaxed);
        }
        self.classify(section, path, &text, out);
    }

    /// Masks every match in `value` as `[class_id]`, for stored samples. Returns `None`
    /// when nothing matched. Text beyond `max_value_bytes` is kept unscanned, so callers
    /// that store samples should cut them to that length.
    pub fn redact(&self, section: Section, path: &str, value: &str) -> Option<String> {
        let mut matches = Vec::new();
        self.classify(section, path, value, &mut matches);
        if matches.is_empty() {
            return None;
        }
        matches.sort_by_key(|m| (m.start, std::cmp::Reverse(m.end)));

        let mut redacted = String::with_capacity(value.len());
        let mut cursor = 0;
        for m in &matches {
            if m.end <= cursor {
                continue;
            }
            let start = m.start.max(cursor);
            redacted.push_str(&value[cursor..start]);
            redacted.push('[');
            redacted.push_str(&self.classes[m.class.index()].id);
            redacted.push(']');
            cursor = m.end;
        }
        redacted.push_str(&value[cursor..]);
        Some(redacted)
    }

    /// Cuts `value` to its first `max_value_bytes`, at a character boundary.
    fn bounded<'v>(&self, value: &'v str) -> &'v str {
        if value.len() <= self.max_value_bytes {
            return value;
        }
        self.truncated.fetch_add(1, Ordering::Relaxed);
        let mut end = self.max_value_bytes;
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        &value[..end]
    }

    fn push_builtin(&self, class: Builtin, start: usize, end: usize, out: &mut Vec<ClassMatch>) {
        if let Some(id) = self.builtin_ids[class as usize] {
            out.push(ClassMatch { class: id, start, end });
        }
    }

    fn classify_custom(&self, section: Section, path: &str, value: &str, out: &mut Vec<ClassMatch>) {
        if self.custom.is_empty() {
            return;
        }
        let last_key = key::last_key(path);

        for rule in &self.custom {
            if rule.value.is_some() || !rule.sections.contains(&section) {
                continue;
            }
            if rule.key.as_ref().is_some_and(|k| k.is_match(last_key)) {
                out.push(ClassMatch { class: rule.class, start: 0, end: value.len() });
            }
        }

        let Some(set) = &self.custom_value_set else {
            return;
        };
        for pattern in set.matches(value).iter() {
            let rule = &self.custom[self.custom_value_rules[pattern]];
            if !rule.sections.contains(&section) || rule.key.as_ref().is_some_and(|k| !k.is_match(last_key)) {
                continue;
            }
            let Some(regex) = &rule.value else {
                continue;
            };
            for m in regex.find_iter(value).filter(|m| !m.is_empty()).take(self.max_matches) {
                out.push(ClassMatch { class: rule.class, start: m.start(), end: m.end() });
            }
        }
    }

    /// Removes duplicate and contained matches of one class and applies the per-value
    /// match limit. Where two classes claim the same text, the more specific one wins. A
    /// class the key names beats a class found from the value alone, so `cnpj:
    /// 36697763000180` is not a Diners card. A specific secret beats a generic one, so
    /// `access_token: eyJ...` is a JWT. A Finnish HETU beats a Swedish personal number,
    /// whose check digit is weaker. Matches inside an IBAN or inside a specific secret
    /// other than a database URL are dropped. `out[first..first + key_matches]` came from
    /// key rules, and only `out[first..]` is touched.
    fn resolve(&self, first: usize, key_matches: usize, out: &mut Vec<ClassMatch>) {
        if out.len() - first <= 1 {
            return;
        }
        let found: Vec<ClassMatch> = out.drain(first..).collect();
        let generic = &self.generic_secret_ids;
        let specific_secret = |m: &ClassMatch| {
            let info = &self.classes[m.class.index()];
            info.builtin && info.category == Category::Secret && !generic.contains(&m.class)
        };
        let hetu = self.builtin_ids[Builtin::FiHetu as usize];
        let personnummer = self.builtin_ids[Builtin::SePersonnummer as usize];
        let iban = self.builtin_ids[Builtin::Iban as usize];
        let database_url = self.builtin_ids[Builtin::DatabaseUrl as usize];

        for (i, m) in found.iter().enumerate() {
            let overlaps = |o: &ClassMatch| o.start < m.end && m.start < o.end;
            let same_span = |o: &ClassMatch| o.start == m.start && o.end == m.end;
            let covered = found.iter().enumerate().any(|(j, o)| {
                let contains = o.start <= m.start && m.end <= o.end;
                o.class == m.class && contains && (!same_span(o) || j < i)
            });
            let by_key = i < key_matches;
            let named_by_key = !by_key
                && found[..key_matches]
                    .iter()
                    .any(|o| o.class != m.class && same_span(o) && !generic.contains(&o.class));
            let replaced = generic.contains(&m.class) && found.iter().any(|o| specific_secret(o) && overlaps(o));
            // Digits inside an IBAN, a JWT or a key are part of it, not a card or an id.
            let inside_container = found.iter().any(|o| {
                let container = Some(o.class) == iban || (specific_secret(o) && Some(o.class) != database_url);
                container && o.class != m.class && o.start <= m.start && m.end <= o.end && !same_span(o)
            });
            let weaker_id =
                !by_key && Some(m.class) == personnummer && found.iter().any(|o| Some(o.class) == hetu && same_span(o));
            let dropped = covered || named_by_key || replaced || inside_container || weaker_id;
            if !dropped && out.len() - first < self.max_matches {
                out.push(*m);
            }
        }
    }
}

fn check_limits(config: &ClassifyConfig) -> Result<(), ConfigError> {
    let limits = [
        ("max_value_bytes", config.max_value_bytes, 1),
        ("max_matches_per_value", config.max_matches_per_value, 1),
        ("max_regex_bytes", config.max_regex_bytes, 1024),
        ("max_pattern_bytes", config.max_pattern_bytes, 1),
    ];
    for (name, value, min) in limits {
        if value < min {
            return Err(ConfigError::InvalidLimit { name, value, min });
        }
    }
    if config.custom_classes.len() > config.max_custom_classes {
        return Err(ConfigError::TooManyClasses {
            count: config.custom_classes.len(),
            limit: config.max_custom_classes,
        });
    }
    Ok(())
}

fn parse_regions(regions: &[String]) -> Result<Vec<country::Id>, ConfigError> {
    regions
        .iter()
        .map(|r| {
            r.trim().to_ascii_uppercase().parse().map_err(|_| ConfigError::InvalidPhoneRegion { region: r.clone() })
        })
        .collect()
}

type CompiledCustom = (Vec<CustomRule>, Option<RegexSet>, Vec<usize>);

fn compile_custom(config: &ClassifyConfig, classes: &mut Vec<DataClassInfo>) -> Result<CompiledCustom, ConfigError> {
    let mut rules = Vec::with_capacity(config.custom_classes.len());
    let mut set_patterns = Vec::new();
    let mut set_rules = Vec::new();

    for custom in &config.custom_classes {
        validate_custom_id(custom, classes)?;
        if custom.value_regex.is_none() && custom.key_regex.is_none() {
            return Err(ConfigError::MissingPattern { class: custom.id.clone() });
        }
        let value = match &custom.value_regex {
            Some(pattern) => Some(compile_custom_regex(&custom.id, "value_regex", pattern, config)?),
            None => None,
        };
        let key = match &custom.key_regex {
            Some(pattern) => Some(compile_custom_regex(&custom.id, "key_regex", pattern, config)?),
            None => None,
        };
        let sections = if custom.sections.is_empty() { ALL_SECTIONS.to_vec() } else { custom.sections.clone() };

        let class = ClassId(classes.len() as u16);
        classes.push(DataClassInfo {
            id: custom.id.clone(),
            name: custom.name.clone().unwrap_or_else(|| custom.id.clone()),
            category: custom.category,
            severity: custom.severity,
            sections: sections.clone(),
            builtin: false,
        });
        if let Some(pattern) = &custom.value_regex {
            set_patterns.push(pattern.as_str());
            set_rules.push(rules.len());
        }
        rules.push(CustomRule { class, value, key, sections });
    }

    if set_patterns.is_empty() {
        return Ok((rules, None, set_rules));
    }
    let limit = config.max_regex_bytes.saturating_mul(set_patterns.len());
    let set = RegexSetBuilder::new(&set_patterns)
        .size_limit(limit)
        .dfa_size_limit(limit)
        .nest_limit(MAX_REGEX_NESTING)
        .build()
        .map_err(|_| ConfigError::RegexTooLarge {
            class: "custom classes".to_string(),
            field: "combined value regexes".to_string(),
            limit_bytes: limit,
        })?;
    Ok((rules, Some(set), set_rules))
}

fn validate_custom_id(custom: &CustomClass, classes: &[DataClassInfo]) -> Result<(), ConfigError> {
    let id = &custom.id;
    let valid = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && id.as_bytes()[0].is_ascii_lowercase();
    if !valid {
        return Err(ConfigError::InvalidClassId { id: id.clone() });
    }
    if classes.iter().any(|c| &c.id == id) || BUILTINS.iter().any(|b| b.id == id) {
        return Err(ConfigError::DuplicateClass { id: id.clone() });
    }
    Ok(())
}

/// Compiles one custom regex within the configured limits. Syntax errors report the
/// position from the parser; patterns that compile too large report the limit.
pub(crate) fn compile_custom_regex(
    class: &str,
    field: &str,
    pattern: &str,
    config: &ClassifyConfig,
) -> Result<Regex, ConfigError> {
    if pattern.len() > config.max_pattern_bytes {
        return Err(ConfigError::PatternTooLong {
            class: class.to_string(),
            field: field.to_string(),
            length: pattern.len(),
            limit_bytes: config.max_pattern_bytes,
        });
    }

    let mut parser = regex_syntax::ParserBuilder::new().nest_limit(MAX_REGEX_NESTING).build();
    if let Err(error) = parser.parse(pattern) {
        let (span, message): (&regex_syntax::ast::Span, Cow<'_, str>) = match &error {
            regex_syntax::Error::Parse(e) => (e.span(), e.kind().to_string().into()),
            regex_syntax::Error::Translate(e) => (e.span(), e.kind().to_string().into()),
            other => (&EMPTY_SPAN, other.to_string().into()),
        };
        return Err(ConfigError::InvalidRegex {
            class: class.to_string(),
            field: field.to_string(),
            offset: span.start.offset,
            line: span.start.line,
            column: span.start.column,
            message: message.into_owned(),
        });
    }

    RegexBuilder::new(pattern)
        .size_limit(config.max_regex_bytes)
        .dfa_size_limit(config.max_regex_bytes)
        .nest_limit(MAX_REGEX_NESTING)
        .build()
        .map_err(|error| match error {
            regex::Error::CompiledTooBig(limit) => {
                ConfigError::RegexTooLarge { class: class.to_string(), field: field.to_string(), limit_bytes: limit }
            }
            other => ConfigError::InvalidRegex {
                class: class.to_string(),
                field: field.to_string(),
                offset: 0,
                line: 1,
                column: 1,
                message: other.to_string(),
            },
        })
}

const EMPTY_SPAN: regex_syntax::ast::Span = regex_syntax::ast::Span {
    start: regex_syntax::ast::Position { offset: 0, line: 1, column: 1 },
    end: regex_syntax::ast::Position { offset: 0, line: 1, column: 1 },
};
