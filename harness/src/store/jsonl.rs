//! `results.jsonl`: one [`JobResult`] per line, the source of truth of a
//! run. Each line is the result's JSON with one more key, `cell`, holding
//! the [`CellMeta`]; readers that only know [`JobResult`] ignore it.
//!
//! Lines are appended whole and synced to disk before the call returns. A
//! crash can only leave a partial last line without its newline: readers
//! report it as a [`TornTail`] and skip it; any other bad line is an error
//! naming the file and line.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::Path;

use edgebench_schema::{JobResult, SchemaError};
use serde::{Deserialize, Serialize};

use super::StoreError;
use super::cell::{CellMeta, StoredResult};

/// A partial last line left by a crash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// Its 1-based line number.
    pub line: usize,
    /// Byte offset where it starts (the file's valid length).
    pub offset: u64,
    /// Its length in bytes.
    pub len: usize,
}

/// What a `results.jsonl` holds.
#[derive(Debug, Clone, Default)]
pub struct JsonlContents {
    /// Every complete result, in file order.
    pub records: Vec<StoredResult>,
    /// A partial last line, skipped.
    pub torn: Option<TornTail>,
    /// The last line is complete but lacks its newline (a crash between the
    /// two): a writer must add one before appending.
    pub missing_newline: bool,
}

#[derive(Serialize)]
struct LineOut<'a> {
    #[serde(flatten)]
    result: &'a JobResult,
    cell: &'a CellMeta,
}

#[derive(Deserialize)]
struct LineCell {
    cell: Option<serde_json::Value>,
}

/// The line written for `result` (without the newline), checked to read
/// back: a result that would not (a non-finite number where the schema
/// needs one) is refused before anything is written.
///
/// # Errors
/// [`StoreError::Unstorable`] when the result does not read back.
pub fn encode(result: &JobResult, meta: &CellMeta) -> Result<String, StoreError> {
    let bad = |source| StoreError::Unstorable {
        cell_id: result.cell_id.clone(),
        source,
    };
    let text = serde_json::to_string(&LineOut { result, cell: meta }).map_err(|source| {
        bad(SchemaError::Json {
            what: "result",
            path: ".".into(),
            source,
        })
    })?;
    JobResult::from_json(&text).map_err(bad)?;
    Ok(text)
}

/// Appends `line` and a newline to `file` and syncs its data to disk. When
/// the write fails part-way (disk full), the file is cut back to its
/// length before, so no partial line is left for the next append to run
/// into.
///
/// # Errors
/// [`StoreError::Io`] naming `path`.
pub fn append_line(file: &mut File, path: &Path, line: &str) -> Result<(), StoreError> {
    let mut buf = Vec::with_capacity(line.len() + 1);
    buf.extend_from_slice(line.as_bytes());
    buf.push(b'\n');
    let before = file
        .metadata()
        .map_err(|e| StoreError::io("inspect", path, e))?
        .len();
    file.write_all(&buf)
        .and_then(|()| file.sync_data())
        .map_err(|e| {
            // Best effort: the error reported is the write's.
            let _ = file.set_len(before).and_then(|()| file.sync_data());
            StoreError::io("append to", path, e)
        })
}

/// Reads every result of `path`.
///
/// # Errors
/// [`StoreError::Io`] when the file cannot be read, [`StoreError::BadLine`]
/// for a line of another schema version or not a result (except a torn last
/// line), [`StoreError::DuplicateLine`] for a cell on two lines (unless the
/// earlier one is retryable, e.g. `unreachable`: the later one supersedes
/// it).
pub fn read(path: &Path) -> Result<JsonlContents, StoreError> {
    let bytes = std::fs::read(path).map_err(|e| StoreError::io("read", path, e))?;
    parse(path, &bytes)
}

/// Parses the bytes of a `results.jsonl`; `path` is for messages.
///
/// # Errors
/// As [`read`].
pub fn parse(path: &Path, bytes: &[u8]) -> Result<JsonlContents, StoreError> {
    let mut out = JsonlContents::default();
    let mut first_line: HashMap<String, (usize, usize)> = HashMap::new();
    let mut offset = 0usize;
    let mut segments = bytes.split(|&b| b == b'\n').enumerate().peekable();
    while let Some((i, seg)) = segments.next() {
        let line = i + 1;
        let start = offset;
        offset += seg.len() + 1;
        let terminated = segments.peek().is_some();
        let text = String::from_utf8_lossy(seg);
        if text.trim().is_empty() {
            continue;
        }
        let parsed = parse_line(&text);
        let (result, meta) = match parsed {
            Ok(rm) => rm,
            Err(SchemaError::Json { .. }) if !terminated => {
                out.torn = Some(TornTail {
                    line,
                    offset: start as u64,
                    len: seg.len(),
                });
                break;
            }
            Err(source) => {
                return Err(StoreError::BadLine {
                    path: path.to_owned(),
                    line,
                    source,
                });
            }
        };
        out.missing_newline = !terminated;
        if let Some(&(first, index)) = first_line.get(&result.cell_id) {
            // A cell whose device was unreachable is run again by a
            // resume; its new result supersedes the old line.
            if !out.records[index].result.status.is_retryable() {
                return Err(StoreError::DuplicateLine {
                    path: path.to_owned(),
                    line,
                    first_line: first,
                    cell_id: result.cell_id,
                });
            }
            first_line.insert(result.cell_id.clone(), (line, index));
            out.records[index] = StoredResult { meta, result };
            continue;
        }
        first_line.insert(result.cell_id.clone(), (line, out.records.len()));
        out.records.push(StoredResult { meta, result });
    }
    Ok(out)
}

fn parse_line(text: &str) -> Result<(JobResult, CellMeta), SchemaError> {
    let result = JobResult::from_json(text)?;
    let bad_cell = |source| SchemaError::Json {
        what: "result",
        path: "cell".into(),
        source,
    };
    let cell: LineCell = serde_json::from_str(text).map_err(bad_cell)?;
    let meta = match cell.cell {
        Some(v) => serde_json::from_value(v).map_err(bad_cell)?,
        None => CellMeta::from_result(&result),
    };
    Ok((result, meta))
}
