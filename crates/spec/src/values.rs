//! Checks for the string-valued keys: workload names, hostnames, numeric
//! `uid[:gid]` users, and the NUL bytes that can never reach `execve`.

use crate::workload::UserSpec;

/// Longest accepted workload name.
pub const MAX_NAME_LEN: usize = 64;

/// `name`: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, at most [`MAX_NAME_LEN`] characters.
pub fn check_name(name: &str) -> Result<(), String> {
    let rule =
        "must start with a letter or digit and contain only letters, digits, '_', '.' and '-'";
    let mut chars = name.chars();
    match chars.next() {
        None => return Err("must not be empty".to_string()),
        Some(first) if !first.is_ascii_alphanumeric() => {
            return Err(format!("{rule}, got `{name}`"))
        }
        Some(_) => {}
    }
    if !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) {
        return Err(format!("{rule}, got `{name}`"));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!(
            "must be at most {MAX_NAME_LEN} characters, got {}",
            name.len()
        ));
    }
    Ok(())
}

/// `hostname`: dot-separated labels of 1 to 63 letters, digits and '-', not
/// starting or ending with '-'; at most 253 characters in all.
pub fn check_hostname(hostname: &str) -> Result<(), String> {
    if hostname.is_empty() {
        return Err("must not be empty".to_string());
    }
    if hostname.len() > 253 {
        return Err(format!(
            "must be at most 253 characters, got {}",
            hostname.len()
        ));
    }
    for label in hostname.split('.') {
        let problem = if label.is_empty() {
            Some("has an empty label (two dots in a row, or a dot at either end)")
        } else if label.len() > 63 {
            Some("has a label longer than 63 characters")
        } else if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            Some("may contain only letters, digits, '-' and '.'")
        } else if label.starts_with('-') || label.ends_with('-') {
            Some("has a label that starts or ends with '-'")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(format!("`{hostname}` {problem}"));
        }
    }
    Ok(())
}

/// `user` as text: `"1000"` or `"1000:100"`; the gid defaults to the uid.
pub fn parse_user(text: &str) -> Result<UserSpec, String> {
    let text = text.trim();
    let (uid_text, gid_text) = match text.split_once(':') {
        Some((uid, gid)) => (uid, Some(gid)),
        None => (text, None),
    };
    let id = |part: &str| -> Result<u32, String> {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "user and group names are not supported; give numeric uid[:gid] like 1000:1000, got `{text}`"
            ));
        }
        part.parse()
            .map_err(|_| format!("`{part}` is not a valid id (0 to {})", u32::MAX))
    };
    let uid = id(uid_text)?;
    let gid = match gid_text {
        Some(gid) => id(gid)?,
        None => uid,
    };
    Ok(UserSpec { uid, gid })
}

/// Strings passed to `execve` cannot hold NUL bytes.
pub fn check_no_nul(text: &str) -> Result<(), String> {
    if text.contains('\0') {
        Err("must not contain a NUL character".to_string())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_name("web").is_ok());
        assert!(check_name("a1_b.c-d").is_ok());
        assert!(check_name(&"a".repeat(64)).is_ok());
        assert!(check_name(&"a".repeat(65))
            .unwrap_err()
            .contains("at most 64"));
        assert!(check_name("").is_err());
        assert!(check_name("-web").is_err());
        assert!(check_name("we b").is_err());
        assert!(check_name("wé").is_err());
    }

    #[test]
    fn hostnames() {
        assert!(check_hostname("box1").is_ok());
        assert!(check_hostname("a-b.example.org").is_ok());
        assert!(check_hostname(&"a".repeat(63)).is_ok());
        assert!(check_hostname(&"a".repeat(64))
            .unwrap_err()
            .contains("longer than 63"));
        assert!(check_hostname("-box")
            .unwrap_err()
            .contains("starts or ends"));
        assert!(check_hostname("box-")
            .unwrap_err()
            .contains("starts or ends"));
        assert!(check_hostname("a..b").unwrap_err().contains("empty label"));
        assert!(check_hostname("a_b").unwrap_err().contains("only letters"));
        assert!(check_hostname("").is_err());
    }

    #[test]
    fn users() {
        assert_eq!(
            parse_user("1000"),
            Ok(UserSpec {
                uid: 1000,
                gid: 1000
            })
        );
        assert_eq!(
            parse_user("1000:100"),
            Ok(UserSpec {
                uid: 1000,
                gid: 100
            })
        );
        assert!(parse_user("nobody").unwrap_err().contains("numeric"));
        assert!(parse_user("1000:users").unwrap_err().contains("numeric"));
        assert!(parse_user("1000:").is_err());
        assert!(parse_user("99999999999")
            .unwrap_err()
            .contains("not a valid id"));
    }

    #[test]
    fn nul_bytes() {
        assert!(check_no_nul("a\0b").is_err());
        assert!(check_no_nul("ab").is_ok());
    }
}
