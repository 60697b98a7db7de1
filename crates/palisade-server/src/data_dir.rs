//! The data directory: the inventory database, the trace journal, the key-hashing secret
//! and a lock file that keeps two processes from running the pipeline on it at once.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use palisade_store::SqliteStore;

const DATABASE_FILE: &str = "palisade.db";
const JOURNAL_FILE: &str = "journal.db";
const SECRET_FILE: &str = "secret";
const LOCK_FILE: &str = "lock";

/// An open data directory.
pub struct DataDir {
    path: PathBuf,
    secret: Vec<u8>,
    /// Held for as long as this process runs the pipeline on the directory.
    _lock: Option<File>,
}

impl DataDir {
    /// Opens the directory, creating it and its secret on first use. With `exclusive`,
    /// takes the directory's lock and fails when another process holds it.
    pub fn open(path: &Path, exclusive: bool) -> Result<Self> {
        fs::create_dir_all(path).with_context(|| format!("cannot create data directory {}", path.display()))?;
        let lock = if exclusive { Some(take_lock(path)?) } else { None };
        let secret = read_or_create_secret(&path.join(SECRET_FILE))?;
        Ok(Self { path: path.to_path_buf(), secret, _lock: lock })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn journal_path(&self) -> PathBuf {
        self.path.join(JOURNAL_FILE)
    }

    pub fn database_path(&self) -> PathBuf {
        self.path.join(DATABASE_FILE)
    }

    /// Key for the hashes that stand for credentials in actor ids, derived from the data
    /// directory's secret so it stays the same across restarts.
    pub fn actor_key(&self) -> Vec<u8> {
        palisade_store::keys::hash_key(&self.secret, "actor ids")
    }

    /// Opens the inventory database, creating and migrating it when needed.
    pub fn open_store(&self) -> Result<SqliteStore> {
        let path = self.database_path();
        SqliteStore::open(&path, self.secret.clone()).with_context(|| format!("cannot open {}", path.display()))
    }
}

fn take_lock(dir: &Path) -> Result<File> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open lock file {}", path.display()))?;
    if file.try_lock().is_err() {
        bail!(
            "data directory {} is in use by another palisade process (a running `palisade serve`?); \
             stop it, or send traces to it with `palisade ingest --server URL --key KEY`",
            dir.display()
        );
    }
    Ok(file)
}

/// Reads the 32-byte secret stored as hex, or creates it readable by the owner only.
fn read_or_create_secret(path: &Path) -> Result<Vec<u8>> {
    if path.exists() {
        let text = fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let secret = hex_decode(text.trim())
            .with_context(|| format!("invalid secret in {}: expected 64 hexadecimal digits", path.display()))?;
        return Ok(secret);
    }

    let secret = palisade_store::keys::generate_secret()?;
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).with_context(|| format!("cannot create {}", path.display()))?;
    let text: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    file.write_all(text.as_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
    file.sync_all()?;
    Ok(secret.to_vec())
}

fn hex_decode(text: &str) -> Result<Vec<u8>> {
    if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("not 64 hexadecimal digits");
    }
    (0..text.len()).step_by(2).map(|i| Ok(u8::from_str_radix(&text[i..i + 2], 16)?)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_persists() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataDir::open(dir.path(), false).unwrap().secret;
        let second = DataDir::open(dir.path(), false).unwrap().secret;
        assert_eq!(first, second);
        assert_eq!(first.len(), 32);
    }

    #[test]
    fn lock_is_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let held = DataDir::open(dir.path(), true).unwrap();
        let error = DataDir::open(dir.path(), true).err().unwrap().to_string();
        assert!(error.contains("in use by another palisade process"), "{error}");
        drop(held);
        assert!(DataDir::open(dir.path(), true).is_ok());
    }

    #[test]
    fn corrupt_secret_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(SECRET_FILE), "xyz").unwrap();
        let error = format!("{:#}", DataDir::open(dir.path(), false).err().unwrap());
        assert!(error.contains("invalid secret"), "{error}");
    }
}
