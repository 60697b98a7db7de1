//! A SQL lexer that turns text into typed tokens, tolerant of every dialect's quirks
//! that attackers use: MySQL `#` comments and `/*! ... */` executable comments, `--`
//! comments, block comments as whitespace, backtick and bracket identifiers, `N'...'` and
//! `X'...'` literals, `@var` and `@@var` variables, PostgreSQL `::` casts and `$$` strings.
//!
//! The lexer can start inside a string literal (the value was placed between quotes by
//! the application), in which case the first token is the rest of that literal.

/// The type of a token. Keywords are grouped by their role in a statement, because the
/// analysis only needs to know what may follow what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Numeric literal, or `NULL`, `TRUE`, `FALSE`.
    Number,
    /// String literal; `open` strings run to the end of the input.
    String,
    /// Identifier: bare, dotted (`a.b`), backtick- or bracket-quoted.
    Word,
    /// `@name`, `@@name`.
    Variable,
    /// Identifier directly followed by `(`.
    Function,
    /// `AND`, `OR`, `XOR`, `&&`, `||`.
    Logic,
    /// `NOT`, `!`.
    Not,
    /// `=`, `<>`, `LIKE`, `IN`, `IS`, `BETWEEN`, `REGEXP`, `SOUNDS LIKE`, ...
    Compare,
    /// `+ - * / % ^ & | ~ << >> ::`, `DIV`, `MOD`.
    Arith,
    LParen,
    RParen,
    Comma,
    Semicolon,
    /// `UNION`, `UNION ALL`, `UNION DISTINCT`, also `INTERSECT`, `EXCEPT`, `MINUS`.
    Union,
    /// `SELECT`, with `DISTINCT`, `ALL` or `TOP n` folded in.
    Select,
    /// Keywords that start other statements: `INSERT`, `DROP`, `EXEC`, `WAITFOR`, ...
    Statement,
    /// `FROM`, `WHERE`, `GROUP BY`, `ORDER BY`, `HAVING`, `LIMIT`, `INTO`, `JOIN`, ...
    Clause,
    As,
    Case,
    /// `WHEN`, `THEN`, `ELSE`.
    CaseBranch,
    End,
    /// A line comment, or a block comment left open: the rest of the input is ignored.
    Comment,
    /// Punctuation that SQL does not use between expressions.
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
    /// For strings: true when the input ended inside the literal.
    pub open: bool,
}

/// The state the lexer starts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Outside any literal, as a value placed in SQL without quotes.
    Bare,
    /// Inside a literal opened with this quote character by the application.
    InString(u8),
}

pub struct Lexer<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Inside a MySQL `/*! ... */` executable comment, whose `*/` is whitespace.
    in_executable_comment: bool,
    start: Option<Start>,
}

impl<'a> Lexer<'a> {
    pub fn new(text: &'a str, start: Start) -> Self {
        Self { bytes: text.as_bytes(), pos: 0, in_executable_comment: false, start: Some(start) }
    }

    fn peek(&self, offset: usize) -> u8 {
        self.bytes.get(self.pos + offset).copied().unwrap_or(0)
    }

    /// Skips whitespace and closed block comments; returns a comment token when the rest
    /// of the input is a comment.
    #[inline]
    fn skip_space(&mut self) -> Option<Token> {
        while let Some(&b) = self.bytes.get(self.pos) {
            match b {
                b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' => self.pos += 1,
                b'/' if self.peek(1) == b'*' => {
                    if let Some(comment) = self.skip_block_comment() {
                        return Some(comment);
                    }
                }
                b'*' if self.peek(1) == b'/' && self.in_executable_comment => {
                    self.in_executable_comment = false;
                    self.pos += 2;
                }
                _ => return None,
            }
        }
        None
    }

    /// Skips the block comment that starts at `self.pos`. Of a MySQL executable comment it
    /// skips only the opening `/*!NNNNN`. Returns a comment token when the comment is open.
    fn skip_block_comment(&mut self) -> Option<Token> {
        if self.peek(2) == b'!' {
            // MySQL runs the contents of /*!NNNNN ... */ as code.
            self.pos += 3;
            while self.peek(0).is_ascii_digit() {
                self.pos += 1;
            }
            self.in_executable_comment = true;
            return None;
        }
        match find(self.bytes, self.pos + 2, b"*/") {
            Some(end) => {
                self.pos = end + 2;
                None
            }
            None => Some(self.comment_to_end()),
        }
    }

    fn comment_to_end(&mut self) -> Token {
        let token = Token { kind: Kind::Comment, start: self.pos, end: self.bytes.len(), open: false };
        self.pos = self.bytes.len();
        token
    }

    /// Lexes the rest of a string literal from `self.pos`, which follows the opening quote
    /// or is the input start for a literal the application opened. The token starts at
    /// `start`.
    fn string_body(&mut self, quote: u8, start: usize, backslash_escapes: bool) -> Token {
        while let Some(rest) = self.bytes.get(self.pos..) {
            let found =
                if backslash_escapes { memchr::memchr2(quote, b'\\', rest) } else { memchr::memchr(quote, rest) };
            let Some(offset) = found else { break };
            self.pos += offset;
            // A backslash, searched for only with `backslash_escapes`, escapes the next byte.
            // A doubled quote stands for one quote.
            if self.bytes[self.pos] == b'\\' || self.peek(1) == quote {
                self.pos += 2;
                continue;
            }
            self.pos += 1;
            return Token { kind: Kind::String, start, end: self.pos, open: false };
        }
        self.pos = self.bytes.len();
        Token { kind: Kind::String, start, end: self.pos, open: true }
    }

    /// Returns the end of the identifier bytes that start at `at`, which is `at` itself
    /// when there are none.
    fn word_end(&self, mut at: usize) -> usize {
        while self.bytes.get(at).is_some_and(|&b| WORD_BYTES[b as usize]) {
            at += 1;
        }
        at
    }

    fn token(&self, kind: Kind, start: usize) -> Token {
        Token { kind, start, end: self.pos, open: false }
    }

    /// True when the next non-space byte after `at` is `(`.
    fn followed_by_paren(&self, mut at: usize) -> bool {
        while at < self.bytes.len() {
            match self.bytes[at] {
                b if b.is_ascii_whitespace() => at += 1,
                b'/' if self.bytes.get(at + 1) == Some(&b'*') => match find(self.bytes, at + 2, b"*/") {
                    Some(end) => at = end + 2,
                    None => return false,
                },
                b'(' => return true,
                _ => return false,
            }
        }
        false
    }

    /// Position after the next word if it is one of `words` (case-insensitive), skipping
    /// whitespace and block comments before it.
    fn next_word_is(&self, words: &[&str]) -> Option<usize> {
        let mut at = self.pos;
        loop {
            match self.bytes.get(at) {
                Some(b) if b.is_ascii_whitespace() => at += 1,
                Some(b'/') if self.bytes.get(at + 1) == Some(&b'*') => {
                    at = find(self.bytes, at + 2, b"*/")? + 2;
                }
                _ => break,
            }
        }
        let end = self.word_end(at);
        let word = &self.bytes[at..end];
        words.iter().any(|w| w.as_bytes().eq_ignore_ascii_case(word)).then_some(end)
    }

    fn lex_word(&mut self, start: usize) -> Token {
        let mut end = self.word_end(start);
        let mut dotted = false;
        // Dotted names (`db.table.column`, `master..xp_cmdshell`) are one identifier.
        while end < self.bytes.len() && self.bytes[end] == b'.' {
            let mut next = end;
            while next < self.bytes.len() && self.bytes[next] == b'.' {
                next += 1;
            }
            let after = self.bytes.get(next).copied().unwrap_or(0);
            if after.is_ascii_alphabetic() || after == b'_' || after == b'`' || after == b'*' {
                dotted = true;
                end = if after == b'`' {
                    find(self.bytes, next + 1, b"`").map(|e| e + 1).unwrap_or(self.bytes.len())
                } else if after == b'*' {
                    next + 1
                } else {
                    self.word_end(next)
                };
            } else {
                break;
            }
        }
        self.pos = end;
        if dotted {
            let kind = if self.followed_by_paren(end) { Kind::Function } else { Kind::Word };
            return self.token(kind, start);
        }

        let kind = match keyword(&self.bytes[start..end]) {
            Some(Keyword::Plain(kind)) => kind,
            Some(Keyword::UnionLike) => {
                if let Some(after) = self.next_word_is(&["all", "distinct"]) {
                    self.pos = after;
                }
                Kind::Union
            }
            Some(Keyword::SelectLike) => {
                if let Some(after) = self.next_word_is(&["distinct", "all", "distinctrow", "straight_join"]) {
                    self.pos = after;
                }
                // T-SQL `SELECT TOP 1`.
                if let Some(after) = self.next_word_is(&["top"]) {
                    let number_start =
                        after + self.bytes[after..].iter().take_while(|b| b.is_ascii_whitespace()).count();
                    let number_end =
                        number_start + self.bytes[number_start..].iter().take_while(|b| b.is_ascii_digit()).count();
                    if number_end > number_start {
                        self.pos = number_end;
                    }
                }
                Kind::Select
            }
            Some(Keyword::NeedsBy) => match self.next_word_is(&["by"]) {
                Some(after) => {
                    self.pos = after;
                    Kind::Clause
                }
                None => Kind::Word,
            },
            Some(Keyword::Sounds) => match self.next_word_is(&["like"]) {
                Some(after) => {
                    self.pos = after;
                    Kind::Compare
                }
                None => Kind::Word,
            },
            Some(Keyword::JoinModifier) => match self.next_word_is(&["join", "outer"]) {
                Some(after) => {
                    self.pos = after;
                    if let Some(after) = self.next_word_is(&["join"]) {
                        self.pos = after;
                    }
                    Kind::Clause
                }
                None => Kind::Word,
            },
            // Full-text modifiers close a `MATCH ... AGAINST (...)` operand like `END`
            // closes a `CASE`.
            Some(Keyword::In) => match self.next_word_is(&["boolean", "natural"]) {
                Some(after) => {
                    self.pos = after;
                    for word in ["language", "mode"] {
                        if let Some(after) = self.next_word_is(&[word]) {
                            self.pos = after;
                        }
                    }
                    Kind::End
                }
                None => Kind::Compare,
            },
            Some(Keyword::With) => match self.next_word_is(&["query"]) {
                Some(after) => {
                    self.pos = after;
                    if let Some(after) = self.next_word_is(&["expansion"]) {
                        self.pos = after;
                    }
                    Kind::End
                }
                None => Kind::Word,
            },
            Some(Keyword::For) => match self.next_word_is(&["update", "share"]) {
                Some(after) => {
                    self.pos = after;
                    Kind::End
                }
                None => Kind::Word,
            },
            Some(Keyword::Lock) => match self.next_word_is(&["in"]) {
                Some(after) => {
                    let before_in = self.pos;
                    self.pos = after;
                    let mode_end = self.next_word_is(&["share"]).map(|a| {
                        self.pos = a;
                        self.next_word_is(&["mode"])
                    });
                    match mode_end.flatten() {
                        Some(end) => {
                            self.pos = end;
                            Kind::End
                        }
                        None => {
                            self.pos = before_in;
                            Kind::Word
                        }
                    }
                }
                None => Kind::Word,
            },
            Some(Keyword::Waitfor) => {
                if let Some(after) = self.next_word_is(&["delay", "time"]) {
                    self.pos = after;
                }
                Kind::Statement
            }
            None => Kind::Word,
        };
        // Keywords that are also function names (`left(`, `replace(`, `if(`) are calls
        // when followed by a parenthesis.
        if matches!(kind, Kind::Word | Kind::Statement | Kind::Arith) && self.pos == end && self.followed_by_paren(end)
        {
            return self.token(Kind::Function, start);
        }
        self.token(kind, start)
    }

    fn lex_number(&mut self, start: usize) -> Token {
        let bytes = self.bytes;
        let mut at = start;
        if bytes[at] == b'0' && matches!(bytes.get(at + 1), Some(b'x' | b'X' | b'b' | b'B')) {
            at += 2;
            while at < bytes.len() && bytes[at].is_ascii_hexdigit() {
                at += 1;
            }
        } else {
            while at < bytes.len() && bytes[at].is_ascii_digit() {
                at += 1;
            }
            if bytes.get(at) == Some(&b'.') {
                at += 1;
                while at < bytes.len() && bytes[at].is_ascii_digit() {
                    at += 1;
                }
            }
            if matches!(bytes.get(at), Some(b'e' | b'E')) {
                let mut exp = at + 1;
                if matches!(bytes.get(exp), Some(b'+' | b'-')) {
                    exp += 1;
                }
                if bytes.get(exp).is_some_and(|b| b.is_ascii_digit()) {
                    at = exp;
                    while at < bytes.len() && bytes[at].is_ascii_digit() {
                        at += 1;
                    }
                }
            }
        }
        // Digits followed by letters are an identifier in MySQL (`3rd`, `5x8r0r`), except
        // that a keyword right after a number is read as a keyword (`1union select`).
        let after = bytes.get(at).copied().unwrap_or(0);
        if after.is_ascii_alphabetic() || after == b'_' || after >= 0x80 {
            let letters_end = at + bytes[at..].iter().take_while(|b| b.is_ascii_alphabetic()).count();
            let word_end = self.word_end(at);
            if letters_end != word_end || keyword(&bytes[at..letters_end]).is_none() {
                return self.lex_word(start);
            }
        }
        self.pos = at;
        self.token(Kind::Number, start)
    }
}

impl Iterator for Lexer<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        if let Some(token) = self.start_token() {
            return Some(token);
        }
        self.lex_token()
    }
}

impl Lexer<'_> {
    /// Appends the tokens to `tokens` until the input ends or `tokens` contains `max` tokens.
    /// The result is the same as `tokens.extend(self.take(max - tokens.len()))`, with the
    /// check of the start state done once rather than per token.
    pub fn lex_into(mut self, tokens: &mut Vec<Token>, max: usize) {
        if tokens.len() >= max {
            return;
        }
        if let Some(token) = self.start_token() {
            tokens.push(token);
        }
        while tokens.len() < max {
            match self.lex_token() {
                Some(token) => tokens.push(token),
                None => break,
            }
        }
    }

    /// Returns the first token, once, when the lexer starts inside a literal.
    fn start_token(&mut self) -> Option<Token> {
        if let Some(Start::InString(quote)) = self.start.take() {
            // The application's quote opened the literal. Backslashes are not escapes here,
            // because `\'` breaks out of a literal whose quotes the application escaped with
            // backslashes.
            return Some(self.string_body(quote, 0, false));
        }
        None
    }

    /// Lexes the next token outside the start state.
    #[inline(always)]
    fn lex_token(&mut self) -> Option<Token> {
        if let Some(comment) = self.skip_space() {
            return Some(comment);
        }
        if self.pos >= self.bytes.len() {
            return None;
        }

        let start = self.pos;
        let b = self.bytes[start];
        let next = self.peek(1);
        let kind = match b {
            b'\'' | b'"' => {
                self.pos += 1;
                return Some(self.string_body(b, start, true));
            }
            b'`' => {
                self.pos = find(self.bytes, start + 1, b"`").map(|e| e + 1).unwrap_or(self.bytes.len());
                if self.followed_by_paren(self.pos) { Kind::Function } else { Kind::Word }
            }
            b'[' => match find(self.bytes, start + 1, b"]") {
                Some(end) if end > start + 1 && end - start < 130 => {
                    self.pos = end + 1;
                    Kind::Word
                }
                _ => {
                    self.pos += 1;
                    Kind::Unknown
                }
            },
            b'#' => return Some(self.comment_to_end_of_line()),
            b'-' if next == b'-' => return Some(self.comment_to_end_of_line()),
            b'0'..=b'9' => return Some(self.lex_number(start)),
            b'.' if next.is_ascii_digit() => return Some(self.lex_number(start)),
            b'@' => {
                let mut at = start + 1;
                if self.peek(1) == b'@' {
                    at += 1;
                }
                if matches!(self.bytes.get(at), Some(b'\'' | b'"' | b'`')) {
                    let quote = self.bytes[at];
                    self.pos = at + 1;
                    let _ = self.string_body(quote, start, true);
                    Kind::Variable
                } else {
                    let end = self.word_end(at);
                    self.pos = end.max(start + 1);
                    if end > at { Kind::Variable } else { Kind::Unknown }
                }
            }
            // MySQL writes NULL as `\N`.
            b'\\' if next == b'N' && !self.peek(2).is_ascii_alphanumeric() => {
                self.pos += 2;
                Kind::Number
            }
            b'$' if next == b'$' => {
                self.pos = find(self.bytes, start + 2, b"$$").map(|e| e + 2).unwrap_or(self.bytes.len());
                Kind::String
            }
            b'(' => self.single(Kind::LParen),
            b')' => self.single(Kind::RParen),
            b',' => self.single(Kind::Comma),
            b';' => self.single(Kind::Semicolon),
            b'=' => self.operator(&[b"=="], Kind::Compare),
            b'<' => self.operator(&[b"<=>", b"<<", b"<=", b"<>"], Kind::Compare),
            b'>' => self.operator(&[b">>", b">="], Kind::Compare),
            b'!' if next == b'=' || next == b'<' || next == b'>' => {
                self.pos += 2;
                Kind::Compare
            }
            b'!' => self.single(Kind::Not),
            b'|' if next == b'|' => {
                self.pos += 2;
                Kind::Logic
            }
            b'&' if next == b'&' => {
                self.pos += 2;
                Kind::Logic
            }
            b':' if next == b':' => {
                self.pos += 2;
                Kind::Arith
            }
            b':' if next == b'=' => {
                self.pos += 2;
                Kind::Compare
            }
            b'-' if next == b'>' => {
                self.pos += if self.peek(2) == b'>' { 3 } else { 2 };
                Kind::Arith
            }
            b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'&' | b'|' | b'~' => self.single(Kind::Arith),
            b if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 => {
                // N'..', X'..', B'..', E'..' literals.
                if matches!(b | 0x20, b'n' | b'x' | b'b' | b'e') && next == b'\'' {
                    self.pos += 2;
                    return Some(self.string_body(b'\'', start, true));
                }
                return Some(self.lex_word(start));
            }
            _ => self.single(Kind::Unknown),
        };
        Some(self.token(kind, start))
    }

    fn single(&mut self, kind: Kind) -> Kind {
        self.pos += 1;
        kind
    }

    fn operator(&mut self, longer: &[&[u8]], kind: Kind) -> Kind {
        for candidate in longer {
            if self.bytes[self.pos..].starts_with(candidate) {
                self.pos += candidate.len();
                let is_shift = *candidate == b"<<" || *candidate == b">>";
                return if is_shift { Kind::Arith } else { kind };
            }
        }
        self.pos += 1;
        kind
    }

    /// Lexes a `--` or `#` comment, which runs to the end of the line. A following line is
    /// lexed again, so a newline cannot hide code.
    fn comment_to_end_of_line(&mut self) -> Token {
        let start = self.pos;
        let end = self.bytes[start..].iter().position(|&b| b == b'\n').map(|p| start + p).unwrap_or(self.bytes.len());
        self.pos = end;
        Token { kind: Kind::Comment, start, end, open: false }
    }
}

/// Bytes that continue an identifier: ASCII letters and digits, `_`, `$` and every byte of
/// a multi-byte character.
static WORD_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'$' || byte >= 0x80;
        b += 1;
    }
    table
};

fn find(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from > haystack.len() {
        return None;
    }
    haystack[from..].windows(needle.len()).position(|w| w == needle).map(|p| from + p)
}

enum Keyword {
    Plain(Kind),
    UnionLike,
    SelectLike,
    /// `ORDER` and `GROUP`, which are clauses only before `BY`.
    NeedsBy,
    /// `SOUNDS`, a comparison only before `LIKE`.
    Sounds,
    /// `INNER`, `LEFT`, `CROSS`, ... before `JOIN`.
    JoinModifier,
    Waitfor,
    /// `IN`, a comparison, or the start of the full-text modifiers `IN BOOLEAN MODE` and
    /// `IN NATURAL LANGUAGE MODE`.
    In,
    /// `WITH QUERY EXPANSION`, a full-text modifier; otherwise a name.
    With,
    /// `FOR UPDATE`, a locking suffix that ends a query; otherwise a name.
    For,
    /// `LOCK IN SHARE MODE`, the older spelling of `FOR SHARE`; otherwise a name.
    Lock,
}

/// Classifies a word; `None` for identifiers.
fn keyword(word: &[u8]) -> Option<Keyword> {
    if word.len() > 12 || word.len() < 2 {
        return None;
    }
    // Every keyword is lower-case ASCII letters, and setting bit 0x20 turns a byte into a
    // lower-case letter only when it is that letter in either case. So the folded word
    // equals a keyword exactly when the lower-cased word does.
    let mut buffer = [0u8; 12];
    for (folded, &b) in buffer.iter_mut().zip(word) {
        *folded = b | 0x20;
    }

    use Kind::*;
    let keyword = match &buffer[..word.len()] {
        b"and" | b"or" | b"xor" => Keyword::Plain(Logic),
        b"not" => Keyword::Plain(Not),
        b"in" => Keyword::In,
        b"with" => Keyword::With,
        b"like" | b"rlike" | b"ilike" | b"regexp" | b"is" | b"between" | b"glob" | b"similar" => {
            Keyword::Plain(Compare)
        }
        b"sounds" => Keyword::Sounds,
        b"div" | b"mod" | b"collate" | b"binary" => Keyword::Plain(Arith),
        b"null" | b"true" | b"false" | b"unknown" => Keyword::Plain(Number),
        b"union" | b"intersect" | b"except" | b"minus" => Keyword::UnionLike,
        b"select" => Keyword::SelectLike,
        b"insert" | b"update" | b"delete" | b"drop" | b"create" | b"alter" | b"truncate" | b"exec" | b"execute"
        | b"declare" | b"shutdown" | b"grant" | b"revoke" | b"call" | b"merge" | b"prepare" | b"deallocate"
        | b"handler" | b"begin" | b"commit" | b"rollback" | b"set" | b"load" | b"rename" | b"backup" => {
            Keyword::Plain(Statement)
        }
        b"waitfor" => Keyword::Waitfor,
        b"from" | b"where" | b"having" | b"limit" | b"offset" | b"into" | b"procedure" | b"join" | b"on" | b"using"
        | b"asc" | b"desc" | b"fetch" | b"returning" | b"values" | b"window" | b"outfile" | b"dumpfile" => {
            Keyword::Plain(Clause)
        }
        b"order" | b"group" => Keyword::NeedsBy,
        b"inner" | b"left" | b"right" | b"cross" | b"full" | b"natural" | b"outer" => Keyword::JoinModifier,
        b"for" => Keyword::For,
        b"lock" => Keyword::Lock,
        b"as" => Keyword::Plain(As),
        b"case" => Keyword::Plain(Case),
        b"when" | b"then" | b"else" => Keyword::Plain(CaseBranch),
        b"end" => Keyword::Plain(End),
        _ => return None,
    };
    Some(keyword)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str, start: Start) -> Vec<Kind> {
        Lexer::new(text, start).map(|t| t.kind).collect()
    }

    #[test]
    fn lexes_tautology() {
        use Kind::*;
        assert_eq!(kinds("1 OR 1=1 -- x", Start::Bare), vec![Number, Logic, Number, Compare, Number, Comment]);
    }

    #[test]
    fn starts_inside_string() {
        use Kind::*;
        assert_eq!(kinds("x' or 'a'='a", Start::InString(b'\'')), vec![String, Logic, String, Compare, String]);
        let tokens: Vec<Token> = Lexer::new("x' or 'a'='a", Start::InString(b'\'')).collect();
        assert!(tokens[4].open);
    }

    #[test]
    fn doubled_quote_stays_in_string() {
        let tokens: Vec<Token> = Lexer::new("O''Brien", Start::InString(b'\'')).collect();
        assert_eq!(tokens.len(), 1);
        assert!(tokens[0].open);
    }

    #[test]
    fn folds_compound_keywords() {
        use Kind::*;
        assert_eq!(kinds("union all select", Start::Bare), vec![Union, Select]);
        assert_eq!(kinds("order by 1", Start::Bare), vec![Clause, Number]);
        assert_eq!(kinds("order", Start::Bare), vec![Word]);
        assert_eq!(kinds("waitfor delay '0:0:5'", Start::Bare), vec![Statement, String]);
        assert_eq!(kinds("x in boolean mode)", Start::Bare), vec![Word, End, RParen]);
        assert_eq!(kinds("x in (1)", Start::Bare), vec![Word, Compare, LParen, Number, RParen]);
    }

    #[test]
    fn block_comments_are_space() {
        use Kind::*;
        assert_eq!(kinds("1/**/union/**/select", Start::Bare), vec![Number, Union, Select]);
        assert_eq!(kinds("1 /*!50000union*/ select", Start::Bare), vec![Number, Union, Select]);
        assert_eq!(kinds("1 /* open", Start::Bare), vec![Number, Comment]);
    }

    #[test]
    fn functions_and_names() {
        use Kind::*;
        assert_eq!(kinds("sleep (5)", Start::Bare), vec![Function, LParen, Number, RParen]);
        assert_eq!(kinds("master..xp_cmdshell 'x'", Start::Bare), vec![Word, String]);
        assert_eq!(kinds("left(a,1)", Start::Bare), vec![Function, LParen, Word, Comma, Number, RParen]);
        assert_eq!(kinds("@@version", Start::Bare), vec![Variable]);
        assert_eq!(kinds("3rd", Start::Bare), vec![Word]);
    }

    #[test]
    fn dialect_suffixes_and_null() {
        use Kind::*;
        assert_eq!(kinds("1 for update", Start::Bare), vec![Number, End]);
        assert_eq!(kinds("1 lock in share mode", Start::Bare), vec![Number, End]);
        assert_eq!(kinds("lock in share", Start::Bare), vec![Word, Compare, Word]);
        assert_eq!(kinds("for you", Start::Bare), vec![Word, Word]);
        assert_eq!(kinds("\\N", Start::Bare), vec![Number]);
        assert_eq!(kinds("binary 1", Start::Bare), vec![Arith, Number]);
    }

    #[test]
    fn lex_into_matches_iterator() {
        let inputs = [
            "1 OR 1=1 -- x",
            "x' or 'a'='a",
            "a\\' or \"b\" = 'c\\'d' /* open",
            "1/**/union/*!50000select*/ 2 #x\nfrom t",
            "",
        ];
        for text in inputs {
            for start in [Start::Bare, Start::InString(b'\''), Start::InString(b'"')] {
                for max in [0, 1, 3, 384] {
                    let mut tokens = Vec::new();
                    Lexer::new(text, start).lex_into(&mut tokens, max);
                    let expected: Vec<Token> = Lexer::new(text, start).take(max).collect();
                    assert_eq!(tokens, expected, "text {text:?}, start {start:?}, max {max}");
                }
            }
        }
    }

    #[test]
    fn backslash_escapes_only_in_lexed_strings() {
        use Kind::*;
        assert_eq!(kinds("'a\\'b' x", Start::Bare), vec![String, Word]);
        assert_eq!(kinds("\"a\\\"\" x", Start::Bare), vec![String, Word]);
        // The application's literal ends at the first quote, escaped or not.
        let tokens: Vec<Token> = Lexer::new("a\\' or 1", Start::InString(b'\'')).collect();
        assert_eq!((tokens[0].end, tokens[0].open), (3, false));
        assert_eq!(kinds("'a\\", Start::Bare), vec![String]);
    }

    #[test]
    fn keywords_ignore_ascii_case() {
        assert!(matches!(keyword(b"UnIoN"), Some(Keyword::UnionLike)));
        assert!(matches!(keyword(b"SELECT"), Some(Keyword::SelectLike)));
        assert!(keyword(b"union_").is_none());
        // Every two-byte word: a keyword exactly when it is one in lower case.
        let two_letter = [b"or", b"in", b"is", b"on", b"as"];
        for first in 0..=255u8 {
            for second in 0..=255u8 {
                let word = [first, second];
                let lower = word.to_ascii_lowercase();
                assert_eq!(keyword(&word).is_some(), two_letter.iter().any(|k| k[..] == lower[..]), "{word:?}");
            }
        }
    }

    #[test]
    fn newline_ends_line_comment() {
        use Kind::*;
        assert_eq!(kinds("1 #x\nunion select", Start::Bare), vec![Number, Comment, Union, Select]);
    }
}
