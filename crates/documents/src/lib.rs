//! Printable documents as PDF: sheets of part, bin and loaner **labels** with QR codes
//! ([`label_sheet_pdf`], docs/labels.md), and the **service record** (派工单/服务报告, R-DSP-7)
//! of a finished field visit, on A4, as the customer signed it, with the corrections made
//! after signing printed after it (R-REC-1: nothing is silently changed).
//!
//! Pure input → bytes: no database, no HTTP, no clock, no files. The caller passes plain data
//! already formatted for the reader (dates, amounts, durations as text); every label comes
//! from this crate in the document's language (zh-CN or English).
//!
//! - **Font**: Noto Sans CJK SC Regular and Bold (SIL OFL 1.1), cut down at development time
//!   to GB2312 plus Latin and punctuation by `scripts/make-cjk-font`, compiled into the
//!   binary, and subset again per document to the glyphs it uses, so a record is a few
//!   hundred kilobytes. A character the font lacks prints as 〓 (the mark Chinese typesetting
//!   uses for a missing character) and still extracts as itself (an `/ActualText` span).
//! - **Text**: Chinese wraps between any two characters, Latin between words, and closing
//!   punctuation never starts a line. There is no shaping (no kerning or ligatures), which
//!   Chinese and Latin do not need.
//! - **Signature**: the PNG the signature pad made, its transparency kept, scaled into its
//!   box; or the reason the customer declined to sign.
//! - **QR code**: vector modules (crisp in print) encoding the verification URL, with the
//!   URL and the record's content hash printed under it. [`qr_svg`] and [`qr_png`] draw the
//!   same code for the HTML print page.

mod font;
mod image;
mod label_sheet;
mod labels;
mod layout;
mod pdf;
mod qr;
mod quote;
mod receipt;
mod record;

use serde::{Deserialize, Serialize};

pub use label_sheet::{MAX_CODE_CHARS, MAX_LABELS};
pub use qr::{qr_png, qr_svg};

/// The language of a document: its labels, and how its page numbers read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Lang {
    /// Simplified Chinese (the default).
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    /// English.
    #[serde(rename = "en")]
    En,
}

/// The service record of one finished visit, as printed. Text fields are printed as given;
/// an empty text prints as "—".
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ServiceRecordDoc {
    /// The document's language.
    pub lang: Lang,
    /// The company whose record this is (header).
    pub company: Company,
    /// The record's number: the work order number, e.g. `WO202611300001`.
    pub record_number: String,
    /// The service request the visit belongs to, e.g. `SR202611300007`.
    pub request_number: String,
    /// Kind of service, e.g. "上门维修" / "On-site repair".
    pub service_kind: String,
    /// When the engineer was dispatched, as local text (`2026-11-30 09:12`).
    pub dispatched_at: String,
    /// When the engineer arrived, as local text.
    pub arrived_at: String,
    /// When the work was completed, as local text.
    pub completed_at: String,
    /// The customer served.
    pub customer: Customer,
    /// The unit worked on.
    pub unit: Unit,
    /// The engineers who did the work, lead first.
    pub engineers: Vec<String>,
    /// The fault as the customer reported it.
    pub fault_symptom: String,
    /// The cause the engineer found.
    pub fault_cause: FaultCause,
    /// What the engineer did.
    pub action_taken: String,
    /// Anything else worth keeping; may be empty (then the line is left out).
    pub notes: String,
    /// Parts used, in the order they were fitted.
    pub parts: Vec<PartRow>,
    /// Labor time, as text ("2小时15分" / "2 h 15 min").
    pub labor_hours: String,
    /// Charge lines; empty when nothing is charged.
    pub charges: Vec<ChargeLine>,
    /// The total of the charge lines, as text (`¥1,280.00`), if there is one to print.
    pub charges_total: Option<String>,
    /// Whether the repaired unit was test run, or when the follow-up is due instead (R-DSP-6).
    pub test_run: TestRun,
    /// Whether the customer was shown how to use and look after the unit.
    pub customer_trained: bool,
    /// The customer's rating of the quality of the service, 1 to 5.
    pub quality_rating: Option<u8>,
    /// The customer's rating of the engineer's attitude, 1 to 5.
    pub attitude_rating: Option<u8>,
    /// The customer's signature, or why there is none (a signature is never forced).
    pub signature: Signature,
    /// The hash of the record's content as signed (hex), printed under the QR code.
    pub content_hash: String,
    /// The page that verifies this record; the QR code opens it.
    pub verify_url: String,
    /// Corrections made after signing, oldest first; printed after the signed record.
    pub addenda: Vec<Addendum>,
}

/// The header's company.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Company {
    /// The company's name.
    pub name: String,
    /// One line under the name: address, phone, hotline.
    pub contact_line: Option<String>,
}

/// The customer served.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Customer {
    /// The customer's name (person or company).
    pub name: String,
    /// The customer's number in the system.
    pub number: String,
    /// The person met on site.
    pub contact_person: String,
    /// Their phone, as it should print (`138 0013 8000`).
    pub phone: String,
    /// The site's address.
    pub address: String,
}

/// The unit worked on.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Unit {
    /// The model's name.
    pub model_name: String,
    /// The model's code.
    pub model_code: String,
    /// The unit's serial number (机身编码).
    pub serial: String,
    /// The warranty class, `A`, `B` or `C`.
    pub warranty_class: String,
    /// In or out of warranty, as text ("保修期内" / "Out of warranty (since 2026-03-01)").
    pub warranty_status: String,
}

/// The cause the engineer found.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FaultCause {
    /// The cause's code in the fault catalog; may be empty.
    pub code: String,
    /// The cause in words.
    pub text: String,
}

/// One part used.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PartRow {
    /// The part number.
    pub part_number: String,
    /// The part's name.
    pub name: String,
    /// How many, as text (`2`, `1.5 m`).
    pub quantity: String,
    /// How it is charged ("保修免费", "Cost price").
    pub charge_basis: String,
}

/// One charge line.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChargeLine {
    /// What is charged ("上门费", "Labor").
    pub text: String,
    /// The amount, as text (`¥80.00`).
    pub amount: String,
}

/// The test run after the repair (R-DSP-6).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TestRun {
    /// The unit was test run and works.
    #[default]
    Done,
    /// The test run could not be done now; a follow-up is due.
    FollowUp {
        /// When, as local text.
        due: String,
    },
}

/// The customer's signature, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Signature {
    /// Signed on the signature pad.
    Signed {
        /// The signature as a PNG image (any PNG colour type; transparency is kept).
        png: Vec<u8>,
        /// Who signed.
        signer: String,
        /// When, as local text.
        signed_at: String,
    },
    /// The customer declined to sign.
    Declined {
        /// Why, as the engineer recorded it.
        reason: String,
    },
}

impl Default for Signature {
    fn default() -> Self {
        Self::Declined {
            reason: String::new(),
        }
    }
}

/// A correction made after the record was signed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Addendum {
    /// When, as local text.
    pub at: String,
    /// Who made it.
    pub by: String,
    /// What was corrected, and why.
    pub text: String,
}

/// Why a document could not be made: the caller's data, except [`DocError::Font`].
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// The signature is not a PNG image this crate can read, or is too large.
    #[error("the signature is not a readable PNG image: {0}")]
    SignatureImage(String),
    /// The verification URL does not fit in a QR code.
    #[error("the verification URL does not fit in a QR code: {0}")]
    QrCode(String),
    /// A rating outside 1 to 5.
    #[error("a rating must be 1 to 5, not {0}")]
    Rating(u8),
    /// The embedded font could not be subset (a bug, not the caller's fault).
    #[error("the font could not be subset: {0}")]
    Font(String),
    /// A label sheet with no labels.
    #[error("a label sheet needs at least one label")]
    NoLabels,
    /// More labels than one sheet takes ([`MAX_LABELS`]).
    #[error("at most {MAX_LABELS} labels at once, not {0}")]
    TooManyLabels(usize),
    /// A label's code is empty or longer than [`MAX_CODE_CHARS`].
    #[error("a label's code must be 1 to {MAX_CODE_CHARS} characters: {0:?}")]
    LabelCode(String),
}

/// A sheet of labels to print: A4, 3 × 8 labels of 70 × 37 mm (docs/labels.md).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LabelSheetDoc {
    /// The language of the printed words (the kind of label).
    pub lang: Lang,
    /// The PDF's author (the company).
    pub author: String,
    /// The labels, in order: left to right, then top to bottom, then the next page.
    pub labels: Vec<Label>,
}

/// What a label is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelKind {
    /// A part: the QR code carries its part number.
    #[default]
    Part,
    /// A stock location or a bin in it: the QR code carries the location code (and the bin).
    Bin,
    /// A loaner unit: the QR code carries its serial.
    Loaner,
}

/// One label.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Label {
    pub kind: LabelKind,
    /// What the QR code carries, printed in bold beside it (1 to 64 characters).
    pub code: String,
    /// The name, in the sheet's language; up to three lines, cut with "…".
    pub name: String,
    /// A further line in grey (a model, a location's name), if there is room.
    pub detail: Option<String>,
}

/// Renders a sheet (or several pages) of labels as an A4 PDF.
pub fn label_sheet_pdf(doc: &LabelSheetDoc) -> Result<Vec<u8>, DocError> {
    label_sheet::render(doc)
}

/// A quote as printed (docs/charges.md "Quotes"): every text already formatted for the
/// reader (amounts in yuan, dates, who pays).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QuoteDoc {
    pub lang: Lang,
    pub company: String,
    pub number: String,
    pub version: i64,
    pub issued: String,
    pub valid_until: String,
    pub customer: String,
    pub request: String,
    pub work_order: String,
    pub unit: String,
    pub lines: Vec<QuoteLine>,
    pub net: String,
    pub vat: String,
    pub gross: String,
    /// Why each kind of item is charged as it is, one sentence each.
    pub reasons: Vec<String>,
    /// How the customer confirms (the link, or signing on the engineer's phone).
    pub how_to_answer: String,
}

/// One line of a quote as printed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QuoteLine {
    pub item: String,
    pub qty: String,
    pub unit_price: String,
    pub amount: String,
    pub payer: String,
}

/// Renders a quote as an A4 PDF.
pub fn quote_pdf(doc: &QuoteDoc) -> Result<Vec<u8>, DocError> {
    quote::render(doc)
}

/// A payment receipt or refund note (docs/charges.md), every value already
/// formatted for the reader.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReceiptDoc {
    pub lang: Lang,
    /// The station's name, printed above the title (may be empty).
    pub company: String,
    /// A refund (negative payment): titled as a refund note, with its reason.
    pub refund: bool,
    pub receipt_no: String,
    pub customer: String,
    pub work_order: String,
    pub request: String,
    pub method: String,
    pub reference: Option<String>,
    pub reason: Option<String>,
    /// The amount in yuan, e.g. `¥1,280.50`.
    pub amount: String,
    pub collected_by: String,
    pub collected_at: String,
    /// What the QR code carries: the public verification page with its signature.
    pub verify_url: String,
}

/// Renders a payment receipt as a one-page A4 PDF.
pub fn receipt_pdf(doc: &ReceiptDoc) -> Result<Vec<u8>, DocError> {
    receipt::render(doc)
}

/// Renders the service record as an A4 PDF.
pub fn service_record_pdf(doc: &ServiceRecordDoc) -> Result<Vec<u8>, DocError> {
    record::render(doc)
}
