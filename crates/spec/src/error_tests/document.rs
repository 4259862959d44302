//! Errors about the document's shape: unknown, duplicate and missing keys,
//! values of the wrong kind, YAML syntax, empty files.

use super::expect_invalid;
use crate::DOCUMENT_KEY;

#[test]
fn unknown_key_lists_the_valid_keys() {
    expect_invalid(
        "command: x\nfoo: 1",
        (2, 1),
        "foo",
        "unknown key `foo`; valid keys are: name, hostname, cpu",
    );
}

#[test]
fn unknown_key_inside_gpu() {
    expect_invalid(
        "command: x\ngpu: {count: 1, foo: 2}",
        (2, 17),
        "gpu.foo",
        "valid keys are: count, memory",
    );
    expect_invalid(
        "command: x\ngpu:\n  count: 1\n  foo: 2",
        (4, 3),
        "gpu.foo",
        "unknown key `foo`",
    );
}

#[test]
fn duplicate_keys() {
    expect_invalid(
        "command: x\ncpu: 1\ncpu: 2",
        (3, 1),
        "cpu",
        "key `cpu` is given more than once",
    );
    expect_invalid(
        "command: x\nenv:\n  A: 1\n  A: 2",
        (4, 3),
        "env.A",
        "more than once",
    );
}

#[test]
fn wrong_types_say_what_is_expected() {
    expect_invalid(
        "command: x\ncpu: abc",
        (2, 6),
        "cpu",
        "expected a number of cores like 2 or 0.5, got `abc`",
    );
    expect_invalid(
        "command: x\ncpu: true",
        (2, 6),
        "cpu",
        "expected a number of cores",
    );
    expect_invalid(
        "command: x\nmemory: [1]",
        (2, 1),
        "memory",
        "expected a size like 512M",
    );
    expect_invalid("command: x\nmemory: [1]", (2, 1), "memory", "got a list");
    expect_invalid(
        "command: x\nenv: 5",
        (2, 6),
        "env",
        "expected a mapping of NAME: value, got `5`",
    );
    expect_invalid(
        "command: x\nenv:\n  A: [1]",
        (3, 6),
        "env.A",
        "expected a string, number or true/false",
    );
    expect_invalid(
        "command: x\nenv:\n  A:",
        (3, 4),
        "env.A",
        "got nothing (null)",
    );
    expect_invalid("args: a", (1, 7), "args", "expected a list of strings");
    expect_invalid(
        "args:\n  - a\n  - [b]",
        (3, 5),
        "args",
        "expected a list of strings",
    );
    expect_invalid(
        "command: [a]",
        (1, 10),
        "command",
        "expected a command line string",
    );
    expect_invalid(
        "command: x\ngpu: 1.5",
        (2, 6),
        "gpu",
        "expected true/false, a number of GPUs",
    );
    expect_invalid("command: x\ngpu: [1]", (2, 1), "gpu", "got a list");
    expect_invalid(
        "command: x\ngpu:\n  count: x",
        (3, 10),
        "gpu.count",
        "expected a whole number of GPUs",
    );
    expect_invalid(
        "command: x\npids: abc",
        (2, 7),
        "pids",
        "expected a positive whole number",
    );
    expect_invalid(
        "command: x\ncpus: 1.5",
        (2, 7),
        "cpus",
        "expected a CPU list",
    );
    expect_invalid(
        "command: x\ntimeout: true",
        (2, 10),
        "timeout",
        "expected a duration",
    );
}

#[test]
fn missing_command_points_at_the_start() {
    expect_invalid(
        "cpu: 1",
        (1, 1),
        "command",
        "give `command` (a command line) or `args`",
    );
    expect_invalid("{}", (1, 1), "command", "missing");
}

#[test]
fn both_command_and_args_points_at_the_later_one() {
    expect_invalid(
        "command: x\nargs: [a]",
        (2, 7),
        "args",
        "either `command` or `args`, not both",
    );
    expect_invalid("args: [a]\ncommand: x", (2, 10), "command", "not both");
}

#[test]
fn empty_command_or_args() {
    expect_invalid("command: \"\"", (1, 10), "command", "must not be empty");
    expect_invalid("command: \"  \"", (1, 10), "command", "must not be empty");
    expect_invalid(
        "command: \"'a\"",
        (1, 10),
        "command",
        "missing closing quote",
    );
    expect_invalid("args: []", (1, 7), "args", "must not be empty");
    expect_invalid(
        "args: ['', x]",
        (1, 8),
        "args",
        "the program (first element) must not be empty",
    );
    expect_invalid("args: [\"a\\0b\"]", (1, 8), "args", "NUL");
}

#[test]
fn empty_file_or_not_a_mapping() {
    expect_invalid("", (1, 1), DOCUMENT_KEY, "the file is empty");
    expect_invalid(
        "# just a comment\n",
        (1, 1),
        DOCUMENT_KEY,
        "the file is empty",
    );
    expect_invalid(
        "- a\n- b",
        (1, 1),
        DOCUMENT_KEY,
        "expected a mapping of workload keys",
    );
    expect_invalid(
        "just text",
        (1, 1),
        DOCUMENT_KEY,
        "expected a mapping of workload keys",
    );
}

#[test]
fn yaml_syntax_errors_have_one_line_messages() {
    expect_invalid(
        "command: x\n  bad: indent",
        (2, 6),
        "command.bad",
        "not allowed",
    );
    expect_invalid("command: 'unclosed", (1, 10), "command", "quote");
}

#[test]
fn multiple_documents_are_rejected() {
    expect_invalid(
        "command: x\n---\ncommand: y",
        (3, 1),
        "command",
        "single YAML document",
    );
}

#[test]
fn errors_after_comments_and_blank_lines_point_at_the_right_line() {
    expect_invalid(
        "# a workload\n\ncommand: x\n\n# limits\ncpu: abc\n",
        (6, 6),
        "cpu",
        "got `abc`",
    );
}
