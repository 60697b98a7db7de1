//! Decoding of a value before matching: percent-decoding (repeated, for double encoding,
//! with `%uXXXX` and overlong UTF-8), HTML character references, JavaScript escapes,
//! removal of NUL bytes and zero-width characters, and a compatibility fold of fullwidth
//! and look-alike characters to ASCII.
//!
//! Every step is linear in the value's length and the number of rounds is bounded by
//! [`crate::DetectLimits::max_decode_rounds`], so decoding a value costs at most
//! `rounds x length` work.

use std::borrow::Cow;

/// Facts about a value that decoding removes but some rules need.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeFacts {
    /// The value contained a NUL byte, raw or encoded.
    pub nul_byte: bool,
    /// Percent-decoding changed the value in more than one round (double encoding).
    pub multiple_encoding: bool,
    /// The value held an overlong UTF-8 sequence such as `%c0%af`.
    pub overlong_utf8: bool,
    /// Decoding stopped at the round limit while the value still changed.
    pub rounds_exhausted: bool,
    /// The value held a character that some servers truncate to CR or LF, such as
    /// U+560A or U+010D.
    pub crlf_lookalike: bool,
}

/// A decoded value.
#[derive(Debug, Clone)]
pub struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub facts: DecodeFacts,
}

/// Decodes `value` for matching, with at most `max_rounds` rounds of decoding.
pub fn decode(value: &str, max_rounds: usize) -> Decoded<'_> {
    let mut facts = DecodeFacts::default();
    if !needs_decoding(value) {
        return Decoded { text: Cow::Borrowed(value), facts };
    }

    let mut current: Cow<'_, str> = Cow::Borrowed(value);
    let mut percent_rounds = 0;
    let mut round = 0;
    loop {
        if round == max_rounds {
            facts.rounds_exhausted = needs_decoding(&current) && changes_on_decode(&current);
            break;
        }
        round += 1;

        let mut changed = false;
        if let Some(next) = percent_decode(&current, &mut facts) {
            percent_rounds += 1;
            current = Cow::Owned(next);
            changed = true;
        }
        if let Some(next) = decode_entities_and_escapes(&current) {
            current = Cow::Owned(next);
            changed = true;
        }
        if !changed {
            break;
        }
    }
    facts.multiple_encoding = percent_rounds > 1;

    if let Some(next) = fold_characters(&current, &mut facts) {
        current = Cow::Owned(next);
    }
    Decoded { text: current, facts }
}

/// True when the value has anything that a decoding step could change.
fn needs_decoding(value: &str) -> bool {
    let bytes = value.as_bytes();
    !value.is_ascii() || memchr::memchr3(b'%', b'&', b'\\', bytes).is_some() || memchr::memchr(0, bytes).is_some()
}

fn changes_on_decode(value: &str) -> bool {
    let mut facts = DecodeFacts::default();
    percent_decode(value, &mut facts).is_some() || decode_entities_and_escapes(value).is_some()
}

fn hex_value(b: u8) -> Option<u32> {
    match b {
        b'0'..=b'9' => Some((b - b'0') as u32),
        b'a'..=b'f' => Some((b - b'a' + 10) as u32),
        b'A'..=b'F' => Some((b - b'A' + 10) as u32),
        _ => None,
    }
}

/// Reads `count` hex digits at `bytes[at..]`.
fn read_hex(bytes: &[u8], at: usize, count: usize) -> Option<u32> {
    let digits = bytes.get(at..at + count)?;
    digits.iter().try_fold(0u32, |acc, &b| Some(acc * 16 + hex_value(b)?))
}

/// Decodes `%XX` and `%uXXXX`; returns `None` when nothing was decoded.
fn percent_decode(value: &str, facts: &mut DecodeFacts) -> Option<String> {
    let bytes = value.as_bytes();
    if !bytes.contains(&b'%') {
        return None;
    }

    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut changed = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            if let Some(byte) = read_hex(bytes, i + 1, 2) {
                out.push(byte as u8);
                i += 3;
                changed = true;
                continue;
            }
            // IIS-style %uXXXX.
            if matches!(bytes.get(i + 1), Some(b'u' | b'U'))
                && let Some(code) = read_hex(bytes, i + 2, 4)
            {
                let c = char::from_u32(code).unwrap_or('\u{fffd}');
                let mut buffer = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
                i += 6;
                changed = true;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    if !changed {
        return None;
    }
    Some(bytes_to_text(&out, facts))
}

/// Converts decoded bytes to text. Overlong UTF-8 forms of ASCII (such as `c0 af` or
/// `f0 80 80 af` for `/`) become that ASCII character, as some servers decode them, and so
/// do the lax two-byte forms of [`lax_overlong_path_char`]; other invalid sequences become
/// U+FFFD.
fn bytes_to_text(bytes: &[u8], facts: &mut DecodeFacts) -> String {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.to_string();
    }

    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match std::str::from_utf8(&bytes[i..]) {
            Ok(rest) => {
                out.push_str(rest);
                break;
            }
            Err(error) => {
                let valid = error.valid_up_to();
                // The prefix was just validated, so this cannot fail.
                out.push_str(std::str::from_utf8(&bytes[i..i + valid]).unwrap_or_default());
                i += valid;
                if let Some((ascii, used)) = overlong_ascii(&bytes[i..]).or_else(|| lax_overlong_path_char(&bytes[i..]))
                {
                    facts.overlong_utf8 = true;
                    out.push(ascii);
                    i += used;
                } else {
                    out.push('\u{fffd}');
                    i += error.error_len().unwrap_or(bytes.len() - i).max(1);
                }
            }
        }
    }
    out
}

/// Decodes an overlong UTF-8 encoding of an ASCII character: a two- to six-byte sequence
/// (lead byte `c0`/`c1`, `e0`, `f0`, `f8` or `fc`) whose value is below 0x80. UTF-8 (RFC
/// 3629) forbids these forms, but decoders that only put the payload bits together accept
/// them.
fn overlong_ascii(bytes: &[u8]) -> Option<(char, usize)> {
    let length = match bytes.first()? {
        0xc0 | 0xc1 => 2,
        0xe0 => 3,
        0xf0 => 4,
        0xf8 => 5,
        0xfc => 6,
        _ => return None,
    };
    let sequence = bytes.get(..length)?;

    // The lead byte of an n-byte sequence carries 7 - n payload bits.
    let mut code = (sequence[0] & (0x7f >> length)) as u32;
    for &continuation in &sequence[1..] {
        if continuation & 0xc0 != 0x80 {
            return None;
        }
        code = (code << 6) | (continuation & 0x3f) as u32;
    }
    if code >= 0x80 {
        return None;
    }
    Some((char::from(code as u8), length))
}

/// Decodes a two-byte sequence with lead `c0` or `c1` whose second byte is not a
/// continuation byte, the way a lax decoder reads it that keeps only the low six bits of
/// that byte: `c0 2e`, `c0 6e` and `c0 ee` are `.`, `c0 2f` is `/` and `c1 1c` is `\`.
/// Only `.`, `/` and `\` are decoded, because those spell a path traversal; any other
/// result stays invalid.
fn lax_overlong_path_char(bytes: &[u8]) -> Option<(char, usize)> {
    let [lead @ (0xc0 | 0xc1), next, ..] = bytes else {
        return None;
    };
    if next & 0xc0 == 0x80 {
        return None;
    }
    let code = ((lead & 0x01) << 6) | (next & 0x3f);
    let c = char::from(code);
    matches!(c, '.' | '/' | '\\').then_some((c, 2))
}

/// Named character references that matter for attack syntax, with their characters.
/// Browsers know about 2,000 names; the rest decode to letters and symbols that no rule
/// looks at.
const NAMED_ENTITIES: &[(&str, char)] = &[
    ("lt", '<'),
    ("gt", '>'),
    ("amp", '&'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", ' '),
    ("tab", '\t'),
    ("newline", '\n'),
    ("colon", ':'),
    ("sol", '/'),
    ("bsol", '\\'),
    ("lpar", '('),
    ("rpar", ')'),
    ("semi", ';'),
    ("comma", ','),
    ("period", '.'),
    ("excl", '!'),
    ("num", '#'),
    ("dollar", '$'),
    ("percnt", '%'),
    ("lsqb", '['),
    ("rsqb", ']'),
    ("lbrack", '['),
    ("rbrack", ']'),
    ("lcub", '{'),
    ("rcub", '}'),
    ("lbrace", '{'),
    ("rbrace", '}'),
    ("grave", '`'),
    ("equals", '='),
    ("plus", '+'),
    ("ast", '*'),
    ("vert", '|'),
    ("verbar", '|'),
    ("lowbar", '_'),
    ("quest", '?'),
    ("commat", '@'),
    ("hat", '^'),
];

/// Decodes HTML character references (`&lt;`, `&#60;`, `&#x3c;`, with or without the
/// final `;` as browsers accept) and JavaScript escapes (`\x3c`, `\u003c`, `\u{3c}`).
/// Returns `None` when nothing was decoded.
fn decode_entities_and_escapes(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    if !bytes.iter().any(|&b| b == b'&' || b == b'\\') {
        return None;
    }

    let mut out = String::with_capacity(value.len());
    let mut changed = false;
    let mut i = 0;
    let mut copied_from = 0;
    while i < bytes.len() {
        let decoded = match bytes[i] {
            b'&' => character_reference(bytes, i),
            b'\\' => javascript_escape(bytes, i),
            _ => None,
        };
        match decoded {
            Some((c, used)) => {
                out.push_str(&value[copied_from..i]);
                out.push(c);
                i += used;
                copied_from = i;
                changed = true;
            }
            None => i += 1,
        }
    }
    if !changed {
        return None;
    }
    out.push_str(&value[copied_from..]);
    Some(out)
}

/// Decodes the character reference at `bytes[at] == b'&'`: the character and the bytes
/// used.
fn character_reference(bytes: &[u8], at: usize) -> Option<(char, usize)> {
    const MAX_DIGITS: usize = 10;

    let mut i = at + 1;
    if bytes.get(i) == Some(&b'#') {
        i += 1;
        let hex = matches!(bytes.get(i), Some(b'x' | b'X'));
        if hex {
            i += 1;
        }
        let start = i;
        let mut code: u32 = 0;
        while let Some(&b) = bytes.get(i) {
            let digit = if hex { hex_value(b) } else { b.is_ascii_digit().then(|| (b - b'0') as u32) };
            let Some(digit) = digit else { break };
            if i - start < MAX_DIGITS {
                code = code.saturating_mul(if hex { 16 } else { 10 }).saturating_add(digit);
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        if bytes.get(i) == Some(&b';') {
            i += 1;
        }
        let c = if code == 0 { '\u{fffd}' } else { char::from_u32(code).unwrap_or('\u{fffd}') };
        return Some((c, i - at));
    }

    let start = i;
    while i < bytes.len() && i - start < 8 && bytes[i].is_ascii_alphabetic() {
        i += 1;
    }
    let name = &bytes[start..i];
    // A name is matched in full first. Browsers also decode the legacy names `lt`, `gt`,
    // `amp` and `quot` as a prefix of a longer run of letters, so `&ltscript` is `<script`.
    if let Some((_, c)) = NAMED_ENTITIES.iter().find(|(known, _)| known.as_bytes().eq_ignore_ascii_case(name)) {
        if bytes.get(i) == Some(&b';') {
            i += 1;
        }
        return Some((*c, i - at));
    }
    const LEGACY: [(&str, char); 4] = [("quot", '"'), ("amp", '&'), ("lt", '<'), ("gt", '>')];
    let (legacy, c) = LEGACY
        .iter()
        .find(|(known, _)| name.len() >= known.len() && name[..known.len()].eq_ignore_ascii_case(known.as_bytes()))?;
    Some((*c, 1 + legacy.len()))
}

/// Decodes the JavaScript escape at `bytes[at] == b'\\'`.
fn javascript_escape(bytes: &[u8], at: usize) -> Option<(char, usize)> {
    match bytes.get(at + 1)? {
        b'x' => {
            let code = read_hex(bytes, at + 2, 2)?;
            Some((char::from_u32(code)?, 4))
        }
        b'u' if bytes.get(at + 2) == Some(&b'{') => {
            let end = bytes[at + 3..].iter().take(7).position(|&b| b == b'}')?;
            let code = read_hex(bytes, at + 3, end)?;
            Some((char::from_u32(code).unwrap_or('\u{fffd}'), end + 4))
        }
        b'u' => {
            let code = read_hex(bytes, at + 2, 4)?;
            Some((char::from_u32(code).unwrap_or('\u{fffd}'), 6))
        }
        _ => None,
    }
}

/// Maps a character to the ASCII character that compatibility normalisation (NFKC) or
/// common "best fit" code page conversions turn it into, for the characters that matter
/// to attack syntax. Returns `Some(Some(c))` to replace it, `Some(None)` to drop it and
/// `None` to keep it.
fn fold_char(c: char) -> Option<Option<char>> {
    let code = c as u32;
    let folded = match code {
        // Fullwidth ASCII forms, U+FF01..U+FF5E, are ASCII shifted by 0xFEE0 (NFKC).
        0xff01..=0xff5e => char::from_u32(code - 0xfee0),
        0x3000 | 0x00a0 | 0x2000..=0x200a | 0x202f | 0x205f => Some(' '),
        0x2028 | 0x2029 | 0x0085 => Some('\n'),
        // Zero-width characters split keywords without changing how they render.
        0x200b..=0x200d | 0x2060 | 0xfeff | 0x00ad => None,
        // Small form variants (NFKC).
        0xfe50 => Some(','),
        0xfe52 => Some('.'),
        0xfe54 => Some(';'),
        0xfe55 => Some(':'),
        0xfe56 => Some('?'),
        0xfe57 => Some('!'),
        0xfe59 => Some('('),
        0xfe5a => Some(')'),
        0xfe5b => Some('{'),
        0xfe5c => Some('}'),
        0xfe5f => Some('#'),
        0xfe60 => Some('&'),
        0xfe61 => Some('*'),
        0xfe62 => Some('+'),
        0xfe63 => Some('-'),
        0xfe64 => Some('<'),
        0xfe65 => Some('>'),
        0xfe66 => Some('='),
        0xfe68 => Some('\\'),
        0xfe69 => Some('$'),
        0xfe6a => Some('%'),
        0xfe6b => Some('@'),
        // Letters that NFKC or case mapping turn into ASCII: Kelvin sign, long s,
        // dotless i.
        0x212a => Some('K'),
        0x017f => Some('s'),
        0x0131 => Some('i'),
        // Best-fit conversions of quote and angle look-alikes to ASCII.
        0x02b9 | 0x02bc | 0x02c8 | 0x2032 => Some('\''),
        0x02ba | 0x2033 => Some('"'),
        0x2039 | 0x2329 | 0x27e8 | 0x3008 => Some('<'),
        0x203a | 0x232a | 0x27e9 | 0x3009 => Some('>'),
        0x2215 | 0x2044 => Some('/'),
        0x2216 => Some('\\'),
        _ => return None,
    };
    Some(folded)
}

/// Removes NUL bytes and folds look-alike characters; returns `None` when nothing changed.
fn fold_characters(value: &str, facts: &mut DecodeFacts) -> Option<String> {
    // ASCII text, the common case, can only need its NUL bytes removed.
    let needs_fold = if value.is_ascii() {
        memchr::memchr(0, value.as_bytes()).is_some()
    } else {
        value.chars().any(|c| c == '\0' || (c as u32 >= 0x80 && (fold_char(c).is_some() || is_crlf_lookalike(c))))
    };
    if !needs_fold {
        return None;
    }

    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if c == '\0' {
            facts.nul_byte = true;
            continue;
        }
        if is_crlf_lookalike(c) {
            facts.crlf_lookalike = true;
        }
        match fold_char(c) {
            Some(Some(ascii)) => out.push(ascii),
            Some(None) => {}
            None => out.push(c),
        }
    }
    Some(out)
}

/// Shortest Base64 value whose decoded text is checked: 16 characters hold 12 bytes, as
/// long as the shortest payloads worth wrapping.
const MIN_BASE64_CHARS: usize = 16;

/// Decodes `text` when it is one Base64 token (standard or URL-safe alphabet, padded or
/// not) of at least [`MIN_BASE64_CHARS`] characters whose bytes are printable UTF-8 text.
/// Tokens, hashes and images decode to binary bytes and give `None`.
pub fn base64_text(text: &str) -> Option<String> {
    use base64::Engine;

    let bytes = text.as_bytes();
    if bytes.len() < MIN_BASE64_CHARS {
        return None;
    }
    let unpadded = text.trim_end_matches('=');
    let (mut standard, mut url_safe, mut upper, mut lower) = (false, false, false, false);
    for &b in unpadded.as_bytes() {
        match b {
            b'A'..=b'Z' => upper = true,
            b'a'..=b'z' => lower = true,
            b'0'..=b'9' => {}
            b'+' | b'/' => standard = true,
            b'-' | b'_' => url_safe = true,
            _ => return None,
        }
    }
    // Words and numbers are valid Base64 too, but encoded text has both letter cases.
    if !(upper && lower) || standard && url_safe || bytes.len() - unpadded.len() > 2 {
        return None;
    }
    let engine = if url_safe {
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
    } else {
        &base64::engine::general_purpose::STANDARD_NO_PAD
    };
    let decoded = engine.decode(unpadded).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let printable = decoded.chars().filter(|c| !c.is_control() || c.is_ascii_whitespace()).count();
    (printable * 10 >= decoded.chars().count() * 9).then_some(decoded)
}

/// True for characters whose UTF-16 code unit or Latin-1 truncation ends in 0x0A or 0x0D, which
/// some HTTP stacks turn into LF or CR when they write them into a header.
pub fn is_crlf_lookalike(c: char) -> bool {
    let code = c as u32;
    code > 0xff && matches!(code & 0xff, 0x0a | 0x0d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_text_decodes_encoded_text_only() {
        // "1' OR '1'='1' --" in the standard alphabet, padded and unpadded.
        assert_eq!(base64_text("MScgT1IgJzEnPScxJyAtLQ==").as_deref(), Some("1' OR '1'='1' --"));
        assert_eq!(base64_text("MScgT1IgJzEnPScxJyAtLQ").as_deref(), Some("1' OR '1'='1' --"));
        // "<a href=?>x</a>" has `?>` and `/a` that encode with `_` and `-` in the URL-safe
        // alphabet.
        assert_eq!(base64_text("PGEgaHJlZj0_Png8L2E-").as_deref(), Some("<a href=?>x</a>"));
        // Too short, one letter case, mixed alphabets, other characters, binary bytes.
        assert_eq!(base64_text("T1IgMT0x"), None);
        assert_eq!(base64_text("abcdefghijklmnopqrstuvwxyz"), None);
        assert_eq!(base64_text("PGEgaHJlZj0_Png8L2E+Cg"), None);
        assert_eq!(base64_text("hello world, hello world"), None);
        assert_eq!(base64_text("q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQ"), None);
    }

    fn decoded(value: &str) -> String {
        decode(value, 4).text.into_owned()
    }

    #[test]
    fn decode_cases() {
        let cases = [
            ("plain text stays", "plain text stays"),
            ("%27%20or%201%3D1", "' or 1=1"),
            ("%2527", "'"),
            ("%252e%252e%252f", "../"),
            ("%u0027", "'"),
            ("%c0%ae%c0%ae%c0%af", "../"),
            ("&lt;script&gt;", "<script>"),
            ("&#60;&#x3C;&#0000060", "<<<"),
            ("&amp;lt;", "<"),
            ("\\x3cscript\\u003e", "<script>"),
            ("\\u{3c}", "<"),
            ("\u{ff1c}script\u{ff1e}", "<script>"),
            ("sel\u{200b}ect", "select"),
            ("a%00b", "ab"),
            ("100%", "100%"),
            ("%zz", "%zz"),
            ("&ltscript&gt", "<script>"),
            ("&copy;", "&copy;"),
            ("O'Brien &amp; sons", "O'Brien & sons"),
            ("C:\\users\\x", "C:\\users\\x"),
        ];
        for (input, expected) in cases {
            assert_eq!(decoded(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn overlong_forms_decode_to_ascii() {
        let cases = [
            ("two bytes", "%c0%ae%c0%ae%c0%af", "../"),
            ("two bytes, c1 lead", "%c1%9c", "\\"),
            ("three bytes", "%e0%80%ae%e0%80%af", "./"),
            ("four bytes", "%f0%80%80%ae%f0%80%80%af", "./"),
            ("five bytes", "%f8%80%80%80%ae%f8%80%80%80%af", "./"),
            ("six bytes", "%fc%80%80%80%80%ae%fc%80%80%80%80%af", "./"),
            ("double encoded", "%25f0%2580%2580%25af", "/"),
            ("overlong letter", "%c1%af", "o"),
        ];
        for (name, input, expected) in cases {
            let result = decode(input, 4);
            assert_eq!(result.text, expected, "{name}: {input:?}");
            assert!(result.facts.overlong_utf8, "{name}: {input:?}");
        }
    }

    #[test]
    fn lax_two_byte_forms_decode_path_characters() {
        let cases = [
            ("dot, ascii second byte", "%c0%2e", "."),
            ("dot, literal second byte", "%c0.", "."),
            ("dot, high bit cleared", "%c0%6e", "."),
            ("dot, lead byte second byte", "%c0%ee", "."),
            ("slash", "%c0%2f", "/"),
            ("backslash", "%c1%1c", "\\"),
        ];
        for (name, input, expected) in cases {
            let result = decode(input, 4);
            assert_eq!(result.text, expected, "{name}: {input:?}");
            assert!(result.facts.overlong_utf8, "{name}: {input:?}");
        }
    }

    #[test]
    fn valid_and_other_invalid_utf8_stay() {
        let cases = [
            ("two-byte letter", "caf%c3%a9", "caf\u{e9}"),
            ("three-byte letter", "%e0%a4%85", "\u{905}"),
            ("four-byte emoji", "%f0%9f%98%80", "\u{1f600}"),
            ("lax form of a non-path character", "%c0%3c", "\u{fffd}<"),
            ("lax form of a letter", "%c1%21", "\u{fffd}!"),
            ("truncated four-byte form", "%f0%80%80", "\u{fffd}\u{fffd}\u{fffd}"),
            ("three-byte form above ASCII", "%e0%82%80", "\u{fffd}\u{fffd}\u{fffd}"),
            ("lead byte at the end", "a%c0", "a\u{fffd}"),
        ];
        for (name, input, expected) in cases {
            let result = decode(input, 4);
            assert_eq!(result.text, expected, "{name}: {input:?}");
            assert!(!result.facts.overlong_utf8, "{name}: {input:?}");
        }
    }

    #[test]
    fn facts_record_what_decoding_removed() {
        let facts = decode("..%2500", 4).facts;
        assert!(facts.nul_byte);
        assert!(facts.multiple_encoding);
        assert!(decode("%c0%af", 4).facts.overlong_utf8);
        assert!(decode("%E5%98%8A", 4).facts.crlf_lookalike);
    }

    #[test]
    fn rounds_are_bounded() {
        // Each round removes one level of encoding of `'`; five levels need five rounds.
        let value = "%2525252527";
        let result = decode(value, 4);
        assert_eq!(result.text, "%27");
        assert!(result.facts.rounds_exhausted);
        assert_eq!(decode(value, 5).text, "'");
    }

    #[test]
    fn plain_values_are_borrowed() {
        assert!(matches!(decode("hello world", 4).text, Cow::Borrowed(_)));
    }

    #[test]
    fn invalid_utf8_becomes_replacement() {
        assert_eq!(decoded("%ff%fe"), "\u{fffd}\u{fffd}");
    }
}
