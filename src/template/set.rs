//! A set of named templates sharing functions, like a Go `*template.Template`
//! and everything associated with it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::ast::Tree;
use super::error::TemplateError;
use super::exec::Exec;
use super::funcs::Funcs;
use super::intern::{Interner, WordMap};
use super::parse;
use super::source::Source;
use super::value::Value;

/// What a missing map key evaluates to (Go's `missingkey` option).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MissingKey {
    /// Go's default: an invalid value (prints `<no value>`, chains on it quietly).
    #[default]
    Invalid,
    /// `missingkey=zero`, Helm's setting: the map's zero value, `nil` for `interface {}`.
    Zero,
    /// `missingkey=error`, Helm's `lint --strict`.
    Error,
}

/// Texts parsed so far, by content: the name each was parsed as and its trees.
type ParsedTexts = WordMap<Source, (String, Vec<Tree>)>;

/// Texts at least this long are remembered for [`TemplateSet::parse_again`];
/// shorter ones (most `tpl` strings) cost little to parse again.
const REMEMBER_FROM: usize = 256;

/// Go's template nesting limit (`exceeded maximum template depth`).
pub const MAX_EXEC_DEPTH: usize = 100_000;

/// Named templates plus the functions they were parsed with.
///
/// Cloning is cheap whatever the size (Helm's `tpl` clones the set on every
/// call): templates parsed before the first clone are shared by all clones, and
/// each clone keeps only what was parsed into it afterwards.
#[derive(Clone)]
pub struct TemplateSet {
    pub(super) name: Rc<str>,
    shared: Rc<WordMap<String, Rc<Tree>>>,
    own: WordMap<String, Rc<Tree>>,
    pub(super) funcs: Rc<Funcs>,
    /// Names and strings of every template parsed into the set or its clones.
    names: Rc<RefCell<Interner>>,
    parsed: Rc<RefCell<ParsedTexts>>,
    pub(super) missing_key: MissingKey,
    pub(super) max_depth: usize,
}

impl TemplateSet {
    /// An empty set named `name` (Go's `template.New(name)`), using `funcs`.
    pub fn new(name: &str, funcs: Funcs) -> TemplateSet {
        TemplateSet {
            name: Rc::from(name),
            shared: Rc::default(),
            own: WordMap::default(),
            funcs: Rc::new(funcs),
            names: Rc::default(),
            parsed: Rc::default(),
            missing_key: MissingKey::default(),
            max_depth: MAX_EXEC_DEPTH,
        }
    }

    pub fn set_missing_key(&mut self, mode: MissingKey) {
        self.missing_key = mode;
    }

    /// Limits nesting of `template` calls and function-driven executions (each
    /// level costs native stack; run deep templates on a thread with a big stack).
    pub fn set_max_depth(&mut self, depth: usize) {
        self.max_depth = depth;
    }

    /// Parses `text` as template `name` (`t.New(name).Parse(text)`). Its `define`s
    /// join the set: a non-empty definition replaces an earlier one, an empty one
    /// never does.
    pub fn parse(&mut self, name: &str, text: impl Into<Source>) -> Result<(), TemplateError> {
        let text = text.into();
        let trees = match self.parse_again(name, &text) {
            Some(trees) => trees,
            None => {
                let trees = parse::parse(
                    name,
                    text.clone(),
                    &self.funcs,
                    &mut self.names.borrow_mut(),
                )?;
                self.remember_parse(name, &text, &trees);
                trees
            }
        };
        for (tree_name, tree) in trees {
            let keep_old = self.has_template(&tree_name) && tree.is_empty();
            if keep_old {
                continue;
            }
            // Unshared: add in place. Shared with clones: this set's own layer.
            match Rc::get_mut(&mut self.shared) {
                Some(map) => {
                    self.own.remove(&tree_name);
                    map.insert(tree_name, Rc::new(tree));
                }
                None => {
                    self.own.insert(tree_name, Rc::new(tree));
                }
            }
        }
        Ok(())
    }

    /// The trees of a text parsed before under another name (a library
    /// chart vendored by several subcharts), relabelled for `name`.
    fn parse_again(&self, name: &str, text: &Source) -> Option<HashMap<String, Tree>> {
        if text.len() < REMEMBER_FROM {
            return None;
        }
        let parsed = self.parsed.borrow();
        let (first_name, trees) = parsed.get(text)?;
        let parse_name: Rc<str> = Rc::from(name);
        let relabelled = trees.iter().map(|tree| {
            let tree = tree.relabel(first_name, name, &parse_name, text);
            (tree.name.clone(), tree)
        });
        Some(relabelled.collect())
    }

    fn remember_parse(&self, name: &str, text: &Source, trees: &HashMap<String, Tree>) {
        if text.len() < REMEMBER_FROM {
            return;
        }
        let copies = trees.values().cloned().collect();
        self.parsed
            .borrow_mut()
            .insert(text.clone(), (name.to_string(), copies));
    }

    pub fn has_template(&self, name: &str) -> bool {
        self.own.contains_key(name) || self.shared.contains_key(name)
    }

    /// Runs template `name` with `data` as dot and `$`.
    pub fn execute(&self, name: &str, data: Value) -> Result<String, TemplateError> {
        Exec::run(self, name, data, 0)
    }

    pub(super) fn lookup(&self, name: &str) -> Option<&Tree> {
        self.own
            .get(name)
            .or_else(|| self.shared.get(name))
            .map(|t| t.as_ref())
    }

    pub(super) fn no_template(&self, name: &str) -> TemplateError {
        TemplateError::Other(format!(
            "template: no template {} associated with template {}",
            super::gofmt::quote(name),
            super::gofmt::quote(&self.name)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(set: &TemplateSet, name: &str) -> String {
        set.execute(name, Value::Nil)
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn later_non_empty_definitions_win() {
        let mut set = TemplateSet::new("gotpl", Funcs::new());
        let parsed = [
            set.parse("b.tpl", r#"{{ define "h" }}B{{ end }}"#),
            set.parse("a.tpl", r#"{{ define "h" }}A{{ end }}"#),
            set.parse("c.tpl", r#"{{ define "h" }} {{ end }}"#),
            set.parse("t", r#"{{ template "h" }}"#),
        ];
        assert!(parsed.iter().all(Result::is_ok));
        assert_eq!(run(&set, "t"), "A");
    }

    #[test]
    fn clones_are_independent() {
        let mut set = TemplateSet::new("gotpl", Funcs::new());
        assert!(set.parse("h", r#"{{ define "h" }}1{{ end }}"#).is_ok());
        assert!(set.parse("t", r#"{{ template "h" }}"#).is_ok());
        let mut clone = set.clone();
        assert!(clone.parse("h2", r#"{{ define "h" }}2{{ end }}"#).is_ok());
        assert_eq!((run(&set, "t"), run(&clone, "t")), ("1".into(), "2".into()));
        // Redefining in the original while shared, then after the clone is gone.
        assert!(set.parse("h3", r#"{{ define "h" }}3{{ end }}"#).is_ok());
        drop(clone);
        assert_eq!(run(&set, "t"), "3");
        assert!(set.parse("h4", r#"{{ define "h" }}4{{ end }}"#).is_ok());
        assert_eq!(run(&set, "t"), "4");
    }

    #[test]
    fn unknown_templates_name_the_set() {
        let set = TemplateSet::new("gotpl", Funcs::new());
        assert_eq!(
            run(&set, "x"),
            "template: no template \"x\" associated with template \"gotpl\""
        );
    }

    #[test]
    fn a_text_parsed_again_under_another_name_behaves_as_if_parsed_anew() {
        // A library vendored twice: the second copy's file and errors carry
        // its own name, as a fresh parse would give them.
        let library = format!(
            "{{{{/* {} */}}}}{{{{ define \"lib.h\" }}}}{{{{ .x.y }}}}{{{{ end }}}}file",
            "padding ".repeat(40)
        );
        let mut set = TemplateSet::new("gotpl", Funcs::new());
        assert!(set.parse("a/_lib.tpl", library.as_str()).is_ok());
        assert!(set.parse("b/_lib.tpl", library.as_str()).is_ok());
        assert!(set.parse("t", r#"{{ template "lib.h" 1 }}"#).is_ok());
        assert_eq!(run(&set, "a/_lib.tpl"), "file");
        assert_eq!(run(&set, "b/_lib.tpl"), "file");
        assert_eq!(
            run(&set, "t"),
            "template: b/_lib.tpl:1:355: executing \"lib.h\" at <.x.y>: \
             can't evaluate field x in type int"
        );
    }
}
