//! Account values: user names, display names and passwords, parsed once at the edge.

use crate::validation::{FieldError, char_len};
use serde::Serialize;
use std::fmt;

/// A login name: 3–64 characters of `a-z 0-9 . _ -`, stored lowercase.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub const MIN: usize = 3;
    pub const MAX: usize = 64;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim().to_lowercase();
        if s.is_empty() {
            return Err(FieldError::new(field, "required"));
        }
        let n = char_len(&s);
        if n < Self::MIN {
            return Err(FieldError::new(field, "too_short").with("min", Self::MIN as i64));
        }
        if n > Self::MAX {
            return Err(FieldError::new(field, "too_long").with("max", Self::MAX as i64));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        {
            return Err(FieldError::new(field, "username_chars"));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name shown to people, 1–100 characters, trimmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX: usize = 100;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(FieldError::new(field, "required"));
        }
        if char_len(s) > Self::MAX {
            return Err(FieldError::new(field, "too_long").with("max", Self::MAX as i64));
        }
        if s.chars().any(char::is_control) {
            return Err(FieldError::new(field, "control_chars"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 8–256 characters, not only spaces. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN: usize = 8;
    pub const MAX: usize = 256;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        if raw.trim().is_empty() {
            return Err(FieldError::new(field, "required"));
        }
        let n = char_len(raw);
        if n < Self::MIN {
            return Err(FieldError::new(field, "too_short").with("min", Self::MIN as i64));
        }
        if n > Self::MAX {
            return Err(FieldError::new(field, "too_long").with("max", Self::MAX as i64));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn usernames_are_trimmed_and_lowercased() {
        assert_eq!(
            Username::parse("u", "  Zhang.San ").map(|u| u.0),
            Ok("zhang.san".into())
        );
    }

    #[test]
    fn usernames_outside_the_rules_are_refused_with_a_code() {
        let code = |s: &str| {
            Username::parse("username", s)
                .expect_err("must be refused")
                .code
        };
        assert_eq!(code(""), "required");
        assert_eq!(code("ab"), "too_short");
        assert_eq!(code(&"a".repeat(65)), "too_long");
        assert_eq!(code("张三"), "too_short");
        assert_eq!(code("zhang san"), "username_chars");
        assert_eq!(code("张三丰"), "username_chars");
    }

    #[test]
    fn passwords_have_a_minimum_length_and_never_print() {
        assert_eq!(
            Password::parse("p", "short")
                .expect_err("must be refused")
                .code,
            "too_short"
        );
        assert_eq!(
            Password::parse("p", "        ")
                .expect_err("must be refused")
                .code,
            "required"
        );
        let p = Password::parse("p", "correct horse").expect("valid");
        assert_eq!(format!("{p:?}"), "Password(***)");
    }

    #[test]
    fn display_names_count_characters_not_bytes() {
        assert!(DisplayName::parse("n", &"张".repeat(100)).is_ok());
        assert_eq!(
            DisplayName::parse("n", &"张".repeat(101))
                .expect_err("must be refused")
                .code,
            "too_long"
        );
    }

    proptest! {
        #[test]
        fn a_parsed_username_always_parses_again_to_itself(s in "[A-Za-z0-9._-]{3,64}") {
            let u = Username::parse("u", &s).expect("valid by construction");
            prop_assert_eq!(Username::parse("u", u.as_str()).expect("reparse"), u);
        }
    }
}
