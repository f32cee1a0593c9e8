//! Integration tests: the real binary and the real HTTP server, on generated and hand-written data.

mod cli;
mod engine;
mod eval;
mod rematch;
mod server;
mod synth;
mod util;
