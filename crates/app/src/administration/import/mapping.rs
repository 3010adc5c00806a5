//! From the file's columns to our fields: the fields a column can feed, the headers people
//! use for them, the caller's mapping, and the cells of a row as our fields read them.

use super::ImportKind;
use super::report::{RowError, row_error};
use crate::AppError;
use aftersales_domain::{FieldError, FieldErrors};
use aftersales_sheets::{self as sheets, Cell, CellKind, Table};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use utoipa::ToSchema;

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

/// Where a column goes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ColumnMap {
    /// The header as in the file.
    pub column: String,
    /// Our field, or null when the column is not imported.
    pub field: Option<String>,
    /// `mapping` (the caller's), `default` (recognized header), `ignored` (a column this
    /// product adds, like the error column), or `unknown`.
    pub source: String,
}

/// A field of the kind, for mapping screens.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FieldInfo {
    pub name: String,
    pub required: bool,
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
    let mut source: Vec<&str> = vec!["unknown"; headers.len()];
    let mut taken: HashSet<&str> = HashSet::new();
    // The caller's mapping first.
    for (i, h) in headers.iter().enumerate() {
        let Some(target) = mapping.get(h) else {
            continue;
        };
        let target = target.trim();
        if target.is_empty() || target == "ignore" {
            source[i] = "mapping";
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
                source[i] = "mapping";
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
        if source[i] != "unknown" {
            continue;
        }
        let n = normalize_header(h);
        if ignored.contains(&n) {
            source[i] = "ignored";
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
            source[i] = "default";
        }
    }
    let maps = headers
        .iter()
        .enumerate()
        .map(|(i, h)| ColumnMap {
            column: h.clone(),
            field: field_of[i].map(|f| f.name.to_owned()),
            source: source[i].to_owned(),
        })
        .collect();
    Ok(Columns { field_of, maps })
}

/// One row's cells by field.
pub(super) struct RowCells<'a> {
    pub(super) cells: &'a [Cell],
    pub(super) cols: &'a Columns,
    pub(super) headers: &'a [String],
    /// Today in the site's zone: dates of past events may not lie after it (`bounds`).
    pub(super) today: jiff::civil::Date,
}

impl<'a> RowCells<'a> {
    /// The first column feeding `field` and its cell.
    pub(super) fn get(&self, field: &str) -> Option<(usize, &'a Cell)> {
        self.cols
            .field_of
            .iter()
            .position(|f| f.is_some_and(|f| f.name == field))
            .map(|i| (i, &self.cells[i]))
    }

    /// The trimmed text of `field`, if any and not blank.
    pub(super) fn text(&self, field: &str) -> Option<String> {
        self.get(field)
            .map(|(_, c)| c.text.trim().to_owned())
            .filter(|s| !s.is_empty())
    }

    pub(super) fn all(&self, field: &str) -> Vec<(usize, &'a Cell)> {
        self.cols
            .field_of
            .iter()
            .enumerate()
            .filter(|(_, f)| f.is_some_and(|f| f.name == field))
            .map(|(i, _)| (i, &self.cells[i]))
            .collect()
    }

    pub(super) fn column_of(&self, field: &str) -> Option<String> {
        self.get(field).map(|(i, _)| self.headers[i].clone())
    }

    /// A row error for every mapped cell holding a control character other than line
    /// breaks and tabs (NUL above all, which PostgreSQL cannot store): whatever field the
    /// cell feeds, the row is refused before any lookup or write.
    pub(super) fn control_errors(&self, line: u32) -> Vec<RowError> {
        self.cols
            .field_of
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.map(|f| (i, f)))
            .filter(|(i, _)| {
                self.cells[*i]
                    .text
                    .chars()
                    .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            })
            .map(|(i, f)| {
                row_error(
                    line,
                    Some(self.headers[i].clone()),
                    f.name,
                    &FieldError::new(f.name, "control_chars"),
                    None,
                )
            })
            .collect()
    }
}

pub(super) fn column_for(table: &Table, cols: &Columns, field: &str) -> Option<String> {
    cols.field_of
        .iter()
        .position(|f| f.is_some_and(|f| f.name == field))
        .map(|i| table.headers[i].clone())
}

/// Dates as spreadsheets and ERPs write them, as `YYYY-MM-DD`: date cells, serial numbers,
/// `2023/3/5`, `2023.03.05`, `2023年3月5日`, `20230305`, with or without a time. Anything
/// else is passed on unchanged, for the date rule to refuse.
pub fn normalize_date(c: &Cell) -> String {
    let t = c.text.trim();
    if c.kind == CellKind::Number
        && let Ok(serial) = t.parse::<f64>()
        && (20_000.0..80_000.0).contains(&serial)
        && let Some(d) = sheets::excel_serial_to_date(serial)
    {
        return d.to_string();
    }
    let day = t.split([' ', 'T']).next().unwrap_or(t);
    if day.len() == 8 && day.bytes().all(|b| b.is_ascii_digit()) {
        return format!("{}-{}-{}", &day[..4], &day[4..6], &day[6..]);
    }
    let parts: Vec<&str> = day
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() == 3
        && parts[0].len() == 4
        && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
        && parts[1].len() <= 2
        && parts[2].len() <= 2
    {
        return format!("{}-{:0>2}-{:0>2}", parts[0], parts[1], parts[2]);
    }
    t.to_owned()
}

/// Yes/no as people write it: 是/否, Y/N, yes/no, true/false, 1/0, √/×; blank is no.
pub fn parse_flag(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "" | "否" | "n" | "no" | "false" | "0" | "×" | "✗" | "-" | "无" | "不是" => {
            Some(false)
        }
        "是" | "y" | "yes" | "true" | "1" | "√" | "✓" | "✔" | "有" | "oem" => Some(true),
        _ => None,
    }
}

/// Phone numbers of a cell: several separated by `/`, `;`, `、` or `,`. A number cell that
/// lost the leading 0 of a landline to the spreadsheet (`2423456789`) gets it back.
pub(super) fn phones_of(c: &Cell) -> Vec<String> {
    c.text
        .split(['/', ';', '；', '、', ',', '，', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            if c.kind == CellKind::Number
                && !s.starts_with('1')
                && !s.starts_with('0')
                && (9..=11).contains(&s.len())
            {
                format!("0{s}")
            } else {
                s.to_owned()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(s: &str, kind: CellKind) -> Cell {
        Cell {
            text: s.into(),
            kind,
        }
    }

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
        assert_eq!(c.maps[6].source, "ignored");
        assert_eq!(c.maps[7].source, "unknown");
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

    #[test]
    fn dates_flags_and_phones_as_spreadsheets_write_them() {
        for (t, k, want) in [
            ("2023-03-15", CellKind::Date, "2023-03-15"),
            ("2023-03-15 10:00:00", CellKind::Date, "2023-03-15"),
            ("45000", CellKind::Number, "2023-03-15"),
            ("2023/3/5", CellKind::Text, "2023-03-05"),
            ("2023.03.05", CellKind::Text, "2023-03-05"),
            ("2023年3月5日", CellKind::Text, "2023-03-05"),
            ("20230305", CellKind::Text, "2023-03-05"),
            ("3/5/2023", CellKind::Text, "3/5/2023"),
        ] {
            assert_eq!(normalize_date(&cell(t, k)), want, "{t}");
        }
        assert_eq!(parse_flag("是"), Some(true));
        assert_eq!(parse_flag(" N "), Some(false));
        assert_eq!(parse_flag(""), Some(false));
        assert_eq!(parse_flag("maybe"), None);
        assert_eq!(
            phones_of(&cell(
                "138 0013 8000/024-2345 6789、13900001111",
                CellKind::Text
            )),
            vec!["138 0013 8000", "024-2345 6789", "13900001111"]
        );
        assert_eq!(
            phones_of(&cell("2423456789", CellKind::Number)),
            vec!["02423456789"]
        );
        assert_eq!(
            phones_of(&cell("13800138000", CellKind::Number)),
            vec!["13800138000"]
        );
    }
}
