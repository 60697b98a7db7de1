//! Check digits and format rules of the identifiers that the built-in classes validate.
//!
//! Every function takes the identifier without separators unless its doc comment states
//! otherwise, and returns false for wrong lengths or characters instead of panicking.

/// Digits of `text` as numbers, or `None` when any byte is not an ASCII digit.
pub fn digits(text: &str) -> Option<Vec<u8>> {
    text.bytes().map(|b| b.is_ascii_digit().then(|| b - b'0')).collect()
}

/// Luhn (mod 10) check over decimal digits, as used by payment cards, Canadian SINs,
/// Swedish personal numbers and US NPIs.
pub fn luhn(digits: &[u8]) -> bool {
    if digits.len() < 2 {
        return false;
    }
    let mut sum = 0u32;
    for (i, &d) in digits.iter().rev().enumerate() {
        let mut value = u32::from(d);
        if i % 2 == 1 {
            value *= 2;
            if value > 9 {
                value -= 9;
            }
        }
        sum += value;
    }
    sum.is_multiple_of(10)
}

/// Computes the digit that makes `digits` followed by it pass [`luhn`].
pub fn luhn_check_digit(digits: &[u8]) -> u8 {
    let mut sum = 0u32;
    for (i, &d) in digits.iter().rev().enumerate() {
        let mut value = u32::from(d);
        if i % 2 == 0 {
            value *= 2;
            if value > 9 {
                value -= 9;
            }
        }
        sum += value;
    }
    ((10 - sum % 10) % 10) as u8
}

const VERHOEFF_D: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];
const VERHOEFF_INV: [u8; 10] = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];

/// Verhoeff check over decimal digits, as used by Aadhaar numbers.
pub fn verhoeff(digits: &[u8]) -> bool {
    if digits.is_empty() {
        return false;
    }
    let mut c = 0u8;
    for (i, &d) in digits.iter().rev().enumerate() {
        c = VERHOEFF_D[usize::from(c)][usize::from(VERHOEFF_P[i % 8][usize::from(d)])];
    }
    c == 0
}

/// Computes the digit that makes `digits` followed by it pass [`verhoeff`].
pub fn verhoeff_check_digit(digits: &[u8]) -> u8 {
    let mut c = 0u8;
    for (i, &d) in digits.iter().rev().enumerate() {
        c = VERHOEFF_D[usize::from(c)][usize::from(VERHOEFF_P[(i + 1) % 8][usize::from(d)])];
    }
    VERHOEFF_INV[usize::from(c)]
}

/// Calendar date check with leap years.
pub fn is_valid_date(year: u32, month: u32, day: u32) -> bool {
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

fn number(digits: &[u8]) -> u32 {
    digits.iter().fold(0, |n, &d| n * 10 + u32::from(d))
}

/// US Social Security Number rules for nine digits: area 001-899 except 666, group
/// 01-99, serial 0001-9999. Area 900-999 belongs to ITINs.
pub fn is_ssn(digits: &[u8]) -> bool {
    if digits.len() != 9 {
        return false;
    }
    let (area, group, serial) = (number(&digits[..3]), number(&digits[3..5]), number(&digits[5..]));
    // 078-05-1120 was printed on sample cards in wallets and is void.
    let void = area == 78 && group == 5 && serial == 1120;
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0 && !void
}

/// US Individual Taxpayer Identification Number: area 900-999 and group 50-65, 70-88,
/// 90-92 or 94-99.
pub fn is_itin(digits: &[u8]) -> bool {
    if digits.len() != 9 || digits[0] != 9 {
        return false;
    }
    let group = number(&digits[3..5]);
    matches!(group, 50..=65 | 70..=88 | 90..=92 | 94..=99)
}

/// UK National Insurance number without spaces, upper case: two prefix letters, six
/// digits, suffix A-D. D, F, I, Q, U and V never appear in the prefix, O never second,
/// and BG, GB, KN, NK, NT, TN and ZZ are not allocated.
pub fn is_nino(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 9 {
        return false;
    }
    let first_ok = b[0].is_ascii_uppercase() && !b"DFIQUV".contains(&b[0]);
    let second_ok = b[1].is_ascii_uppercase() && !b"DFIOQUV".contains(&b[1]);
    let prefix = &text[..2];
    let allocated = !matches!(prefix, "BG" | "GB" | "KN" | "NK" | "NT" | "TN" | "ZZ");
    first_ok && second_ok && allocated && b[2..8].iter().all(u8::is_ascii_digit) && matches!(b[8], b'A'..=b'D')
}

/// Canadian Social Insurance Number: nine digits, Luhn, first digit not 0 or 8.
pub fn is_sin(digits: &[u8]) -> bool {
    digits.len() == 9 && digits[0] != 0 && digits[0] != 8 && luhn(digits)
}

/// Aadhaar: twelve digits, first digit 2-9, Verhoeff check digit.
pub fn is_aadhaar(digits: &[u8]) -> bool {
    digits.len() == 12 && digits[0] >= 2 && verhoeff(digits)
}

/// Brazilian CPF: eleven digits, two mod-11 check digits, not all the same digit.
pub fn is_cpf(digits: &[u8]) -> bool {
    if digits.len() != 11 || digits.iter().all(|&d| d == digits[0]) {
        return false;
    }
    cpf_check_digits(&digits[..9]) == [digits[9], digits[10]]
}

/// Computes the two check digits of a CPF's first nine digits.
pub fn cpf_check_digits(base: &[u8]) -> [u8; 2] {
    let digit = |part: &[u8]| {
        let weight_start = part.len() as u32 + 1;
        let sum: u32 = part.iter().enumerate().map(|(i, &d)| u32::from(d) * (weight_start - i as u32)).sum();
        let rest = (sum * 10) % 11;
        if rest == 10 { 0 } else { rest as u8 }
    };
    let first = digit(&base[..9]);
    let mut ten = base[..9].to_vec();
    ten.push(first);
    [first, digit(&ten)]
}

/// Brazilian CNPJ: fourteen digits, two mod-11 check digits, not all the same digit.
pub fn is_cnpj(digits: &[u8]) -> bool {
    if digits.len() != 14 || digits.iter().all(|&d| d == digits[0]) {
        return false;
    }
    cnpj_check_digits(&digits[..12]) == [digits[12], digits[13]]
}

/// Computes the two check digits of a CNPJ's first twelve digits.
pub fn cnpj_check_digits(base: &[u8]) -> [u8; 2] {
    const FIRST: [u32; 12] = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    const SECOND: [u32; 13] = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    let digit = |part: &[u8], weights: &[u32]| {
        let sum: u32 = part.iter().zip(weights).map(|(&d, &w)| u32::from(d) * w).sum();
        let rest = sum % 11;
        if rest < 2 { 0 } else { (11 - rest) as u8 }
    };
    let first = digit(&base[..12], &FIRST);
    let mut thirteen = base[..12].to_vec();
    thirteen.push(first);
    [first, digit(&thirteen, &SECOND)]
}

/// Dutch BSN: nine digits passing the eleven-test (weights 9..2 and -1), not all zero.
pub fn is_bsn(digits: &[u8]) -> bool {
    if digits.len() != 9 {
        return false;
    }
    let mut sum: i32 = digits[..8].iter().enumerate().map(|(i, &d)| i32::from(d) * (9 - i as i32)).sum();
    sum -= i32::from(digits[8]);
    sum > 0 && sum % 11 == 0
}

const DNI_LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";

/// Computes the control letter of a Spanish DNI number. NIEs use it too, after replacing
/// the leading X, Y or Z with 0, 1 or 2.
pub fn dni_letter(number: u32) -> u8 {
    DNI_LETTERS[(number % 23) as usize]
}

/// Spanish DNI: eight digits and the control letter, upper case, no separator.
pub fn is_dni(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 9 || !b[..8].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let n = b[..8].iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
    dni_letter(n) == b[8]
}

/// Spanish NIE: X, Y or Z, seven digits and the control letter, upper case, no separator.
pub fn is_nie(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 9 || !b[1..8].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let lead = match b[0] {
        b'X' => 0,
        b'Y' => 1,
        b'Z' => 2,
        _ => return false,
    };
    let n = b[1..8].iter().fold(lead, |n, &d| n * 10 + u32::from(d - b'0'));
    dni_letter(n) == b[8]
}

/// Values of the characters in odd positions (first, third, ...) of an Italian codice
/// fiscale, indexed by the letter. A digit has the value of the letter at the same index.
const CF_ODD: [u32; 26] =
    [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];

/// Digits in a codice fiscale may be replaced by these letters (omocodia) when two
/// people would share a code.
const CF_OMOCODIA: &[u8; 10] = b"LMNPQRSTUV";

/// Computes the check character of the first fifteen characters of a codice fiscale.
pub fn codice_fiscale_check(first15: &[u8]) -> Option<u8> {
    if first15.len() != 15 {
        return None;
    }
    let mut sum = 0u32;
    for (i, &c) in first15.iter().enumerate() {
        let index = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A'),
            _ => return None,
        };
        // Positions are counted from one, so index 0 is an odd position.
        sum += if i % 2 == 0 { CF_ODD[index as usize] } else { index };
    }
    Some(b'A' + (sum % 26) as u8)
}

/// Italian codice fiscale: sixteen upper-case characters in the pattern
/// `LLLLLL DD M DD L DDD C` (digits possibly replaced by omocodia letters), a valid month
/// letter and day (women add 40), and the check character.
pub fn is_codice_fiscale(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 16 {
        return false;
    }
    let digit_at = |i: usize| -> Option<u8> {
        match b[i] {
            c @ b'0'..=b'9' => Some(c - b'0'),
            c => CF_OMOCODIA.iter().position(|&o| o == c).map(|p| p as u8),
        }
    };
    let letters_ok = [0, 1, 2, 3, 4, 5, 11].iter().all(|&i| b[i].is_ascii_uppercase());
    let digits: Option<Vec<u8>> = [6, 7, 9, 10, 12, 13, 14].iter().map(|&i| digit_at(i)).collect();
    let Some(digits) = digits else {
        return false;
    };
    let month = b"ABCDEHLMPRST".iter().position(|&m| m == b[8]);
    let day = u32::from(digits[2]) * 10 + u32::from(digits[3]);
    let day_ok = (1..=31).contains(&day) || (41..=71).contains(&day);
    letters_ok && month.is_some() && day_ok && codice_fiscale_check(&b[..15]) == Some(b[15])
}

const CN_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CN_CHECK: &[u8; 11] = b"10X98765432";

/// Computes the ISO 7064 MOD 11-2 check character of the first seventeen digits of a
/// Chinese resident identity card number.
pub fn cn_resident_id_check(first17: &[u8]) -> u8 {
    let sum: u32 = first17.iter().zip(CN_WEIGHTS).map(|(&d, w)| u32::from(d) * w).sum();
    CN_CHECK[(sum % 11) as usize]
}

/// Chinese resident identity card number: a province code, a birth date YYYYMMDD from
/// 1900 on, a sequence number and the MOD 11-2 check character (digit or X).
pub fn is_cn_resident_id(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let d: Vec<u8> = b[..17].iter().map(|c| c - b'0').collect();
    // Province codes run from 11 (Beijing) to 65 (Xinjiang), plus 71, 81, 82 and 83.
    let province = number(&d[..2]);
    let province_ok = matches!(province, 11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81..=83);
    let (year, month, day) = (number(&d[6..10]), number(&d[10..12]), number(&d[12..14]));
    let check = b[17].to_ascii_uppercase();
    province_ok && year >= 1900 && is_valid_date(year, month, day) && cn_resident_id_check(&d) == check
}

/// Swedish personal identity number as ten digits YYMMDDNNNC: a valid date (day plus 60
/// for coordination numbers) and a Luhn check digit.
pub fn is_personnummer(digits: &[u8]) -> bool {
    if digits.len() != 10 {
        return false;
    }
    let (month, mut day) = (number(&digits[2..4]), number(&digits[4..6]));
    if day > 60 {
        day -= 60;
    }
    // The century is not in the number; 2000 is a leap year, so February 29 passes.
    is_valid_date(2000, month, day) && luhn(digits)
}

const HETU_CHECK: &[u8; 31] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";

/// Computes the check character of a Finnish personal identity code from its date digits
/// DDMMYY and individual number ZZZ.
pub fn hetu_check(date6: &[u8], individual3: &[u8]) -> u8 {
    let n = date6.iter().chain(individual3).fold(0u64, |n, &d| n * 10 + u64::from(d));
    HETU_CHECK[(n % 31) as usize]
}

/// Finnish personal identity code DDMMYYCZZZQ: a valid date, a century sign (`+` for the
/// 1800s, `-` or U-Y for the 1900s, A-F for the 2000s), an individual number 002-899 and
/// the check character.
pub fn is_hetu(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 11 || !b[..6].iter().all(u8::is_ascii_digit) || !b[7..10].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let century = match b[6] {
        b'+' => 1800,
        b'-' | b'U'..=b'Y' => 1900,
        b'A'..=b'F' => 2000,
        _ => return false,
    };
    let date: Vec<u8> = b[..6].iter().map(|c| c - b'0').collect();
    let individual: Vec<u8> = b[7..10].iter().map(|c| c - b'0').collect();
    let year = century + number(&date[4..6]);
    let serial = number(&individual);
    is_valid_date(year, number(&date[2..4]), number(&date[..2]))
        && (2..=899).contains(&serial)
        && hetu_check(&date, &individual) == b[10]
}

const PESEL_WEIGHTS: [u32; 10] = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];

/// Computes the check digit of the first ten digits of a PESEL.
pub fn pesel_check_digit(first10: &[u8]) -> u8 {
    let sum: u32 = first10.iter().zip(PESEL_WEIGHTS).map(|(&d, w)| u32::from(d) * w).sum();
    ((10 - sum % 10) % 10) as u8
}

/// Polish PESEL: eleven digits, a birth date whose month carries the century (+80 for
/// the 1800s, +20 for the 2000s, +40 and +60 after), and the check digit.
pub fn is_pesel(digits: &[u8]) -> bool {
    if digits.len() != 11 {
        return false;
    }
    let (yy, mm, dd) = (number(&digits[..2]), number(&digits[2..4]), number(&digits[4..6]));
    let (century, month) = match mm {
        1..=12 => (1900, mm),
        21..=32 => (2000, mm - 20),
        41..=52 => (2100, mm - 40),
        61..=72 => (2200, mm - 60),
        81..=92 => (1800, mm - 80),
        _ => return false,
    };
    is_valid_date(century + yy, month, dd) && pesel_check_digit(&digits[..10]) == digits[10]
}

/// US ABA routing transit number: nine digits with weights 3, 7, 1 summing to a multiple
/// of ten, and a first two digits in the Federal Reserve ranges 00-12, 21-32, 61-72 or 80.
pub fn is_aba_routing(digits: &[u8]) -> bool {
    if digits.len() != 9 {
        return false;
    }
    let prefix = number(&digits[..2]);
    if !matches!(prefix, 0..=12 | 21..=32 | 61..=72 | 80) || digits.iter().all(|&d| d == 0) {
        return false;
    }
    let sum: u32 = digits.iter().zip([3u32, 7, 1].iter().cycle()).map(|(&d, &w)| u32::from(d) * w).sum();
    sum.is_multiple_of(10)
}

/// US National Provider Identifier: ten digits starting with 1 or 2 whose Luhn check
/// covers the prefix 80840.
pub fn is_npi(digits: &[u8]) -> bool {
    if digits.len() != 10 || !matches!(digits[0], 1 | 2) {
        return false;
    }
    let mut prefixed = vec![8, 0, 8, 4, 0];
    prefixed.extend_from_slice(digits);
    luhn(&prefixed)
}

fn vin_value(c: u8) -> Option<u32> {
    Some(match c {
        b'0'..=b'9' => u32::from(c - b'0'),
        b'A' | b'J' => 1,
        b'B' | b'K' | b'S' => 2,
        b'C' | b'L' | b'T' => 3,
        b'D' | b'M' | b'U' => 4,
        b'E' | b'N' | b'V' => 5,
        b'F' | b'W' => 6,
        b'G' | b'P' | b'X' => 7,
        b'H' | b'Y' => 8,
        b'R' | b'Z' => 9,
        _ => return None,
    })
}

/// Computes the ninth-position check character of a 17-character VIN (North American
/// rule). Returns `None` when a character is not allowed (I, O and Q never appear).
pub fn vin_check(vin: &[u8]) -> Option<u8> {
    const WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
    if vin.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (&c, w) in vin.iter().zip(WEIGHTS) {
        sum += vin_value(c)? * w;
    }
    let rest = sum % 11;
    Some(if rest == 10 { b'X' } else { b'0' + rest as u8 })
}

/// Checks that a VIN's characters are allowed and its check character is right.
pub fn is_vin(text: &str) -> bool {
    let b = text.as_bytes();
    vin_check(b).is_some_and(|c| c == b[8])
}

/// VIN characters: digits and upper-case letters other than I, O and Q.
pub fn is_vin_shape(text: &str) -> bool {
    let b = text.as_bytes();
    let letters = b.iter().filter(|c| c.is_ascii_uppercase()).count();
    b.len() == 17 && letters >= 2 && b.iter().all(|&c| vin_value(c).is_some())
}

/// Payment card brands with their issuer prefixes and lengths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardBrand {
    Visa,
    Mastercard,
    Amex,
    Discover,
    Jcb,
    Diners,
    UnionPay,
}

/// Brand of a card number from its issuer prefix and length, before the Luhn check.
/// Lengths are those the brands issue in practice, which keeps 18-digit national ids
/// from reading as cards.
pub fn card_brand(digits: &[u8]) -> Option<CardBrand> {
    let len = digits.len();
    if len < 13 {
        return None;
    }
    let p2 = number(&digits[..2]);
    let p3 = number(&digits[..3]);
    let p4 = number(&digits[..4]);
    let brand = if digits[0] == 4 {
        CardBrand::Visa
    } else if (51..=55).contains(&p2) || (2221..=2720).contains(&p4) {
        CardBrand::Mastercard
    } else if p2 == 34 || p2 == 37 {
        CardBrand::Amex
    } else if p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 {
        CardBrand::Discover
    } else if (3528..=3589).contains(&p4) {
        CardBrand::Jcb
    } else if (300..=305).contains(&p3) || p2 == 36 || p2 == 38 || p2 == 39 {
        CardBrand::Diners
    } else if p2 == 62 {
        CardBrand::UnionPay
    } else {
        return None;
    };
    let length_ok = match brand {
        CardBrand::Visa => matches!(len, 13 | 16 | 19),
        CardBrand::Mastercard => len == 16,
        CardBrand::Amex => len == 15,
        CardBrand::Discover | CardBrand::Jcb => matches!(len, 16 | 19),
        CardBrand::Diners => matches!(len, 14 | 16),
        CardBrand::UnionPay => matches!(len, 16 | 17 | 19),
    };
    length_ok.then_some(brand)
}

/// IBAN lengths by country code, from the ISO 13616 registry. Territories that use
/// their country's format (Åland, the French overseas collectivities, Guernsey, Jersey,
/// the Isle of Man) have their own codes.
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AX", 18),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BI", 27),
    ("BL", 27),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DJ", 27),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FK", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GF", 27),
    ("GG", 22),
    ("GI", 23),
    ("GL", 18),
    ("GP", 27),
    ("GR", 27),
    ("GT", 28),
    ("HN", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IM", 22),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JE", 22),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("LY", 25),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MF", 27),
    ("MK", 19),
    ("MN", 20),
    ("MQ", 27),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NC", 27),
    ("NI", 28),
    ("NL", 18),
    ("NO", 15),
    ("OM", 23),
    ("PF", 27),
    ("PK", 24),
    ("PL", 28),
    ("PM", 27),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RE", 27),
    ("RO", 24),
    ("RS", 22),
    ("RU", 33),
    ("SA", 24),
    ("SC", 31),
    ("SD", 18),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("SO", 23),
    ("ST", 25),
    ("SV", 28),
    ("TF", 27),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("WF", 27),
    ("XK", 20),
    ("YE", 30),
    ("YT", 27),
];

/// IBAN length of a country, or `None` for countries outside the registry.
pub fn iban_length(country: &str) -> Option<usize> {
    IBAN_LENGTHS.iter().find(|(code, _)| *code == country).map(|(_, len)| *len)
}

/// Lists every country in the IBAN length table with its length.
pub fn iban_countries() -> impl Iterator<Item = (&'static str, usize)> {
    IBAN_LENGTHS.iter().copied()
}

/// Computes the remainder mod 97 of an IBAN rearranged with its first four characters at
/// the end and letters replaced by 10-35. A valid IBAN gives 1.
pub fn iban_remainder(iban: &[u8]) -> Option<u32> {
    if iban.len() < 5 {
        return None;
    }
    let mut rest = 0u32;
    for &c in iban[4..].iter().chain(&iban[..4]) {
        rest = match c {
            b'0'..=b'9' => (rest * 10 + u32::from(c - b'0')) % 97,
            b'A'..=b'Z' => (rest * 100 + u32::from(c - b'A') + 10) % 97,
            _ => return None,
        };
    }
    Some(rest)
}

/// IBAN without spaces, upper case: a known country, that country's length, two check
/// digits and the mod-97 check.
pub fn is_iban(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() < 15 || !b[..2].iter().all(u8::is_ascii_uppercase) || !b[2..4].iter().all(u8::is_ascii_digit) {
        return false;
    }
    iban_length(&text[..2]) == Some(b.len()) && iban_remainder(b) == Some(1)
}

/// Computes the two check digits that make an IBAN valid for a country code and BBAN.
pub fn iban_check_digits(country: &str, bban: &str) -> Option<String> {
    let mut probe = format!("{country}00{bban}").into_bytes();
    probe.make_ascii_uppercase();
    let rest = iban_remainder(&probe)?;
    Some(format!("{:02}", 98 - rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Vec<u8> {
        digits(text).unwrap()
    }

    #[test]
    fn luhn_known_numbers() {
        assert!(luhn(&d("4111111111111111")));
        assert!(luhn(&d("79927398713")));
        assert!(!luhn(&d("4111111111111112")));
        assert_eq!(luhn_check_digit(&d("7992739871")), 3);
    }

    #[test]
    fn verhoeff_known_numbers() {
        assert!(verhoeff(&d("2363")));
        assert!(!verhoeff(&d("2364")));
        assert_eq!(verhoeff_check_digit(&d("236")), 3);
        assert_eq!(verhoeff_check_digit(&d("12345")), 1);
    }

    #[test]
    fn national_ids_known_numbers() {
        assert!(is_cpf(&d("52998224725")));
        assert!(!is_cpf(&d("52998224726")));
        assert!(!is_cpf(&d("11111111111")));
        assert!(is_cnpj(&d("11222333000181")));
        assert!(!is_cnpj(&d("11222333000182")));
        assert!(is_bsn(&d("111222333")));
        assert!(!is_bsn(&d("111222334")));
        assert!(is_dni("12345678Z"));
        assert!(!is_dni("12345678A"));
        assert!(is_nie("X1234567L"));
        assert!(!is_nie("X1234567T"));
        assert!(is_codice_fiscale("RSSMRA85T10A562S"));
        assert!(!is_codice_fiscale("RSSMRA85T10A562T"));
        assert!(is_cn_resident_id("11010519491231002X"));
        assert!(!is_cn_resident_id("110105194912310021"));
        assert!(is_personnummer(&d("8112189876")));
        assert!(!is_personnummer(&d("8112189875")));
        assert!(is_hetu("131052-308T"));
        assert!(!is_hetu("131052-308U"));
        assert!(is_pesel(&d("44051401359")));
        assert!(!is_pesel(&d("44051401358")));
        assert!(is_sin(&d("130456783")));
        assert!(!is_sin(&d("130456784")));
        assert!(!is_sin(&d("046454286")));
        assert!(is_nino("AB123456C"));
        assert!(!is_nino("GB123456C"));
        assert!(!is_nino("DA123456C"));
        assert!(!is_nino("AB123456E"));
    }

    #[test]
    fn us_numbers_known_values() {
        assert!(is_ssn(&d("123456789")));
        assert!(!is_ssn(&d("000123456")));
        assert!(!is_ssn(&d("666123456")));
        assert!(!is_ssn(&d("900123456")));
        assert!(!is_ssn(&d("123006789")));
        assert!(!is_ssn(&d("123450000")));
        assert!(!is_ssn(&d("078051120")));
        assert!(is_itin(&d("912701234")));
        assert!(!is_itin(&d("912931234")));
        assert!(is_aba_routing(&d("021000021")));
        assert!(!is_aba_routing(&d("021000022")));
        assert!(is_npi(&d("1234567893")));
        assert!(!is_npi(&d("1234567894")));
    }

    #[test]
    fn vin_known_values() {
        assert!(is_vin("1M8GDM9AXKP042788"));
        assert!(is_vin("11111111111111111"));
        assert!(!is_vin("1M8GDM9A1KP042788"));
        assert!(!is_vin("1M8GDM9AXKP04278O"));
    }

    #[test]
    fn card_brands_by_prefix() {
        let cases = [
            ("4111111111111111", Some(CardBrand::Visa)),
            ("5555555555554444", Some(CardBrand::Mastercard)),
            ("2223003122003222", Some(CardBrand::Mastercard)),
            ("378282246310005", Some(CardBrand::Amex)),
            ("6011111111111117", Some(CardBrand::Discover)),
            ("3530111333300000", Some(CardBrand::Jcb)),
            ("30569309025904", Some(CardBrand::Diners)),
            ("6200000000000005", Some(CardBrand::UnionPay)),
            ("411111111111111", None),
            ("9111111111111111", None),
        ];
        for (number, brand) in cases {
            assert_eq!(card_brand(&d(number)), brand, "{number}");
        }
    }

    #[test]
    fn iban_known_values() {
        assert!(is_iban("GB82WEST12345698765432"));
        assert!(is_iban("DE89370400440532013000"));
        assert!(is_iban("NL91ABNA0417164300"));
        assert!(!is_iban("GB82WEST12345698765433"));
        assert!(!is_iban("GB82WEST1234569876543"));
        assert!(!is_iban("XX82WEST12345698765432"));
        assert_eq!(iban_check_digits("DE", "370400440532013000").as_deref(), Some("89"));
    }

    #[test]
    fn dates_respect_leap_years() {
        assert!(is_valid_date(2000, 2, 29));
        assert!(!is_valid_date(1900, 2, 29));
        assert!(!is_valid_date(2023, 4, 31));
        assert!(!is_valid_date(2023, 13, 1));
    }
}
