//! Generators of valid values for every built-in class and of look-alikes that no
//! class should report. Check digits are computed with [`crate::check`]; phone numbers
//! are drawn until the phone number metadata accepts them.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use fastrand::Rng;

use crate::check;

const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const HEX: &[u8] = b"0123456789abcdef";
const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub(crate) const FIRST_NAMES: &[&str] = &[
    "Ada",
    "Grace",
    "Alan",
    "Linus",
    "Margaret",
    "Katherine",
    "Tim",
    "Barbara",
    "Edsger",
    "Frances",
    "José",
    "Zoë",
    "Priya",
    "Wei",
    "Olusegun",
    "Ingrid",
    "Mateo",
    "Aiko",
    "Fatima",
    "Dmitri",
    "Siobhan",
    "Kwame",
    "Lucía",
    "Henrik",
];
pub(crate) const LAST_NAMES: &[&str] = &[
    "Lovelace",
    "Hopper",
    "Turing",
    "Torvalds",
    "Hamilton",
    "Johnson",
    "Berners-Lee",
    "Liskov",
    "Dijkstra",
    "Allen",
    "Álvarez",
    "O'Brien",
    "Sharma",
    "Zhang",
    "Adeyemi",
    "Larsen",
    "García",
    "Tanaka",
    "Haddad",
    "Petrov",
    "Nguyen",
];
const STREETS: &[&str] =
    &["Main", "Oak", "Maple", "Evergreen", "Baker", "Elm", "Sunset", "Park", "High", "Church", "Mill", "Lake", "Cedar"];
const STREET_TYPES: &[&str] =
    &["Street", "St", "Avenue", "Ave", "Road", "Rd", "Boulevard", "Blvd", "Lane", "Drive", "Court", "Way", "Terrace"];
const CITIES: &[(&str, &str)] = &[
    ("Springfield, IL", "62704"),
    ("London", "NW1 6XE"),
    ("Austin, TX", "78701"),
    ("Toronto, ON", "M5V 2T6"),
    ("Berlin", "10115"),
    ("Sydney NSW", "2000"),
];
const DOMAINS: &[&str] = &["example.com", "example.org", "mail.example.net", "corp.example.co.uk", "example.io"];
const MONTH_NAMES: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

pub(crate) fn pick<'a, T: ?Sized>(rng: &mut Rng, items: &'a [&'a T]) -> &'a T {
    items[rng.usize(..items.len())]
}

fn chars(rng: &mut Rng, alphabet: &[u8], len: usize) -> String {
    (0..len).map(|_| alphabet[rng.usize(..alphabet.len())] as char).collect()
}

fn digits(rng: &mut Rng, len: usize) -> Vec<u8> {
    (0..len).map(|_| rng.u8(0..10)).collect()
}

fn digit_string(digits: &[u8]) -> String {
    digits.iter().map(|d| (b'0' + d) as char).collect()
}

/// `digits` grouped as `sizes` joined by `separator`.
fn grouped(text: &str, sizes: &[usize], separator: &str) -> String {
    let mut parts = Vec::new();
    let mut at = 0;
    for &size in sizes {
        if at >= text.len() {
            break;
        }
        let end = (at + size).min(text.len());
        parts.push(&text[at..end]);
        at = end;
    }
    if at < text.len() {
        parts.push(&text[at..]);
    }
    parts.join(separator)
}

fn year(rng: &mut Rng, from: u32, to: u32) -> u32 {
    rng.u32(from..=to)
}

/// Draws a valid month and day (days up to 28 so every month works).
fn month_day(rng: &mut Rng) -> (u32, u32) {
    (rng.u32(1..=12), rng.u32(1..=28))
}

pub(crate) fn email(rng: &mut Rng) -> String {
    let first = pick(rng, &["ada", "grace", "alan", "linus", "kwame", "priya", "wei", "mateo", "j.doe", "ops"]);
    let last = pick(rng, &["lovelace", "hopper", "smith", "nguyen", "garcia", "team", "billing"]);
    let tag = if rng.u8(0..4) == 0 { format!("+{}", rng.u16(1..999)) } else { String::new() };
    let separator = pick(rng, &[".", "_", ""]);
    let mut address = format!("{first}{separator}{last}{}{tag}@{}", rng.u16(0..100), pick(rng, DOMAINS));
    if rng.u8(0..6) == 0 {
        address = address.to_uppercase();
    }
    address
}

struct PhonePlan {
    prefix: &'static str,
    /// Leading digits of the national number, one of which is picked.
    leads: &'static [&'static str],
    /// Total national number length.
    length: usize,
    groups: &'static [usize],
}

const PHONE_PLANS: &[PhonePlan] = &[
    PhonePlan {
        prefix: "+1",
        leads: &["415", "212", "646", "312", "617", "206", "512", "303"],
        length: 10,
        groups: &[3, 3, 4],
    },
    PhonePlan { prefix: "+44", leads: &["20", "7911", "7700", "161", "131"], length: 10, groups: &[2, 4, 4] },
    PhonePlan { prefix: "+49", leads: &["30", "151", "170", "89"], length: 10, groups: &[3, 7] },
    PhonePlan { prefix: "+33", leads: &["1", "6", "7"], length: 9, groups: &[1, 2, 2, 2, 2] },
    PhonePlan { prefix: "+91", leads: &["98", "99", "87"], length: 10, groups: &[5, 5] },
    PhonePlan { prefix: "+55", leads: &["119", "219"], length: 11, groups: &[2, 5, 4] },
    PhonePlan { prefix: "+61", leads: &["4"], length: 9, groups: &[3, 3, 3] },
    PhonePlan { prefix: "+81", leads: &["90", "80"], length: 10, groups: &[2, 4, 4] },
];

/// Draws a phone number that the phone number metadata accepts, in E.164 or grouped form.
/// With `national`, draws a US number in national format such as `(415) 555-2671`.
pub(crate) fn phone(rng: &mut Rng, national: bool) -> String {
    for _ in 0..1000 {
        let plan = if national { &PHONE_PLANS[0] } else { &PHONE_PLANS[rng.usize(..PHONE_PLANS.len())] };
        let lead = pick(rng, plan.leads);
        let mut number = lead.to_string();
        // Exchange codes start with 2-9 in the North American plan.
        number.push((b'2' + rng.u8(0..8)) as char);
        while number.len() < plan.length {
            number.push((b'0' + rng.u8(0..10)) as char);
        }
        let e164 = format!("{}{number}", plan.prefix);
        if !phonenumber::parse(None, &e164).is_ok_and(|n| phonenumber::is_valid(&n)) {
            continue;
        }
        if national {
            return format!("({}) {}-{}", &number[..3], &number[3..6], &number[6..]);
        }
        return match rng.u8(0..3) {
            0 => e164,
            1 => format!("{} {}", plan.prefix, grouped(&number, plan.groups, " ")),
            _ => format!("{}-{}", plan.prefix, grouped(&number, plan.groups, "-")),
        };
    }
    "+14155552671".to_string()
}

pub(crate) fn person_name(rng: &mut Rng, part: u8) -> String {
    match part {
        0 => pick(rng, FIRST_NAMES).to_string(),
        1 => pick(rng, LAST_NAMES).to_string(),
        _ => format!("{} {}", pick(rng, FIRST_NAMES), pick(rng, LAST_NAMES)),
    }
}

pub(crate) fn street_address(rng: &mut Rng, with_city: bool) -> String {
    let number = rng.u16(1..9999);
    let street = format!("{number} {} {}", pick(rng, STREETS), pick(rng, STREET_TYPES));
    if with_city {
        let (city, zip) = CITIES[rng.usize(..CITIES.len())];
        format!("{street}, {city} {zip}")
    } else {
        street
    }
}

pub(crate) fn date_of_birth(rng: &mut Rng) -> String {
    let y = year(rng, 1940, 2006);
    let (m, d) = month_day(rng);
    match rng.u8(0..5) {
        0 | 1 => format!("{y:04}-{m:02}-{d:02}"),
        2 => format!("{m:02}/{d:02}/{y:04}"),
        3 => format!("{d:02}.{m:02}.{y:04}"),
        _ => format!("{} {d}, {y}", MONTH_NAMES[m as usize - 1]),
    }
}

pub(crate) fn latitude(rng: &mut Rng) -> f64 {
    (rng.f64() * 170.0 - 85.0) * 1.0
}

pub(crate) fn longitude(rng: &mut Rng) -> f64 {
    rng.f64() * 350.0 - 175.0
}

pub(crate) fn coordinate_pair(rng: &mut Rng) -> String {
    let (lat, lon) = (latitude(rng), longitude(rng));
    match rng.u8(0..3) {
        0 => format!("{lat:.6}, {lon:.6}"),
        1 => format!("{lat:.5},{lon:.5}"),
        _ => format!("[{lat:.4}, {lon:.4}]"),
    }
}

const VIN_CHARS: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ0123456789";

pub(crate) fn vin(rng: &mut Rng, valid: bool) -> String {
    let wmi = pick(rng, &["1HG", "1FT", "JHM", "WVW", "WBA", "5YJ", "KMH", "3VW"]);
    let mut text = format!("{wmi}{}", chars(rng, VIN_CHARS, 14)).into_bytes();
    text[8] = b'0';
    let check = check::vin_check(&text).unwrap_or(b'0');
    text[8] = if valid {
        check
    } else if check == b'1' {
        b'2'
    } else {
        b'1'
    };
    String::from_utf8(text).unwrap_or_default()
}

pub(crate) fn passport(rng: &mut Rng) -> String {
    match rng.u8(0..3) {
        0 => digit_string(&digits(rng, 9)),
        1 => format!("{}{}", chars(rng, UPPER, 1), digit_string(&digits(rng, 8))),
        _ => format!("{}{}", chars(rng, UPPER, 2), digit_string(&digits(rng, 7))),
    }
}

pub(crate) fn drivers_license(rng: &mut Rng) -> String {
    match rng.u8(0..3) {
        0 => format!("{}{}", chars(rng, UPPER, 1), digit_string(&digits(rng, 7))),
        1 => format!(
            "{}{}-{}-{}",
            chars(rng, UPPER, 1),
            digit_string(&digits(rng, 3)),
            digit_string(&digits(rng, 4)),
            digit_string(&digits(rng, 4))
        ),
        _ => digit_string(&digits(rng, 9)),
    }
}

/// Nine SSN digits: area 001-899 except 666, group 01-99, serial 0001-9999.
pub(crate) fn ssn_digits(rng: &mut Rng) -> String {
    let mut area = rng.u16(1..900);
    if area == 666 {
        area = 667;
    }
    format!("{area:03}{:02}{:04}", rng.u8(1..100), rng.u16(1..10000))
}

/// Nine SSN-shaped digits that break one rule (area 000, 666 or 9xx outside ITIN
/// groups, group 00 or serial 0000).
pub(crate) fn invalid_ssn_digits(rng: &mut Rng) -> String {
    match rng.u8(0..5) {
        0 => format!("000{:02}{:04}", rng.u8(1..100), rng.u16(1..10000)),
        1 => format!("666{:02}{:04}", rng.u8(1..100), rng.u16(1..10000)),
        2 => format!("{}{:02}{:04}", rng.u16(900..1000), rng.u8(0..50), rng.u16(1..10000)),
        3 => format!("{:03}00{:04}", rng.u16(1..666), rng.u16(1..10000)),
        _ => format!("{:03}{:02}0000", rng.u16(1..666), rng.u8(1..100)),
    }
}

pub(crate) fn itin_digits(rng: &mut Rng) -> String {
    let groups: &[u8] = &[50, 55, 62, 65, 70, 75, 81, 88, 90, 92, 94, 99];
    format!("9{:02}{:02}{:04}", rng.u8(0..100), groups[rng.usize(..groups.len())], rng.u16(0..10000))
}

pub(crate) fn format_ssn(digits: &str, separator: &str) -> String {
    format!("{}{separator}{}{separator}{}", &digits[..3], &digits[3..5], &digits[5..])
}

pub(crate) fn nino(rng: &mut Rng, valid: bool) -> String {
    const FIRST: &[u8] = b"ABCEGHJKLMNOPRSTWXYZ";
    const SECOND: &[u8] = b"ABCEGHJKLMNPRSTWXYZ";
    let prefix = if valid {
        loop {
            let p = format!("{}{}", chars(rng, FIRST, 1), chars(rng, SECOND, 1));
            if !matches!(p.as_str(), "BG" | "GB" | "KN" | "NK" | "NT" | "TN" | "ZZ") {
                break p;
            }
        }
    } else {
        pick(rng, &["GB", "BG", "NK", "DA", "QQ"]).to_string()
    };
    let number = digit_string(&digits(rng, 6));
    let suffix = chars(rng, b"ABCD", 1);
    if rng.bool() {
        format!("{prefix}{number}{suffix}")
    } else {
        format!("{prefix} {} {suffix}", grouped(&number, &[2, 2, 2], " "))
    }
}

fn with_luhn(mut base: Vec<u8>, valid: bool) -> Vec<u8> {
    let check = check::luhn_check_digit(&base);
    base.push(if valid { check } else { (check + 1 + rand_offset(&base)) % 10 });
    base
}

/// Derives a non-zero offset below ten from the digits, so a wrong check digit is never
/// accidentally right.
fn rand_offset(base: &[u8]) -> u8 {
    (base.iter().map(|&d| u32::from(d)).sum::<u32>() % 8) as u8
}

pub(crate) fn sin_digits(rng: &mut Rng, valid: bool) -> String {
    const FIRST_DIGITS: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 9];
    let mut base = vec![FIRST_DIGITS[rng.usize(..FIRST_DIGITS.len())]];
    base.extend(digits(rng, 7));
    digit_string(&with_luhn(base, valid))
}

pub(crate) fn aadhaar_digits(rng: &mut Rng, valid: bool) -> String {
    let mut base = vec![rng.u8(2..10)];
    base.extend(digits(rng, 10));
    let check = check::verhoeff_check_digit(&base);
    base.push(if valid { check } else { (check + 1 + rand_offset(&base)) % 10 });
    digit_string(&base)
}

pub(crate) fn pan(rng: &mut Rng) -> String {
    format!(
        "{}{}{}{}{}",
        chars(rng, UPPER, 3),
        chars(rng, b"ABCFGHLJPT", 1),
        chars(rng, UPPER, 1),
        digit_string(&digits(rng, 4)),
        chars(rng, UPPER, 1)
    )
}

pub(crate) fn cpf_digits(rng: &mut Rng, valid: bool) -> String {
    let mut base = digits(rng, 9);
    if base.iter().all(|&d| d == base[0]) {
        base[0] = (base[0] + 1) % 10;
    }
    let [a, b] = check::cpf_check_digits(&base);
    base.push(a);
    base.push(if valid { b } else { (b + 1 + rand_offset(&base)) % 10 });
    digit_string(&base)
}

pub(crate) fn cnpj_digits(rng: &mut Rng, valid: bool) -> String {
    let mut base = digits(rng, 8);
    base.extend([0, 0, 0, 1]);
    let [a, b] = check::cnpj_check_digits(&base);
    base.push(a);
    base.push(if valid { b } else { (b + 1 + rand_offset(&base)) % 10 });
    digit_string(&base)
}

pub(crate) fn bsn(rng: &mut Rng, valid: bool) -> String {
    loop {
        let mut candidate = vec![rng.u8(1..10)];
        candidate.extend(digits(rng, 8));
        if check::is_bsn(&candidate) == valid {
            return digit_string(&candidate);
        }
    }
}

pub(crate) fn dni(rng: &mut Rng, valid: bool) -> String {
    let number = rng.u32(1_000_000..100_000_000);
    let letter = check::dni_letter(number);
    let letter = if valid { letter } else { check::dni_letter(number + 1) };
    format!("{number:08}{}", letter as char)
}

pub(crate) fn nie(rng: &mut Rng) -> String {
    let lead = rng.u32(0..3);
    let number = rng.u32(0..10_000_000);
    let letter = check::dni_letter(lead * 10_000_000 + number);
    format!("{}{number:07}{}", ['X', 'Y', 'Z'][lead as usize], letter as char)
}

pub(crate) fn codice_fiscale(rng: &mut Rng, valid: bool) -> String {
    let (m, d) = month_day(rng);
    let day = if rng.bool() { d } else { d + 40 };
    let month = b"ABCDEHLMPRST"[m as usize - 1] as char;
    let first15 = format!(
        "{}{:02}{month}{day:02}{}{}",
        chars(rng, UPPER, 6),
        rng.u8(0..100),
        chars(rng, b"ABCDEFGHILMZ", 1),
        digit_string(&digits(rng, 3))
    );
    let check = check::codice_fiscale_check(first15.as_bytes()).unwrap_or(b'A');
    let check = if valid {
        check
    } else if check == b'Z' {
        b'A'
    } else {
        check + 1
    };
    format!("{first15}{}", check as char)
}

const CN_REGIONS: &[&str] = &["110101", "310104", "440305", "510107", "330106", "320102", "420102", "610113", "650102"];

pub(crate) fn cn_resident_id(rng: &mut Rng, valid: bool) -> String {
    let (m, d) = month_day(rng);
    let first17 = format!("{}{:04}{m:02}{d:02}{:03}", pick(rng, CN_REGIONS), year(rng, 1950, 2005), rng.u16(0..1000));
    let digits: Vec<u8> = first17.bytes().map(|b| b - b'0').collect();
    let check = check::cn_resident_id_check(&digits);
    let check = if valid {
        check
    } else if check == b'0' {
        b'1'
    } else {
        b'0'
    };
    format!("{first17}{}", check as char)
}

pub(crate) fn personnummer(rng: &mut Rng, century: bool) -> String {
    let y = year(rng, 1940, 2005);
    let (m, d) = month_day(rng);
    let mut base: Vec<u8> = format!("{:02}{m:02}{d:02}", y % 100).bytes().map(|b| b - b'0').collect();
    base.extend(digits(rng, 3));
    let ten = digit_string(&with_luhn(base, true));
    if century { format!("{}{}", y / 100, ten) } else { format!("{}-{}", &ten[..6], &ten[6..]) }
}

pub(crate) fn hetu(rng: &mut Rng, valid: bool) -> String {
    loop {
        let candidate = hetu_once(rng, valid);
        // A HETU with digits only after the sign reads as a Swedish personal number too;
        // look-alikes must not be valid under either.
        let swedish = check::digits(&candidate.replace(['-', '+', 'A'], ""))
            .is_some_and(|d| d.len() == 10 && check::is_personnummer(&d));
        if valid || !swedish {
            return candidate;
        }
    }
}

fn hetu_once(rng: &mut Rng, valid: bool) -> String {
    let y = year(rng, 1940, 2015);
    let (m, d) = month_day(rng);
    let date = format!("{d:02}{m:02}{:02}", y % 100);
    let individual = format!("{:03}", rng.u16(2..900));
    let to_digits = |s: &str| s.bytes().map(|b| b - b'0').collect::<Vec<_>>();
    let check = check::hetu_check(&to_digits(&date), &to_digits(&individual));
    let check = if valid {
        check
    } else if check == b'0' {
        b'1'
    } else {
        b'0'
    };
    let sign = if y >= 2000 { 'A' } else { '-' };
    format!("{date}{sign}{individual}{}", check as char)
}

pub(crate) fn pesel(rng: &mut Rng, valid: bool) -> String {
    let y = year(rng, 1940, 2015);
    let (m, d) = month_day(rng);
    let month = if y >= 2000 { m + 20 } else { m };
    let mut base: Vec<u8> = format!("{:02}{month:02}{d:02}", y % 100).bytes().map(|b| b - b'0').collect();
    base.extend(digits(rng, 4));
    let check = check::pesel_check_digit(&base);
    base.push(if valid { check } else { (check + 1 + rand_offset(&base)) % 10 });
    digit_string(&base)
}

pub(crate) fn medical_record(rng: &mut Rng) -> String {
    match rng.u8(0..3) {
        0 => format!("MRN-{}", digit_string(&digits(rng, 8))),
        1 => digit_string(&digits(rng, 7)),
        _ => format!("{}{}", chars(rng, UPPER, 2), digit_string(&digits(rng, 6))),
    }
}

pub(crate) fn npi(rng: &mut Rng, valid: bool) -> String {
    let mut base = vec![rng.u8(1..3)];
    base.extend(digits(rng, 8));
    let mut prefixed = vec![8, 0, 8, 4, 0];
    prefixed.extend(&base);
    let check = check::luhn_check_digit(&prefixed);
    base.push(if valid { check } else { (check + 1 + rand_offset(&base)) % 10 });
    digit_string(&base)
}

/// Issuer prefixes and lengths by brand, in the order of the card classes.
pub(crate) const CARD_BRANDS: &[(&str, &[&str], &[usize])] = &[
    ("credit_card_visa", &["4"], &[16, 16, 16, 13, 19]),
    ("credit_card_mastercard", &["51", "53", "55", "2221", "2720", "2500"], &[16]),
    ("credit_card_amex", &["34", "37"], &[15]),
    ("credit_card_discover", &["6011", "644", "65"], &[16, 19]),
    ("credit_card_jcb", &["3528", "3566", "3589"], &[16]),
    ("credit_card_diners", &["36", "300", "305", "38"], &[14]),
    ("credit_card_unionpay", &["62"], &[16, 19]),
];

pub(crate) fn card_digits(rng: &mut Rng, brand: usize, valid: bool) -> String {
    let (_, prefixes, lengths) = CARD_BRANDS[brand];
    let prefix = pick(rng, prefixes);
    let length = lengths[rng.usize(..lengths.len())];
    let mut base: Vec<u8> = prefix.bytes().map(|b| b - b'0').collect();
    base.extend(digits(rng, length - 1 - prefix.len()));
    digit_string(&with_luhn(base, valid))
}

pub(crate) fn format_card(rng: &mut Rng, digits: &str) -> String {
    let separator = match rng.u8(0..3) {
        0 => return digits.to_string(),
        1 => " ",
        _ => "-",
    };
    match digits.len() {
        15 => grouped(digits, &[4, 6, 5], separator),
        14 => grouped(digits, &[4, 6, 4], separator),
        _ => grouped(digits, &[4, 4, 4, 4], separator),
    }
}

/// BBAN character kinds by country for the countries the generator uses without the
/// registry: `n` digits, `a` upper-case letters, `c` letters or digits.
const IBAN_SAMPLES: &[(&str, &str)] = &[
    ("DE", "18n"),
    ("GB", "4a14n"),
    ("FR", "10n11c2n"),
    ("ES", "20n"),
    ("IT", "1a10n12c"),
    ("NL", "4a10n"),
    ("BE", "12n"),
    ("CH", "5n12c"),
    ("SE", "20n"),
    ("NO", "11n"),
    ("PL", "24n"),
    ("AT", "16n"),
    ("IE", "4a14n"),
    ("PT", "21n"),
    ("BR", "23n1a1c"),
    ("SA", "2n18c"),
];

/// Draws a BBAN for a format such as `4a14n` or the registry's `4!n4!n12!c`.
pub(crate) fn bban(rng: &mut Rng, spec: &str) -> Option<String> {
    let mut out = String::new();
    let mut count = String::new();
    for c in spec.chars() {
        match c {
            '0'..='9' => count.push(c),
            '!' => {}
            'n' | 'a' | 'c' | 'e' => {
                let n: usize = count.parse().ok()?;
                count.clear();
                let alphabet: &[u8] = match c {
                    'n' => b"0123456789",
                    'a' => UPPER,
                    'c' => UPPER_ALNUM,
                    _ => b" ",
                };
                out.push_str(&chars(rng, alphabet, n));
            }
            _ => return None,
        }
    }
    Some(out)
}

pub(crate) fn iban_from(country: &str, bban: &str, valid: bool, grouped_form: bool) -> Option<String> {
    let check = check::iban_check_digits(country, bban)?;
    let check = if valid {
        check
    } else {
        let n: u32 = check.parse().ok()?;
        format!("{:02}", if n >= 97 { 2 } else { n + 1 })
    };
    let compact = format!("{country}{check}{bban}");
    Some(if grouped_form { grouped(&compact, &[4; 9], " ") } else { compact })
}

pub(crate) fn iban(rng: &mut Rng, valid: bool) -> String {
    let (country, spec) = IBAN_SAMPLES[rng.usize(..IBAN_SAMPLES.len())];
    let bban = bban(rng, spec).unwrap_or_default();
    let grouped_form = rng.bool();
    iban_from(country, &bban, valid, grouped_form).unwrap_or_default()
}

pub(crate) fn aba_routing(rng: &mut Rng, valid: bool) -> String {
    loop {
        let prefix = pick(rng, &["01", "02", "03", "11", "12", "21", "26", "31", "32", "61", "67"]);
        let mut candidate: Vec<u8> = prefix.bytes().map(|b| b - b'0').collect();
        candidate.extend(digits(rng, 7));
        if check::is_aba_routing(&candidate) == valid {
            return digit_string(&candidate);
        }
    }
}

pub(crate) fn swift_bic(rng: &mut Rng) -> String {
    let country = pick(rng, &["DE", "US", "GB", "FR", "JP", "CH", "NL"]);
    let branch = if rng.bool() { chars(rng, UPPER_ALNUM, 3) } else { String::new() };
    format!("{}{country}{}{branch}", chars(rng, UPPER, 4), chars(rng, UPPER_ALNUM, 2))
}

pub(crate) fn ipv4(rng: &mut Rng) -> String {
    let first = pick(rng, &["203", "198", "192", "172", "10", "81", "45", "151"]);
    format!("{first}.{}.{}.{}", rng.u8(0..=255), rng.u8(0..=255), rng.u8(1..=254))
}

pub(crate) fn ipv6(rng: &mut Rng) -> String {
    let groups: Vec<String> = (0..8).map(|_| format!("{:x}", rng.u16(..))).collect();
    match rng.u8(0..3) {
        0 => groups.join(":"),
        1 => format!("2001:db8:{}::{}", groups[2], groups[7]),
        _ => format!("fe80::{}:{}:{}", groups[5], groups[6], groups[7]),
    }
}

pub(crate) fn mac(rng: &mut Rng) -> String {
    let bytes: Vec<String> = (0..6).map(|_| format!("{:02x}", rng.u8(1..=255))).collect();
    match rng.u8(0..3) {
        0 => bytes.join(":").to_uppercase(),
        1 => bytes.join("-"),
        _ => bytes.join(":"),
    }
}

pub(crate) fn aws_access_key_id(rng: &mut Rng) -> String {
    format!("{}{}", pick(rng, &["AKIA", "ASIA"]), chars(rng, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16))
}

pub(crate) fn aws_secret(rng: &mut Rng) -> String {
    let mut secret = chars(rng, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+", 38);
    secret.push_str(&chars(rng, b"0123456789", 1));
    secret.push_str(&chars(rng, UPPER, 1));
    secret
}

pub(crate) fn google_api_key(rng: &mut Rng) -> String {
    format!("AIza{}", chars(rng, URL_SAFE, 35))
}

pub(crate) fn github_token(rng: &mut Rng) -> String {
    if rng.u8(0..4) == 0 {
        format!("github_pat_{}_{}", chars(rng, ALNUM, 22), chars(rng, ALNUM, 59))
    } else {
        format!("{}_{}", pick(rng, &["ghp", "gho", "ghu", "ghs"]), chars(rng, ALNUM, 36))
    }
}

pub(crate) fn gitlab_token(rng: &mut Rng) -> String {
    format!("{}-{}", pick(rng, &["glpat", "glpat", "gldt", "glrt"]), chars(rng, URL_SAFE, 20))
}

pub(crate) fn slack_token(rng: &mut Rng) -> String {
    format!(
        "{}-{}-{}-{}",
        pick(rng, &["xoxb", "xoxp", "xoxa", "xoxr"]),
        digit_string(&digits(rng, 12)),
        digit_string(&digits(rng, 13)),
        chars(rng, ALNUM, 24)
    )
}

pub(crate) fn slack_webhook(rng: &mut Rng) -> String {
    format!(
        "https://hooks.slack.com/services/T{}/B{}/{}",
        chars(rng, UPPER_ALNUM, 8),
        chars(rng, UPPER_ALNUM, 10),
        chars(rng, ALNUM, 24)
    )
}

pub(crate) fn stripe_key(rng: &mut Rng, kind: &str) -> String {
    let mode = if rng.u8(0..4) == 0 { "test" } else { "live" };
    format!("{kind}_{mode}_{}", {
        let len = 24 + rng.usize(0..76);
        chars(rng, ALNUM, len)
    })
}

pub(crate) fn twilio_sid(rng: &mut Rng, prefix: &str) -> String {
    format!("{prefix}{}", chars(rng, HEX, 32))
}

pub(crate) fn hex(rng: &mut Rng, len: usize) -> String {
    chars(rng, HEX, len)
}

pub(crate) fn sendgrid_key(rng: &mut Rng) -> String {
    format!("SG.{}.{}", chars(rng, URL_SAFE, 22), chars(rng, URL_SAFE, 43))
}

pub(crate) fn npm_token(rng: &mut Rng) -> String {
    format!("npm_{}", chars(rng, ALNUM, 36))
}

pub(crate) fn pypi_token(rng: &mut Rng) -> String {
    format!("pypi-AgEIcHlwaS5vcmc{}", {
        let len = 60 + rng.usize(0..80);
        chars(rng, URL_SAFE, len)
    })
}

pub(crate) fn jwt(rng: &mut Rng) -> String {
    let alg = pick(rng, &["HS256", "RS256", "ES256"]);
    let header = format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#);
    let payload = format!(
        r#"{{"sub":"{}","iat":{},"exp":{},"scope":"read write"}}"#,
        rng.u32(1000..999_999),
        rng.u32(1_600_000_000..1_800_000_000),
        rng.u32(1_800_000_000..1_900_000_000)
    );
    let signature = chars(rng, URL_SAFE, 43);
    format!("{}.{}.{signature}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload))
}

pub(crate) fn private_key(rng: &mut Rng) -> String {
    let label = pick(rng, &["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"]);
    let lines: Vec<String> = (0..rng.usize(3..8)).map(|_| STANDARD.encode(chars(rng, ALNUM, 48))).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----", lines.join("\n"))
}

pub(crate) fn password(rng: &mut Rng) -> String {
    match rng.u8(0..3) {
        0 => format!("{}{}!", pick(rng, &["Summer", "Winter", "Passw0rd", "Dragon", "Monkey"]), rng.u16(1..2025)),
        1 => {
            let len = 8 + rng.usize(0..12);
            chars(rng, b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!@#$%^&*", len)
        }
        _ => format!(
            "{}-{}-{}",
            pick(rng, &["correct", "horse", "battery"]),
            pick(rng, &["staple", "river"]),
            rng.u8(..)
        ),
    }
}

pub(crate) fn opaque_token(rng: &mut Rng) -> String {
    match rng.u8(0..3) {
        0 => hex(rng, 40),
        1 => {
            let len = 32 + rng.usize(0..32);
            chars(rng, URL_SAFE, len)
        }
        _ => format!("{}.{}", chars(rng, ALNUM, 24), chars(rng, ALNUM, 16)),
    }
}

pub(crate) fn api_key(rng: &mut Rng) -> String {
    let mut key = {
        let len = 30 + rng.usize(0..10);
        chars(rng, ALNUM, len)
    };
    key.push_str(&digit_string(&digits(rng, 2)));
    key
}

pub(crate) fn basic_auth(rng: &mut Rng) -> String {
    let user = pick(rng, &["admin", "svc-billing", "ada", "deploy"]);
    format!("Basic {}", STANDARD.encode(format!("{user}:{}", password(rng))))
}

/// Draws a database URL with credentials, and returns whether its host is an IPv4
/// address.
pub(crate) fn database_url(rng: &mut Rng) -> (String, bool) {
    let (scheme, port) = *pick(
        rng,
        &[
            &("postgres", 5432),
            &("postgresql", 5432),
            &("mysql", 3306),
            &("mongodb", 27017),
            &("redis", 6379),
            &("amqp", 5672),
        ],
    );
    let user = pick(rng, &["app", "admin", "svc_orders", "root"]);
    let secret = {
        let len = 10 + rng.usize(0..10);
        chars(rng, ALNUM, len)
    };
    let host = pick(rng, &["db.internal", "10.0.3.7", "orders-db.prod.svc", "cache"]);
    let url = format!("{scheme}://{user}:{secret}@{host}:{port}/{}", pick(rng, &["orders", "app", "0", "vhost"]));
    (url, host.starts_with("10."))
}

/// Look-alike values: identifiers, times and versions that resemble sensitive data.
pub(crate) fn look_alike(rng: &mut Rng) -> (&'static str, String) {
    match rng.u8(0..16) {
        0 => ("order_id", format!("ORD-{}-{:06}", year(rng, 2019, 2026), rng.u32(0..1_000_000))),
        1 => (
            "created_at",
            format!(
                "{}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                year(rng, 2019, 2026),
                rng.u8(1..13),
                rng.u8(1..29),
                rng.u8(0..24),
                rng.u8(0..60),
                rng.u8(0..60)
            ),
        ),
        2 => ("timestamp", format!("{}", rng.u64(1_500_000_000_000..1_800_000_000_000))),
        3 => ("version", format!("{}.{}.{}", rng.u8(0..20), rng.u8(0..50), rng.u8(0..100))),
        4 => ("request_id", uuid(rng)),
        5 => ("tracking_number", format!("1Z{}{}", chars(rng, UPPER_ALNUM, 6), digit_string(&digits(rng, 10)))),
        6 => ("tracking_number", digit_string(&digits(rng, 22))),
        7 => ("customer_id", format!("{}", rng.u32(100_000_000..1_000_000_000))),
        8 => ("etag", hex(rng, 32)),
        9 => ("checksum", hex(rng, 40)),
        10 => ("sku", format!("{}-{}", chars(rng, UPPER, 3), digit_string(&digits(rng, 5)))),
        11 => ("amount", format!("{}.{:02}", rng.u32(0..100_000), rng.u8(0..100))),
        12 => ("time", format!("{:02}:{:02}:{:02}", rng.u8(0..24), rng.u8(0..60), rng.u8(0..60))),
        13 => ("reference", format!("{}{}", chars(rng, UPPER, 2), digit_string(&digits(rng, 7)))),
        14 => ("invoice_number", format!("INV{}", digit_string(&digits(rng, 12)))),
        _ => ("build", format!("{}.{}.{}.{}", rng.u8(0..10), rng.u8(0..10), rng.u8(0..10), rng.u16(1000..9000))),
    }
}

pub(crate) fn uuid(rng: &mut Rng) -> String {
    let h = hex(rng, 32);
    format!("{}-{}-4{}-a{}-{}", &h[..8], &h[8..12], &h[13..16], &h[17..20], &h[20..])
}
