//! The local wall clock: broken-down local time (TZ and /etc/localtime apply) both ways.
//!
//! Owns: the crate's only `localtime_r` and `mktime` calls.
//! Never: caches a zone (the C library does), allocates.

/// A local date and time, fields as people read them (month 1..=12).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tm {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

/// The local date and time at `epoch` seconds; `None` when the C library cannot convert it
/// (out of `time_t` range where `time_t` is 32 bits).
pub fn local(epoch: i64) -> Option<Tm> {
    #[allow(clippy::useless_conversion)] // time_t is 32 bits on some targets
    let t = libc::time_t::try_from(epoch).ok()?;
    // SAFETY: all-zero is a valid `tm`; localtime_r writes only into it, keeps neither pointer
    // and, unlike localtime, is thread-safe.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return None;
    }
    let field = |v: libc::c_int| u8::try_from(v).unwrap_or(0);
    Some(Tm {
        year: tm.tm_year.saturating_add(1900),
        month: field(tm.tm_mon + 1),
        day: field(tm.tm_mday),
        hour: field(tm.tm_hour),
        minute: field(tm.tm_min),
        second: field(tm.tm_sec),
    })
}

/// Seconds since the epoch of local `year-month-day hour:00:00` (month 1..=12), daylight
/// saving time as the zone has it then; `None` when out of range.
#[allow(clippy::useless_conversion)] // time_t is 32 bits on some targets
pub fn from_local(year: i32, month: u32, day: u32, hour: u32) -> Option<i64> {
    // SAFETY: all-zero is a valid `tm`.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    tm.tm_year = year.checked_sub(1900)?;
    tm.tm_mon = i32::try_from(month).ok()? - 1;
    tm.tm_mday = i32::try_from(day).ok()?;
    tm.tm_hour = i32::try_from(hour).ok()?;
    tm.tm_isdst = -1;
    // SAFETY: a valid, exclusively borrowed `tm` that mktime reads and normalises.
    let t = unsafe { libc::mktime(&mut tm) };
    (t != -1).then(|| i64::from(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ways_agree() {
        let t = from_local(2024, 2, 29, 13).unwrap();
        let tm = local(t).unwrap();
        let want = (2024, 2, 29, 13, 0, 0);
        let got = (tm.year, tm.month, tm.day, tm.hour, tm.minute, tm.second);
        assert_eq!(got, want);
        let later = local(t + 3 * 60 + 7).unwrap();
        assert_eq!((later.minute, later.second), (3, 7));
    }
}
