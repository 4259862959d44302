//! Errors about values: units, ranges, the host's CPUs, names, users, paths.

use super::expect_invalid;

#[test]
fn bad_units_name_the_unit_and_the_accepted_ones() {
    expect_invalid(
        "command: x\nmemory: 512X",
        (2, 9),
        "memory",
        "unknown unit `X` in `512X`; accepted units: B, K, M, G, T",
    );
    expect_invalid(
        "command: x\ngpu: {memory: 5Q}",
        (2, 15),
        "gpu.memory",
        "unknown unit `Q`",
    );
}

#[test]
fn memory_below_the_minimum_or_negative() {
    expect_invalid(
        "command: x\nmemory: 100",
        (2, 9),
        "memory",
        "must be at least 1M (1048576 bytes)",
    );
    expect_invalid(
        "command: x\nmemory: -5",
        (2, 9),
        "memory",
        "must not be negative",
    );
    expect_invalid(
        "command: x\nmemory: 1.5",
        (2, 9),
        "memory",
        "expected a size",
    );
}

#[test]
fn cpu_must_be_positive() {
    expect_invalid(
        "command: x\ncpu: -1",
        (2, 6),
        "cpu",
        "must be greater than 0, got -1",
    );
    expect_invalid(
        "command: x\ncpu: 0",
        (2, 6),
        "cpu",
        "must be greater than 0, got 0",
    );
    expect_invalid(
        "command: x\ncpu: 0.0",
        (2, 6),
        "cpu",
        "must be greater than 0",
    );
    expect_invalid(
        "command: x\ncpu: \"-0.5\"",
        (2, 6),
        "cpu",
        "must be greater than 0",
    );
    expect_invalid(
        "command: x\ncpu: 0.0001",
        (2, 6),
        "cpu",
        "at most 3 decimal places",
    );
}

#[test]
fn cpu_more_than_the_host_has_says_how_many_are_available() {
    expect_invalid(
        "command: x\ncpu: 3",
        (2, 6),
        "cpu",
        "only 2 CPUs are available (0-1)",
    );
    expect_invalid(
        "command: x\ncpu: 2.001",
        (2, 6),
        "cpu",
        "only 2 CPUs are available",
    );
}

#[test]
fn cpus_naming_an_unavailable_cpu() {
    expect_invalid(
        "command: x\ncpus: 5",
        (2, 7),
        "cpus",
        "CPU 5 is not available; available CPUs: 0-1",
    );
    expect_invalid(
        "command: x\ncpus: 0-3",
        (2, 7),
        "cpus",
        "CPUs 2-3 are not available; available CPUs: 0-1",
    );
    expect_invalid("command: x\ncpus: '3-1'", (2, 7), "cpus", "runs backwards");
    expect_invalid("command: x\ncpus: ''", (2, 7), "cpus", "at least one CPU");
    expect_invalid("command: x\ncpus: -1", (2, 7), "cpus", "not a CPU number");
}

#[test]
fn bad_durations() {
    expect_invalid(
        "command: x\ntimeout: 0",
        (2, 10),
        "timeout",
        "must be greater than 0, got 0",
    );
    expect_invalid(
        "command: x\ntimeout: 0s",
        (2, 10),
        "timeout",
        "must be greater than 0",
    );
    expect_invalid(
        "command: x\ntimeout: -3",
        (2, 10),
        "timeout",
        "must be greater than 0, got -3",
    );
    expect_invalid(
        "command: x\ntimeout: 5x",
        (2, 10),
        "timeout",
        "unknown unit `x` in `5x`; accepted units: h, m, s, ms",
    );
    expect_invalid(
        "command: x\ntimeout: 1h30",
        (2, 10),
        "timeout",
        "missing unit after `30`",
    );
    expect_invalid(
        "command: x\ntimeout: 10us",
        (2, 10),
        "timeout",
        "at least 1ms",
    );
}

#[test]
fn bad_users() {
    expect_invalid(
        "command: x\nuser: nobody",
        (2, 7),
        "user",
        "names are not supported; give numeric uid[:gid]",
    );
    expect_invalid(
        "command: x\nuser: \"1000:staff\"",
        (2, 7),
        "user",
        "numeric",
    );
    expect_invalid("command: x\nuser: -1", (2, 7), "user", "not a valid uid");
    expect_invalid(
        "command: x\nuser: 1.5",
        (2, 7),
        "user",
        "expected a numeric uid[:gid]",
    );
}

#[test]
fn bad_hostnames_and_names() {
    expect_invalid(
        "command: x\nhostname: -bad",
        (2, 11),
        "hostname",
        "starts or ends with '-'",
    );
    expect_invalid(
        "command: x\nhostname: a_b",
        (2, 11),
        "hostname",
        "only letters, digits",
    );
    expect_invalid(
        "command: x\nname: 'bad name'",
        (2, 7),
        "name",
        "must start with a letter or digit",
    );
    expect_invalid(
        "command: x\nname: .hidden",
        (2, 7),
        "name",
        "must start with a letter or digit",
    );
    let long = format!("command: x\nname: {}", "a".repeat(65));
    expect_invalid(&long, (2, 7), "name", "at most 64 characters");
}

#[test]
fn workdir_must_be_absolute() {
    expect_invalid(
        "command: x\nworkdir: tmp",
        (2, 10),
        "workdir",
        "must be an absolute path like /tmp, got `tmp`",
    );
}

#[test]
fn pids_must_be_positive() {
    expect_invalid(
        "command: x\npids: 0",
        (2, 7),
        "pids",
        "must be at least 1, got 0",
    );
    expect_invalid(
        "command: x\npids: -4",
        (2, 7),
        "pids",
        "must not be negative",
    );
}

#[test]
fn env_names_are_checked() {
    expect_invalid(
        "command: x\nenv: {\"A=B\": 1}",
        (2, 7),
        "env.A=B",
        "must not contain '='",
    );
    expect_invalid(
        "command: x\nenv: {\"\": 1}",
        (2, 7),
        "env",
        "must not be empty",
    );
}

#[test]
fn gpu_requests_are_checked() {
    expect_invalid("command: x\ngpu: -1", (2, 6), "gpu", "must not be negative");
    expect_invalid(
        "command: x\ngpu: {count: 0, memory: 1G}",
        (2, 14),
        "gpu.count",
        "is 0 but `memory` is given",
    );
    expect_invalid(
        "command: x\ngpu: {memory: 0}",
        (2, 15),
        "gpu.memory",
        "must be greater than 0",
    );
}
