//! The demo's SQLite database, in memory, with seed data.
//!
//! It registers `sleep(seconds)` and `pg_sleep(seconds)` functions so that the
//! time-based SQL injection payloads written for MySQL and PostgreSQL have an effect. One
//! statement sleeps at most once, for at most [`MAX_SLEEP_SECS`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;

/// Maximum sleep of one statement, in seconds.
pub const MAX_SLEEP_SECS: f64 = 3.0;

const SCHEMA: &str = "
CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT UNIQUE, password TEXT, role TEXT,
    tenant TEXT, name TEXT, email TEXT, ssn TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, owner_id INTEGER, item TEXT, total REAL);
CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, price REAL);
CREATE TABLE projects (id INTEGER PRIMARY KEY, tenant TEXT, name TEXT);
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE reports (id INTEGER PRIMARY KEY, title TEXT, body TEXT);

INSERT INTO users VALUES
  (1, 'alice', 'alice-password', 'user', 'tenant-a', 'Alice', 'alice@example.test', '123-45-6789'),
  (2, 'bob', 'bob-password', 'user', 'tenant-b', 'Bob', 'bob@example.test', '987-65-4321'),
  (3, 'admin', 'admin-password', 'admin', 'tenant-a', 'Admin', 'admin@example.test', '555-55-5555');
INSERT INTO orders VALUES (1, 1, 'keyboard', 49.5), (2, 2, 'monitor', 199.0), (3, 1, 'mouse', 19.0);
INSERT INTO products VALUES (1, 'keyboard', 49.5), (2, 'monitor', 199.0), (3, 'mouse', 19.0);
INSERT INTO projects VALUES (1, 'tenant-a', 'apollo'), (2, 'tenant-b', 'borealis');
INSERT INTO items VALUES (1, 'first'), (2, 'second'), (3, 'third');
INSERT INTO reports VALUES (1, 'quarterly numbers', 'revenue 1.2M, confidential');
";

/// Opens the seeded database. The sleep functions sleep only while `slept` is false and
/// set it; the caller clears it before each query, so a statement sleeps at most once.
pub fn open(slept: Arc<AtomicBool>) -> rusqlite::Result<Connection> {
    let connection = Connection::open_in_memory()?;
    connection.execute_batch(SCHEMA)?;
    for name in ["sleep", "pg_sleep"] {
        let slept = slept.clone();
        connection.create_scalar_function(name, 1, FunctionFlags::SQLITE_UTF8, move |ctx| {
            let seconds: f64 = ctx.get::<f64>(0).unwrap_or(0.0).clamp(0.0, MAX_SLEEP_SECS);
            if !slept.swap(true, Ordering::SeqCst) {
                std::thread::sleep(Duration::from_secs_f64(seconds));
            }
            Ok(0i64)
        })?;
    }
    Ok(connection)
}
