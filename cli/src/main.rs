//! `forewarn`: the command-line tool. `simulate` runs the decision engine on sample data;
//! `catalog check` proves the notification catalog and `preview` renders one of its messages;
//! `capacity` models a burst against AWS's quotas.

mod capacity;
mod catalog;
#[cfg(feature = "aws")]
mod explain;
#[cfg(feature = "aws")]
mod ops;
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
        /// A catalog directory (kind files in `DIR/kinds`, categories in `DIR/categories.toml`, reply texts in `DIR/replies.toml`),
        /// proved as `catalog check` proves it; default: the catalog built into forewarn.
        #[arg(long)]
        catalog: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Work with the notification catalog (`catalog/kinds/*.toml`, `catalog/categories.toml`, `catalog/replies.toml`).
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// Render one message of a kind as a customer would get it: title or subject, body, SMS
    /// cost, HTML part.
    Preview(catalog::PreviewArgs),
    /// How long a burst of notices takes through each stage against the account's AWS quotas,
    /// and the increases a target needs (docs/SCALE.md).
    Capacity(capacity::CapacityArgs),
    /// Put events on the bus (batches of 10; each failed entry is reported).
    Emit {
        /// Event files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The event bus name.
        #[arg(long, env = "FOREWARN_BUS")]
        bus: String,
    },
    /// Manage customer profiles in the table.
    Customers {
        #[command(subcommand)]
        command: CustomersCommand,
    },
    /// Show a customer's recent decisions, deliveries and what is pending, with the reasons,
    /// in their local time (destinations masked).
    Explain {
        /// The customer's id.
        #[arg(long)]
        customer: String,
        /// Only this event's decision and rows.
        #[arg(long)]
        event: Option<String>,
        /// The DynamoDB table name.
        #[arg(long, env = "FOREWARN_TABLE")]
        table: String,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// Check every kind file and the reply texts: schemas, examples and sample events, the
    /// fields rules and placeholders name, templates in every language, worst-case SMS length,
    /// escaped HTML. Exit 1 with every problem on stderr; 2 when the catalog cannot be read.
    Check {
        /// The catalog directory: kind files in `DIR/kinds`, categories in `DIR/categories.toml`, reply texts in `DIR/replies.toml`.
        #[arg(default_value = "catalog")]
        dir: PathBuf,
        /// The sample events checked against their kind's schema (every `*.json` directly
        /// inside; default `events` when there is one).
        #[arg(long)]
        events: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum CustomersCommand {
    /// Validate and write a JSON array of customer profiles, merged under what forewarn
    /// learned (newer context events, dead devices, habits, STOP opt-outs, unusable addresses).
    Import {
        file: PathBuf,
        /// Show per customer what would change (and what is kept) and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// The DynamoDB table name.
        #[arg(long, env = "FOREWARN_TABLE")]
        table: String,
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
            catalog,
            format,
        } => simulate::run(customers, events, catalog, format),
        Command::Catalog {
            command: CatalogCommand::Check { dir, events },
        } => catalog::run_check(&dir, events.as_deref()),
        Command::Preview(args) => catalog::run_preview(args),
        Command::Capacity(args) => capacity::run(args),
        #[cfg(feature = "aws")]
        Command::Emit { paths, bus } => block_on(ops::emit(paths, bus)),
        #[cfg(feature = "aws")]
        Command::Customers {
            command: CustomersCommand::Import { file, dry_run, table },
        } => block_on(ops::import(file, table, dry_run)),
        #[cfg(feature = "aws")]
        Command::Explain {
            customer,
            event,
            table,
            format,
        } => block_on(ops::explain(customer, event, table, format)),
        #[cfg(not(feature = "aws"))]
        Command::Emit { .. } | Command::Customers { .. } | Command::Explain { .. } => without_aws(),
    }
}

#[cfg(feature = "aws")]
fn block_on(f: impl Future<Output = ExitCode>) -> ExitCode {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(f)
}

/// The AWS commands in a build without them: say how to get them.
#[cfg(not(feature = "aws"))]
fn without_aws() -> ExitCode {
    eprintln!(
        "forewarn: this build has no AWS commands; build it with `--features aws` \
         (e.g. `cargo run --features aws --bin forewarn -- emit events/`)"
    );
    ExitCode::from(2)
}
