//! "Did you mean ...?": the known names closest to a misspelt one.

/// The candidates within a small edit distance of `word` (ignoring case), closest first,
/// at most three.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Vec<&'a str> {
    let word = word.to_lowercase();
    // One edit per three characters: catches typos without suggesting unrelated names.
    let limit = (word.chars().count() / 3).max(1);
    let mut near: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (distance(&word, &c.to_lowercase()), c))
        .filter(|&(d, _)| d <= limit)
        .collect();
    near.sort_by_key(|&(d, _)| d);
    near.into_iter().take(3).map(|(_, c)| c).collect()
}

/// ` (did you mean X?)`, or nothing when no candidate is close.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    listing(&closest(word, candidates))
}

/// ` (did you mean A or B?)` for the given names, or nothing when there are none.
pub(crate) fn listing<S: AsRef<str>>(names: &[S]) -> String {
    match names {
        [] => String::new(),
        [one] => format!(" (did you mean {}?)", one.as_ref()),
        [first @ .., last] => {
            let first: Vec<&str> = first.iter().map(AsRef::as_ref).collect();
            format!(" (did you mean {} or {}?)", first.join(", "), last.as_ref())
        }
    }
}

/// Levenshtein distance, by characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("adress", "address"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("same", "same"), 0);
    }

    #[test]
    fn suggests_close_names_only() {
        let keys = [
            "area", "address", "type", "order", "bit", "byte", "len", "value",
        ];
        assert_eq!(closest("adress", keys), ["address"]);
        assert_eq!(closest("TYPE", keys), ["type"]);
        assert!(closest("colour", keys).is_empty());
        assert_eq!(did_you_mean("bite", keys), " (did you mean bit or byte?)");
        assert_eq!(did_you_mean("zzzzzz", keys), "");
        assert_eq!(listing(&["A", "B", "C"]), " (did you mean A, B or C?)");
    }
}
