//! Integration tests: the real binary, the real HTTP server and the collectors' page in headless
//! Chromium, on generated and hand-written data.

mod cli;
mod engine;
mod eval;
mod jobs;
mod outcomes;
mod rematch;
mod replicas;
mod server;
mod synth;
mod train;
mod unseen_data;
mod util;
mod web;
