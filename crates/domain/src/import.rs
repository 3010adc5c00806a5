//! Imports of customers, units and products from spreadsheets (R-CUS-5): the names an import
//! answers with. The reading of files and rows is the app's (`administration/import`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a column of an imported file goes, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnSource {
    /// The caller's mapping named it (or told to ignore it).
    Mapping,
    /// A header people use for one of our fields.
    Default,
    /// A column this product adds itself (the error column of a rejects file).
    Ignored,
    /// Not recognized: the column is not imported.
    Unknown,
}

impl ColumnSource {
    pub const ALL: &'static [ColumnSource] = &[
        ColumnSource::Mapping,
        ColumnSource::Default,
        ColumnSource::Ignored,
        ColumnSource::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ColumnSource::Mapping => "mapping",
            ColumnSource::Default => "default",
            ColumnSource::Ignored => "ignored",
            ColumnSource::Unknown => "unknown",
        }
    }

    /// Not recognized: shown to the user as a column that will not be imported.
    pub fn is_unknown(self) -> bool {
        self == ColumnSource::Unknown
    }
}

impl fmt::Display for ColumnSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_serialize_as_their_names() {
        for s in ColumnSource::ALL {
            let json = serde_json::to_value(s).expect("name");
            assert_eq!(json.as_str(), Some(s.as_str()));
        }
        assert!(ColumnSource::Unknown.is_unknown());
        assert!(!ColumnSource::Ignored.is_unknown());
    }
}
