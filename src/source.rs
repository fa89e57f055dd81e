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

/// Whether the test harness build of `src` already type-checks all that a build of the program
/// would, so the separate program check can be skipped: conservative, any doubt is `false`.
///
/// `rustc --test` compiles the same items as a plain build, `main` included, except for three
/// things, each of which makes this `false`: code under `cfg(test)`/`cfg(not(test))` (or named
/// by such code, or a `#[test]` outside a test module: any `test` identifier outside a top-level
/// `#[cfg(test)]` item), the entry point's own rules (so `main` must be a plain `fn main()`, or
/// `async` under a `…::main` attribute such as `#[tokio::main]`), and lints that fire only in
/// one of the builds (so no `deny`/`forbid` in the file). `include!`, `#![no_main]` and modules
/// in other files are not looked into: `false`.
pub fn program_checked_by_tests(src: &str) -> bool {
    use quote::ToTokens;
    let _text = ParsedText;
    let Ok(file) = syn::parse_file(src) else {
        return false;
    };
    let mut test_only: Vec<proc_macro2::Ident> = Vec::new();
    let mut shared = proc_macro2::TokenStream::new();
    for a in &file.attrs {
        a.to_tokens(&mut shared);
    }
    let mut main_ok = false;
    for item in &file.items {
        let attrs = item_attrs(item);
        if is_cfg_test(attrs) {
            match defined_names(item) {
                Some(names) => test_only.extend(names),
                None => return false,
            }
            continue;
        }
        match item {
            Item::Fn(f) if f.sig.ident == "main" => {
                let sig = &f.sig;
                let plain = sig.inputs.is_empty()
                    && sig.generics.params.is_empty()
                    && sig.generics.where_clause.is_none()
                    && matches!(sig.output, syn::ReturnType::Default)
                    && sig.constness.is_none()
                    && sig.unsafety.is_none()
                    && sig.abi.is_none()
                    && sig.variadic.is_none();
                let entry_attr = f
                    .attrs
                    .iter()
                    .any(|a| a.path().segments.last().is_some_and(|s| s.ident == "main"));
                main_ok = plain && (sig.asyncness.is_none() || entry_attr);
            }
            Item::Mod(m) if m.content.is_none() => return false,
            _ => {}
        }
        item.to_tokens(&mut shared);
    }
    main_ok
        && !mentions(shared, &|i| {
            ["test", "deny", "forbid", "include", "no_main", "no_std"]
                .iter()
                .any(|w| i == w)
                || test_only.iter().any(|t| t == i)
        })
}

fn item_attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

/// The names a test-only item brings into scope; `None` when they can't be told.
fn defined_names(item: &Item) -> Option<Vec<proc_macro2::Ident>> {
    fn use_names(tree: &syn::UseTree, out: &mut Vec<proc_macro2::Ident>) -> Option<()> {
        match tree {
            syn::UseTree::Path(p) => use_names(&p.tree, out),
            syn::UseTree::Name(n) => {
                out.push(n.ident.clone());
                Some(())
            }
            syn::UseTree::Rename(r) => {
                out.push(r.rename.clone());
                Some(())
            }
            syn::UseTree::Glob(_) => None,
            syn::UseTree::Group(g) => g.items.iter().try_for_each(|t| use_names(t, out)),
        }
    }
    let one = |i: &proc_macro2::Ident| Some(vec![i.clone()]);
    match item {
        Item::Const(i) => one(&i.ident),
        Item::Enum(i) => one(&i.ident),
        Item::Fn(i) => one(&i.sig.ident),
        Item::Macro(i) => i.ident.as_ref().and_then(one),
        Item::Mod(i) => one(&i.ident),
        Item::Static(i) => one(&i.ident),
        Item::Struct(i) => one(&i.ident),
        Item::Trait(i) => one(&i.ident),
        Item::Type(i) => one(&i.ident),
        Item::Union(i) => one(&i.ident),
        Item::Use(u) => {
            let mut out = Vec::new();
            use_names(&u.tree, &mut out)?;
            Some(out)
        }
        _ => None,
    }
}

/// Whether any identifier in `tokens` (groups included) satisfies `hit`.
fn mentions(tokens: proc_macro2::TokenStream, hit: &dyn Fn(&proc_macro2::Ident) -> bool) -> bool {
    tokens.into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(i) => hit(&i),
        proc_macro2::TokenTree::Group(g) => mentions(g.stream(), hit),
        _ => false,
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

    #[test]
    fn the_program_check_is_skipped_only_where_the_tests_build_checks_the_same() {
        let tests = "\n#[cfg(test)]\nmod tests {\n    use super::*;\n    #[test]\n    fn t() { helper(); }\n}\n";
        let same = [
            "fn helper() {}\nfn main() {}",
            "fn helper() {}\n#[tokio::main]\nasync fn main() { helper(); }",
            "fn helper() {}\n#[tokio::main(flavor = \"current_thread\")]\nasync fn main() {}\n/// a test of doc comments\nfn x() {}",
        ];
        for src in same {
            assert!(program_checked_by_tests(&format!("{src}{tests}")), "{src}");
        }
        let differs = [
            // The entry point's own rules: only a build of the program sees these.
            "fn helper() {}\nasync fn main() {}",
            "fn helper() {}\nfn main() -> u32 { 0 }",
            "fn helper() {}",
            "fn helper() {}\nfn main(x: u32) {}",
            // Code that exists in one build only, or is named from the other.
            "fn helper() {}\n#[cfg(not(test))]\nfn extra() {}\nfn main() {}",
            "fn helper() {}\nfn main() { if cfg!(test) {} }",
            "fn helper() {}\nfn main() { tests::t(); }",
            "#[cfg(test)]\nfn helper() {}\nfn main() { helper(); }",
            "fn helper() {}\n#[test]\nfn loose() {}\nfn main() { loose(); }",
            // Lints that fire in one build only.
            "#![deny(dead_code)]\nfn helper() {}\nfn main() {}",
            "fn helper() {}\nmod other;\nfn main() {}",
            "fn helper() {}\nfn main() {",
        ];
        for src in differs {
            assert!(!program_checked_by_tests(&format!("{src}{tests}")), "{src}");
        }
    }

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
            program_checked_by_tests(SRC);
        }
        let offset = next_parse_offset();
        assert!(
            offset < SRC.len(),
            "proc-macro2 still holds {offset} bytes of parsed text on this thread"
        );
    }
}
