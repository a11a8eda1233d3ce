//! The curated alias table: names of one entity that news uses without defining one by the
//! other ("US" / "United States", "Daesh" / "ISIL"). It is data (`data/lexicons/aliases.txt`),
//! fingerprinted, and a user file can extend or replace it.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::stages::entities::names::name_words;

/// The built-in table.
pub const ALIASES_TXT: &str = include_str!("../../../data/lexicons/aliases.txt");

/// Errors reading a user alias file.
#[derive(Debug, thiserror::Error)]
pub enum AliasError {
    #[error("cannot read alias file {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("alias file {path}, line {line}: {msg}")]
    Line { path: String, line: usize, msg: String },
}

/// Folded name (chain-key words joined by spaces) -> alias group; each group has a
/// canonical folded name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AliasTable {
    canonical: Vec<String>,
    by_form: BTreeMap<String, usize>,
}

/// The chain-key form of a written name: the words a non-person chain key would have.
pub fn key_form(name: &str) -> String {
    name_words(name, "ORG").join(" ")
}

impl AliasTable {
    /// The table shipped in `data/lexicons/aliases.txt`.
    pub fn builtin() -> AliasTable {
        Self::parse(ALIASES_TXT, "data/lexicons/aliases.txt").expect("the built-in alias table parses")
    }

    /// Reads a user file in the same format.
    pub fn load(path: &Path) -> Result<AliasTable, AliasError> {
        let p = path.display().to_string();
        let txt = std::fs::read_to_string(path).map_err(|source| AliasError::Io { path: p.clone(), source })?;
        Self::parse(&txt, &p)
    }

    /// One entity a line: `canonical | form | form ...`; `#` starts a comment line.
    pub fn parse(txt: &str, path: &str) -> Result<AliasTable, AliasError> {
        let mut t = AliasTable::default();
        for (n, line) in txt.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let forms: Vec<String> = line.split('|').map(key_form).collect();
            if forms.len() < 2 || forms.iter().any(|f| f.is_empty()) {
                let msg = "expected `canonical name | other form [| ...]` with no empty form".to_string();
                return Err(AliasError::Line { path: path.to_string(), line: n + 1, msg });
            }
            t.add_group(forms);
        }
        Ok(t)
    }

    /// Adds a group; a form already in another group moves to this one.
    fn add_group(&mut self, forms: Vec<String>) {
        let g = self.canonical.len();
        self.canonical.push(forms[0].clone());
        for f in forms {
            self.by_form.insert(f, g);
        }
    }

    /// Adds `other`'s groups, which take over the forms they list.
    pub fn extend(&mut self, other: AliasTable) {
        let mut groups: Vec<Vec<String>> = vec![Vec::new(); other.canonical.len()];
        for (f, g) in other.by_form {
            groups[g].push(f);
        }
        for (canon, mut forms) in other.canonical.into_iter().zip(groups) {
            forms.retain(|f| *f != canon);
            forms.insert(0, canon);
            self.add_group(forms);
        }
    }

    /// The group of a chain-key name, if listed.
    pub fn group_of(&self, key_name: &str) -> Option<usize> {
        self.by_form.get(key_name).copied()
    }

    /// Number of groups (some may have lost all their forms to a user file).
    pub fn len(&self) -> usize {
        self.canonical.len()
    }

    pub fn is_empty(&self) -> bool {
        self.canonical.is_empty()
    }

    /// The canonical folded name of group `g`.
    pub fn canonical(&self, g: usize) -> &str {
        &self.canonical[g]
    }

    /// SHA-256 (hex) over the forms and their groups' canonical names.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        for (f, &g) in &self.by_form {
            for part in [f.as_str(), self.canonical[g].as_str()] {
                h.update((part.len() as u64).to_le_bytes());
                h.update(part.as_bytes());
            }
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_forms_fold_like_chain_keys() {
        let t = AliasTable::builtin();
        let us = t.group_of("united states").unwrap();
        assert_eq!(t.group_of("us"), Some(us));
        assert_eq!(t.group_of(&key_form("U.S.")), Some(us));
        assert_eq!(t.group_of(&key_form("U. S.")), Some(us));
        let iskp = t.group_of("islamic state khorasan province").unwrap();
        for f in ["ISIS-K", "IS-K", "ISIS-Khorasan", "Islamic State Khorasan", "ISKP"] {
            assert_eq!(t.group_of(&key_form(f)), Some(iskp), "{f}");
        }
        assert_ne!(t.group_of("isis"), Some(iskp));
        assert_eq!(t.canonical(us), "united states");
        assert_eq!(t.group_of("kabul"), None);
    }

    #[test]
    fn a_user_file_moves_forms_and_changes_the_fingerprint() {
        let mut t = AliasTable::builtin();
        let before = t.fingerprint();
        let user = AliasTable::parse("# mine\nUnited Nations Union | UN\n", "user.txt").unwrap();
        t.extend(user);
        let un = t.group_of("un").unwrap();
        assert_eq!(t.canonical(un), "united nations union");
        assert_ne!(t.group_of("united nations"), Some(un));
        assert_ne!(t.fingerprint(), before);
        let err = AliasTable::parse("United States\n", "bad.txt").unwrap_err();
        assert!(err.to_string().contains("bad.txt, line 1"), "{err}");
    }
}
