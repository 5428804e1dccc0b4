//! SCIM filters (RFC 7644 section 3.4.2.2), parsed and applied to resources as JSON.
//!
//! Written here rather than taken from the `scim-filter` crate, whose matcher compares every
//! string case-sensitively and misses sub-attributes written in camel case (`name.familyName`),
//! both contrary to the RFC. What is supported: `eq ne co sw ew gt ge lt le pr`, `and`, `or`,
//! `not (…)`, parentheses, value paths (`emails[type eq "work"]`), and the core schema's URN
//! prefix on attribute names. Attribute names are case-insensitive; string values too, except
//! for `id`, `externalId` and `meta.*` (caseExact in RFC 7643).

use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Present(Vec<String>),
    Compare(Vec<String>, Op, Literal),
    /// `attr[filter]`, optionally followed by `.sub` before the operator (not supported: the
    /// filter inside the brackets is what is matched).
    ValuePath(Vec<String>, Box<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Str(String),
    Bool(bool),
    Null,
    Num(f64),
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    Str(String),
    Word(String),
}

fn tokens(input: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                chars.next();
            }
            '(' | ')' | '[' | ']' => {
                chars.next();
                out.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    '[' => Token::OpenBracket,
                    _ => Token::CloseBracket,
                });
            }
            '"' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => return Err("a string is not closed".into()),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some('n') => s.push('\n'),
                            Some('t') => s.push('\t'),
                            Some(e) => s.push(e),
                            None => return Err("a string is not closed".into()),
                        },
                        Some(ch) => s.push(ch),
                    }
                }
                out.push(Token::Str(s));
            }
            _ => {
                let mut w = String::new();
                while let Some(&ch) = chars.peek() {
                    if ch.is_whitespace() || "()[]\"".contains(ch) {
                        break;
                    }
                    w.push(ch);
                    chars.next();
                }
                out.push(Token::Word(w));
            }
        }
    }
    Ok(out)
}

/// The attribute path of a word: URN prefix of the core schemas dropped, split at dots.
fn path(word: &str) -> Result<Vec<String>, String> {
    let lower = word.to_ascii_lowercase();
    let rest = ["urn:ietf:params:scim:schemas:core:2.0:user:", "urn:ietf:params:scim:schemas:core:2.0:group:"]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
        .unwrap_or(&lower);
    if rest.is_empty() || !rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '$') {
        return Err(format!("{word:?} is not an attribute name"));
    }
    Ok(rest.split('.').map(String::from).collect())
}

/// How deeply parentheses, `not (…)` and value paths may nest. The parser recurses once per
/// level, so the depth is bounded before the recursion can grow with what a client sends.
pub const MAX_DEPTH: usize = 16;

/// How many comparisons a filter may join with `and` / `or` (matching and dropping the parsed
/// filter recurse along those chains too).
const MAX_TERMS: usize = 64;

struct Parser {
    toks: Vec<Token>,
    at: usize,
    depth: usize,
    terms: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        t
    }

    /// Enters one level of nesting (refused past [`MAX_DEPTH`]); [`Parser::leave`] leaves it.
    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("the filter nests more than {MAX_DEPTH} levels deep"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Counts one more term joined by `and` / `or` (refused past [`MAX_TERMS`]).
    fn term(&mut self) -> Result<(), String> {
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return Err(format!("the filter joins more than {MAX_TERMS} comparisons"));
        }
        Ok(())
    }

    fn word_is(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(x)) if x.eq_ignore_ascii_case(w))
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.word_is("or") {
            self.next();
            self.term()?;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.factor()?;
        while self.word_is("and") {
            self.next();
            self.term()?;
            left = Expr::And(Box::new(left), Box::new(self.factor()?));
        }
        Ok(left)
    }

    fn factor(&mut self) -> Result<Expr, String> {
        if self.word_is("not") {
            self.next();
            if self.next() != Some(Token::Open) {
                return Err("\"not\" must be followed by \"(\"".into());
            }
            self.enter()?;
            let e = self.or()?;
            self.leave();
            return match self.next() {
                Some(Token::Close) => Ok(Expr::Not(Box::new(e))),
                _ => Err("a \"(\" is not closed".into()),
            };
        }
        match self.next() {
            Some(Token::Open) => {
                self.enter()?;
                let e = self.or()?;
                self.leave();
                match self.next() {
                    Some(Token::Close) => Ok(e),
                    _ => Err("a \"(\" is not closed".into()),
                }
            }
            Some(Token::Word(w)) => {
                let p = path(&w)?;
                if self.peek() == Some(&Token::OpenBracket) {
                    self.next();
                    self.enter()?;
                    let inner = self.or()?;
                    self.leave();
                    if self.next() != Some(Token::CloseBracket) {
                        return Err("a \"[\" is not closed".into());
                    }
                    return Ok(Expr::ValuePath(p, Box::new(inner)));
                }
                let op = match self.next() {
                    Some(Token::Word(o)) => o.to_ascii_lowercase(),
                    _ => return Err(format!("an operator must follow {w:?}")),
                };
                if op == "pr" {
                    return Ok(Expr::Present(p));
                }
                let op = match op.as_str() {
                    "eq" => Op::Eq,
                    "ne" => Op::Ne,
                    "co" => Op::Co,
                    "sw" => Op::Sw,
                    "ew" => Op::Ew,
                    "gt" => Op::Gt,
                    "ge" => Op::Ge,
                    "lt" => Op::Lt,
                    "le" => Op::Le,
                    other => return Err(format!("{other:?} is not an operator")),
                };
                let value = match self.next() {
                    Some(Token::Str(s)) => Literal::Str(s),
                    Some(Token::Word(v)) if v == "true" => Literal::Bool(true),
                    Some(Token::Word(v)) if v == "false" => Literal::Bool(false),
                    Some(Token::Word(v)) if v == "null" => Literal::Null,
                    Some(Token::Word(v)) => {
                        Literal::Num(v.parse().map_err(|_| format!("{v:?} is not a value (strings are quoted)"))?)
                    }
                    _ => return Err(format!("a value must follow {w:?} {op:?}")),
                };
                Ok(Expr::Compare(p, op, value))
            }
            _ => Err("an attribute name was expected".into()),
        }
    }
}

/// Parses a filter; the error is the `detail` of an `invalidFilter` answer.
pub fn parse(input: &str) -> Result<Expr, String> {
    if input.len() > 4096 {
        return Err("the filter is too long".into());
    }
    let mut p = Parser { toks: tokens(input)?, at: 0, depth: 0, terms: 0 };
    let e = p.or()?;
    if p.at != p.toks.len() {
        return Err("the filter has more after its end".into());
    }
    Ok(e)
}

/// The values at `path` in `v` (a multi-valued attribute gives each of its values).
fn values<'a>(v: &'a Value, path: &[String]) -> Vec<&'a Value> {
    let Some((first, rest)) = path.split_first() else { return vec![v] };
    match v {
        Value::Array(items) => items.iter().flat_map(|i| values(i, path)).collect(),
        Value::Object(map) => map
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(first))
            .map(|(_, x)| match x {
                Value::Array(items) if !rest.is_empty() => items.iter().flat_map(|i| values(i, rest)).collect(),
                Value::Array(items) => items.iter().collect(),
                x => values(x, rest),
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn case_exact(path: &[String]) -> bool {
    matches!(path.first().map(String::as_str), Some("id" | "externalid" | "meta"))
}

fn compare(found: &Value, op: Op, lit: &Literal, exact: bool) -> bool {
    match (found, lit) {
        (Value::String(s), Literal::Str(l)) => {
            let (s, l) = if exact { (s.clone(), l.clone()) } else { (s.to_lowercase(), l.to_lowercase()) };
            match op {
                Op::Eq => s == l,
                Op::Ne => s != l,
                Op::Co => s.contains(&l),
                Op::Sw => s.starts_with(&l),
                Op::Ew => s.ends_with(&l),
                Op::Gt => s > l,
                Op::Ge => s >= l,
                Op::Lt => s < l,
                Op::Le => s <= l,
            }
        }
        (Value::Bool(b), Literal::Bool(l)) => match op {
            Op::Eq => b == l,
            Op::Ne => b != l,
            _ => false,
        },
        (Value::Number(n), Literal::Num(l)) => {
            let n = n.as_f64().unwrap_or(f64::NAN);
            match op {
                Op::Eq => n == *l,
                Op::Ne => n != *l,
                Op::Gt => n > *l,
                Op::Ge => n >= *l,
                Op::Lt => n < *l,
                Op::Le => n <= *l,
                _ => false,
            }
        }
        _ => op == Op::Ne,
    }
}

/// Whether the resource `v` matches `e`.
pub fn matches(e: &Expr, v: &Value) -> bool {
    match e {
        Expr::Or(a, b) => matches(a, v) || matches(b, v),
        Expr::And(a, b) => matches(a, v) && matches(b, v),
        Expr::Not(a) => !matches(a, v),
        Expr::Present(p) => values(v, p).iter().any(|x| match x {
            Value::Null => false,
            Value::String(s) => !s.is_empty(),
            Value::Array(a) => !a.is_empty(),
            _ => true,
        }),
        Expr::Compare(p, op, Literal::Null) => {
            let present = matches(&Expr::Present(p.clone()), v);
            if *op == Op::Eq {
                !present
            } else {
                present
            }
        }
        Expr::Compare(p, op, lit) => {
            let found = values(v, p);
            if *op == Op::Ne {
                !found.iter().any(|x| compare(x, Op::Eq, lit, case_exact(p)))
            } else {
                found.iter().any(|x| compare(x, *op, lit, case_exact(p)))
            }
        }
        Expr::ValuePath(p, inner) => values(v, p).iter().any(|item| matches(inner, item)),
    }
}

#[cfg(test)]
mod tests;
