//! Argon2id password hashing. The cost is configurable so tests can use a cheap setting
//! while production uses the OWASP recommendation; verification reads the cost from the
//! stored hash, so raising it later keeps old hashes valid.

use crate::AppError;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

/// Argon2id cost: memory in KiB, iterations, lanes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordCost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub lanes: u32,
}

impl Default for PasswordCost {
    /// OWASP's recommendation for Argon2id: 19 MiB, 2 iterations, 1 lane.
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            lanes: 1,
        }
    }
}

impl PasswordCost {
    /// The cheapest setting Argon2 allows: for tests only.
    pub fn insecure_fast() -> Self {
        Self {
            memory_kib: 8,
            iterations: 1,
            lanes: 1,
        }
    }

    fn hasher(self) -> Result<Argon2<'static>, AppError> {
        let params = Params::new(self.memory_kib, self.iterations, self.lanes, None)
            .map_err(|e| AppError::Internal(format!("argon2 params: {e}")))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    pub fn hash(self, password: &str) -> Result<String, AppError> {
        self.hasher()?
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("argon2 hash: {e}")))
    }

    /// True when `password` matches `hash`. A malformed stored hash is an error, never
    /// silently "wrong password".
    pub fn verify(self, password: &str, hash: &str) -> Result<bool, AppError> {
        let parsed = argon2::PasswordHash::new(hash)
            .map_err(|e| AppError::Internal(format!("stored password hash unreadable: {e}")))?;
        // Parameters come from the stored hash, so changing the cost keeps old hashes valid.
        match Argon2::default().verify_password(password.as_bytes(), &parsed) {
            Ok(()) => Ok(true),
            Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
            Err(e) => Err(AppError::Internal(format!("argon2 verify: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_and_nothing_else() {
        let cost = PasswordCost::insecure_fast();
        let h = cost.hash("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(cost.verify("correct horse", &h).expect("verify"));
        assert!(!cost.verify("correct horsf", &h).expect("verify"));
        assert!(cost.verify("x", "not a hash").is_err());
    }
}
