//! The reads on every authenticated request — the token lookup, one agent — and the list pages
//! of agents and notifications, done straight on SQLite from the calling thread.
//!
//! Why: sqlx runs each SQLite connection on a worker thread of its own and hands every query
//! and every row across a channel, so a 10 µs indexed read costs several thread switches;
//! on a two-core box that switching dominated the authenticated hot path (docs/benchmarks.md).
//! An indexed read from SQLite's page cache is as cheap as the CPU work around it, so it runs
//! inline. Each thread keeps its own read connection (`query_only`), so there is no lock and
//! no hop. Writes, and everything on PostgreSQL, stay with sea-orm. A store test checks that
//! these reads return exactly what the sea-orm queries return.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::config::DbConfig;
use rusqlite::types::{Type, ValueRef};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row};
use sea_orm::DbErr;
use uuid::Uuid;

use super::records::{Agent, AgentView, Notification, Token, TokenKind, TokenPrincipal, User};

/// Read connections kept per thread (one per store; a process normally has one store).
const PER_THREAD: usize = 4;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static CONNECTIONS: RefCell<Vec<(u64, Connection)>> = const { RefCell::new(Vec::new()) };
}

#[derive(Debug)]
pub(super) struct SqliteReads {
    id: u64,
    path: PathBuf,
}

/// The database file of a `sqlite:` URL, or None for in-memory databases (no second
/// connection could see them).
pub(super) fn file_of(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path.contains(":memory:") || url.contains("mode=memory") {
        return None;
    }
    Some(PathBuf::from(path))
}

const USER_COLS: &str =
    "u.id, u.username, u.password_hash, u.full_name, u.email, u.admin, u.created_at, u.deleted_at";
const TOKEN_COLS: &str = "t.id, t.kind, t.user_id, t.agent_id, t.label, t.token_hash, t.scope, t.created_at, \
     t.expires_at, t.revoked_at, t.last_used_at";
const AGENT_COLS: &str = "a.id, a.user_id, a.slug, a.display_name, a.host, a.qmd_index, a.color, a.emoji, \
     a.can_read_user_memory, a.scope, a.status, a.created_at, a.updated_at, a.archived_at";
/// Read with `AGENT_COLS` where the agent is shown (not where it is only authenticated).
const PERSONA_COLS: &str = "a.model, a.soul_md, a.agent_md, a.memory_plugin";
const NOTIFICATION_COLS: &str = "n.id, n.user_id, n.title, n.message, n.level, n.source, n.app_origin, \
     n.action_url, n.read, n.created_at";
const TOKEN_N: usize = 11;
const USER_N: usize = 8;

impl SqliteReads {
    pub(super) fn new(path: PathBuf) -> SqliteReads {
        SqliteReads {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            path,
        }
    }

    /// The database file.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    fn open(path: &Path) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        // These connections only ever read.
        conn.pragma_update(None, "query_only", true)?;
        // Plans that do not depend on the values bound. Without this SQLite looks at a bound
        // `LIMIT ?` when planning and so re-prepares the statement at every new binding: for
        // the agents page that re-prepare cost more than the read itself.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        // The knowledge search on these connections cuts its snippets with it.
        super::knowledge::fts5_snippet::register(&conn)?;
        Ok(conn)
    }

    /// Runs `f` on this thread's connection to the database (also the knowledge search's,
    /// `knowledge::inline`).
    pub(in crate::store) fn with<R>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<R>,
    ) -> Result<R, DbErr> {
        CONNECTIONS.with(|cell| {
            let mut conns = cell.borrow_mut();
            let index = match conns.iter().position(|(id, _)| *id == self.id) {
                Some(i) => i,
                None => {
                    let conn = Self::open(&self.path).map_err(db_err)?;
                    if conns.len() >= PER_THREAD {
                        conns.remove(0);
                    }
                    conns.push((self.id, conn));
                    conns.len() - 1
                }
            };
            f(&conns[index].1).map_err(db_err)
        })
    }

    /// The bearer token's row with its user and agent; see `Store::find_token`.
    pub(super) fn find_token(&self, token_hash: &str) -> Result<Option<TokenPrincipal>, DbErr> {
        self.with(|conn| {
            let sql = format!(
                "SELECT {TOKEN_COLS}, {USER_COLS}, {AGENT_COLS} FROM api_tokens t \
                 JOIN users u ON u.id = t.user_id LEFT JOIN agents a ON a.id = t.agent_id \
                 WHERE t.token_hash = ?1"
            );
            conn.prepare_cached(&sql)?
                .query_row([token_hash], |row| {
                    let user = user(row, TOKEN_N)?;
                    let agent = match blob(row, TOKEN_N + USER_N)? {
                        Some(_) => Some(agent_at(row, TOKEN_N + USER_N)?),
                        None => None,
                    };
                    Ok((token(row, 0)?, user, agent))
                })
                .optional()
        })
        .map(|found| {
            found.and_then(|(token, user, agent)| {
                user.deleted_at
                    .is_none()
                    .then_some(TokenPrincipal { token, user, agent })
            })
        })
    }

    /// A live agent of the user with its owner's name and active token; see `Store::get_agent`.
    pub(super) fn get_agent(&self, user_id: Uuid, slug: &str) -> Result<Option<AgentView>, DbErr> {
        self.with(|conn| {
            let sql = format!(
                "SELECT {AGENT_COLS}, {PERSONA_COLS}, u.username, {TOKEN_COLS} FROM agents a \
                 JOIN users u ON u.id = a.user_id \
                 LEFT JOIN api_tokens t ON t.agent_id = a.id AND t.revoked_at IS NULL \
                 WHERE a.user_id = ?1 AND a.slug = ?2 AND a.archived_at IS NULL"
            );
            conn.prepare_cached(&sql)?
                .query_row(rusqlite::params![user_id.as_bytes().as_slice(), slug], agent_view)
                .optional()
        })
    }

    /// A page of the user's live agents with their owners' names and active tokens, id
    /// ascending, after the cursor: one query; see `Store::list_agents`.
    pub(super) fn list_agents(
        &self,
        user_id: Uuid,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<AgentView>, DbErr> {
        self.with(|conn| {
            let sql = format!(
                "SELECT {AGENT_COLS}, {PERSONA_COLS}, u.username, {TOKEN_COLS} FROM agents a \
                 JOIN users u ON u.id = a.user_id \
                 LEFT JOIN api_tokens t ON t.agent_id = a.id AND t.revoked_at IS NULL \
                 WHERE a.user_id = ?1 AND a.archived_at IS NULL AND a.id > ?2 \
                 ORDER BY a.id LIMIT ?3"
            );
            // Ids are v7 UUIDs, so every one sorts after the nil UUID.
            let after = after.unwrap_or(Uuid::nil());
            let mut stmt = conn.prepare_cached(&sql)?;
            let params = rusqlite::params![
                user_id.as_bytes().as_slice(),
                after.as_bytes().as_slice(),
                sql_limit(limit)
            ];
            stmt.query_map(params, agent_view)?.collect()
        })
    }

    /// A page of the user's notifications, id descending, before the cursor; see
    /// `Store::list_notifications`.
    pub(super) fn list_notifications(
        &self,
        user_id: Uuid,
        unread_only: bool,
        before: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<Notification>, DbErr> {
        self.with(|conn| {
            let unread = if unread_only { "AND n.read = 0" } else { "" };
            let sql = format!(
                "SELECT {NOTIFICATION_COLS} FROM notifications n \
                 WHERE n.user_id = ?1 AND n.id < ?2 {unread} ORDER BY n.id DESC LIMIT ?3"
            );
            // Every id sorts before the max UUID.
            let before = before.unwrap_or(Uuid::max());
            let mut stmt = conn.prepare_cached(&sql)?;
            let params = rusqlite::params![
                user_id.as_bytes().as_slice(),
                before.as_bytes().as_slice(),
                sql_limit(limit)
            ];
            stmt.query_map(params, notification)?.collect()
        })
    }
}

/// A page size as SQLite takes it (pages are at most a few hundred rows).
fn sql_limit(limit: u64) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

fn db_err(e: rusqlite::Error) -> DbErr {
    DbErr::Custom(format!("sqlite read: {e}"))
}

fn conversion(i: usize, ty: Type, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(i, ty, Box::new(e))
}

// Columns are read by reference (no copy of the blob or text) where only a parse of them is
// kept: a page of agents decodes several of each per row.

fn blob<'r>(row: &'r Row, i: usize) -> rusqlite::Result<Option<&'r [u8]>> {
    match row.get_ref(i)? {
        ValueRef::Null => Ok(None),
        ValueRef::Blob(b) => Ok(Some(b)),
        other => Err(rusqlite::Error::InvalidColumnType(
            i,
            String::new(),
            other.data_type(),
        )),
    }
}

fn text<'r>(row: &'r Row, i: usize) -> rusqlite::Result<Option<&'r str>> {
    match row.get_ref(i)? {
        ValueRef::Null => Ok(None),
        ValueRef::Text(t) => std::str::from_utf8(t)
            .map(Some)
            .map_err(|e| conversion(i, Type::Text, e)),
        other => Err(rusqlite::Error::InvalidColumnType(
            i,
            String::new(),
            other.data_type(),
        )),
    }
}

fn required<T>(i: usize, ty: Type, value: Option<T>) -> rusqlite::Result<T> {
    value.ok_or(rusqlite::Error::InvalidColumnType(i, String::new(), ty))
}

fn opt_uuid(row: &Row, i: usize) -> rusqlite::Result<Option<Uuid>> {
    blob(row, i)?
        .map(|b| Uuid::from_slice(b).map_err(|e| conversion(i, Type::Blob, e)))
        .transpose()
}

fn uuid(row: &Row, i: usize) -> rusqlite::Result<Uuid> {
    required(i, Type::Null, opt_uuid(row, i)?)
}

fn opt_time(row: &Row, i: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    text(row, i)?
        .map(|t| {
            DateTime::parse_from_rfc3339(t)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| conversion(i, Type::Text, e))
        })
        .transpose()
}

fn time(row: &Row, i: usize) -> rusqlite::Result<DateTime<Utc>> {
    required(i, Type::Null, opt_time(row, i)?)
}

fn scope(row: &Row, i: usize) -> rusqlite::Result<Vec<String>> {
    let text = required(i, Type::Null, text(row, i)?)?;
    serde_json::from_str(text).map_err(|e| conversion(i, Type::Text, e))
}

fn token(row: &Row, i: usize) -> rusqlite::Result<Token> {
    let kind = required(i + 1, Type::Null, text(row, i + 1)?)?;
    Ok(Token {
        id: uuid(row, i)?,
        kind: TokenKind::from_db(kind).ok_or_else(|| conversion(i + 1, Type::Text, UnknownKind))?,
        user_id: uuid(row, i + 2)?,
        agent_id: opt_uuid(row, i + 3)?,
        label: row.get(i + 4)?,
        token_hash: row.get(i + 5)?,
        scope: scope(row, i + 6)?,
        created_at: time(row, i + 7)?,
        expires_at: opt_time(row, i + 8)?,
        revoked_at: opt_time(row, i + 9)?,
        last_used_at: opt_time(row, i + 10)?,
    })
}

fn user(row: &Row, i: usize) -> rusqlite::Result<User> {
    Ok(User {
        id: uuid(row, i)?,
        username: row.get(i + 1)?,
        password_hash: row.get(i + 2)?,
        full_name: row.get(i + 3)?,
        email: row.get(i + 4)?,
        admin: row.get(i + 5)?,
        created_at: time(row, i + 6)?,
        deleted_at: opt_time(row, i + 7)?,
    })
}

fn agent_at(row: &Row, i: usize) -> rusqlite::Result<Agent> {
    Ok(Agent {
        id: uuid(row, i)?,
        user_id: uuid(row, i + 1)?,
        slug: row.get(i + 2)?,
        display_name: row.get(i + 3)?,
        host: row.get(i + 4)?,
        qmd_index: row.get(i + 5)?,
        color: row.get(i + 6)?,
        emoji: row.get(i + 7)?,
        can_read_user_memory: row.get(i + 8)?,
        scope: scope(row, i + 9)?,
        status: row.get(i + 10)?,
        created_at: time(row, i + 11)?,
        updated_at: time(row, i + 12)?,
        archived_at: opt_time(row, i + 13)?,
        persona: Default::default(),
    })
}

/// `AGENT_COLS`, `PERSONA_COLS`, the owner's username, then `TOKEN_COLS` (all NULL without an
/// active token).
fn agent_view(row: &Row) -> rusqlite::Result<AgentView> {
    let token = match blob(row, 19)? {
        Some(_) => Some(token(row, 19)?),
        None => None,
    };
    let mut agent = agent_at(row, 0)?;
    agent.persona = crate::store::Persona {
        model: row.get(14)?,
        soul_md: row.get(15)?,
        agent_md: row.get(16)?,
        memory_plugin: row.get(17)?,
    };
    Ok(AgentView {
        agent,
        owner_username: row.get(18)?,
        token,
    })
}

fn notification(row: &Row) -> rusqlite::Result<Notification> {
    Ok(Notification {
        id: uuid(row, 0)?,
        user_id: uuid(row, 1)?,
        title: row.get(2)?,
        message: row.get(3)?,
        level: row.get(4)?,
        source: row.get(5)?,
        app_origin: row.get(6)?,
        action_url: row.get(7)?,
        read: row.get(8)?,
        created_at: time(row, 9)?,
    })
}

#[derive(Debug)]
struct UnknownKind;

impl std::fmt::Display for UnknownKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("unknown token kind")
    }
}

impl std::error::Error for UnknownKind {}

#[cfg(test)]
mod tests {
    use super::file_of;

    #[test]
    fn database_files_of_urls() {
        assert_eq!(
            file_of("sqlite:///tmp/x/taos.db").as_deref(),
            Some(std::path::Path::new("/tmp/x/taos.db"))
        );
        assert_eq!(
            file_of("sqlite://rel.db?mode=rwc").as_deref(),
            Some(std::path::Path::new("rel.db"))
        );
        assert_eq!(file_of("sqlite::memory:"), None);
        assert_eq!(file_of("sqlite://x?mode=memory"), None);
        assert_eq!(file_of("postgres://h/db"), None);
    }
}
