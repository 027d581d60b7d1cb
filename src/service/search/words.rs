//! Words as search sees them, the same on every engine: text folded to lowercase letters and
//! digits without accents (`Rapport été.pdf` → `rapport ete pdf`), the words a query asks
//! for, a content's keywords, and where a query's words matched.

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::domain::search::{Highlight, HighlightField};

/// The most words a query may ask for (more is bad input).
pub const MAX_QUERY_WORDS: usize = 16;

/// One word folded: lowercase, accents dropped (`Été` → `ete`).
fn fold_word(word: &str) -> String {
    word.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The words of `text` in order, each with its byte range in `text`: runs of letters and
/// digits.
fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(move |word| (word.as_ptr() as usize - text.as_ptr() as usize, word))
}

/// `text` folded and joined by spaces, as the index stores it.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for (_, word) in words(text) {
        let word = fold_word(word);
        // A word that folds to nothing alphanumeric (a lone combining mark) adds nothing.
        for part in word.split(|c: char| !c.is_alphanumeric()) {
            if !part.is_empty() {
                if !folded.is_empty() {
                    folded.push(' ');
                }
                folded.push_str(part);
            }
        }
    }
    folded
}

/// The folded words a query asks for, each matched as a word prefix; at most
/// `MAX_QUERY_WORDS`, each once.
pub fn query_words(query: &str) -> Vec<String> {
    let mut asked: Vec<String> = Vec::new();
    for word in fold(query).split(' ').filter(|w| !w.is_empty()) {
        if !asked.iter().any(|known| known == word) {
            asked.push(word.to_owned());
        }
    }
    asked
}

/// The `count` most frequent words of `text` longer than three letters (digits alone are not
/// words), most frequent first, as the reference's `content_keywords` keeps them.
pub fn keywords(text: &str, count: usize) -> String {
    let mut seen: HashMap<&str, (usize, usize)> = HashMap::new();
    for (order, word) in text.split(' ').enumerate() {
        if word.chars().count() > 3 && !word.chars().all(|c| c.is_ascii_digit()) {
            seen.entry(word).or_insert((0, order)).0 += 1;
        }
    }
    let mut ranked: Vec<(&str, (usize, usize))> = seen.into_iter().collect();
    ranked.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.1.1.cmp(&b.1.1)));
    ranked
        .into_iter()
        .take(count)
        .map(|(word, _)| word)
        .collect::<Vec<_>>()
        .join(" ")
}

/// How much text a highlight shows before its first match, in characters (twice that after).
const CONTEXT: usize = 60;

/// The most matches one highlight marks.
const MAX_MARKS: usize = 16;

/// Whether a word of a field matches one of the asked prefixes.
fn is_match(word: &str, asked: &[String]) -> bool {
    fold(word)
        .split(' ')
        .any(|part| asked.iter().any(|a| part.starts_with(a.as_str())))
}

/// Where `asked` matched first in `text`, shown in a window of `CONTEXT` characters before it
/// (the whole text when it is short) with at most `MAX_MARKS` matches marked; `None` when
/// nothing matched. Reads `text` up to the first match, then the window only.
fn window(field: HighlightField, text: &str, asked: &[String]) -> Option<Highlight> {
    let (first, _) = words(text).find(|(_, word)| is_match(word, asked))?;
    let start = text[..first]
        .char_indices()
        .rev()
        .nth(CONTEXT - 1)
        .map_or(0, |(at, _)| at);
    let end = text[first..]
        .char_indices()
        .nth(CONTEXT * 2)
        .map_or(text.len(), |(at, _)| first + at);
    let shown = &text[start..end];
    let found: Vec<_> = words(shown)
        .filter(|(_, word)| is_match(word, asked))
        .take(MAX_MARKS)
        .map(|(at, word)| at..at + word.len())
        .collect();
    Some(Highlight::new(field, shown, &found))
}

/// The first of the item's fields where the query's words matched (name, description, tags,
/// then content), with the matched words marked.
pub fn highlight(
    asked: &[String],
    name: &str,
    description: &str,
    tags: &[String],
    content: &str,
) -> Option<Highlight> {
    if asked.is_empty() {
        return None;
    }
    let tags = tags.join(" ");
    [
        (HighlightField::Name, name),
        (HighlightField::Description, description),
        (HighlightField::Tags, tags.as_str()),
        (HighlightField::Content, content),
    ]
    .into_iter()
    .find_map(|(field, text)| window(field, text, asked))
}

/// Whether the query's words match the item's name, description or tags (else they matched
/// its content).
pub fn matches_meta(asked: &[String], name: &str, description: &str, tags: &[String]) -> bool {
    [name, description]
        .into_iter()
        .chain(tags.iter().map(String::as_str))
        .any(|text| words(text).any(|(_, word)| is_match(word, asked)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_drops_case_accents_and_punctuation() {
        assert_eq!(fold("Rapport été.pdf"), "rapport ete pdf");
        assert_eq!(fold("Ça_va? Œuvre ÉLAN 2024"), "ca va œuvre elan 2024");
        assert_eq!(fold("  "), "");
    }

    #[test]
    fn a_query_asks_for_each_word_once() {
        assert_eq!(query_words("Rapp rapp ÉTÉ"), vec!["rapp", "ete"]);
        assert!(query_words("--").is_empty());
    }

    #[test]
    fn keywords_are_the_most_frequent_long_words() {
        let text = "budget plan budget 2024 2024 2024 the budget plan zeta";
        assert_eq!(keywords(text, 2), "budget plan");
    }

    #[test]
    fn a_highlight_marks_the_matched_words_of_the_first_field_that_matched() {
        let asked = query_words("rapp");
        let hit = highlight(&asked, "Rapport été.pdf", "", &[], "").expect("a match");
        assert_eq!(hit.field, HighlightField::Name);
        assert_eq!(hit.marked(), "[Rapport] été.pdf");
        let hit = highlight(&asked, "x", "", &["rapports".into()], "").expect("a match");
        assert_eq!(hit.field, HighlightField::Tags);
        let hit = highlight(&asked, "x", "", &[], "le rapport annuel").expect("a match");
        assert_eq!(hit.field, HighlightField::Content);
        assert_eq!(hit.marked(), "le [rapport] annuel");
        assert!(highlight(&asked, "x", "y", &[], "z").is_none());
        // A long field shows a window around its first match, a bounded number marked.
        let long = format!("{} rapport {}", "mot ".repeat(1000), "rapp ".repeat(1000));
        let hit = highlight(&asked, "x", &long, &[], "").expect("a match");
        assert!(hit.text.chars().count() <= 3 * CONTEXT, "{}", hit.text);
        assert!(hit.text.contains("rapport"));
        assert_eq!(hit.ranges.len(), MAX_MARKS.min(hit.ranges.len()));
        assert!(matches_meta(&asked, "Rapport", "", &[]));
        assert!(!matches_meta(&asked, "x", "y", &["z".into()]));
    }
}
