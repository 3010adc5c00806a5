//! Field-level validation errors. A code per problem (stable, translated by the UI and the
//! API from the message catalogs) and the field it belongs to, so forms can show the error
//! beside the field and the API can list them.

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name as the API and the form call it (snake_case).
    pub field: String,
    /// A stable code, e.g. `required`, `too_short`, `invalid_chars`.
    pub code: &'static str,
    /// Numbers the message needs (e.g. `min`, `max`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<(&'static str, i64)>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str) -> Self {
        Self {
            field: field.into(),
            code,
            params: Vec::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: i64) -> Self {
        self.params.push((name, value));
        self
    }
}

/// Several field errors, collected so a form reports all of them at once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the value when parsing succeeded, records the error otherwise.
    pub fn take<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl From<FieldError> for FieldErrors {
    fn from(e: FieldError) -> Self {
        FieldErrors(vec![e])
    }
}

/// Counts characters (not bytes), so Chinese names are measured as people count them.
pub(crate) fn char_len(s: &str) -> usize {
    s.chars().count()
}
