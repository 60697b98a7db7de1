//! Storage of dashboard users and their sessions. Passwords arrive already hashed
//! (Argon2id, in PHC string form); session tokens are stored as keyed hashes.

use palisade_core::access::{Role, Session, User};
use palisade_core::timestamp::now_ms;
use rusqlite::{Connection, OptionalExtension, params};

use crate::keys::{generate_secret, hash_key};
use crate::{Result, StoreError};

const USER_COLUMNS: &str = "id, name, role, created_ms, last_login_ms";

fn user_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    let role: String = row.get(2)?;
    Ok(User {
        id: row.get(0)?,
        name: row.get(1)?,
        role: role.parse().unwrap_or(Role::Viewer),
        created_ms: row.get(3)?,
        last_login_ms: row.get(4)?,
    })
}

/// Checks a user name: 1 to 64 letters, digits, `.`, `_`, `-` or `@`.
pub fn check_user_name(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if valid {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "invalid user name {name:?}: expected 1 to 64 letters, digits, '.', '_', '-' or '@'"
        )))
    }
}

pub fn create_user(conn: &Connection, name: &str, role: Role, password_hash: &str) -> Result<User> {
    check_user_name(name)?;
    if role == Role::Ingest {
        return Err(StoreError::Invalid("invalid role ingest for a user: expected viewer, analyst or admin".into()));
    }
    let created_ms = now_ms();
    let inserted = conn.execute(
        "INSERT INTO users (name, role, password_hash, created_ms) VALUES (?1, ?2, ?3, ?4)",
        params![name, role.as_str(), password_hash, created_ms],
    );
    match inserted {
        Ok(_) => {}
        Err(rusqlite::Error::SqliteFailure(error, _)) if error.code == rusqlite::ErrorCode::ConstraintViolation => {
            return Err(StoreError::Invalid(format!("user {name:?} already exists")));
        }
        Err(error) => return Err(error.into()),
    }
    Ok(User { id: conn.last_insert_rowid(), name: name.to_string(), role, created_ms, last_login_ms: None })
}

pub fn list_users(conn: &Connection) -> Result<Vec<User>> {
    let mut select = conn.prepare(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"))?;
    let rows = select.query_map([], user_from_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// The user named `name` with their password hash.
pub fn find_user(conn: &Connection, name: &str) -> Result<Option<(User, String)>> {
    Ok(conn
        .query_row(&format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE name = ?1"), params![name], |row| {
            Ok((user_from_row(row)?, row.get(5)?))
        })
        .optional()?)
}

/// Replaces a user's password and ends their sessions.
pub fn set_password(conn: &Connection, name: &str, password_hash: &str) -> Result<bool> {
    let changed =
        conn.execute("UPDATE users SET password_hash = ?1 WHERE name = ?2", params![password_hash, name])? == 1;
    if changed {
        conn.execute("DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?1)", params![name])?;
    }
    Ok(changed)
}

pub fn set_role(conn: &Connection, name: &str, role: Role) -> Result<bool> {
    if role == Role::Ingest {
        return Err(StoreError::Invalid("invalid role ingest for a user: expected viewer, analyst or admin".into()));
    }
    if role != Role::Admin {
        refuse_last_admin(conn, name, "take the admin role from")?;
    }
    Ok(conn.execute("UPDATE users SET role = ?1 WHERE name = ?2", params![role.as_str(), name])? == 1)
}

/// Deletes a user and their sessions.
pub fn delete_user(conn: &Connection, name: &str) -> Result<bool> {
    refuse_last_admin(conn, name, "remove")?;
    Ok(conn.execute("DELETE FROM users WHERE name = ?1", params![name])? == 1)
}

/// Fails when `name` is the only admin user, so the dashboard always has one.
fn refuse_last_admin(conn: &Connection, name: &str, action: &str) -> Result<()> {
    let (is_admin, admins): (bool, i64) = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM users WHERE name = ?1 AND role = 'admin'),
                (SELECT COUNT(*) FROM users WHERE role = 'admin')",
        params![name],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    if is_admin && admins == 1 {
        return Err(StoreError::Invalid(format!("cannot {action} {name:?}: it is the only admin user")));
    }
    Ok(())
}

/// Starts a session for `user_id` lasting `ttl_ms`; returns the session token (shown to
/// the browser only) and the session.
pub fn create_session(conn: &Connection, secret: &[u8], user_id: i64, ttl_ms: i64) -> Result<(String, Session)> {
    let token = hex::encode(generate_secret()?);
    let csrf_token = hex::encode(generate_secret()?);
    let created_ms = now_ms();
    let expires_ms = created_ms + ttl_ms;
    conn.execute("DELETE FROM sessions WHERE expires_ms < ?1", params![created_ms])?;
    conn.execute(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_ms, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![hash_key(secret, &token), user_id, csrf_token, created_ms, expires_ms],
    )?;
    conn.execute("UPDATE users SET last_login_ms = ?1 WHERE id = ?2", params![created_ms, user_id])?;
    let user =
        conn.query_row(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"), params![user_id], user_from_row)?;
    Ok((token, Session { user, csrf_token, created_ms, expires_ms }))
}

/// The unexpired session of `token`.
pub fn find_session(conn: &Connection, secret: &[u8], token: &str) -> Result<Option<Session>> {
    let found = conn
        .query_row(
            "SELECT u.id, u.name, u.role, u.created_ms, u.last_login_ms, s.csrf_token, s.created_ms, s.expires_ms
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = ?1 AND s.expires_ms > ?2",
            params![hash_key(secret, token), now_ms()],
            |row| {
                Ok(Session {
                    user: user_from_row(row)?,
                    csrf_token: row.get(5)?,
                    created_ms: row.get(6)?,
                    expires_ms: row.get(7)?,
                })
            },
        )
        .optional()?;
    Ok(found)
}

pub fn delete_session(conn: &Connection, secret: &[u8], token: &str) -> Result<bool> {
    Ok(conn.execute("DELETE FROM sessions WHERE token_hash = ?1", params![hash_key(secret, token)])? == 1)
}
