use jiff::civil::{Date, DateTime};
use rust_xlsxwriter::{ExcelDateTime, Format as XFormat, Workbook};

/// A value to write.
#[derive(Clone, Debug, PartialEq)]
pub enum Out {
    Empty,
    /// Always written as text, even when it looks like a number (phones, serials, codes).
    Text(String),
    Int(i64),
    Date(Date),
    /// A local date and time (already in the site's time zone).
    DateTime(DateTime),
}

impl Out {
    pub fn opt_text(s: Option<impl Into<String>>) -> Out {
        match s {
            Some(s) => Out::Text(s.into()),
            None => Out::Empty,
        }
    }

    /// The cell as CSV text.
    pub fn csv_text(&self) -> String {
        match self {
            Out::Empty => String::new(),
            Out::Text(s) => guard_formula(s),
            Out::Int(i) => i.to_string(),
            Out::Date(d) => d.to_string(),
            Out::DateTime(t) => t.strftime("%Y-%m-%d %H:%M:%S").to_string(),
        }
    }
}

/// A spreadsheet program opening a CSV runs a cell starting with `=`, `@`, or `+`/`-`
/// followed by something other than a digit, as a formula; such cells get a leading `'`.
/// Phone numbers (`+86 138…`) and negative numbers are left alone.
fn guard_formula(s: &str) -> String {
    let mut chars = s.chars();
    let risky = match chars.next() {
        Some('=') | Some('@') | Some('\t') | Some('\r') => true,
        Some('+') | Some('-') => !chars.next().is_some_and(|c| c.is_ascii_digit() || c == ' '),
        _ => false,
    };
    if risky { format!("'{s}") } else { s.to_owned() }
}

/// The UTF-8 byte-order mark that makes Excel read a CSV as UTF-8.
pub fn csv_bom() -> &'static [u8] {
    b"\xEF\xBB\xBF"
}

/// CSV lines (CRLF, quoted where needed) for these rows.
pub fn csv_rows(rows: &[Vec<Out>]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for r in rows {
        // Writing to a Vec cannot fail.
        let _ = w.write_record(r.iter().map(Out::csv_text));
    }
    w.into_inner().unwrap_or_default()
}

/// One sheet of an XLSX workbook written row by row in constant memory: rows go to a
/// temporary file as they are written, so 100,000 rows cost no more memory than ten.
pub struct XlsxSheet {
    wb: Workbook,
    row: u32,
    header: XFormat,
    date: XFormat,
    datetime: XFormat,
}

fn xerr(e: rust_xlsxwriter::XlsxError) -> String {
    e.to_string()
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    let s: String = name
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect();
    if s.trim().is_empty() {
        "Sheet1".to_owned()
    } else {
        s
    }
}

impl XlsxSheet {
    /// A workbook with one sheet named `name`, the header row written (bold, frozen) and
    /// column widths set from `widths` (in characters).
    pub fn new(name: &str, headers: &[String], widths: &[f64]) -> Result<XlsxSheet, String> {
        let mut wb = Workbook::new();
        let header = XFormat::new().set_bold();
        let date = XFormat::new().set_num_format("yyyy-mm-dd");
        let datetime = XFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss");
        {
            let ws = wb.add_worksheet_with_constant_memory().map_err(xerr)?;
            ws.set_name(sheet_name(name)).map_err(xerr)?;
            for (i, h) in headers.iter().enumerate() {
                let col = u16::try_from(i).map_err(|e| e.to_string())?;
                let w = widths.get(i).copied().unwrap_or(12.0);
                ws.set_column_width(col, w).map_err(xerr)?;
                ws.write_string_with_format(0, col, h, &header)
                    .map_err(xerr)?;
            }
            ws.set_freeze_panes(1, 0).map_err(xerr)?;
        }
        Ok(XlsxSheet {
            wb,
            row: 1,
            header,
            date,
            datetime,
        })
    }

    pub fn write_row(&mut self, cells: &[Out]) -> Result<(), String> {
        let row = self.row;
        let ws = self.wb.worksheet_from_index(0).map_err(xerr)?;
        for (i, c) in cells.iter().enumerate() {
            let col = u16::try_from(i).map_err(|e| e.to_string())?;
            match c {
                Out::Empty => {}
                Out::Text(s) => {
                    ws.write_string(row, col, s).map_err(xerr)?;
                }
                Out::Int(n) => {
                    ws.write_number(row, col, *n as f64).map_err(xerr)?;
                }
                // Excel knows the years 1900–9999 only: a date outside them is written as
                // text rather than failing the whole file.
                Out::Date(d) if !(1900..=9999).contains(&d.year()) => {
                    ws.write_string(row, col, d.to_string()).map_err(xerr)?;
                }
                Out::DateTime(t) if !(1900..=9999).contains(&t.year()) => {
                    ws.write_string(row, col, c.csv_text()).map_err(xerr)?;
                }
                Out::Date(d) => {
                    let x = ExcelDateTime::from_ymd(
                        u16::try_from(d.year()).map_err(|e| e.to_string())?,
                        d.month() as u8,
                        d.day() as u8,
                    )
                    .map_err(xerr)?;
                    ws.write_datetime_with_format(row, col, &x, &self.date)
                        .map_err(xerr)?;
                }
                Out::DateTime(t) => {
                    let x = ExcelDateTime::from_ymd(
                        u16::try_from(t.year()).map_err(|e| e.to_string())?,
                        t.month() as u8,
                        t.day() as u8,
                    )
                    .and_then(|x| {
                        x.and_hms(t.hour() as u16, t.minute() as u8, f64::from(t.second()))
                    })
                    .map_err(xerr)?;
                    ws.write_datetime_with_format(row, col, &x, &self.datetime)
                        .map_err(xerr)?;
                }
            }
        }
        self.row += 1;
        Ok(())
    }

    /// The header format, for callers adding a note row.
    pub fn header_format(&self) -> &XFormat {
        &self.header
    }

    /// The finished file.
    pub fn finish(mut self) -> Result<Vec<u8>, String> {
        self.wb.save_to_buffer().map_err(xerr)
    }
}

/// The day of an Excel serial (1900 date system: 1 is 1900-01-01, and the serial 60 is the
/// 29 February 1900 that Lotus and Excel believe in).
pub fn excel_serial_to_date(serial: f64) -> Option<Date> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as i64;
    let epoch = if days < 61 {
        Date::new(1899, 12, 31).ok()?
    } else {
        Date::new(1899, 12, 30).ok()?
    };
    let days = if days == 60 { 59 } else { days };
    epoch.checked_add(jiff::Span::new().days(days)).ok()
}

/// `YYYY-MM-DD`, or `YYYY-MM-DD HH:MM:SS` when the serial has a time of day.
#[cfg(test)]
pub(crate) fn excel_serial_to_datetime(serial: f64) -> Option<String> {
    let d = excel_serial_to_date(serial)?;
    let secs = ((serial - serial.floor()) * 86_400.0).round() as i64;
    if secs == 0 {
        return Some(d.to_string());
    }
    if secs >= 86_400 {
        return d
            .checked_add(jiff::Span::new().days(1))
            .ok()
            .map(|d| d.to_string());
    }
    Some(format!(
        "{d} {:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CellKind, Format, read_with_limit};

    #[test]
    fn excel_serials_are_the_days_excel_shows() {
        let d = |s: f64| excel_serial_to_date(s).map(|d| d.to_string());
        assert_eq!(d(1.0).as_deref(), Some("1900-01-01"));
        assert_eq!(d(59.0).as_deref(), Some("1900-02-28"));
        assert_eq!(d(61.0).as_deref(), Some("1900-03-01"));
        assert_eq!(d(45000.0).as_deref(), Some("2023-03-15"));
        assert_eq!(
            excel_serial_to_datetime(45000.5).as_deref(),
            Some("2023-03-15 12:00:00")
        );
        assert_eq!(d(0.0), None);
    }

    #[test]
    fn dates_excel_cannot_hold_are_written_as_text() {
        let mut s = XlsxSheet::new("s", &["日期".to_owned(), "时间".to_owned()], &[12.0, 18.0])
            .expect("sheet");
        s.write_row(&[
            Out::Date(Date::new(1329, 1, 2).expect("date")),
            Out::DateTime(DateTime::new(1899, 12, 31, 8, 0, 0, 0).expect("dt")),
        ])
        .expect("a date before 1900 does not fail the file");
        let bytes = s.finish().expect("finish");
        let t = read_with_limit(&bytes, Format::Xlsx, None, 10).expect("read");
        assert_eq!(
            (t.rows[0].cells[0].text.as_str(), t.rows[0].cells[0].kind),
            ("1329-01-02", CellKind::Text)
        );
        assert_eq!(t.rows[0].cells[1].text, "1899-12-31 08:00:00");
    }

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        let rows = vec![
            vec![Out::Text("名称".into()), Out::Text("电话".into())],
            vec![
                Out::Text("张, \"伟\"".into()),
                Out::Text("+86 138 0013 8000".into()),
            ],
            vec![Out::Text("=HYPERLINK(\"x\")".into()), Out::Int(-3)],
        ];
        let text = String::from_utf8(csv_rows(&rows)).expect("utf-8");
        assert_eq!(
            text,
            "名称,电话\r\n\"张, \"\"伟\"\"\",+86 138 0013 8000\r\n\"'=HYPERLINK(\"\"x\"\")\",-3\r\n"
        );
        assert_eq!(guard_formula("-cmd"), "'-cmd");
        assert_eq!(guard_formula("@SUM(A1)"), "'@SUM(A1)");
    }

    #[test]
    fn an_xlsx_written_here_reads_back_with_text_numbers_and_dates() {
        let headers = vec![
            "客户名称".to_owned(),
            "手机".into(),
            "销售日期".into(),
            "数量".into(),
        ];
        let mut s = XlsxSheet::new("客户", &headers, &[20.0, 16.0, 12.0, 8.0]).expect("sheet");
        s.write_row(&[
            Out::Text("张伟".into()),
            Out::Text("13800138000".into()),
            Out::Date(Date::new(2023, 3, 15).expect("date")),
            Out::Int(6),
        ])
        .expect("row");
        s.write_row(&[
            Out::Text("李娜".into()),
            Out::Empty,
            Out::DateTime(DateTime::new(2024, 1, 2, 14, 30, 5, 0).expect("dt")),
            Out::Empty,
        ])
        .expect("row");
        let bytes = s.finish().expect("finish");
        assert_eq!(crate::sniff(&bytes).expect("sniff"), Format::Xlsx);
        let t = read_with_limit(&bytes, Format::Xlsx, None, 10).expect("read");
        assert_eq!(t.sheet.as_deref(), Some("客户"));
        assert_eq!(t.headers, headers);
        let r = &t.rows[0];
        assert_eq!(r.line, 2);
        assert_eq!(
            (r.cells[1].text.as_str(), r.cells[1].kind),
            ("13800138000", CellKind::Text)
        );
        assert_eq!(
            (r.cells[2].text.as_str(), r.cells[2].kind),
            ("2023-03-15", CellKind::Date)
        );
        assert_eq!(
            (r.cells[3].text.as_str(), r.cells[3].kind),
            ("6", CellKind::Number)
        );
        assert_eq!(t.rows[1].cells[2].text, "2024-01-02 14:30:05");
        assert_eq!(
            read_with_limit(&bytes, Format::Xlsx, Some("nope"), 10)
                .expect_err("no such sheet")
                .code(),
            "sheet_not_found"
        );
    }
}
