//! The one table the benchmark prints: a row per scenario, its goal and whether it is met.

use std::fmt::Write;

pub struct Row {
    pub backend: String,
    pub scenario: String,
    /// `1234 req/s`, `560 MiB/s`, or empty.
    pub rate: String,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub peak_rss_kib: Option<u64>,
    /// The figure the goal compares with, e.g. `4.6× the reference`.
    pub versus: String,
    pub goal: String,
    /// `None` where the goal is only to report.
    pub met: Option<bool>,
}

#[derive(Default)]
pub struct Report {
    rows: Vec<Row>,
}

impl Report {
    pub fn push(&mut self, row: Row) {
        eprintln!(
            "{}: {} — {} p99 {} RSS {} {} {}",
            row.backend,
            row.scenario,
            row.rate,
            milliseconds(row.p99_ms),
            mebibytes(row.peak_rss_kib),
            row.versus,
            mark(row.met)
        );
        self.rows.push(row);
    }

    /// Settles the goal of PostgreSQL's row of `scenario` that compares it with SQLite's, once
    /// both have run: met when its rate is at least a `times`th of SQLite's (each row's rate
    /// starts with its figure). With one backend run, the row stays unsettled.
    pub fn settle_against_sqlite(&mut self, scenario: &str, times: f64) {
        let rate = |backend: &str| {
            self.rows
                .iter()
                .find(|row| row.backend == backend && row.scenario == scenario)
                .and_then(|row| row.rate.split_whitespace().next()?.parse::<f64>().ok())
        };
        let (Some(sqlite), Some(postgres)) = (rate("sqlite"), rate("postgres")) else {
            return;
        };
        let row = self
            .rows
            .iter_mut()
            .find(|row| row.backend == "postgres" && row.scenario == scenario);
        if let Some(row) = row {
            row.versus = format!("{} ({:.2} of SQLite's rate)", row.versus, postgres / sqlite);
            row.met = Some(postgres * times >= sqlite);
        }
    }

    pub fn markdown(&self) -> String {
        let mut table = String::from(
            "| backend | scenario | rate | p50 | p99 | peak RSS | compared with | goal | met |\n\
             |---|---|---|---|---|---|---|---|---|\n",
        );
        for row in &self.rows {
            let _ = writeln!(
                table,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                row.backend,
                row.scenario,
                row.rate,
                milliseconds(row.p50_ms),
                milliseconds(row.p99_ms),
                mebibytes(row.peak_rss_kib),
                row.versus,
                row.goal,
                mark(row.met)
            );
        }
        table
    }
}

fn milliseconds(value: Option<f64>) -> String {
    match value {
        Some(ms) if ms < 10.0 => format!("{ms:.2} ms"),
        Some(ms) => format!("{ms:.0} ms"),
        None => String::new(),
    }
}

fn mebibytes(kib: Option<u64>) -> String {
    kib.map(|kib| format!("{:.0} MiB", kib as f64 / 1024.0))
        .unwrap_or_default()
}

fn mark(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "yes",
        Some(false) => "**no**",
        None => "—",
    }
}
