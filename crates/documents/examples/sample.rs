//! Writes the sample service record in both languages to /tmp/service-record-zh.pdf and
//! /tmp/service-record-en.pdf, to look at:
//!
//! ```sh
//! cargo run -p aftersales-documents --example sample
//! pdftoppm -r 80 -png /tmp/service-record-zh.pdf /tmp/service-record-zh
//! ```

#[path = "../tests/common/mod.rs"]
mod common;

use aftersales_documents::{Lang, service_record_pdf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for (lang, path) in [
        (Lang::ZhCn, "/tmp/service-record-zh.pdf"),
        (Lang::En, "/tmp/service-record-en.pdf"),
    ] {
        let started = std::time::Instant::now();
        let pdf = service_record_pdf(&common::sample(lang))?;
        std::fs::write(path, &pdf)?;
        println!("{path}: {} bytes in {:?}", pdf.len(), started.elapsed());
    }
    Ok(())
}
