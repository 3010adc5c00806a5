//! XLS (BIFF5/BIFF8 inside an OLE compound file), read with every declared size bounded
//! before calamine sees the file.
//!
//! calamine's XLS reader trusts the file: it follows sector chains without a bound (a cyclic
//! chain grows a buffer until memory runs out), reserves room for the cells a `DIMENSIONS`
//! record declares, and builds a dense range for every sheet from the furthest cell it meets.
//! So we read the compound file ourselves (every chain bounded by the file's own sector count),
//! walk the workbook stream's records the way calamine will (each sheet's cells checked against
//! the caps, the dense areas of all sheets summed against a budget, `DIMENSIONS` records
//! neutralised), and hand calamine a compound file we wrote, holding only that stream.

use crate::grid::{Grid, MAX_COLUMNS, MAX_ROWS, ReadError};
use crate::workbook::{
    MAX_EXPANDED_MIB, MAX_SHEETS, ROW_SLACK, Sparse, cell_of, guarded, pick_sheet,
};
use std::io::Cursor;

/// The signature of an OLE compound file (what an XLS file is inside).
pub(crate) const OLE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const FREESECT: u32 = 0xFFFF_FFFF;
const FATSECT: u32 = 0xFFFF_FFFD;
const MAXREGSECT: u32 = 0xFFFF_FFFA;
const NOSTREAM: u32 = 0xFFFF_FFFF;
const MINI_CUTOFF: usize = 4096;

/// Cells the dense ranges of all sheets of a workbook may add up to: one full import.
const DENSE_BUDGET: u64 = ((MAX_ROWS + ROW_SLACK) * MAX_COLUMNS) as u64;

fn corrupt(why: impl Into<String>) -> ReadError {
    ReadError::Corrupt(why.into())
}

fn u16_at(b: &[u8], at: usize) -> Result<u16, ReadError> {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .ok_or_else(|| corrupt("a record is too short"))
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, ReadError> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(|| corrupt("a record is too short"))
}

/// Reads the table of the chosen sheet of an XLS workbook.
pub(crate) fn grid(
    bytes: &[u8],
    sheet: Option<&str>,
    max_rows: usize,
) -> Result<(Grid, String, Vec<String>), ReadError> {
    let mut stream = workbook_stream(bytes)?;
    check_records(&mut stream, max_rows)?;
    let clean = write_compound(&stream);
    guarded(|| {
        use calamine::Reader;
        let corrupt = |e: &dyn std::fmt::Display| ReadError::Corrupt(e.to_string());
        let mut wb: calamine::Xls<_> =
            calamine::Xls::new(Cursor::new(clean)).map_err(|e| corrupt(&e))?;
        let names = wb.sheet_names().to_owned();
        let name = pick_sheet(&names, sheet)?;
        let range = wb.worksheet_range(&name).map_err(|e| corrupt(&e))?;
        let Some((top, left)) = range.start() else {
            return Err(ReadError::NoHeader);
        };
        let mut sparse = Sparse::new(max_rows);
        for (r, c, value) in range.used_cells() {
            sparse.put(
                u64::from(top) + r as u64,
                u64::from(left) + c as u64,
                cell_of(value),
            )?;
        }
        if sparse.rows() == 0 {
            return Err(ReadError::NoHeader);
        }
        Ok((sparse.grid(), name, names))
    })
}

/// A compound file as it lies in memory; every sector id is checked against the file.
struct Compound<'a> {
    bytes: &'a [u8],
    sector: usize,
    sectors: usize,
    fat: Vec<u32>,
    large: bool,
}

impl<'a> Compound<'a> {
    fn open(bytes: &'a [u8]) -> Result<Compound<'a>, ReadError> {
        if bytes.len() < 512 || !bytes.starts_with(OLE) {
            return Err(corrupt("not an OLE compound file"));
        }
        let sector = match u16_at(bytes, 30)? {
            9 => 512,
            12 => 4096,
            _ => return Err(corrupt("bad sector size")),
        };
        if u16_at(bytes, 32)? != 6 {
            return Err(corrupt("bad mini sector size"));
        }
        // The header takes the first sector.
        let sectors = bytes.len().saturating_sub(sector) / sector;
        let mut c = Compound {
            bytes,
            sector,
            sectors,
            fat: Vec::new(),
            large: sector == 4096,
        };
        let mut difat: Vec<u32> = (0..109)
            .map(|i| u32_at(bytes, 76 + 4 * i))
            .collect::<Result<_, _>>()?;
        let mut next = u32_at(bytes, 68)?;
        let mut hops = 0;
        while next <= MAXREGSECT {
            hops += 1;
            if hops > sectors {
                return Err(corrupt("the DIFAT chain loops"));
            }
            let s = c.sector(next)?;
            let n = sector / 4;
            for i in 0..n - 1 {
                difat.push(u32_at(s, 4 * i)?);
            }
            next = u32_at(s, 4 * (n - 1))?;
        }
        let mut fat = Vec::new();
        for id in difat.into_iter().filter(|id| *id <= MAXREGSECT) {
            let s = c.sector(id)?;
            for i in 0..sector / 4 {
                fat.push(u32_at(s, 4 * i)?);
            }
        }
        c.fat = fat;
        Ok(c)
    }

    fn sector(&self, id: u32) -> Result<&'a [u8], ReadError> {
        let id = id as usize;
        if id >= self.sectors {
            return Err(corrupt(format!(
                "sector {id} is beyond the end of the file"
            )));
        }
        Ok(&self.bytes[(id + 1) * self.sector..(id + 2) * self.sector])
    }

    /// The bytes of the chain starting at `start`, up to `len` (all of it with `None`). A
    /// chain can visit each sector of the file at most once.
    fn chain(&self, start: u32, len: Option<usize>) -> Result<Vec<u8>, ReadError> {
        let limit = len.unwrap_or(usize::MAX);
        let mut out = Vec::new();
        let mut id = start;
        let mut hops = 0;
        while out.len() < limit && id != ENDOFCHAIN {
            hops += 1;
            if hops > self.sectors {
                return Err(corrupt("a sector chain loops"));
            }
            let s = self.sector(id)?;
            out.extend_from_slice(&s[..s.len().min(limit - out.len())]);
            id = *self
                .fat
                .get(id as usize)
                .ok_or_else(|| corrupt("a sector is not in the allocation table"))?;
        }
        if len.is_some_and(|l| out.len() < l) {
            return Err(corrupt("a stream is shorter than it declares"));
        }
        Ok(out)
    }
}

/// The `Workbook` (BIFF8) or `Book` (BIFF5) stream of a compound file.
fn workbook_stream(bytes: &[u8]) -> Result<Vec<u8>, ReadError> {
    let c = Compound::open(bytes)?;
    let dir = c.chain(u32_at(bytes, 48)?, None)?;
    let entries: Vec<&[u8]> = dir.chunks_exact(128).collect();
    let size_of = |e: &[u8]| -> Result<usize, ReadError> {
        let size = if c.large {
            u64::from(u32_at(e, 120)?) | (u64::from(u32_at(e, 124)?) << 32)
        } else {
            u64::from(u32_at(e, 120)?)
        };
        // A stream cannot hold more than the file it is in.
        usize::try_from(size)
            .ok()
            .filter(|s| *s <= bytes.len())
            .ok_or_else(|| corrupt("a stream declares more bytes than the file holds"))
    };
    let name_of = |e: &[u8]| -> String {
        let n = usize::from(u16::from_le_bytes([e[64], e[65]])).min(64);
        let units: Vec<u16> = e[..n]
            .chunks_exact(2)
            .map(|p| u16::from_le_bytes([p[0], p[1]]))
            .take_while(|u| *u != 0)
            .collect();
        String::from_utf16_lossy(&units)
    };
    let found = ["Workbook", "Book"].iter().find_map(|want| {
        entries
            .iter()
            .find(|e| e[66] == 2 && name_of(e).eq_ignore_ascii_case(want))
    });
    let Some(entry) = found else {
        return Err(corrupt("no workbook stream"));
    };
    let size = size_of(entry)?;
    let start = u32_at(entry, 116)?;
    if size >= MINI_CUTOFF {
        return c.chain(start, Some(size));
    }
    // A small stream lives in the mini stream, itself a stream of the root entry.
    let root = entries.first().ok_or_else(|| corrupt("no root entry"))?;
    let mini = c.chain(u32_at(root, 116)?, Some(size_of(root)?))?;
    let minifat: Vec<u32> = c
        .chain(u32_at(bytes, 60)?, None)?
        .chunks_exact(4)
        .map(|p| u32::from_le_bytes([p[0], p[1], p[2], p[3]]))
        .collect();
    let mut out = Vec::with_capacity(size);
    let mut id = start;
    let mut hops = 0;
    while out.len() < size {
        hops += 1;
        if hops > minifat.len() {
            return Err(corrupt("a mini sector chain loops"));
        }
        let at = id as usize * 64;
        let s = mini
            .get(at..at + 64)
            .ok_or_else(|| corrupt("a mini sector is beyond the mini stream"))?;
        out.extend_from_slice(&s[..64.min(size - out.len())]);
        id = *minifat
            .get(id as usize)
            .ok_or_else(|| corrupt("a mini sector is not in its table"))?;
    }
    Ok(out)
}

/// The records of a stream from `at`: (offset, type, data). Stops at the first record that
/// does not fit (calamine refuses it the same way).
fn records(
    stream: &[u8],
    mut at: usize,
) -> impl Iterator<Item = Result<(usize, u16, &[u8]), ReadError>> {
    std::iter::from_fn(move || {
        if at >= stream.len() {
            return None;
        }
        let head = match (u16_at(stream, at), u16_at(stream, at + 2)) {
            (Ok(t), Ok(l)) => (t, usize::from(l)),
            _ => {
                at = stream.len();
                return Some(Err(corrupt("a record is cut off")));
            }
        };
        let Some(data) = stream.get(at + 4..at + 4 + head.1) else {
            at = stream.len();
            return Some(Err(corrupt("a record is cut off")));
        };
        let here = at;
        at += 4 + head.1;
        Some(Ok((here, head.0, data)))
    })
}

/// The bounding box of the cells calamine will put in one dense range.
#[derive(Default)]
struct Area(Option<(u32, u32, u32, u32)>);

impl Area {
    fn add(&mut self, r: u32, c: u32) {
        self.0 = Some(match self.0 {
            None => (r, r, c, c),
            Some((r0, r1, c0, c1)) => (r0.min(r), r1.max(r), c0.min(c), c1.max(c)),
        });
    }

    fn cells(&self) -> u64 {
        self.0.map_or(0, |(r0, r1, c0, c1)| {
            u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1)
        })
    }
}

/// Walks the records as calamine will, refusing what would make it allocate beyond the caps;
/// `DIMENSIONS` records (a size the file merely declares) are neutralised in place.
fn check_records(stream: &mut [u8], max_rows: usize) -> Result<(), ReadError> {
    let caps = Sparse::new(max_rows);
    let mut sheets = Vec::new();
    for rec in records(stream, 0) {
        let (_, typ, data) = rec?;
        match typ {
            // BoundSheet8: the sheet's offset, its state and type, its name.
            0x0085 => {
                let pos = u32_at(data, 0)? as usize;
                if data.len() < 8 || pos >= stream.len() {
                    return Err(corrupt("a sheet lies outside the workbook"));
                }
                sheets.push(pos);
                if sheets.len() > MAX_SHEETS {
                    return Err(ReadError::Expands {
                        max_mib: MAX_EXPANDED_MIB,
                    });
                }
            }
            0x000A => break,
            _ => {}
        }
    }
    let mut dense: u64 = 0;
    let mut scanned: usize = 0;
    let mut neutralise = Vec::new();
    for pos in sheets {
        let mut values = Area::default();
        let mut formulas = Area::default();
        let mut seen_bof = false;
        let mut depth = 0usize;
        for rec in records(stream, pos) {
            let (at, typ, data) = rec?;
            // Sheets that overlap make calamine read the same records again and again.
            scanned += 4 + data.len();
            if scanned > 2 * stream.len() + 1024 {
                return Err(corrupt("the sheets of the workbook overlap"));
            }
            if depth > 0 {
                match typ {
                    0x0809 => depth += 1,
                    0x000A => depth -= 1,
                    _ => {}
                }
                continue;
            }
            let cell = |r: u32, c: u32, area: &mut Area| -> Result<(), ReadError> {
                caps.check(u64::from(r), u64::from(c))?;
                area.add(r, c);
                Ok(())
            };
            match typ {
                0x0809 => {
                    if seen_bof {
                        depth += 1;
                    } else {
                        seen_bof = true;
                    }
                }
                0x0200 => neutralise.push(at),
                // Number, Label, RString, BoolErr, Rk, LabelSst.
                0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD => {
                    let (r, c) = (u16_at(data, 0)?, u16_at(data, 2)?);
                    cell(r.into(), c.into(), &mut values)?;
                }
                // Formula: a value (or a String record after it) and a formula text.
                0x0006 => {
                    if data.len() < 20 {
                        return Err(corrupt("a formula record is too short"));
                    }
                    let (r, c) = (u16_at(data, 0)?, u16_at(data, 2)?);
                    cell(r.into(), c.into(), &mut values)?;
                    cell(r.into(), c.into(), &mut formulas)?;
                }
                // MulRk: one row, a span of columns, six bytes per cell.
                0x00BD => {
                    if data.len() < 6 {
                        return Err(corrupt("a MulRk record is too short"));
                    }
                    let r = u16_at(data, 0)?;
                    let first = u16_at(data, 2)?;
                    let last = u16_at(data, data.len() - 2)?;
                    if last < first || data.len() != 6 + 6 * usize::from(last - first + 1) {
                        return Err(corrupt("a MulRk record has the wrong length"));
                    }
                    cell(r.into(), first.into(), &mut values)?;
                    cell(r.into(), last.into(), &mut values)?;
                }
                0x000A => break,
                _ => {}
            }
        }
        dense = dense
            .saturating_add(values.cells())
            .saturating_add(formulas.cells());
        if dense > DENSE_BUDGET {
            return Err(ReadError::Expands {
                max_mib: MAX_EXPANDED_MIB,
            });
        }
    }
    for at in neutralise {
        // An unknown record type, which calamine skips.
        stream[at..at + 2].copy_from_slice(&0xFFFFu16.to_le_bytes());
    }
    Ok(())
}

/// A compound file (version 4, 4096-byte sectors) holding `stream` as its `Workbook`.
pub(crate) fn write_compound(stream: &[u8]) -> Vec<u8> {
    const S: usize = 4096;
    let mut data = stream.to_vec();
    // Streams below the cut-off would belong in the mini stream; pad instead.
    if data.len() < MINI_CUTOFF {
        data.resize(MINI_CUTOFF, 0);
    }
    let size = data.len();
    let data_sectors = size.div_ceil(S);
    let dir_sector = data_sectors;
    let mut fat_sectors = 1;
    while data_sectors + 1 + fat_sectors > fat_sectors * (S / 4) {
        fat_sectors += 1;
    }
    let total = data_sectors + 1 + fat_sectors;
    let mut out = vec![0u8; S * (total + 1)];
    let put16 = |out: &mut Vec<u8>, at: usize, v: u16| {
        out[at..at + 2].copy_from_slice(&v.to_le_bytes());
    };
    let put32 = |out: &mut Vec<u8>, at: usize, v: u32| {
        out[at..at + 4].copy_from_slice(&v.to_le_bytes());
    };
    out[..8].copy_from_slice(OLE);
    put16(&mut out, 24, 0x003E);
    put16(&mut out, 26, 4);
    put16(&mut out, 28, 0xFFFE);
    put16(&mut out, 30, 12);
    put16(&mut out, 32, 6);
    put32(&mut out, 40, 1);
    put32(&mut out, 44, fat_sectors as u32);
    put32(&mut out, 48, dir_sector as u32);
    put32(&mut out, 56, MINI_CUTOFF as u32);
    put32(&mut out, 60, ENDOFCHAIN);
    put32(&mut out, 68, ENDOFCHAIN);
    for i in 0..109 {
        let v = if i < fat_sectors {
            (dir_sector + 1 + i) as u32
        } else {
            FREESECT
        };
        put32(&mut out, 76 + 4 * i, v);
    }
    let sector_at = |id: usize| S * (id + 1);
    out[sector_at(0)..sector_at(0) + size].copy_from_slice(&data);
    // Directory: the root (its mini stream empty) and the workbook stream.
    let d = sector_at(dir_sector);
    for (i, (name, typ, child)) in [("Root Entry", 5u8, 1u32), ("Workbook", 2u8, NOSTREAM)]
        .into_iter()
        .enumerate()
    {
        let e = d + 128 * i;
        let units: Vec<u16> = name.encode_utf16().collect();
        for (k, u) in units.iter().enumerate() {
            put16(&mut out, e + 2 * k, *u);
        }
        put16(&mut out, e + 64, (2 * (units.len() + 1)) as u16);
        out[e + 66] = typ;
        out[e + 67] = 1;
        put32(&mut out, e + 68, NOSTREAM);
        put32(&mut out, e + 72, NOSTREAM);
        put32(&mut out, e + 76, child);
        put32(&mut out, e + 116, 0);
        let len = if typ == 2 { size as u64 } else { 0 };
        out[e + 120..e + 128].copy_from_slice(&len.to_le_bytes());
    }
    for i in 2..S / 128 {
        let e = d + 128 * i;
        put32(&mut out, e + 68, NOSTREAM);
        put32(&mut out, e + 72, NOSTREAM);
        put32(&mut out, e + 76, NOSTREAM);
    }
    // The allocation table.
    let f = sector_at(dir_sector + 1);
    for id in 0..fat_sectors * (S / 4) {
        let v = if id + 1 < data_sectors {
            (id + 1) as u32
        } else if id + 1 == data_sectors || id == dir_sector {
            ENDOFCHAIN
        } else if id < total {
            FATSECT
        } else {
            FREESECT
        };
        put32(&mut out, f + 4 * id, v);
    }
    out
}
