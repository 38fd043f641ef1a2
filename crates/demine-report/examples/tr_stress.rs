//! How long `tr_message` takes on a message with N `"key": value` parts, each holding a `: `
//! (a measurement, not a test): `cargo run --release -p demine-report --example tr_stress -- N`.
//! Before each piece of a message was tried once, 16 parts took 0.86 s and each two more doubled
//! it; now 100 parts take milliseconds.
fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(12);
    let msg: String = (0..n).map(|i| format!("\"k{i}\": v{i}")).collect::<Vec<_>>().join(", ");
    let t0 = std::time::Instant::now();
    let out = demine_report::lang::tr_message(demine_report::lang::Lang::Uk, &msg);
    println!("{n} parts: {:.3} s ({} chars)", t0.elapsed().as_secs_f64(), out.len());
}
