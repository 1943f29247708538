//! The access classes: what a reviewer asks of a policy ("who can pull?"), each defined once
//! as the ECR actions it is made of.
//!
//! Which actions make up pull and push follows the ECR user guide ("IAM permissions for
//! pulling an image", "... for pushing an image": `docker pull` calls BatchGetImage for the
//! manifest and GetDownloadUrlForLayer for each layer; `docker push` checks layers with
//! BatchCheckLayerAvailability, uploads them with InitiateLayerUpload, UploadLayerPart and
//! CompleteLayerUpload, and writes the manifest with PutImage). The other classes group the
//! rest of the Service Authorization Reference's ECR actions by what they let a caller do,
//! so that every action a policy can grant lands in a class and none goes unreported.

use serde::Serialize;

/// What a policy can let a principal do with a repository or a registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessClass {
    /// Read images: BatchGetImage and GetDownloadUrlForLayer (BatchCheckLayerAvailability
    /// belongs here too, without being needed).
    Pull,
    /// Write images: BatchCheckLayerAvailability, InitiateLayerUpload, UploadLayerPart,
    /// CompleteLayerUpload and PutImage, every one needed.
    Push,
    /// BatchDeleteImage.
    DeleteImages,
    /// Change what a repository (or the registry) is: its policies, lifecycle policy, tag
    /// mutability, scanning, tags, the storage class of its images, deleting it; in a registry
    /// policy also the registry's settings.
    Manage,
    /// Read what a repository (or the registry) holds without its images: describe and list
    /// images and repositories, read policies, scan findings, tags.
    Read,
    /// ReplicateImage: replicate images into the registry (registry policies).
    Replicate,
    /// CreateRepository: create repositories in the registry, as replication and pull-through
    /// cache do when the repository does not exist yet (registry policies).
    CreateRepositories,
    /// BatchImportUpstreamImage: fill a pull-through cache from its upstream registry.
    ImportUpstream,
}

/// What a policy governs: one repository, or the registry (a registry policy's grants reach
/// every repository of the registry its resources name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IamPolicyKind {
    Repository,
    Registry,
}

/// How a class's actions add up to the class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Needs {
    /// The class works only with every one of these actions (pull, push); having some of them
    /// is a part of the class, not the class.
    All(&'static [&'static str]),
    /// Each action is a power of its own (manage, read, ...): the class is whichever of its
    /// actions are granted, all of them or some.
    Each,
}

/// One class, once: its names and its actions.
#[derive(Debug)]
pub(crate) struct ClassDefinition {
    pub class: AccessClass,
    /// As JSON and `--format json` name it.
    pub name: &'static str,
    /// As a sentence says it: `X can {phrase}`.
    pub phrase: &'static str,
    pub needs: Needs,
    /// The actions that act on a repository: a repository policy can grant these, and so can
    /// a registry policy (for the repositories its resources name).
    pub repository_actions: &'static [&'static str],
    /// The actions that act on the registry itself: only a registry policy grants these.
    pub registry_actions: &'static [&'static str],
}

const PULL_NEEDS: &[&str] = &["BatchGetImage", "GetDownloadUrlForLayer"];
const PUSH_NEEDS: &[&str] = &[
    "BatchCheckLayerAvailability",
    "CompleteLayerUpload",
    "InitiateLayerUpload",
    "PutImage",
    "UploadLayerPart",
];

/// Every class, in the order a matrix lists them. ECR action names are written without their
/// `ecr:` prefix, as [`super::super::vocabulary`] spells them.
pub(crate) const CLASSES: [ClassDefinition; 8] = [
    ClassDefinition {
        class: AccessClass::Pull,
        name: "pull",
        phrase: "pull",
        needs: Needs::All(PULL_NEEDS),
        repository_actions: &[
            "BatchCheckLayerAvailability",
            "BatchGetImage",
            "GetDownloadUrlForLayer",
        ],
        registry_actions: &[],
    },
    ClassDefinition {
        class: AccessClass::Push,
        name: "push",
        phrase: "push",
        needs: Needs::All(PUSH_NEEDS),
        repository_actions: PUSH_NEEDS,
        registry_actions: &[],
    },
    ClassDefinition {
        class: AccessClass::DeleteImages,
        name: "delete_images",
        phrase: "delete images",
        needs: Needs::Each,
        repository_actions: &["BatchDeleteImage"],
        registry_actions: &[],
    },
    ClassDefinition {
        class: AccessClass::Manage,
        name: "manage",
        phrase: "manage",
        needs: Needs::Each,
        repository_actions: &[
            "DeleteLifecyclePolicy",
            "DeleteRepository",
            "DeleteRepositoryPolicy",
            "PutImageScanningConfiguration",
            "PutImageTagMutability",
            "PutLifecyclePolicy",
            "SetRepositoryPolicy",
            "StartImageScan",
            "StartLifecyclePolicyPreview",
            "TagResource",
            "UntagResource",
            "UpdateImageStorageClass",
        ],
        registry_actions: &[
            "CreatePullThroughCacheRule",
            "CreateRepositoryCreationTemplate",
            "DeletePullThroughCacheRule",
            "DeleteRegistryPolicy",
            "DeleteRepositoryCreationTemplate",
            "DeleteSigningConfiguration",
            "DeregisterPullTimeUpdateExclusion",
            "PutAccountSetting",
            "PutRegistryPolicy",
            "PutRegistryScanningConfiguration",
            "PutReplicationConfiguration",
            "PutSigningConfiguration",
            "RegisterPullTimeUpdateExclusion",
            "UpdatePullThroughCacheRule",
            "UpdateRepositoryCreationTemplate",
        ],
    },
    ClassDefinition {
        class: AccessClass::Read,
        name: "read",
        phrase: "read metadata",
        needs: Needs::Each,
        repository_actions: &[
            "BatchGetRepositoryScanningConfiguration",
            "DescribeImageReplicationStatus",
            "DescribeImageScanFindings",
            "DescribeImageSigningStatus",
            "DescribeImages",
            "DescribeRepositories",
            "GetImageCopyStatus",
            "GetLifecyclePolicy",
            "GetLifecyclePolicyPreview",
            "GetRepositoryPolicy",
            "ListImageReferrers",
            "ListImages",
            "ListTagsForResource",
        ],
        registry_actions: &[
            "DescribePullThroughCacheRules",
            "DescribeRegistry",
            "DescribeRepositoryCreationTemplates",
            "GetAccountSetting",
            "GetAuthorizationToken",
            "GetRegistryPolicy",
            "GetRegistryScanningConfiguration",
            "GetSigningConfiguration",
            "ListPullTimeUpdateExclusions",
            "ValidatePullThroughCacheRule",
        ],
    },
    ClassDefinition {
        class: AccessClass::Replicate,
        name: "replicate",
        phrase: "replicate into the registry",
        needs: Needs::Each,
        repository_actions: &[],
        registry_actions: &["ReplicateImage"],
    },
    ClassDefinition {
        class: AccessClass::CreateRepositories,
        name: "create_repositories",
        phrase: "create repositories",
        needs: Needs::Each,
        repository_actions: &[],
        registry_actions: &["CreateRepository"],
    },
    ClassDefinition {
        class: AccessClass::ImportUpstream,
        name: "import_upstream",
        phrase: "import upstream images (pull-through cache)",
        needs: Needs::Each,
        repository_actions: &["BatchImportUpstreamImage"],
        registry_actions: &[],
    },
];

impl AccessClass {
    /// Every class, in the order a matrix lists them.
    pub const ALL: [AccessClass; 8] = [
        AccessClass::Pull,
        AccessClass::Push,
        AccessClass::DeleteImages,
        AccessClass::Manage,
        AccessClass::Read,
        AccessClass::Replicate,
        AccessClass::CreateRepositories,
        AccessClass::ImportUpstream,
    ];

    pub(crate) fn definition(self) -> &'static ClassDefinition {
        // CLASSES lists the classes in the order of ALL; a test keeps them in step.
        let definition = &CLASSES[self as usize];
        debug_assert_eq!(definition.class, self, "CLASSES is out of order");
        definition
    }

    /// The class's name in JSON: `pull`, `push`, `delete_images`, `manage`, `read`,
    /// `replicate`, `create_repositories`, `import_upstream`.
    pub fn name(self) -> &'static str {
        self.definition().name
    }

    /// How a sentence says it: `X can {phrase}`.
    pub fn phrase(self) -> &'static str {
        self.definition().phrase
    }

    /// The actions (with the `ecr:` prefix) that make up the class in a policy of `kind`:
    /// a repository policy can only grant what acts on its repository.
    pub fn actions(self, kind: IamPolicyKind) -> Vec<String> {
        self.action_names(kind)
            .map(|name| format!("ecr:{name}"))
            .collect()
    }

    /// The actions every one of which the class needs (pull, push); empty for the classes of
    /// which each action is a power of its own.
    pub fn needs(self) -> Vec<String> {
        match self.definition().needs {
            Needs::All(names) => names.iter().map(|name| format!("ecr:{name}")).collect(),
            Needs::Each => Vec::new(),
        }
    }

    pub(crate) fn action_names(self, kind: IamPolicyKind) -> impl Iterator<Item = &'static str> {
        let definition = self.definition();
        let registry: &[&str] = match kind {
            IamPolicyKind::Repository => &[],
            IamPolicyKind::Registry => definition.registry_actions,
        };
        definition
            .repository_actions
            .iter()
            .chain(registry)
            .copied()
    }
}

impl std::fmt::Display for AccessClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
