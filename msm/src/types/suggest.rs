//! "Did you mean ...?": the known names closest to a misspelt one, as map file errors
//! suggest them; public so that other configuration files (the gateway's) suggest alike.

/// The candidates closest to `word` (ignoring case), if within a small edit distance;
/// at most three.
///
/// ```
/// use msm::map::suggest::closest;
/// assert_eq!(closest("perod", ["period", "unit", "map"]), ["period"]);
/// assert!(closest("colour", ["period", "unit"]).is_empty());
/// ```
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let word = word.to_lowercase();
    // One edit per three characters: catches typos without suggesting unrelated names.
    let limit = (word.chars().count() / 3).max(1);
    let mut near: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (distance(&word, &c.to_lowercase()), c))
        .filter(|&(d, _)| d <= limit)
        .collect();
    // Only the best tier: "u32" suggests U32, not also I32 and F32.
    let best = near.iter().map(|&(d, _)| d).min();
    near.retain(|&(d, _)| Some(d) == best);
    near.into_iter().take(3).map(|(_, c)| c).collect()
}

/// The map type for a name other tools use (`uint16`, `float`, `word`, `dint`, ...).
pub(crate) fn type_alias(name: &str) -> Option<&'static str> {
    Some(match name.to_lowercase().as_str() {
        "uint16" | "word" | "uint" | "ushort" | "unsigned" => "u16",
        "int16" | "int" | "short" | "sint16" => "i16",
        "uint32" | "dword" | "udint" | "ulong" => "u32",
        "int32" | "dint" | "long" | "sint32" => "i32",
        "uint64" | "lword" | "ulint" => "u64",
        "int64" | "lint" => "i64",
        "float" | "float32" | "real" | "single" => "f32",
        "float64" | "double" | "lreal" => "f64",
        "uint8" | "byte" | "usint" => "u8",
        "int8" | "sint" | "char" => "i8",
        "boolean" | "coil" => "bool",
        "str" | "text" | "ascii" => "string",
        _ => return None,
    })
}

/// ` (did you mean X?)`, or nothing when no candidate is close.
///
/// ```
/// use msm::map::suggest::did_you_mean;
/// assert_eq!(did_you_mean("clinet_id", ["client_id", "url"]), " (did you mean client_id?)");
/// assert_eq!(did_you_mean("zzz", ["client_id"]), "");
/// ```
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    listing(&closest(word, candidates))
}

/// ` (did you mean A or B?)` for the given names, or nothing when there are none.
///
/// ```
/// assert_eq!(msm::map::suggest::listing(&["A", "B"]), " (did you mean A or B?)");
/// ```
pub fn listing<S: AsRef<str>>(names: &[S]) -> String {
    match names {
        [] => String::new(),
        [one] => format!(" (did you mean {}?)", one.as_ref()),
        [first @ .., last] => {
            let first: Vec<&str> = first.iter().map(AsRef::as_ref).collect();
            format!(" (did you mean {} or {}?)", first.join(", "), last.as_ref())
        }
    }
}

/// Edit distance by characters, counting a swap of two neighbours as one edit (the
/// commonest typo: `NAEM` for `NAME`).
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // Three rows of the classic table: two back (for swaps), the last, the current.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut last: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut row = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            row[j] = (last[j - 1] + cost).min(last[j] + 1).min(row[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                row[j] = row[j].min(before[j - 2] + 1);
            }
        }
        before = std::mem::replace(&mut last, row);
    }
    last[b.len()]
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
        assert_eq!(distance("naem", "name"), 1);
        assert_eq!(distance("abc", ""), 3);
    }

    #[test]
    fn suggests_close_names_only() {
        let keys = [
            "area", "address", "type", "order", "bit", "byte", "len", "value",
        ];
        assert_eq!(closest("adress", keys), ["address"]);
        assert_eq!(closest("TYPE", keys), ["type"]);
        assert!(closest("colour", keys).is_empty());
        assert_eq!(type_alias("UINT16"), Some("u16"));
        assert_eq!(type_alias("float"), Some("f32"));
        assert_eq!(type_alias("word"), Some("u16"));
        assert_eq!(type_alias("int"), Some("i16"));
        assert_eq!(type_alias("uint32"), Some("u32"));
        assert_eq!(type_alias("colour"), None);
        assert_eq!(did_you_mean("bite", keys), " (did you mean bit or byte?)");
        assert_eq!(did_you_mean("zzzzzz", keys), "");
        assert_eq!(listing(&["A", "B", "C"]), " (did you mean A, B or C?)");
    }
}
