//! Random strings that match a simple regular expression, for path parameters whose
//! schema gives a `pattern` that name-based values do not satisfy (Twilio's
//! `^MG[0-9a-fA-F]{32}$`, for example).
//!
//! The supported syntax is a small subset: literals, `.`, character classes with ranges
//! and negation, the escapes `\d \w \s \p{L} \p{N}`, groups with alternation, and the
//! quantifiers `? * + {n} {n,} {n,m}`. Anchors are ignored. Callers check every result
//! against the real regex, so an approximation here can only cost a retry.

use fastrand::Rng;

/// Extra repetitions allowed above the minimum for `*`, `+`, `{n,}` and wide `{n,m}`, so
/// values stay the length of real identifiers.
const MAX_EXTRA_REPEATS: u32 = 8;

/// Characters a negated class or `.` draws from before exclusions.
const DEFAULT_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Literal(char),
    /// Inclusive character ranges; a negated class keeps the default alphabet minus them.
    Class {
        ranges: Vec<(char, char)>,
        negated: bool,
    },
    /// Alternatives, each a sequence.
    Group(Vec<Vec<Node>>),
    Repeat {
        node: Box<Node>,
        min: u32,
        max: u32,
    },
}

/// A parsed pattern that generates matching strings.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternGenerator {
    root: Vec<Vec<Node>>,
}

impl PatternGenerator {
    /// Parses `pattern`, or returns `None` when it uses syntax outside the subset.
    pub fn parse(pattern: &str) -> Option<Self> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut parser = Parser { chars: &chars, at: 0 };
        let root = parser.alternation()?;
        if parser.at != chars.len() {
            return None;
        }
        Some(Self { root })
    }

    pub fn generate(&self, rng: &mut Rng) -> String {
        let mut out = String::new();
        emit_alternatives(&self.root, rng, &mut out);
        out
    }
}

fn emit_alternatives(alternatives: &[Vec<Node>], rng: &mut Rng, out: &mut String) {
    if alternatives.is_empty() {
        return;
    }
    let chosen = &alternatives[rng.usize(..alternatives.len())];
    for node in chosen {
        emit(node, rng, out);
    }
}

fn emit(node: &Node, rng: &mut Rng, out: &mut String) {
    match node {
        Node::Literal(c) => out.push(*c),
        Node::Class { ranges, negated } => {
            if let Some(c) = pick_from_class(ranges, *negated, rng) {
                out.push(c);
            }
        }
        Node::Group(alternatives) => emit_alternatives(alternatives, rng, out),
        Node::Repeat { node, min, max } => {
            let count = rng.u32(*min..=*max);
            for _ in 0..count {
                emit(node, rng, out);
            }
        }
    }
}

fn pick_from_class(ranges: &[(char, char)], negated: bool, rng: &mut Rng) -> Option<char> {
    if negated {
        let allowed: Vec<char> = DEFAULT_ALPHABET
            .iter()
            .map(|&b| b as char)
            .filter(|c| !ranges.iter().any(|(low, high)| (low..=high).contains(&c)))
            .collect();
        return (!allowed.is_empty()).then(|| allowed[rng.usize(..allowed.len())]);
    }
    let (low, high) = *ranges.get(rng.usize(..ranges.len().max(1)))?;
    let span = (high as u32).checked_sub(low as u32)?;
    char::from_u32(low as u32 + rng.u32(0..=span))
}

struct Parser<'a> {
    chars: &'a [char],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += 1;
        Some(c)
    }

    fn alternation(&mut self) -> Option<Vec<Vec<Node>>> {
        let mut alternatives = vec![self.sequence()?];
        while self.peek() == Some('|') {
            self.at += 1;
            alternatives.push(self.sequence()?);
        }
        Some(alternatives)
    }

    fn sequence(&mut self) -> Option<Vec<Node>> {
        let mut nodes = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let Some(atom) = self.atom()? else {
                continue;
            };
            nodes.push(self.quantified(atom)?);
        }
        Some(nodes)
    }

    /// Parses one atom: `Some(None)` for an anchor, `None` for unsupported syntax.
    fn atom(&mut self) -> Option<Option<Node>> {
        let c = self.next()?;
        let node = match c {
            '^' | '$' => return Some(None),
            '(' => {
                if self.peek() == Some('?') {
                    // Only non-capturing and named groups: `(?:...)`, `(?<n>...)`, `(?P<n>...)`.
                    self.at += 1;
                    match self.next()? {
                        ':' => {}
                        '<' | 'P' => while self.next()? != '>' {},
                        _ => return None,
                    }
                }
                let alternatives = self.alternation()?;
                if self.next()? != ')' {
                    return None;
                }
                Node::Group(alternatives)
            }
            '[' => self.class()?,
            '.' => Node::Class { ranges: vec![('a', 'z'), ('0', '9')], negated: false },
            '\\' => self.escape()?,
            '*' | '+' | '?' | '{' | ')' => return None,
            other => Node::Literal(other),
        };
        Some(Some(node))
    }

    fn escape(&mut self) -> Option<Node> {
        let class = |ranges: &[(char, char)]| Node::Class { ranges: ranges.to_vec(), negated: false };
        let node = match self.next()? {
            'd' => class(&[('0', '9')]),
            'w' => class(&[('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')]),
            's' => Node::Literal(' '),
            'p' | 'P' => {
                let name = self.braced_name()?;
                match name.as_str() {
                    "L" | "Ll" | "Lu" => class(&[('a', 'z'), ('A', 'Z')]),
                    "N" | "Nd" => class(&[('0', '9')]),
                    _ => return None,
                }
            }
            c if c.is_ascii_alphanumeric() => return None,
            c => Node::Literal(c),
        };
        Some(node)
    }

    fn braced_name(&mut self) -> Option<String> {
        if self.next()? != '{' {
            return None;
        }
        let mut name = String::new();
        loop {
            match self.next()? {
                '}' => return Some(name),
                c => name.push(c),
            }
        }
    }

    fn class(&mut self) -> Option<Node> {
        let negated = self.peek() == Some('^');
        if negated {
            self.at += 1;
        }
        let mut ranges: Vec<(char, char)> = Vec::new();
        let mut first = true;
        loop {
            let c = self.next()?;
            if c == ']' && !first {
                break;
            }
            first = false;
            let low = if c == '\\' {
                match self.escape()? {
                    Node::Literal(literal) => literal,
                    Node::Class { ranges: escaped, .. } => {
                        ranges.extend(escaped);
                        continue;
                    }
                    _ => return None,
                }
            } else {
                c
            };
            let is_range = self.peek() == Some('-') && self.chars.get(self.at + 1).is_some_and(|&n| n != ']');
            if is_range {
                self.at += 1;
                let high = match self.next()? {
                    '\\' => match self.escape()? {
                        Node::Literal(literal) => literal,
                        _ => return None,
                    },
                    other => other,
                };
                if high < low {
                    return None;
                }
                ranges.push((low, high));
            } else {
                ranges.push((low, low));
            }
        }
        Some(Node::Class { ranges, negated })
    }

    fn quantified(&mut self, atom: Node) -> Option<Node> {
        let (min, max) = match self.peek() {
            Some('?') => (0, 1),
            Some('*') => (0, MAX_EXTRA_REPEATS),
            Some('+') => (1, 1 + MAX_EXTRA_REPEATS),
            Some('{') => return self.counted(atom),
            _ => return Some(atom),
        };
        self.at += 1;
        self.skip_lazy_marker();
        Some(Node::Repeat { node: Box::new(atom), min, max })
    }

    /// `{n}`, `{n,}` or `{n,m}` after an atom.
    fn counted(&mut self, atom: Node) -> Option<Node> {
        self.at += 1;
        let mut text = String::new();
        loop {
            match self.next()? {
                '}' => break,
                c => text.push(c),
            }
        }
        let (min, max) = match text.split_once(',') {
            None => {
                let n = text.trim().parse().ok()?;
                (n, n)
            }
            Some((low, "")) => {
                let n: u32 = low.trim().parse().ok()?;
                (n, n + MAX_EXTRA_REPEATS)
            }
            Some((low, high)) => {
                let low: u32 = low.trim().parse().ok()?;
                let high: u32 = high.trim().parse().ok()?;
                (low, high.min(low + MAX_EXTRA_REPEATS))
            }
        };
        if max < min {
            return None;
        }
        self.skip_lazy_marker();
        Some(Node::Repeat { node: Box::new(atom), min, max })
    }

    fn skip_lazy_marker(&mut self) {
        if self.peek() == Some('?') {
            self.at += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_values_match_their_patterns() {
        let patterns = [
            r"^MG[0-9a-fA-F]{32}$",
            r"^se(-[a-z0-9]+)+$",
            r"[1-5]\d\d",
            r"^\d+\.\d+\.\d+$",
            r"^sha256:[a-f0-9]{64}$",
            r"^[-._\p{L}\p{N}]+$",
            r"^[^*#&+:<>?]+$",
            r"^[a-z0-9]([a-z0-9\-]*[a-z0-9])?$",
            r"^sprites(@2x)?\.(png|json)$",
        ];
        let mut rng = Rng::with_seed(7);
        for pattern in patterns {
            let generator = PatternGenerator::parse(pattern).unwrap_or_else(|| panic!("cannot parse {pattern}"));
            let regex = regex::Regex::new(pattern).unwrap();
            for _ in 0..20 {
                let value = generator.generate(&mut rng);
                assert!(regex.is_match(&value), "{value:?} does not match {pattern}");
            }
        }
    }

    #[test]
    fn unsupported_syntax_is_rejected() {
        assert_eq!(PatternGenerator::parse(r"(?=x)a"), None);
        assert_eq!(PatternGenerator::parse(r"\bword"), None);
        assert_eq!(PatternGenerator::parse(r"a{3"), None);
    }
}
