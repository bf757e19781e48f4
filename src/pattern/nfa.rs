//! Element list → NFA program (Thompson construction, leftmost-first priorities), and what
//! every engine's search shares: capture slots, the trailing conversion's span, giving up.
//!
//! Owns: the translation of every element into the regex of the SPEC §5 table, as
//! instructions; the meaning of `MatchTail`; [`GaveUp`], the one answer an engine gives
//! when it will not finish a search.
//! Never: looks at pattern text (that is `syntax`) or runs a program (the engines do).

use super::MAX_CAPTURES;
use super::syntax::{
    ANY, ByteSet, CLASS_TABLE, Conv, DIGIT, DIGIT19, EE, Elem, HEX, NOT_SPACE, OCTAL, SIGN, SPACE,
    XX, is_space, skips_space,
};

/// Two capture slots per conversion.
pub(crate) const MAX_SLOTS: usize = 2 * MAX_CAPTURES;

/// Capture slots of a search: start and end of each conversion's value.
pub(crate) type Slots = [u32; MAX_SLOTS];

/// An engine stopped before it knew the answer (its budget ran out, or the search is not one
/// it takes); the next engine of the cascade runs the search instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct GaveUp;

/// The trailing `%s`/`%b` starting at `q` (< len): `\s*(.+)$` keeps greedy whitespace skipping
/// but must leave at least one byte; `%b` takes everything.
pub(crate) fn set_tail(prog: &Program, hay: &[u8], q: usize, out: &mut Slots) {
    let len = hay.len();
    let mut start = q;
    if prog.tail_skips_space {
        while start + 1 < len && is_space(hay[start]) {
            start += 1;
        }
    }
    out[prog.slots - 2] = start as u32;
    out[prog.slots - 1] = len as u32;
}

/// One NFA instruction. Consuming instructions advance one byte; the others are epsilon moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Inst {
    Byte(u8),
    Class(u16),
    /// A byte of the scanset `Program::sets[n]`.
    Set(u16),
    /// Try the first target before the second (leftmost-first priority).
    Split(u32, u32),
    Jmp(u32),
    /// Record the current position into capture slot n.
    Save(u32),
    /// Succeeds at the end of the subject.
    Match,
    /// The trailing `%s`/`%b` (`\s*(.+)$` / `(.+)$`): succeeds whenever a byte is left.
    MatchTail,
}

/// A tiny regex tree, enough for the translations of SPEC §5.
enum Node {
    Byte(u8),
    Class(u16),
    Set(ByteSet),
    Save(u32),
    Cat(Vec<Node>),
    /// Leftmost-first alternation.
    Alt(Vec<Node>),
    /// `x?`, greedy.
    Opt(Box<Node>),
    /// `x*` (min 0) or `x+` (min 1), greedy or lazy.
    Rep {
        node: Box<Node>,
        min1: bool,
        greedy: bool,
    },
}

fn cls(c: u16) -> Node {
    Node::Class(c)
}
fn star(n: Node) -> Node {
    Node::Rep {
        node: Box::new(n),
        min1: false,
        greedy: true,
    }
}
fn plus(n: Node) -> Node {
    Node::Rep {
        node: Box::new(n),
        min1: true,
        greedy: true,
    }
}
fn plus_lazy(n: Node) -> Node {
    Node::Rep {
        node: Box::new(n),
        min1: true,
        greedy: false,
    }
}
fn opt(n: Node) -> Node {
    Node::Opt(Box::new(n))
}

/// The part of a conversion inside its capture group (after the skipped `\s*`).
fn conv_body(conv: Conv) -> Node {
    let sign = || opt(cls(SIGN));
    match conv {
        Conv::D => Node::Cat(vec![sign(), plus(cls(DIGIT))]),
        Conv::I => Node::Cat(vec![
            sign(),
            Node::Alt(vec![
                Node::Cat(vec![Node::Byte(b'0'), cls(XX), plus(cls(HEX))]),
                Node::Cat(vec![Node::Byte(b'0'), star(cls(OCTAL))]),
                Node::Cat(vec![cls(DIGIT19), star(cls(DIGIT))]),
            ]),
        ]),
        Conv::U => plus(cls(DIGIT)),
        Conv::F => Node::Cat(vec![
            sign(),
            Node::Alt(vec![
                Node::Cat(vec![
                    plus(cls(DIGIT)),
                    opt(Node::Cat(vec![Node::Byte(b'.'), star(cls(DIGIT))])),
                ]),
                Node::Cat(vec![Node::Byte(b'.'), plus(cls(DIGIT))]),
            ]),
            opt(Node::Cat(vec![cls(EE), opt(cls(SIGN)), plus(cls(DIGIT))])),
        ]),
        Conv::O => plus(cls(OCTAL)),
        Conv::X => Node::Cat(vec![
            opt(Node::Cat(vec![Node::Byte(b'0'), cls(XX)])),
            plus(cls(HEX)),
        ]),
        Conv::C => cls(ANY),
        Conv::S => plus_lazy(cls(NOT_SPACE)),
        Conv::B => plus_lazy(cls(ANY)),
        Conv::Scan(set) => plus(Node::Set(set)),
    }
}

/// The compiled program of a pattern.
#[derive(Clone, Debug)]
pub(crate) struct Program {
    pub insts: Vec<Inst>,
    /// Number of capture slots (two per conversion).
    pub slots: usize,
    /// The pattern ends with a trailing `%s`/`%b`, whose slots `MatchTail` fills.
    pub tail: bool,
    /// That trailing conversion is a `%s` (skips leading whitespace).
    pub tail_skips_space: bool,
    /// The scansets that `Inst::Set` names.
    pub sets: Vec<ByteSet>,
}

impl Program {
    /// Whether the consuming instruction `inst` accepts `b`.
    #[inline(always)]
    pub(crate) fn accepts(&self, inst: Inst, b: u8) -> bool {
        match inst {
            Inst::Byte(x) => x == b,
            Inst::Class(m) => CLASS_TABLE[usize::from(b)] & m != 0,
            Inst::Set(n) => self.sets[usize::from(n)].contains(b),
            _ => false,
        }
    }
}

/// Builds the program for `elems`; the unanchored `.*?` prefix is left to the matcher.
pub(crate) fn build(elems: &[Elem]) -> Program {
    let mut nodes = Vec::new();
    let mut cap = 0u32;
    let mut tail = false;
    let mut tail_skips_space = false;
    for e in elems {
        match *e {
            Elem::Lit(b) => nodes.push(Node::Byte(b)),
            Elem::Space => nodes.push(plus(cls(SPACE))),
            Elem::Conv { conv, trailing } => {
                if trailing {
                    // `\s*(.+)$` is decided by the matcher itself (MatchTail).
                    tail = true;
                    tail_skips_space = skips_space(conv);
                } else {
                    if skips_space(conv) {
                        nodes.push(star(cls(SPACE)));
                    }
                    nodes.push(Node::Save(2 * cap));
                    nodes.push(conv_body(conv));
                    nodes.push(Node::Save(2 * cap + 1));
                }
                cap += 1;
            }
        }
    }
    let mut insts = Vec::new();
    let mut sets = Vec::new();
    emit(&Node::Cat(nodes), &mut insts, &mut sets);
    insts.push(if tail { Inst::MatchTail } else { Inst::Match });
    Program {
        insts,
        slots: 2 * cap as usize,
        tail,
        tail_skips_space,
        sets,
    }
}

fn pc(insts: &[Inst]) -> u32 {
    insts.len() as u32
}

/// Thompson construction; a `Split` placeholder is patched once its second target is known.
fn emit(node: &Node, out: &mut Vec<Inst>, sets: &mut Vec<ByteSet>) {
    match node {
        Node::Byte(b) => out.push(Inst::Byte(*b)),
        Node::Class(c) => out.push(Inst::Class(*c)),
        Node::Set(set) => {
            // At most 16 conversions: the index fits.
            out.push(Inst::Set(sets.len() as u16));
            sets.push(*set);
        }
        Node::Save(s) => out.push(Inst::Save(*s)),
        Node::Cat(v) => v.iter().for_each(|n| emit(n, out, sets)),
        Node::Alt(v) => {
            let mut jumps = Vec::new();
            for (k, n) in v.iter().enumerate() {
                if k + 1 == v.len() {
                    emit(n, out, sets);
                } else {
                    let split = pc(out);
                    out.push(Inst::Split(split + 1, 0));
                    emit(n, out, sets);
                    jumps.push(pc(out));
                    out.push(Inst::Jmp(0));
                    let next = pc(out);
                    out[split as usize] = Inst::Split(split + 1, next);
                }
            }
            let end = pc(out);
            for j in jumps {
                out[j as usize] = Inst::Jmp(end);
            }
        }
        Node::Opt(n) => {
            let split = pc(out);
            out.push(Inst::Split(split + 1, 0));
            emit(n, out, sets);
            let end = pc(out);
            out[split as usize] = Inst::Split(split + 1, end);
        }
        Node::Rep {
            node,
            min1: true,
            greedy,
        } => {
            let start = pc(out);
            emit(node, out, sets);
            let next = pc(out) + 1;
            out.push(if *greedy {
                Inst::Split(start, next)
            } else {
                Inst::Split(next, start)
            });
        }
        Node::Rep {
            node,
            min1: false,
            greedy,
        } => {
            let split = pc(out);
            out.push(Inst::Split(0, 0));
            emit(node, out, sets);
            out.push(Inst::Jmp(split));
            let end = pc(out);
            out[split as usize] = if *greedy {
                Inst::Split(split + 1, end)
            } else {
                Inst::Split(end, split + 1)
            };
        }
    }
}

/// Number of consuming instructions (`Byte`, `Class`, `Set`) the translation of `elem` has.
pub(crate) fn states_of(elem: Elem) -> usize {
    let prog = build(&[elem]);
    prog.insts
        .iter()
        .filter(|i| matches!(i, Inst::Byte(_) | Inst::Class(_) | Inst::Set(_)))
        .count()
}
