//! UCI syntax as libuci reads it (SPEC §8): sections, options and lists with their source lines.
