//! `runtimes = ["edgebench", "llama.cpp"]`: the runtimes every recipe runs
//! on, a dimension of the matrix like its recipes.

use std::collections::HashMap;
use std::ops::Range;

use edgebench_schema::Runtime;
use toml::Spanned;

use super::checker::Checker;
use super::diagnostic::Diagnostic;

/// The runtimes named in `raw` (default: edgebench's kernel alone), each
/// once, in file order.
pub fn check_runtimes(
    c: &mut Checker<'_>,
    raw: Option<&Spanned<Vec<Spanned<String>>>>,
) -> Vec<Runtime> {
    let Some(list) = raw else {
        return vec![Runtime::Edgebench];
    };
    if list.get_ref().is_empty() {
        c.push(
            Diagnostic::new("`runtimes` is empty: list at least one runtime")
                .at(c.at(list.span()))
                .help("the default is `runtimes = [\"edgebench\"]`"),
        );
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut seen: HashMap<Runtime, Range<usize>> = HashMap::new();
    for name in list.get_ref() {
        match name.get_ref().parse::<Runtime>() {
            Ok(r) => {
                if let Some(first) = seen.get(&r) {
                    c.duplicate("runtime", r.name(), name.span(), first.clone());
                    continue;
                }
                seen.insert(r, name.span());
                out.push(r);
            }
            Err(e) => c.push(
                Diagnostic::new(e.to_string())
                    .at(c.at(name.span()))
                    .suggest(name.get_ref(), Runtime::ALL.iter().map(|r| r.name())),
            ),
        }
    }
    out
}
