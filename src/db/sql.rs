//! A small builder for dynamic SQL with numbered bind parameters, for the few queries whose
//! shape depends on filters (contact lists, selections). Values are always bound, never
//! interpolated.

use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{Array, BigInt, Bool, Text};

#[derive(Debug, Clone)]
pub enum Bind {
    I64(i64),
    Text(String),
    Bool(bool),
    I64s(Vec<i64>),
    Texts(Vec<String>),
}

#[derive(Debug, Clone, Default)]
pub struct Sql {
    text: String,
    binds: Vec<Bind>,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql { text: text.to_string(), binds: Vec::new() }
    }

    /// Appends SQL text (never user input).
    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind(&mut self, value: Bind) -> &mut Sql {
        self.binds.push(value);
        self.text.push_str(&format!("${}", self.binds.len()));
        self
    }

    /// Appends another builder's text and binds, renumbering its placeholders.
    pub fn append(&mut self, other: &Sql) -> &mut Sql {
        let offset = self.binds.len();
        let mut text = other.text.clone();
        // Renumber from the highest down so $1 does not clobber $10.
        for i in (1..=other.binds.len()).rev() {
            text = text.replace(&format!("${i}"), &format!("$\u{0}{}", i + offset));
        }
        self.text.push_str(&text.replace("$\u{0}", "$"));
        self.binds.extend(other.binds.iter().cloned());
        self
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The diesel query, ready to `load` or `execute`.
    pub fn query(&self) -> BoxedSqlQuery<'static, Pg, SqlQuery> {
        let mut q = diesel::sql_query(self.text.clone()).into_boxed();
        for b in &self.binds {
            q = match b.clone() {
                Bind::I64(v) => q.bind::<BigInt, _>(v),
                Bind::Text(v) => q.bind::<Text, _>(v),
                Bind::Bool(v) => q.bind::<Bool, _>(v),
                Bind::I64s(v) => q.bind::<Array<BigInt>, _>(v),
                Bind::Texts(v) => q.bind::<Array<Text>, _>(v),
            };
        }
        q
    }
}

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
    fn append_renumbers_placeholders() {
        let mut a = Sql::new("a = ");
        a.bind(Bind::I64(1));
        let mut b = Sql::new(" AND b = ");
        b.bind(Bind::I64(2));
        for _ in 0..10 {
            b.push(",").bind(Bind::I64(3));
        }
        a.append(&b);
        assert!(a.text().starts_with("a = $1 AND b = $2,$3"));
        assert!(a.text().ends_with(",$12"));
    }
}
