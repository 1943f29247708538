//! Snapshot tests of the three renderings of one representative, hand-built plan, plus the
//! empty plan and colour handling. The drift report has its own tests (`drift.rs`).

// An integration test is not `cfg(test)`, so clippy's allow-unwrap-in-tests does not reach it.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use ecrform_model::Address;
use ecrform_plan::{Action, Change, ImagePreview, Plan};
use ecrform_render::{TextOptions, render_json, render_markdown, render_text};
use ecrform_testkit::fixtures::{LifecycleBuilder, REGISTRY};

fn change(
    action: Action,
    address: &str,
    fields: &[&str],
    before: Option<Value>,
    after: Option<Value>,
) -> Change {
    Change::new(
        Address::parse(&format!("{REGISTRY}/{address}")).unwrap(),
        action,
        fields.iter().map(|f| (*f).to_owned()).collect(),
        before,
        after,
        Vec::new(),
    )
}

/// A lifecycle document: expire untagged images after `untagged_days`, keep the
/// `keep_tagged` most recent release images.
fn lifecycle(untagged_days: u32, keep_tagged: u32) -> Value {
    LifecycleBuilder::new()
        .expire_untagged_after(untagged_days)
        .keep_tagged(keep_tagged, &["release", "v"])
        .document()
}

/// A create, an update of tags and mutability, a multi-line policy update, a policy delete,
/// a replace, and an unmanaged repository.
fn representative_plan() -> Plan {
    let changes = vec![
        change(
            Action::Create,
            "repository/team-a/api",
            &["image_tag_mutability", "scan_on_push", "tags"],
            None,
            Some(json!({
                "image_tag_mutability": "IMMUTABLE",
                "scan_on_push": true,
                "tags": {"ecrform:managed": "true", "team": "a"}
            })),
        ),
        change(
            Action::Update,
            "repository/team-b/web",
            &[
                "image_tag_mutability",
                "image_tag_mutability_exclusions",
                "tags",
            ],
            Some(json!({
                "image_tag_mutability": "MUTABLE",
                "image_tag_mutability_exclusions": [],
                "scan_on_push": true,
                "tags": {"env": "prod", "owner": "someone", "team": "b"}
            })),
            Some(json!({
                "image_tag_mutability": "IMMUTABLE_WITH_EXCLUSION",
                "image_tag_mutability_exclusions": ["dev-*", "latest"],
                "scan_on_push": true,
                "tags": {"cost-center": "42", "env": "staging", "team": "b"}
            })),
        ),
        change(
            Action::Update,
            "lifecycle_policy/team-b/web",
            &["document"],
            Some(lifecycle(14, 30)),
            Some(lifecycle(7, 50)),
        ),
        change(
            Action::Delete,
            "repository_policy/team-b/web",
            &["document"],
            Some(json!({
                "Statement": [{"Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                               "Effect": "Allow",
                               "Principal": {"AWS": ["arn:aws:iam::210987654321:root"]},
                               "Sid": "pull"}],
                "Version": "2012-10-17"
            })),
            None,
        ),
        change(
            Action::Replace,
            "repository/team-c/worker",
            &["encryption"],
            Some(json!({"encryption": {"type": "AES256"}, "tags": {"team": "c"}})),
            Some(json!({
                "encryption": {"kms_key": "alias/ecr", "type": "KMS"},
                "tags": {"ecrform:managed": "true", "team": "c"}
            })),
        ),
    ];
    let unmanaged = vec![Address::parse(&format!("{REGISTRY}/repository/legacy/thing")).unwrap()];
    Plan::new(changes, unmanaged)
}

#[test]
fn text_rendering_of_a_representative_plan() {
    insta::assert_snapshot!(render_text(
        &representative_plan(),
        &TextOptions { color: false }
    ));
}

#[test]
fn markdown_rendering_of_a_representative_plan() {
    insta::assert_snapshot!(render_markdown(&representative_plan()));
}

#[test]
fn json_rendering_of_a_representative_plan() {
    insta::assert_snapshot!(render_json(&representative_plan()));
}

#[test]
fn json_rendering_round_trips_to_the_same_plan() {
    let plan = representative_plan();
    let text = render_json(&plan);
    assert!(text.ends_with("}\n"));
    let parsed: Plan = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed, plan);
}

#[test]
fn colour_codes_appear_only_when_asked_for() {
    let plan = representative_plan();
    let plain = render_text(&plan, &TextOptions { color: false });
    let coloured = render_text(&plan, &TextOptions { color: true });
    assert!(!plain.contains('\x1b'), "{plain}");
    for code in ["\x1b[32m", "\x1b[33m", "\x1b[31m", "\x1b[0m"] {
        assert!(coloured.contains(code), "{code:?} missing from {coloured}");
    }
    let stripped = coloured
        .replace("\x1b[32m", "")
        .replace("\x1b[33m", "")
        .replace("\x1b[31m", "")
        .replace("\x1b[36m", "")
        .replace("\x1b[1m", "")
        .replace("\x1b[0m", "");
    assert_eq!(stripped, plain, "colour changes nothing but the colour");
    assert!(!render_markdown(&plan).contains('\x1b'));
}

#[test]
fn the_last_text_line_is_the_summary() {
    let text = render_text(&representative_plan(), &TextOptions { color: true });
    assert_eq!(
        text.lines().last(),
        Some("Plan: 1 to create, 2 to update, 1 to replace, 1 to delete.")
    );
}

#[test]
fn an_empty_plan_says_so_and_still_lists_unmanaged_objects() {
    let empty = Plan::new(Vec::new(), Vec::new());
    assert_eq!(
        render_text(&empty, &TextOptions { color: true }),
        "No changes. Live state matches the spec.\n"
    );
    insta::assert_snapshot!("empty_markdown", render_markdown(&empty));

    let unmanaged = Plan::new(
        Vec::new(),
        vec![Address::parse(&format!("{REGISTRY}/repository/legacy/thing")).unwrap()],
    );
    insta::assert_snapshot!(
        "empty_with_unmanaged_text",
        render_text(&unmanaged, &TextOptions::default())
    );
    insta::assert_snapshot!("empty_with_unmanaged_markdown", render_markdown(&unmanaged));
}

/// Repositories another spec created are listed as that spec's, after the unmanaged ones,
/// and are neither changes nor drift.
#[test]
fn repositories_another_spec_owns_are_listed_with_their_owner() {
    let mut plan = Plan::new(
        Vec::new(),
        vec![Address::parse(&format!("{REGISTRY}/repository/legacy/thing")).unwrap()],
    );
    plan.owned_elsewhere = vec![
        ecrform_plan::OwnedElsewhere {
            address: Address::parse(&format!("{REGISTRY}/repository/team-b/api")).unwrap(),
            owner: "team-b".to_owned(),
        },
        ecrform_plan::OwnedElsewhere {
            address: Address::parse(&format!("{REGISTRY}/repository/old/tool")).unwrap(),
            owner: "true".to_owned(),
        },
    ];
    insta::assert_snapshot!(
        "owned_elsewhere_text",
        render_text(&plan, &TextOptions::default())
    );
    insta::assert_snapshot!("owned_elsewhere_markdown", render_markdown(&plan));
    let json: Value = serde_json::from_str(&render_json(&plan)).unwrap();
    assert_eq!(
        json["owned_elsewhere"][0],
        json!({"address": format!("{REGISTRY}/repository/team-b/api"), "owner": "team-b"})
    );
}

#[test]
fn destructive_changes_are_named_first_with_why_and_only_when_there_are_some() {
    let mut plan = representative_plan();
    let markdown = render_markdown(&plan);
    let destructive = markdown
        .split("**Destructive changes** (2):\n\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no destructive section: {markdown}"));
    let before_groups = destructive.split("### ").next().unwrap();
    assert_eq!(
        before_groups.trim_end(),
        format!(
            "- `-` delete `{REGISTRY}/repository_policy/team-b/web`: `deletes the repository \
             policy`\n- `-/+` replace `{REGISTRY}/repository/team-c/worker`: `deletes it and \
             creates it again; its images were not read`"
        )
    );
    let text = render_text(&plan, &TextOptions::default());
    assert!(
        text.contains(&format!(
            "Destructive changes (2):\n  - delete {REGISTRY}/repository_policy/team-b/web: \
             deletes the repository policy\n"
        )),
        "{text}"
    );
    plan.changes.retain(|change| !change.destructive);
    let plan = Plan::new(plan.changes, plan.unmanaged);
    assert!(!render_markdown(&plan).contains("Destructive"));
    assert!(!render_text(&plan, &TextOptions::default()).contains("Destructive"));
}

#[test]
fn the_first_line_is_the_summary_a_reviewer_acts_on() {
    let plan = representative_plan();
    let markdown = render_markdown(&plan);
    assert_eq!(
        markdown.lines().next(),
        Some(
            "**ecrform plan** — 1 to create, 2 to update, 1 to replace, 1 to delete · registries: 1"
        )
    );
    let text = render_text(&plan, &TextOptions::default());
    assert_eq!(
        text.lines().next(),
        Some("ecrform plan — 1 to create, 2 to update, 1 to replace, 1 to delete · registries: 1")
    );
}

/// A lifecycle update that expires two images the current policy keeps.
fn expiring_plan() -> Plan {
    let mut update = change(
        Action::Update,
        "lifecycle_policy/team-a/api",
        &["document"],
        Some(lifecycle(14, 3)),
        Some(lifecycle(14, 1)),
    );
    update.destructive = true;
    update.image_preview = Some(ImagePreview {
        images: 7,
        expire: 2,
        transition: 0,
        examples: vec!["v1.0".to_owned(), "sha256:abcd1234".to_owned()],
    });
    Plan::new(vec![update], Vec::new())
}

#[test]
fn a_lifecycle_change_that_expires_images_says_so_under_its_header() {
    let text = render_text(&expiring_plan(), &TextOptions::default());
    let lines: Vec<&str> = text.lines().collect();
    let header = lines
        .iter()
        .position(|line| line.starts_with("~ update "))
        .unwrap();
    assert_eq!(
        lines[header..header + 2],
        [
            "~ update 123456789012/us-east-1/lifecycle_policy/team-a/api",
            "    ! would expire 2 image(s) and archive 0 that the current policy keeps (of 7 read): \
             v1.0, sha256:abcd1234",
        ]
    );
}

#[test]
fn markdown_names_a_lifecycle_change_that_expires_images_among_the_destructive_ones() {
    let markdown = render_markdown(&expiring_plan());
    assert!(
        markdown.contains(&format!(
            "- `~` update `{REGISTRY}/lifecycle_policy/team-a/api`: `expires 2 of 7 images: \
             v1.0, sha256:abcd1234`\n"
        )),
        "{markdown}"
    );
    let details = markdown.split("<details open>").nth(1).unwrap();
    assert!(
        details.contains(
            "! would expire 2 image(s) and archive 0 that the current policy keeps (of 7 read): \
             v1.0, sha256:abcd1234\n\n```diff"
        ),
        "{markdown}"
    );
}

#[test]
fn json_carries_the_image_preview_and_leaves_it_out_when_not_read() {
    let json: Value = serde_json::from_str(&render_json(&expiring_plan())).unwrap();
    assert_eq!(
        json["changes"][0]["image_preview"],
        json!({"images": 7, "expire": 2, "transition": 0, "examples": ["v1.0", "sha256:abcd1234"]})
    );
    assert_eq!(json["changes"][0]["destructive"], json!(true));
    let plain: Value = serde_json::from_str(&render_json(&representative_plan())).unwrap();
    assert!(
        plain["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|change| change.get("image_preview").is_none())
    );
}

/// A plan that destroys things: a pruned repository that holds images without force_delete
/// (ECR would refuse), one that may go with its images, and a replace for its encryption.
fn destroying_plan() -> Plan {
    let mut blocked = change(
        Action::Delete,
        "repository/team-b/legacy",
        &["image_tag_mutability", "tags"],
        Some(json!({"image_tag_mutability": "MUTABLE", "tags": {"ecrform:managed": "true"}})),
        None,
    );
    blocked.calls = vec![ecrform_plan::ApiCall::DeleteRepository {
        repository: ecrform_model::RepositoryName::parse("team-b/legacy").unwrap(),
        force: false,
    }];
    blocked.images = Some(ecrform_plan::HeldImages {
        count: 12,
        bytes: Some(1_503_238_553),
    });
    let mut forced = change(
        Action::Delete,
        "repository/team-b/scratch",
        &["tags"],
        Some(json!({"tags": {"ecrform:managed": "true"}})),
        None,
    );
    forced.calls = vec![ecrform_plan::ApiCall::DeleteRepository {
        repository: ecrform_model::RepositoryName::parse("team-b/scratch").unwrap(),
        force: true,
    }];
    forced.images = Some(ecrform_plan::HeldImages {
        count: 1,
        bytes: None,
    });
    let mut replaced = change(
        Action::Replace,
        "repository/team-a/secure",
        &["encryption"],
        Some(json!({"encryption": {"type": "AES256"}})),
        Some(
            json!({"encryption": {"type": "KMS", "kms_key": "arn:aws:kms:us-east-1:123456789012:key/1234abcd"}}),
        ),
    );
    replaced.replace_reason = Some(
        "encryption AES256 -> KMS (arn:aws:kms:us-east-1:123456789012:key/1234abcd)".to_owned(),
    );
    replaced.images = Some(ecrform_plan::HeldImages {
        count: 0,
        bytes: Some(0),
    });
    Plan::new(vec![replaced, blocked, forced], Vec::new())
}

#[test]
fn deletes_and_replaces_say_what_they_destroy_and_why_in_every_format() {
    let plan = destroying_plan();
    insta::assert_snapshot!(
        "destroying_plan_text",
        render_text(&plan, &TextOptions { color: false })
    );
    insta::assert_snapshot!("destroying_plan_markdown", render_markdown(&plan));
    insta::assert_snapshot!("destroying_plan_json", render_json(&plan));
}
