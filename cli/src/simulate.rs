//! `forewarn simulate`: read customers and events, run the simulator, print the timeline.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use forewarn_core::customer::{Customer, CustomerProfile, parse_customers};
use forewarn_core::engine::Engine;
use forewarn_core::events::EventError;
use forewarn_flows::sim::{Input, Simulator};
use serde_json::value::RawValue;

use crate::Format;

/// The bundled sample customers, so the bare command works anywhere.
const SAMPLE_CUSTOMERS: &str = include_str!("../../infra/seed/customers.json");
/// The bundled sample events.
const SAMPLE_EVENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../events");

#[derive(Debug, thiserror::Error)]
enum SimError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: io::Error },
    #[error("{path}: {reason}")]
    Customers { path: String, reason: String },
    #[error("--catalog {0}")]
    Catalog(String),
}

pub fn run(customers: Option<PathBuf>, events: Vec<PathBuf>, catalog: Option<PathBuf>, format: Format) -> ExitCode {
    // Before anything reads the catalog: customers and events are parsed against it.
    if let Some(dir) = catalog
        && let Err(e) = crate::catalog::install_dir(&dir)
    {
        eprintln!(
            "forewarn simulate: {}",
            SimError::Catalog(format!("{}: {e}", dir.display()))
        );
        return ExitCode::from(2);
    }
    match simulate(customers, events, format) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("forewarn simulate: {e}");
            ExitCode::from(2)
        }
    }
}

fn simulate(customers: Option<PathBuf>, events: Vec<PathBuf>, format: Format) -> Result<(), SimError> {
    let (label, text) = match &customers {
        Some(p) => (p.display().to_string(), read(p)?),
        None => ("bundled customers".to_owned(), SAMPLE_CUSTOMERS.to_owned()),
    };
    let customers = load_customers(&label, &text)?;
    let paths = if events.is_empty() {
        vec![PathBuf::from(SAMPLE_EVENTS)]
    } else {
        events
    };
    let mut inputs = Vec::new();
    for p in &paths {
        read_events(p, &mut inputs)?;
    }
    let profiles = customers.iter().map(|(p, _)| p.clone()).collect();
    let (records, customers) = Simulator::new(Engine::default(), profiles).run_with_customers(inputs);
    let mut out = io::stdout().lock();
    let written = match format {
        Format::Json => records.iter().try_for_each(|r| {
            serde_json::to_writer(&mut out, r).map_err(io::Error::other)?;
            writeln!(out)
        }),
        Format::Text => crate::timeline::write(&mut out, &records, &customers),
    };
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|source| SimError::Read {
            path: "stdout".into(),
            source,
        }),
    }
}

fn read(p: &Path) -> Result<String, SimError> {
    fs::read_to_string(p).map_err(|source| SimError::Read {
        path: p.display().to_string(),
        source,
    })
}

/// The valid profiles of `text`, each with its parsed customer; a faulty one is reported and skipped.
fn load_customers(label: &str, text: &str) -> Result<Vec<(CustomerProfile, Customer)>, SimError> {
    let parsed = parse_customers(text).map_err(|e| SimError::Customers {
        path: label.into(),
        reason: e.to_string(),
    })?;
    let mut customers = Vec::with_capacity(parsed.len());
    for c in parsed {
        match c {
            Ok(c) => customers.push(c),
            Err(e) => eprintln!("forewarn simulate: {label}: skipping customer {e}"),
        }
    }
    Ok(customers)
}

/// Reads one event file (an object or an array of them) or every `.json` file under a
/// directory, skipping `schemas/`.
fn read_events(p: &Path, inputs: &mut Vec<Input>) -> Result<(), SimError> {
    let meta = fs::metadata(p).map_err(|source| SimError::Read {
        path: p.display().to_string(),
        source,
    })?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = fs::read_dir(p)
            .map_err(|source| SimError::Read {
                path: p.display().to_string(),
                source,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|e| e.file_name().is_some_and(|n| n != "schemas"))
            .filter(|e| e.is_dir() || e.extension().is_some_and(|x| x == "json"))
            .collect();
        entries.sort();
        for e in entries {
            read_events(&e, inputs)?;
        }
        return Ok(());
    }
    let bytes = fs::read(p).map_err(|source| SimError::Read {
        path: p.display().to_string(),
        source,
    })?;
    let (text, bad) = mark_invalid_utf8(&bytes);
    let not_utf8 = |at: usize| format!("{}: not UTF-8: invalid byte at offset {at}", p.display());
    // Each item as its own text, so a repeated key in one is still seen by the event parser,
    // and an invalid byte rejects only the item it is in.
    match serde_json::from_str::<Vec<&RawValue>>(&text) {
        Ok(items) => {
            for item in items {
                let start = item.get().as_ptr() as usize - text.as_ptr() as usize;
                let end = start + item.get().len();
                match bad.iter().find(|&&at| at >= start && at < end) {
                    Some(&at) => {
                        inputs.push(Input::from_json(item.get()).rejected_as(EventError::new("$", not_utf8(at))))
                    }
                    None => inputs.push(Input::from_json(item.get())),
                }
            }
        }
        _ => match bad.first() {
            Some(&at) => inputs.push(Input::unreadable(EventError::new("$", not_utf8(at)))),
            None => inputs.push(Input::from_json(&text)),
        },
    }
    Ok(())
}

/// The file's text with every byte of an invalid UTF-8 sequence replaced by `?` (so offsets
/// stay those of the file), and the offsets where invalid sequences start.
fn mark_invalid_utf8(bytes: &[u8]) -> (String, Vec<usize>) {
    let mut out = Vec::with_capacity(bytes.len());
    let mut bad = Vec::new();
    for chunk in bytes.utf8_chunks() {
        out.extend_from_slice(chunk.valid().as_bytes());
        if !chunk.invalid().is_empty() {
            bad.push(out.len());
            out.extend(std::iter::repeat_n(b'?', chunk.invalid().len()));
        }
    }
    (String::from_utf8(out).expect("valid chunks and ASCII"), bad)
}
