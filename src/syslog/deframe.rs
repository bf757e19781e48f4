//! RFC6587 deframing of a byte stream (octet counting, LF- or NUL-terminated frames).
//!
//! Owns: splitting a stream (TCP, a pipe) into frames. Each frame is chosen by its first byte,
//! as RFC6587 §3.4 says: a non-zero digit starts octet counting (`LEN SP FRAME`), anything else
//! is a non-transparent frame ended by LF or NUL (empty ones are skipped). Never: allocates after
//! [`Deframer::new`], holds more than `max_frame` bytes, or fails — oversize frames are truncated
//! to `max_frame` bytes, delivered, and counted.

/// Streaming deframer: [`push`](Deframer::push) bytes in, [`pop`](Deframer::pop) frames out.
///
/// ```
/// use logtrigger::syslog::deframe::Deframer;
/// let mut d = Deframer::new(8192);
/// let mut input: &[u8] = b"10 <13>hello\n<13>world\n";
/// let mut frames = Vec::new();
/// while !input.is_empty() {
///     let used = d.push(input);
///     input = &input[used..];
///     if let Some(f) = d.pop() {
///         frames.push(f.to_vec());
///     }
/// }
/// assert_eq!(frames, [b"<13>hello\n".to_vec(), b"<13>world".to_vec()]);
/// ```
#[derive(Debug)]
pub struct Deframer {
    buf: Vec<u8>,
    max: usize,
    state: State,
    truncated: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Between frames.
    Start,
    /// Reading the digits of MSG-LEN (also kept in `buf`, in case they turn out to be text).
    Length(usize),
    /// Octet counting: this many bytes of the frame are still to come.
    Counted(usize),
    /// Octet counting past `max`: discarding this many more bytes, then the frame is ready.
    CountedSkip(usize),
    /// Non-transparent: reading up to LF or NUL.
    Line,
    /// Non-transparent past `max`: discarding up to LF or NUL, then the frame is ready.
    LineSkip,
    /// A complete frame is in `buf`, waiting for `pop`.
    Ready,
}

/// MSG-LEN has at most this many digits (a larger one is treated as text).
const MAX_LEN_DIGITS: usize = 9;

impl Deframer {
    /// A deframer holding frames of at most `max_frame` bytes (at least 1).
    pub fn new(max_frame: usize) -> Deframer {
        let max = max_frame.max(1);
        Deframer {
            buf: Vec::with_capacity(max),
            max,
            state: State::Start,
            truncated: 0,
        }
    }

    /// How many frames were longer than `max_frame` (and delivered truncated).
    pub fn truncated(&self) -> u32 {
        self.truncated
    }

    /// Consumes bytes from `input` until one frame is complete or `input` runs out; returns how
    /// many bytes it used. Uses nothing while a complete frame waits for [`pop`](Self::pop).
    pub fn push(&mut self, input: &[u8]) -> usize {
        let mut used = 0;
        while used < input.len() && self.state != State::Ready {
            used += self.step(&input[used..]);
        }
        used
    }

    /// The complete frame, if there is one; the next `push` starts the frame after it.
    pub fn pop(&mut self) -> Option<&[u8]> {
        if self.state != State::Ready {
            return None;
        }
        self.state = State::Start;
        Some(&self.buf)
    }

    /// At the end of the stream: the unterminated non-transparent frame, if any (a partial
    /// octet-counted frame is incomplete and is dropped). Then the deframer starts afresh.
    pub fn finish(&mut self) -> Option<&[u8]> {
        let state = self.state;
        self.state = State::Start;
        match state {
            State::Ready => Some(&self.buf),
            State::Length(_) | State::Line | State::LineSkip if !self.buf.is_empty() => {
                Some(&self.buf)
            }
            _ => None,
        }
    }

    /// One transition over a prefix of non-empty `input`; returns the bytes used (≥ 1, or
    /// 0 only when the state changes without consuming).
    fn step(&mut self, input: &[u8]) -> usize {
        match self.state {
            State::Start => {
                self.buf.clear();
                self.state = match input[0] {
                    b'1'..=b'9' => State::Length(0),
                    _ => State::Line,
                };
                0
            }
            State::Length(len) => self.length_digit(len, input[0]),
            State::Counted(left) => {
                let n = left.min(input.len()).min(self.max - self.buf.len());
                self.buf.extend_from_slice(&input[..n]);
                let left = left - n;
                self.state = match (left, self.buf.len() == self.max) {
                    (0, _) => State::Ready,
                    (_, true) => {
                        self.truncated = self.truncated.wrapping_add(1);
                        State::CountedSkip(left)
                    }
                    _ => State::Counted(left),
                };
                n
            }
            State::CountedSkip(left) => {
                let n = left.min(input.len());
                self.state = if n == left {
                    State::Ready
                } else {
                    State::CountedSkip(left - n)
                };
                n
            }
            State::Line => self.line(input),
            State::LineSkip => match memchr::memchr2(b'\n', b'\0', input) {
                Some(end) => {
                    self.state = State::Ready;
                    end + 1
                }
                None => input.len(),
            },
            State::Ready => 0,
        }
    }

    /// One byte of a would-be MSG-LEN: a digit, the SP that ends it, or text.
    fn length_digit(&mut self, len: usize, b: u8) -> usize {
        match b {
            b' ' if len > 0 => {
                self.buf.clear();
                self.state = State::Counted(len);
            }
            b'0'..=b'9' if self.buf.len() < MAX_LEN_DIGITS.min(self.max) => {
                self.buf.push(b);
                self.state = State::Length(len * 10 + usize::from(b - b'0'));
            }
            // Not a length after all: the digits so far are the start of a text frame.
            _ => {
                self.state = State::Line;
                return 0;
            }
        }
        1
    }

    fn line(&mut self, input: &[u8]) -> usize {
        let room = self.max - self.buf.len();
        let window = &input[..input.len().min(room.saturating_add(1))];
        match memchr::memchr2(b'\n', b'\0', window) {
            Some(end) if end <= room => {
                self.buf.extend_from_slice(&input[..end]);
                // Empty frames (blank lines, NUL padding) are skipped.
                self.state = if self.buf.is_empty() {
                    State::Start
                } else {
                    State::Ready
                };
                end + 1
            }
            _ if input.len() <= room => {
                self.buf.extend_from_slice(input);
                input.len()
            }
            _ => {
                self.buf.extend_from_slice(&input[..room]);
                self.truncated = self.truncated.wrapping_add(1);
                self.state = State::LineSkip;
                room
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` in chunks of `chunk` bytes and collects frames (plus the final one).
    fn frames(max: usize, input: &[u8], chunk: usize) -> (Vec<Vec<u8>>, u32) {
        let mut d = Deframer::new(max);
        let mut out = Vec::new();
        for mut piece in input.chunks(chunk) {
            while !piece.is_empty() {
                let used = d.push(piece);
                piece = &piece[used..];
                if let Some(f) = d.pop() {
                    out.push(f.to_vec());
                }
            }
        }
        if let Some(f) = d.finish() {
            out.push(f.to_vec());
        }
        (out, d.truncated())
    }

    fn all_chunkings(max: usize, input: &[u8]) -> (Vec<Vec<u8>>, u32) {
        let first = frames(max, input, input.len().max(1));
        for chunk in 1..input.len().max(1) {
            assert_eq!(frames(max, input, chunk), first, "chunk size {chunk}");
        }
        first
    }

    #[test]
    fn octet_counting() {
        let (f, t) = all_chunkings(100, b"5 <13>a3 abc12 <13>x\ny\0zzzz");
        assert_eq!(f, [&b"<13>a"[..], b"abc", b"<13>x\ny\0zzzz"]);
        assert_eq!(t, 0);
    }

    #[test]
    fn lf_and_nul_terminated() {
        let (f, t) = all_chunkings(100, b"<13>one\n\n<13>two\0\0<14>three\r\n<15>tail");
        assert_eq!(
            f,
            [&b"<13>one"[..], b"<13>two", b"<14>three\r", b"<15>tail"]
        );
        assert_eq!(t, 0);
    }

    #[test]
    fn mixed_framing_and_digits_that_are_text() {
        let (f, _) = all_chunkings(100, b"3 abc123abc\n42\n4 wxyz");
        assert_eq!(f, [&b"abc"[..], b"123abc", b"42", b"wxyz"]);
        let (f, _) = all_chunkings(100, b"1234567890 x\n");
        assert_eq!(f, [&b"1234567890 x"[..]]);
    }

    #[test]
    fn oversize_frames_are_truncated_and_counted() {
        let (f, t) = all_chunkings(4, b"10 0123456789<1>abcdefg\nok\n");
        assert_eq!(f, [&b"0123"[..], b"<1>a", b"ok"]);
        assert_eq!(t, 2);
        // Exactly max bytes is not truncated.
        let (f, t) = all_chunkings(4, b"abcd\n4 wxyz");
        assert_eq!(f, [&b"abcd"[..], b"wxyz"]);
        assert_eq!(t, 0);
    }

    #[test]
    fn incomplete_counted_frame_is_dropped_at_end() {
        let (f, _) = all_chunkings(100, b"10 abc");
        assert!(f.is_empty());
    }

    #[test]
    fn no_allocation_growth() {
        let mut d = Deframer::new(16);
        let cap = d.buf.capacity();
        let input = [b'x'; 1000];
        let mut rest = &input[..];
        while !rest.is_empty() {
            rest = &rest[d.push(rest)..];
            let _ = d.pop();
        }
        assert_eq!(d.buf.capacity(), cap);
    }
}
