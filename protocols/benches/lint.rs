//! The linter on a hostile protocol: 10,000 questions, each breaking a rule,
//! so 10,000 findings, each located on its line. Measured beside the raw
//! ceiling of the same run: reading the same TOML (`parse_protocol`), which
//! any linting must do first. Time must grow linearly with the findings.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use fieldkit_protocols::lint::{lint, Locator};
use fieldkit_protocols::parse_protocol;

/// The shipped child template plus `n` questions whose purpose names no
/// research question (one R16 error each), written as `[[sections.questions]]`.
fn hostile(n: usize) -> String {
    let mut source = fieldkit_protocols::library::demo_source("child-rapid-assessment.toml");
    source.push_str("\n[[sections]]\nid = \"flood\"\ntitle = { en = \"Flood\", fr = \"Crue\" }\n");
    for i in 0..n {
        source.push_str(&format!(
            "\n[[sections.questions]]\nid = \"q{i}\"\ntext = {{ en = \"How many days did you work last week?\", fr = \"Combien de jours as-tu travaillé la semaine dernière ?\" }}\nkind = \"integer\"\npurpose = \"nowhere\"\n"
        ));
    }
    source
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("lint");
    group.sample_size(10);
    for n in [1_000, 10_000] {
        let source = hostile(n);
        let protocol = parse_protocol("hostile.toml", &source).unwrap();
        let found = lint(&protocol).len();
        assert!(found >= n, "{found} findings for {n} questions");
        group.bench_with_input(BenchmarkId::new("ceiling: parse", n), &source, |b, s| {
            b.iter(|| parse_protocol("hostile.toml", s).unwrap());
        });
        group.bench_with_input(
            BenchmarkId::new("lint and locate every finding", n),
            &source,
            |b, s| {
                b.iter(|| {
                    let locator = Locator::new(s);
                    lint(&protocol)
                        .iter()
                        .filter_map(|f| locator.line(&f.location))
                        .count()
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
