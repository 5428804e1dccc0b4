//! Issue #17: dependencies point one way (web → domain → access → db). This reads every
//! source file's `crate::…` paths (comments and `#[cfg(test)]` modules aside), builds the graph
//! of top-level modules, and checks that no module below `web` uses `web` and that the graph
//! has no cycle — apart from the debts listed in [`DEBTS`] (none left), each with the reason it is still
//! there. A debt that is paid must leave the list (the test says so), and no new one may come.

use std::collections::{BTreeMap, BTreeSet};

/// Edges known to point the wrong way, to be removed as the refactoring of issue #17 goes on.
const DEBTS: &[(&str, &str, &str)] = &[];

/// Modules at the top: they may use everything below them.
const TOP: &[&str] = &["web", "startup", "main", "lib", "bin", "demo", "telemetry", "config"];

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, text) in sources(&[]) {
        let module = rel.split('/').next().unwrap().trim_end_matches(".rs").to_string();
        let code = text.split("#[cfg(test)]").next().unwrap();
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for used in uses(line) {
                if used != module {
                    edges.entry(module.clone()).or_default().insert(used);
                }
            }
        }
    }
    edges
}

/// The top-level modules a line names: `crate::x` and `use crate::{x, y::z}`.
fn uses(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + 7..];
        let group = rest.strip_prefix('{');
        let names: Vec<&str> = match group {
            Some(g) => g
                .split('}')
                .next()
                .unwrap_or("")
                .split(',')
                .map(|n| n.trim().split("::").next().unwrap_or(""))
                .collect(),
            None => vec![rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or("")],
        };
        out.extend(names.into_iter().filter(|n| !n.is_empty() && *n != "self").map(String::from));
    }
    out
}

fn cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == n) {
            let mut c = path[at..].to_vec();
            c.push(n.to_string());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_string());
        for m in edges.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges.keys().find_map(|n| visit(n, edges, &mut Vec::new(), &mut done))
}

#[test]
fn dependencies_point_one_way_but_for_the_listed_debts() {
    let mut edges = graph();
    for (from, to, why) in DEBTS {
        let present = edges.get_mut(*from).is_some_and(|e| e.remove(*to));
        assert!(present, "the debt {from} → {to} ({why}) is paid: remove it from DEBTS");
    }
    for (from, to) in edges.iter().flat_map(|(f, ts)| ts.iter().map(move |t| (f, t))) {
        assert!(to != "web" || TOP.contains(&from.as_str()), "{from} uses web: only the top may");
    }
    let below: BTreeMap<String, BTreeSet<String>> =
        edges.into_iter().filter(|(f, _)| !TOP.contains(&f.as_str())).collect();
    assert_eq!(cycle(&below), None, "a cycle between top-level modules");
}

/// The Rust files under `src` but for the folders `skip` (paths relative to `src`), with
/// their text.
fn sources(skip: &[&str]) -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(&root).unwrap().display().to_string();
            if path.is_dir() {
                if !skip.contains(&rel.as_str()) {
                    stack.push(path);
                }
            } else if rel.ends_with(".rs") {
                out.push((rel, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out
}

/// Domain code never renders: only `src/web` has askama templates.
#[test]
fn only_the_web_layer_renders_pages() {
    let rendering: Vec<String> =
        sources(&["web"]).into_iter().filter(|(_, t)| t.contains("derive(Template")).map(|(rel, _)| rel).collect();
    assert!(rendering.is_empty(), "pages rendered outside src/web: {rendering:?}");
}

/// Issue #17: SQL text is written in the code, and values go in as binds. The query builder
/// (`db::sql::Sql`) and `db::query` take text only as `&'static str`; this checks the ways around
/// it in the application (the benchmark tool in `src/bin` makes its data set with its own
/// scripts): `diesel::sql_query` or `db::query` given anything but a string literal, and
/// `format!` writing SQL.
#[test]
fn sql_text_is_written_in_the_code() {
    let keyword =
        |t: &str| ["SELECT ", "INSERT INTO", "DELETE FROM", " WHERE ", "UPDATE "].iter().any(|k| t.contains(k));
    let mut found = Vec::new();
    // (db/mod.rs and db/sql.rs are where `db::query` and the builder hand text to diesel.)
    for (rel, text) in sources(&["bin"]).into_iter().filter(|(rel, _)| rel != "db/sql.rs" && rel != "db/mod.rs") {
        let code = text.split("#[cfg(test)]").next().unwrap();
        for call in ["sql_query(", "db::query("] {
            for (at, _) in code.match_indices(call) {
                let arg = code[at + call.len()..].trim_start();
                if !(arg.starts_with('"') || arg.starts_with("r\"") || arg.starts_with("r#\"")) {
                    found.push(format!("{rel}: {call}{}", &arg[..arg.len().min(40)]));
                }
            }
        }
        for (at, _) in code.match_indices("format!(") {
            // The format string: the literal right after `format!(`.
            let rest = code[at + 8..].trim_start();
            let literal = rest.strip_prefix('"').and_then(|r| r.split('"').next()).unwrap_or("");
            if keyword(literal) {
                found.push(format!("{rel}: format!(\"{}", &literal[..literal.len().min(40)]));
            }
        }
    }
    assert!(found.is_empty(), "SQL text built at run time: {found:#?}");
}

/// Issue #27: the web layer parses, calls one domain command and renders; it does not reach
/// the tables. A file under `src/web` that names `db::schema` (or the views, or the SQL
/// builder), writes with diesel or sends `sql_query` must be in [`WEB_REACHING_TABLES`], the list of today's exceptions, which may
/// only shrink (a file that no longer reaches the tables must leave it, and none may join).
const WEB_REACHING_TABLES: &[&str] = &[];

#[test]
fn the_web_layer_reaches_tables_only_through_the_domain() {
    let reaches = |t: &str| {
        ["db::schema", "db::views", "db::sql", "sql_query"].iter().any(|w| t.contains(w))
            || ["diesel::insert_into", "diesel::update", "diesel::delete"].iter().any(|w| t.contains(w))
    };
    let found: BTreeSet<String> = sources(&[])
        .into_iter()
        .filter(|(rel, _)| rel.starts_with("web/"))
        .filter(|(_, text)| reaches(text.split("#[cfg(test)]").next().unwrap()))
        .map(|(rel, _)| rel)
        .collect();
    let listed: BTreeSet<String> = WEB_REACHING_TABLES.iter().map(|s| s.to_string()).collect();
    let new: Vec<&String> = found.difference(&listed).collect();
    assert!(new.is_empty(), "web files reaching the tables: move the work into a domain command: {new:?}");
    let paid: Vec<&String> = listed.difference(&found).collect();
    assert!(paid.is_empty(), "no longer reaching the tables: remove from WEB_REACHING_TABLES: {paid:?}");
}

/// Issue #27: inside a folder module, the files use each other one way too (`super::x` paths;
/// the folder's `mod.rs` is their parent and may use them all). A cycle — a plan's spec that
/// needs its undo that needs its actions that need the spec — means two files are one concept
/// split, or one concept tangled in two.
#[test]
fn the_files_of_a_module_use_each_other_one_way() {
    let mut folders: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (rel, text) in sources(&[]) {
        let Some((folder, file)) = rel.rsplit_once('/') else { continue };
        let name = file.trim_end_matches(".rs").to_string();
        if name == "mod" {
            continue;
        }
        let code = text.split("#[cfg(test)]").next().unwrap();
        let edges = folders.entry(folder.to_string()).or_default().entry(name.clone()).or_default();
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            let mut rest = line;
            while let Some(at) = rest.find("super::") {
                rest = &rest[at + 7..];
                let names: Vec<&str> = match rest.strip_prefix('{') {
                    Some(g) => g.split('}').next().unwrap_or("").split(',').map(|n| n.trim()).collect(),
                    None => vec![rest],
                };
                for n in names {
                    let used: String = n.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    if !used.is_empty() && used != name && used.chars().next().is_some_and(|c| c.is_lowercase()) {
                        edges.insert(used);
                    }
                }
            }
        }
    }
    let mut found = Vec::new();
    for (folder, edges) in &folders {
        // Only edges between files of this folder (a name may be an item of mod.rs).
        let files: BTreeSet<&String> = edges.keys().collect();
        let inner: BTreeMap<String, BTreeSet<String>> = edges
            .iter()
            .map(|(f, ts)| (f.clone(), ts.iter().filter(|t| files.contains(t)).cloned().collect()))
            .collect();
        if let Some(c) = cycle(&inner) {
            found.push(format!("{folder}: {}", c.join(" → ")));
        }
    }
    assert!(found.is_empty(), "files of one module using each other both ways: {found:#?}");
}

/// Issue #27: the statements that change who owns a contact live in `contacts::owners` (which
/// says it is their one home: the panel, bulk runs, their undo, rules, forms and successors
/// all go through it), and every SQL predicate on confidentiality lives in `access`. Creating
/// a contact with its first main owner is not a change of owner; the demo data and the
/// benchmark tools write their own data sets.
#[test]
fn owner_writes_and_confidentiality_predicates_have_one_home() {
    let owner_writes = [
        "INSERT INTO contact_owners",
        "DELETE FROM contact_owners",
        "UPDATE contact_owners",
        "insert_into(contact_owners",
        "delete(contact_owners",
        "update(contact_owners",
        "SET main_owner_id",
        "set(contacts::main_owner_id",
        "set((contacts::main_owner_id",
    ];
    let confidentiality = [
        "NOT c.confidential",
        "NOT confidential",
        "WHERE confidential",
        "WHERE c.confidential",
        "AND c.confidential",
        "OR c.confidential",
        "confidential.eq(true)",
        "confidential.eq(false)",
    ];
    let mut found = Vec::new();
    for (rel, text) in sources(&["bin"]).into_iter().filter(|(rel, _)| rel != "demo.rs") {
        let code = text.split("#[cfg(test)]").next().unwrap();
        if rel != "contacts/owners.rs" {
            found.extend(owner_writes.iter().filter(|w| code.contains(*w)).map(|w| format!("{rel}: {w}")));
        }
        if !rel.starts_with("access/") {
            found.extend(confidentiality.iter().filter(|w| code.contains(*w)).map(|w| format!("{rel}: {w}")));
        }
    }
    assert!(found.is_empty(), "owner writes outside contacts::owners, or confidentiality outside access: {found:#?}");
}
