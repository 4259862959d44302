//! `logs [-f] [--tail N] ID`: the output of a detached container (its
//! stdout and stderr, in the order written) from `container.log`; `-f`
//! keeps following until the container exits. A foreground run's output
//! went to its terminal, so it has no log.

use std::io::{Read, Seek, SeekFrom, Write};
use std::time::Duration;

use anyhow::Context;
use runtime::store;

use super::Globals;
use crate::lifecycle::target::Target;

#[derive(Debug, clap::Args)]
pub struct LogsArgs {
    /// Keep printing new output until the container exits.
    #[arg(short, long)]
    pub follow: bool,
    /// Only the last N lines.
    #[arg(long, short = 'n', value_name = "N")]
    pub tail: Option<usize>,
    #[arg(value_name = "CONTAINER")]
    pub container: String,
}

pub fn run(globals: &Globals, args: LogsArgs) -> anyhow::Result<i32> {
    let mut target = Target::find(globals, &args.container)?;
    if !target.state.detached {
        return Err(target.wrong_state(
            "it runs in the foreground: its output goes to the terminal that started it",
        ));
    }
    let path = target.store.dir(target.id()).join(store::LOG_FILE);
    let mut file =
        std::fs::File::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let mut text = Vec::new();
    file.read_to_end(&mut text)
        .with_context(|| format!("reading {}", path.display()))?;
    let mut out = std::io::stdout().lock();
    out.write_all(last_lines(&text, args.tail))?;
    out.flush()?;
    if !args.follow {
        return Ok(0);
    }
    let mut offset = text.len() as u64;
    loop {
        let ended = target.wait_recorded(Duration::from_millis(200))?;
        file.seek(SeekFrom::Start(offset))?;
        let mut more = Vec::new();
        file.read_to_end(&mut more)?;
        offset += more.len() as u64;
        out.write_all(&more)?;
        out.flush()?;
        // `wait_recorded` is true once the end is recorded: all output is in.
        if ended {
            return Ok(0);
        }
    }
}

/// The last `n` lines of `text` (all of it without `n`).
fn last_lines(text: &[u8], n: Option<usize>) -> &[u8] {
    let Some(n) = n else {
        return text;
    };
    let body = text.strip_suffix(b"\n").unwrap_or(text);
    let mut newlines = body.iter().enumerate().rev().filter(|(_, b)| **b == b'\n');
    match n.checked_sub(1).and_then(|skip| newlines.nth(skip)) {
        _ if n == 0 => &text[text.len()..],
        Some((at, _)) => &text[at + 1..],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_takes_the_last_lines() {
        let text = b"a\nb\nc\n";
        assert_eq!(last_lines(text, None), b"a\nb\nc\n");
        assert_eq!(last_lines(text, Some(1)), b"c\n");
        assert_eq!(last_lines(text, Some(2)), b"b\nc\n");
        assert_eq!(last_lines(text, Some(5)), b"a\nb\nc\n");
        assert_eq!(last_lines(text, Some(0)), b"");
        assert_eq!(last_lines(b"a\nb", Some(1)), b"b");
        assert_eq!(last_lines(b"", Some(3)), b"");
    }
}
