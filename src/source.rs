//! Reading exercise source with a real Rust parser (`syn`): which tests a file declares, and
//! where its test module is, so that the course's canonical tests can be compared and spliced in.

use anyhow::{Context, Result};
use syn::spanned::Spanned;
use syn::{Attribute, Item, ItemMod};

/// Frees, when dropped, the text of every file parsed on this thread. With `span-locations`
/// (which `byte_range` needs), proc-macro2 keeps each parsed text in a thread-local map for the
/// life of the thread: a long `watch` grew by every file it re-read, and a class grading run would
/// by every learner's. Declare it before the parse, so that it drops after every span; no span
/// may outlive the function that holds it.
pub struct ParsedText;

impl Drop for ParsedText {
    fn drop(&mut self) {
        proc_macro2::extra::invalidate_current_thread_spans();
    }
}

/// Fully qualified names (`tests::adds`) of every `#[test]` / `#[tokio::test(..)]` function in the
/// file's `#[cfg(test)]` modules, in file order.
pub fn test_names(src: &str) -> Result<Vec<String>> {
    let _text = ParsedText;
    let file = syn::parse_file(src).context("failed to parse the Rust source")?;
    let mut names = Vec::new();
    for item in &file.items {
        if let Item::Mod(m) = item
            && is_cfg_test(&m.attrs)
        {
            collect(m, &m.ident.to_string(), &mut names);
        }
    }
    Ok(names)
}

fn collect(m: &ItemMod, prefix: &str, names: &mut Vec<String>) {
    let Some((_, items)) = &m.content else { return };
    for item in items {
        match item {
            Item::Fn(f) if f.attrs.iter().any(is_test_attr) => {
                names.push(format!("{prefix}::{}", f.sig.ident));
            }
            Item::Mod(inner) => collect(inner, &format!("{prefix}::{}", inner.ident), names),
            _ => {}
        }
    }
}

/// `#[test]`, `#[tokio::test]`, `#[tokio::test(flavor = "multi_thread")]`, …
fn is_test_attr(a: &Attribute) -> bool {
    a.path().segments.last().is_some_and(|s| s.ident == "test")
}

fn is_cfg_test(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg") && a.parse_args::<syn::Ident>().is_ok_and(|i| i == "test")
    })
}

/// The byte range of the file's top-level `#[cfg(test)] mod tests { … }`, attributes included.
pub fn test_module_range(src: &str) -> Result<Option<std::ops::Range<usize>>> {
    let _text = ParsedText;
    let file = syn::parse_file(src).context("failed to parse the Rust source")?;
    for item in &file.items {
        if let Item::Mod(m) = item
            && is_cfg_test(&m.attrs)
            && m.content.is_some()
        {
            let start = m
                .attrs
                .first()
                .map_or(m.span(), |a| a.span())
                .byte_range()
                .start;
            return Ok(Some(start..m.span().byte_range().end));
        }
    }
    Ok(None)
}

/// The test module's text with whitespace and comments normalised away, for comparing a
/// learner's copy with the course's.
pub fn test_module_fingerprint(src: &str) -> Result<Option<String>> {
    let _text = ParsedText;
    let file = syn::parse_file(src).context("failed to parse the Rust source")?;
    Ok(file.items.iter().find_map(|item| match item {
        Item::Mod(m) if is_cfg_test(&m.attrs) => {
            Some(quote::ToTokens::to_token_stream(m).to_string())
        }
        _ => None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = r#"
fn main() {}
fn helper() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain() {}

    #[tokio::test]
    async fn tokio_plain() {}

    #[tokio::test(start_paused = true)]
    async fn paused() {}

    #[test]
    #[ignore]
    fn ignored() {}

    fn not_a_test() {}

    mod inner {
        #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn deep() {}
    }
}

mod not_tests {
    #[test]
    fn hidden() {}
}
"#;

    #[test]
    fn finds_every_test_attribute_form() {
        assert_eq!(
            test_names(SRC).unwrap(),
            [
                "tests::plain",
                "tests::tokio_plain",
                "tests::paused",
                "tests::ignored",
                "tests::inner::deep"
            ]
        );
    }

    #[test]
    fn module_range_covers_attributes_and_body() {
        let r = test_module_range(SRC).unwrap().unwrap();
        let text = &SRC[r];
        assert!(text.starts_with("#[cfg(test)]\nmod tests {"), "{text}");
        assert!(text.ends_with("async fn deep() {}\n    }\n}"), "{text}");
    }

    #[test]
    fn fingerprint_ignores_formatting_but_not_code() {
        let a = test_module_fingerprint(SRC).unwrap().unwrap();
        let reformatted = SRC.replace("fn plain() {}", "fn plain() {\n    // just a comment\n}");
        assert_eq!(test_module_fingerprint(&reformatted).unwrap().unwrap(), a);
        let edited = SRC.replace("fn plain() {}", "fn plain() { assert!(true); }");
        assert_ne!(test_module_fingerprint(&edited).unwrap().unwrap(), a);
    }

    #[test]
    fn unparsable_source_is_an_error() {
        assert!(test_names("fn main( {").is_err());
    }

    /// Where the next parsed text starts in proc-macro2's per-thread map: 1 when nothing is kept.
    fn next_parse_offset() -> usize {
        use std::str::FromStr;
        let tokens = proc_macro2::TokenStream::from_str("x").unwrap();
        let span = tokens.into_iter().next().unwrap().span();
        let debug = format!("{span:?}"); // `bytes(LO..HI)`
        let lo = debug
            .trim_start_matches("bytes(")
            .split("..")
            .next()
            .unwrap();
        let offset = lo.parse().unwrap();
        proc_macro2::extra::invalidate_current_thread_spans();
        offset
    }

    #[test]
    fn parsing_keeps_no_text_behind() {
        for _ in 0..3 {
            test_names(SRC).unwrap();
            test_module_range(SRC).unwrap();
            test_module_fingerprint(SRC).unwrap();
        }
        let offset = next_parse_offset();
        assert!(
            offset < SRC.len(),
            "proc-macro2 still holds {offset} bytes of parsed text on this thread"
        );
    }
}
