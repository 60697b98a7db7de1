//! Cheap tests that run before the patterns of [`super::CommandRules`]. Each test is true
//! for every text that its pattern matches, so a false result skips the pattern without
//! changing a finding. Most values fail all of them.

use memchr::{memchr_iter, memchr3_iter};

/// True for the bytes that `\s` matches in a pattern without Unicode.
fn is_pattern_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r' | b' ')
}

/// True when `text` contains `<!--`, which starts every server-side include directive.
pub(super) fn may_be_server_side_include(text: &[u8]) -> bool {
    memchr_iter(b'<', text).any(|at| text[at..].starts_with(b"<!--"))
}

/// True when the lower-case `text` contains a piece of every alternative of the reverse
/// shell pattern. The pieces are an option after a space (`sh -i`, `nc -e`), `<&` or `<>`
/// (`0<&3`, `exec 5<>`), and a dot after `os`, `ty`, `ss` or `me` (`os.system(`,
/// `pty.spawn(`, `subprocess.call(`, `runtime.getruntime()`). They are also `dev`
/// (`/dev/tcp/`), `mkf` (`mkfifo`) and `soc` (`socat`).
pub(super) fn may_be_reverse_shell(text: &[u8]) -> bool {
    any_pair(text, |a, b| (is_pattern_space(a) & (b == b'-')) | ((a == b'<') & ((b == b'&') | (b == b'>'))))
        || any_triple(text, |a, b, c| {
            let dotted = (c == b'.')
                & (((a == b'o') & (b == b's'))
                    | ((a == b't') & (b == b'y'))
                    | ((a == b's') & (b == b's'))
                    | ((a == b'm') & (b == b'e')));
            dotted
                | ((a == b'd') & (b == b'e') & (c == b'v'))
                | ((a == b'm') & (b == b'k') & (c == b'f'))
                | ((a == b's') & (b == b'o') & (c == b'c'))
        })
}

/// True when `text` contains, in any case, a piece that every alternative of the PowerShell
/// pattern contains: a `-` before a letter (`Invoke-Expression`, `-enc`), `ng(` or `le(`
/// (`DownloadString(`, `DownloadFile(`), or `iex`.
pub(super) fn may_be_powershell(text: &[u8]) -> bool {
    any_pair(text, |a, b| (a == b'-') & (b | 0x20).is_ascii_lowercase())
        || any_triple(text, |a, b, c| {
            let (a, b) = (a | 0x20, b | 0x20);
            let call = (c == b'(') & (((a == b'n') & (b == b'g')) | ((a == b'l') & (b == b'e')));
            call | ((a == b'i') & (b == b'e') & ((c | 0x20) == b'x'))
        })
}

/// True when `pair` holds for some byte of `text` and the byte after it. The loop does
/// not stop early, so the compiler can vectorize it.
pub(super) fn any_pair(text: &[u8], pair: impl Fn(u8, u8) -> bool) -> bool {
    let next = text.get(1..).unwrap_or_default();
    text.iter().zip(next).fold(false, |found, (&a, &b)| found | pair(a, b))
}

/// True when `triple` holds for some three consecutive bytes of `text`, like
/// [`any_pair`].
fn any_triple(text: &[u8], triple: impl Fn(u8, u8, u8) -> bool) -> bool {
    let next = text.get(1..).unwrap_or_default();
    let after = text.get(2..).unwrap_or_default();
    text.iter().zip(next).zip(after).fold(false, |found, ((&a, &b), &c)| found | triple(a, b, c))
}

/// True for the bytes of the glob path pattern's class `[a-z?*\[\]]`.
fn is_glob_byte(b: u8) -> bool {
    matches!(b, b'a'..=b'z' | b'?' | b'*' | b'[' | b']')
}

/// True when `text` contains what every glob path match has (`/???/c?t`). That is a `/`,
/// one to six class bytes and a `/`, then class bytes up to a space or the end of the
/// text, with a wildcard (`?`, `*`, `[`) among them. The class `[a-z?*\[\]]` contains no
/// `/` and no space, so each of these parts is a whole run of class bytes.
pub(super) fn may_be_glob_path(text: &[u8]) -> bool {
    let mut searched = 0;
    for at in memchr3_iter(b'?', b'*', b'[', text) {
        // A wildcard in a run already checked.
        if at < searched {
            continue;
        }
        let end = text[at..].iter().position(|&b| !is_glob_byte(b)).map_or(text.len(), |p| at + p);
        searched = end;
        if text.get(end).is_some_and(|&b| !is_pattern_space(b)) {
            continue;
        }
        let start = text[..at].iter().rposition(|&b| !is_glob_byte(b)).map_or(0, |p| p + 1);
        if start == 0 || text[start - 1] != b'/' {
            continue;
        }
        let slash = start - 1;
        let segment = text[..slash].iter().rposition(|&b| !is_glob_byte(b)).map_or(0, |p| p + 1);
        if (1..=6).contains(&(slash - segment)) && segment > 0 && text[segment - 1] == b'/' {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_side_include_gate() {
        for text in ["<!--#exec cmd=\"id\"-->", "a<b<!-- #include"] {
            assert!(may_be_server_side_include(text.as_bytes()), "{text:?}");
        }
        for text in ["", "<!-", "<b>--", "!--#exec"] {
            assert!(!may_be_server_side_include(text.as_bytes()), "{text:?}");
        }
    }

    #[test]
    fn reverse_shell_gate() {
        let passing = [
            "bash -i >& x",
            "nc\t-e /bin/sh",
            "0<&196",
            "exec 5<>x",
            "import pty;pty.spawn(\"sh\")",
            "os.system('id')",
            "subprocess.call([])",
            "runtime.getruntime().exec",
            "cat </dev/tcp/x/1",
            "mkfifo /tmp/f",
            "socat tcp:x",
        ];
        for text in passing {
            assert!(may_be_reverse_shell(text.as_bytes()), "{text:?}");
        }
        for text in ["", "a-b", "-i", "x<y", "www.example.com", "/de/v", "kfifo", "so cat"] {
            assert!(!may_be_reverse_shell(text.as_bytes()), "{text:?}");
        }
    }

    #[test]
    fn powershell_gate() {
        let passing =
            ["Invoke-Expression", "powershell -enc AAAA", ".DownloadString('x')", "DOWNLOADFILE(", "IEX (x)", "iEx$x"];
        for text in passing {
            assert!(may_be_powershell(text.as_bytes()), "{text:?}");
        }
        for text in ["", "2024-01-01", "a - b", "-", "alert(1)", "cookie(", "string (", "ex", "xie", "box(IE)"] {
            assert!(!may_be_powershell(text.as_bytes()), "{text:?}");
        }
    }

    #[test]
    fn glob_path_gate() {
        let passing = [";/???/??t /???/p??s??", "/bi[n]/bas[h]", "x /u/b/c*", "/a/b/c?\n", "a/b/c?", "/??/??/?? x?"];
        for text in passing {
            assert!(may_be_glob_path(text.as_bytes()), "{text:?}");
        }
        let failing = ["", "/a/b?c=1", "select 1/*", "x/*", "*/*", "/abcdefg/c?t", "//c?t", "/a/B/c?"];
        for text in failing {
            assert!(!may_be_glob_path(text.as_bytes()), "{text:?}");
        }
    }
}
