//! Connects Palisade's built-in data classifier to the pipeline's classification stage.

use palisade_analyze::classify::{ClassMeta, DataClassifier, DataMatch};
use palisade_classify::{Category, ClassId, ClassMatch, Classifier};
use palisade_core::Section;

/// Names Metlo agents report in `sensitiveDataDetected`, upper-cased with `_` for spaces,
/// and the class each stands for.
const AGENT_NAMES: [(&str, &str); 17] = [
    ("EMAIL", "email"),
    ("CREDIT_CARD", "credit_card_visa"),
    ("CREDIT_CARD_NUMBER", "credit_card_visa"),
    ("SSN", "us_ssn"),
    ("SOCIAL_SECURITY_NUMBER", "us_ssn"),
    ("PHONE_NUMBER", "phone_number"),
    ("IP_ADDRESS", "ipv4_address"),
    ("COORDINATE", "geo_coordinates"),
    ("COORDINATES", "geo_coordinates"),
    ("VIN", "vin"),
    ("ADDRESS", "street_address"),
    ("DOB", "date_of_birth"),
    ("DATE_OF_BIRTH", "date_of_birth"),
    ("DL_NUMBER", "drivers_license"),
    ("DRIVER_LICENSE", "drivers_license"),
    ("AADHAR_NUMBER", "in_aadhaar"),
    ("BRAZIL_CPF", "br_cpf"),
];

/// The built-in classifier as a [`DataClassifier`].
pub struct BuiltinClassifier {
    classifier: Classifier,
    meta: Vec<ClassMeta>,
}

impl BuiltinClassifier {
    pub fn new(classifier: Classifier) -> Self {
        let meta = classifier
            .classes()
            .iter()
            .map(|class| ClassMeta {
                id: class.id.clone(),
                severity: class.severity,
                secret: class.category == Category::Secret,
            })
            .collect();
        Self { classifier, meta }
    }

    pub fn inner(&self) -> &Classifier {
        &self.classifier
    }
}

impl DataClassifier for BuiltinClassifier {
    fn classify(&self, section: Section, path: &str, value: &str, out: &mut Vec<DataMatch>) {
        let mut found: Vec<ClassMatch> = Vec::new();
        self.classifier.classify(section, path, value, &mut found);
        out.extend(found.iter().map(|m| DataMatch { class: m.class.index() as u32, start: m.start, end: m.end }));
    }

    fn class(&self, index: u32) -> &ClassMeta {
        &self.meta[index as usize]
    }

    fn lookup(&self, name: &str) -> Option<u32> {
        let normalized = name.trim().to_ascii_uppercase().replace([' ', '-'], "_");
        let id = AGENT_NAMES.iter().find(|(agent, _)| *agent == normalized).map(|(_, id)| *id);
        let found: Option<ClassId> = match id {
            Some(id) => self.classifier.class_id(id),
            None => self.classifier.class_id(&normalized.to_ascii_lowercase()),
        };
        found.map(|id| id.index() as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adapter_maps_classes_and_agent_names() {
        let classifier = BuiltinClassifier::new(Classifier::new(&Default::default()).unwrap());
        let mut found = Vec::new();
        classifier.classify(Section::ResponseBody, "contact.email", "ada@example.com", &mut found);
        assert_eq!(found.len(), 1);
        assert_eq!(classifier.class(found[0].class).id, "email");
        assert_eq!(classifier.lookup("Email").map(|i| classifier.class(i).id.clone()).as_deref(), Some("email"));
        assert_eq!(
            classifier.lookup("Credit Card Number").map(|i| classifier.class(i).id.clone()).as_deref(),
            Some("credit_card_visa")
        );
        assert_eq!(classifier.lookup("no such class"), None);
    }

    #[test]
    fn secrets_are_marked() {
        let classifier = BuiltinClassifier::new(Classifier::new(&Default::default()).unwrap());
        let index = classifier.lookup("github_token").or_else(|| classifier.lookup("aws_access_key_id"));
        assert!(index.is_some_and(|i| classifier.class(i).secret));
    }
}
