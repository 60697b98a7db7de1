//! Path traversal, local file inclusion and remote file inclusion.
//!
//! - `path.traversal`: two or more `..` segments (`../../`, `..\..\`, `..;/`, and the
//!   `....//` form that survives one pass of a filter removing `../`), or a value that is
//!   nothing but `..` segments. A single leading `../` before an ordinary file name
//!   (`../images/logo.png`) is how relative links look and matches nothing.
//! - `lfi.sensitive_file`: a path to a file that only an attacker requests from a web
//!   application: `/etc/passwd`, `/proc/self/environ`, `win.ini`, `boot.ini`, `.htpasswd`, ...
//! - `lfi.wrapper`: PHP stream wrappers and `file:` URLs (`php://filter`, `phar://`,
//!   `expect://`, `file:///etc/...`).
//! - `rfi.url`: a URL built to be included as code. It ends in `?` or a NUL byte (to cut
//!   off the suffix the application appends), sits inside a `jar:` URL, is addressed by IP
//!   and names a script file, or is fetched over FTP. It may also hide its real host behind
//!   a user-info part (`http://trusted%2f@evil.example/`), or come in a parameter named
//!   like an include (`page`, `file`, `include`, `template`, ...) or like an include
//!   directory (`_CONF[path]`, `mosConfig_absolute_path`).

use std::sync::LazyLock;

use aho_corasick::MatchKind;

use crate::finding::Confidence;
use crate::normalize::DecodeFacts;
use crate::rules::literals::{KeywordTable, LiteralSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathMatch {
    pub rule_id: &'static str,
    pub confidence: Confidence,
    pub at: usize,
}

/// Files whose mention in a request is a file inclusion attempt. Matched case-insensitively
/// after `\` is turned into `/`, and only where a path component starts.
const SENSITIVE_FILES: &[&str] = &[
    "etc/passwd",
    "etc/shadow",
    "etc/group",
    "etc/hosts",
    "etc/issue",
    "etc/motd",
    "etc/sudoers",
    "etc/crontab",
    "etc/fstab",
    "etc/hostname",
    "etc/resolv.conf",
    "etc/profile",
    "etc/security/",
    "etc/ssh/",
    "etc/apache",
    "etc/httpd/",
    "etc/nginx/",
    "etc/mysql/",
    "etc/php",
    "etc/master.passwd",
    "etc/pwd.db",
    "etc/init.d/",
    "etc/environment",
    "etc/os-release",
    "etc/redhat-release",
    "etc/debian_version",
    "proc/self/",
    "proc/version",
    "proc/cpuinfo",
    "proc/meminfo",
    "proc/mounts",
    "proc/net/",
    "proc/sched_debug",
    "var/log/",
    "var/mail/",
    "var/spool/",
    "var/run/secrets",
    "usr/local/apache",
    "usr/local/etc/",
    "root/.",
    ".bash_history",
    ".bashrc",
    ".profile",
    ".ssh/",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    "authorized_keys",
    "known_hosts",
    ".htaccess",
    ".htpasswd",
    ".git/config",
    ".git/head",
    ".svn/entries",
    ".aws/credentials",
    ".docker/config.json",
    ".kube/config",
    "wp-config.php",
    "web.config",
    "boot.ini",
    "win.ini",
    "system.ini",
    "windows/system32",
    "windows/repair",
    "windows/panther",
    "windows/debug/netsetup.log",
    "winnt/",
    "inetpub/",
    "system32/drivers/etc",
    "autoexec.bat",
    "config.sys",
    "sam",
    "applicationhost.config",
    "php.ini",
    "my.cnf",
    "httpd.conf",
    "nginx.conf",
    "tomcat-users.xml",
    "web-inf/web.xml",
    "meta-inf/manifest.mf",
    "dev/null",
    "dev/tcp/",
    "dev/random",
    "dev/urandom",
    "access_log",
    "access.log",
    "error_log",
    "error.log",
    "boot/grub",
    "var/adm/",
    "var/lib/",
    "tmp/sess_",
    "inetsrv/",
    "metabase.xml",
    "my.ini",
    "mysql.log",
    "sendmail.ini",
    "global.asa",
    // Any other file under /etc is system configuration; listed last so that the names
    // above win at the same position.
    "etc/",
];

/// PHP stream wrappers and URL schemes that read local files or run code.
const WRAPPERS: &[&str] = &[
    "php://",
    "phar://",
    "zip://",
    "expect://",
    "glob://",
    "compress.zlib://",
    "compress.bzip2://",
    "data://",
    "zlib:",
    "file:/",
    "file:\\",
    "jar:file:",
    "ogg://",
    "rar://",
    "ssh2.",
    "convert.iconv.",
    "convert.base64-",
];

/// Parameter names that applications pass to include or read a file.
const INCLUDE_PARAMETERS: &[&str] = &[
    "file", "filename", "page", "include", "inc", "require", "template", "tpl", "path", "dir", "folder", "document",
    "doc", "root", "pg", "style", "view", "layout", "module", "mod", "conf", "config", "load", "read", "show",
    "content", "lang", "language", "locale", "skin", "theme", "cat", "action", "site", "src", "source",
];

/// Tags of the two lists in [`PathRules::any_literal`].
const WRAPPER_TAG: u32 = 1;
const FILE_TAG: u32 = 2;

pub struct PathRules {
    files: LiteralSet,
    wrappers: LiteralSet,
    /// [`WRAPPERS`] tagged [`WRAPPER_TAG`] and [`SENSITIVE_FILES`] tagged [`FILE_TAG`]:
    /// one pass over a value finds which of the two lists occur in it.
    any_literal: KeywordTable,
}

impl PathRules {
    pub fn new() -> Self {
        let files = LiteralSet::new(SENSITIVE_FILES, MatchKind::LeftmostFirst, true)
            .expect("the sensitive file list is a valid automaton");
        let wrappers =
            LiteralSet::new(WRAPPERS, MatchKind::Standard, true).expect("the wrapper list is a valid automaton");
        let literals: Vec<&str> = WRAPPERS.iter().chain(SENSITIVE_FILES).copied().collect();
        let any_literal =
            KeywordTable::new(&literals, |index| if index < WRAPPERS.len() { WRAPPER_TAG } else { FILE_TAG })
                .expect("the wrapper and sensitive file lists are a valid automaton");
        Self { files, wrappers, any_literal }
    }

    /// Traversal checks; `text` is a decoded value.
    pub fn traversal(&self, text: &str) -> Option<PathMatch> {
        self.traversal_in_canonical(&canonical_separators(text))
    }

    /// Traversal checks on `canonical`, the [`canonical_separators`] form of a decoded
    /// value.
    pub fn traversal_in_canonical(&self, canonical: &str) -> Option<PathMatch> {
        let segments = DotSegments::count(canonical.as_bytes());
        let first = segments.first?;

        let matched = |confidence| Some(PathMatch { rule_id: "path.traversal", confidence, at: first });
        if segments.dot >= 3 {
            return matched(Confidence::High);
        }
        if segments.dot == 2 || segments.rooted || segments.with_parameters {
            return matched(Confidence::Medium);
        }
        if segments.other == 0 && canonical.len() <= 8 {
            // A bare `../` or `..\`: a probe, not a link.
            return matched(Confidence::Low);
        }
        None
    }

    /// Local file inclusion checks; `text` is a decoded value.
    pub fn local_file(&self, text: &str, facts: &DecodeFacts) -> Option<PathMatch> {
        self.local_file_in_canonical(&canonical_separators(text), facts)
    }

    /// Local file inclusion checks on `text`, the [`canonical_separators`] form of a
    /// decoded value.
    pub fn local_file_in_canonical(&self, text: &str, facts: &DecodeFacts) -> Option<PathMatch> {
        let bytes = text.as_bytes();
        // Most values contain neither a wrapper nor a sensitive file name, which one pass
        // finds out.
        let occurring = self.any_literal.tags(bytes, |_| 0);
        let (wrapper_occurs, file_occurs) = (occurring & WRAPPER_TAG != 0, occurring & FILE_TAG != 0);
        if wrapper_occurs && let Some(at) = self.find_wrapper(bytes) {
            return Some(PathMatch { rule_id: "lfi.wrapper", confidence: Confidence::High, at });
        }

        let candidates = file_occurs.then(|| self.files.find_iter(bytes));
        for found in candidates.into_iter().flatten() {
            let start = found.start();
            let end = found.end();
            let pattern = SENSITIVE_FILES[found.pattern().as_usize()];
            let before = if start == 0 { None } else { Some(bytes[start - 1]) };
            // The name must start a path component, and a bare word needs a separator
            // around it: `sam` is a file only in `config/sam`.
            let starts_component = matches!(
                before,
                None | Some(b'/' | b'\\' | b'=' | b':' | b' ' | b'\'' | b'"' | b'>' | b'(' | b'|' | b';' | b'&' | b'`')
            ) || (before == Some(b'.') && pattern.starts_with('.'));
            let standalone_word = !pattern.contains(['/', '.', '_']);
            let ends_component = pattern.ends_with('/') || bytes.get(end).is_none_or(|b| !b.is_ascii_alphanumeric());
            if !starts_component || !ends_component {
                continue;
            }
            if standalone_word && !matches!(before, Some(b'/' | b'\\')) {
                continue;
            }
            let rooted = matches!(before, Some(b'/' | b'\\')) || start == 0 && pattern.starts_with('.');
            let traversal = find_dot_dot(&bytes[..start]).is_some();
            let confidence = if traversal || facts.nul_byte || rooted && !pattern.starts_with("dev/") {
                Confidence::High
            } else {
                Confidence::Medium
            };
            // `/dev/null` and friends only matter after a traversal.
            if pattern.starts_with("dev/") && !traversal && pattern != "dev/tcp/" {
                continue;
            }
            return Some(PathMatch { rule_id: "lfi.sensitive_file", confidence, at: start });
        }

        // A Windows path from a drive root (`C:\Windows\...`, `D:/xampp/...`) names a
        // server file; web parameters carry relative names or URLs. A drive and one name
        // followed by prose (`C:\Users guide`) is how people write about folders, so
        // with words around it only a path that goes on to a second component is medium
        // confidence.
        let trimmed = text.trim_start();
        let tb = trimmed.as_bytes();
        if tb.len() > 4
            && tb[0].is_ascii_alphabetic()
            && tb[1] == b':'
            && tb[2] == b'/'
            && tb[3].is_ascii_alphanumeric()
        {
            let rest = &tb[3..];
            let deeper =
                rest.windows(2).any(|w| w[0] == b'/' && (w[1].is_ascii_alphanumeric() || b"._-$".contains(&w[1])));
            let bare = !rest.iter().any(u8::is_ascii_whitespace);
            let confidence = if deeper || bare { Confidence::Medium } else { Confidence::Low };
            return Some(PathMatch { rule_id: "lfi.sensitive_file", confidence, at: text.len() - trimmed.len() });
        }
        None
    }

    /// Remote file inclusion checks; `name` is the parameter name.
    pub fn remote_file(&self, text: &str, name: &str, facts: &DecodeFacts) -> Option<PathMatch> {
        let trimmed = text.trim_start();
        let at = text.len() - trimmed.len();
        // Java opens `jar:` URLs and fetches the archive from the URL inside.
        let jar = trimmed.get(..4).is_some_and(|prefix| prefix.eq_ignore_ascii_case("jar:"));
        let trimmed = if jar { &trimmed[4..] } else { trimmed };
        let scheme = ["https://", "http://", "ftps://", "ftp://", "smb://", "webdav://"].iter().find(|scheme| {
            trimmed.as_bytes().get(..scheme.len()).is_some_and(|prefix| prefix.eq_ignore_ascii_case(scheme.as_bytes()))
        });
        let unc = !jar && trimmed.starts_with("\\\\") && trimmed.len() > 3;
        let scheme_length = scheme.map(|scheme| scheme.len()).or(unc.then_some(2))?;

        let rest = &trimmed[scheme_length..];
        let authority_end = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
        let host = rest[..authority_end].rsplit('@').next().unwrap_or("");
        let host = host.split(':').next().unwrap_or("");
        let path = &rest[authority_end..];

        let matched = |confidence| Some(PathMatch { rule_id: "rfi.url", confidence, at });
        let path_lower = path.split(['?', '#']).next().unwrap_or("").to_ascii_lowercase();
        let include_parameter = INCLUDE_PARAMETERS.iter().any(|p| p.eq_ignore_ascii_case(name));
        let include_path_parameter = include_path_parameter(name);
        // A trailing `?` or NUL cuts off the extension that the application appends. The
        // `?` counts after a host, a directory or a file name, or in an include parameter,
        // because a copied link to a page (`/docs?`) can end in an empty query too.
        let empty_query = trimmed.ends_with('?') || trimmed.ends_with("?&");
        let names_file_or_root = path_lower.is_empty()
            || path_lower.ends_with(['/', '\\'])
            || path_lower.rsplit(['/', '\\']).next().is_some_and(|last| last.contains('.'));
        if facts.nul_byte || jar || empty_query && (names_file_or_root || include_parameter || path.contains("??")) {
            return matched(Confidence::High);
        }
        if unc {
            return matched(Confidence::Medium);
        }
        let ip_host = !host.is_empty() && host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        let script_file = [".php", ".txt", ".jsp", ".asp", ".aspx", ".pl", ".py", ".sh", ".cgi", ".inc", ".phtml"]
            .iter()
            .any(|extension| path_lower.ends_with(extension));
        if ip_host && (script_file || include_parameter || include_path_parameter) {
            return matched(Confidence::High);
        }
        if (include_parameter || include_path_parameter) && (script_file || ip_host || path.contains('?')) {
            return matched(Confidence::Medium);
        }
        if hidden_host(path) {
            return matched(Confidence::Medium);
        }
        let ftp = scheme.is_some_and(|scheme| scheme.starts_with("ftp"));
        if include_parameter || include_path_parameter || ftp {
            return matched(Confidence::Low);
        }
        None
    }

    /// Returns the start of the first wrapper in `bytes` that does not continue a word.
    /// Only the first occurrence of each wrapper is considered. The overlapping search
    /// costs more than a test whether any wrapper occurs, so callers run that test first.
    fn find_wrapper(&self, bytes: &[u8]) -> Option<usize> {
        let mut first_seen = [false; WRAPPERS.len()];
        let mut best: Option<usize> = None;
        // Overlapping matches come in order of their end, so the first match of a wrapper
        // is its first occurrence.
        for found in self.wrappers.find_overlapping_iter(bytes) {
            let index = found.pattern().as_usize();
            if std::mem::replace(&mut first_seen[index], true) {
                continue;
            }
            let at = found.start();
            if (at == 0 || !bytes[at - 1].is_ascii_alphanumeric()) && best.is_none_or(|best| at < best) {
                best = Some(at);
            }
        }
        best
    }
}

impl Default for PathRules {
    fn default() -> Self {
        Self::new()
    }
}

/// Last parts of parameter names that contain a directory or file path for an include:
/// `_CONF[path]`, `mosConfig_absolute_path`, `base_dir`, `phpbb_root_path`.
const INCLUDE_PATH_SUFFIXES: &[&str] = &["path", "dir", "root", "include", "inc", "require", "folder"];

/// True for a compound parameter name (`a_path`, `a[path]`, `a.dir`) whose last part is one
/// of [`INCLUDE_PATH_SUFFIXES`]. PHP applications that include files from a configurable
/// directory name their settings that way, and remote file inclusion replaces them with a
/// URL.
fn include_path_parameter(name: &str) -> bool {
    let name = name.strip_suffix(']').unwrap_or(name);
    let Some(split) = name.rfind(['[', '_', '.', '-']) else {
        return false;
    };
    let last = &name[split + 1..];
    split > 0 && INCLUDE_PATH_SUFFIXES.iter().any(|suffix| suffix.eq_ignore_ascii_case(last))
}

/// True when the first path segment of a URL is itself a user-info part and a host
/// (`/@evil.example`, `/:pass@evil.example`). That is what is left of
/// `http://trusted%2f@evil.example/` after decoding: URL parsers disagree on whether the
/// encoded slash ends the authority, so a check of the host reads `trusted` while the
/// request goes to `evil.example`.
///
/// NOTE: a profile path whose name has a dot and a letter-only last part
/// (`https://medium.com/@jane.doe`) matches too, although it is no attack.
fn hidden_host(path: &str) -> bool {
    let Some(segment) = path.strip_prefix(['/', '\\']) else {
        return false;
    };
    let segment = &segment[..segment.find(['/', '\\', '?', '#']).unwrap_or(segment.len())];
    if !segment.starts_with(['@', ':']) {
        return false;
    }
    let Some((_, host)) = segment.rsplit_once('@') else {
        return false;
    };
    let host = host.split(':').next().unwrap_or("");
    let Some((_, top_label)) = host.rsplit_once('.') else {
        return false;
    };
    host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && top_label.len() >= 2
        && top_label.bytes().all(|b| b.is_ascii_alphabetic())
}

/// Spellings of `/`, `\` and `.` that survive standard decoding but that some servers
/// and decoders read as those characters: IIS's lax reading of `%c0%af`-style overlong
/// forms with non-hex digits, `0x2f`-style literals, and Unicode slash and dot look-alikes.
const SEPARATOR_SPELLINGS: &[(&str, &str)] = &[
    ("%c0%qf", "/"),
    ("%c0%9v", "/"),
    ("%c0%af", "/"),
    ("%c1%9c", "\\"),
    ("%c1%pc", "\\"),
    ("%c1%8s", "\\"),
    ("%c1%1c", "\\"),
    ("%bg%qf", "/"),
    ("%5%c", "\\"),
    ("%2%f", "/"),
    ("%2%e", "."),
    ("%%35c", "\\"),
    ("%%32f", "/"),
    ("%25c", "\\"),
    ("%uefc8", "/"),
    ("%uf025", "/"),
    ("\u{efc8}", "/"),
    ("\u{f025}", "/"),
    ("0x2f", "/"),
    ("0x5c", "\\"),
    ("0x2e", "."),
    ("%c0%2e", "."),
    ("%c0%ae", "."),
    ("%uff0e", "."),
    ("\u{2024}", "."),
    ("\u{2215}", "/"),
    ("\u{2216}", "\\"),
];

/// Rewrites the spellings of [`SEPARATOR_SPELLINGS`] to their characters and `\` to `/`.
/// A value that needs any rewriting is also folded to ASCII lower case.
///
/// NOTE: traversal lists also spell `/` as `%c1%af` and `.` as `%c0%5e` or `%c0%fe`. The
/// first is the overlong form of `o` and decodes to it, the others to U+FFFD, so a
/// traversal spelled only with them is not found.
pub(crate) fn canonical_separators(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    // The characters below are encoded in UTF-8 with a first byte of 0xE2, 0xEE or 0xEF,
    // which ASCII text lacks.
    let lower_needed = memchr::memchr2(b'%', b'\\', bytes).is_some()
        || memchr::memchr_iter(b'0', bytes).any(|at| is_hex_separator(&bytes[at..]))
        || memchr::memchr3(0xe2, 0xee, 0xef, bytes).is_some()
            && text.contains(['\u{efc8}', '\u{f025}', '\u{2024}', '\u{2215}', '\u{2216}', '\u{fffd}']);
    if !lower_needed {
        return std::borrow::Cow::Borrowed(text);
    }
    static SPELLINGS: LazyLock<LiteralSet> = LazyLock::new(|| {
        LiteralSet::new(SEPARATOR_SPELLINGS.iter().map(|(spelling, _)| spelling), MatchKind::Standard, false)
            .expect("the separator spellings are a valid automaton")
    });

    let mut out = text.to_ascii_lowercase();
    // No spelling contains a replacement character (a test checks this), so a replacement
    // never makes a spelling appear, and one overlapping search finds every spelling that
    // needs replacing. Occurrences of two spellings can overlap, so they are replaced one
    // spelling at a time, in list order.
    let mut present = 0u64;
    for found in SPELLINGS.find_overlapping_iter(out.as_bytes()) {
        present |= 1 << found.pattern().as_usize();
    }
    for (index, (spelling, replacement)) in SEPARATOR_SPELLINGS.iter().enumerate() {
        if present & (1 << index) != 0 && out.contains(spelling) {
            out = out.replace(spelling, replacement);
        }
    }
    if out.contains('\\') {
        out = out.replace('\\', "/");
    }
    // Bytes that did not decode (U+FFFD) and `%` escapes with non-hex digits are what is
    // left of separators spelled for lax decoders (`..%c0%qf..`). They are read as `/`.
    if out.contains('\u{fffd}') || out.contains('%') {
        out = lax_separators(&out);
    }
    std::borrow::Cow::Owned(out)
}

/// True when `bytes` starts with `0x2f`, `0x5c` or `0x2e` in any case: the hex spellings
/// of [`SEPARATOR_SPELLINGS`]. Other hex numbers (`0x41414141`) need no rewriting.
fn is_hex_separator(bytes: &[u8]) -> bool {
    bytes.len() >= 4
        && bytes[0] == b'0'
        && bytes[1].eq_ignore_ascii_case(&b'x')
        && matches!((bytes[2], bytes[3].to_ascii_lowercase()), (b'2', b'f' | b'e') | (b'5', b'c'))
}

/// Replaces U+FFFD and `%` escapes that are not two hex digits with `/`.
fn lax_separators(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '\u{fffd}' => out.push('/'),
            '%' => {
                // Hex digits and other alphanumeric characters are ASCII, one byte each.
                let first = bytes.get(index + 1).copied();
                let second = first.filter(u8::is_ascii).and_then(|_| bytes.get(index + 2).copied());
                let valid =
                    first.is_some_and(|b| b.is_ascii_hexdigit()) && second.is_some_and(|b| b.is_ascii_hexdigit());
                if valid {
                    out.push('%');
                } else {
                    out.push('/');
                    // Skip the junk digits of the escape.
                    let junk = [first, second]
                        .into_iter()
                        .take_while(|b| b.is_some_and(|b| b.is_ascii_alphanumeric()))
                        .count();
                    for _ in 0..junk {
                        chars.next();
                    }
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Position of the first `..` that is a whole path segment.
fn find_dot_dot(bytes: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'.' && bytes[i + 1] == b'.' {
            let before_ok = i == 0 || matches!(bytes[i - 1], b'/' | b'\\' | b'.' | b'=' | b' ' | b':' | b'\'' | b'"');
            let mut end = i + 2;
            while end < bytes.len() && bytes[end] == b'.' {
                end += 1;
            }
            let after_ok = end == bytes.len() || matches!(bytes[end], b'/' | b'\\' | b';' | b' ' | b'?' | b'#');
            if before_ok && after_ok {
                return Some(i);
            }
            i = end;
            continue;
        }
        i += 1;
    }
    None
}

/// Counts of the segments of a path split at `/` and `\`.
#[derive(Debug, Default, PartialEq, Eq)]
struct DotSegments {
    /// Segments that climb a directory: two or more dots (`..`, and `....` that a filter
    /// removing `../` once turns into `..`), or two characters of `.` and `?` (`.?`, `??`),
    /// the spelling of `..` in traversal lists aimed at servers that match `?` as a
    /// one-character wildcard.
    dot: usize,
    /// Segments that are neither empty, `.` nor climbing ones.
    other: usize,
    /// Byte offset of the first climbing segment.
    first: Option<usize>,
    /// The path starts at a separator and climbs before naming any directory (`/../`,
    /// `//../`, `/./../`): above the root, where no relative link goes.
    rooted: bool,
    /// A climbing segment carries a `;` parameter (`..;/`). Tomcat drops path parameters
    /// before it resolves `..`, so a proxy in front of it finds no `../`. Relative links carry
    /// no parameters.
    with_parameters: bool,
}

impl DotSegments {
    fn count(path: &[u8]) -> Self {
        let mut counts = Self::default();
        let mut offset = 0;
        for segment in path.split(|&b| b == b'/' || b == b'\\') {
            let start = offset;
            offset += segment.len() + 1;

            let trimmed = trim_segment(segment);
            if is_climbing_segment(trimmed) {
                if counts.first.is_none() {
                    counts.first = Some(start);
                    counts.rooted = start > 0 && counts.other == 0;
                }
                counts.dot += 1;
                counts.with_parameters |= segment.get(trimmed.len()) == Some(&b';');
            } else if !trimmed.is_empty() && trimmed != b"." {
                counts.other += 1;
            }
        }
        counts
    }
}

/// True for a segment that names the parent directory, as [`DotSegments::dot`] describes.
fn is_climbing_segment(segment: &[u8]) -> bool {
    match segment {
        [b'.' | b'?', b'.' | b'?'] => true,
        _ => segment.len() >= 2 && segment.iter().all(|&b| b == b'.'),
    }
}

/// Removes what servers ignore at the end of a path segment: `;params` (Tomcat), trailing
/// spaces (Windows), and control characters such as the `%01` that traversal lists append.
fn trim_segment(segment: &[u8]) -> &[u8] {
    let without_params = match segment.iter().position(|&b| b == b';') {
        Some(p) => &segment[..p],
        None => segment,
    };
    let end = without_params.iter().rposition(|&b| b != b' ' && !b.is_ascii_control()).map(|p| p + 1).unwrap_or(0);
    &without_params[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> PathRules {
        PathRules::new()
    }

    #[test]
    fn traversal_cases() {
        let rules = rules();
        let attacks = [
            "../../etc/passwd",
            "..\\..\\windows\\win.ini",
            "....//....//etc",
            "..;/..;/admin",
            "../",
            "..\\",
            "/../etc/issue",
            "..0x2f..0x2f..0x2fetc",
            "..%c0%qf..%c0%qf",
            "..\u{2216}..\u{2216}x",
            "..\u{fffd}%qf..\u{fffd}%qf..\u{fffd}%qfetc",
        ];
        for input in attacks {
            assert!(rules.traversal(input).is_some(), "input {input:?}");
        }
        let benign = ["../images/logo.png", "version 1.2..3", "wait...", "a..b/c", "/static/app.js", "0x2e is a dot"];
        for input in benign {
            assert_eq!(rules.traversal(input), None, "input {input:?}");
        }
    }

    /// Decodes `raw` as the detector does, then runs the traversal checks.
    fn traversal_after_decoding(rules: &PathRules, raw: &str) -> Option<PathMatch> {
        let decoded = crate::normalize::decode(raw, 4);
        rules.traversal(&decoded.text)
    }

    #[test]
    fn encoded_traversal_cases() {
        let rules = rules();
        let attacks = [
            ("lax two-byte dots and slashes", "%c0%2e%c0%2e%c0%2f%c0%2e%c0%2e%c0%2fetc"),
            ("lax dots with a literal second byte", "%c0.%c0./%c0.%c0./x"),
            ("lax backslash", "..%c1%1c..%c1%1cboot.ini"),
            ("three-byte overlong", "%e0%80%ae%e0%80%ae/%e0%80%ae%e0%80%ae/x"),
            ("four-byte overlong", "..%f0%80%80%af..%f0%80%80%afetc"),
            ("five-byte overlong", "%f8%80%80%80%ae%f8%80%80%80%ae%c0%af..%c0%afx"),
            ("six-byte overlong", "..%fc%80%80%80%80%af..%fc%80%80%80%80%afx"),
            ("iis %u escapes", "%uff0e%uff0e%u2215%uff0e%uff0e%u2215x"),
            ("triple encoding", "%25252e%25252e%25252f%25252e%25252e%25252fx"),
            ("nul between dots", ".%00./.%00./x"),
            ("control character after dots", "..%01/..%01/x"),
            ("double percent spelling", "%2%e%2%e%2%f%2%e%2%e%2%fx"),
            ("question mark dots", ".%3f/%3f%3f/x"),
            ("single parameter segment", "..;/admin"),
            ("above the root after empty segments", "//../secret"),
            ("above the root after a dot segment", "/./../secret"),
            ("mixed separators above the root", "/\\..\\secret"),
        ];
        for (name, raw) in attacks {
            assert!(traversal_after_decoding(&rules, raw).is_some(), "{name}: {raw:?}");
        }

        let benign = [
            ("dots in prose", "wait.. what"),
            ("version range", "1.2..3"),
            ("file name", "a..b.txt"),
            ("real utf-8 in a relative link", "caf%c3%a9/../menu"),
            ("relative link", "../images/logo.png"),
            ("dot segments only", "/docs/./guide/./intro"),
            ("question marks in prose", "really??/what??"),
            ("lax form of another character", "%c0%3c%c0%3c/x"),
            ("overlong letters", "%c1%af%c1%af"),
        ];
        for (name, raw) in benign {
            assert_eq!(traversal_after_decoding(&rules, raw), None, "{name}: {raw:?}");
        }
    }

    #[test]
    fn separator_spellings_lack_replacements() {
        // `canonical_separators` relies on this: a replacement then never makes another
        // spelling appear.
        assert!(SEPARATOR_SPELLINGS.len() <= 64, "a u64 holds one bit per spelling");
        for (spelling, _) in SEPARATOR_SPELLINGS {
            for (_, replacement) in SEPARATOR_SPELLINGS {
                assert!(!spelling.contains(replacement), "spelling {spelling:?} contains {replacement:?}");
            }
        }
    }

    #[test]
    fn lax_separator_cases() {
        let cases = [
            ("%2f", "%2f"),
            ("a%qfb", "a/b"),
            ("a%q", "a/"),
            ("a%", "a/"),
            ("%%41", "/%41"),
            ("%\u{e9}x", "/\u{e9}x"),
            ("%a\u{e9}", "/\u{e9}"),
            ("x\u{fffd}y", "x/y"),
            ("%zz%2e", "/%2e"),
        ];
        for (input, expected) in cases {
            assert_eq!(lax_separators(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn climbing_segment_cases() {
        let cases: [(&[u8], bool); 10] = [
            (b"..", true),
            (b"....", true),
            (b".?", true),
            (b"??", true),
            (b".", false),
            (b"?", false),
            (b"...?", false),
            (b"a..", false),
            (b"..a", false),
            (b"", false),
        ];
        for (segment, expected) in cases {
            assert_eq!(is_climbing_segment(segment), expected, "segment {:?}", String::from_utf8_lossy(segment));
        }
    }

    #[test]
    fn trim_segment_cases() {
        let cases: [(&[u8], &[u8]); 5] =
            [(b"..;jsessionid=1", b".."), (b".. ", b".."), (b"..\x01", b".."), (b"..\t ", b".."), (b" ..", b" ..")];
        for (segment, expected) in cases {
            assert_eq!(trim_segment(segment), expected, "segment {:?}", String::from_utf8_lossy(segment));
        }
    }

    #[test]
    fn local_file_cases() {
        let rules = rules();
        let facts = DecodeFacts::default();
        let attacks = [
            ("/etc/passwd", "lfi.sensitive_file"),
            ("../../../../etc/shadow", "lfi.sensitive_file"),
            ("C:\\Windows\\win.ini", "lfi.sensitive_file"),
            ("php://filter/convert.base64-encode/resource=index.php", "lfi.wrapper"),
            ("file:///etc/hosts", "lfi.wrapper"),
            ("/proc/self/environ", "lfi.sensitive_file"),
            ("x\u{fffd}etc\u{fffd}passwd", "lfi.sensitive_file"),
        ];
        for (input, rule) in attacks {
            assert_eq!(rules.local_file(input, &facts).map(|m| m.rule_id), Some(rule), "input {input:?}");
        }
        let benign = [
            "etcetera passwords",
            "Sam Smith",
            "/docs/config.html",
            "sample.ini",
            "dev null",
            "etc. and so on",
            "fetch/etc",
        ];
        for input in benign {
            assert_eq!(rules.local_file(input, &facts), None, "input {input:?}");
        }
    }

    #[test]
    fn drive_root_path_confidence() {
        let rules = rules();
        let facts = DecodeFacts::default();
        let cases = [
            ("C:\\Program Files\\app\\settings.xml", Confidence::Medium),
            ("D:/xampp/htdocs/config.php", Confidence::Medium),
            ("C:\\Users", Confidence::Medium),
            ("C:\\Users guide", Confidence::Low),
            ("C:\\Users\\ and profiles", Confidence::Low),
            ("c:/temp is full", Confidence::Low),
        ];
        for (input, confidence) in cases {
            let found = rules.local_file(input, &facts).expect(input);
            assert_eq!(found.rule_id, "lfi.sensitive_file", "input {input:?}");
            assert_eq!(found.confidence, confidence, "input {input:?}");
        }
    }

    #[test]
    fn remote_file_cases() {
        let rules = rules();
        let facts = DecodeFacts::default();
        let attacks = [
            ("query ending in a question mark", "http://evil.example/shell.txt?", "q"),
            ("host ending in a question mark", "https://evil.example?", "q"),
            ("directory ending in a question mark", "https://evil.example/x/?", "q"),
            ("page ending in a question mark in an include parameter", "https://evil.example/docs?", "page"),
            ("script on an ip address", "http://203.0.113.7/x.php", "page"),
            ("ftp url", "ftp://files.example", "x"),
            ("ftps url", "ftps://files.example", "x"),
            ("webdav url in an include parameter", "webdav://203.0.113.7/share/x.php", "page"),
            ("ip address over ftp", "ftp://192.0.2.1", "tag"),
            ("remote jar archive", "jar:http://evil.example/b.zip!/a", "x"),
            ("include directory in brackets", "https://foo.example", "_CONF[path]"),
            ("include directory with underscores", "https://foo.example", "mosConfig_absolute_path"),
            ("base directory", "https://foo.example/", "base_dir"),
            ("host behind an encoded slash", "http://example.com/@evil.example/", "x"),
            ("credentials behind an encoded slash", "http://example.com/:asd@evil.example/", "x"),
            ("several user-info parts", "http://example.com/:foo@bar@evil.example/", "x"),
            ("host behind a backslash", "http://example.com\\@evil.example", "x"),
        ];
        for (name, input, parameter) in attacks {
            assert!(rules.remote_file(input, parameter, &facts).is_some(), "{name}: {input:?} in {parameter}");
        }
        let benign = [
            ("bare site", "https://example.com", "url"),
            ("ip address in a url parameter", "http://192.0.2.1/dns", "url"),
            ("page of a site", "https://example.com/about", "q"),
            ("docs with an empty query", "https://example.com/docs?", "q"),
            ("query with a parameter", "https://foo.example?foo=bar", "x"),
            ("user-info of the real host", "http://foo:bar@example.com/", "x"),
            ("profile path", "https://medium.com/@writer/post-1", "x"),
            ("path without a host", "http://example.com/:id/items", "x"),
            ("compound name without a path part", "https://foo.example", "next_link"),
            ("path as the whole name", "https://foo.example/", "_path"),
            ("jar of a local file", "jar:file:/app.jar!/a.txt", "x"),
            ("word jar", "jar: glass", "x"),
        ];
        for (name, input, parameter) in benign {
            assert_eq!(rules.remote_file(input, parameter, &facts), None, "{name}: {input:?} in {parameter}");
        }
    }

    #[test]
    fn include_path_parameter_cases() {
        let cases = [
            ("_CONF[path]", true),
            ("mosConfig_absolute_path", true),
            ("phpbb_root_path", true),
            ("lib.dir", true),
            ("base-include", true),
            ("path", false),
            ("_path", false),
            ("xpath", false),
            ("path_info", false),
            ("callback_url", false),
        ];
        for (name, expected) in cases {
            assert_eq!(include_path_parameter(name), expected, "name {name:?}");
        }
    }

    #[test]
    fn hex_separator_spellings() {
        for text in ["0x2f", "0X2F", "0x5Cetc", "0x2e0x2e"] {
            assert!(is_hex_separator(text.as_bytes()), "{text}");
        }
        for text in ["0x41414141", "0x2", "0x2g", "0x5e", "x2f", ""] {
            assert!(!is_hex_separator(text.as_bytes()), "{text}");
        }
        // A hex number that spells no separator leaves the value as it is.
        assert_eq!(canonical_separators("SELECT 0x41414141"), "SELECT 0x41414141");
        assert_eq!(canonical_separators("..0x2F..0X2fETC"), "../../etc");
    }

    #[test]
    fn hidden_host_cases() {
        let cases = [
            ("/@evil.example/", true),
            ("/:pass@evil.example", true),
            ("\\@evil.example:8080/x", true),
            ("/@writer/post", false),
            ("/@1.2/", false),
            ("/:id/items", false),
            ("/users/@evil.example", false),
            ("", false),
        ];
        for (path, expected) in cases {
            assert_eq!(hidden_host(path), expected, "path {path:?}");
        }
    }
}
