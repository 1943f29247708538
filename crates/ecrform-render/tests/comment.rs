//! The pull request comment under its size budget: plans of 500 and 5,000 repositories (the
//! sizes that made comments GitHub refuses) come out under the budget as valid Markdown, and
//! every step of shortening a small plan is snapshot-tested as a reviewer reads it.

// An integration test is not `cfg(test)`, so clippy's allow-unwrap-in-tests does not reach it.
#![allow(clippy::unwrap_used)]

use serde_json::json;

use ecrform_model::{
    DesiredState, RegistryState, RepositoryState, ScanFrequency, ScanType, TagMutability,
};
use ecrform_plan::{HeldImages, ImagePreview, Plan};
use ecrform_render::{
    CommentKey, CommentOptions, DEFAULT_MAX_COMMENT_CHARS, render_markdown, render_plan_comment,
};
use ecrform_testkit::fixtures::{
    ACCOUNT, DesiredBuilder, LifecycleBuilder, OTHER_ACCOUNT, RegistryBuilder, RepositoryBuilder,
    expire_untagged_after, iam_policy, lifecycle_policy, registry_in, scanning,
};

/// A pull policy for `principals`, with the push statement every repository has: a document
/// of a realistic length.
fn pull_policy(principals: &[&str]) -> ecrform_model::IamPolicy {
    iam_policy(json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "CiPush", "Effect": "Allow",
             "Principal": {"AWS": "arn:aws:iam::123456789012:role/ci"},
             "Action": ["ecr:BatchCheckLayerAvailability", "ecr:CompleteLayerUpload",
                        "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"]},
            {"Sid": "CrossAccountPull", "Effect": "Allow",
             "Principal": {"AWS": principals},
             "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage",
                        "ecr:GetDownloadUrlForLayer"]}
        ]
    }))
}

fn release_lifecycle() -> ecrform_model::LifecyclePolicy {
    LifecycleBuilder::new()
        .expire_untagged_after(7)
        .keep_tagged(30, &["v", "release"])
        .build()
}

fn repository(team: usize, env: &str, principals: &[&str]) -> RepositoryState {
    let team = format!("team-{team:03}");
    RepositoryBuilder::new()
        .mutability(TagMutability::Immutable)
        .no_exclusions()
        .scan_on_push(true)
        .tags([("team", team.as_str()), ("env", env)])
        .lifecycle_policy(release_lifecycle())
        .repository_policy(pull_policy(principals))
        .build()
}

fn owned_live(mut state: RepositoryState) -> RepositoryState {
    state
        .tags
        .get_or_insert_with(Default::default)
        .insert("ecrform:managed".to_owned(), "true".to_owned());
    state
}

/// `count` repositories spread over two accounts' registries, named `team-NNN/service-NNNN`.
fn names(count: usize) -> Vec<(String, usize)> {
    (0..count)
        .map(|index| {
            (
                format!("team-{:03}/service-{index:04}", index % 100),
                index % 100,
            )
        })
        .collect()
}

fn registries(
    count: usize,
    repository: impl Fn(usize) -> Option<RepositoryState>,
) -> [RegistryState; 2] {
    let names = names(count);
    [ACCOUNT, OTHER_ACCOUNT].map(|account| {
        let half = names
            .iter()
            .enumerate()
            .filter(|(index, _)| (index % 2 == 0) == (account == ACCOUNT))
            .filter_map(|(_, (name, team))| Some((name.as_str(), repository(*team)?)))
            .collect::<Vec<_>>();
        RegistryBuilder::new(registry_in(account))
            .repositories(half)
            .build()
    })
}

fn desired(registries: [RegistryState; 2], prune: bool) -> DesiredState {
    let [first, second] = registries;
    DesiredBuilder::new()
        .registry(first)
        .prune(prune)
        .registry(second)
        .prune(prune)
        .build()
}

/// The pull request of the report: a policy principal and a tag changed on every repository.
fn principal_and_tag_changed(count: usize) -> Plan {
    let spec = desired(
        registries(count, |team| {
            Some(repository(team, "prod", &["210987654321", "345678901234"]))
        }),
        false,
    );
    let live = registries(count, |team| {
        Some(owned_live(repository(team, "staging", &["210987654321"])))
    });
    ecrform_plan::plan(&spec, &live)
}

/// A first apply: every repository created with its lifecycle and repository policy.
fn first_apply(count: usize) -> Plan {
    let spec = desired(
        registries(count, |team| {
            Some(repository(team, "prod", &["210987654321"]))
        }),
        false,
    );
    let live =
        [ACCOUNT, OTHER_ACCOUNT].map(|account| RegistryBuilder::new(registry_in(account)).build());
    ecrform_plan::plan(&spec, &live)
}

/// Every repository left the spec of a pruning registry: as many destructive changes.
fn everything_pruned(count: usize) -> Plan {
    let spec = desired(registries(0, |_| None), true);
    let live = registries(count, |team| {
        Some(owned_live(repository(team, "prod", &["210987654321"])))
    });
    let mut plan = ecrform_plan::plan(&spec, &live);
    for change in &mut plan.changes {
        change.images = Some(HeldImages {
            count: 3,
            bytes: Some(3 * 1024 * 1024 * 1024),
        });
    }
    plan
}

/// Markdown whose fences and folded blocks are whole: every fence that opens closes with a
/// fence at least as long, and `<details>` and `<summary>` are balanced and never open inside
/// a code block.
fn assert_balanced(markdown: &str) {
    let mut fence: Option<usize> = None;
    let mut details = 0_i64;
    for (number, line) in markdown.lines().enumerate() {
        let ticks = line.chars().take_while(|c| *c == '`').count();
        match fence {
            Some(open) if ticks >= open && line[ticks..].trim().is_empty() => fence = None,
            Some(_) => continue,
            None if ticks >= 3 => fence = Some(ticks),
            None => {
                details += i64::try_from(line.matches("<details").count()).unwrap();
                details -= i64::try_from(line.matches("</details>").count()).unwrap();
                assert!(
                    details >= 0,
                    "line {}: </details> without <details>",
                    number + 1
                );
                assert_eq!(
                    line.matches("<summary>").count(),
                    line.matches("</summary>").count(),
                    "line {}: {line}",
                    number + 1
                );
            }
        }
    }
    assert_eq!(fence, None, "a code block is left open");
    assert_eq!(details, 0, "a <details> is left open");
}

/// A scenario's plan for a number of repositories.
type PlanOfSize = fn(usize) -> Plan;

fn comment_options() -> CommentOptions {
    CommentOptions {
        key: Some(CommentKey::derived("ecr.yaml", &[])),
        ..CommentOptions::default()
    }
}

#[test]
fn large_plans_fit_the_comment_budget_as_valid_markdown() {
    let scenarios: [(&str, PlanOfSize); 3] = [
        ("a principal and a tag changed", principal_and_tag_changed),
        ("first apply", first_apply),
        ("every repository pruned", everything_pruned),
    ];
    for count in [500, 5_000] {
        for (scenario, make) in scenarios {
            let plan = make(count);
            assert!(!plan.is_empty());
            let full = render_markdown(&plan);
            let comment = render_plan_comment(&plan, &comment_options());
            eprintln!(
                "{count} repositories, {scenario}: {} changes; full Markdown {} characters, \
                 comment {} characters",
                plan.changes.len(),
                full.chars().count(),
                comment.chars
            );
            keep_for_review(
                &format!("{count}-{}.md", scenario.replace(' ', "-")),
                &comment.text,
            );
            assert!(comment.fits, "{count}, {scenario}");
            assert!(
                comment.shortened,
                "{count}, {scenario}: the full plan cannot fit"
            );
            assert!(
                comment.chars <= DEFAULT_MAX_COMMENT_CHARS,
                "{count}, {scenario}: {} characters",
                comment.chars
            );
            assert_eq!(comment.chars, comment.text.chars().count());
            assert_balanced(&comment.text);
            assert_balanced(&full);
            let mut lines = comment.text.lines();
            assert_eq!(lines.next(), Some("<!-- ecrform:plan key=ecr.yaml -->"));
            assert!(
                lines.next().unwrap().starts_with("**ecrform plan** — "),
                "{count}, {scenario}"
            );
            assert!(
                comment
                    .text
                    .lines()
                    .last()
                    .unwrap()
                    .starts_with("_Shortened to fit 65,000 characters: "),
                "{count}, {scenario}"
            );
            let destructive = plan.changes.iter().filter(|c| c.destructive).count();
            // A plan without destructive changes never speaks of them.
            if destructive == 0 {
                assert!(
                    !comment.text.to_lowercase().contains("destructive change"),
                    "{count}, {scenario}"
                );
            }
            if destructive > 0 {
                assert!(
                    comment.text.contains(&format!(
                        "**Destructive changes** ({}):",
                        ecrform_thousands(destructive)
                    )),
                    "{count}, {scenario}"
                );
            }
        }
    }
}

fn ecrform_thousands(number: usize) -> String {
    let digits = number.to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// Writes a comment where a reviewer can read it, when `ECRFORM_COMMENT_DIR` says where.
fn keep_for_review(name: &str, text: &str) {
    if let Some(dir) = std::env::var_os("ECRFORM_COMMENT_DIR") {
        std::fs::write(std::path::Path::new(&dir).join(name), text).unwrap();
    }
}

#[test]
fn five_hundred_repositories_keep_one_line_each_and_every_destructive_change_is_named() {
    let plan = principal_and_tag_changed(500);
    let comment = render_plan_comment(&plan, &comment_options());
    for index in [0, 1, 250, 499] {
        let (name, _) = &names(500)[index];
        assert!(
            comment.text.contains(&format!(
                "- `{name}`: update repository (tags) · update repository policy\n"
            )),
            "{name} is not listed in one line"
        );
    }
    let pruned = everything_pruned(500);
    let comment = render_plan_comment(&pruned, &comment_options());
    assert!(comment.fits);
    for change in &pruned.changes {
        assert!(
            comment.text.contains(&format!("`{}`", change.address)),
            "{} is not named",
            change.address
        );
    }
}

#[test]
fn a_destructive_list_too_long_for_the_budget_is_cut_with_a_count_of_the_rest() {
    let plan = everything_pruned(5_000);
    let comment = render_plan_comment(&plan, &comment_options());
    assert!(comment.fits && comment.chars <= DEFAULT_MAX_COMMENT_CHARS);
    let named = comment.text.matches("\n- `-` `").count();
    assert!(named > 100, "{named} named");
    assert!(
        comment.text.contains(&format!(
            "- ... and {} more destructive changes, listed in the text output\n",
            ecrform_thousands(5_000 - named)
        )),
        "{}",
        &comment.text[comment.text.len() - 2_000..]
    );
    assert!(comment.text.contains(&format!(
        "{} of the 5,000 destructive changes not named",
        ecrform_thousands(5_000 - named)
    )));
}

/// A small plan with something at every level of detail: repositories updated and created
/// with long policy documents, a lifecycle change that expires images, a pruned repository,
/// a registry-wide change, and unmanaged repositories.
fn small_plan() -> Plan {
    let spec = DesiredBuilder::new()
        .registry(
            RegistryBuilder::new(registry_in(ACCOUNT))
                .repository(
                    "team-a/api",
                    repository(1, "prod", &["210987654321", "345678901234"]),
                )
                .repository("team-a/web", repository(1, "prod", &["210987654321"]))
                .repository(
                    "team-b/batch",
                    RepositoryBuilder::new().lifecycle_policy(lifecycle_policy(json!({"rules": [
                        {"rulePriority": 1, "selection": {"tagStatus": "any",
                         "countType": "imageCountMoreThan", "countNumber": 5},
                         "action": {"type": "expire"}}]}))),
                ),
        )
        .prune(true)
        .registry(
            RegistryBuilder::new(registry_in(OTHER_ACCOUNT))
                .scanning(scanning(
                    ScanType::Enhanced,
                    &[(ScanFrequency::ContinuousScan, &["team-c/*"])],
                ))
                .repository(
                    "team-c/jobs",
                    RepositoryBuilder::new().mutability(TagMutability::Immutable),
                ),
        )
        .build();
    let live = [
        RegistryBuilder::new(registry_in(ACCOUNT))
            .repository(
                "team-a/api",
                owned_live(repository(1, "staging", &["210987654321"])),
            )
            .repository(
                "team-b/batch",
                RepositoryBuilder::new()
                    .lifecycle_policy(expire_untagged_after(14))
                    .owned(),
            )
            .repository(
                "team-b/old",
                owned_live(repository(2, "prod", &["210987654321"])),
            )
            .repository("legacy/thing", RepositoryBuilder::new())
            .build(),
        RegistryBuilder::new(registry_in(OTHER_ACCOUNT))
            .scanning(scanning(ScanType::Basic, &[]))
            .repository(
                "team-c/jobs",
                RepositoryBuilder::new()
                    .mutability(TagMutability::Mutable)
                    .owned(),
            )
            .build(),
    ];
    let mut plan = ecrform_plan::plan(&spec, &live);
    for change in &mut plan.changes {
        let address = change.address.to_string();
        if address.ends_with("repository/team-b/old") {
            change.images = Some(HeldImages {
                count: 3,
                bytes: Some(734_003_200),
            });
        }
        if address.ends_with("lifecycle_policy/team-b/batch") {
            change.destructive = true;
            change.image_preview = Some(ImagePreview {
                images: 12,
                expire: 7,
                transition: 0,
                examples: ["v1.1", "v1.2", "v1.3", "v1.4", "v1.5"]
                    .map(str::to_owned)
                    .to_vec(),
            });
        }
    }
    plan
}

/// Every distinct comment of the small plan, from the full one down, as the budget shrinks
/// to the smallest allowed.
#[test]
fn each_step_of_shortening_is_visible_in_the_comment() {
    let plan = small_plan();
    let options = |max_chars| CommentOptions {
        key: Some(CommentKey::parse("ecr.yaml").unwrap()),
        max_chars: Some(max_chars),
        saved_plan: Some("plan.json".to_owned()),
        guardrails: None,
    };
    let full = render_plan_comment(&plan, &options(usize::MAX));
    assert!(!full.shortened);
    let mut steps = vec![full.text.clone()];
    // Each budget just under the last comment's size forces the next step down, until not
    // even the summary fits. A step is a comment that differs in more than its last line,
    // which names the budget.
    let without_last_line = |text: &str| {
        text.trim_end()
            .rsplit_once('\n')
            .map(|(rest, _)| rest.to_owned())
    };
    loop {
        let budget = steps.last().unwrap().chars().count() - 1;
        let comment = render_plan_comment(&plan, &options(budget));
        if !comment.fits {
            assert!(
                comment
                    .text
                    .starts_with("<!-- ecrform:plan key=ecr.yaml -->\n**ecrform plan** — ")
            );
            break;
        }
        assert!(comment.chars <= budget);
        assert_balanced(&comment.text);
        if without_last_line(steps.last().unwrap()) != without_last_line(&comment.text) {
            steps.push(comment.text);
        } else {
            *steps.last_mut().unwrap() = comment.text;
        }
    }
    assert!(steps.len() >= 4, "{} steps", steps.len());
    for (step, text) in steps.iter().enumerate() {
        insta::assert_snapshot!(format!("shortening_step_{step}"), text);
    }
}
