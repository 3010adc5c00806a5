//! Account values: user names, display names and passwords, parsed once at the edge.

use crate::validation::{FieldError, char_len};
use serde::Serialize;
use std::fmt;

/// The name events and the audit trail record for one of the system's own processes
/// (`system:sla`, `system:demo`): pages name it "系统" / "System".
pub fn system_actor_name(process: &str) -> String {
    format!("system:{process}")
}

/// Whether a recorded actor name is one of the system's processes.
pub fn is_system_actor(name: &str) -> bool {
    name.starts_with("system:")
}

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

/// A new password: 8–256 characters, not only spaces, not one character repeated, not one
/// of the most common passwords (`data/common-passwords.txt`, compared case-insensitively),
/// and not the account's user name: neither the name, nor the name reversed, nor the name
/// with fewer than 8 other characters around it. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

/// The common-password list, lowercase, parsed once.
fn common_passwords() -> &'static std::collections::HashSet<&'static str> {
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    SET.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

impl Password {
    pub const MIN: usize = 8;
    pub const MAX: usize = 256;

    /// Parses the new password of the account named `username` (as typed; compared in
    /// lowercase).
    pub fn parse(field: &str, raw: &str, username: &str) -> Result<Self, FieldError> {
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
        let lower = raw.to_lowercase();
        let mut chars = lower.chars();
        if let Some(first) = chars.next()
            && chars.all(|c| c == first)
        {
            return Err(FieldError::new(field, "password_repeated"));
        }
        if common_passwords().contains(lower.trim()) {
            return Err(FieldError::new(field, "password_common"));
        }
        let name = username.trim().to_lowercase();
        if !name.is_empty() {
            let reversed: String = name.chars().rev().collect();
            let rest = char_len(&lower.replace(&name, ""));
            if lower == name || lower == reversed || (lower.contains(&name) && rest < Self::MIN) {
                return Err(FieldError::new(field, "password_has_username"));
            }
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
            Password::parse("p", "short", "agent")
                .expect_err("must be refused")
                .code,
            "too_short"
        );
        assert_eq!(
            Password::parse("p", "        ", "agent")
                .expect_err("must be refused")
                .code,
            "required"
        );
        let p = Password::parse("p", "correct horse", "agent").expect("valid");
        assert_eq!(format!("{p:?}"), "Password(***)");
    }

    #[test]
    fn common_repeated_and_name_like_passwords_are_refused() {
        let code = |p: &str, u: &str| Password::parse("p", p, u).map(|_| ()).map_err(|e| e.code);
        for p in [
            "12345678",
            "password",
            "PassWord",
            "qwertyuiop",
            "iloveyou",
            "1q2w3e4r",
            "woaini1314",
            "woaini5201314",
            "a12345678",
            "qq123456",
            "Password123",
            "11223344",
            "Admin123",
            "welcome1",
        ] {
            assert_eq!(code(p, "someone"), Err("password_common"), "{p}");
        }
        assert_eq!(code("aaaaaaaa", "x.y"), Err("password_repeated"));
        assert_eq!(code("ÄÄÄÄääää", "x.y"), Err("password_repeated"));
        assert_eq!(code("zhang.wei", "zhang.wei"), Err("password_has_username"));
        assert_eq!(code("ZHANG.WEI", "zhang.wei"), Err("password_has_username"));
        assert_eq!(code("iew.gnahz", "zhang.wei"), Err("password_has_username"));
        assert_eq!(
            code("zhang.wei2024", "zhang.wei"),
            Err("password_has_username")
        );
        // The name with enough else around it is a password of its own.
        assert_eq!(code("Admin-pass-2026", "admin"), Ok(()));
        assert_eq!(code("demo-2026", "agent"), Ok(()));
        assert_eq!(code("correct horse battery", "zhang.wei"), Ok(()));
        // The list has every line lowercase and no blank entry.
        assert!(common_passwords().len() > 1000);
        assert!(common_passwords().iter().all(|p| *p == p.to_lowercase()));
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

#[cfg(test)]
mod actor_tests {
    use super::*;

    #[test]
    fn system_actors_are_told_from_people() {
        assert!(is_system_actor(&system_actor_name("sla")));
        assert!(!is_system_actor("张伟"));
        assert!(!is_system_actor("system"));
    }
}
