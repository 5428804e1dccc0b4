//! A small builder for dynamic SQL with numbered bind parameters, for the few queries whose
//! shape depends on filters (contact lists, selections). Values are always bound, never
//! interpolated.

use diesel::sql_types::{Array, BigInt, Bool, Integer, Text};

/// A value that goes into a query as a bind parameter, never as text.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    I32(i32),
    I64(i64),
    Text(String),
    /// A text that may be NULL.
    OptText(Option<String>),
    Bool(bool),
    /// A moment that may be NULL (an end, `access::ends`).
    OptTimestamp(Option<chrono::DateTime<chrono::Utc>>),
    /// An id that may be NULL.
    OptI64(Option<i64>),
    I64s(Vec<i64>),
    Texts(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(&'static str),
    Param(Bind),
}

/// A query as pieces of SQL text written in the code (`&'static str`: nothing typed, read or
/// formatted can become SQL) and bound values. Placeholders are numbered only when the query is
/// rendered, so builders combine by plain concatenation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sql {
    pieces: Vec<Piece>,
}

impl Sql {
    pub fn new(text: &'static str) -> Sql {
        Sql { pieces: vec![Piece::Text(text)] }
    }

    /// Appends SQL text from the code.
    pub fn push(&mut self, text: &'static str) -> &mut Sql {
        self.pieces.push(Piece::Text(text));
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind(&mut self, value: impl Into<Bind>) -> &mut Sql {
        self.pieces.push(Piece::Param(value.into()));
        self
    }

    /// Appends another query's text and values.
    pub fn append(&mut self, other: &Sql) -> &mut Sql {
        self.pieces.extend(other.pieces.iter().cloned());
        self
    }

    /// `parts` with `separator` between them (`" UNION "`, `" OR "`…).
    pub fn joined(parts: &[Sql], separator: &'static str) -> Sql {
        let mut q = Sql::default();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                q.push(separator);
            }
            q.append(p);
        }
        q
    }

    /// The text PostgreSQL receives, placeholders numbered `$1`, `$2`… in order.
    pub fn text(&self) -> String {
        let mut text = String::new();
        let mut n = 0;
        for p in &self.pieces {
            match p {
                Piece::Text(t) => text.push_str(t),
                Piece::Param(_) => {
                    n += 1;
                    text.push('$');
                    text.push_str(&n.to_string());
                }
            }
        }
        text
    }

    /// The diesel query, ready to `load` or `execute`; kept prepared per connection, by its
    /// text (which only the code writes: a bounded set of shapes).
    pub fn query(&self) -> super::Prepared<super::Boxed<'static>> {
        let mut q = diesel::sql_query(self.text()).into_boxed();
        for p in &self.pieces {
            if let Piece::Param(b) = p {
                q = match b.clone() {
                    Bind::I32(v) => q.bind::<Integer, _>(v),
                    Bind::I64(v) => q.bind::<BigInt, _>(v),
                    Bind::Text(v) => q.bind::<Text, _>(v),
                    Bind::OptText(v) => q.bind::<diesel::sql_types::Nullable<Text>, _>(v),
                    Bind::Bool(v) => q.bind::<Bool, _>(v),
                    Bind::OptTimestamp(v) => {
                        q.bind::<diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>, _>(v)
                    }
                    Bind::OptI64(v) => q.bind::<diesel::sql_types::Nullable<BigInt>, _>(v),
                    Bind::I64s(v) => q.bind::<Array<BigInt>, _>(v),
                    Bind::Texts(v) => q.bind::<Array<Text>, _>(v),
                };
            }
        }
        super::Prepared(q)
    }
}

impl From<i32> for Bind {
    fn from(v: i32) -> Bind {
        Bind::I32(v)
    }
}
impl From<i64> for Bind {
    fn from(v: i64) -> Bind {
        Bind::I64(v)
    }
}
impl From<bool> for Bind {
    fn from(v: bool) -> Bind {
        Bind::Bool(v)
    }
}
impl From<Vec<i64>> for Bind {
    fn from(v: Vec<i64>) -> Bind {
        Bind::I64s(v)
    }
}
impl From<&[i64]> for Bind {
    fn from(v: &[i64]) -> Bind {
        Bind::I64s(v.to_vec())
    }
}
impl From<Vec<String>> for Bind {
    fn from(v: Vec<String>) -> Bind {
        Bind::Texts(v)
    }
}

/// What [`sql!`] accepts: text from the code, another query, or a value to bind.
pub trait Part {
    fn add_to(self, q: &mut Sql);
}
impl Part for &'static str {
    fn add_to(self, q: &mut Sql) {
        q.push(self);
    }
}
impl Part for &Sql {
    fn add_to(self, q: &mut Sql) {
        q.append(self);
    }
}
impl Part for Sql {
    fn add_to(self, q: &mut Sql) {
        q.pieces.extend(self.pieces);
    }
}
/// Values are bound.
macro_rules! bound_parts {
    ($($t:ty),*) => {$(
        impl Part for $t {
            fn add_to(self, q: &mut Sql) {
                q.bind(self);
            }
        }
    )*};
}
bound_parts!(Bind, i64, i32, bool, &[i64]);
impl Part for &i64 {
    fn add_to(self, q: &mut Sql) {
        q.bind(*self);
    }
}
impl Part for &bool {
    fn add_to(self, q: &mut Sql) {
        q.bind(*self);
    }
}

/// A query from its parts in order: `sql!("SELECT … WHERE c.id = ", id, " AND ", &other)`.
/// String literals are SQL text; integers and booleans are bound; an `Sql` is spliced in.
#[macro_export]
macro_rules! sql {
    ($($part:expr),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut q = $crate::db::sql::Sql::default();
        $( $crate::db::sql::Part::add_to($part, &mut q); )*
        q
    }};
}
/// (Exported at the crate root, as `#[macro_export]` does; used from here as `db::sql::sql!`.)
pub use crate::sql;

/// `fragment` with LIKE's wildcards (`%`, `_`) and the escape character escaped (PostgreSQL's
/// default escape, `\`): the one way to turn typed text into a LIKE pattern.
fn like_literal(fragment: &str) -> String {
    let mut s = String::new();
    for ch in fragment.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(ch);
    }
    s
}

/// A LIKE pattern matching `fragment` anywhere, literally.
pub fn contains_pattern(fragment: &str) -> String {
    format!("%{}%", like_literal(fragment))
}

/// A LIKE pattern matching text that starts with `fragment`, literally.
pub fn starts_with_pattern(fragment: &str) -> String {
    format!("{}%", like_literal(fragment))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_pattern_escapes_wildcards() {
        assert_eq!(super::contains_pattern("a%b_c\\d"), "%a\\%b\\_c\\\\d%");
        assert_eq!(super::starts_with_pattern("a%"), "a\\%%");
    }

    #[test]
    fn placeholders_are_numbered_in_order_when_rendered() {
        let mut a = Sql::new("a = ");
        a.bind(1i64);
        let mut b = Sql::new(" AND b = ");
        b.bind(2i64);
        for _ in 0..10 {
            b.push(",").bind(3i64);
        }
        a.append(&b);
        let c = crate::db::sql::sql!(&a, " AND c = ", true);
        assert!(c.text().starts_with("a = $1 AND b = $2,$3"));
        assert!(c.text().ends_with(",$12 AND c = $13"));
        assert_eq!(a.text().matches('$').count(), 12);
    }
}
