//! RFC6587 deframing of a byte stream (octet counting, LF- or NUL-terminated frames).
