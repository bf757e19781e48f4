//! UCI syntax as libuci reads it (SPEC §8): sections, options and lists with their source lines.
//!
//! Owns: turning the bytes of a UCI file into [`Section`]s of [`Opt`]s, with libuci's quoting,
//! escapes, comments, `;`, line continuation and option/list merging rules.
//! Never: interprets option names or values (that is `config`'s job), panics on any input.
//!
//! The grammar, as libuci's `file.c` implements it:
//! - a command is a word (`package`/`p`, `config`/`c`, `option`/`o`, `list`/`l`) followed by
//!   arguments, and ends at the end of the line or at an unquoted `;`;
//! - an argument is a run of pieces that concatenate: bare text, `'single quoted'` text (fully
//!   literal, may span lines) and `"double quoted"` text (may span lines); outside single quotes
//!   `\x` means `x`, and a backslash at the end of a line joins the next line;
//! - an unquoted `#` ends the line (a comment), even in the middle of a word.
//!
//! Merging follows libuci: `option` replaces any earlier value of the same name, `list` after an
//! `option` of the same name turns it into a list whose first item is the old value, a second
//! `config TYPE 'NAME'` with the same name reopens the section. One deliberate difference: an
//! empty `option` value deletes the option (libuci's `uci set` semantics); libuci's file loader
//! ignores such a line, which keeps an earlier value silently.

/// A parse error: the line it was found on and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub reason: String,
}

/// The value of an option: one string, or the items of a list, each with its own line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Single(String),
    List(Vec<(String, usize)>),
}

/// One `option` or `list`, with the line of the command that last set it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opt {
    pub name: String,
    pub value: Value,
    pub line: usize,
}

/// One `config TYPE ['NAME']` section, with the line of its header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub kind: String,
    /// `None` for an anonymous section.
    pub name: Option<String>,
    pub line: usize,
    pub options: Vec<Opt>,
}

impl Section {
    /// The option called `name`, if set.
    pub fn get(&self, name: &str) -> Option<&Opt> {
        self.options.iter().find(|o| o.name == name)
    }
}

/// A whole file: the sections in order of first appearance.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Document {
    /// The last `package` name seen, if any (informational: the file name is what counts).
    pub package: Option<String>,
    pub sections: Vec<Section>,
}

/// Parses a UCI file. Values must be UTF-8 without NUL bytes.
pub fn parse(text: &[u8]) -> Result<Document, ParseError> {
    // A UTF-8 byte order mark (left by some Windows editors) is not a command.
    let bom = if text.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut p = Parser {
        text,
        pos: bom,
        line: 1,
        doc: Document::default(),
        current: None,
    };
    p.run()?;
    Ok(p.doc)
}

/// The commands of the language, with their one-letter forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Command {
    Package,
    Config,
    Option,
    List,
}

impl Command {
    fn from_word(w: &[u8]) -> Option<Command> {
        match w {
            b"package" | b"p" => Some(Command::Package),
            b"config" | b"c" => Some(Command::Config),
            b"option" | b"o" => Some(Command::Option),
            b"list" | b"l" => Some(Command::List),
            _ => None,
        }
    }
}

struct Parser<'a> {
    text: &'a [u8],
    /// Invariant: `pos <= text.len()`.
    pos: usize,
    /// Line number (1-based) of the byte at `pos`.
    line: usize,
    doc: Document,
    /// Index into `doc.sections` of the section that options go to.
    current: Option<usize>,
}

/// Blanks separate words; a newline ends a command. `isspace` minus `\n`.
fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c')
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.text.get(self.pos + ahead).copied()
    }

    fn err<T>(&self, line: usize, reason: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            line,
            reason: reason.into(),
        })
    }

    /// Consumes one byte, counting lines.
    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        if b == b'\n' {
            self.line += 1;
        }
        Some(b)
    }

    /// If a backslash at `pos` ends its line (`\` then `\n`, `\r\n` or end of file), consumes
    /// it with the line end and returns true: the next line continues this one.
    fn skip_continuation(&mut self) -> bool {
        if self.peek() != Some(b'\\') {
            return false;
        }
        match (self.peek_at(1), self.peek_at(2)) {
            (None, _) => self.pos += 1,
            (Some(b'\n'), _) => {
                self.pos += 2;
                self.line += 1;
            }
            (Some(b'\r'), Some(b'\n')) => {
                self.pos += 3;
                self.line += 1;
            }
            _ => return false,
        }
        true
    }

    /// Skips blanks and line continuations between words.
    fn skip_blanks(&mut self) {
        loop {
            match self.peek() {
                Some(b) if is_blank(b) => self.pos += 1,
                Some(b'\\') if self.skip_continuation() => {}
                _ => return,
            }
        }
    }

    /// Skips a comment up to (not including) the end of its line.
    fn skip_comment(&mut self) {
        while let Some(b) = self.peek() {
            if b == b'\n' {
                return;
            }
            self.pos += 1;
        }
    }

    fn run(&mut self) -> Result<(), ParseError> {
        loop {
            self.skip_blanks();
            match self.peek() {
                None => return Ok(()),
                Some(b'\n') | Some(b';') => {
                    self.bump();
                }
                Some(b'#') => self.skip_comment(),
                Some(_) => self.command()?,
            }
        }
    }

    /// Parses one command starting at a non-blank byte, up to its end (not consumed).
    fn command(&mut self) -> Result<(), ParseError> {
        let line = self.line;
        let start = self.pos;
        while let Some(b) = self.peek() {
            if is_blank(b) || matches!(b, b'\n' | b';' | b'#') {
                break;
            }
            self.pos += 1;
        }
        let word = &self.text[start..self.pos];
        let Some(cmd) = Command::from_word(word) else {
            let shown = String::from_utf8_lossy(word);
            return self.err(line, format!("invalid command '{shown}'"));
        };
        match cmd {
            Command::Package => self.package(line)?,
            Command::Config => self.config(line)?,
            Command::Option => self.option(line, false)?,
            Command::List => self.option(line, true)?,
        }
        self.end_of_command()
    }

    /// After the last argument only blanks, a comment, `;` or the end of the line may follow.
    fn end_of_command(&mut self) -> Result<(), ParseError> {
        self.skip_blanks();
        match self.peek() {
            None | Some(b'\n') | Some(b';') | Some(b'#') => Ok(()),
            Some(_) => self.err(self.line, "too many arguments"),
        }
    }

    fn package(&mut self, line: usize) -> Result<(), ParseError> {
        let name = self.required_arg(line, "package without name")?;
        if !valid_package_name(&name) {
            return self.err(line, "invalid character in package name");
        }
        self.doc.package = Some(utf8(name, line)?);
        Ok(())
    }

    fn config(&mut self, line: usize) -> Result<(), ParseError> {
        let kind = self.required_arg(line, "config without type")?;
        if !kind.iter().all(|&b| (33..=126).contains(&b)) {
            return self.err(line, "invalid character in section type");
        }
        let kind = utf8(kind, line)?;
        let name = self.arg()?.unwrap_or_default();
        if name.is_empty() {
            self.open(kind, None, line);
            return Ok(());
        }
        if !valid_name(&name) {
            return self.err(
                line,
                "invalid character in section name (only A-Z a-z 0-9 _)",
            );
        }
        let name = utf8(name, line)?;
        let found = self
            .doc
            .sections
            .iter()
            .position(|s| s.name.as_deref() == Some(name.as_str()));
        match found {
            Some(i) if self.doc.sections[i].kind != kind => {
                let first = self.doc.sections[i].line;
                self.err(
                    line,
                    format!("section '{name}' was declared with another type at line {first}"),
                )
            }
            Some(i) => {
                self.current = Some(i);
                Ok(())
            }
            None => {
                self.open(kind, Some(name), line);
                Ok(())
            }
        }
    }

    fn open(&mut self, kind: String, name: Option<String>, line: usize) {
        self.doc.sections.push(Section {
            kind,
            name,
            line,
            options: Vec::new(),
        });
        self.current = Some(self.doc.sections.len() - 1);
    }

    fn option(&mut self, line: usize, list: bool) -> Result<(), ParseError> {
        let Some(index) = self.current else {
            return self.err(line, "option/list command found before the first section");
        };
        let name = self.required_arg(line, "option without name")?;
        if !valid_name(&name) {
            return self.err(
                line,
                "invalid character in option name (only A-Z a-z 0-9 _)",
            );
        }
        let name = utf8(name, line)?;
        let value = utf8(self.arg()?.unwrap_or_default(), line)?;
        if value.contains('\0') {
            return self.err(line, "value contains a NUL byte");
        }
        let options = &mut self.doc.sections[index].options;
        let old = options.iter().position(|o| o.name == name);
        if list {
            add_list_item(options, old, name, value, line);
        } else {
            // libuci's uci_set: the new value replaces the old one (moved to the end).
            if let Some(i) = old {
                options.remove(i);
            }
            if !value.is_empty() {
                options.push(Opt {
                    name,
                    value: Value::Single(value),
                    line,
                });
            }
        }
        Ok(())
    }

    /// An argument that must be present and non-empty.
    fn required_arg(&mut self, line: usize, missing: &str) -> Result<Vec<u8>, ParseError> {
        match self.arg()? {
            Some(a) if !a.is_empty() => Ok(a),
            _ => self.err(line, missing),
        }
    }

    /// The next argument of the current command, `None` at the end of the command.
    fn arg(&mut self) -> Result<Option<Vec<u8>>, ParseError> {
        self.skip_blanks();
        match self.peek() {
            None | Some(b'\n') | Some(b';') | Some(b'#') => return Ok(None),
            Some(_) => {}
        }
        let mut out = Vec::new();
        while let Some(b) = self.peek() {
            match b {
                b'\'' => self.single_quoted(&mut out)?,
                b'"' => self.double_quoted(&mut out)?,
                b'\\' => self.escape(&mut out),
                b'\n' | b';' | b'#' => break,
                _ if is_blank(b) => break,
                _ => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
        Ok(Some(out))
    }

    /// A backslash outside single quotes: a line continuation, or `\x` meaning `x`.
    fn escape(&mut self, out: &mut Vec<u8>) {
        if self.skip_continuation() {
            return;
        }
        self.pos += 1; // the backslash
        if let Some(b) = self.bump() {
            out.push(b);
        }
    }

    /// `'...'`: every byte literal, newlines included, up to the next `'`.
    fn single_quoted(&mut self, out: &mut Vec<u8>) -> Result<(), ParseError> {
        let line = self.line;
        self.pos += 1;
        loop {
            match self.bump() {
                None => return self.err(line, "unterminated ' (end of file inside quotes)"),
                Some(b'\'') => return Ok(()),
                Some(b) => out.push(b),
            }
        }
    }

    /// `"..."`: like bare text, but blanks, newlines, `;`, `#` and `'` are literal.
    fn double_quoted(&mut self, out: &mut Vec<u8>) -> Result<(), ParseError> {
        let line = self.line;
        self.pos += 1;
        loop {
            match self.peek() {
                None => return self.err(line, "unterminated \" (end of file inside quotes)"),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => self.escape(out),
                Some(_) => {
                    if let Some(b) = self.bump() {
                        out.push(b);
                    }
                }
            }
        }
    }
}

/// libuci's uci_add_list: append to a list, turning an existing single value into the list's
/// first item.
fn add_list_item(
    options: &mut Vec<Opt>,
    old: Option<usize>,
    name: String,
    value: String,
    line: usize,
) {
    match old {
        Some(i) => {
            let opt = &mut options[i];
            match &mut opt.value {
                Value::List(items) => items.push((value, line)),
                Value::Single(first) => {
                    let first = std::mem::take(first);
                    opt.value = Value::List(vec![(first, opt.line), (value, line)]);
                }
            }
            opt.line = line;
        }
        None => options.push(Opt {
            name,
            value: Value::List(vec![(value, line)]),
            line,
        }),
    }
}

/// Option and section names: `[A-Za-z0-9_]+` (libuci: shell compatibility).
fn valid_name(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Package names also allow `-`.
fn valid_package_name(s: &[u8]) -> bool {
    !s.is_empty()
        && s.iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn utf8(bytes: Vec<u8>, line: usize) -> Result<String, ParseError> {
    String::from_utf8(bytes).map_err(|e| ParseError {
        line,
        reason: format!(
            "value is not valid UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Document {
        parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text:?}: {e:?}"))
    }

    fn err(text: &[u8]) -> (usize, String) {
        let e = parse(text).expect_err("must fail");
        (e.line, e.reason)
    }

    /// The value of option `name` in the only section.
    fn single(text: &str, name: &str) -> String {
        let d = doc(text);
        assert_eq!(d.sections.len(), 1, "{text:?}");
        match &d.sections[0].get(name).expect("option").value {
            Value::Single(s) => s.clone(),
            v => panic!("not single: {v:?}"),
        }
    }

    fn list(text: &str, name: &str) -> Vec<String> {
        let d = doc(text);
        match &d.sections[0].get(name).expect("option").value {
            Value::List(items) => items.iter().map(|(s, _)| s.clone()).collect(),
            v => panic!("not a list: {v:?}"),
        }
    }

    #[test]
    fn sections_named_and_anonymous() {
        let d = doc(
            "package logtrigger\n\nconfig logtrigger 'global'\n\toption debug '1'\n\nconfig rule\n\toption name x\n",
        );
        assert_eq!(d.package.as_deref(), Some("logtrigger"));
        assert_eq!(d.sections.len(), 2);
        assert_eq!(d.sections[0].kind, "logtrigger");
        assert_eq!(d.sections[0].name.as_deref(), Some("global"));
        assert_eq!(d.sections[0].line, 3);
        assert_eq!(d.sections[0].options[0].line, 4);
        assert_eq!(d.sections[1].name, None);
        assert_eq!(d.sections[1].line, 6);
        assert_eq!(d.sections[1].options[0].line, 7);
    }

    #[test]
    fn one_letter_commands() {
        let d = doc("p pkg\nc rule 'r1'\no name 'a'\nl x 1\nl x 2\n");
        assert_eq!(d.package.as_deref(), Some("pkg"));
        assert_eq!(d.sections[0].name.as_deref(), Some("r1"));
        assert_eq!(
            d.sections[0].get("name").unwrap().value,
            Value::Single("a".into())
        );
        assert_eq!(
            d.sections[0].get("x").unwrap().value,
            Value::List(vec![("1".into(), 4), ("2".into(), 5)])
        );
    }

    #[test]
    fn empty_section_name_is_anonymous() {
        let d = doc("config rule ''\n");
        assert_eq!(d.sections[0].name, None);
    }

    #[test]
    fn single_quotes_are_literal() {
        assert_eq!(
            single("config a\noption v 'a\\b \"c\" #d ;e'\n", "v"),
            "a\\b \"c\" #d ;e"
        );
    }

    #[test]
    fn quote_idiom_embeds_single_quote() {
        assert_eq!(single("config a\noption v 'it'\\''s'\n", "v"), "it's");
    }

    #[test]
    fn double_quotes_and_bare_words_unescape() {
        assert_eq!(
            single("config a\noption v \"a\\\"b\\\\c\\n 'q' #x\"\n", "v"),
            "a\"b\\cn 'q' #x"
        );
        assert_eq!(single("config a\noption v a\\ b\\#c\n", "v"), "a b#c");
    }

    #[test]
    fn pieces_concatenate() {
        assert_eq!(
            single("config a\noption v ab'c d'\"e f\"g\n", "v"),
            "abc de fg"
        );
    }

    #[test]
    fn comments_anywhere_unquoted() {
        let d = doc(
            "# top\nconfig a # named? no\n  option v x#y z\n\t# indented\noption w 'q#'  # trailing\n",
        );
        assert_eq!(d.sections[0].name, None);
        assert_eq!(
            d.sections[0].get("v").unwrap().value,
            Value::Single("x".into())
        );
        assert_eq!(
            d.sections[0].get("w").unwrap().value,
            Value::Single("q#".into())
        );
    }

    #[test]
    fn semicolon_separates_commands() {
        let d = doc("config a; option x 1; option y '2;3' ;list z 4\n");
        let s = &d.sections[0];
        assert_eq!(s.get("x").unwrap().value, Value::Single("1".into()));
        assert_eq!(s.get("y").unwrap().value, Value::Single("2;3".into()));
        assert_eq!(
            s.get("z").unwrap().value,
            Value::List(vec![("4".into(), 1)])
        );
    }

    #[test]
    fn backslash_continues_the_line() {
        let d = doc(
            "config a\noption \\\n v \\\n 'x'\noption w ab\\\ncd\noption u \"p\\\r\nq\"\noption last 1\n",
        );
        let s = &d.sections[0];
        assert_eq!(s.get("v").unwrap().value, Value::Single("x".into()));
        assert_eq!(s.get("v").unwrap().line, 2);
        assert_eq!(s.get("w").unwrap().value, Value::Single("abcd".into()));
        assert_eq!(s.get("u").unwrap().value, Value::Single("pq".into()));
        assert_eq!(s.get("last").unwrap().line, 9);
    }

    #[test]
    fn backslash_inside_single_quotes_does_not_continue() {
        assert_eq!(single("config a\noption v 'a\\\nb'\n", "v"), "a\\\nb");
    }

    #[test]
    fn multi_line_quoted_values() {
        let d = doc("config a\noption v 'one\ntwo'\noption w \"three\nfour\"\noption x 1\n");
        let s = &d.sections[0];
        assert_eq!(s.get("v").unwrap().value, Value::Single("one\ntwo".into()));
        assert_eq!(
            s.get("w").unwrap().value,
            Value::Single("three\nfour".into())
        );
        assert_eq!(s.get("w").unwrap().line, 4);
        assert_eq!(s.get("x").unwrap().line, 6);
    }

    #[test]
    fn empty_value_deletes_option() {
        let d = doc("config a\noption v 1\noption w 2\noption v ''\noption u\n");
        let s = &d.sections[0];
        assert!(s.get("v").is_none());
        assert!(s.get("u").is_none());
        assert!(s.get("w").is_some());
    }

    #[test]
    fn option_replaces_and_list_extends() {
        assert_eq!(single("config a\noption v 1\noption v 2\n", "v"), "2");
        assert_eq!(
            list("config a\noption v 1\nlist v 2\nlist v 3\n", "v"),
            ["1", "2", "3"]
        );
        assert_eq!(
            single("config a\nlist v 1\nlist v 2\noption v 3\n", "v"),
            "3"
        );
        assert_eq!(list("config a\nlist v ''\n", "v"), [""]);
    }

    #[test]
    fn list_converted_from_option_keeps_item_lines() {
        let d = doc("config a\noption v 1\n\nlist v 2\n");
        assert_eq!(
            d.sections[0].get("v").unwrap().value,
            Value::List(vec![("1".into(), 2), ("2".into(), 4)])
        );
    }

    #[test]
    fn named_section_reopens() {
        let d = doc("config t 'n'\noption a 1\nconfig u\nconfig t 'n'\noption b 2\n");
        assert_eq!(d.sections.len(), 2);
        assert!(d.sections[0].get("a").is_some() && d.sections[0].get("b").is_some());
    }

    #[test]
    fn crlf_and_blank_lines() {
        let d = doc("\r\n\r\nconfig a\r\n\toption v 'x'\r\n\r\n");
        assert_eq!(
            d.sections[0].get("v").unwrap().value,
            Value::Single("x".into())
        );
        assert_eq!(d.sections[0].line, 3);
    }

    #[test]
    fn errors_name_line_and_reason() {
        let cases: &[(&[u8], usize, &str)] = &[
            (b"config a\n\nbogus x\n", 3, "invalid command 'bogus'"),
            (b"configs a\n", 1, "invalid command 'configs'"),
            (
                b"option v 1\n",
                1,
                "option/list command found before the first section",
            ),
            (
                b"list v 1\n",
                1,
                "option/list command found before the first section",
            ),
            (b"config\n", 1, "config without type"),
            (b"config ''\n", 1, "config without type"),
            (b"config a\noption\n", 2, "option without name"),
            (b"config a\nlist # x\n", 2, "option without name"),
            (b"package\n", 1, "package without name"),
            (b"package 'a b'\n", 1, "invalid character in package name"),
            (b"config 'a b'\n", 1, "invalid character in section type"),
            (
                b"config a 'b-c'\n",
                1,
                "invalid character in section name (only A-Z a-z 0-9 _)",
            ),
            (
                b"config a\noption 'b.c' 1\n",
                2,
                "invalid character in option name (only A-Z a-z 0-9 _)",
            ),
            (b"config a\noption v 1 2\n", 2, "too many arguments"),
            (b"config a b c\n", 1, "too many arguments"),
            (
                b"config a\n\noption v 'abc\n\n",
                3,
                "unterminated ' (end of file inside quotes)",
            ),
            (
                b"config a\noption v \"abc\\\"\n",
                2,
                "unterminated \" (end of file inside quotes)",
            ),
            (
                b"config t 'n'\nconfig u 'n'\n",
                2,
                "section 'n' was declared with another type at line 1",
            ),
            (
                b"config a\noption v '\xff'\n",
                2,
                "value is not valid UTF-8 (invalid byte at offset 0)",
            ),
            (
                b"config a\noption v 'ab\0'\n",
                2,
                "value contains a NUL byte",
            ),
        ];
        for (text, line, reason) in cases {
            let got = err(text);
            assert_eq!(
                got,
                (*line, reason.to_string()),
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn non_utf8_in_comments_is_fine() {
        let d = parse(b"# \xff\xfe\nconfig a # \x80\n").unwrap();
        assert_eq!(d.sections.len(), 1);
    }

    #[test]
    fn leading_byte_order_mark_is_skipped() {
        let d = parse(b"\xEF\xBB\xBFconfig a\n").unwrap();
        assert_eq!(d.sections[0].kind, "a");
        let e = parse(b"config a\n\xEF\xBB\xBFoption v 1\n").unwrap_err();
        assert_eq!(e.line, 2, "only at the very start");
    }

    #[test]
    fn trailing_backslash_at_eof() {
        assert_eq!(single("config a\noption v x\\", "v"), "x");
    }
}
