//! Scale figures for grading a class (docs/scale.md): on a generated class of the gradable
//! fixture course (default 100 learners: solved, shipped and hostile ones), one `--class` run
//! against 3 `--shard` runs plus `aggregate`, with CPU seconds and peak memory per learner (from
//! `/usr/bin/time`, which counts every process the grader waited for), and projections for
//! 1,000 learners. Shared machines are noisy: the figures of one run are compared with each
//! other, and the load average is printed next to them.
//!
//! `cargo bench --bench class_scale` (`CLASS_SCALE_LEARNERS=N` for another class size).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/grade_common/mod.rs"]
mod grade_common;

use grade_common::{course_in, learner, workdir};

/// Per 20 learners: (template, how many).
const MIX: &[(&str, usize)] = &[
    ("honest", 12),
    ("shipped", 4),
    ("hangs", 1),
    ("broken", 1),
    ("spawns", 1),
    ("assert_true", 1),
];
const SHARDS: u32 = 3;

/// What one command cost: wall seconds, CPU seconds (user + system, its whole process tree),
/// and the largest resident set of any one of its processes, in MiB.
#[derive(Clone, Copy, Default)]
struct Cost {
    wall: f64,
    cpu: f64,
    max_rss_mib: f64,
}

fn measure(args: &[&str], extra: &[&Path], course: &Path, env: &[(&str, String)]) -> Cost {
    let stats = tempfile::NamedTempFile::new().unwrap();
    let mut cmd = Command::new("/usr/bin/time");
    cmd.args(["-f", "%U %S %M", "-o"])
        .arg(stats.path())
        .arg(env!("CARGO_BIN_EXE_tokiolings"))
        .arg("--course")
        .arg(course)
        .args(args)
        .args(extra)
        .env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let out = cmd.output().expect("/usr/bin/time runs");
    let wall = start.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(stats.path()).unwrap();
    let f: Vec<f64> = text
        .lines()
        .last()
        .unwrap()
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    Cost {
        wall,
        cpu: f[0] + f[1],
        max_rss_mib: f[2] / 1024.0,
    }
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn main() {
    let n: usize = std::env::var("CLASS_SCALE_LEARNERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let dir = workdir();
    let course = course_in(dir.path());
    let class = dir.path().join("class");
    let mut made = 0;
    'fill: loop {
        for (template, count) in MIX {
            for _ in 0..*count {
                if made == n {
                    break 'fill;
                }
                learner(&class.join(format!("{template}-{made:04}")), template);
                made += 1;
            }
        }
    }
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    println!(
        "class_scale: {n} learners of the gradable fixture course (4 exercises; per 20: 12 solved, 4 shipped, 1 each hangs/broken/spawns/assert_true), {cores} cores"
    );
    println!("load average before: {}", load());

    // Warm the grader's build cache of the course's dependencies, so both sides start equal.
    let one = class.read_dir().unwrap().next().unwrap().unwrap().path();
    measure(
        &["grade", "--format", "json", "--output"],
        &[
            &dir.path().join("warm.json"),
            Path::new("--submission"),
            &one,
        ],
        &course,
        &[],
    );

    let whole = dir.path().join("whole");
    let class_s = class.to_string_lossy().into_owned();
    let whole_s = whole.to_string_lossy().into_owned();
    let single = measure(
        &["grade", "--class", &class_s, "--output", &whole_s],
        &[],
        &course,
        &[],
    );
    println!("load average after --class: {}", load());

    let mut shards = Vec::new();
    let mut outs: Vec<PathBuf> = Vec::new();
    for k in 0..SHARDS {
        let out = dir.path().join(format!("shard{k}"));
        let shard = format!("{k}/{SHARDS}");
        let out_s = out.to_string_lossy().into_owned();
        let cost = measure(
            &[
                "grade", "--class", &class_s, "--shard", &shard, "--output", &out_s,
            ],
            &[],
            &course,
            &[],
        );
        let learners = out.join("students").read_dir().unwrap().count();
        shards.push((cost, learners));
        outs.push(out);
    }
    let agg_dir = dir.path().join("agg");
    let agg_s = agg_dir.to_string_lossy().into_owned();
    let refs: Vec<&Path> = outs.iter().map(PathBuf::as_path).collect();
    let agg = measure(&["aggregate", "--output", &agg_s], &refs, &course, &[]);
    println!("load average after the shards: {}", load());
    let same = std::fs::read(whole.join("class.csv")).unwrap()
        == std::fs::read(agg_dir.join("class.csv")).unwrap();

    let nf = n as f64;
    println!(
        "\none --class run:   wall {:7.1} s   CPU {:7.1} s   largest process {:6.0} MiB",
        single.wall, single.cpu, single.max_rss_mib
    );
    for (k, (c, l)) in shards.iter().enumerate() {
        println!(
            "shard {k}/{SHARDS} ({l:3} learners): wall {:7.1} s   CPU {:7.1} s   largest process {:6.0} MiB",
            c.wall, c.cpu, c.max_rss_mib
        );
    }
    println!(
        "aggregate:         wall {:7.2} s   CPU {:7.2} s   largest process {:6.0} MiB",
        agg.wall, agg.cpu, agg.max_rss_mib
    );
    let shard_cpu: f64 = shards.iter().map(|s| s.0.cpu).sum::<f64>() + agg.cpu;
    let shard_wall_seq: f64 = shards.iter().map(|s| s.0.wall).sum::<f64>() + agg.wall;
    let shard_wall_par = shards.iter().map(|s| s.0.wall).fold(0.0, f64::max) + agg.wall;
    println!("class.csv of {SHARDS} shards + aggregate == one --class run: {same}");

    let per_wall = single.wall / nf;
    let per_cpu = single.cpu / nf;
    // What a shard costs beyond its learners: start-up, sandbox set-up, the dependency check.
    let fixed = shards
        .iter()
        .map(|(c, l)| c.wall - *l as f64 * per_wall)
        .sum::<f64>()
        / f64::from(SHARDS);
    println!(
        "\nper learner: {per_wall:.2} s wall, {per_cpu:.2} CPU-s; largest process {:.0} MiB",
        single.max_rss_mib
    );
    println!(
        "{SHARDS} shards + aggregate vs one --class: CPU ×{:.2}, wall one after another ×{:.2}, wall side by side ×{:.2}; fixed cost per shard ≈ {fixed:.1} s",
        shard_cpu / single.cpu,
        shard_wall_seq / single.wall,
        shard_wall_par / single.wall
    );
    let k = 1000.0;
    println!(
        "\nprojections for 1,000 learners of this course (linear in learners; machine as loaded as now):"
    );
    println!(
        "  1 machine like this one ({cores} cores):           {:6.1} min",
        k * per_wall / 60.0
    );
    println!(
        "  20 Actions jobs (2 cores each, like this one): {:6.1} min (50 learners + {fixed:.0} s per job, then aggregate)",
        (50.0 * per_wall + fixed) / 60.0 + agg.wall * (k / nf) / 60.0
    );
    println!(
        "  a 64-core node, 32 shards of 2 cores:          {:6.1} min ({:.0} learners + {fixed:.0} s per shard; CPU alone would allow {:.1} min)",
        (k / 32.0 * per_wall + fixed) / 60.0,
        k / 32.0,
        k * per_cpu / 64.0 / 60.0
    );
}
