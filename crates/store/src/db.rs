use crate::error::StoreError;
use sqlx::AnyConnection;
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Executor, Transaction};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

#[derive(Clone, Debug)]
pub struct DbOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// The database: a pool plus what differs per backend.
///
/// On SQLite only one writer can hold the file at a time; writers queue on an in-process
/// lock and start with `BEGIN IMMEDIATE`, so a transaction never fails half-way because
/// another one upgraded to a write lock first. Commits are group commits (see
/// [`WalSync`]): the lock is held while the transaction writes, not while its log is
/// flushed to disk. PostgreSQL runs writers concurrently.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    write_lock: Option<Arc<Mutex<()>>>,
    wal_sync: Option<Arc<WalSync>>,
}

/// A write transaction. Dropping it without `commit` rolls back.
pub struct Tx {
    inner: Transaction<'static, Any>,
    writer: Option<(OwnedMutexGuard<()>, Option<Arc<WalSync>>)>,
}

impl Tx {
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.inner
    }

    /// Commits, and returns once the transaction is on disk: on SQLite, after an fsync of
    /// the write-ahead log that may cover the commits of other writers too.
    pub async fn commit(self) -> Result<(), StoreError> {
        let Tx { inner, writer } = self;
        inner.commit().await?;
        if let Some((guard, Some(sync))) = writer {
            // Numbered while the writer lock is held: in commit order.
            let seq = sync.committed.fetch_add(1, Ordering::AcqRel) + 1;
            drop(guard);
            sync.durable(seq).await?;
        }
        Ok(())
    }
}

/// Group commit for SQLite in WAL mode.
///
/// Connections run with `synchronous = NORMAL`: a commit writes its frames to the WAL
/// file (the operating system has them: a crash of the process loses nothing) without
/// waiting for the disk, and the writer lock passes to the next transaction at once.
/// Before the commit is acknowledged, its writer waits here until an `fdatasync` of the
/// WAL that began after the commit has finished. One writer syncs for all who committed
/// before it started; those who committed meanwhile are covered by the next sync. So
/// an acknowledged write survives a power loss as with `synchronous = FULL`, while 32
/// writers no longer queue behind 32 separate fsyncs. (Checkpoints sync the WAL and the
/// database file themselves under `NORMAL`, so a frame copied out of the WAL and reset
/// is on disk already.) What another connection reads may, for the few milliseconds
/// before the sync, not yet be durable, as with any group commit.
pub struct WalSync {
    wal: PathBuf,
    committed: AtomicU64,
    synced: AtomicU64,
    /// How many fsyncs ran (fewer than commits when writers overlap).
    syncs: AtomicU64,
    flush: Mutex<()>,
}

impl WalSync {
    fn new(db_path: &str) -> WalSync {
        WalSync {
            wal: PathBuf::from(format!("{db_path}-wal")),
            committed: AtomicU64::new(0),
            synced: AtomicU64::new(0),
            syncs: AtomicU64::new(0),
            flush: Mutex::new(()),
        }
    }

    async fn durable(&self, seq: u64) -> Result<(), StoreError> {
        if self.synced.load(Ordering::Acquire) >= seq {
            return Ok(());
        }
        let _flushing = self.flush.lock().await;
        if self.synced.load(Ordering::Acquire) >= seq {
            return Ok(());
        }
        // Every commit numbered up to here has written its frames.
        let upto = self.committed.load(Ordering::Acquire);
        let wal = self.wal.clone();
        tokio::task::spawn_blocking(move || sync_file(&wal))
            .await
            .map_err(|e| StoreError::Io(std::io::Error::other(e)))??;
        self.synced.fetch_max(upto, Ordering::AcqRel);
        self.syncs.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// `fdatasync` of the file at `path` (opened anew: SQLite may have replaced the WAL after
/// a checkpoint when the last connection closed). No file means nothing to sync.
fn sync_file(path: &Path) -> std::io::Result<()> {
    match std::fs::File::open(path) {
        Ok(f) => f.sync_data(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

impl Db {
    /// Connects to `url` (`sqlite://path` or `postgres://…`). For SQLite the file and its
    /// directory are created; WAL, foreign keys and a busy timeout are set on every
    /// connection, and commits are synced to disk before they return (group commit, see
    /// [`WalSync`]), so an acknowledged write survives a crash.
    pub async fn connect(url: &str, opts: &DbOptions) -> Result<Db, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url).ok_or_else(|| {
            StoreError::Database(sqlx::Error::Configuration(
                "database URL must start with sqlite:// or postgres://".into(),
            ))
        })?;
        let mut wal_sync = None;
        let pool = match backend {
            Backend::Sqlite => {
                let (path, _) = url
                    .trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:")
                    .split_once('?')
                    .unwrap_or((
                        url.trim_start_matches("sqlite://")
                            .trim_start_matches("sqlite:"),
                        "",
                    ));
                if path != ":memory:"
                    && let Some(dir) = Path::new(path)
                        .parent()
                        .filter(|d| !d.as_os_str().is_empty())
                {
                    std::fs::create_dir_all(dir)?;
                }
                if path != ":memory:" {
                    wal_sync = Some(Arc::new(WalSync::new(path)));
                }
                let url = if url.contains('?') {
                    url.to_owned()
                } else {
                    format!("{url}?mode=rwc")
                };
                // journal_mode is a property of the file: set it once before the pool.
                {
                    use sqlx::Connection;
                    let mut c = AnyConnection::connect(&url).await?;
                    c.execute("PRAGMA journal_mode = WAL").await?;
                    c.close().await?;
                }
                AnyPoolOptions::new()
                    .max_connections(opts.max_connections)
                    .acquire_timeout(opts.acquire_timeout)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32768; PRAGMA mmap_size = 2147418112;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(opts.max_connections)
                    .acquire_timeout(opts.acquire_timeout)
                    .connect(url)
                    .await?
            }
        };
        let write_lock = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Ok(Db {
            pool,
            backend,
            write_lock,
            wal_sync,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for reads.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Applies pending migrations of this backend's tree.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATOR.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATOR.run(&self.pool).await?,
        }
        Ok(())
    }

    /// A connection from the pool, for a read of several queries.
    pub async fn acquire(&self) -> Result<sqlx::pool::PoolConnection<Any>, StoreError> {
        Ok(self.pool.acquire().await?)
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        match &self.write_lock {
            Some(lock) => {
                let guard = lock.clone().lock_owned().await;
                let inner = self.pool.begin_with("BEGIN IMMEDIATE").await?;
                Ok(Tx {
                    inner,
                    writer: Some((guard, self.wal_sync.clone())),
                })
            }
            None => Ok(Tx {
                inner: self.pool.begin().await?,
                writer: None,
            }),
        }
    }

    /// Checks the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Writes a consistent copy of a live SQLite database to `to` (`VACUUM INTO`), which
    /// readers and writers may keep using meanwhile.
    pub async fn backup_sqlite(&self, to: &Path) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Database(sqlx::Error::Configuration(
                "VACUUM INTO backup is for SQLite only".into(),
            )));
        }
        if to.exists() {
            return Err(StoreError::Io(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} already exists", to.display()),
            )));
        }
        sqlx::query("VACUUM INTO $1")
            .bind(to.to_string_lossy().into_owned())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_sqlite_commits_return_after_a_sync_that_covers_them() {
        let dir = std::env::temp_dir().join(format!(
            "aftersales-walsync-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let url = format!("sqlite://{}", dir.join("t.db").display());
        let db = Db::connect(&url, &DbOptions::default())
            .await
            .expect("connect");
        let mut tx = db.begin().await.expect("begin");
        sqlx::query("CREATE TABLE t (n BIGINT NOT NULL)")
            .execute(tx.conn())
            .await
            .expect("create");
        tx.commit().await.expect("commit");
        let sync = db.wal_sync.clone().expect("a file database syncs its WAL");
        let mut tasks = Vec::new();
        for n in 0..40_i64 {
            let db = db.clone();
            let sync = sync.clone();
            tasks.push(tokio::spawn(async move {
                let mut tx = db.begin().await.expect("begin");
                sqlx::query("INSERT INTO t (n) VALUES ($1)")
                    .bind(n)
                    .execute(tx.conn())
                    .await
                    .expect("insert");
                tx.commit().await.expect("commit");
                // Acknowledged: a sync that began after this commit has finished.
                let (synced, committed) = (
                    sync.synced.load(Ordering::Acquire),
                    sync.committed.load(Ordering::Acquire),
                );
                assert!(
                    synced >= 1 && synced <= committed,
                    "{synced} of {committed}"
                );
            }));
        }
        for t in tasks {
            t.await.expect("task");
        }
        assert_eq!(sync.committed.load(Ordering::Acquire), 41);
        assert_eq!(
            sync.synced.load(Ordering::Acquire),
            41,
            "every commit synced"
        );
        let syncs = sync.syncs.load(Ordering::Relaxed);
        assert!((1..=41).contains(&syncs), "{syncs} fsyncs for 41 commits");
        let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM t")
            .fetch_one(db.pool())
            .await
            .expect("count");
        assert_eq!(n, 40);
        db.close().await;
        // A WAL removed when the last connection closed has nothing left to sync.
        assert!(sync_file(&dir.join("t.db-wal")).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
