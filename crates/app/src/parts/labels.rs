//! Printable labels (issue 14 point 9, docs/labels.md): a PDF sheet of part labels, of a
//! stock location's bin label with one label per part it holds, or of loaner labels. The
//! QR code of a part label carries its part number, of a bin label the location code (and
//! the bin, `CODE/BIN`), of a loaner label its serial: what the scan fields take.

use crate::loaners::LoanerScope;
use crate::{AppError, Ctx};
use aftersales_documents::{self as docs, Label, LabelKind, LabelSheetDoc, MAX_LABELS};
use aftersales_domain::{FieldError, FieldErrors, LoanerId, Locale, Permission};
use aftersales_store::loaners::{self as loaner_store, LoanerFilter};
use aftersales_store::parts::catalog::find_part;
use aftersales_store::parts::stock as store;

/// The most different parts (or loaners) one request names.
pub const MAX_LABEL_ITEMS: usize = 100;
/// The most copies of each part's label.
pub const MAX_LABEL_COPIES: i64 = 24;
/// The longest bin text printed after the location code.
pub const MAX_BIN_CHARS: usize = 24;

/// Who prints, in which language.
#[derive(Debug, Clone)]
pub struct LabelPrint {
    pub locale: Locale,
    /// The PDF's author (the company's name).
    pub author: String,
}

impl LabelPrint {
    fn sheet(&self, labels: Vec<Label>) -> Result<Vec<u8>, AppError> {
        if labels.len() > MAX_LABELS {
            return Err(AppError::invalid(
                FieldError::new("labels", "too_many").with("max", MAX_LABELS as i64),
            ));
        }
        docs::label_sheet_pdf(&LabelSheetDoc {
            lang: match self.locale {
                Locale::ZhCn => docs::Lang::ZhCn,
                Locale::En => docs::Lang::En,
            },
            author: self.author.clone(),
            labels,
        })
        .map_err(|e| AppError::Internal(format!("label sheet PDF: {e}")))
    }

    fn name(&self, zh: &str, en: &str) -> String {
        match self.locale {
            Locale::ZhCn if !zh.trim().is_empty() => zh.to_owned(),
            Locale::En if !en.trim().is_empty() => en.to_owned(),
            _ if zh.trim().is_empty() => en.to_owned(),
            _ => zh.to_owned(),
        }
    }
}

/// The values of a repeated query parameter, trimmed; an empty one is refused.
fn listed<'a>(field: &str, values: &'a [String]) -> Result<Vec<&'a str>, FieldError> {
    if values.len() > MAX_LABEL_ITEMS {
        return Err(FieldError::new(field, "too_many").with("max", MAX_LABEL_ITEMS as i64));
    }
    let mut out: Vec<&str> = Vec::with_capacity(values.len());
    for v in values {
        let v = v.trim();
        if v.is_empty() {
            return Err(FieldError::new(field, "required"));
        }
        if v.chars().count() > 64 {
            return Err(FieldError::new(field, "too_long").with("max", 64));
        }
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

impl crate::App {
    /// Labels for the chosen parts, `copies` of each (1 to 24), in the order given.
    #[tracing::instrument(skip_all)]
    pub async fn part_labels(
        &self,
        ctx: &Ctx,
        print: &LabelPrint,
        parts: &[String],
        copies: Option<i64>,
    ) -> Result<Vec<u8>, AppError> {
        ctx.require(Permission::PartsRead)?;
        let mut errs = FieldErrors::new();
        let wanted = errs.take(listed("part", parts));
        let copies = errs.take(aftersales_domain::bounds::check_int(
            "copies",
            copies.unwrap_or(1),
            1,
            MAX_LABEL_COPIES,
        ));
        errs.into_result()?;
        let (Some(wanted), Some(copies)) = (wanted, copies) else {
            return Err(AppError::Internal("label input checked".into()));
        };
        if wanted.is_empty() {
            return Err(AppError::invalid(FieldError::new("part", "required")));
        }
        let copies = usize::try_from(copies).map_err(|e| AppError::Internal(e.to_string()))?;
        if wanted.len() * copies > MAX_LABELS {
            return Err(AppError::invalid(
                FieldError::new("copies", "too_many_labels").with("max", MAX_LABELS as i64),
            ));
        }
        let mut conn = self.db.acquire().await?;
        let mut labels = Vec::with_capacity(wanted.len() * copies);
        for p in wanted {
            let row = find_part(&mut *conn, &p.to_uppercase())
                .await?
                .ok_or(AppError::NotFound("part"))?;
            let label = Label {
                kind: LabelKind::Part,
                name: print.name(&row.name_zh, &row.name_en),
                code: row.part_no,
                detail: None,
            };
            labels.extend(std::iter::repeat_n(label, copies));
        }
        print.sheet(labels)
    }

    /// A stock location's bin label (its code, and `bin` after a slash when given), then
    /// one label per part with stock there (any condition), by part number; with `parts`
    /// false only the bin label.
    #[tracing::instrument(skip_all)]
    pub async fn location_labels(
        &self,
        ctx: &Ctx,
        print: &LabelPrint,
        code: &str,
        bin: Option<&str>,
        parts: bool,
    ) -> Result<Vec<u8>, AppError> {
        let bin = match bin.map(str::trim) {
            None => None,
            Some(b) => {
                let ok = !b.is_empty()
                    && b.chars().count() <= MAX_BIN_CHARS
                    && b.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
                if !ok {
                    return Err(AppError::invalid(
                        FieldError::new("bin", "invalid_bin").with("max", MAX_BIN_CHARS as i64),
                    ));
                }
                Some(b.to_uppercase())
            }
        };
        let l = self.readable_location(ctx, code).await?;
        let mut labels = vec![Label {
            kind: LabelKind::Bin,
            code: match &bin {
                Some(b) => format!("{}/{b}", l.code),
                None => l.code.clone(),
            },
            name: l.name.clone(),
            detail: None,
        }];
        if parts {
            let f = store::BalanceFilter {
                location_id: Some(l.id.clone()),
                part_id: None,
                locations: None,
                low_only: false,
                include_zero: false,
            };
            let rows = store::balances(self.db.pool(), &f, MAX_LABELS as i64 * 2 + 2).await?;
            let mut seen = std::collections::BTreeSet::new();
            for r in rows {
                // New and refurbished stock of a part are two balances, one label.
                if r.on_hand <= 0 || !seen.insert(r.part_no.clone()) {
                    continue;
                }
                labels.push(Label {
                    kind: LabelKind::Part,
                    name: print.name(&r.name_zh, &r.name_en),
                    code: r.part_no,
                    detail: None,
                });
            }
        }
        if labels.len() > MAX_LABELS {
            return Err(AppError::invalid(
                FieldError::new("parts", "too_many_labels").with("max", MAX_LABELS as i64),
            ));
        }
        print.sheet(labels)
    }

    /// Labels for the chosen loaners (by id), or for every loaner in the caller's scope
    /// when none is chosen; by serial.
    #[tracing::instrument(skip_all)]
    pub async fn loaner_labels(
        &self,
        ctx: &Ctx,
        print: &LabelPrint,
        ids: &[String],
    ) -> Result<Vec<u8>, AppError> {
        let scope = self.loaner_scope(ctx, Permission::LoanersRead)?;
        let wanted = listed("id", ids).map_err(AppError::invalid)?;
        for id in &wanted {
            id.parse::<LoanerId>()
                .map_err(|_| AppError::invalid(FieldError::new("id", "invalid_id")))?;
        }
        let mut conn = self.db.acquire().await?;
        let rows = if wanted.is_empty() {
            let f = LoanerFilter {
                status: None,
                owner_unit_id: None,
                path_prefix: match &scope {
                    LoanerScope::All => None,
                    LoanerScope::Subtree(p) => Some(p.clone()),
                },
                overdue_before: None,
                after_serial: None,
                limit: MAX_LABELS as i64,
            };
            let rows = loaner_store::list_loaners(&mut *conn, &f).await?;
            if rows.len() > MAX_LABELS {
                return Err(AppError::invalid(
                    FieldError::new("id", "too_many_labels").with("max", MAX_LABELS as i64),
                ));
            }
            rows
        } else {
            let mut rows = Vec::with_capacity(wanted.len());
            for id in wanted {
                rows.push(self.loaner_in_scope(&mut conn, &scope, id).await?);
            }
            rows
        };
        if rows.is_empty() {
            // Only when none was chosen and the caller's scope holds none.
            return Err(AppError::conflict_on("id", "no_loaners"));
        }
        let labels = rows
            .into_iter()
            .map(|r| Label {
                kind: LabelKind::Loaner,
                code: r.serial,
                name: r.model,
                detail: Some(r.owner_name),
            })
            .collect();
        print.sheet(labels)
    }
}
