//! Inputs (SPEC §2): the local socket and its inline takeover, UDP, tailed files, /dev/kmsg,
//! and forwarding to the system logger and remote collectors.
