//! The JSON object `logtrigger parse` prints for a message (SPEC §9).
