//! The national schedule of holidays and make-up workdays (调休) as data.
//!
//! The State Council announces each year's schedule in a notice (国务院办公厅关于…年部分节假日
//! 安排的通知); it cannot be computed. Admins load it from one of three simple files:
//!
//! - **TOML**, typed like the notice, one `[[festival]]` per paragraph:
//!   ```toml
//!   year = 2026
//!   [[festival]]
//!   name = "春节"
//!   off = "2026-02-15..2026-02-23"
//!   work = ["2026-02-14", "2026-02-28"]
//!   ```
//! - **CSV** with the header `date,kind,name`: a date or a range `2026-02-15..2026-02-23`,
//!   a kind (`holiday`/`workday`, or `休`/`班`), the festival's name.
//! - **ICS** (iCalendar): all-day `VEVENT`s; an event whose summary says 班 (补班, 上班) or
//!   "workday", or whose CATEGORIES holds WORKDAY, is a make-up workday, every other one a
//!   holiday; `DTEND` is exclusive as the format says.
//!
//! Every problem is reported with its line, and nothing is taken from a file with problems.

use crate::calendar::{DayKind, SpecialDay, SpecialDays};
use jiff::civil::Date;
use std::collections::BTreeMap;

/// One problem in a file: the 1-based line, a stable code and the offending text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileProblem {
    pub line: usize,
    pub code: &'static str,
    pub text: String,
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {} ({})", self.line, self.code, self.text)
    }
}

/// The formats a schedule can come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Toml,
    Csv,
    Ics,
}

impl Format {
    /// By file name, else by a look at the content.
    pub fn guess(file_name: &str, content: &str) -> Format {
        let lower = file_name.to_ascii_lowercase();
        if lower.ends_with(".ics") || content.trim_start().starts_with("BEGIN:VCALENDAR") {
            Format::Ics
        } else if lower.ends_with(".csv") {
            Format::Csv
        } else if lower.ends_with(".toml") || content.contains("[[festival]]") {
            Format::Toml
        } else {
            Format::Csv
        }
    }
}

/// Reads a schedule; the days, or every problem found.
pub fn parse(format: Format, content: &str) -> Result<Vec<SpecialDay>, Vec<FileProblem>> {
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    let rows = match format {
        Format::Toml => parse_toml(content)?,
        Format::Csv => parse_csv(content)?,
        Format::Ics => parse_ics(content)?,
    };
    // One date, one meaning.
    let mut seen: BTreeMap<Date, (usize, &SpecialDay)> = BTreeMap::new();
    let mut problems = vec![];
    for (line, day) in &rows {
        if let Some((_, prev)) = seen.get(&day.date) {
            if prev.kind != day.kind || prev.name != day.name {
                problems.push(FileProblem {
                    line: *line,
                    code: "duplicate_date",
                    text: day.date.to_string(),
                });
            }
            continue;
        }
        seen.insert(day.date, (*line, day));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut days: Vec<SpecialDay> = seen.into_values().map(|(_, d)| d.clone()).collect();
    days.sort_by_key(|d| d.date);
    Ok(days)
}

/// Reads a schedule straight into a set.
pub fn parse_set(format: Format, content: &str) -> Result<SpecialDays, Vec<FileProblem>> {
    let days = parse(format, content)?;
    SpecialDays::new(days).map_err(|e| {
        vec![FileProblem {
            line: 0,
            code: "duplicate_date",
            text: e.to_string(),
        }]
    })
}

/// Writes a set back as CSV (the export of the calendar page).
pub fn to_csv(days: &SpecialDays) -> String {
    let mut out = String::from("date,kind,name\n");
    for d in days.iter() {
        let name = if d.name.contains([',', '"', '\n']) {
            format!("\"{}\"", d.name.replace('"', "\"\""))
        } else {
            d.name.clone()
        };
        out.push_str(&format!("{},{},{}\n", d.date, d.kind.as_str(), name));
    }
    out
}

fn problem(line: usize, code: &'static str, text: impl Into<String>) -> FileProblem {
    FileProblem {
        line,
        code,
        text: text.into(),
    }
}

/// `2026-02-15` or `2026-02-15..2026-02-23` (inclusive; at most 31 days).
fn parse_dates(s: &str) -> Option<Vec<Date>> {
    let s = s.trim();
    let (a, b) = match s.split_once("..") {
        Some((a, b)) => (a.trim(), b.trim()),
        None => (s, s),
    };
    let a: Date = strict_date(a)?;
    let b: Date = strict_date(b)?;
    if b < a {
        return None;
    }
    let mut out = vec![];
    let mut d = a;
    while d <= b {
        out.push(d);
        if out.len() > 31 {
            return None;
        }
        d = d.tomorrow().ok()?;
    }
    Some(out)
}

/// A day in the years an admin manages (`bounds::SERVICE_YEARS`, 2000–2100).
fn strict_date(s: &str) -> Option<Date> {
    crate::bounds::parse_service_day("date", s).ok()
}

fn parse_csv(content: &str) -> Result<Vec<(usize, SpecialDay)>, Vec<FileProblem>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(content.as_bytes());
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|s| s.to_ascii_lowercase()).collect(),
        Err(e) => return Err(vec![problem(1, "unreadable", e.to_string())]),
    };
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(ci_date), Some(ci_kind), Some(ci_name)) = (col("date"), col("kind"), col("name"))
    else {
        return Err(vec![problem(1, "missing_columns", "date,kind,name")]);
    };
    let mut rows = vec![];
    let mut problems = vec![];
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                problems.push(problem(line, "unreadable", e.to_string()));
                continue;
            }
        };
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
        if rec.iter().all(|f| f.is_empty()) {
            continue;
        }
        let field = |i: usize| rec.get(i).unwrap_or("").to_owned();
        let (date, kind, name) = (field(ci_date), field(ci_kind), field(ci_name));
        let Some(dates) = parse_dates(&date) else {
            problems.push(problem(line, "bad_date", date));
            continue;
        };
        let Some(kind) = DayKind::parse(&kind) else {
            problems.push(problem(line, "bad_kind", kind));
            continue;
        };
        if name.is_empty() {
            problems.push(problem(line, "missing_name", date));
            continue;
        }
        for date in dates {
            rows.push((
                line,
                SpecialDay {
                    date,
                    kind,
                    name: name.clone(),
                },
            ));
        }
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlFile {
    #[allow(dead_code)]
    year: Option<i64>,
    #[allow(dead_code)]
    source: Option<String>,
    #[serde(default)]
    festival: Vec<TomlFestival>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlFestival {
    name: String,
    #[serde(default)]
    off: Vec1,
    #[serde(default)]
    work: Vec1,
}

/// One string or a list of strings.
#[derive(serde::Deserialize, Default)]
#[serde(untagged)]
enum Vec1 {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl Vec1 {
    fn items(&self) -> Vec<&str> {
        match self {
            Vec1::None => vec![],
            Vec1::One(s) => vec![s],
            Vec1::Many(v) => v.iter().map(|s| s.as_str()).collect(),
        }
    }
}

fn parse_toml(content: &str) -> Result<Vec<(usize, SpecialDay)>, Vec<FileProblem>> {
    let file: TomlFile = toml::from_str(content).map_err(|e| {
        let line = e
            .span()
            .map(|s| content[..s.start.min(content.len())].lines().count().max(1))
            .unwrap_or(0);
        vec![problem(line, "unreadable", e.message().to_owned())]
    })?;
    // Lines of each festival's name, for the problems' line numbers.
    let name_lines: Vec<usize> = content
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("name"))
        .map(|(i, _)| i + 1)
        .collect();
    let mut rows = vec![];
    let mut problems = vec![];
    for (i, f) in file.festival.iter().enumerate() {
        let line = name_lines.get(i).copied().unwrap_or(0);
        let name = f.name.trim();
        if name.is_empty() {
            problems.push(problem(line, "missing_name", ""));
            continue;
        }
        for (items, kind) in [(&f.off, DayKind::Holiday), (&f.work, DayKind::Workday)] {
            for item in items.items() {
                match parse_dates(item) {
                    Some(dates) => rows.extend(dates.into_iter().map(|date| {
                        (
                            line,
                            SpecialDay {
                                date,
                                kind,
                                name: name.to_owned(),
                            },
                        )
                    })),
                    None => problems.push(problem(line, "bad_date", item)),
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

/// A content line of an event: name, parameters, value.
type Property = (String, String, String);

/// iCalendar: unfolds lines, reads all-day VEVENTs.
fn parse_ics(content: &str) -> Result<Vec<(usize, SpecialDay)>, Vec<FileProblem>> {
    // Unfold (a line starting with a space or tab continues the previous one), keeping the
    // number of each logical line's first physical line.
    let mut lines: Vec<(usize, String)> = vec![];
    for (i, raw) in content.lines().enumerate() {
        let raw = raw.trim_end_matches('\r');
        if let Some(rest) = raw.strip_prefix([' ', '\t'])
            && let Some(last) = lines.last_mut()
        {
            last.1.push_str(rest);
            continue;
        }
        lines.push((i + 1, raw.to_owned()));
    }
    let mut rows = vec![];
    let mut problems = vec![];
    let mut event: Option<(usize, Vec<Property>)> = None;
    for (line, l) in lines {
        if l.eq_ignore_ascii_case("BEGIN:VEVENT") {
            event = Some((line, vec![]));
            continue;
        }
        if l.eq_ignore_ascii_case("END:VEVENT") {
            if let Some((start_line, props)) = event.take() {
                match ics_event(&props) {
                    Ok(days) => rows.extend(days.into_iter().map(|d| (start_line, d))),
                    Err((code, text)) => problems.push(problem(start_line, code, text)),
                }
            }
            continue;
        }
        if let Some((_, props)) = event.as_mut()
            && let Some((head, value)) = l.split_once(':')
        {
            let (name, params) = head.split_once(';').unwrap_or((head, ""));
            props.push((
                name.to_ascii_uppercase(),
                params.to_ascii_uppercase(),
                value.to_owned(),
            ));
        }
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

fn ics_date(v: &str) -> Option<Date> {
    let v = v.trim();
    if v.len() != 8 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    format!("{}-{}-{}", &v[..4], &v[4..6], &v[6..]).parse().ok()
}

fn ics_event(
    props: &[(String, String, String)],
) -> Result<Vec<SpecialDay>, (&'static str, String)> {
    let get = |n: &str| props.iter().find(|p| p.0 == n);
    let start = get("DTSTART").ok_or(("bad_date", "DTSTART".to_owned()))?;
    let from = ics_date(&start.2).ok_or(("bad_date", start.2.clone()))?;
    let to_excl = match get("DTEND") {
        Some(end) => ics_date(&end.2).ok_or(("bad_date", end.2.clone()))?,
        None => from.tomorrow().map_err(|_| ("bad_date", start.2.clone()))?,
    };
    if to_excl <= from {
        return Err(("bad_date", start.2.clone()));
    }
    let summary = ics_unescape(get("SUMMARY").map(|p| p.2.as_str()).unwrap_or(""));
    let categories = get("CATEGORIES")
        .map(|p| p.2.to_ascii_uppercase())
        .unwrap_or_default();
    let lower = summary.to_lowercase();
    let workday = categories.split(',').any(|c| c.trim() == "WORKDAY")
        || summary.contains('班')
        || lower.contains("workday");
    let mut name = summary.clone();
    for marker in [
        "补班",
        "上班",
        "（班）",
        "(班)",
        "（休）",
        "(休)",
        "班",
        "休",
        "放假",
    ] {
        name = name.replace(marker, "");
    }
    let name = name.trim().trim_matches(['-', '·', ' ']).trim().to_owned();
    if name.is_empty() {
        return Err(("missing_name", summary));
    }
    let mut out = vec![];
    let mut d = from;
    while d < to_excl {
        out.push(SpecialDay {
            date: d,
            kind: if workday {
                DayKind::Workday
            } else {
                DayKind::Holiday
            },
            name: name.clone(),
        });
        if out.len() > 31 {
            return Err(("bad_date", start.2.clone()));
        }
        d = d.tomorrow().map_err(|_| ("bad_date", start.2.clone()))?;
    }
    Ok(out)
}

fn ics_unescape(s: &str) -> String {
    s.replace("\\,", ",")
        .replace("\\;", ";")
        .replace("\\n", " ")
        .replace("\\N", " ")
        .replace("\\\\", "\\")
}
