//! A deterministic corpus mutator, for fuzz tests that run in the normal test suite.
//!
//! Coverage-guided fuzzers need their own toolchain and run for hours; what the suite wants
//! is a few hundred inputs per parser, the same on every run, that look like real files gone
//! wrong. [`Mutator`] takes a valid file and applies one to four edits of the kinds that break
//! parsers in practice: stray syntax characters, deleted, duplicated or truncated spans, YAML
//! and JSON keywords out of place, numbers at the edges of their types, nesting hundreds of
//! levels deep, and values far longer than any message should quote. The seed fixes the
//! sequence; a failure names the case, so it can be replayed.

/// How many mutants each fuzz target tries: `ECRFORM_FUZZ_CASES`, or 300.
pub fn cases() -> usize {
    std::env::var("ECRFORM_FUZZ_CASES")
        .ok()
        .and_then(|count| count.parse().ok())
        .unwrap_or(300)
}

/// Characters that mean something to YAML or JSON, and a few that mean trouble.
const ALPHABET: &[char] = &[
    '{', '}', '[', ']', ':', ',', '-', '?', '&', '*', '!', '|', '>', '\'', '"', '#', '%', '@', ' ',
    '\n', '\t', '\\', 'a', 'x', '1', '0', '.', '~', '_', '/', 'é', '\u{0}', '\u{feff}',
];

/// Whole tokens inserted out of place.
const TOKENS: &[&str] = &[
    "null",
    "true",
    "none",
    "~",
    "&a ",
    "*a",
    "!!str ",
    "!!binary ",
    "---\n",
    "...\n",
    "<<: ",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "0x",
    "1e999",
    "-1",
    "0",
    "18446744073709551616",
    "170141183460469231731687303715884105728",
    "1.5",
    "\"\"",
    "[]",
    "{}",
    "? ",
    "- ",
    ":\n  ",
    "\"lifecyclePolicyText\": \"{\", ",
    "\"imageDetails\": ",
    "\"snapshot_version\": 2, ",
];

/// Mutates texts, deterministically from a seed.
#[derive(Debug, Clone)]
pub struct Mutator {
    state: u64,
}

impl Mutator {
    pub fn new(seed: u64) -> Self {
        Mutator { state: seed | 1 }
    }

    /// xorshift64*: fast, and the same on every platform.
    fn next(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..bound` (0 when `bound` is 0).
    fn below(&mut self, bound: usize) -> usize {
        if bound == 0 {
            return 0;
        }
        usize::try_from(self.next() % bound as u64).unwrap_or(0)
    }

    /// `text` with one to four edits.
    pub fn mutate(&mut self, text: &str) -> String {
        let mut chars: Vec<char> = text.chars().collect();
        for _ in 0..=self.below(4) {
            self.edit(&mut chars);
        }
        chars.into_iter().collect()
    }

    fn edit(&mut self, chars: &mut Vec<char>) {
        let at = self.below(chars.len() + 1);
        let insert = |chars: &mut Vec<char>, text: &str| {
            chars.splice(at..at, text.chars());
        };
        match self.below(10) {
            0 if at < chars.len() => chars[at] = ALPHABET[self.below(ALPHABET.len())],
            0 | 1 => chars.insert(at, ALPHABET[self.below(ALPHABET.len())]),
            2 => {
                let end = (at + 1 + self.below(20)).min(chars.len());
                chars.drain(at.min(end)..end);
            }
            3 => {
                let end = (at + 1 + self.below(200)).min(chars.len());
                let span: Vec<char> = chars[at.min(end)..end].to_vec();
                let to = self.below(chars.len() + 1);
                chars.splice(to..to, span);
            }
            4 => chars.truncate(at),
            5 => insert(chars, TOKENS[self.below(TOKENS.len())]),
            6 => {
                let depth = 100 + self.below(200);
                let level = ["[", "{\"a\": ", "{a: ", "- "][self.below(4)];
                insert(chars, &level.repeat(depth));
            }
            7 => {
                let length = 1_000 + self.below(100_000);
                let run = "x".repeat(length);
                let value = if self.below(2) == 0 {
                    format!("\"{run}\"")
                } else {
                    run
                };
                insert(chars, &value);
            }
            8 => {
                // A line repeated: duplicate keys, duplicate list entries.
                let start = chars[..at]
                    .iter()
                    .rposition(|c| *c == '\n')
                    .map_or(0, |n| n + 1);
                let end = chars[at..]
                    .iter()
                    .position(|c| *c == '\n')
                    .map_or(chars.len(), |n| at + n + 1);
                let line: Vec<char> = chars[start..end].to_vec();
                chars.splice(end..end, line);
            }
            _ => {
                // A number at the edge of its type, over whatever number is here.
                let Some(start) = chars[at..].iter().position(char::is_ascii_digit) else {
                    return;
                };
                let start = at + start;
                let end = chars[start..]
                    .iter()
                    .position(|c| !c.is_ascii_digit())
                    .map_or(chars.len(), |n| start + n);
                let number = [
                    "0",
                    "-1",
                    "4294967296",
                    "1e999",
                    "1.5",
                    "99999999999999999999",
                ][self.below(6)];
                chars.splice(start..end, number.chars());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_mutants() {
        let text = "{\"rules\": [{\"rulePriority\": 1}]}\nversion: 1\n";
        let run = |seed| {
            let mut mutator = Mutator::new(seed);
            (0..50).map(|_| mutator.mutate(text)).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        assert!(run(7).iter().any(|mutant| mutant != text));
    }

    #[test]
    fn the_empty_text_can_be_mutated() {
        let mut mutator = Mutator::new(1);
        for _ in 0..100 {
            let _ = mutator.mutate("");
        }
    }
}
