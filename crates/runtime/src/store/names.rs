//! Container names and how a user's word finds a container: a name must be
//! unique, so it is reserved by creating `<state root>/names/<name>` with
//! O_EXCL (atomic across concurrent `run`s); a query matches an exact id,
//! then a name, then a unique id prefix, as docker resolves them.

use std::path::{Path, PathBuf};

use crate::error::RuntimeError;

/// Docker's rule: a letter or digit, then letters, digits, `_`, `.`, `-`.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && name.len() <= 128
}

/// The reservations of names under a state root.
#[derive(Debug, Clone)]
pub struct Names {
    dir: PathBuf,
}

impl Names {
    pub fn new(state_root: &Path) -> Names {
        Names {
            dir: state_root.join("names"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Reserves `name` for container `id`; fails if it is taken.
    pub fn reserve(&self, name: &str, id: &str) -> Result<(), RuntimeError> {
        if !valid_name(name) {
            return Err(RuntimeError::BadName(name.to_string()));
        }
        std::fs::create_dir_all(&self.dir)
            .map_err(RuntimeError::io("creating the names dir", &self.dir))?;
        let path = self.path(name);
        match crate::claim::claim(&path, id) {
            Ok(true) => Ok(()),
            Ok(false) => Err(RuntimeError::NameInUse {
                name: name.to_string(),
                id: self.owner(name).unwrap_or_default(),
            }),
            Err(e) => Err(RuntimeError::io("reserving the name", &path)(e)),
        }
    }

    /// The id holding `name`, if any.
    pub fn owner(&self, name: &str) -> Option<String> {
        if !valid_name(name) {
            return None;
        }
        let id = std::fs::read_to_string(self.path(name)).ok()?;
        Some(id.trim().to_string()).filter(|id| !id.is_empty())
    }

    /// Frees `name` if `id` holds it.
    pub fn release(&self, name: &str, id: &str) {
        if self.owner(name).as_deref() == Some(id) {
            let _ = std::fs::remove_file(self.path(name));
        }
    }

    /// Every reservation: (name, id).
    pub fn all(&self) -> Vec<(String, String)> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter_map(|name| Some((name.clone(), self.owner(&name)?)))
            .collect()
    }
}

/// Finds the one id `query` means among `ids`: the exact id, else the
/// holder of the name, else the only id starting with it.
pub fn resolve(
    query: &str,
    ids: &[String],
    name_owner: Option<String>,
) -> Result<String, RuntimeError> {
    if ids.iter().any(|id| id == query) {
        return Ok(query.to_string());
    }
    if let Some(id) = name_owner.filter(|id| ids.contains(id)) {
        return Ok(id);
    }
    let hex = !query.is_empty() && query.chars().all(|c| c.is_ascii_hexdigit());
    let matches: Vec<String> = ids
        .iter()
        .filter(|id| hex && id.starts_with(query))
        .cloned()
        .collect();
    match matches.len() {
        1 => Ok(matches.into_iter().next().unwrap_or_default()),
        0 => Err(RuntimeError::NoSuchContainer(query.to_string())),
        _ => Err(RuntimeError::AmbiguousId {
            query: query.to_string(),
            matches: matches
                .iter()
                .map(|id| crate::short_id(id).to_string())
                .collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> Vec<String> {
        vec!["abc123".into(), "abd456".into(), "ff0000".into()]
    }

    #[test]
    fn names_follow_dockers_rule() {
        for good in ["web", "a", "web-1", "db_2.x", "9lives"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in ["", "-x", ".x", "a/b", "a b", "../x", "é"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn exact_id_then_name_then_unique_prefix() {
        assert_eq!(resolve("abc123", &ids(), None).unwrap(), "abc123");
        assert_eq!(
            resolve("web", &ids(), Some("ff0000".into())).unwrap(),
            "ff0000"
        );
        assert_eq!(resolve("abd", &ids(), None).unwrap(), "abd456");
        assert!(matches!(
            resolve("ab", &ids(), None),
            Err(RuntimeError::AmbiguousId { .. })
        ));
        assert!(matches!(
            resolve("zz", &ids(), None),
            Err(RuntimeError::NoSuchContainer(_))
        ));
        assert!(matches!(
            resolve("", &ids(), None),
            Err(RuntimeError::NoSuchContainer(_))
        ));
    }

    #[test]
    fn a_name_is_reserved_once_and_released_only_by_its_holder() {
        let dir = tempfile::tempdir().unwrap();
        let names = Names::new(dir.path());
        names.reserve("web", "id1").unwrap();
        assert!(matches!(
            names.reserve("web", "id2"),
            Err(RuntimeError::NameInUse { ref id, .. }) if id == "id1"
        ));
        names.release("web", "id2");
        assert_eq!(names.owner("web").as_deref(), Some("id1"));
        names.release("web", "id1");
        names.reserve("web", "id2").unwrap();
        assert_eq!(names.all(), vec![("web".to_string(), "id2".to_string())]);
        assert!(matches!(
            names.reserve("a/b", "x"),
            Err(RuntimeError::BadName(_))
        ));
    }
}
