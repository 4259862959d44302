//! record: the CSV files and PNG charts a container run (or a batch
//! experiment) leaves behind. Plain rows in, files out: this crate knows
//! nothing about the runtime. A run's record directory holds
//! `cpu_affinity.csv`, `cpu_metrics.csv`, `gpu_schedule.csv`, `events.csv`
//! and `graphs/cpu_usage.png`; an experiment directory holds one record
//! directory per policy plus `comparison.csv` and `graphs/comparison.png`.

pub mod charts;
pub mod error;
pub mod reader;
mod redraw;
pub mod rows;
pub mod summary;
pub mod writer;

pub use charts::{draw_comparison, draw_cpu_usage};
pub use error::RecordError;
pub use reader::{read_rows, read_rows_if_present};
pub use rows::{AffinityRow, CpuMetricRow, EventRow, GpuScheduleRow, PolicyResult, Row};
pub use summary::{best_policies, redraw, summarise, summarise_run, Best, RunSummary, Summary};
pub use writer::{
    is_record_dir, write_comparison, write_csv, RecordDir, AFFINITY_CSV, COMPARISON_CSV,
    COMPARISON_PNG, CPU_USAGE_PNG, EVENTS_CSV, GPU_CSV, GRAPHS_DIR, METRICS_CSV, RUN_FILES,
};
