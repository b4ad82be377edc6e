//! The engine and the ports, wired once per process. Each flow's `impl` block asks only for
//! the ports that flow uses, so a function that never sends can wire `()` as its sender.

use forewarn_core::engine::Engine;

/// How long, by default, an unfinished claim blocks a concurrent duplicate before a retry may take over.
pub const CLAIM_LEASE_SECONDS: i64 = 60;

/// How many automatic answers of each count (`AnswerCount`) a number gets per 24 h, by default.
pub const AUTO_ANSWERS_PER_DAY: u32 = 1;

/// The decision engine and the adapters one process uses.
pub struct Service<St, Se, Sc, B> {
    pub engine: Engine,
    /// How long an unfinished idempotency claim holds off a duplicate before a retry takes over.
    pub lease_seconds: i64,
    /// Whether the origination number's opt-outs are self-managed: then forewarn answers
    /// STOP, START and HELP itself; otherwise AWS does, and forewarn only records them.
    pub self_managed_opt_outs: bool,
    /// How many automatic answers outside questions, confirmations and help a number gets per
    /// 24 h, and how many help texts (counted apart).
    pub auto_answers_per_day: u32,
    pub store: St,
    pub sender: Se,
    pub scheduler: Sc,
    pub bus: B,
}

impl<St, Se, Sc, B> Service<St, Se, Sc, B> {
    /// Wires `engine` to the adapters, with the default claim lease.
    pub fn new(engine: Engine, store: St, sender: Se, scheduler: Sc, bus: B) -> Self {
        Service {
            engine,
            lease_seconds: CLAIM_LEASE_SECONDS,
            self_managed_opt_outs: false,
            auto_answers_per_day: AUTO_ANSWERS_PER_DAY,
            store,
            sender,
            scheduler,
            bus,
        }
    }
}
