//! `forewarn`: the command-line tool. `simulate` runs the decision engine on sample data.

mod simulate;
mod timeline;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "forewarn",
    version,
    about = "Proactive customer notifications: decide, explain, send."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decide every event on an in-memory store and a virtual clock, and print the timeline.
    Simulate {
        /// JSON array of customer profiles (default: the bundled sample customers).
        #[arg(long)]
        customers: Option<PathBuf>,
        /// Event files or directories, in any order (default: every sample in events/).
        #[arg(long, num_args = 1..)]
        events: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Simulate {
            customers,
            events,
            format,
        } => simulate::run(customers, events, format),
    }
}
