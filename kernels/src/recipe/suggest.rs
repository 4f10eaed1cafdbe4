//! "Did you mean": the valid name nearest to a misspelt one.

/// Levenshtein distance between `a` and `b` (insertions, deletions and
/// substitutions each cost 1), over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != cb);
            cur[j + 1] = substitute.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate nearest to `word` (compared in lower case), when it is
/// close enough to be a plausible typo: at most half the candidate's length
/// away, and at least one edit is always allowed. Ties go to the earlier
/// candidate.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (edit_distance(&word, c), c))
        .filter(|&(d, c)| d <= (c.chars().count() / 2).max(1))
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("q4_O", "q4_0"), 1);
        assert_eq!(edit_distance("head", "heads"), 1);
    }

    #[test]
    fn nearest_respects_the_threshold() {
        let c = ["f32", "f16", "q4_0", "q8_0"];
        assert_eq!(nearest("Q4_O", c), Some("q4_0"));
        assert_eq!(nearest("fp16", c), Some("f16"));
        assert_eq!(nearest("q8", c), Some("q8_0"));
        assert_eq!(nearest("gptq", c), None);
    }
}
