//! Key-name context: the hints that the last key of a field path gives about its value.
//!
//! A path such as `customer.billingAddress[].line1` is cut into keys, the last key is
//! split into lower-case words (`line`, `1`) and each word, or run of words, sets hint
//! bits (`first name` sets [`NAME`]). When the last key is only a generic sub-field word
//! (`value`, `number`, `line1`), the parent key's hints apply too, so `phone.number` reads
//! as a phone number.

use rustc_hash::FxHashMap;

pub const PHONE: u64 = 1 << 0;
pub const SSN: u64 = 1 << 1;
pub const ITIN: u64 = 1 << 2;
pub const SIN: u64 = 1 << 3;
pub const AADHAAR: u64 = 1 << 4;
pub const CPF: u64 = 1 << 5;
pub const CNPJ: u64 = 1 << 6;
pub const BSN: u64 = 1 << 7;
pub const PESEL: u64 = 1 << 8;
pub const PERSONNUMMER: u64 = 1 << 9;
pub const VIN: u64 = 1 << 10;
pub const PASSPORT: u64 = 1 << 11;
pub const DRIVERS_LICENSE: u64 = 1 << 12;
pub const MRN: u64 = 1 << 13;
pub const NPI: u64 = 1 << 14;
pub const DOB: u64 = 1 << 15;
pub const ADDRESS: u64 = 1 << 16;
pub const NAME: u64 = 1 << 17;
/// The key is exactly `name`: a person's name only under a person-like parent key.
pub const NAME_ALONE: u64 = 1 << 18;
/// A parent key that stands for a person (`customer`, `patient`, ...).
pub const PERSON: u64 = 1 << 19;
pub const LATITUDE: u64 = 1 << 20;
pub const LONGITUDE: u64 = 1 << 21;
pub const COORDINATES: u64 = 1 << 22;
pub const PASSWORD: u64 = 1 << 23;
pub const TOKEN: u64 = 1 << 24;
pub const API_KEY: u64 = 1 << 25;
pub const AWS_SECRET: u64 = 1 << 26;
pub const TWILIO: u64 = 1 << 27;
pub const CVV: u64 = 1 << 28;
pub const ROUTING: u64 = 1 << 29;
pub const SWIFT: u64 = 1 << 30;
/// Version and build keys: dotted numbers there are versions, not IP addresses.
pub const VERSION: u64 = 1 << 31;
/// Sub-field words such as `value` or `number` that defer to the parent key.
const GENERIC: u64 = 1 << 63;

/// Hints that metadata words such as `expires` or `hash` cancel: `password_changed_at`
/// contains a time, and `token_hash` a digest.
const SECRET_HINTS: u64 = PASSWORD | TOKEN | API_KEY | AWS_SECRET;

/// Longest key that is read for context, in bytes; longer keys give no hints.
pub const MAX_KEY_BYTES: usize = 128;
/// Words of a key that are read for context; the rest are ignored.
const MAX_WORDS: usize = 8;

const SINGLE_WORDS: &[(&str, u64)] = &[
    ("phone", PHONE),
    ("telephone", PHONE),
    ("tel", PHONE),
    ("mobile", PHONE),
    ("cell", PHONE),
    ("cellphone", PHONE),
    ("msisdn", PHONE),
    ("fax", PHONE),
    ("phonenumber", PHONE),
    ("mobilenumber", PHONE),
    ("whatsapp", PHONE),
    ("landline", PHONE),
    ("ssn", SSN),
    ("socialsecuritynumber", SSN),
    ("socialsecurity", SSN),
    ("itin", ITIN),
    ("sin", SIN),
    ("socialinsurancenumber", SIN),
    ("aadhaar", AADHAAR),
    ("aadhar", AADHAAR),
    ("adhaar", AADHAAR),
    ("cpf", CPF),
    ("cnpj", CNPJ),
    ("bsn", BSN),
    ("burgerservicenummer", BSN),
    ("sofinummer", BSN),
    ("pesel", PESEL),
    ("personnummer", PERSONNUMMER),
    ("samordningsnummer", PERSONNUMMER),
    ("vin", VIN),
    ("passport", PASSPORT),
    ("passportnumber", PASSPORT),
    ("dl", DRIVERS_LICENSE),
    ("driverslicense", DRIVERS_LICENSE),
    ("driverlicense", DRIVERS_LICENSE),
    ("driverslicence", DRIVERS_LICENSE),
    ("drivinglicence", DRIVERS_LICENSE),
    ("drivinglicense", DRIVERS_LICENSE),
    ("mrn", MRN),
    ("medicalrecordnumber", MRN),
    ("npi", NPI),
    ("dob", DOB),
    ("birthdate", DOB),
    ("birthday", DOB),
    ("dateofbirth", DOB),
    ("bday", DOB),
    ("birth", DOB),
    ("born", DOB),
    ("address", ADDRESS),
    ("addr", ADDRESS),
    ("street", ADDRESS),
    ("streetaddress", ADDRESS),
    ("addressline", ADDRESS),
    ("residence", ADDRESS),
    ("firstname", NAME),
    ("lastname", NAME),
    ("fullname", NAME),
    ("surname", NAME),
    ("givenname", NAME),
    ("familyname", NAME),
    ("middlename", NAME),
    ("forename", NAME),
    ("maidenname", NAME),
    ("fname", NAME),
    ("lname", NAME),
    ("cardholder", NAME),
    ("cardholdername", NAME),
    ("user", PERSON),
    ("customer", PERSON),
    ("person", PERSON),
    ("people", PERSON),
    ("patient", PERSON),
    ("contact", PERSON),
    ("employee", PERSON),
    ("member", PERSON),
    ("owner", PERSON),
    ("author", PERSON),
    ("recipient", PERSON),
    ("sender", PERSON),
    ("driver", PERSON),
    ("passenger", PERSON),
    ("guest", PERSON),
    ("holder", PERSON),
    ("beneficiary", PERSON),
    ("profile", PERSON),
    ("applicant", PERSON),
    ("student", PERSON),
    ("traveler", PERSON),
    ("traveller", PERSON),
    ("subscriber", PERSON),
    ("buyer", PERSON),
    ("payer", PERSON),
    ("payee", PERSON),
    ("billing", PERSON),
    ("shipping", PERSON),
    ("spouse", PERSON),
    ("physician", PERSON),
    ("doctor", PERSON),
    ("attendee", PERSON),
    ("participant", PERSON),
    ("candidate", PERSON),
    ("signer", PERSON),
    ("insured", PERSON),
    ("policyholder", PERSON),
    ("guardian", PERSON),
    ("lat", LATITUDE),
    ("latitude", LATITUDE),
    ("lon", LONGITUDE),
    ("lng", LONGITUDE),
    ("long", LONGITUDE),
    ("longitude", LONGITUDE),
    ("coordinates", COORDINATES),
    ("coordinate", COORDINATES),
    ("coords", COORDINATES),
    ("latlng", COORDINATES),
    ("latlon", COORDINATES),
    ("geolocation", COORDINATES),
    ("geo", COORDINATES),
    ("gps", COORDINATES),
    ("location", COORDINATES),
    ("position", COORDINATES),
    ("password", PASSWORD),
    ("passwd", PASSWORD),
    ("pwd", PASSWORD),
    ("pw", PASSWORD),
    ("passphrase", PASSWORD),
    ("pass", PASSWORD),
    ("passcode", PASSWORD),
    ("token", TOKEN),
    ("accesstoken", TOKEN),
    ("refreshtoken", TOKEN),
    ("idtoken", TOKEN),
    ("authtoken", TOKEN),
    ("sessiontoken", TOKEN),
    ("bearer", TOKEN),
    ("authorization", TOKEN),
    ("jwt", TOKEN),
    ("apikey", API_KEY),
    ("secret", API_KEY),
    ("secretkey", API_KEY),
    ("clientsecret", API_KEY),
    ("apisecret", API_KEY),
    ("appsecret", API_KEY),
    ("secretaccesskey", AWS_SECRET),
    ("twilio", TWILIO),
    ("cvv", CVV),
    ("cvc", CVV),
    ("cvv2", CVV),
    ("cvc2", CVV),
    ("csc", CVV),
    ("cvn", CVV),
    ("securitycode", CVV),
    ("routing", ROUTING),
    ("aba", ROUTING),
    ("rtn", ROUTING),
    ("routingnumber", ROUTING),
    ("swift", SWIFT),
    ("bic", SWIFT),
    ("swiftcode", SWIFT),
    ("biccode", SWIFT),
    ("swiftbic", SWIFT),
    ("version", VERSION),
    ("ver", VERSION),
    ("semver", VERSION),
    ("build", VERSION),
    ("release", VERSION),
    ("firmware", VERSION),
    ("value", GENERIC),
    ("number", GENERIC),
    ("num", GENERIC),
    ("no", GENERIC),
    ("nr", GENERIC),
    ("text", GENERIC),
    ("full", GENERIC),
    ("formatted", GENERIC),
    ("raw", GENERIC),
    ("line", GENERIC),
    ("e164", GENERIC),
    ("international", GENERIC),
    ("national", GENERIC),
    ("primary", GENERIC),
    ("main", GENERIC),
];

/// Runs of words with the hints they set and clear. The first word is the lookup key.
const PHRASES: &[(&[&str], u64, u64)] = &[
    (&["social", "security"], SSN, 0),
    (&["individual", "taxpayer"], ITIN, 0),
    (&["social", "insurance"], SIN, 0),
    (&["citizen", "service", "number"], BSN, 0),
    (&["vehicle", "identification"], VIN, 0),
    (&["driver", "license"], DRIVERS_LICENSE, PERSON),
    (&["drivers", "license"], DRIVERS_LICENSE, 0),
    (&["driver", "licence"], DRIVERS_LICENSE, PERSON),
    (&["drivers", "licence"], DRIVERS_LICENSE, 0),
    (&["driving", "licence"], DRIVERS_LICENSE, 0),
    (&["driving", "license"], DRIVERS_LICENSE, 0),
    (&["medical", "record"], MRN, 0),
    (&["health", "record"], MRN, 0),
    (&["chart", "number"], MRN, 0),
    (&["date", "of", "birth"], DOB, 0),
    (&["birth", "date"], DOB, 0),
    (&["email", "address"], 0, ADDRESS),
    (&["e", "mail"], 0, PHONE),
    (&["ip", "address"], 0, ADDRESS),
    (&["ipv4", "address"], 0, ADDRESS),
    (&["ipv6", "address"], 0, ADDRESS),
    (&["mac", "address"], 0, ADDRESS),
    (&["wallet", "address"], 0, ADDRESS),
    (&["remote", "address"], 0, ADDRESS),
    (&["server", "address"], 0, ADDRESS),
    (&["client", "address"], 0, ADDRESS),
    (&["web", "address"], 0, ADDRESS),
    (&["contract", "address"], 0, ADDRESS),
    (&["bitcoin", "address"], 0, ADDRESS),
    (&["btc", "address"], 0, ADDRESS),
    (&["eth", "address"], 0, ADDRESS),
    (&["crypto", "address"], 0, ADDRESS),
    (&["memory", "address"], 0, ADDRESS),
    (&["local", "address"], 0, ADDRESS),
    (&["hardware", "address"], 0, ADDRESS),
    (&["physical", "address"], 0, ADDRESS),
    (&["network", "address"], 0, ADDRESS),
    (&["host", "address"], 0, ADDRESS),
    (&["bind", "address"], 0, ADDRESS),
    (&["listen", "address"], 0, ADDRESS),
    (&["peer", "address"], 0, ADDRESS),
    (&["source", "address"], 0, ADDRESS),
    (&["destination", "address"], 0, ADDRESS),
    (&["first", "name"], NAME, 0),
    (&["last", "name"], NAME, 0),
    (&["full", "name"], NAME, 0),
    (&["given", "name"], NAME, 0),
    (&["family", "name"], NAME, 0),
    (&["middle", "name"], NAME, 0),
    (&["maiden", "name"], NAME, 0),
    (&["legal", "name"], NAME, 0),
    (&["holder", "name"], NAME, 0),
    (&["card", "holder"], NAME, 0),
    (&["cardholder", "name"], NAME, 0),
    (&["account", "holder"], NAME, 0),
    (&["customer", "name"], NAME, 0),
    (&["contact", "name"], NAME, 0),
    (&["patient", "name"], NAME, 0),
    (&["person", "name"], NAME, 0),
    (&["recipient", "name"], NAME, 0),
    (&["sender", "name"], NAME, 0),
    (&["beneficiary", "name"], NAME, 0),
    (&["billing", "name"], NAME, 0),
    (&["shipping", "name"], NAME, 0),
    (&["employee", "name"], NAME, 0),
    (&["passenger", "name"], NAME, 0),
    (&["guest", "name"], NAME, 0),
    (&["owner", "name"], NAME, 0),
    (&["driver", "name"], NAME, 0),
    (&["member", "name"], NAME, 0),
    (&["lat", "lng"], COORDINATES, LATITUDE | LONGITUDE),
    (&["lat", "lon"], COORDINATES, LATITUDE | LONGITUDE),
    (&["lat", "long"], COORDINATES, LATITUDE | LONGITUDE),
    (&["pass", "word"], PASSWORD, 0),
    (&["access", "token"], TOKEN, 0),
    (&["refresh", "token"], TOKEN, 0),
    (&["id", "token"], TOKEN, 0),
    (&["auth", "token"], TOKEN, 0),
    (&["session", "token"], TOKEN, 0),
    (&["bearer", "token"], TOKEN, 0),
    (&["api", "token"], TOKEN, 0),
    (&["api", "key"], API_KEY, 0),
    (&["api", "secret"], API_KEY, 0),
    (&["client", "secret"], API_KEY, 0),
    (&["app", "secret"], API_KEY, 0),
    (&["app", "key"], API_KEY, 0),
    (&["consumer", "key"], API_KEY, 0),
    (&["consumer", "secret"], API_KEY, 0),
    (&["secret", "key"], API_KEY, 0),
    (&["private", "key"], API_KEY, 0),
    (&["access", "key"], API_KEY, 0),
    (&["signing", "secret"], API_KEY, 0),
    (&["signing", "key"], API_KEY, 0),
    (&["webhook", "secret"], API_KEY, 0),
    (&["encryption", "key"], API_KEY, 0),
    (&["master", "key"], API_KEY, 0),
    (&["shared", "secret"], API_KEY, 0),
    (&["secret", "access", "key"], AWS_SECRET, 0),
    (&["aws", "secret"], AWS_SECRET, 0),
    (&["security", "code"], CVV, 0),
    (&["card", "verification"], CVV, 0),
    (&["card", "code"], CVV, 0),
    (&["routing", "number"], ROUTING, 0),
    (&["transit", "number"], ROUTING, 0),
    (&["app", "version"], VERSION, 0),
];

/// Words that cancel secret hints in the same key: they name data about a secret
/// (`password_changed_at`, `token_expires`, `api_key_id`) rather than the secret, or a
/// token that grants nothing (`next_page_token`).
const SECRET_METADATA_WORDS: &[&str] = &[
    "policy",
    "changed",
    "expires",
    "expiry",
    "expiration",
    "expired",
    "updated",
    "created",
    "hint",
    "strength",
    "length",
    "required",
    "count",
    "attempts",
    "min",
    "max",
    "rules",
    "at",
    "date",
    "time",
    "enabled",
    "age",
    "rotation",
    "rotated",
    "history",
    "status",
    "valid",
    "validity",
    "complexity",
    "type",
    "format",
    "label",
    "placeholder",
    "requirements",
    "is",
    "has",
    "id",
    "name",
    "prefix",
    "suffix",
    "last4",
    "hash",
    "hashed",
    "digest",
    "fingerprint",
    "mask",
    "masked",
    "endpoint",
    "uri",
    "url",
    "header",
    "scope",
    "scopes",
    "usage",
    "issuer",
    "ttl",
    "lifetime",
    "version",
    "algorithm",
    "alg",
    "kind",
    "field",
    "path",
    "file",
    "page",
    "pagination",
    "continuation",
    "cursor",
    "next",
    "sync",
    "idempotency",
    "push",
    "device",
    "csrf",
    "xsrf",
    "nonce",
    "verified",
];

#[derive(Default)]
struct WordEntry {
    set: u64,
    clear: u64,
    phrases: Vec<(&'static [&'static str], u64, u64)>,
}

/// Word tables compiled into one hash map, built once per classifier.
pub struct KeyTable {
    words: FxHashMap<&'static str, WordEntry>,
}

impl Default for KeyTable {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyTable {
    pub fn new() -> Self {
        let mut words: FxHashMap<&'static str, WordEntry> = FxHashMap::default();
        for &(word, bits) in SINGLE_WORDS {
            words.entry(word).or_default().set |= bits;
        }
        for &phrase in PHRASES {
            words.entry(phrase.0[0]).or_default().phrases.push(phrase);
        }
        for &word in SECRET_METADATA_WORDS {
            words.entry(word).or_default().clear |= SECRET_HINTS;
        }
        Self { words }
    }

    fn entry(&self, word: &str) -> Option<&WordEntry> {
        if let Some(entry) = self.words.get(word) {
            return Some(entry);
        }
        // Plural keys (`emails`, `addresses`, `phones`) read like their singular.
        if word.len() > 4 {
            if let Some(stem) = word.strip_suffix("es")
                && let Some(entry) = self.words.get(stem)
            {
                return Some(entry);
            }
            if let Some(stem) = word.strip_suffix('s') {
                return self.words.get(stem);
            }
        }
        None
    }

    /// Hints of one key. `alone_name` is set when the key is exactly the word `name`.
    fn key_hints(&self, key: &str) -> u64 {
        let mut buffer = [0u8; MAX_KEY_BYTES];
        let mut spans = [(0usize, 0usize); MAX_WORDS];
        let count = split_words(key, &mut buffer, &mut spans);
        if count == 0 {
            return 0;
        }
        // The buffer contains lower-case ASCII letters and digits only.
        let word = |i: usize| std::str::from_utf8(&buffer[spans[i].0..spans[i].1]).unwrap_or("");

        let mut set = 0u64;
        let mut clear = 0u64;
        let mut all_generic = true;
        for i in 0..count {
            let text = word(i);
            let entry = self.entry(text);
            let generic = text.bytes().all(|b| b.is_ascii_digit()) || entry.is_some_and(|e| e.set & GENERIC != 0);
            all_generic &= generic;
            let Some(entry) = entry else {
                continue;
            };
            set |= entry.set;
            clear |= entry.clear;
            for &(phrase, phrase_set, phrase_clear) in &entry.phrases {
                let fits = i + phrase.len() <= count && (1..phrase.len()).all(|k| word(i + k) == phrase[k]);
                if fits {
                    set |= phrase_set;
                    clear |= phrase_clear;
                }
            }
        }
        if count == 1 && word(0) == "name" {
            set |= NAME_ALONE;
        }
        let mut hints = set & !clear & !GENERIC;
        if all_generic {
            hints |= GENERIC;
        }
        hints
    }

    /// Context of the value at `path`: the last key's hints, plus the parent key's when
    /// the last key is a generic sub-field, plus [`PERSON`] and [`TWILIO`] from the parent.
    pub fn context(&self, path: &str) -> u64 {
        let (parent, last) = last_two_keys(path);
        let mut hints = match last {
            Some(key) => self.key_hints(key),
            None => 0,
        };
        let parent_hints = parent.map(|key| self.key_hints(key)).unwrap_or(0);
        if hints & GENERIC != 0 {
            hints |= parent_hints & !(PERSON | GENERIC);
        }
        // `PERSON` in the last key itself (`user`) gives no hint about the value. A parent
        // naming a person or a vendor (`twilio.auth_token`) does.
        hints &= !(PERSON | GENERIC);
        hints | (parent_hints & (PERSON | TWILIO))
    }
}

/// Returns the last key of `path` and the one before it. Keys are separated by `.`, `[`
/// and `]`. Empty keys (array markers) and `{...}` placeholders are skipped.
pub fn last_two_keys(path: &str) -> (Option<&str>, Option<&str>) {
    let mut keys = path.rsplit(['.', '[', ']']).filter(|k| !k.is_empty() && !k.starts_with('{'));
    let last = keys.next();
    let parent = keys.next();
    (parent, last)
}

/// Returns the last key of `path`, which custom key regexes are matched against.
pub fn last_key(path: &str) -> &str {
    last_two_keys(path).1.unwrap_or("")
}

/// Splits `key` into lower-case words at non-alphanumeric bytes, camelCase humps,
/// acronym ends (`XMLHttp` gives `xml`, `http`) and letter-digit changes. Writes the
/// words into `buffer` and their ranges into `spans`; returns the number of words.
fn split_words(key: &str, buffer: &mut [u8; MAX_KEY_BYTES], spans: &mut [(usize, usize); MAX_WORDS]) -> usize {
    let bytes = key.as_bytes();
    if bytes.len() > MAX_KEY_BYTES {
        return 0;
    }
    let mut count = 0;
    let mut len = 0;
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !b.is_ascii_alphanumeric() {
            if len > start && count < MAX_WORDS {
                spans[count] = (start, len);
                count += 1;
            }
            start = len;
            continue;
        }
        if len > start {
            let prev = bytes[i - 1];
            let next = bytes.get(i + 1).copied().unwrap_or(b'_');
            let hump = prev.is_ascii_lowercase() && b.is_ascii_uppercase();
            let acronym_end = prev.is_ascii_uppercase() && b.is_ascii_uppercase() && next.is_ascii_lowercase();
            let digit_change = prev.is_ascii_digit() != b.is_ascii_digit();
            if (hump || acronym_end || digit_change) && count < MAX_WORDS {
                spans[count] = (start, len);
                count += 1;
                start = len;
            }
        }
        buffer[len] = b.to_ascii_lowercase();
        len += 1;
    }
    if len > start && count < MAX_WORDS {
        spans[count] = (start, len);
        count += 1;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(key: &str) -> Vec<String> {
        let mut buffer = [0u8; MAX_KEY_BYTES];
        let mut spans = [(0, 0); MAX_WORDS];
        let count = split_words(key, &mut buffer, &mut spans);
        spans[..count].iter().map(|&(s, e)| String::from_utf8(buffer[s..e].to_vec()).unwrap()).collect()
    }

    #[test]
    fn split_words_table() {
        let cases: &[(&str, &[&str])] = &[
            ("firstName", &["first", "name"]),
            ("first_name", &["first", "name"]),
            ("first-name", &["first", "name"]),
            ("X-API-Key", &["x", "api", "key"]),
            ("XMLHttpRequest", &["xml", "http", "request"]),
            ("addressLine1", &["address", "line", "1"]),
            ("dateOfBirth", &["date", "of", "birth"]),
            ("SSN", &["ssn"]),
            ("", &[]),
        ];
        for (key, expected) in cases {
            assert_eq!(words(key), *expected, "{key}");
        }
    }

    #[test]
    fn last_two_keys_table() {
        assert_eq!(last_two_keys("user.addresses[].zip"), (Some("addresses"), Some("zip")));
        assert_eq!(last_two_keys("items[]"), (None, Some("items")));
        assert_eq!(last_two_keys("user[email]"), (Some("user"), Some("email")));
        assert_eq!(last_two_keys("users.{key}.email"), (Some("users"), Some("email")));
        assert_eq!(last_two_keys("x-api-key"), (None, Some("x-api-key")));
        assert_eq!(last_two_keys(""), (None, None));
    }

    #[test]
    fn context_table() {
        let table = KeyTable::new();
        let cases: &[(&str, u64, u64)] = &[
            ("phone", PHONE, 0),
            ("customer.phoneNumber", PHONE, 0),
            ("contact.phone.number", PHONE, 0),
            ("user.phones[]", PHONE, 0),
            ("date_of_birth", DOB, 0),
            ("dateOfBirth", DOB, 0),
            ("billing.address.line1", ADDRESS, 0),
            ("emailAddress", 0, ADDRESS),
            ("ip_address", 0, ADDRESS),
            ("user.first_name", NAME | PERSON, 0),
            ("customer.name", NAME_ALONE | PERSON, 0),
            ("product.name", NAME_ALONE, PERSON),
            ("username", 0, NAME | NAME_ALONE),
            ("password", PASSWORD, 0),
            ("new_password", PASSWORD, 0),
            ("password_changed_at", 0, PASSWORD),
            ("password_hash", 0, PASSWORD),
            ("x-api-key", API_KEY, 0),
            ("api_key_id", 0, API_KEY),
            ("access_token", TOKEN, 0),
            ("next_page_token", 0, TOKEN),
            ("aws_secret_access_key", AWS_SECRET, 0),
            ("twilio_auth_token", TWILIO | TOKEN, 0),
            ("app_version", VERSION, 0),
            ("location.lat", LATITUDE, 0),
            ("driver_license_number", DRIVERS_LICENSE, 0),
            ("order_id", 0, u64::MAX),
        ];
        for &(path, must, must_not) in cases {
            let hints = table.context(path);
            assert_eq!(hints & must, must, "{path}: missing hints in {hints:#x}");
            assert_eq!(hints & must_not, 0, "{path}: unexpected hints in {hints:#x}");
        }
    }
}
