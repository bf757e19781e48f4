//! The helpers of the packaging tests: the one shared helper module under the name those tests
//! use. Owns nothing of its own.
#![allow(dead_code, unused_imports)]

#[path = "../shared/mod.rs"]
mod shared;
pub use shared::*;
