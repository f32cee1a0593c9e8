//! Integration tests: the real binary and the real HTTP server, on generated and hand-written data.

mod cli;
mod engine;
mod rematch;
mod server;
mod synth;
mod train;
mod util;
