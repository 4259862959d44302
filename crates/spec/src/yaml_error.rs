//! Turns a serde-saphyr error into a one-line [`SpecError::Invalid`]: takes its
//! line and column, writes a short message (serde-saphyr's own Display adds a
//! multi-line source snippet), and works out which YAML key it is about, from
//! the error itself (unknown or duplicate keys) or from the source line it
//! points at (the text before the first `: `, under its top-level key).

use crate::error::{SpecError, DOCUMENT_KEY};
use crate::raw::expected_for;
use serde_saphyr::{Error, MessageFormatter, UserMessageFormatter};

/// Converts a serde-saphyr error on `source` (read from `file`).
pub fn to_spec_error(err: &Error, source: &str, file: &str) -> SpecError {
    let (line, column) = err
        .location()
        .map(|loc| (loc.line(), loc.column()))
        .filter(|&(line, column)| line > 0 && column > 0)
        .unwrap_or((1, 1));
    let inner = original(err);
    let line_key = key_at_line(source, line);
    let (key, message) = match inner {
        Error::SerdeUnknownField {
            field, expected, ..
        } => (
            qualify(line_key, field),
            format!(
                "unknown key `{field}`; valid keys are: {}",
                expected.join(", ")
            ),
        ),
        Error::DuplicateMappingKey { key, .. } => {
            let name = key.clone().unwrap_or_else(|| "?".into());
            (
                qualify(line_key, &name),
                format!("key `{name}` is given more than once"),
            )
        }
        Error::Message { msg, .. } => (or_document(line_key), first_line(msg)),
        _ => {
            let key = or_document(line_key);
            let message = wrong_kind_message(inner, &key, source, line, column)
                .unwrap_or_else(|| first_line(&UserMessageFormatter.format_message(inner)));
            (key, message)
        }
    };
    SpecError::invalid(file, line, column, key, message)
}

/// The error itself, without alias or snippet wrappers.
fn original(mut err: &Error) -> &Error {
    while let Error::AliasError { error, .. } | Error::WithSnippet { error, .. } = err {
        err = error;
    }
    err
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").trim().to_string()
}

fn or_document(key: Option<String>) -> String {
    key.unwrap_or_else(|| DOCUMENT_KEY.to_string())
}

/// `field` under the key path found on its line: `gpu` + `foo` → `gpu.foo`.
fn qualify(line_key: Option<String>, field: &str) -> String {
    match line_key {
        Some(path) if path == field || path.ends_with(&format!(".{field}")) => path,
        Some(path) => match path.split_once('.') {
            Some((top, _)) => format!("{top}.{field}"),
            None => format!("{path}.{field}"),
        },
        None => field.to_string(),
    }
}

/// For a value of the wrong kind (a list where a number belongs, a number
/// where a mapping belongs), says what the key expects and what it got.
fn wrong_kind_message(
    inner: &Error,
    key: &str,
    source: &str,
    line: u64,
    column: u64,
) -> Option<String> {
    let got = match inner {
        Error::SerdeInvalidType { unexpected, .. } => Some(match unexpected.as_str() {
            "sequence" => "a list".to_string(),
            "map" => "a mapping".to_string(),
            other => other.to_string(),
        }),
        Error::NullIntoString { .. } => Some("nothing (null)".to_string()),
        Error::Unexpected { .. }
        | Error::InvalidScalar { .. }
        | Error::SerdeInvalidValue { .. } => {
            value_text_at(source, line, column).map(|text| format!("`{text}`"))
        }
        _ => return None,
    };
    let expected = expected_for(key)?;
    Some(match got {
        Some(got) => format!("expected {expected}, got {got}"),
        None => format!("expected {expected}"),
    })
}

/// The source text from `column` to the end of `line`, trimmed and shortened.
fn value_text_at(source: &str, line: u64, column: u64) -> Option<String> {
    let text = source_line(source, line)?;
    let start = usize::try_from(column).ok()?.checked_sub(1)?;
    let value: String = text.chars().skip(start).collect();
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let short: String = value.chars().take(40).collect();
    Some(if short.len() < value.len() {
        format!("{short}...")
    } else {
        short
    })
}

fn source_line(source: &str, line: u64) -> Option<&str> {
    source
        .lines()
        .nth(usize::try_from(line).ok()?.checked_sub(1)?)
}

/// The key path of `line`: `cpu` for `cpu: abc`, `env.FOO` for an indented
/// `FOO: x` under `env:`, `args` for an indented `- x` under `args:`.
pub fn key_at_line(source: &str, line: u64) -> Option<String> {
    let text = source_line(source, line)?;
    let own = key_of(text);
    if !is_nested(text) {
        return own;
    }
    let index = usize::try_from(line).ok()?.checked_sub(1)?;
    let above: Vec<&str> = source.lines().take(index).collect();
    let parent = above
        .into_iter()
        .rev()
        .find(|l| !is_blank_or_comment(l) && !is_nested(l))
        .and_then(key_of);
    match (parent, own) {
        (Some(parent), Some(own)) => Some(format!("{parent}.{own}")),
        (Some(parent), None) => Some(parent),
        (None, own) => own,
    }
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#') || t == "---"
}

fn is_nested(line: &str) -> bool {
    line.starts_with([' ', '\t']) || line.starts_with("- ") || line == "-"
}

/// The key written on one line: the text before the first `:` that ends the
/// line or is followed by a space, ignoring indentation, `- ` and quotes.
fn key_of(line: &str) -> Option<String> {
    let mut text = line.trim_start();
    while let Some(rest) = text.strip_prefix("- ") {
        text = rest.trim_start();
    }
    if text.starts_with(['#', '{', '[']) {
        return None;
    }
    let bytes = text.as_bytes();
    let colon = (0..bytes.len())
        .find(|&i| bytes[i] == b':' && bytes.get(i + 1).is_none_or(|b| b.is_ascii_whitespace()))?;
    let key = text[..colon].trim().trim_matches(|c| c == '"' || c == '\'');
    (!key.is_empty()).then(|| key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_of_a_line() {
        assert_eq!(key_of("cpu: abc").as_deref(), Some("cpu"));
        assert_eq!(key_of("  FOO: x").as_deref(), Some("FOO"));
        assert_eq!(key_of("- name: x").as_deref(), Some("name"));
        assert_eq!(key_of("\"quoted\": 1").as_deref(), Some("quoted"));
        assert_eq!(key_of("url: http://x").as_deref(), Some("url"));
        assert_eq!(key_of("args:").as_deref(), Some("args"));
        assert_eq!(key_of("  - a:b"), None);
        assert_eq!(key_of("# cpu: 1"), None);
    }

    #[test]
    fn key_paths_follow_indentation() {
        let src = "name: x\nenv:\n  # comment\n  FOO: [1]\nargs:\n- a\n- [b]\n";
        assert_eq!(key_at_line(src, 1).as_deref(), Some("name"));
        assert_eq!(key_at_line(src, 4).as_deref(), Some("env.FOO"));
        assert_eq!(key_at_line(src, 7).as_deref(), Some("args"));
        assert_eq!(key_at_line(src, 99), None);
    }

    #[test]
    fn qualify_nests_fields_under_their_key() {
        assert_eq!(qualify(Some("foo".into()), "foo"), "foo");
        assert_eq!(qualify(Some("gpu".into()), "foo"), "gpu.foo");
        assert_eq!(qualify(Some("gpu.foo".into()), "foo"), "gpu.foo");
        assert_eq!(qualify(None, "foo"), "foo");
    }
}
