//! The plan value and its JSON form, which is part of the interface contract:
//! `{"format_version":1,"changes":[...],"summary":{...},"unmanaged":[...]}`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use ecrform_model::policy::AccessDelta;
use ecrform_model::{Address, RegistryId};

use crate::ApiCall;

/// The plan JSON format version.
pub const FORMAT_VERSION: u32 = 1;

/// What a change does to the object at its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Delete,
    /// Delete and create again: for settings that cannot change in place (encryption, names,
    /// creation-only fields).
    Replace,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Replace => "replace",
        }
    }
}

/// One planned change. A no-op is never a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub address: Address,
    pub action: Action,
    /// True for deletes and replaces (and anything else that loses data).
    pub destructive: bool,
    /// The fields that differ (for updates and replaces; every managed field for a create).
    pub fields: Vec<String>,
    /// For a change of a repository policy, the registry policy or a creation template's
    /// repository policy: who can do what after it that could not before, and who no longer
    /// can (see [`crate::access`]). Serialized before `before` and `after`: it is what a
    /// reviewer reads first. Planning computes it from `before` and `after`, so a saved
    /// plan does not read it back: planning again gives the same.
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub access: Option<AccessDelta>,
    /// Canonical live form, `null` when absent.
    pub before: Option<Value>,
    /// Canonical desired form, `null` when absent.
    pub after: Option<Value>,
    /// The ECR calls that apply this change, in order. Not part of the plan JSON contract;
    /// saved plan files carry them separately.
    #[serde(skip)]
    pub calls: Vec<ApiCall>,
    /// For a lifecycle policy change on a repository that exists: what the new policy would do
    /// to its images that the current one does not (see [`crate::preview`]). An extension of
    /// the plan JSON, left out when the images were not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_preview: Option<ImagePreview>,
    /// For a repository the change deletes or replaces: the images it holds, which go with it
    /// (read at plan time; see [`crate::preview`]). Left out when not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<HeldImages>,
    /// For a replace: why the object cannot be changed in place, in the words every renderer
    /// shows (`encryption AES256 -> KMS (arn:...)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replace_reason: Option<String>,
    /// For the create of a repository that an interrupted replace deleted: what of the old
    /// repository the create restores from the recovery record (`repository policy, tags`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restores: Option<String>,
    /// For the create of a policy document of a repository the plan replaces: the old
    /// repository held this very document, so the create writes it again unchanged (a replace
    /// creates a repository without policies). Renderers say so in one line instead of the
    /// whole document. Left out of the plan JSON when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recreated_unchanged: bool,
}

impl Change {
    /// A change with nothing learned about it yet beyond the diff. Deletes and replaces are
    /// destructive; anything else is until something shows it loses data (an image preview).
    pub fn new(
        address: Address,
        action: Action,
        fields: Vec<String>,
        before: Option<Value>,
        after: Option<Value>,
        calls: Vec<ApiCall>,
    ) -> Self {
        Change {
            address,
            action,
            destructive: matches!(action, Action::Delete | Action::Replace),
            fields,
            before,
            after,
            calls,
            image_preview: None,
            images: None,
            replace_reason: None,
            restores: None,
            recreated_unchanged: false,
            access: None,
        }
    }

    /// Why applying the change cannot succeed as planned, when ECR would refuse it: deleting
    /// a repository that still holds images without `force`.
    pub fn blocking_problem(&self) -> Option<String> {
        let images = self.images.as_ref()?;
        let unforced_delete = self
            .calls
            .iter()
            .any(|call| matches!(call, ApiCall::DeleteRepository { force: false, .. }));
        (images.count > 0 && unforced_delete).then(|| {
            format!(
                "holds {} and force_delete is not set",
                images.count_phrase()
            )
        })
    }
}

/// The images a repository holds, as DescribeImages lists them at plan time:
/// `{"count": 12, "bytes": 1503238553}` (`bytes` left out when unknown, as from a snapshot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldImages {
    pub count: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

impl HeldImages {
    /// `1 image`, `12 images`.
    pub fn count_phrase(&self) -> String {
        match self.count {
            1 => "1 image".to_owned(),
            n => format!("{n} images"),
        }
    }

    /// `holds 12 images, 1.4 GiB`; `holds no images`.
    pub fn holds_phrase(&self) -> String {
        if self.count == 0 {
            return "holds no images".to_owned();
        }
        match self.bytes {
            Some(bytes) => format!("holds {}, {}", self.count_phrase(), human_bytes(bytes)),
            None => format!("holds {}", self.count_phrase()),
        }
    }
}

/// Sizes as people read them: bytes in binary units with one decimal (`1.4 GiB`).
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// The images a lifecycle policy change would newly expire or archive, as read at plan time:
/// `{"images": N, "expire": N, "transition": N, "examples": ["v1.0", "sha256:abcd1234", ...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImagePreview {
    /// How many images the repository holds (every one was evaluated).
    pub images: usize,
    /// Expired by the new policy and not by the current one.
    pub expire: usize,
    /// Archived by the new policy and kept by the current one.
    pub transition: usize,
    /// The first few of those images, by tag (or a short digest for an untagged one).
    pub examples: Vec<String>,
}

impl ImagePreview {
    /// Whether the change would take any image out of standard storage or the repository.
    pub fn acts_on_images(&self) -> bool {
        self.expire + self.transition > 0
    }
}

/// Counts of changes per action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub delete: usize,
    pub replace: usize,
}

/// The plan: every change, in apply order, plus the objects that exist but are not managed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub changes: Vec<Change>,
    pub summary: Summary,
    pub unmanaged: Vec<Address>,
    /// Repositories outside the spec that another spec created (their ownership tag names
    /// another owner id): never pruned, and not unmanaged either. An extension of the plan
    /// JSON, left out when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owned_elsewhere: Vec<OwnedElsewhere>,
    /// The registries the plan covers, in plan order, changes or not (set by
    /// [`crate::plan`]): what a summary counts and groups by. An extension of the plan JSON
    /// (`["ACCOUNT/REGION", ...]`), left out when empty, as in a plan built by hand; renderers
    /// then use the registries its addresses name.
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "registry_list")]
    pub registries: Vec<RegistryId>,
}

/// Registries as the strings `--registry` takes, `ACCOUNT/REGION`.
mod registry_list {
    use ecrform_model::RegistryId;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        registries: &[RegistryId],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(registries.iter().map(ToString::to_string))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<RegistryId>, D::Error> {
        Vec::<String>::deserialize(deserializer)?
            .iter()
            .map(|raw| RegistryId::parse(raw).map_err(serde::de::Error::custom))
            .collect()
    }
}

/// A repository another spec owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedElsewhere {
    pub address: Address,
    /// The owner id its ownership tag names (`true`: a spec that declares none).
    pub owner: String,
}

impl Plan {
    /// Builds a plan, computing the summary from the changes.
    pub fn new(changes: Vec<Change>, unmanaged: Vec<Address>) -> Self {
        let mut summary = Summary::default();
        for change in &changes {
            match change.action {
                Action::Create => summary.create += 1,
                Action::Update => summary.update += 1,
                Action::Delete => summary.delete += 1,
                Action::Replace => summary.replace += 1,
            }
        }
        Plan {
            format_version: FORMAT_VERSION,
            changes,
            summary,
            unmanaged,
            owned_elsewhere: Vec::new(),
            registries: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The registries the plan covers: [`Plan::registries`] when the planner recorded them,
    /// otherwise every registry an address of the plan names, in ascending order.
    pub fn covered_registries(&self) -> Vec<RegistryId> {
        if !self.registries.is_empty() {
            return self.registries.clone();
        }
        let named: std::collections::BTreeSet<&RegistryId> = self
            .changes
            .iter()
            .map(|change| &change.address.registry)
            .chain(self.unmanaged.iter().map(|address| &address.registry))
            .chain(
                self.owned_elsewhere
                    .iter()
                    .map(|owned| &owned.address.registry),
            )
            .collect();
        named.into_iter().cloned().collect()
    }

    /// Every reason the plan must not be applied with what `allowed` permits, all at once (a
    /// user who passes one flag should not learn about the next gate on the next run). Apply
    /// writes nothing while any remains. A pure function of the plan: the gates of `apply
    /// FILE` are the gates `plan` showed.
    pub fn refusals(&self, allowed: &Allowed) -> Vec<Refusal> {
        let with = |action| -> Vec<Address> {
            self.changes
                .iter()
                .filter(|change| change.action == action)
                .map(|change| change.address.clone())
                .collect()
        };
        let mut refusals = Vec::new();
        let deletes = with(Action::Delete);
        if !deletes.is_empty() && !allowed.delete {
            refusals.push(Refusal::Deletes(deletes));
        }
        // A lifecycle change loses data through the images it expires, not through the
        // write: ECR acts on them within a day, and nothing brings an expired image back.
        let expiring: Vec<(Address, ImagePreview)> = self
            .changes
            .iter()
            .filter(|change| change.destructive && change.action != Action::Replace)
            .filter_map(|change| {
                let preview = change.image_preview.as_ref()?;
                preview
                    .acts_on_images()
                    .then(|| (change.address.clone(), preview.clone()))
            })
            .collect();
        if !expiring.is_empty() && !allowed.delete {
            refusals.push(Refusal::ExpiresImages(expiring));
        }
        let replaces = with(Action::Replace);
        if !replaces.is_empty() && !allowed.replace {
            refusals.push(Refusal::Replaces(replaces));
        }
        // No flag lifts this one: ECR itself would refuse the delete.
        let failing: Vec<(Address, String)> = self
            .changes
            .iter()
            .filter_map(|change| Some((change.address.clone(), change.blocking_problem()?)))
            .collect();
        if !failing.is_empty() {
            refusals.push(Refusal::WouldFail(failing));
        }
        refusals
    }
}

/// What apply's flags allow beyond creates and updates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Allowed {
    /// `--allow-delete`: deletes, and lifecycle changes that expire or archive images.
    pub delete: bool,
    /// `--allow-replace`: deleting a repository and creating it again.
    pub replace: bool,
}

/// Why apply must not run a plan as it stands (see [`Plan::refusals`]). Displayed as the one
/// line the user reads, naming what is refused and the flag that allows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    Deletes(Vec<Address>),
    /// Lifecycle policy changes that would expire or archive images the current policy keeps.
    ExpiresImages(Vec<(Address, ImagePreview)>),
    Replaces(Vec<Address>),
    /// Changes ECR would refuse: a delete or replace of a repository that holds images
    /// without `force_delete`. No flag allows these; the spec must say `force_delete`.
    WouldFail(Vec<(Address, String)>),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |addresses: &[Address]| {
            addresses
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Refusal::Deletes(addresses) => write!(
                f,
                "the plan deletes {}; pass --allow-delete to apply it",
                list(addresses)
            ),
            Refusal::ExpiresImages(changes) => {
                let each: Vec<String> = changes
                    .iter()
                    .map(|(address, preview)| {
                        let mut what = format!("would expire {} image(s)", preview.expire);
                        if preview.transition > 0 {
                            what.push_str(&format!(" and archive {}", preview.transition));
                        }
                        format!("the plan's lifecycle change on {address} {what}")
                    })
                    .collect();
                write!(f, "{}; pass --allow-delete to apply it", each.join("; "))
            }
            Refusal::Replaces(addresses) => write!(
                f,
                "the plan replaces {} (deleting and creating it again); pass --allow-replace to \
                 apply it",
                list(addresses)
            ),
            Refusal::WouldFail(problems) => {
                let each: Vec<String> = problems
                    .iter()
                    .map(|(address, problem)| format!("{address} would fail: {problem}"))
                    .collect();
                write!(
                    f,
                    "{}; set force_delete: true on the repository in the spec (for a pruned \
                     repository, prune: {{enabled: true, force_delete: true}} on its registry)",
                    each.join("; ")
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use ecrform_model::{RegistryWideKind, ResourceKind};
    use ecrform_testkit::fixtures::{self, REGISTRY, registry_id};

    use super::*;

    fn change(address: Address, action: Action, preview: Option<ImagePreview>) -> Change {
        let mut change = Change::new(address, action, Vec::new(), None, None, Vec::new());
        change.destructive |= preview.as_ref().is_some_and(ImagePreview::acts_on_images);
        change.image_preview = preview;
        change
    }

    fn repository(kind: ResourceKind, name: &str) -> Address {
        Address::repository(registry_id(REGISTRY), kind, fixtures::name(name))
    }

    fn expiring(expire: usize, transition: usize) -> ImagePreview {
        ImagePreview {
            images: 10,
            expire,
            transition,
            examples: Vec::new(),
        }
    }

    /// A plan with one of every gated kind of change, and one that needs no flag.
    fn gated() -> Plan {
        Plan::new(
            vec![
                change(
                    repository(ResourceKind::Repository, "new"),
                    Action::Create,
                    None,
                ),
                change(
                    repository(ResourceKind::Repository, "old"),
                    Action::Delete,
                    None,
                ),
                change(
                    Address::singleton(registry_id(REGISTRY), RegistryWideKind::RegistryPolicy),
                    Action::Delete,
                    None,
                ),
                change(
                    repository(ResourceKind::Repository, "kms"),
                    Action::Replace,
                    None,
                ),
                change(
                    repository(ResourceKind::LifecyclePolicy, "app"),
                    Action::Update,
                    Some(expiring(2, 1)),
                ),
                change(
                    repository(ResourceKind::LifecyclePolicy, "web"),
                    Action::Create,
                    Some(expiring(0, 0)),
                ),
            ],
            Vec::new(),
        )
    }

    #[test]
    fn every_gate_that_refuses_is_reported_at_once() {
        let lines: Vec<String> = gated()
            .refusals(&Allowed::default())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            lines,
            [
                "the plan deletes 123456789012/us-east-1/repository/old, \
                 123456789012/us-east-1/registry_policy; pass --allow-delete to apply it",
                "the plan's lifecycle change on 123456789012/us-east-1/lifecycle_policy/app \
                 would expire 2 image(s) and archive 1; pass --allow-delete to apply it",
                "the plan replaces 123456789012/us-east-1/repository/kms (deleting and creating \
                 it again); pass --allow-replace to apply it",
            ]
        );
    }

    #[test]
    fn each_flag_lifts_only_its_own_gates() {
        let cases = [
            (
                Allowed {
                    delete: true,
                    replace: false,
                },
                vec!["replaces"],
            ),
            (
                Allowed {
                    delete: false,
                    replace: true,
                },
                vec!["deletes", "expire"],
            ),
            (
                Allowed {
                    delete: true,
                    replace: true,
                },
                vec![],
            ),
        ];
        for (allowed, expected) in cases {
            let refusals: Vec<String> = gated()
                .refusals(&allowed)
                .iter()
                .map(ToString::to_string)
                .collect();
            assert_eq!(refusals.len(), expected.len(), "{allowed:?}: {refusals:?}");
            for (refusal, word) in refusals.iter().zip(expected) {
                assert!(refusal.contains(word), "{allowed:?}: {refusal}");
            }
        }
    }

    #[test]
    fn sizes_read_in_binary_units() {
        let cases = [
            (0, "0 B"),
            (1023, "1023 B"),
            (1024, "1.0 KiB"),
            (1_503_238_553, "1.4 GiB"),
            (5 * 1024_u64.pow(4), "5.0 TiB"),
        ];
        for (bytes, text) in cases {
            assert_eq!(human_bytes(bytes), text);
        }
        let one = HeldImages {
            count: 1,
            bytes: None,
        };
        assert_eq!(one.holds_phrase(), "holds 1 image");
    }

    #[test]
    fn creates_updates_and_previews_that_expire_nothing_need_no_flag() {
        let plan = Plan::new(
            vec![
                change(
                    repository(ResourceKind::Repository, "new"),
                    Action::Create,
                    None,
                ),
                change(
                    repository(ResourceKind::LifecyclePolicy, "web"),
                    Action::Update,
                    Some(expiring(0, 0)),
                ),
            ],
            Vec::new(),
        );
        assert!(plan.refusals(&Allowed::default()).is_empty());
    }
}
