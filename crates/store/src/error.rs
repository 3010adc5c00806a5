use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique or foreign-key constraint refused the write.
    #[error("constraint violated: {0}")]
    Constraint(String),
    /// A row held a value the code cannot read back (a bug or a hand-edited database).
    #[error("corrupt value in {column}: {value}")]
    Corrupt { column: &'static str, value: String },
    /// An instant outside what the store can write and read back in time order (years
    /// 1–9999); the domain's bounds should have refused it earlier.
    #[error("instant out of the storable range: {0}")]
    Unstorable(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db)
                if matches!(
                    db.kind(),
                    sqlx::error::ErrorKind::UniqueViolation
                        | sqlx::error::ErrorKind::ForeignKeyViolation
                ) =>
            {
                StoreError::Constraint(db.message().to_owned())
            }
            _ => StoreError::Database(e),
        }
    }
}

pub(crate) fn corrupt(column: &'static str, value: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        column,
        value: value.into(),
    }
}
