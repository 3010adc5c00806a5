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

    /// The value built from the fields taken (each an `Option` from [`FieldErrors::take`],
    /// read with `?` in `build`), or every error recorded. `build` answers `None` only
    /// when a field failed, and then its error is here.
    pub fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, FieldErrors> {
        match build() {
            Some(v) if self.0.is_empty() => Ok(v),
            _ => Err(self),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn number(field: &str, s: &str) -> Result<i64, FieldError> {
        s.parse()
            .map_err(|_| FieldError::new(field, "invalid_number"))
    }

    #[test]
    fn finish_builds_the_value_or_answers_every_error() {
        let parse = |a: &str, b: &str| {
            let mut errs = FieldErrors::new();
            let a = errs.take(number("a", a));
            let b = errs.take(number("b", b));
            errs.finish(|| Some((a?, b?)))
        };
        assert_eq!(parse("1", "2"), Ok((1, 2)));
        let codes = |r: Result<(i64, i64), FieldErrors>| {
            r.expect_err("errors")
                .0
                .iter()
                .map(|e| e.field.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(codes(parse("x", "2")), ["a"]);
        assert_eq!(codes(parse("x", "y")), ["a", "b"]);
        // A value built although an error was recorded is not returned.
        let mut errs = FieldErrors::new();
        errs.push(FieldError::new("c", "required"));
        assert!(errs.finish(|| Some(1)).is_err());
    }
}
