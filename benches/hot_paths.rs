//! Criterion benchmarks of the engine's hot paths, on a generated population indexed once:
//! every normalizer, every comparator, scoring one query against 200 candidates, first-pass
//! candidate retrieval, building identities with their contact points, and a whole search.
//!
//! `cargo bench --bench hot_paths`; the population size is `SKIPTRACE_BENCH_PEOPLE` (default
//! 10,000 people, about 40,000 records). Results are recorded in BENCHMARKS.md.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use skiptrace::compare::{self, ComparisonVector};
use skiptrace::index::SkipIndex;
use skiptrace::ingest::index_files;
use skiptrace::input::{MappingOverrides, RecordReader};
use skiptrace::normalize::{self, Address, NormalizedRecord, PersonName};
use skiptrace::record::{Field, RawRecord};
use skiptrace::resolve::contact::{merge_contacts, OnFileContacts};
use skiptrace::resolve::identity::cluster;
use skiptrace::retrieve::{retrieve, DEFAULT_CANDIDATES};
use skiptrace::score::{Model, TermFrequencies};
use skiptrace::search::{Engine, Query, SearchOptions};
use skiptrace::synth::config::SynthConfig;
use skiptrace::synth::generate;

/// A generated, indexed population and the normalized returned-mail queries against it.
struct Fixture {
    _dir: tempfile::TempDir,
    engine: Engine,
    index: SkipIndex,
    queries: Vec<NormalizedRecord>,
    prepared_queries: Vec<Query>,
    raw_queries: Vec<RawRecord>,
}

fn read_rows(path: &Path) -> Vec<RawRecord> {
    RecordReader::open(path, &MappingOverrides::default())
        .expect("generated file opens")
        .map(|row| row.raw)
        .collect()
}

fn fixture() -> Fixture {
    let people = std::env::var("SKIPTRACE_BENCH_PEOPLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let config = SynthConfig {
        people,
        seed: 11,
        ..SynthConfig::default()
    };
    generate(&config, dir.path()).expect("synth");
    let index = SkipIndex::open_or_create(&dir.path().join("index")).expect("index");
    index_files(
        &index,
        &[&dir.path().join("records.csv")],
        &MappingOverrides::default(),
        skiptrace::ingest::IndexOptions::default(),
        &|_| {},
    )
    .expect("indexing");
    index.reload().expect("reload");
    let raw_queries = read_rows(&dir.path().join("returned_mail.csv"));
    let queries = raw_queries
        .iter()
        .map(|raw| NormalizedRecord::from_raw(raw).0)
        .collect();
    let prepared_queries = raw_queries.iter().map(Query::from_raw).collect();
    Fixture {
        _dir: dir,
        engine: Engine::new(index.clone(), Model::default_model()),
        index,
        queries,
        prepared_queries,
        raw_queries,
    }
}

/// Cycles through `items`, one per call, so a benchmark sees varied inputs.
fn cycle<'a, T>(items: &'a [T]) -> impl FnMut() -> &'a T {
    let mut next = 0;
    move || {
        let item = &items[next % items.len()];
        next += 1;
        item
    }
}

fn normalizers(c: &mut Criterion, f: &Fixture) {
    let mut group = c.benchmark_group("normalize");
    let raws = &f.raw_queries;
    let mut raw = cycle(raws);
    group.bench_function("name", |b| {
        b.iter(|| {
            let r = raw();
            PersonName::from_parts(
                r.get(Field::FirstName),
                r.get(Field::MiddleName),
                r.get(Field::LastName),
                r.get(Field::NameSuffix),
            )
        })
    });
    group.bench_function("dob", |b| {
        b.iter(|| normalize::parse_date(raw().get(Field::Dob)))
    });
    group.bench_function("ssn", |b| {
        b.iter(|| normalize::parse_ssn(raw().get(Field::Ssn)))
    });
    group.bench_function("address", |b| {
        b.iter(|| {
            let r = raw();
            Address::parse(
                r.get(Field::AddressLine1),
                r.get(Field::AddressLine2),
                r.get(Field::City),
                r.get(Field::State),
                r.get(Field::Zip),
            )
        })
    });
    group.bench_function("phone", |b| {
        b.iter(|| normalize::parse_phone(raw().get(Field::Phone)))
    });
    group.bench_function("email", |b| {
        b.iter(|| normalize::parse_email("Mary.O-Brien+bills@Example.COM"))
    });
    group.bench_function("whole_record", |b| {
        b.iter(|| NormalizedRecord::from_raw(raw()))
    });
    group.finish();
}

/// Pairs of a query and each of its retrieved candidates: the pairs the comparators see.
fn candidate_pairs(f: &Fixture) -> Vec<(NormalizedRecord, NormalizedRecord)> {
    let searcher = f.index.searcher();
    f.queries
        .iter()
        .take(50)
        .flat_map(|q| {
            retrieve(&f.index, &searcher, q, 20)
                .expect("retrieval")
                .into_iter()
                .map(|c| (q.clone(), *c.record))
        })
        .collect()
}

fn comparators(c: &mut Criterion, f: &Fixture) {
    let pairs = candidate_pairs(f);
    let mut group = c.benchmark_group("compare");
    let mut pair = cycle(&pairs);
    group.bench_function("first_name", |b| {
        b.iter(|| {
            let (q, r) = pair();
            compare::name::compare_first(&q.name, &r.name)
        })
    });
    group.bench_function("last_name", |b| {
        b.iter(|| {
            let (q, r) = pair();
            compare::name::compare_last(&q.name, &r.name)
        })
    });
    group.bench_function("given_names_compatible", |b| {
        b.iter(|| {
            let (q, r) = pair();
            compare::name::given_names_compatible(&q.name, &r.name)
        })
    });
    group.bench_function("dob", |b| {
        b.iter(|| {
            let (q, r) = pair();
            compare::dob::compare(q.dob.as_ref(), r.dob.as_ref())
        })
    });
    group.bench_function("ssn", |b| {
        b.iter(|| {
            let (q, r) = pair();
            compare::ssn::compare(q.ssn.as_ref(), r.ssn.as_ref())
        })
    });
    group.bench_function("address", |b| {
        b.iter(|| {
            let (q, r) = pair();
            compare::address::compare(q.address.as_ref(), r.address.as_ref())
        })
    });
    group.bench_function("phone", |b| {
        b.iter(|| {
            let (q, r) = pair();
            compare::contact::compare_exact(q.phone.as_deref(), r.phone.as_deref())
        })
    });
    group.bench_function("all_fields", |b| {
        b.iter(|| {
            let (q, r) = pair();
            ComparisonVector::between(q, r)
        })
    });
    group.finish();
}

fn scoring(c: &mut Criterion, f: &Fixture) {
    let searcher = f.index.searcher();
    let model = Model::default_model();
    // A query with a common surname, so that 200 candidates exist.
    let query = f
        .queries
        .iter()
        .find(|q| {
            retrieve(&f.index, &searcher, q, 200)
                .map(|c| c.len() == 200)
                .unwrap_or(false)
        })
        .expect("a query with 200 candidates");
    let candidates: Vec<NormalizedRecord> = retrieve(&f.index, &searcher, query, 200)
        .expect("retrieval")
        .into_iter()
        .map(|c| *c.record)
        .collect();
    let tf = TermFrequencies::default();
    c.bench_function("score/one_query_200_candidates", |b| {
        b.iter(|| {
            candidates
                .iter()
                .map(|r| model.match_weight(&ComparisonVector::between(query, r), &tf))
                .fold(f64::MIN, f64::max)
        })
    });
}

fn retrieval(c: &mut Criterion, f: &Fixture) {
    let searcher = f.index.searcher();
    let mut query = cycle(&f.queries);
    c.bench_function("retrieve/first_pass_100", |b| {
        b.iter(|| retrieve(&f.index, &searcher, query(), DEFAULT_CANDIDATES))
    });
}

fn identities(c: &mut Criterion, f: &Fixture) {
    let searcher = f.index.searcher();
    let model = Model::default_model();
    // The 40 best candidates of each of 50 queries: the set a search clusters.
    let sets: Vec<(OnFileContacts, Vec<NormalizedRecord>)> = f
        .queries
        .iter()
        .take(50)
        .map(|q| {
            let records = retrieve(&f.index, &searcher, q, 40)
                .expect("retrieval")
                .into_iter()
                .map(|c| *c.record)
                .collect();
            (OnFileContacts::of(q), records)
        })
        .collect();
    let mut set = cycle(&sets);
    c.bench_function("resolve/identities_with_contacts_40_records", |b| {
        b.iter_batched(
            &mut set,
            |(on_file, records)| {
                let refs: Vec<&NormalizedRecord> = records.iter().collect();
                let clusters = cluster(&refs, &model, &|_| TermFrequencies::default());
                clusters
                    .groups
                    .iter()
                    .map(|g| {
                        let members: Vec<&NormalizedRecord> = g.iter().map(|&i| refs[i]).collect();
                        merge_contacts(&members, on_file).points.len()
                    })
                    .sum::<usize>()
            },
            BatchSize::SmallInput,
        )
    });
}

fn search(c: &mut Criterion, f: &Fixture) {
    let options = SearchOptions::default();
    let mut query = cycle(&f.prepared_queries);
    c.bench_function("search/end_to_end", |b| {
        b.iter(|| black_box(f.engine.search(query(), &options)))
    });
}

fn benches(c: &mut Criterion) {
    let f = fixture();
    normalizers(c, &f);
    comparators(c, &f);
    scoring(c, &f);
    retrieval(c, &f);
    identities(c, &f);
    search(c, &f);
}

criterion_group! {
    name = hot_paths;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = benches
}
criterion_main!(hot_paths);
