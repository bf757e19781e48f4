//! Sub-commands of SPEC §9. Each `run` returns the process exit code (0 ok, 1 bad config or
//! input, 2 runtime failure).

pub mod args;
pub mod bans;
pub mod check;
pub mod parse;
pub mod status;
pub mod test;

/// The configuration file used when `-c` is not given.
pub const DEFAULT_CONFIG: &str = "/etc/config/logtrigger";

/// Writes `text` to stdout. A closed stdout (`logtrigger check | head`) is not an error worth a
/// panic: the router build aborts on panics with a core dump, where `print!` would panic.
pub fn print(text: &[u8]) {
    use std::io::Write;
    let _ = std::io::stdout().write_all(text);
}

/// An input named on the command line; `-` is standard input (as a `File` on a duplicate of
/// descriptor 0, so that files and standard input share one reader type and one copy of code).
pub(crate) fn open_input(name: &str) -> std::io::Result<std::fs::File> {
    if name != "-" {
        return std::fs::File::open(name);
    }
    use std::os::fd::AsFd;
    Ok(std::io::stdin().as_fd().try_clone_to_owned()?.into())
}

/// A text table: each column as wide as its widest cell (counted in characters, so long rule
/// names never shift the columns after them), two blanks between columns. Columns listed in
/// `right` are right-aligned (numbers).
pub fn table(header: &[&str], rows: &[Vec<String>], right: &[usize]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(&widths).enumerate() {
            let pad = " ".repeat(w - cell.chars().count());
            if i > 0 {
                line.push_str("  ");
            }
            if right.contains(&i) {
                line.push_str(&pad);
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&pad);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn table_columns_follow_the_widest_cell() {
        let rows = vec![
            vec!["a_very_long_rule_name_indeed".to_string(), "12".to_string()],
            vec!["é".to_string(), "3".to_string()],
        ];
        let t = super::table(&["rule", "matches"], &rows, &[1]);
        assert_eq!(
            t,
            "rule                          matches\n\
             a_very_long_rule_name_indeed       12\n\
             é                                   3\n"
        );
    }
}
