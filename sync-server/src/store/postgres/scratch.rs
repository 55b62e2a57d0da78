//! Throwaway databases, for tests and benchmarks: each gets a fresh, empty
//! database on a PostgreSQL server, dropped again when it goes out of scope.
//! `scripts/test` starts such a server and names it in
//! `FIELDKIT_TEST_POSTGRES`.

use tokio_postgres::NoTls;

use crate::store::StoreError;

/// The variable naming the PostgreSQL server the tests run against (a
/// `postgres://` URL of a role that may create databases).
pub const TEST_SERVER_VARIABLE: &str = "FIELDKIT_TEST_POSTGRES";

/// A database that exists until this is dropped.
#[derive(Debug)]
pub struct ScratchDatabase {
    admin_url: String,
    name: String,
    /// The URL of the new database, for `database = ...`.
    pub url: String,
}

impl ScratchDatabase {
    /// The server named by [`TEST_SERVER_VARIABLE`], if the variable is set.
    pub fn from_env() -> Option<ScratchDatabase> {
        let admin = std::env::var(TEST_SERVER_VARIABLE).ok()?;
        Some(ScratchDatabase::create(&admin).unwrap_or_else(|e| {
            panic!("{TEST_SERVER_VARIABLE} is set but no scratch database could be made: {e}")
        }))
    }

    /// Creates a fresh database on the server `admin_url` points to.
    pub fn create(admin_url: &str) -> Result<ScratchDatabase, StoreError> {
        let name = format!("fk_{}", uuid::Uuid::new_v4().simple());
        run(
            admin_url,
            &format!("CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'"),
        )?;
        Ok(ScratchDatabase {
            url: with_database(admin_url, &name),
            admin_url: admin_url.to_owned(),
            name,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `sql` (one or more statements) in this database, for tests that
    /// break or inspect it as an operator with `psql` would.
    pub fn execute(&self, sql: &str) -> Result<(), StoreError> {
        run(&self.url, sql)
    }

    /// The rows of one query, every value as text (`None` for NULL), as
    /// `psql` shows them: for tests that look at what was stored.
    pub fn query(&self, sql: &str) -> Result<Vec<Vec<Option<String>>>, StoreError> {
        run_with(&self.url, |client| async move {
            Ok(client
                .simple_query(sql)
                .await?
                .iter()
                .filter_map(|message| match message {
                    tokio_postgres::SimpleQueryMessage::Row(row) => Some(
                        (0..row.len())
                            .map(|i| row.get(i).map(str::to_owned))
                            .collect(),
                    ),
                    _ => None,
                })
                .collect())
        })
    }

    /// Whether any row of any table holds `needle` in its text form: a
    /// scan of everything stored, as reading the SQLite file's bytes is.
    pub fn contains_text(&self, needle: &str) -> Result<bool, StoreError> {
        run_with(&self.url, |client| async move {
            let tables = client
                .query(
                    "SELECT quote_ident(table_name) FROM information_schema.tables
                     WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
                    &[],
                )
                .await?;
            for table in tables {
                let table: String = table.get(0);
                let sql = format!("SELECT 1 FROM {table} t WHERE strpos(t::text, $1) > 0 LIMIT 1");
                if client.query_opt(&sql, &[&needle]).await?.is_some() {
                    return Ok(true);
                }
            }
            Ok(false)
        })
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        // FORCE ends the connections a server under test still holds.
        let _ = run(
            &self.admin_url,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// `admin_url` with its database replaced by `name`.
pub fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (admin_url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    format!("{}/{name}{query}", &base[..host_end])
}

/// Statements on their own connection and their own small runtime, so this
/// works from sync and async code alike.
fn run(url: &str, sql: &str) -> Result<(), StoreError> {
    run_with(url, |client| async move {
        client.batch_execute(sql).await?;
        Ok(())
    })
}

fn run_with<T, F, Fut>(url: &str, work: F) -> Result<T, StoreError>
where
    F: FnOnce(tokio_postgres::Client) -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| StoreError::Database(Box::new(e)))?;
    let result = {
        let _entered = runtime.enter();
        super::block_on(tokio::task::unconstrained(async {
            let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
            tokio::spawn(connection);
            work(client).await
        }))
    };
    runtime.shutdown_background();
    result
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_database_name_replaces_the_path_only() {
        assert_eq!(
            super::with_database(
                "postgres://pg@127.0.0.1:5433/postgres?sslmode=disable",
                "fk_1"
            ),
            "postgres://pg@127.0.0.1:5433/fk_1?sslmode=disable"
        );
        assert_eq!(
            super::with_database("postgres://pg@127.0.0.1:5433", "fk_1"),
            "postgres://pg@127.0.0.1:5433/fk_1"
        );
    }
}
