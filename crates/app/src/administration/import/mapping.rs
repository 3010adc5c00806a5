//! From the file's columns to our fields: the fields a column can feed, the headers people
//! use for them, and the caller's mapping.

use super::ImportKind;
use super::report::ColumnMap;
use crate::AppError;
use aftersales_domain::import::ColumnSource;
use aftersales_domain::{FieldError, FieldErrors};
use aftersales_sheets::Table;
use std::collections::{BTreeMap, HashSet};

/// One of our fields that a column can feed.
#[derive(Debug)]
pub struct FieldDef {
    pub name: &'static str,
    pub required: bool,
    /// Several columns may feed it (phone numbers).
    pub multi: bool,
    /// Headers recognized without a mapping (compared without case, spaces, punctuation
    /// and text in parentheses).
    pub aliases: &'static [&'static str],
}

pub(super) const fn f(name: &'static str, aliases: &'static [&'static str]) -> FieldDef {
    FieldDef {
        name,
        required: false,
        multi: false,
        aliases,
    }
}

pub(super) const fn req(name: &'static str, aliases: &'static [&'static str]) -> FieldDef {
    FieldDef {
        name,
        required: true,
        multi: false,
        aliases,
    }
}

/// Columns of files this product wrote (the error column of a rejects file), skipped
/// without being reported as unknown.
const IGNORED_HEADERS: &[&str] = &[
    "导入错误",
    "import errors",
    "错误原因",
    "原行号",
    "original row",
];

/// A header as compared: lower case, without spaces, punctuation, `*` marks and text in
/// parentheses ("客户名称（必填）" → "客户名称", "S/N" → "sn", "Sale_Date" → "saledate").
pub fn normalize_header(h: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in h.chars() {
        match c {
            '(' | '（' | '[' | '【' => depth += 1,
            ')' | '）' | ']' | '】' => depth = (depth - 1).max(0),
            _ if depth > 0 => {}
            c if c.is_whitespace()
                || matches!(
                    c,
                    '_' | '-' | '.' | '/' | '*' | '＊' | ':' | '：' | '#' | '\u{feff}'
                ) => {}
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Resolved columns: for each column of the file, the field it feeds.
pub(super) struct Columns {
    pub(super) field_of: Vec<Option<&'static FieldDef>>,
    pub(super) maps: Vec<ColumnMap>,
}

pub(super) fn resolve_columns(
    kind: ImportKind,
    headers: &[String],
    mapping: &BTreeMap<String, String>,
) -> Result<Columns, AppError> {
    let fields = kind.fields();
    let mut errs = FieldErrors::new();
    for (h, _) in mapping.iter() {
        if !headers.contains(h) {
            errs.push(FieldError::new(format!("mapping.{h}"), "unknown_column"));
        }
    }
    let mut field_of: Vec<Option<&'static FieldDef>> = vec![None; headers.len()];
    let mut source: Vec<ColumnSource> = vec![ColumnSource::Unknown; headers.len()];
    let mut taken: HashSet<&str> = HashSet::new();
    // The caller's mapping first.
    for (i, h) in headers.iter().enumerate() {
        let Some(target) = mapping.get(h) else {
            continue;
        };
        let target = target.trim();
        if target.is_empty() || target == "ignore" {
            source[i] = ColumnSource::Mapping;
            continue;
        }
        match fields.iter().find(|f| f.name == target) {
            None => errs.push(FieldError::new(format!("mapping.{h}"), "invalid_choice")),
            Some(f) if !f.multi && taken.contains(f.name) => {
                errs.push(FieldError::new(format!("mapping.{h}"), "duplicate_mapping"));
            }
            Some(f) => {
                taken.insert(f.name);
                field_of[i] = Some(f);
                source[i] = ColumnSource::Mapping;
            }
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    // Then the headers people use; a field already fed keeps its first column.
    let ignored: Vec<String> = IGNORED_HEADERS
        .iter()
        .map(|h| normalize_header(h))
        .collect();
    for (i, h) in headers.iter().enumerate() {
        if !source[i].is_unknown() {
            continue;
        }
        let n = normalize_header(h);
        if ignored.contains(&n) {
            source[i] = ColumnSource::Ignored;
            continue;
        }
        let found = fields.iter().find(|f| {
            normalize_header(f.name) == n || f.aliases.iter().any(|a| normalize_header(a) == n)
        });
        if let Some(f) = found
            && (f.multi || !taken.contains(f.name))
        {
            taken.insert(f.name);
            field_of[i] = Some(f);
            source[i] = ColumnSource::Default;
        }
    }
    let maps = headers
        .iter()
        .enumerate()
        .map(|(i, h)| ColumnMap {
            column: h.clone(),
            field: field_of[i].map(|f| f.name.to_owned()),
            source: source[i],
        })
        .collect();
    Ok(Columns { field_of, maps })
}

pub(super) fn column_for(table: &Table, cols: &Columns, field: &str) -> Option<String> {
    cols.field_of
        .iter()
        .position(|f| f.is_some_and(|f| f.name == field))
        .map(|i| table.headers[i].clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_recognized_in_chinese_and_english() {
        let headers: Vec<String> = [
            "客户名称（必填）",
            "手机",
            "联系电话",
            "Address",
            "S/N",
            "备注",
            "导入错误",
            "生日",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let c = resolve_columns(ImportKind::Customers, &headers, &BTreeMap::new()).expect("ok");
        let fields: Vec<Option<String>> = c.maps.iter().map(|m| m.field.clone()).collect();
        assert_eq!(
            fields,
            vec![
                Some("name".into()),
                Some("phone".into()),
                Some("phone".into()),
                Some("address".into()),
                None,
                Some("notes".into()),
                None,
                None
            ]
        );
        assert_eq!(c.maps[6].source, ColumnSource::Ignored);
        assert_eq!(c.maps[7].source, ColumnSource::Unknown);
        let u = resolve_columns(
            ImportKind::Units,
            &[
                "机身编码".into(),
                "型号".into(),
                "销售日期".into(),
                "Sale Date".into(),
            ],
            &BTreeMap::new(),
        )
        .expect("ok");
        let fields: Vec<Option<String>> = u.maps.iter().map(|m| m.field.clone()).collect();
        assert_eq!(
            fields,
            vec![
                Some("serial".into()),
                Some("product_code".into()),
                Some("sale_date".into()),
                None
            ]
        );
    }

    #[test]
    fn a_mapping_overrides_and_is_checked() {
        let headers: Vec<String> = vec!["甲".into(), "乙".into(), "客户名称".into()];
        let m: BTreeMap<String, String> = [
            ("甲".to_string(), "name".to_string()),
            ("客户名称".to_string(), "".to_string()),
        ]
        .into();
        let c = resolve_columns(ImportKind::Customers, &headers, &m).expect("ok");
        assert_eq!(c.maps[0].field.as_deref(), Some("name"));
        assert_eq!(c.maps[2].field, None);
        let bad: BTreeMap<String, String> = [
            ("丙".to_string(), "name".to_string()),
            ("甲".to_string(), "nonsense".to_string()),
        ]
        .into();
        let Err(AppError::Validation(e)) = resolve_columns(ImportKind::Customers, &headers, &bad)
        else {
            panic!("refused")
        };
        let codes: Vec<&str> = e.0.iter().map(|e| e.code).collect();
        assert!(
            codes.contains(&"unknown_column") && codes.contains(&"invalid_choice"),
            "{codes:?}"
        );
    }
}
