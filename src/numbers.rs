//! Numbers as people read them, wherever they are shown (pages, audit sentences, mails).

/// A count as templates hold it: a number, or a reference to one (loop variables).
pub trait Count {
    fn count(&self) -> i64;
}
impl Count for i64 {
    fn count(&self) -> i64 {
        *self
    }
}
impl<T: Count + ?Sized> Count for &T {
    fn count(&self) -> i64 {
        (**self).count()
    }
}

/// `n` with thousands separated by commas: 10000 → "10,000".
pub fn grouped(n: impl Count) -> String {
    let n = n.count();
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}
