//! A TOML document as a tree in which every key and value knows the file
//! and byte range it came from.

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::source::{FileId, Loc};

/// A key with its location.
#[derive(Clone, Debug)]
pub struct Key {
    /// The key text.
    pub name: String,
    /// Where it is written.
    pub loc: Loc,
}

/// A value with its location.
#[derive(Clone, Debug)]
pub struct Node {
    /// Where it is written.
    pub loc: Loc,
    /// The value.
    pub val: Val,
}

/// A TOML value.
#[derive(Clone, Debug)]
pub enum Val {
    /// A string.
    Str(String),
    /// An integer; `None` when it does not fit an `i128`.
    Int(Option<i128>),
    /// A float.
    Float,
    /// A boolean.
    Bool(bool),
    /// A date or time.
    Datetime,
    /// An array.
    Array(Vec<Node>),
    /// A table, keys in document order.
    Table(Vec<(Key, Node)>),
}

impl Val {
    /// The TOML type name, for "expected X, found Y".
    pub fn type_name(&self) -> &'static str {
        match self {
            Val::Str(_) => "a string",
            Val::Int(_) => "an integer",
            Val::Float => "a float",
            Val::Bool(_) => "a boolean",
            Val::Datetime => "a date-time",
            Val::Array(_) => "an array",
            Val::Table(_) => "a table",
        }
    }
}

fn loc(file: FileId, span: std::ops::Range<usize>) -> Loc {
    Loc {
        file,
        start: span.start,
        end: span.end,
    }
}

fn convert(file: FileId, v: &Spanned<DeValue<'_>>) -> Node {
    let val = match v.get_ref() {
        DeValue::String(s) => Val::Str(s.to_string()),
        DeValue::Integer(i) => Val::Int(i128::from_str_radix(i.as_str(), i.radix()).ok()),
        DeValue::Float(_) => Val::Float,
        DeValue::Boolean(b) => Val::Bool(*b),
        DeValue::Datetime(_) => Val::Datetime,
        DeValue::Array(a) => Val::Array(a.iter().map(|e| convert(file, e)).collect()),
        DeValue::Table(t) => Val::Table(convert_table(file, t)),
    };
    Node {
        loc: loc(file, v.span()),
        val,
    }
}

fn convert_table(file: FileId, t: &DeTable<'_>) -> Vec<(Key, Node)> {
    t.iter()
        .map(|(k, v)| {
            let key = Key {
                name: k.get_ref().to_string(),
                loc: loc(file, k.span()),
            };
            (key, convert(file, v))
        })
        .collect()
}

/// A syntax error: message and location.
#[derive(Clone, Debug)]
pub struct SyntaxError {
    /// What the parser says.
    pub message: String,
    /// Where, when the parser knows.
    pub loc: Option<Loc>,
}

/// Parses a TOML document. All syntax errors the parser recovers from are
/// returned, not just the first.
pub fn parse(file: FileId, text: &str) -> Result<Node, Vec<SyntaxError>> {
    let (doc, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        return Err(errors
            .iter()
            .map(|e| SyntaxError {
                message: e.message().trim().to_string(),
                loc: e.span().map(|s| loc(file, s)),
            })
            .collect());
    }
    Ok(Node {
        loc: loc(file, doc.span()),
        val: Val::Table(convert_table(file, doc.get_ref())),
    })
}
