//! A small directory tree in a temporary directory for the path traversal flaw. Paths
//! are resolved inside it as if it were the root of the file system, so even the
//! vulnerable mode reads only these files: `/etc/passwd` here is a made-up file.

use std::path::{Component, Path, PathBuf};

use tempfile::TempDir;

pub struct Sandbox {
    root: TempDir,
}

/// The directory that `/files` serves, inside the sandbox.
const PUBLIC_DIR: &str = "srv/public";

impl Sandbox {
    pub fn create() -> std::io::Result<Self> {
        let root = tempfile::Builder::new().prefix("vulnerable-api-").tempdir()?;
        let files = [
            ("srv/public/readme.txt", "Welcome to the demo file share.\n"),
            ("srv/public/notes.txt", "Public notes.\n"),
            ("etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n"),
            ("srv/private/secret.txt", "internal credentials: none, this is a demo\n"),
        ];
        for (path, content) in files {
            let full = root.path().join(path);
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(full, content)?;
        }
        Ok(Self { root })
    }

    /// Vulnerable: percent-decodes the name again and follows `..` (stopping at the
    /// sandbox root, as a chroot would).
    pub fn read_unsafely(&self, name: &str) -> Option<String> {
        let decoded = percent_decode(name);
        let start = if decoded.starts_with('/') { PathBuf::new() } else { PathBuf::from(PUBLIC_DIR) };
        let mut relative = start;
        for component in Path::new(&decoded).components() {
            match component {
                Component::ParentDir => {
                    relative.pop();
                }
                Component::Normal(part) => relative.push(part),
                Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
            }
        }
        self.read_inside(&relative)
    }

    /// Safe: a plain file name in the public directory only.
    pub fn read_safely(&self, name: &str) -> Option<String> {
        let valid = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_')
            && !name.starts_with('.');
        if !valid {
            return None;
        }
        self.read_inside(&Path::new(PUBLIC_DIR).join(name))
    }

    /// Reads a file by its path relative to the root, refusing anything that resolves
    /// outside the sandbox (through a symbolic link, for example).
    fn read_inside(&self, relative: &Path) -> Option<String> {
        let root = self.root.path().canonicalize().ok()?;
        let full = root.join(relative).canonicalize().ok()?;
        if !full.starts_with(&root) || !full.is_file() {
            return None;
        }
        std::fs::read_to_string(full).ok()
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    // A NUL byte ends the name, as it would in C.
    let end = out.iter().position(|b| *b == 0).unwrap_or(out.len());
    String::from_utf8_lossy(&out[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_stays_in_sandbox() {
        let sandbox = Sandbox::create().unwrap();
        assert_eq!(sandbox.read_unsafely("readme.txt").as_deref(), Some("Welcome to the demo file share.\n"));
        let passwd = sandbox.read_unsafely("../../../../../../etc/passwd").unwrap();
        assert!(passwd.starts_with("root:x:0:0:"));
        assert!(sandbox.read_unsafely("..%2f..%2f..%2f..%2fetc%2fpasswd").unwrap().starts_with("root:"));
        assert!(sandbox.read_unsafely("/etc/passwd").unwrap().starts_with("root:"));
        assert!(sandbox.read_unsafely("../../../../../../etc/shadow").is_none());
    }

    #[test]
    fn safe_read_refuses_paths() {
        let sandbox = Sandbox::create().unwrap();
        assert!(sandbox.read_safely("readme.txt").is_some());
        for name in ["../../etc/passwd", "/etc/passwd", "..%2fetc", ".hidden", ""] {
            assert!(sandbox.read_safely(name).is_none(), "{name}");
        }
    }
}
