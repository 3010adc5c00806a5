//! Durable background jobs (migration 0010): SLA timers, reminders, outbound messages.
//!
//! A job is one row named by a unique `key` (the logical job, e.g.
//! `sla:<request>:<milestone>:warn`), so arming it twice is a no-op and it can be armed in
//! the same transaction as the event that causes it. Workers [`claim`] due jobs with a
//! lease: on PostgreSQL `FOR UPDATE SKIP LOCKED`, so concurrent workers never take the
//! same row; on SQLite the claiming `UPDATE … RETURNING` runs as a write transaction, and
//! SQLite's single writer makes it the one claimer. A claim counts an attempt. Finishing
//! ([`complete`], [`fail`]) only changes a job still held by the same claim (worker and
//! attempt), so a worker whose lease ran out and was overtaken changes nothing.

use crate::db::{Backend, Db};
use crate::error::{StoreError, corrupt};
use crate::{Conn, Page, time};
use jiff::{SignedDuration, Timestamp};
use sqlx::{Any, Executor, FromRow};
use uuid::Uuid;

pub use aftersales_domain::jobs::JobStatus;

/// A job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: Uuid,
    pub kind: String,
    pub key: String,
    pub payload: serde_json::Value,
    pub due_at: Timestamp,
    pub status: JobStatus,
    /// Attempts begun so far (a claim is an attempt).
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: Option<String>,
    /// The worker of the current (or, once finished, the last) claim.
    pub locked_by: Option<String>,
    pub locked_until: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

/// A job to arm.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    /// The logical job: arming a key that exists changes nothing ([`arm`]).
    pub key: String,
    pub payload: serde_json::Value,
    pub due_at: Timestamp,
    pub max_attempts: i64,
}

/// Attempts of a job unless armed with another number.
pub const DEFAULT_MAX_ATTEMPTS: i64 = 10;
/// The longest `last_error` kept (characters).
pub const MAX_ERROR_CHARS: usize = 2000;

impl NewJob {
    pub fn new(
        kind: impl Into<String>,
        key: impl Into<String>,
        payload: serde_json::Value,
        due_at: Timestamp,
    ) -> NewJob {
        NewJob {
            kind: kind.into(),
            key: key.into(),
            payload,
            due_at,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }

    pub fn max_attempts(mut self, n: i64) -> NewJob {
        self.max_attempts = n.max(1);
        self
    }
}

/// Delay before the next attempt: `base × 2^(attempts−1)`, at most `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: SignedDuration,
    pub cap: SignedDuration,
}

impl Default for Backoff {
    /// 30 s, 1 min, 2, 4, 8, 16, 32 min, then hourly: ten attempts span about 3 h 5 min.
    fn default() -> Self {
        Backoff {
            base: SignedDuration::from_secs(30),
            cap: SignedDuration::from_hours(1),
        }
    }
}

impl Backoff {
    /// The wait after the `attempts`-th failed attempt (1 for the first).
    pub fn delay(&self, attempts: i64) -> SignedDuration {
        let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let factor = 1_i32.checked_shl(exp).unwrap_or(i32::MAX);
        self.base
            .checked_mul(factor)
            .map_or(self.cap, |d| d.min(self.cap))
    }
}

/// What [`fail`] did with the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failed {
    /// Pending again, due at this instant.
    Retry(Timestamp),
    /// Out of attempts (or failed permanently): parked for an admin.
    Parked,
}

#[derive(FromRow)]
struct Row {
    id: String,
    kind: String,
    key: String,
    payload: String,
    due_at: String,
    status: String,
    attempts: i64,
    max_attempts: i64,
    last_error: Option<String>,
    locked_by: Option<String>,
    locked_until: Option<String>,
    created_at: String,
    updated_at: String,
    finished_at: Option<String>,
}

const COLS: &str = "id, kind, key, payload, due_at, status, attempts, max_attempts, last_error, locked_by, locked_until, created_at, updated_at, finished_at";

impl TryFrom<Row> for Job {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Job, StoreError> {
        Ok(Job {
            id: r.id.parse().map_err(|_| corrupt("jobs.id", &r.id))?,
            payload: serde_json::from_str(&r.payload)
                .map_err(|_| corrupt("jobs.payload", &r.payload))?,
            due_at: time::from_db("jobs.due_at", &r.due_at)?,
            status: JobStatus::parse(&r.status).ok_or_else(|| corrupt("jobs.status", &r.status))?,
            locked_until: time::opt_from_db("jobs.locked_until", r.locked_until.as_deref())?,
            created_at: time::from_db("jobs.created_at", &r.created_at)?,
            updated_at: time::from_db("jobs.updated_at", &r.updated_at)?,
            finished_at: time::opt_from_db("jobs.finished_at", r.finished_at.as_deref())?,
            kind: r.kind,
            key: r.key,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            last_error: r.last_error,
            locked_by: r.locked_by,
        })
    }
}

fn jobs(rows: Vec<Row>) -> Result<Vec<Job>, StoreError> {
    rows.into_iter().map(Job::try_from).collect()
}

/// Arms a job unless one with its key exists (whatever that one's status): true when this
/// call created it. Takes any executor, so the job commits with the caller's transaction.
pub async fn arm<'e, E: Executor<'e, Database = Any>>(
    e: E,
    job: &NewJob,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "INSERT INTO jobs (id, kind, key, payload, due_at, status, attempts, max_attempts, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7, $7) ON CONFLICT (key) DO NOTHING",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(&job.kind)
    .bind(&job.key)
    .bind(job.payload.to_string())
    .bind(time::to_db(job.due_at)?)
    .bind(job.max_attempts.max(1))
    .bind(time::to_db(now)?)
    .execute(e)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Arms the job anew: inserts it, or sets an existing job of this key back to pending with
/// the new kind, payload, due time and a fresh count of attempts, unless it is running
/// right now. True when the job is now pending as given (false: it is running).
pub async fn rearm<'e, E: Executor<'e, Database = Any>>(
    e: E,
    job: &NewJob,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "INSERT INTO jobs (id, kind, key, payload, due_at, status, attempts, max_attempts, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7, $7) \
         ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, payload = excluded.payload, \
           due_at = excluded.due_at, status = 'pending', attempts = 0, \
           max_attempts = excluded.max_attempts, last_error = NULL, locked_by = NULL, \
           locked_until = NULL, updated_at = excluded.updated_at, finished_at = NULL \
         WHERE jobs.status <> 'running'",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(&job.kind)
    .bind(&job.key)
    .bind(job.payload.to_string())
    .bind(time::to_db(job.due_at)?)
    .bind(job.max_attempts.max(1))
    .bind(time::to_db(now)?)
    .execute(e)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Removes a job that has not started (pending) or was given up (parked), so its key is
/// free again. A running or done job stays: false.
pub async fn cancel<'e, E: Executor<'e, Database = Any>>(
    e: E,
    key: &str,
) -> Result<bool, StoreError> {
    let r = sqlx::query("DELETE FROM jobs WHERE key = $1 AND status IN ('pending', 'parked')")
        .bind(key)
        .execute(e)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Claims up to `limit` due jobs of the given kinds for `worker`, in due order: pending
/// jobs due by `now`, and running jobs whose lease ran out (their worker died or hung).
/// Each claimed job is `running`, held until `now + lease`, with one more attempt counted.
/// A job whose lease ran out on its last allowed attempt is parked instead of run again.
///
/// Runs in a transaction of its own. PostgreSQL: `FOR UPDATE SKIP LOCKED`, so concurrent
/// claimers skip each other's rows and never get the same job. SQLite: one writer at a
/// time, so each claim sees the one before.
pub async fn claim(
    db: &Db,
    worker: &str,
    kinds: &[&str],
    now: Timestamp,
    lease: SignedDuration,
    limit: i64,
) -> Result<Vec<Job>, StoreError> {
    if kinds.is_empty() || limit < 1 {
        return Ok(Vec::new());
    }
    let now_s = time::to_db(now)?;
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE jobs SET status = 'parked', \
           last_error = 'lease expired during attempt ' || CAST(attempts AS TEXT) || ' of ' || CAST(max_attempts AS TEXT) || ' (worker ' || COALESCE(locked_by, '?') || ' stopped or hung)', \
           updated_at = $1, finished_at = $1 \
         WHERE status = 'running' AND locked_until <= $1 AND attempts >= max_attempts",
    )
    .bind(&now_s)
    .execute(tx.conn())
    .await?;
    let lock = match db.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let kinds_in = crate::bulk::placeholders(5, kinds.len());
    let sql = format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $1, \
           locked_until = $2, updated_at = $3 \
         WHERE id IN (SELECT id FROM jobs \
           WHERE ((status = 'pending' AND due_at <= $3) OR (status = 'running' AND locked_until <= $3)) \
             AND attempts < max_attempts AND kind IN ({kinds_in}) \
           ORDER BY due_at, id LIMIT $4{lock}) \
         RETURNING {COLS}"
    );
    let mut q = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
        .bind(worker)
        .bind(time::to_db(now + lease)?)
        .bind(&now_s)
        .bind(limit);
    for k in kinds {
        q = q.bind(*k);
    }
    let rows = q.fetch_all(tx.conn()).await?;
    tx.commit().await?;
    let mut out = jobs(rows)?;
    out.sort_by_key(|a| (a.due_at, a.id));
    Ok(out)
}

/// Marks a claimed job done, if `job` (as claimed) is still held by `worker`: false when
/// its lease ran out and another claim took it over meanwhile.
pub async fn complete<'e, E: Executor<'e, Database = Any>>(
    e: E,
    job: &Job,
    worker: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let now = time::to_db(now)?;
    let r = sqlx::query(
        "UPDATE jobs SET status = 'done', locked_until = NULL, updated_at = $1, finished_at = $1 \
         WHERE id = $2 AND status = 'running' AND locked_by = $3 AND attempts = $4",
    )
    .bind(&now)
    .bind(job.id.to_string())
    .bind(worker)
    .bind(job.attempts)
    .execute(e)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Records a failed attempt of a claimed job still held by `worker`: pending again after
/// `backoff.delay(attempts)`, or parked when that was the last allowed attempt or the
/// failure is `permanent`. `None` when the claim was lost (see [`complete`]).
#[allow(clippy::too_many_arguments)]
pub async fn fail<'e, E: Executor<'e, Database = Any>>(
    e: E,
    job: &Job,
    worker: &str,
    now: Timestamp,
    error: &str,
    backoff: &Backoff,
    permanent: bool,
) -> Result<Option<Failed>, StoreError> {
    let error: String = if error.chars().count() > MAX_ERROR_CHARS {
        error
            .chars()
            .take(MAX_ERROR_CHARS - 1)
            .chain(['…'])
            .collect()
    } else {
        error.to_owned()
    };
    let outcome = if permanent || job.attempts >= job.max_attempts {
        Failed::Parked
    } else {
        Failed::Retry(now + backoff.delay(job.attempts))
    };
    let (status, due, finished) = match outcome {
        Failed::Parked => ("parked", job.due_at, Some(now)),
        Failed::Retry(at) => ("pending", at, None),
    };
    let r = sqlx::query(
        "UPDATE jobs SET status = $1, due_at = $2, last_error = $3, locked_until = NULL, \
           updated_at = $4, finished_at = $5 \
         WHERE id = $6 AND status = 'running' AND locked_by = $7 AND attempts = $8",
    )
    .bind(status)
    .bind(time::to_db(due)?)
    .bind(error)
    .bind(time::to_db(now)?)
    .bind(finished.map(time::to_db).transpose()?)
    .bind(job.id.to_string())
    .bind(worker)
    .bind(job.attempts)
    .execute(e)
    .await?;
    Ok((r.rows_affected() == 1).then_some(outcome))
}

/// Puts a parked job back: pending, due `now`, with a fresh count of attempts (its last
/// error stays until the next attempt ends). False when the job is not parked.
pub async fn retry<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: Uuid,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let now = time::to_db(now)?;
    let r = sqlx::query(
        "UPDATE jobs SET status = 'pending', due_at = $1, attempts = 0, locked_by = NULL, \
           locked_until = NULL, updated_at = $1, finished_at = NULL \
         WHERE id = $2 AND status = 'parked'",
    )
    .bind(&now)
    .bind(id.to_string())
    .execute(e)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: Uuid,
) -> Result<Option<Job>, StoreError> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM jobs WHERE id = $1"
    )))
    .bind(id.to_string())
    .fetch_optional(e)
    .await?;
    row.map(Job::try_from).transpose()
}

pub async fn find_by_key<'e, E: Executor<'e, Database = Any>>(
    e: E,
    key: &str,
) -> Result<Option<Job>, StoreError> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM jobs WHERE key = $1"
    )))
    .bind(key)
    .fetch_optional(e)
    .await?;
    row.map(Job::try_from).transpose()
}

/// How many jobs are in each status (statuses without jobs are left out).
pub async fn counts<'e, E: Executor<'e, Database = Any>>(
    e: E,
) -> Result<Vec<(JobStatus, i64)>, StoreError> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, count(*) FROM jobs GROUP BY status")
            .fetch_all(e)
            .await?;
    let mut out = rows
        .into_iter()
        .map(|(s, n)| {
            JobStatus::parse(&s)
                .map(|st| (st, n))
                .ok_or_else(|| corrupt("jobs.status", s))
        })
        .collect::<Result<Vec<_>, _>>()?;
    out.sort_by_key(|(s, _)| JobStatus::ALL.iter().position(|x| x == s));
    Ok(out)
}

/// Jobs of one status, or of every status in the order of [`JobStatus::ALL`] (parked
/// first); within a status the latest due first. Keyset-paginated: `after` is the `next`
/// of the page before (`status|due_at|id`).
pub async fn list(
    conn: &mut Conn,
    status: Option<JobStatus>,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<Job>, StoreError> {
    let limit = limit.max(1);
    // The cursor: the status, due time and id of the last job shown.
    let cursor = after.and_then(|a| {
        let mut p = a.splitn(3, '|');
        let st = JobStatus::parse(p.next()?)?;
        Some((st, p.next()?.to_owned(), p.next()?.to_owned()))
    });
    let statuses: Vec<JobStatus> = match status {
        Some(s) => vec![s],
        None => JobStatus::ALL.to_vec(),
    };
    let start = cursor
        .as_ref()
        .and_then(|(st, _, _)| statuses.iter().position(|s| s == st))
        .unwrap_or(0);
    let mut rows: Vec<Job> = Vec::new();
    for (i, st) in statuses.iter().enumerate().skip(start) {
        let want = limit + 1 - i64::try_from(rows.len()).unwrap_or(0);
        if want <= 0 {
            break;
        }
        let after_here = cursor
            .as_ref()
            .filter(|(cst, _, _)| i == start && cst == st);
        let part: Vec<Row> = match after_here {
            Some((_, due, id)) => {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLS} FROM jobs WHERE status = $1 AND (due_at < $2 OR (due_at = $2 AND id < $3)) \
                     ORDER BY due_at DESC, id DESC LIMIT $4"
                )))
                .bind(st.as_str())
                .bind(due)
                .bind(id)
                .bind(want)
                .fetch_all(&mut *conn)
                .await?
            }
            None => {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLS} FROM jobs WHERE status = $1 ORDER BY due_at DESC, id DESC LIMIT $2"
                )))
                .bind(st.as_str())
                .bind(want)
                .fetch_all(&mut *conn)
                .await?
            }
        };
        rows.extend(jobs(part)?);
    }
    Ok(Page::from_rows(rows, limit, |j| {
        // Read from the table, so storable; its own text is the fallback all the same.
        let due = time::to_db(j.due_at).unwrap_or_else(|_| j.due_at.to_string());
        format!("{}|{}|{}", j.status.as_str(), due, j.id)
    }))
}

/// Removes jobs done before `before` (their keys become free again).
pub async fn delete_done_before<'e, E: Executor<'e, Database = Any>>(
    e: E,
    before: Timestamp,
) -> Result<u64, StoreError> {
    let r = sqlx::query("DELETE FROM jobs WHERE status = 'done' AND finished_at < $1")
        .bind(time::to_db(before)?)
        .execute(e)
        .await?;
    Ok(r.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DbOptions;
    use serde_json::json;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let b = Backoff::default();
        let secs: Vec<i64> = (1..=11).map(|a| b.delay(a).as_secs()).collect();
        assert_eq!(
            secs,
            [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600, 3600]
        );
        assert_eq!(b.delay(0).as_secs(), 30);
        assert_eq!(b.delay(i64::MAX).as_secs(), 3600);
    }

    #[test]
    fn statuses_round_trip() {
        for s in JobStatus::ALL {
            assert_eq!(JobStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(JobStatus::parse("lost"), None);
    }

    async fn sqlite() -> (Db, std::path::PathBuf) {
        let dir =
            std::env::temp_dir().join(format!("aftersales-jobs-{}", uuid::Uuid::new_v4().simple()));
        let url = format!("sqlite://{}", dir.join("t.db").display());
        let db = Db::connect(&url, &DbOptions::default())
            .await
            .expect("connect");
        db.migrate().await.expect("migrate");
        (db, dir)
    }

    fn at(s: &str) -> Timestamp {
        s.parse().expect("instant")
    }

    #[tokio::test]
    async fn a_job_is_armed_once_claimed_once_and_finished_only_by_its_claim() {
        let (db, dir) = sqlite().await;
        let t0 = at("2026-03-01T08:00:00Z");
        let job = NewJob::new(
            "test",
            "k:1",
            json!({"n": 1}),
            t0 + SignedDuration::from_secs(60),
        );
        assert!(arm(db.pool(), &job, t0).await.expect("arm"));
        assert!(!arm(db.pool(), &job, t0).await.expect("arm again"));
        let lease = SignedDuration::from_secs(300);
        // Not due yet; and a kind nobody handles is never claimed.
        assert!(
            claim(&db, "w1", &["test"], t0, lease, 10)
                .await
                .expect("claim")
                .is_empty()
        );
        let t1 = t0 + SignedDuration::from_secs(61);
        assert!(
            claim(&db, "w1", &["other"], t1, lease, 10)
                .await
                .expect("claim")
                .is_empty()
        );
        let got = claim(&db, "w1", &["test"], t1, lease, 10)
            .await
            .expect("claim");
        assert_eq!(got.len(), 1);
        let j = &got[0];
        assert_eq!(
            (j.status, j.attempts, j.locked_by.as_deref()),
            (JobStatus::Running, 1, Some("w1"))
        );
        assert_eq!(j.payload, json!({"n": 1}));
        // Held: nobody else gets it while the lease runs.
        assert!(
            claim(&db, "w2", &["test"], t1, lease, 10)
                .await
                .expect("claim")
                .is_empty()
        );
        // After the lease another worker takes it over; the first claim can no longer finish.
        let t2 = t1 + lease;
        let again = claim(&db, "w2", &["test"], t2, lease, 10)
            .await
            .expect("claim");
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 2);
        assert!(!complete(db.pool(), j, "w1", t2).await.expect("complete"));
        assert!(
            fail(db.pool(), j, "w1", t2, "late", &Backoff::default(), false)
                .await
                .expect("fail")
                .is_none()
        );
        assert!(
            complete(db.pool(), &again[0], "w2", t2)
                .await
                .expect("complete")
        );
        let done = find_by_key(db.pool(), "k:1")
            .await
            .expect("find")
            .expect("exists");
        assert_eq!((done.status, done.finished_at), (JobStatus::Done, Some(t2)));
        // Done keeps its key: arming it again changes nothing; cancelling neither.
        assert!(!arm(db.pool(), &job, t2).await.expect("arm"));
        assert!(!cancel(db.pool(), "k:1").await.expect("cancel"));
        db.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn failures_back_off_then_park_and_a_retry_starts_over() {
        let (db, dir) = sqlite().await;
        let t0 = at("2026-03-01T08:00:00Z");
        let job = NewJob::new("test", "k:f", json!({}), t0).max_attempts(3);
        assert!(arm(db.pool(), &job, t0).await.expect("arm"));
        let lease = SignedDuration::from_secs(60);
        let b = Backoff {
            base: SignedDuration::from_secs(10),
            cap: SignedDuration::from_secs(15),
        };
        let mut now = t0;
        let mut outcomes = Vec::new();
        for _ in 0..3 {
            let got = claim(&db, "w", &["test"], now, lease, 1)
                .await
                .expect("claim");
            assert_eq!(got.len(), 1, "due at {now}");
            let o = fail(db.pool(), &got[0], "w", now, "boom", &b, false)
                .await
                .expect("fail")
                .expect("held");
            // Not claimable before its retry time.
            if let Failed::Retry(at) = o {
                let early = at - SignedDuration::from_secs(1);
                assert!(
                    claim(&db, "w", &["test"], early, lease, 1)
                        .await
                        .expect("claim")
                        .is_empty()
                );
                now = at;
            }
            outcomes.push(o);
        }
        assert_eq!(
            outcomes,
            [
                Failed::Retry(t0 + SignedDuration::from_secs(10)),
                Failed::Retry(t0 + SignedDuration::from_secs(25)),
                Failed::Parked
            ]
        );
        let later = now + SignedDuration::from_hours(5);
        assert!(
            claim(&db, "w", &["test"], later, lease, 1)
                .await
                .expect("claim")
                .is_empty()
        );
        let parked = find_by_key(db.pool(), "k:f")
            .await
            .expect("find")
            .expect("exists");
        assert_eq!(
            (parked.status, parked.attempts, parked.last_error.as_deref()),
            (JobStatus::Parked, 3, Some("boom"))
        );
        let mut conn = db.acquire().await.expect("conn");
        let page = list(&mut conn, Some(JobStatus::Parked), None, 10)
            .await
            .expect("list");
        drop(conn);
        assert_eq!(page.items.len(), 1);
        assert!(retry(db.pool(), parked.id, later).await.expect("retry"));
        assert!(
            !retry(db.pool(), parked.id, later)
                .await
                .expect("retry twice")
        );
        let got = claim(&db, "w", &["test"], later, lease, 1)
            .await
            .expect("claim");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].attempts, 1);
        assert!(
            complete(db.pool(), &got[0], "w", later)
                .await
                .expect("done")
        );
        db.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_lease_that_runs_out_on_the_last_attempt_parks_the_job() {
        let (db, dir) = sqlite().await;
        let t0 = at("2026-03-01T08:00:00Z");
        let job = NewJob::new("test", "k:crash", json!({}), t0).max_attempts(1);
        assert!(arm(db.pool(), &job, t0).await.expect("arm"));
        let lease = SignedDuration::from_secs(60);
        assert_eq!(
            claim(&db, "w1", &["test"], t0, lease, 5)
                .await
                .expect("claim")
                .len(),
            1
        );
        // w1 dies; after the lease the job is not run a second time but parked.
        let t1 = t0 + lease;
        assert!(
            claim(&db, "w2", &["test"], t1, lease, 5)
                .await
                .expect("claim")
                .is_empty()
        );
        let j = find_by_key(db.pool(), "k:crash")
            .await
            .expect("find")
            .expect("exists");
        assert_eq!(j.status, JobStatus::Parked);
        assert!(
            j.last_error.as_deref().is_some_and(|e| e
                .contains("lease expired during attempt 1 of 1")
                && e.contains("w1")),
            "{:?}",
            j.last_error
        );
        // Re-arming and cancelling by key.
        let moved = NewJob::new("test", "k:crash", json!({"v": 2}), t1);
        assert!(rearm(db.pool(), &moved, t1).await.expect("rearm"));
        let j = find_by_key(db.pool(), "k:crash")
            .await
            .expect("find")
            .expect("exists");
        assert_eq!(
            (j.status, j.attempts, j.payload.clone()),
            (JobStatus::Pending, 0, json!({"v": 2}))
        );
        assert!(cancel(db.pool(), "k:crash").await.expect("cancel"));
        assert!(
            find_by_key(db.pool(), "k:crash")
                .await
                .expect("find")
                .is_none()
        );
        db.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn the_list_pages_through_every_status_parked_first() {
        let (db, dir) = sqlite().await;
        let t0 = at("2026-03-01T08:00:00Z");
        for i in 0..5 {
            let j = NewJob::new(
                "test",
                format!("k:{i}"),
                json!({}),
                t0 + SignedDuration::from_secs(i),
            );
            arm(db.pool(), &j, t0).await.expect("arm");
        }
        // Park two of them.
        let lease = SignedDuration::from_secs(60);
        let now = t0 + SignedDuration::from_secs(1);
        for j in claim(&db, "w", &["test"], now, lease, 2)
            .await
            .expect("claim")
        {
            fail(db.pool(), &j, "w", now, "x", &Backoff::default(), true)
                .await
                .expect("fail");
        }
        let mut conn = db.acquire().await.expect("conn");
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let p = list(&mut conn, None, after.as_deref(), 2)
                .await
                .expect("list");
            seen.extend(p.items.iter().map(|j| (j.status, j.key.clone())));
            match p.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        assert_eq!(
            seen,
            [
                (JobStatus::Parked, "k:1".to_owned()),
                (JobStatus::Parked, "k:0".to_owned()),
                (JobStatus::Pending, "k:4".to_owned()),
                (JobStatus::Pending, "k:3".to_owned()),
                (JobStatus::Pending, "k:2".to_owned()),
            ]
        );
        assert_eq!(
            counts(&mut *conn).await.expect("counts"),
            [(JobStatus::Parked, 2), (JobStatus::Pending, 3)]
        );
        drop(conn);
        db.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
