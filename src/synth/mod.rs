//! Synthetic population generator (placeholder until the synth module lands).
