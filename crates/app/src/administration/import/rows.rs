//! A row of the file as our fields read it: its cells by field, the spreadsheet quirks undone
//! (dates, yes/no, phones), and the row on its way with the errors it collected.

use super::mapping::Columns;
use super::report::{RowError, row_error};
use aftersales_domain::FieldError;
use aftersales_sheets::{self as sheets, Cell, CellKind};

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

/// A row on its way: its number, its errors so far and, while it has none, its data.
pub(super) struct Candidate<T> {
    pub(super) line: u32,
    pub(super) errors: Vec<RowError>,
    pub(super) data: Option<T>,
}
impl<T> Candidate<T> {
    /// Refuses the row if any of its cells holds a control character.
    pub(super) fn refuse_control_chars(mut self, r: &RowCells) -> Self {
        let errs: Vec<RowError> = r
            .control_errors(self.line)
            .into_iter()
            .filter(|e| {
                !self
                    .errors
                    .iter()
                    .any(|x| x.field == e.field && x.code == e.code)
            })
            .collect();
        if !errs.is_empty() {
            self.errors.extend(errs);
            self.data = None;
        }
        self
    }
}

pub(super) fn fail<T>(
    c: &mut Candidate<T>,
    column: Option<String>,
    field: &str,
    e: FieldError,
    hint: Option<String>,
) {
    c.errors.push(row_error(c.line, column, field, &e, hint));
    c.data = None;
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
    use aftersales_sheets::CellKind;

    fn cell(s: &str, kind: CellKind) -> Cell {
        Cell {
            text: s.into(),
            kind,
        }
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
