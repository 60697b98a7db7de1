//! Windows `cmd.exe` control statements: `FOR` loops and `IF` conditions.
//!
//! Prose uses "for" and "if" all the time, so a statement counts only with syntax that
//! cmd.exe requires and prose lacks. A `FOR` needs a `%` loop variable followed by
//! `IN (` and a later `DO`. An `IF` needs a cmd.exe condition (`EXIST`, `DEFINED`,
//! `ERRORLEVEL`, `CMDEXTVERSION`, `==` between two single operands, or one of `EQU`,
//! `NEQ`, `LSS`, `LEQ`, `GTR`, `GEQ`) followed by a command, `(` or `@`. An `IF` that
//! compares a `%` variable needs no command after it.

/// Words that cmd.exe runs itself; with the caller's command list they make the command
/// after an `IF` condition.
const BUILTINS: &[&str] = &[
    "call", "cd", "chdir", "cls", "copy", "del", "dir", "echo", "endlocal", "erase", "exit", "for", "goto", "if", "md",
    "mkdir", "move", "pause", "popd", "pushd", "rd", "rem", "ren", "rename", "rmdir", "set", "setlocal", "shift",
    "start", "title", "type",
];

/// Comparison operators of `IF`.
const COMPARISONS: &[&str] = &["equ", "neq", "lss", "leq", "gtr", "geq"];

/// Maximum length of a statement examined, in bytes. cmd.exe lines in attacks are short.
const MAX_STATEMENT: usize = 512;

/// Finds a `FOR` or `IF` statement at the start of `text` or after a command separator
/// (`&`, `|`, `;`, `(`, a line break), and returns its offset. `is_command` returns whether
/// a lower-case word is a known command.
pub(super) fn find_statement(text: &[u8], is_command: impl Fn(&str) -> bool) -> Option<usize> {
    if !has_keyword_start(text) {
        return None;
    }
    let mut start = 0;
    loop {
        let at = skip_blanks(text, start);
        let at = if text.get(at) == Some(&b'@') { at + 1 } else { at };
        if is_statement(&text[at..], &is_command) {
            return Some(at);
        }

        // Jump to the next separator.
        let next = text[start..].iter().position(|b| matches!(b, b'&' | b'|' | b';' | b'(' | b'\n' | b'\r'))?;
        start += next + 1;
    }
}

/// True when `text` contains `if` or `fo` in any case, because the keyword of every
/// statement starts with one of them.
fn has_keyword_start(text: &[u8]) -> bool {
    super::gate::any_pair(text, |a, b| {
        let (a, b) = (a | 0x20, b | 0x20);
        ((a == b'i') & (b == b'f')) | ((a == b'f') & (b == b'o'))
    })
}

fn is_statement(text: &[u8], is_command: &impl Fn(&str) -> bool) -> bool {
    let text = &text[..text.len().min(MAX_STATEMENT)];
    if let Some(rest) = keyword(text, b"for") {
        return is_for_loop(rest);
    }
    if let Some(rest) = keyword(text, b"if") {
        return is_if_condition(rest, is_command);
    }
    false
}

/// `FOR [/D] [/R path] [/L] [/F "options"] %v IN (set) DO command`.
fn is_for_loop(text: &[u8]) -> bool {
    let mut i = 0;
    // Switches, their path or option string, then the loop variable.
    for _ in 0..8 {
        i = skip_blanks(text, i);
        let Some((token, end)) = token(text, i) else { return false };
        if token[0] == b'%' {
            if token.len() > 24 {
                return false;
            }
            let Some(rest) = keyword(&text[skip_blanks(text, end)..], b"in") else { return false };
            let open = skip_blanks(rest, 0);
            if rest.get(open) != Some(&b'(') {
                return false;
            }
            return has_do(&rest[open..]);
        }
        let is_option = token[0] == b'/'
            || token[0] == b'"'
            || token.starts_with(b"\\\"")
            || (token.len() >= 2 && token[0].is_ascii_alphabetic() && token[1] == b':');
        if !is_option {
            return false;
        }
        i = end;
    }
    false
}

/// True when the word `do` follows the `(` that `text` starts with.
fn has_do(text: &[u8]) -> bool {
    text.windows(2).enumerate().any(|(i, pair)| {
        pair.eq_ignore_ascii_case(b"do")
            && i > 0
            && matches!(text[i - 1], b')' | b' ' | b'\t')
            && text.get(i + 2).is_none_or(|b| matches!(b, b' ' | b'\t' | b'(' | b'@'))
    })
}

/// `IF [/I] [NOT] condition command`.
fn is_if_condition(text: &[u8], is_command: &impl Fn(&str) -> bool) -> bool {
    let mut i = skip_blanks(text, 0);
    if text.get(i) == Some(&b'/') && text.get(i + 1).is_some_and(|b| b.eq_ignore_ascii_case(&b'i')) {
        i += 2;
    }
    i = skip_blanks(text, i);
    if let Some(rest) = keyword(&text[i..], b"not") {
        i = text.len() - rest.len();
    }
    i = skip_blanks(text, i);

    // IF EXIST file, IF DEFINED name, IF ERRORLEVEL n, IF CMDEXTVERSION n.
    for condition in [&b"exist"[..], b"defined", b"errorlevel", b"cmdextversion"] {
        if let Some(rest) = keyword(&text[i..], condition) {
            let operand = skip_blanks(rest, 0);
            let Some((_, end)) = token(rest, operand) else { return false };
            return starts_command(&rest[end..], is_command);
        }
    }

    // IF a==b, IF "a" == "b", IF a EQU b.
    let Some((left, left_end)) = token(text, i) else { return false };
    let mut right_start = match left.windows(2).position(|pair| pair == b"==") {
        // `a==b` is one token; the right operand follows the operator.
        Some(at) => i + at + 2,
        None => {
            let operator = skip_blanks(text, left_end);
            if text[operator..].starts_with(b"==") {
                operator + 2
            } else {
                let Some((word, end)) = token(text, operator) else { return false };
                let word = word.to_ascii_lowercase();
                if !COMPARISONS.iter().any(|c| c.as_bytes() == word.as_slice()) {
                    return false;
                }
                end
            }
        }
    };
    while text.get(right_start) == Some(&b'=') {
        right_start += 1;
    }
    let right_start = skip_blanks(text, right_start);
    let right_end = token(text, right_start).map_or(right_start, |(_, end)| end);
    let condition = &text[i..right_end];
    if right_end == right_start && !condition.contains(&b'%') {
        return false;
    }
    // A `%` variable is cmd.exe syntax by itself.
    condition.contains(&b'%') || starts_command(&text[right_end..], is_command)
}

/// True when `text`, after blanks, starts with `(`, `@` or a known command word.
fn starts_command(text: &[u8], is_command: &impl Fn(&str) -> bool) -> bool {
    let start = skip_blanks(text, 0);
    let Some(&first) = text.get(start) else { return false };
    if matches!(first, b'(' | b'@') {
        return true;
    }
    let end =
        text[start..].iter().position(|b| !b.is_ascii_alphanumeric() && *b != b'_').map_or(text.len(), |p| start + p);
    if end == start || end - start > 16 {
        return false;
    }
    let word = text[start..end].to_ascii_lowercase();
    let Ok(word) = std::str::from_utf8(&word) else { return false };
    BUILTINS.contains(&word) || is_command(word)
}

/// Returns the text after `word` when `text` starts with it (in any case) followed by a
/// blank, `/`, `(` or `"`.
fn keyword<'a>(text: &'a [u8], word: &[u8]) -> Option<&'a [u8]> {
    let head = text.get(..word.len())?;
    if !head.eq_ignore_ascii_case(word) {
        return None;
    }
    let rest = &text[word.len()..];
    matches!(rest.first(), Some(b' ' | b'\t' | b'/' | b'(' | b'"')).then_some(rest)
}

/// Reads the token at `text[start..]`: a `"quoted string"` (spaces included, `\"` allowed
/// at its start) or a run of non-blank bytes. Returns it with its end offset.
fn token(text: &[u8], start: usize) -> Option<(&[u8], usize)> {
    let first = *text.get(start)?;
    if first.is_ascii_whitespace() {
        return None;
    }
    let quote = if first == b'"' {
        Some(start + 1)
    } else if first == b'\\' && text.get(start + 1) == Some(&b'"') {
        Some(start + 2)
    } else {
        None
    };
    let end = match quote {
        Some(inner) => text[inner..].iter().position(|&b| b == b'"').map_or(text.len(), |p| inner + p + 1),
        None => text[start..].iter().position(u8::is_ascii_whitespace).map_or(text.len(), |p| start + p),
    };
    Some((&text[start..end], end))
}

fn skip_blanks(text: &[u8], mut i: usize) -> usize {
    while i < text.len() && matches!(text[i], b' ' | b'\t') {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(text: &str) -> Option<usize> {
        find_statement(text.as_bytes(), |word| matches!(word, "cmd" | "whoami" | "net"))
    }

    #[test]
    fn batch_statements_found() {
        let cases = [
            ("for loop", "for %x in (a b) do echo %x", 0),
            ("for loop with doubled percent", "FOR %%f IN (*.log) DO type %%f", 0),
            ("for /f with options", "for /f \"tokens=1,2 delims=,\" %%a in (list.txt) do echo %%a", 0),
            ("for /r with a path", "For /R D:\\data\\ %g in (*.tmp) do del %g", 0),
            ("for /l without space before do", "& FOR /L %n IN (1,1,9)DO ping -n 1 host", 2),
            ("for /f with escaped quotes", "for /f \\\"delims=\\\" %i in ('cmd /c ver') do set v=%i", 0),
            ("for after a pipe", "x|for %q in (1) do whoami", 2),
            ("if exist", "IF EXIST C:\\boot.ini type C:\\boot.ini", 0),
            ("if not exist with a block", "if not exist \"out.txt\" (echo none)", 0),
            ("if defined", "IF DEFINED tmp_var ECHO yes", 0),
            ("if errorlevel chain", "if errorlevel 2 if not errorlevel 3 goto next", 0),
            ("if compares variables", "if %a% gtr %b% echo more", 0),
            ("if equality in one token", "IF abc==abc whoami", 0),
            ("if equality with quotes and spaces", "if \"x y\" == \"x y\" echo same", 0),
            ("if case-insensitive", "IF /I \"%v%\"==\"\" (SET v=1)", 0),
            ("if equ with numbers", "IF 3 LSS 7 echo less", 0),
            ("if with a percent variable and no command", "if not {%1} == {}", 0),
            ("if after an ampersand", "a=1& if 1==1 net user", 5),
            ("for after @", "@for %i in (x) do cmd", 1),
        ];
        for (name, input, at) in cases {
            assert_eq!(find(input), Some(at), "{name}: {input:?}");
        }
    }

    #[test]
    fn keyword_start_gate() {
        for text in ["if", "x&IF", "For", "a fO"] {
            assert!(has_keyword_start(text.as_bytes()), "{text:?}");
        }
        for text in ["", "i", "f", "i f", "of", "fi", "\u{c9}f", "f o"] {
            assert!(!has_keyword_start(text.as_bytes()), "{text:?}");
        }
    }

    #[test]
    fn prose_and_code_not_batch() {
        let cases = [
            ("prose with for", "Thanks for %20 off in (some) stores"),
            ("prose with for and percent", "for 50% in cash"),
            ("prose with if", "if you set the dir, type cat"),
            ("prose with if exist", "If exists, set it"),
            ("prose with if defined", "if defined, use the default"),
            ("prose with if not defined", "if not defined by the user"),
            ("for without a variable", "for sale in (town) do call"),
            ("for without do", "for %s in (%d files)"),
            ("javascript if", "if (a==b) alert(1)"),
            ("python if", "if x == 5: print(x)"),
            ("shell test", "if [ \"$a\" == \"b\" ]; then echo"),
            ("if without a command", "if a==b foo"),
            ("if in a sentence", "tell me if 2 == 3 please"),
            ("price comparison", "if 5 geq"),
            ("comparison prose", "if price == low"),
        ];
        for (name, input) in cases {
            assert_eq!(find(input), None, "{name}: {input:?}");
        }
    }
}
