//! Allocation and memory audits (SPEC §1, §6, §11) under one counting global allocator that
//! counts per thread: no heap allocation per message or per event in steady state, and the
//! memory the counting state holds. In-process only, so the cross-compiled test leg runs it.

mod counting;

mod pipeline_alloc;
mod syslog_alloc;
mod track_memory;
mod track_tracker;
