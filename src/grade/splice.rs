//! Putting the course's tests into a learner's file: the canonical `#[cfg(test)] mod tests` (from
//! the solution) replaces the learner's copy, so tests that were edited, deleted or `#[ignore]`d
//! count for nothing, and a difference is reported as `tests_modified`.

use std::str::FromStr;

use anyhow::{Context, Result};
use proc_macro2::{TokenStream, TokenTree};

use crate::source;

/// A learner's file with the canonical test module in it.
#[derive(Debug, PartialEq, Eq)]
pub struct Spliced {
    pub text: String,
    /// The learner's test module differs from the course's (edited, deleted or ignored tests).
    pub tests_modified: bool,
}

/// Std macros the canonical tests call by their bare name. A learner's file could shadow them
/// with `macro_rules! assert_eq { … }` above the test module (textual scope wins over the
/// prelude), so the spliced copy calls them by absolute path instead.
const GUARDED_MACROS: &[&str] = &[
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "panic",
    "unreachable",
    "unimplemented",
    "todo",
    "matches",
    "vec",
    "format",
    "print",
    "println",
    "eprint",
    "eprintln",
    "write",
    "writeln",
    "dbg",
];

/// Replaces the learner's test module with the course's (`canonical` is the solution file).
/// `None` when the solution has no test module (a `test = false` exercise): nothing to splice.
pub fn splice(student: &str, canonical: &str, crates: &[String]) -> Result<Option<Spliced>> {
    let _text = source::ParsedText;
    let Some(range) = source::test_module_range(canonical)? else {
        return Ok(None);
    };
    let module = absolute_crate_paths(&guard_macros(&canonical[range.clone()])?, crates)?;
    let module = pin_signatures(&seal_tests(&module)?, canonical)?;
    let spliced = match source::test_module_range(student) {
        Ok(Some(theirs)) => Spliced {
            text: format!(
                "{}{module}{}",
                &student[..theirs.start],
                &student[theirs.end..]
            ),
            tests_modified: source::test_module_fingerprint(student)?
                != source::test_module_fingerprint(canonical)?,
        },
        // The test module was deleted.
        Ok(None) => Spliced {
            text: format!("{}\n\n{module}\n", student.trim_end()),
            tests_modified: true,
        },
        // It doesn't parse, so it won't compile either: a best effort that keeps the learner's
        // code (and its line numbers) up to the test module, which is usually last.
        Err(_) => match last_cfg_test_line(student) {
            Some(start) => Spliced {
                text: format!("{}{module}\n", &student[..start]),
                tests_modified: lexed(&student[start..]) != lexed(&canonical[range]),
            },
            None => Spliced {
                text: format!("{}\n\n{module}\n", student.trim_end()),
                tests_modified: true,
            },
        },
    };
    Ok(Some(spliced))
}

/// Offset of the last line that starts with `#[cfg(test)]`.
fn last_cfg_test_line(src: &str) -> Option<usize> {
    let mut found = None;
    let mut offset = 0;
    for line in src.split_inclusive('\n') {
        if line.trim_start().starts_with("#[cfg(test)]") {
            found = Some(offset);
        }
        offset += line.len();
    }
    found
}

/// Tokens without whitespace and comments, for comparing text that may not parse as a file.
fn lexed(text: &str) -> Option<String> {
    TokenStream::from_str(text).ok().map(|t| t.to_string())
}

/// Rewrites bare calls of [`GUARDED_MACROS`] (`assert_eq!(…)`) to `::std::assert_eq!(…)`, at the
/// token positions, so the module's formatting and line numbers stay as they were.
fn guard_macros(module: &str) -> Result<String> {
    let tokens = TokenStream::from_str(module)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("failed to read the canonical test module")?;
    let mut at = Vec::new();
    bare_macro_calls(tokens, &mut at);
    // Spans are byte offsets into the text that was lexed.
    let mut out = module.to_string();
    at.sort_unstable();
    for pos in at.into_iter().rev() {
        out.insert_str(pos, "::std::");
    }
    Ok(out)
}

/// Makes every path that starts with a crate's name (`tokio::time::sleep`, `use futures::…`)
/// start with `::`, so a learner's `mod tokio { … }` (which `use super::*` brings into the test
/// module) can't stand in for the real crate. `crates` are the course package's dependencies
/// (as Rust names) and the standard library's.
fn absolute_crate_paths(module: &str, crates: &[String]) -> Result<String> {
    let tokens = TokenStream::from_str(module)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("failed to read the canonical test module")?;
    let mut at = Vec::new();
    crate_path_starts(tokens, crates, &mut at);
    let mut out = module.to_string();
    at.sort_unstable();
    for pos in at.into_iter().rev() {
        out.insert_str(pos, "::");
    }
    Ok(out)
}

fn crate_path_starts(tokens: TokenStream, crates: &[String], out: &mut Vec<usize>) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let punct = |j: Option<usize>, c: char| {
        j.and_then(|j| tokens.get(j))
            .is_some_and(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == c))
    };
    for (i, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Group(g) => crate_path_starts(g.stream(), crates, out),
            TokenTree::Ident(id) if crates.iter().any(|c| id == c) => {
                let starts_path = punct(Some(i + 1), ':') && punct(Some(i + 2), ':');
                let continues_path = punct(i.checked_sub(1), ':');
                // `$crate` and the like are not paths of ours.
                let after_dollar = punct(i.checked_sub(1), '$');
                if starts_path && !continues_path && !after_dollar {
                    out.push(id.span().byte_range().start);
                }
            }
            _ => {}
        }
    }
}

/// The crates every spliced path may name: the standard library's and the course package's
/// dependencies (`tokio-stream` is `tokio_stream` in Rust).
pub fn crate_names(dependencies: &[String]) -> Vec<String> {
    let mut names: Vec<String> = ["std", "core", "alloc"].map(String::from).to_vec();
    names.extend(dependencies.iter().map(|d| d.replace('-', "_")));
    names
}

/// Pins the signatures of the exercise's free functions that the tests call to the solution's:
/// without it a learner could return a type of their own whose `PartialEq` always says yes, and
/// `assert_eq!(sum(&[1, 2]), 3)` would pass. Each pin is a function-pointer coercion (exact
/// types) or, for an `async fn` or `-> impl Future`, a bound on the future's output; generic
/// functions, unit returns and futures borrowing their arguments are left alone. The pins go on
/// the module's last line, so no line number moves.
fn pin_signatures(module: &str, canonical: &str) -> Result<String> {
    let solution = syn::parse_file(canonical).context("failed to parse the canonical file")?;
    let used = TokenStream::from_str(module)
        .map(called_functions)
        .unwrap_or_default();
    let mut pins = String::new();
    for item in &solution.items {
        let syn::Item::Fn(f) = item else { continue };
        let name = f.sig.ident.to_string();
        if name == "main" || !used.contains(&name) || !f.sig.generics.params.is_empty() {
            continue;
        }
        // An attribute macro (`#[tokio::main]`) may change the signature: leave those alone.
        let plain = |a: &syn::Attribute| {
            const INERT: &[&str] = &[
                "doc",
                "allow",
                "warn",
                "deny",
                "expect",
                "inline",
                "must_use",
                "cfg",
                "track_caller",
            ];
            a.path()
                .get_ident()
                .is_some_and(|i| INERT.contains(&i.to_string().as_str()))
        };
        if !f.attrs.iter().all(plain) {
            continue;
        }
        if let Some(pin) = pin_for(&f.sig) {
            pins.push_str(&pin);
        }
    }
    if pins.is_empty() {
        return Ok(module.to_string());
    }
    let Some(close) = module.rfind('}') else {
        return Ok(module.to_string());
    };
    let mut out = module.to_string();
    out.insert_str(
        close,
        &format!("#[allow(dead_code, clippy::all)] fn __tokiolings_pins() {{ {pins}}} "),
    );
    Ok(out)
}

fn pin_for(sig: &syn::Signature) -> Option<String> {
    use quote::ToTokens;
    let syn::ReturnType::Type(_, ret) = &sig.output else {
        return None;
    };
    let args: Vec<String> = sig
        .inputs
        .iter()
        .map(|a| match a {
            // `impl Trait` in an argument is a hidden generic: no pointer type can name it.
            syn::FnArg::Typed(t) if names_impl_trait(t.ty.to_token_stream()) => None,
            syn::FnArg::Typed(t) => Some(t.ty.to_token_stream().to_string()),
            syn::FnArg::Receiver(_) => None,
        })
        .collect::<Option<_>>()?;
    let name = &sig.ident;
    let ret_text = ret.to_token_stream().to_string();
    let future_output = if sig.asyncness.is_some() {
        Some(ret_text.clone())
    } else {
        impl_future_output(ret)
    };
    match future_output {
        None if ret_text.contains("impl") => None,
        None => Some(format!(
            "let _: fn({}) -> {ret_text} = super::{name}; ",
            args.join(", ")
        )),
        // A future that borrows an argument has a type no pointer can name: leave it.
        Some(_) if args.iter().any(|a| a.contains('&')) => None,
        Some(output) => Some(format!(
            "fn {name}_output<F: ::core::future::Future<Output = {output}>>(_: fn({}) -> F) {{}} {name}_output(super::{name}); ",
            args.join(", ")
        )),
    }
}

/// Whether a type's tokens hold the keyword `impl` (at any depth: `Box<impl Fn()>` too).
fn names_impl_trait(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(i) => i == "impl",
        proc_macro2::TokenTree::Group(g) => names_impl_trait(g.stream()),
        _ => false,
    })
}

/// `T` of `impl Future<Output = T>`.
fn impl_future_output(ty: &syn::Type) -> Option<String> {
    use quote::ToTokens;
    let syn::Type::ImplTrait(t) = ty else {
        return None;
    };
    for bound in &t.bounds {
        let syn::TypeParamBound::Trait(tr) = bound else {
            continue;
        };
        let last = tr.path.segments.last()?;
        if last.ident != "Future" {
            continue;
        }
        if let syn::PathArguments::AngleBracketed(a) = &last.arguments {
            for arg in &a.args {
                if let syn::GenericArgument::AssocType(at) = arg
                    && at.ident == "Output"
                {
                    return Some(at.ty.to_token_stream().to_string());
                }
            }
        }
    }
    None
}

/// The names the tests call as free functions: an identifier right before `( … )`, not after a
/// `.` (a method). A local variable that shares a function's name (`let manager = …;
/// manager.await`) is not a call, and pinning that function would turn a learner's legitimate
/// change of its signature into a build error.
fn called_functions(tokens: TokenStream) -> std::collections::HashSet<String> {
    let mut out = std::collections::HashSet::new();
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, t) in tokens.iter().enumerate() {
        match t {
            TokenTree::Ident(id) => {
                let call = matches!(tokens.get(i + 1),
                    Some(TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Parenthesis);
                let method =
                    i > 0 && matches!(&tokens[i - 1], TokenTree::Punct(p) if p.as_char() == '.');
                if call && !method {
                    out.insert(id.to_string());
                }
            }
            TokenTree::Group(g) => out.extend(called_functions(g.stream())),
            _ => {}
        }
    }
    out
}

/// The path of the guard's seal (`tokiolings-guard`, a dependency of every scratch package).
pub const SEAL: &str = "::tokiolings_guard::seal();";

/// Makes [`SEAL`] the first thing each test does, before any learner code can run: a `#[test]`
/// gets it first in its body; a `#[tokio::test]` becomes a plain `#[test]` that seals and then
/// builds the runtime the attribute asked for (its worker threads must be sealed too, and the
/// attribute would build them before the body runs). Edits stay on their lines, so line numbers
/// in failure messages are the canonical file's.
fn seal_tests(module: &str) -> Result<String> {
    let file = syn::parse_file(module).context("failed to parse the canonical test module")?;
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let mut items: Vec<&syn::Item> = file.items.iter().collect();
    while let Some(item) = items.pop() {
        match item {
            syn::Item::Mod(m) => items.extend(m.content.iter().flat_map(|(_, i)| i)),
            syn::Item::Fn(f) => seal_edits(f, &mut edits)?,
            _ => {}
        }
    }
    edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
    let mut out = module.to_string();
    for (range, text) in edits {
        out.replace_range(range, &text);
    }
    Ok(out)
}

fn seal_edits(f: &syn::ItemFn, edits: &mut Vec<(std::ops::Range<usize>, String)>) -> Result<()> {
    let open = f.block.brace_token.span.open().byte_range().end;
    let close = f.block.brace_token.span.close().byte_range().start;
    for attr in &f.attrs {
        let path: Vec<String> = attr
            .path()
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        if path == ["test"] {
            edits.push((open..open, format!(" {SEAL}")));
            return Ok(());
        }
        if path == ["tokio", "test"] {
            let start = attr.pound_token.span.byte_range().start;
            let end = attr.bracket_token.span.close().byte_range().end;
            edits.push((start..end, "#[test]".into()));
            if let Some(a) = &f.sig.asyncness {
                edits.push((a.span.byte_range(), String::new()));
            }
            let runtime = runtime_for(attr)?;
            edits.push((
                open..open,
                format!(" {SEAL} {runtime}.block_on(async move {{"),
            ));
            edits.push((close..close, "})".into()));
            return Ok(());
        }
    }
    Ok(())
}

/// The runtime a `#[tokio::test(…)]` attribute asks for, as an expression.
fn runtime_for(attr: &syn::Attribute) -> Result<String> {
    let mut flavor = "current_thread".to_string();
    let mut workers = None;
    let mut paused = false;
    if let syn::Meta::List(_) = attr.meta {
        let args = attr
            .parse_args_with(
                syn::punctuated::Punctuated::<syn::MetaNameValue, syn::Token![,]>::parse_terminated,
            )
            .context("failed to read a #[tokio::test] attribute")?;
        for arg in args {
            let key = arg
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            let syn::Expr::Lit(lit) = &arg.value else {
                continue;
            };
            match (key.as_str(), &lit.lit) {
                ("flavor", syn::Lit::Str(s)) => flavor = s.value(),
                ("worker_threads", syn::Lit::Int(n)) => {
                    workers = Some(n.base10_digits().to_string())
                }
                ("start_paused", syn::Lit::Bool(b)) => paused = b.value,
                _ => {}
            }
        }
    }
    let mut rt = match flavor.as_str() {
        "multi_thread" => "::tokio::runtime::Builder::new_multi_thread()".to_string(),
        _ => "::tokio::runtime::Builder::new_current_thread()".to_string(),
    };
    if let Some(n) = workers {
        rt.push_str(&format!(".worker_threads({n})"));
    }
    rt.push_str(".enable_all()");
    if paused {
        rt.push_str(".start_paused(true)");
    }
    rt.push_str(".build().expect(\"failed to build the test's runtime\")");
    Ok(rt)
}

fn bare_macro_calls(tokens: TokenStream, out: &mut Vec<usize>) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Group(g) => bare_macro_calls(g.stream(), out),
            TokenTree::Ident(id) if GUARDED_MACROS.contains(&id.to_string().as_str()) => {
                let punct = |j: Option<usize>, c: char| {
                    j.and_then(|j| tokens.get(j))
                        .is_some_and(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == c))
                };
                let is_call = punct(Some(i + 1), '!')
                    && matches!(tokens.get(i + 2), Some(TokenTree::Group(_)));
                let has_path = punct(i.checked_sub(1), ':');
                if is_call && !has_path {
                    out.push(id.span().byte_range().start);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOLUTION: &str = "fn sum(v: &[u32]) -> u32 {\n    v.iter().sum()\n}\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n    // café: offsets are bytes, not chars\n\n    #[test]\n    fn sums() {\n        assert_eq!(sum(&[1, 2]), 3, \"{}\", format!(\"é\"));\n        ::std::assert!(true);\n    }\n}\n";

    fn student(body: &str, tests: &str) -> String {
        format!("fn sum(v: &[u32]) -> u32 {{\n    {body}\n}}\n\n{tests}")
    }

    fn canonical_tests() -> &'static str {
        &SOLUTION[SOLUTION.find("#[cfg(test)]").unwrap()..]
    }

    #[test]
    fn replaces_the_learners_module_and_guards_std_macros() {
        let theirs = student(
            "0",
            "#[cfg(test)]\nmod tests {\n    #[test]\n    fn sums() { assert!(true); }\n}\n// after\n",
        );
        let s = splice(&theirs, SOLUTION, &crate_names(&[]))
            .unwrap()
            .unwrap();
        assert!(s.tests_modified);
        assert!(
            s.text
                .starts_with("fn sum(v: &[u32]) -> u32 {\n    0\n}\n\n#[cfg(test)]\nmod tests {")
        );
        assert!(
            s.text
                .contains("        ::std::assert_eq!(sum(&[1, 2]), 3, \"{}\", ::std::format!(\"é\"));\n        ::std::assert!(true);"),
            "{}",
            s.text
        );
        assert!(s.text.ends_with("}\n// after\n"), "{}", s.text);
        syn::parse_file(&s.text).unwrap();
    }

    #[test]
    fn unchanged_tests_are_not_modified_even_when_reformatted() {
        let theirs = student(
            "todo!()",
            &canonical_tests().replace("fn sums() {", "fn sums()   {  // mine"),
        );
        let s = splice(&theirs, SOLUTION, &crate_names(&[]))
            .unwrap()
            .unwrap();
        assert!(!s.tests_modified);
    }

    #[test]
    fn deleted_module_is_appended_and_modified() {
        let s = splice(&student("0", ""), SOLUTION, &crate_names(&[]))
            .unwrap()
            .unwrap();
        assert!(s.tests_modified);
        assert!(s.text.contains("fn sums()"));
        syn::parse_file(&s.text).unwrap();
    }

    #[test]
    fn unparsable_file_keeps_its_code_and_gets_the_tests() {
        let theirs = student("let x = ;", canonical_tests());
        let s = splice(&theirs, SOLUTION, &crate_names(&[]))
            .unwrap()
            .unwrap();
        assert!(!s.tests_modified);
        assert!(s.text.contains("let x = ;"));
        assert!(s.text.contains("::std::assert_eq!(sum"));
    }

    #[test]
    fn no_canonical_module_means_nothing_to_splice() {
        assert_eq!(splice("fn main() {}", "fn main() {}", &[]).unwrap(), None);
    }

    #[test]
    fn macro_definitions_and_paths_are_left_alone() {
        let m = "#[cfg(test)]\nmod tests {\n    macro_rules! assert_eq { () => {} }\n    fn f() { std::assert!(true); core::panic!(\"x\"); }\n}";
        assert_eq!(guard_macros(m).unwrap(), m);
    }

    #[test]
    fn every_course_test_seals_itself_before_its_body_and_runtime() {
        let module = "#[cfg(test)]\nmod tests {\n    #[tokio::test(flavor = \"multi_thread\", worker_threads = 2, start_paused = true)]\n    async fn a() {\n        x().await;\n    }\n\n    #[test]\n    fn b() {\n        y();\n    }\n\n    #[tokio::test]\n    async fn c() -> Result<(), ()> {\n        Ok(())\n    }\n}\n";
        let sealed = seal_tests(module).unwrap();
        assert_eq!(
            sealed,
            "#[cfg(test)]\nmod tests {\n    #[test]\n     fn a() { ::tokiolings_guard::seal(); ::tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().start_paused(true).build().expect(\"failed to build the test's runtime\").block_on(async move {\n        x().await;\n    })}\n\n    #[test]\n    fn b() { ::tokiolings_guard::seal();\n        y();\n    }\n\n    #[test]\n     fn c() -> Result<(), ()> { ::tokiolings_guard::seal(); ::tokio::runtime::Builder::new_current_thread().enable_all().build().expect(\"failed to build the test's runtime\").block_on(async move {\n        Ok(())\n    })}\n}\n"
        );
        // Same lines as the canonical module: failure locations point where the author expects.
        assert_eq!(sealed.lines().count(), module.lines().count());
        syn::parse_file(&sealed).unwrap();
    }

    #[test]
    fn crate_paths_become_absolute_so_a_learner_module_cant_stand_in() {
        let module = "mod tests {\n    use tokio::sync::mpsc;\n    fn t() { tokio::time::sleep(d); ::tokio::x(); my::tokio::y(); let tokio = 1; std::mem::drop(tokio); }\n}\n";
        let crates = crate_names(&["tokio".to_string(), "tokio-stream".to_string()]);
        assert_eq!(
            absolute_crate_paths(module, &crates).unwrap(),
            "mod tests {\n    use ::tokio::sync::mpsc;\n    fn t() { ::tokio::time::sleep(d); ::tokio::x(); my::tokio::y(); let tokio = 1; ::std::mem::drop(tokio); }\n}\n"
        );
        assert!(crates.contains(&"tokio_stream".to_string()));
    }

    #[test]
    fn the_functions_the_tests_call_keep_the_solutions_signatures() {
        let solution = "#[tokio::main]\nasync fn report() -> u8 { 0 }\n/// Doc.\nfn sum(v: &[u32]) -> u32 { 0 }\nasync fn twice(x: u32) -> u32 { x }\nasync fn greet(n: &str) -> String { n.into() }\nfn generic<T>(t: T) -> T { t }\nfn unused() -> u8 { 0 }\nfn unit() {}\nasync fn manager(n: u8) -> u8 { n }\nfn helper(n: u8) -> u8 { n }\nasync fn serve(n: u32, stop: impl std::future::Future<Output = ()>) -> u32 { n }\nfn apply(f: Box<impl Fn() -> u8>) -> u8 { f() }\nfn main() {}\n";
        let module = "mod tests {\n    fn t() { report(); sum(&[]); twice(1); greet(\"a\"); generic(1); unit(); serve(1, async {}); apply(Box::new(|| 1)); let manager = 1; x.helper(manager); }\n}";
        let pinned = pin_signatures(module, solution).unwrap();
        assert_eq!(
            pinned,
            "mod tests {\n    fn t() { report(); sum(&[]); twice(1); greet(\"a\"); generic(1); unit(); serve(1, async {}); apply(Box::new(|| 1)); let manager = 1; x.helper(manager); }\n#[allow(dead_code, clippy::all)] fn __tokiolings_pins() { let _: fn(& [u32]) -> u32 = super::sum; fn twice_output<F: ::core::future::Future<Output = u32>>(_: fn(u32) -> F) {} twice_output(super::twice); } }"
        );
        assert_eq!(pinned.lines().count(), module.lines().count());
    }
}
