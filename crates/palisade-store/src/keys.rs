//! Generation and keyed hashing of API keys.
//!
//! Keys are 32 random base62 characters behind a prefix that names their kind
//! (`pal_ingest_`, `pal_token_`). Only HMAC-SHA256 of a key under the data directory's
//! secret is stored, so a copy of the database alone cannot be used to check guesses.

use hmac::{Hmac, KeyInit, Mac};
use palisade_core::access::Role;
use sha2::Sha256;

use crate::{Result, StoreError};

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Random base62 characters in a key: about 190 bits.
const KEY_CHARS: usize = 32;

/// Characters of a key kept in listings to tell keys apart.
pub const DISPLAY_PREFIX_CHARS: usize = 16;

/// Generates a new key for `role`.
pub fn generate_key(role: Role) -> Result<String> {
    let kind = if role == Role::Ingest { "pal_ingest_" } else { "pal_token_" };
    let mut key = String::from(kind);
    let mut bytes = [0u8; 64];
    while key.len() < kind.len() + KEY_CHARS {
        fill_random(&mut bytes)?;
        // Bytes of 248 and above are dropped so every character is equally likely
        // (248 = 4 * 62).
        for byte in bytes.iter().filter(|b| **b < 248) {
            if key.len() == kind.len() + KEY_CHARS {
                break;
            }
            key.push(ALPHABET[(*byte as usize) % ALPHABET.len()] as char);
        }
    }
    Ok(key)
}

fn fill_random(bytes: &mut [u8]) -> Result<()> {
    getrandom::fill(bytes).map_err(|e| StoreError::Invalid(format!("no random numbers from the system: {e}")))
}

/// Generates the data directory's hashing secret.
pub fn generate_secret() -> Result<[u8; 32]> {
    let mut secret = [0u8; 32];
    fill_random(&mut secret)?;
    Ok(secret)
}

/// HMAC-SHA256 of `key` under `secret`.
pub fn hash_key(secret: &[u8], key: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(key.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_prefixed() {
        let a = generate_key(Role::Ingest).unwrap();
        let b = generate_key(Role::Ingest).unwrap();
        assert!(a.starts_with("pal_ingest_"));
        assert_eq!(a.len(), "pal_ingest_".len() + 32);
        assert_ne!(a, b);
        assert!(generate_key(Role::Admin).unwrap().starts_with("pal_token_"));
    }

    #[test]
    fn hash_depends_on_secret() {
        assert_eq!(hash_key(b"s1", "k"), hash_key(b"s1", "k"));
        assert_ne!(hash_key(b"s1", "k"), hash_key(b"s2", "k"));
        assert_eq!(hash_key(b"s1", "k").len(), 32);
    }
}
