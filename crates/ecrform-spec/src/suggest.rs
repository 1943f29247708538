//! "Did you mean ...?" for unknown keys, values and policy names: a typo should cost one
//! glance at the message, not a trip to the documentation.

/// The candidate closest to `given`, if it is close enough to be a plausible typo.
pub(crate) fn nearest<'a>(
    given: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let given_lower = given.to_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            let distance = strsim::damerau_levenshtein(&given_lower, &candidate.to_lowercase());
            (distance, candidate)
        })
        .filter(|(distance, candidate)| {
            let longest = given.chars().count().max(candidate.chars().count());
            *distance <= (longest / 3).max(1)
        })
        // Equally distant candidates: the one sharing the longer prefix reads as the typo's
        // origin ("IMUTABLE" is IMMUTABLE, not MUTABLE).
        .min_by(|(a_distance, a), (b_distance, b)| {
            a_distance.cmp(b_distance).then_with(|| {
                let similarity =
                    |candidate: &str| strsim::jaro_winkler(&given_lower, &candidate.to_lowercase());
                similarity(b).total_cmp(&similarity(a))
            })
        })
        .map(|(_, candidate)| candidate)
}

/// `; did you mean "x"?` or nothing.
pub(crate) fn did_you_mean<'a>(
    given: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    match nearest(given, candidates) {
        Some(candidate) => format!("; did you mean {candidate:?}?"),
        None => String::new(),
    }
}

/// `a, b, c` for messages that list what is allowed.
pub(crate) fn comma_separated(items: &[&str]) -> String {
    items.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_typos_are_suggested_and_unrelated_words_are_not() {
        let keys = [
            "image_tag_mutability",
            "scan_on_push",
            "encryption",
            "tags",
            "MUTABLE",
            "IMMUTABLE",
        ];
        let cases = [
            ("scan_onpush", Some("scan_on_push")),
            ("Scan_On_Push", Some("scan_on_push")),
            ("tag", Some("tags")),
            ("IMUTABLE", Some("IMMUTABLE")),
            ("encyrption", Some("encryption")),
            ("image_tag_mutabilty", Some("image_tag_mutability")),
            ("owner", None),
            ("x", None),
        ];
        for (given, expected) in cases {
            assert_eq!(nearest(given, keys), expected, "{given}");
        }
        assert_eq!(did_you_mean("tag", keys), "; did you mean \"tags\"?");
    }
}
