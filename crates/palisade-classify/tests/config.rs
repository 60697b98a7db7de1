//! Custom classes, disabled classes, limits, hostile input and redaction.

use palisade_classify::{Category, ClassMatch, Classifier, ClassifyConfig, ConfigError, CustomClass, Severity};
use palisade_core::Section;

fn custom(id: &str, value_regex: Option<&str>, key_regex: Option<&str>) -> CustomClass {
    CustomClass {
        id: id.to_string(),
        name: None,
        value_regex: value_regex.map(str::to_string),
        key_regex: key_regex.map(str::to_string),
        sections: Vec::new(),
        severity: Severity::High,
        category: Category::Custom,
    }
}

fn with_custom(classes: Vec<CustomClass>) -> Result<Classifier, ConfigError> {
    Classifier::new(&ClassifyConfig { custom_classes: classes, ..ClassifyConfig::default() })
}

fn ids(classifier: &Classifier, section: Section, path: &str, value: &str) -> Vec<(String, usize, usize)> {
    let mut found = Vec::new();
    classifier.classify(section, path, value, &mut found);
    found.iter().map(|m| (classifier.class(m.class).id.clone(), m.start, m.end)).collect()
}

#[test]
fn custom_value_regex_reports_spans() {
    let classifier = with_custom(vec![custom("employee_id", Some(r"EMP-[0-9]{6}"), None)]).unwrap();
    let found = ids(&classifier, Section::ResponseBody, "note", "owner EMP-004211 and EMP-000001");
    assert_eq!(found, vec![("employee_id".to_string(), 6, 16), ("employee_id".to_string(), 21, 31)]);
    let info = classifier.class(classifier.class_id("employee_id").unwrap());
    assert!(!info.builtin);
    assert_eq!(info.severity, Severity::High);
}

#[test]
fn custom_key_regex_reports_whole_value() {
    let classifier = with_custom(vec![custom("internal_ref", None, Some("(?i)^x-internal-ref$"))]).unwrap();
    assert_eq!(
        ids(&classifier, Section::RequestHeader, "x-internal-ref", "abc"),
        vec![("internal_ref".to_string(), 0, 3)]
    );
    assert!(ids(&classifier, Section::RequestHeader, "x-other", "abc").is_empty());
}

#[test]
fn custom_value_and_key_regex_need_both() {
    let classifier = with_custom(vec![custom("member_no", Some("[0-9]{5}"), Some("member"))]).unwrap();
    assert_eq!(ids(&classifier, Section::RequestBody, "member", "12345").len(), 1);
    assert!(ids(&classifier, Section::RequestBody, "count", "12345").is_empty());
}

#[test]
fn custom_sections_limit_where_class_applies() {
    let mut class = custom("promo", Some("PROMO[0-9]+"), None);
    class.sections = vec![Section::Query];
    let classifier = with_custom(vec![class]).unwrap();
    assert_eq!(ids(&classifier, Section::Query, "code", "PROMO42").len(), 1);
    assert!(ids(&classifier, Section::RequestBody, "code", "PROMO42").is_empty());
}

#[test]
fn bad_regex_reports_class_and_position() {
    let error = with_custom(vec![custom("broken", Some("ab(?=c)"), None)]).unwrap_err();
    match error {
        ConfigError::InvalidRegex { class, field, offset, line, column, .. } => {
            assert_eq!(class, "broken");
            assert_eq!(field, "value_regex");
            assert_eq!(offset, 2);
            assert_eq!((line, column), (1, 3));
        }
        other => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn huge_repetition_is_rejected_by_size_limit() {
    let error = with_custom(vec![custom("huge", Some("(?:a{1000}){1000}"), None)]).unwrap_err();
    assert!(matches!(error, ConfigError::RegexTooLarge { ref class, .. } if class == "huge"), "{error:?}");
    assert!(error.to_string().contains("max_regex_bytes"));
}

#[test]
fn deep_nesting_is_rejected() {
    let pattern = format!("{}a{}", "(".repeat(200), ")".repeat(200));
    let error = with_custom(vec![custom("deep", Some(&pattern), None)]).unwrap_err();
    assert!(matches!(error, ConfigError::InvalidRegex { ref class, .. } if class == "deep"), "{error:?}");
}

#[test]
fn overlong_pattern_is_rejected() {
    let pattern = "a".repeat(10_000);
    let error = with_custom(vec![custom("long", Some(&pattern), None)]).unwrap_err();
    assert!(matches!(error, ConfigError::PatternTooLong { length: 10_000, .. }), "{error:?}");
}

#[test]
fn catastrophic_pattern_runs_in_linear_time() {
    // Exponential in backtracking engines; the regex crate's automata scan it once.
    let classifier = with_custom(vec![custom("evil", Some("(a+)+$"), None)]).unwrap();
    let value = format!("{}!", "a".repeat(60_000));
    assert!(ids(&classifier, Section::RequestBody, "v", &value).is_empty());
}

#[test]
fn invalid_ids_and_duplicates_are_rejected() {
    let cases = [
        (custom("Bad-Id", Some("x"), None), "InvalidClassId"),
        (custom("email", Some("x"), None), "DuplicateClass"),
        (custom("nothing", None, None), "MissingPattern"),
    ];
    for (class, expected) in cases {
        let error = with_custom(vec![class]).unwrap_err();
        assert!(format!("{error:?}").starts_with(expected), "{error:?}");
    }
    let twice = vec![custom("same", Some("x"), None), custom("same", Some("y"), None)];
    assert!(matches!(with_custom(twice), Err(ConfigError::DuplicateClass { .. })));
}

#[test]
fn limits_and_regions_are_checked() {
    let zero = ClassifyConfig { max_value_bytes: 0, ..ClassifyConfig::default() };
    assert!(matches!(Classifier::new(&zero), Err(ConfigError::InvalidLimit { name: "max_value_bytes", .. })));
    let region = ClassifyConfig { phone_regions: vec!["XX".to_string()], ..ClassifyConfig::default() };
    assert!(matches!(Classifier::new(&region), Err(ConfigError::InvalidPhoneRegion { .. })));
}

#[test]
fn disabled_classes_are_not_reported() {
    let config = ClassifyConfig {
        disabled_classes: vec!["email".to_string(), "CREDIT_CARD".to_string()],
        ..ClassifyConfig::default()
    };
    let classifier = Classifier::new(&config).unwrap();
    assert!(classifier.class_id("email").is_none());
    assert!(classifier.class_id("credit_card_visa").is_none());
    assert!(ids(&classifier, Section::RequestBody, "email", "ada@example.com").is_empty());
    assert!(ids(&classifier, Section::RequestBody, "v", "4111111111111111").is_empty());
    assert_eq!(ids(&classifier, Section::RequestBody, "v", "123-45-6789")[0].0, "us_ssn");

    let unknown = ClassifyConfig { disabled_classes: vec!["nope".to_string()], ..ClassifyConfig::default() };
    assert!(matches!(Classifier::new(&unknown), Err(ConfigError::UnknownClass { .. })));
}

#[test]
fn phone_regions_read_national_numbers() {
    let config = ClassifyConfig { phone_regions: vec!["GB".to_string()], ..ClassifyConfig::default() };
    let classifier = Classifier::new(&config).unwrap();
    assert_eq!(ids(&classifier, Section::RequestBody, "phone", "020 7946 0958")[0].0, "phone_number");
    let us = Classifier::new(&ClassifyConfig::default()).unwrap();
    assert!(ids(&us, Section::RequestBody, "phone", "020 7946 0958").is_empty());
}

#[test]
fn long_values_are_scanned_up_to_limit() {
    let config = ClassifyConfig { max_value_bytes: 1024, ..ClassifyConfig::default() };
    let classifier = Classifier::new(&config).unwrap();
    let near = format!("{} 123-45-6789 {}", "x".repeat(100), "y".repeat(10 * 1024 * 1024));
    let far = format!("{} 123-45-6789", "x".repeat(10 * 1024 * 1024));
    assert_eq!(ids(&classifier, Section::RequestBody, "body", &near).len(), 1);
    assert!(ids(&classifier, Section::RequestBody, "body", &far).is_empty());
    assert_eq!(classifier.truncated_values(), 2);
}

#[test]
fn limit_cuts_at_character_boundary() {
    let config = ClassifyConfig { max_value_bytes: 5, ..ClassifyConfig::default() };
    let classifier = Classifier::new(&config).unwrap();
    let mut found = Vec::new();
    classifier.classify(Section::RequestBody, "v", "ééééé", &mut found);
    assert!(found.is_empty());
}

#[test]
fn bytes_with_invalid_utf8_are_classified() {
    let classifier = Classifier::new(&ClassifyConfig::default()).unwrap();
    let mut value = vec![0xff, 0xfe, 0x00, b' '];
    value.extend_from_slice(b"ada@example.com");
    value.extend_from_slice(&[0xc3, 0x28]);
    let mut found = Vec::new();
    classifier.classify_bytes(Section::ResponseBody, "blob", &value, &mut found);
    assert_eq!(found.len(), 1);
    assert_eq!(classifier.class(found[0].class).id, "email");
}

#[test]
fn binary_noise_matches_nothing() {
    let classifier = Classifier::new(&ClassifyConfig::default()).unwrap();
    // A fixed pseudo-random byte stream (xorshift) standing in for an image body.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let bytes: Vec<u8> = (0..100_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let mut found: Vec<ClassMatch> = Vec::new();
    classifier.classify_bytes(Section::ResponseBody, "", &bytes, &mut found);
    let names: Vec<&str> = found.iter().map(|m| classifier.class(m.class).id.as_str()).collect();
    assert!(names.iter().all(|n| *n != "us_ssn" && !n.starts_with("credit_card")), "{names:?}");
}

#[test]
fn redact_masks_every_match() {
    let classifier = Classifier::new(&ClassifyConfig::default()).unwrap();
    let redacted = classifier.redact(Section::RequestBody, "note", "card 4111 1111 1111 1111, mail ada@example.com");
    assert_eq!(redacted.as_deref(), Some("card [credit_card_visa], mail [email]"));
    assert_eq!(classifier.redact(Section::RequestBody, "password", "hunter2").as_deref(), Some("[password]"));
    assert_eq!(classifier.redact(Section::RequestBody, "status", "active"), None);
}

#[test]
fn specific_secret_replaces_generic_one() {
    let classifier = Classifier::new(&ClassifyConfig::default()).unwrap();
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlc2lnbmF0dXJl";
    let found = ids(&classifier, Section::RequestHeader, "authorization", &format!("Bearer {jwt}"));
    let names: Vec<&str> = found.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(names, vec!["jwt"]);
}

#[test]
fn classifier_is_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Classifier>();
    let classifier = std::sync::Arc::new(Classifier::new(&ClassifyConfig::default()).unwrap());
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let classifier = classifier.clone();
            std::thread::spawn(move || ids(&classifier, Section::RequestBody, "v", "ada@example.com").len())
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().unwrap(), 1);
    }
}

#[test]
fn classes_list_metadata() {
    let classifier = Classifier::new(&ClassifyConfig::default()).unwrap();
    assert!(classifier.classes().len() >= 40);
    let ssn = classifier.class(classifier.class_id("us_ssn").unwrap());
    assert_eq!(ssn.category, Category::Government);
    assert_eq!(ssn.severity, Severity::Critical);
    assert_eq!(ssn.sections.len(), Section::ALL.len());
    let json = serde_json::to_value(ssn).unwrap();
    assert_eq!(json["severity"], "critical");
    assert_eq!(json["category"], "government");
}
