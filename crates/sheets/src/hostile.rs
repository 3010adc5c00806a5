//! Hostile workbooks: sparse sheets whose furthest cell is at the format's limit, dimensions
//! and counts that lie, repeats that would expand, broken containers. Each must be refused
//! with a clear code (or read correctly) quickly and with little memory.

use crate::fixtures::*;
use crate::{Format, ReadError, Table, read, sniff};

/// The peak resident memory of this test process, in MiB (Linux).
fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

/// Reads `bytes` as its sniffed format; the whole test process must stay small.
fn read_sniffed(bytes: &[u8], expected: Format) -> Result<Table, ReadError> {
    assert_eq!(sniff(bytes).expect("sniff"), expected);
    let r = read(bytes, expected, None);
    let peak = peak_rss_mib();
    assert!(peak < 1024, "peak memory {peak} MiB");
    r
}

fn code(bytes: &[u8], format: Format) -> &'static str {
    read_sniffed(bytes, format).expect_err("refused").code()
}

fn customers(t: &Table) {
    assert_eq!(t.headers, vec!["客户名称", "手机"]);
    assert_eq!(t.rows.len(), 1);
    assert_eq!(t.rows[0].line, 2);
    assert_eq!(t.rows[0].cells[1].text, "13800000001");
}

#[test]
fn a_sparse_xlsx_with_a_cell_at_xfd1048576_is_refused_without_building_the_range() {
    assert!(sparse_xlsx().len() < 4096);
    assert_eq!(code(&sparse_xlsx(), Format::Xlsx), "too_many_columns");
    // Far down in the first column: too many rows, not a dense column of a million cells.
    let far_down = format!(
        r#"{}<row r="1048576">{}</row>"#,
        xlsx_customer_rows(),
        xlsx_cell("A1048576", "x")
    );
    assert_eq!(
        code(&xlsx(&far_down, "A1:A1048576", None), Format::Xlsx),
        "too_many_rows"
    );
}

#[test]
fn an_xlsx_dimension_that_lies_changes_nothing() {
    // Says A1, holds a far cell: still refused.
    let far = format!(
        r#"{}<row r="70000">{}</row>"#,
        xlsx_customer_rows(),
        xlsx_cell("GS70000", "x")
    );
    assert_eq!(
        code(&xlsx(&far, "A1", None), Format::Xlsx),
        "too_many_columns"
    );
    // Says the whole sheet, holds two rows: read as two rows.
    let t = read_sniffed(
        &xlsx(&xlsx_customer_rows(), "A1:XFD1048576", None),
        Format::Xlsx,
    )
    .expect("read");
    customers(&t);
}

#[test]
fn shared_strings_declaring_a_huge_count_are_refused_before_any_room_is_reserved() {
    let rows = r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>13800000001</v></c></row>"#;
    let strings = "<si><t>客户名称</t></si><si><t>手机</t></si><si><t>张三</t></si>";
    // What an honest file says reads fine.
    let honest = xlsx(
        rows,
        "A1:B2",
        Some((r#"count="3" uniqueCount="3""#, strings)),
    );
    customers(&read_sniffed(&honest, Format::Xlsx).expect("read"));
    for count in [
        "4000000000000000000",
        "99999999999999999999999",
        "-1",
        "5000000",
    ] {
        let lying = xlsx(
            rows,
            "A1:B2",
            Some((&format!(r#"count="3" uniqueCount="{count}""#), strings)),
        );
        assert_eq!(code(&lying, Format::Xlsx), "unreadable_file", "{count}");
    }
}

#[test]
fn a_zip_entry_that_inflates_beyond_its_declared_size_is_stopped() {
    // A sheet of 16 MiB of blanks whose headers claim 1 KiB: the reader must stop at the
    // declared size, not inflate on (the declared total passes the expansion check).
    let pad = " ".repeat(16 * 1024 * 1024);
    let mut bytes = xlsx(&format!("{}{pad}", xlsx_customer_rows()), "A1:B2", None);
    let name = b"xl/worksheets/sheet1.xml";
    let mut patched = 0;
    let mut i = 0;
    while i + 4 <= bytes.len() {
        let sig = &bytes[i..i + 4];
        let (size_at, name_len_at, name_at) = if sig == b"PK\x03\x04" {
            (i + 22, i + 26, i + 30)
        } else if sig == b"PK\x01\x02" {
            (i + 24, i + 28, i + 46)
        } else {
            i += 1;
            continue;
        };
        let n = u16::from_le_bytes([bytes[name_len_at], bytes[name_len_at + 1]]) as usize;
        if bytes.get(name_at..name_at + n) == Some(&name[..]) {
            bytes[size_at..size_at + 4].copy_from_slice(&1024u32.to_le_bytes());
            patched += 1;
        }
        i += 4;
    }
    assert_eq!(patched, 2, "local and central headers");
    assert!(bytes.len() < 1024 * 1024);
    assert_eq!(code(&bytes, Format::Xlsx), "unreadable_file");
}

#[test]
fn a_sparse_xls_with_a_cell_at_iv65536_is_refused() {
    assert_eq!(code(&sparse_xls(), Format::Xls), "too_many_columns");
    let mut cells = XLS_CUSTOMER_CELLS.to_vec();
    cells.push((65_535, 0, "x"));
    assert_eq!(
        code(&xls(&biff8(&cells, (0, 65_536, 0, 2))), Format::Xls),
        "too_many_rows"
    );
    // Beyond what Excel writes but what the record format allows.
    let mut cells = XLS_CUSTOMER_CELLS.to_vec();
    cells.push((65_535, 65_535, "x"));
    assert_eq!(
        code(&xls(&biff8(&cells, (0, 65_536, 0, 65_535))), Format::Xls),
        "too_many_columns"
    );
}

#[test]
fn an_xls_dimensions_record_that_lies_changes_nothing() {
    for dims in [(0, u32::MAX, 0, u16::MAX), (0, 1, 0, 1), (0, 0, 0, 0)] {
        let t = read_sniffed(&xls(&biff8(&XLS_CUSTOMER_CELLS, dims)), Format::Xls)
            .unwrap_or_else(|e| panic!("{dims:?}: {e}"));
        customers(&t);
    }
}

#[test]
fn a_compound_file_whose_chains_loop_or_lie_is_unreadable() {
    let good = xls(&biff8(&XLS_CUSTOMER_CELLS, (0, 2, 0, 2)));
    customers(&read_sniffed(&good, Format::Xls).expect("read"));
    let s = 4096;
    let dir_sector = u32::from_le_bytes(good[48..52].try_into().expect("4 bytes")) as usize;
    let fat = s * (dir_sector + 2);
    // The directory's chain points back at itself.
    let mut looping = good.clone();
    looping[fat + 4 * dir_sector..fat + 4 * dir_sector + 4]
        .copy_from_slice(&(dir_sector as u32).to_le_bytes());
    assert_eq!(code(&looping, Format::Xls), "unreadable_file");
    // The workbook stream declares more bytes than the file holds.
    let mut long = good.clone();
    let entry = s * (dir_sector + 1) + 128;
    long[entry + 120..entry + 128].copy_from_slice(&(1u64 << 40).to_le_bytes());
    assert_eq!(code(&long, Format::Xls), "unreadable_file");
    // A sector id beyond the end of the file.
    let mut beyond = good.clone();
    beyond[entry + 116..entry + 120].copy_from_slice(&0x00FF_FFFFu32.to_le_bytes());
    assert_eq!(code(&beyond, Format::Xls), "unreadable_file");
    // A sheet said to start beyond the workbook stream.
    let mut stream = biff8(&XLS_CUSTOMER_CELLS, (0, 2, 0, 2));
    let bs = 20; // BOF record (4 + 16), then BoundSheet8
    stream[bs + 4..bs + 8].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(code(&xls(&stream), Format::Xls), "unreadable_file");
}

#[test]
fn a_sparse_ods_is_refused_and_libreoffice_trailing_repeats_are_not_expanded() {
    assert!(sparse_ods().len() < 4096);
    assert_eq!(code(&sparse_ods(), Format::Ods), "too_many_columns");
    // LibreOffice's own ending: a million empty rows of 16,384 empty cells, read as nothing.
    let normal = ods(&format!(
        r#"<table:table table:name="客户"><table:table-column table:number-columns-repeated="16384"/>{}<table:table-row table:number-rows-repeated="1048574"><table:table-cell table:number-columns-repeated="16384"/></table:table-row></table:table><table:table table:name="Other"/>"#,
        ods_customer_rows()
    ));
    let t = read_sniffed(&normal, Format::Ods).expect("read");
    customers(&t);
    assert_eq!(t.sheet.as_deref(), Some("客户"));
    assert_eq!(t.sheets, vec!["客户", "Other"]);
}

#[test]
fn ods_repeats_of_non_empty_cells_beyond_the_caps_are_refused() {
    let wide = ods(&format!(
        r#"<table:table table:name="S">{}<table:table-row><table:table-cell table:number-columns-repeated="1000000000" office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell></table:table-row></table:table>"#,
        ods_customer_rows()
    ));
    assert_eq!(code(&wide, Format::Ods), "too_many_columns");
    let tall = ods(&format!(
        r#"<table:table table:name="S">{}<table:table-row table:number-rows-repeated="1000000000">{}{}</table:table-row></table:table>"#,
        ods_customer_rows(),
        ods_cell("a"),
        ods_cell("b")
    ));
    assert_eq!(code(&tall, Format::Ods), "too_many_rows");
    // Within the caps, a repeat is as many rows.
    let few = ods(&format!(
        r#"<table:table table:name="S">{}<table:table-row table:number-rows-repeated="3">{}{}</table:table-row></table:table>"#,
        ods_customer_rows(),
        ods_cell("a"),
        ods_cell("b")
    ));
    let t = read_sniffed(&few, Format::Ods).expect("read");
    let lines: Vec<u32> = t.rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![2, 3, 4, 5]);
}

#[test]
fn ods_values_read_like_the_other_formats() {
    let body = r#"<table:table table:name="S"><table:table-row>
        <table:table-cell office:value-type="string"><text:p>名称</text:p></table:table-cell>
        <table:table-cell office:value-type="string"><text:p>手机</text:p></table:table-cell>
        <table:table-cell office:value-type="string"><text:p>日期</text:p></table:table-cell>
        <table:table-cell office:value-type="string"><text:p>是否</text:p></table:table-cell>
        </table:table-row><table:table-row>
        <table:table-cell office:value-type="string"><text:p>A&amp;B<text:s text:c="2"/>公司</text:p><text:p>二楼</text:p><office:annotation><text:p>note</text:p></office:annotation></table:table-cell>
        <table:table-cell office:value-type="float" office:value="13800000001"><text:p>1.38E+10</text:p></table:table-cell>
        <table:table-cell office:value-type="date" office:date-value="2023-03-15"><text:p>15/03/23</text:p></table:table-cell>
        <table:table-cell office:value-type="boolean" office:boolean-value="true"><text:p>TRUE</text:p></table:table-cell>
        </table:table-row></table:table>"#;
    let t = read_sniffed(&ods(body), Format::Ods).expect("read");
    let cells: Vec<&str> = t.rows[0].cells.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        cells,
        vec!["A&B  公司\n二楼", "13800000001", "2023-03-15", "TRUE"]
    );
    assert_eq!(t.rows[0].cells[2].kind, crate::CellKind::Date);
}

#[test]
fn the_libreoffice_fixtures_still_read() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/tests/fixtures/imports");
    for (name, format) in [
        ("customers-libreoffice.xls", Format::Xls),
        ("customers-libreoffice.xlsx", Format::Xlsx),
        ("units-libreoffice.xlsx", Format::Xlsx),
    ] {
        let bytes = std::fs::read(dir.join(name)).expect("fixture");
        let t = read_sniffed(&bytes, format).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!t.rows.is_empty(), "{name}");
    }
}

#[test]
fn a_long_text_repeated_within_the_caps_is_refused_before_it_fills_memory() {
    // One cell of 30,000 characters, repeated 200 columns × 50,000 rows: within the cell
    // caps, but 300 GB of copies. The running text total stops it early.
    let long = "长".repeat(10_000);
    let row = format!(
        r#"<table:table-row table:number-rows-repeated="50000"><table:table-cell table:number-columns-repeated="200" office:value-type="string"><text:p>{long}</text:p></table:table-cell></table:table-row>"#
    );
    let book = ods(&format!(
        r#"<table:table table:name="S">{}{row}</table:table>"#,
        ods_customer_rows()
    ));
    assert!(book.len() < 64 * 1024, "small on the wire: {}", book.len());
    assert_eq!(code(&book, Format::Ods), "workbook_expands");
}

#[test]
fn a_cell_built_from_space_repeats_past_excels_limit_is_refused() {
    let spaces = r#"<text:s text:c="1024"/>"#.repeat(100);
    let cell = format!(
        r#"<table:table-cell office:value-type="string"><text:p>{spaces}</text:p></table:table-cell>"#
    );
    let book = ods(&format!(
        r#"<table:table table:name="S">{}<table:table-row>{cell}{cell}</table:table-row></table:table>"#,
        ods_customer_rows()
    ));
    assert_eq!(code(&book, Format::Ods), "unreadable_file");
}

#[test]
fn shared_strings_hidden_behind_comments_are_still_checked() {
    let comments = "<!-- padding -->".repeat(500);
    let strings = "<si><t>客户名称</t></si><si><t>手机</t></si><si><t>张三</t></si>";
    let rows = r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>13800000001</v></c></row>"#;
    let sst = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>{comments}<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="1000000000000">{strings}</sst>"#
    );
    let book = xlsx_with_shared_part(rows, &sst);
    assert_eq!(code(&book, Format::Xlsx), "unreadable_file");
}
