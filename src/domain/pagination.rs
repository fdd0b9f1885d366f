//! Page sizes shared by every listing: a small bounded number, so one request can never
//! ask the store for an unbounded result.

use std::fmt;

/// How many items a page holds: 1 to [`PageLimit::MAX`], [`PageLimit::DEFAULT`] when absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimit(u32);

/// Why a number is not a [`PageLimit`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("limit must be between 1 and {max}", max = PageLimit::MAX)]
pub struct InvalidPageLimit;

impl PageLimit {
    pub const DEFAULT: u32 = 50;
    pub const MAX: u32 = 200;

    /// `None` gives the default; anything outside 1..=MAX is refused, not clamped, so a
    /// client asking for 1000 learns that it will not get them.
    pub fn new(requested: Option<i64>) -> Result<Self, InvalidPageLimit> {
        match requested {
            None => Ok(Self(Self::DEFAULT)),
            Some(n) if (1..=i64::from(Self::MAX)).contains(&n) => Ok(Self(n as u32)),
            Some(_) => Err(InvalidPageLimit),
        }
    }

    pub fn get(&self) -> u32 {
        self.0
    }

    /// The limit plus one: stores fetch one extra row to learn whether a next page exists.
    pub fn probe(&self) -> i64 {
        i64::from(self.0) + 1
    }
}

impl Default for PageLimit {
    fn default() -> Self {
        Self(Self::DEFAULT)
    }
}

impl fmt::Display for PageLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One page of results and whether more follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_more: bool,
}

impl<T> Page<T> {
    /// Builds a page from rows fetched with [`PageLimit::probe`]: the extra row, if present,
    /// only says that a next page exists and is dropped.
    pub fn from_probe(mut rows: Vec<T>, limit: PageLimit) -> Self {
        let has_more = rows.len() > limit.get() as usize;
        rows.truncate(limit.get() as usize);
        Self { items: rows, has_more }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_defaults_and_refuses_out_of_range_values() {
        assert_eq!(PageLimit::new(None).unwrap().get(), 50);
        assert_eq!(PageLimit::new(Some(1)).unwrap().get(), 1);
        assert_eq!(PageLimit::new(Some(200)).unwrap().get(), 200);
        for bad in [0, -1, 201, i64::MAX] {
            assert_eq!(PageLimit::new(Some(bad)), Err(InvalidPageLimit), "limit {bad}");
        }
    }

    #[test]
    fn a_probe_row_means_more_and_is_dropped() {
        let limit = PageLimit::new(Some(2)).unwrap();
        let page = Page::from_probe(vec![1, 2, 3], limit);
        assert_eq!(page, Page { items: vec![1, 2], has_more: true });
        let last = Page::from_probe(vec![1], limit);
        assert_eq!(last, Page { items: vec![1], has_more: false });
    }
}
