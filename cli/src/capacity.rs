//! `forewarn capacity`: the capacity model for a burst, at AWS's default quotas or a file's.

use std::path::PathBuf;
use std::process::ExitCode;

use forewarn_core::capacity::{QuotasFile, model, render};

#[derive(clap::Args)]
pub struct CapacityArgs {
    /// Notices in the burst (normal and low urgency: low balance, payment due, …).
    #[arg(long)]
    events: u64,
    /// Minutes within which every notice must reach its provider.
    #[arg(long)]
    window: f64,
    /// A TOML file of `[quotas]` (your account's, from Service Quotas) and `[workload]`
    /// assumptions; each key optional (docs/SCALE.md lists them).
    #[arg(long)]
    quotas: Option<PathBuf>,
}

pub fn run(args: CapacityArgs) -> ExitCode {
    if !(args.window.is_finite() && args.window > 0.0) {
        eprintln!("--window: must be a number of minutes above zero, not {}", args.window);
        return ExitCode::from(2);
    }
    let file = match &args.quotas {
        None => QuotasFile::default(),
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| QuotasFile::parse(&t))
        {
            Ok(f) => f,
            Err(e) => {
                eprintln!("--quotas {}: {e}", path.display());
                return ExitCode::from(2);
            }
        },
    };
    let c = model(args.events, args.window, &file.quotas, &file.workload);
    print!("{}", render(&c));
    ExitCode::SUCCESS
}
