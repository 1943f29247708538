//! The names IAM reads case-insensitively, each written once in its documented spelling: ECR's
//! actions and the condition context keys a repository or registry policy uses.
//!
//! IAM matches `ecr:batchgetimage`, `ECR:BatchGetImage` and `ecr:BatchGetImage` alike (IAM User
//! Guide, "IAM JSON policy elements: Action": "The prefix and the action name are case
//! insensitive"), and `AWS:sourceaccount` as `aws:SourceAccount` ("IAM JSON policy elements:
//! Condition": "Context key names are not case-sensitive", a tag key inside
//! `aws:ResourceTag/TAG-KEY` included). ECR keeps a policy as it was put, so live and spec may
//! spell a name differently and mean the same thing. The canonical form picks one spelling that
//! a reviewer can read in a plan diff: the documented one when the name is known here, else the
//! name in lowercase (a wildcard pattern, another service's action, a key not listed here),
//! which is still one spelling per meaning.

/// Every action of Amazon ECR (service prefix `ecr`), as the Service Authorization Reference
/// spells it ("Actions defined by Amazon Elastic Container Registry", permission-only actions
/// such as `ReplicateImage` and `BatchImportUpstreamImage` included).
pub(crate) const ECR_ACTIONS: &[&str] = &[
    "BatchCheckLayerAvailability",
    "BatchDeleteImage",
    "BatchGetImage",
    "BatchGetRepositoryScanningConfiguration",
    "BatchImportUpstreamImage",
    "CompleteLayerUpload",
    "CreatePullThroughCacheRule",
    "CreateRepository",
    "CreateRepositoryCreationTemplate",
    "DeleteLifecyclePolicy",
    "DeletePullThroughCacheRule",
    "DeleteRegistryPolicy",
    "DeleteRepository",
    "DeleteRepositoryCreationTemplate",
    "DeleteRepositoryPolicy",
    "DeleteSigningConfiguration",
    "DeregisterPullTimeUpdateExclusion",
    "DescribeImageReplicationStatus",
    "DescribeImageScanFindings",
    "DescribeImageSigningStatus",
    "DescribeImages",
    "DescribePullThroughCacheRules",
    "DescribeRegistry",
    "DescribeRepositories",
    "DescribeRepositoryCreationTemplates",
    "GetAccountSetting",
    "GetAuthorizationToken",
    "GetDownloadUrlForLayer",
    "GetImageCopyStatus",
    "GetLifecyclePolicy",
    "GetLifecyclePolicyPreview",
    "GetRegistryPolicy",
    "GetRegistryScanningConfiguration",
    "GetRepositoryPolicy",
    "GetSigningConfiguration",
    "InitiateLayerUpload",
    "ListImageReferrers",
    "ListImages",
    "ListPullTimeUpdateExclusions",
    "ListTagsForResource",
    "PutAccountSetting",
    "PutImage",
    "PutImageScanningConfiguration",
    "PutImageTagMutability",
    "PutLifecyclePolicy",
    "PutRegistryPolicy",
    "PutRegistryScanningConfiguration",
    "PutReplicationConfiguration",
    "PutSigningConfiguration",
    "RegisterPullTimeUpdateExclusion",
    "ReplicateImage",
    "SetRepositoryPolicy",
    "StartImageScan",
    "StartLifecyclePolicyPreview",
    "TagResource",
    "UntagResource",
    "UpdateImageStorageClass",
    "UpdatePullThroughCacheRule",
    "UpdateRepositoryCreationTemplate",
    "UploadLayerPart",
    "ValidatePullThroughCacheRule",
];

/// ECR's service prefix as actions and condition keys spell it.
const ECR_PREFIX: &str = "ecr";

/// Global condition context keys (IAM User Guide, "AWS global condition context keys").
const GLOBAL_CONDITION_KEYS: &[&str] = &[
    "aws:CalledVia",
    "aws:CalledViaFirst",
    "aws:CalledViaLast",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:FederatedProvider",
    "aws:MultiFactorAuthAge",
    "aws:MultiFactorAuthPresent",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:PrincipalIsAWSService",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalServiceName",
    "aws:PrincipalServiceNamesList",
    "aws:PrincipalType",
    "aws:Referer",
    "aws:RequestedRegion",
    "aws:ResourceAccount",
    "aws:ResourceOrgID",
    "aws:ResourceOrgPaths",
    "aws:SecureTransport",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceIdentity",
    "aws:SourceIp",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:TagKeys",
    "aws:TokenIssueTime",
    "aws:UserAgent",
    "aws:userid",
    "aws:username",
    "aws:ViaAWSService",
    "aws:VpcSourceIp",
];

/// Condition keys that end in a tag key: the whole name is case-insensitive, so the prefix is
/// written as documented and the tag key in lowercase.
const TAG_KEY_PREFIXES: &[&str] = &[
    "aws:PrincipalTag/",
    "aws:RequestTag/",
    "aws:ResourceTag/",
    "ecr:ResourceTag/",
];

/// The canonical spelling of an `Action` or `NotAction` entry: an ECR action in its documented
/// spelling, anything else (a wildcard pattern, another service's action) in lowercase.
pub(crate) fn canonical_action(action: &str) -> String {
    let known = action.split_once(':').and_then(|(prefix, name)| {
        if !prefix.eq_ignore_ascii_case(ECR_PREFIX) {
            return None;
        }
        ECR_ACTIONS
            .iter()
            .find(|known| known.eq_ignore_ascii_case(name))
    });
    match known {
        Some(name) => format!("{ECR_PREFIX}:{name}"),
        None => action.to_ascii_lowercase(),
    }
}

/// The canonical spelling of a condition context key: a known key in its documented spelling,
/// a known tag-key prefix in its spelling with the tag key in lowercase, anything else in
/// lowercase.
pub(crate) fn canonical_condition_key(key: &str) -> String {
    if let Some(known) = GLOBAL_CONDITION_KEYS
        .iter()
        .find(|known| known.eq_ignore_ascii_case(key))
    {
        return (*known).to_owned();
    }
    for prefix in TAG_KEY_PREFIXES {
        if let Some((head, tag_key)) = key.split_at_checked(prefix.len())
            && head.eq_ignore_ascii_case(prefix)
        {
            return format!("{prefix}{}", tag_key.to_ascii_lowercase());
        }
    }
    key.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecr_actions_are_listed_once_each_in_their_documented_spelling() {
        let mut lowercase: Vec<String> =
            ECR_ACTIONS.iter().map(|a| a.to_ascii_lowercase()).collect();
        lowercase.sort();
        lowercase.dedup();
        assert_eq!(lowercase.len(), ECR_ACTIONS.len());
        for action in ECR_ACTIONS {
            assert!(
                action.starts_with(|c: char| c.is_ascii_uppercase())
                    && action.chars().all(|c| c.is_ascii_alphanumeric()),
                "{action}"
            );
        }
    }

    #[test]
    fn action_spellings_become_the_documented_one_or_lowercase() {
        let cases = [
            ("ecr:BatchGetImage", "ecr:BatchGetImage"),
            ("ecr:batchgetimage", "ecr:BatchGetImage"),
            ("ECR:BATCHGETIMAGE", "ecr:BatchGetImage"),
            ("Ecr:GetDownloadUrlForLayer", "ecr:GetDownloadUrlForLayer"),
            ("ecr:getdownloadurlforlayer", "ecr:GetDownloadUrlForLayer"),
            ("ecr:Batch*", "ecr:batch*"),
            ("ECR:batch*", "ecr:batch*"),
            ("ecr:*", "ecr:*"),
            ("*", "*"),
            ("ecr:Replicate?mage", "ecr:replicate?mage"),
            ("ECR-PUBLIC:BatchGetImage", "ecr-public:batchgetimage"),
            ("s3:GetObject", "s3:getobject"),
            ("ecr:NotAnEcrAction", "ecr:notanecraction"),
            ("BatchGetImage", "batchgetimage"),
        ];
        for (written, canonical) in cases {
            assert_eq!(canonical_action(written), canonical, "{written}");
            assert_eq!(canonical_action(canonical), canonical, "{canonical}");
        }
    }

    #[test]
    fn condition_key_spellings_become_the_documented_one_or_lowercase() {
        let cases = [
            ("aws:PrincipalOrgID", "aws:PrincipalOrgID"),
            ("AWS:principalorgid", "aws:PrincipalOrgID"),
            ("aws:SOURCEIP", "aws:SourceIp"),
            ("Aws:UserName", "aws:username"),
            ("aws:ResourceTag/Team", "aws:ResourceTag/team"),
            ("AWS:RESOURCETAG/TEAM", "aws:ResourceTag/team"),
            ("ECR:resourcetag/Cost-Center", "ecr:ResourceTag/cost-center"),
            ("aws:PrincipalTag/Dept", "aws:PrincipalTag/dept"),
            ("aws:requesttag/Env", "aws:RequestTag/env"),
            ("kms:ViaService", "kms:viaservice"),
            ("aws:SomethingNew", "aws:somethingnew"),
            ("aws:ResourceTag", "aws:resourcetag"),
        ];
        for (written, canonical) in cases {
            assert_eq!(canonical_condition_key(written), canonical, "{written}");
            assert_eq!(canonical_condition_key(canonical), canonical, "{canonical}");
        }
    }
}
