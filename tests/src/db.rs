//! Direct database access: a database per PostgreSQL test, and the rare statement a case needs
//! that the API cannot express (e.g. making a token already expired).

use std::path::Path;

use sqlx::Connection;

fn with_database(admin_url: &str, name: &str) -> String {
    let mut url = reqwest::Url::parse(admin_url)
        .unwrap_or_else(|e| panic!("TAOS_TEST_DATABASE_URL is not a URL ({e}): {admin_url}"));
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// Creates database `name` on the server of `admin_url` and returns its URL.
pub(crate) async fn create_pg_database(admin_url: &str, name: &str) -> String {
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to TAOS_TEST_DATABASE_URL {admin_url}: {e}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
    let _ = conn.close().await;
    with_database(admin_url, name)
}

/// Drops database `name` (best effort: a leftover test database is not a failure).
pub(crate) async fn drop_pg_database(admin_url: &str, name: &str) {
    let Ok(mut conn) = sqlx::PgConnection::connect(admin_url).await else {
        eprintln!("warning: could not connect to drop test database {name}");
        return;
    };
    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await {
        eprintln!("warning: could not drop test database {name}: {e}");
    }
    let _ = conn.close().await;
}

pub(crate) async fn pg_execute(url: &str, sql: &str, params: &[&str]) -> u64 {
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
    for p in params {
        query = query.bind(p.to_string());
    }
    let done = query
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("SQL failed on PostgreSQL: {sql}: {e}"));
    let _ = conn.close().await;
    done.rows_affected()
}

pub(crate) async fn sqlite_execute(file: &Path, sql: &str, params: &[&str]) -> u64 {
    let url = format!("sqlite://{}", file.display());
    let mut conn = sqlx::SqliteConnection::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    // SQLite reads `$1` as a named parameter; sqlx binds those by position like `?`.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
    for p in params {
        query = query.bind(p.to_string());
    }
    let done = query
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("SQL failed on SQLite: {sql}: {e}"));
    let _ = conn.close().await;
    done.rows_affected()
}
