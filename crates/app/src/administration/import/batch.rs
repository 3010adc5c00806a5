//! One import's batch: the writer that gives every created record its audit row (action
//! `import`, with the batch id) and keeps the preview of what was stored, the rejected rows
//! kept for download, and the batch's own record with its counts.

use super::report::{ImportRejects, ImportReport, PreviewRow, RejectedRow};
use super::{ImportRequest, PREVIEW_ROWS};
use crate::{AppError, Ctx};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_sheets::Table;
use aftersales_store::{
    StoreError, administration::audit as audit_store, administration::imports as batch_store,
};
use jiff::Timestamp;
use serde_json::{Value, json};
use std::collections::HashSet;

/// What the writes of one batch leave besides the records: their audit rows and the preview.
pub(super) struct BatchWriter<'a> {
    pub(super) id: &'a str,
    pub(super) now: Timestamp,
    /// The site, whose date at `now` is "today" for the records written.
    pub(super) site: &'a crate::Site,
    ctx: &'a Ctx,
    actor: (Option<String>, String),
    audits: Vec<audit_store::AuditEntry>,
    preview: Vec<PreviewRow>,
}

impl<'a> BatchWriter<'a> {
    pub(super) fn new(id: &'a str, now: Timestamp, site: &'a crate::Site, ctx: &'a Ctx) -> Self {
        BatchWriter {
            id,
            now,
            site,
            ctx,
            actor: ctx.audit_actor(),
            audits: Vec::new(),
            preview: Vec::new(),
        }
    }

    /// The audit row of one created record: its snapshot with the batch id.
    pub(super) fn created(&mut self, entity: AuditEntity, id: String, mut after: Value) {
        after["batch"] = json!(self.id);
        self.audits.push(audit_store::AuditEntry {
            id: uuid::Uuid::now_v7(),
            at: self.now,
            actor_id: self.actor.0.clone(),
            actor_name: self.actor.1.clone(),
            entity,
            entity_id: id,
            action: AuditAction::Import,
            before: None,
            after: Some(after),
            request_id: self.ctx.request_id.clone(),
        });
    }

    /// The audit row of one record an import changed: before and after, with the batch id.
    pub(super) fn updated(&mut self, entity: AuditEntity, id: String, before: Value, after: Value) {
        self.created(entity, id, after);
        if let Some(last) = self.audits.last_mut() {
            last.before = Some(before);
        }
    }

    /// A stored row for the report, while the preview has room.
    pub(super) fn preview(&mut self, row: u32, values: impl FnOnce() -> Value) {
        if self.preview.len() < PREVIEW_ROWS {
            self.preview.push(PreviewRow {
                row,
                values: values(),
            });
        }
    }

    /// Writes the audit rows; the preview of what was stored goes to the report.
    pub(super) async fn finish(
        self,
        conn: &mut aftersales_store::Conn,
        report: &mut ImportReport,
    ) -> Result<(), AppError> {
        audit_store::append_many(conn, &self.audits).await?;
        report.preview = self.preview;
        Ok(())
    }
}

/// A unique key that the writes met (a record written by someone else meanwhile): the whole
/// batch is refused, nothing is written.
pub(super) fn write_conflict(e: StoreError) -> AppError {
    match e {
        StoreError::Constraint(_) => AppError::Conflict("import_conflict"),
        e => e.into(),
    }
}

/// The rows that had errors, as the file held them, with their errors: for download.
pub(super) fn rejects(req: &ImportRequest, table: &Table, report: &ImportReport) -> ImportRejects {
    let bad: HashSet<u32> = report.errors.iter().map(|e| e.row).collect();
    ImportRejects {
        kind: req.kind,
        file_name: req.file_name.clone(),
        headers: table.headers.clone(),
        rows: table
            .rows
            .iter()
            .filter(|r| bad.contains(&r.line))
            .map(|r| RejectedRow {
                row: r.line,
                cells: r.cells.iter().map(|c| c.text.clone()).collect(),
                errors: report
                    .errors
                    .iter()
                    .filter(|e| e.row == r.line)
                    .cloned()
                    .collect(),
            })
            .collect(),
    }
}

impl crate::App {
    /// The batch's own record (counts and rejected rows) and its audit row.
    pub(super) async fn record_batch(
        &self,
        tx: &mut aftersales_store::Tx,
        ctx: &Ctx,
        req: &ImportRequest,
        batch_id: &str,
        report: &ImportReport,
        rejects: Option<ImportRejects>,
    ) -> Result<(), AppError> {
        let (actor_id, actor_name) = ctx.audit_actor();
        batch_store::insert(
            tx.conn(),
            &batch_store::ImportBatch {
                id: batch_id.to_owned(),
                kind: req.kind.as_str().into(),
                mode: req.mode.as_str().into(),
                file_name: req.file_name.clone(),
                actor_id,
                actor_name,
                total_rows: report.total_rows as i64,
                created_rows: (report.created + report.updated) as i64,
                rejected_rows: report.invalid_rows as i64,
                rejects_json: rejects
                    .map(|r| serde_json::to_string(&r))
                    .transpose()
                    .map_err(|e| AppError::Internal(e.to_string()))?,
                created_at: self.now(),
            },
        )
        .await?;
        self.audit(
            tx,
            ctx,
            AuditEntity::ImportBatch,
            batch_id,
            AuditAction::Create,
            None,
            Some(json!({
                "kind": req.kind.as_str(), "mode": req.mode.as_str(), "file_name": req.file_name,
                "total_rows": report.total_rows, "created": report.created, "updated": report.updated, "rejected": report.invalid_rows,
            })),
        )
        .await
    }
}
