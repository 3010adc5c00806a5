//! The service network (R-ORG-1): a tree of units, each of one kind.

use crate::validation::{FieldError, char_len};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgUnitKind {
    /// 客服中心: the root of the tree.
    Center,
    /// 分公司
    Branch,
    /// 服务站
    Station,
    /// 经销商/委托服务商
    Partner,
    /// 库管中心/仓库
    Warehouse,
}

impl OrgUnitKind {
    pub const ALL: [OrgUnitKind; 5] = [
        OrgUnitKind::Center,
        OrgUnitKind::Branch,
        OrgUnitKind::Station,
        OrgUnitKind::Partner,
        OrgUnitKind::Warehouse,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgUnitKind::Center => "center",
            OrgUnitKind::Branch => "branch",
            OrgUnitKind::Station => "station",
            OrgUnitKind::Partner => "partner",
            OrgUnitKind::Warehouse => "warehouse",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Which kinds may hang below this one. A center is only ever the root.
    pub fn may_contain(self, child: OrgUnitKind) -> bool {
        use OrgUnitKind::*;
        match (self, child) {
            (_, Center) => false,
            (Center, _) => true,
            (Branch, Station | Partner | Warehouse) => true,
            _ => false,
        }
    }
}

/// A short code people type and see (e.g. `SY`, `SY-HP`): 1–32 of `A-Z 0-9 -`, uppercase.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct OrgCode(String);

impl OrgCode {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim().to_uppercase();
        if s.is_empty() {
            return Err(FieldError::new(field, "required"));
        }
        if s.len() > 32 {
            return Err(FieldError::new(field, "too_long").with("max", 32));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(FieldError::new(field, "code_chars"));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A unit's name, 1–100 characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct OrgUnitName(String);

impl OrgUnitName {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(FieldError::new(field, "required"));
        }
        if char_len(s) > 100 {
            return Err(FieldError::new(field, "too_long").with("max", 100));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_center_is_only_the_root_and_stations_are_leaves() {
        use OrgUnitKind::*;
        for k in OrgUnitKind::ALL {
            assert!(!k.may_contain(Center));
            assert!(!Station.may_contain(k));
        }
        assert!(Center.may_contain(Branch));
        assert!(Branch.may_contain(Station));
        assert!(!Warehouse.may_contain(Station));
    }

    #[test]
    fn codes_are_uppercased_and_checked() {
        assert_eq!(
            OrgCode::parse("c", " sy-hp ").map(|c| c.0),
            Ok("SY-HP".into())
        );
        assert_eq!(
            OrgCode::parse("c", "沈阳")
                .expect_err("must be refused")
                .code,
            "code_chars"
        );
        assert_eq!(
            OrgCode::parse("c", "").expect_err("must be refused").code,
            "required"
        );
    }
}
