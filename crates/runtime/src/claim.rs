//! Files that stand for ownership, shared by the container store, the
//! placement ledger and the networks: a lock file held with an exclusive
//! flock while a state is read and changed, and a claim file created with
//! O_EXCL holding its owner's id (atomic across processes: exactly one
//! creator wins, and the file outlives a crashed owner for `gc` to find).

use std::fs::File;
use std::io::Write;
use std::path::Path;

use nix::fcntl::{Flock, FlockArg};

use crate::RuntimeError;

/// Opens (creating when missing) and locks `path`, waiting for other holders.
pub fn lock_exclusive(path: &Path) -> Result<Flock<File>, RuntimeError> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(RuntimeError::io("opening the lock file", path))?;
    Flock::lock(file, FlockArg::LockExclusive)
        .map_err(|(_, errno)| RuntimeError::io("locking", path)(errno.into()))
}

/// Creates `path` holding `owner`; `Ok(false)` when someone has it already.
pub fn claim(path: &Path, owner: &str) -> std::io::Result<bool> {
    let mut file = match File::options().write(true).create_new(true).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(e),
    };
    file.write_all(owner.as_bytes())?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_claim_wins_and_names_its_owner() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("thing");
        assert!(claim(&path, "a").expect("first"));
        assert!(!claim(&path, "b").expect("second"));
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "a");
    }
}
