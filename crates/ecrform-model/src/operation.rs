//! The ECR API operations ecrform makes, by their AWS names. Plans, apply reports, error
//! messages, the adapter's error handling and the test kit's fault injection all name
//! operations; one enum means a misspelt operation is a compile error, not a fault that never
//! fires or an error that is never recognised.

use crate::enums::string_enum;

string_enum! {
    /// One ECR operation, named as AWS documents and logs it.
    pub enum Operation {
        // Repository writes.
        CreateRepository => "CreateRepository",
        PutImageTagMutability => "PutImageTagMutability",
        PutImageScanningConfiguration => "PutImageScanningConfiguration",
        TagResource => "TagResource",
        UntagResource => "UntagResource",
        PutLifecyclePolicy => "PutLifecyclePolicy",
        DeleteLifecyclePolicy => "DeleteLifecyclePolicy",
        SetRepositoryPolicy => "SetRepositoryPolicy",
        DeleteRepositoryPolicy => "DeleteRepositoryPolicy",
        DeleteRepository => "DeleteRepository",
        // Registry-wide writes.
        PutReplicationConfiguration => "PutReplicationConfiguration",
        PutRegistryPolicy => "PutRegistryPolicy",
        DeleteRegistryPolicy => "DeleteRegistryPolicy",
        PutRegistryScanningConfiguration => "PutRegistryScanningConfiguration",
        CreatePullThroughCacheRule => "CreatePullThroughCacheRule",
        UpdatePullThroughCacheRule => "UpdatePullThroughCacheRule",
        DeletePullThroughCacheRule => "DeletePullThroughCacheRule",
        CreateRepositoryCreationTemplate => "CreateRepositoryCreationTemplate",
        UpdateRepositoryCreationTemplate => "UpdateRepositoryCreationTemplate",
        DeleteRepositoryCreationTemplate => "DeleteRepositoryCreationTemplate",
        PutAccountSetting => "PutAccountSetting",
        PutSigningConfiguration => "PutSigningConfiguration",
        DeleteSigningConfiguration => "DeleteSigningConfiguration",
        RegisterPullTimeUpdateExclusion => "RegisterPullTimeUpdateExclusion",
        DeregisterPullTimeUpdateExclusion => "DeregisterPullTimeUpdateExclusion",
        // Reads.
        DescribeRepositories => "DescribeRepositories",
        ListTagsForResource => "ListTagsForResource",
        GetLifecyclePolicy => "GetLifecyclePolicy",
        GetRepositoryPolicy => "GetRepositoryPolicy",
        DescribeImages => "DescribeImages",
        DescribeRegistry => "DescribeRegistry",
        GetRegistryPolicy => "GetRegistryPolicy",
        GetRegistryScanningConfiguration => "GetRegistryScanningConfiguration",
        DescribePullThroughCacheRules => "DescribePullThroughCacheRules",
        DescribeRepositoryCreationTemplates => "DescribeRepositoryCreationTemplates",
        GetAccountSetting => "GetAccountSetting",
        GetSigningConfiguration => "GetSigningConfiguration",
        ListPullTimeUpdateExclusions => "ListPullTimeUpdateExclusions",
    }
}

impl Operation {
    /// Whether the operation only reads: reads are idempotent, and never count as writes.
    pub fn is_read(self) -> bool {
        matches!(
            self,
            Operation::DescribeRepositories
                | Operation::ListTagsForResource
                | Operation::GetLifecyclePolicy
                | Operation::GetRepositoryPolicy
                | Operation::DescribeImages
                | Operation::DescribeRegistry
                | Operation::GetRegistryPolicy
                | Operation::GetRegistryScanningConfiguration
                | Operation::DescribePullThroughCacheRules
                | Operation::DescribeRepositoryCreationTemplates
                | Operation::GetAccountSetting
                | Operation::GetSigningConfiguration
                | Operation::ListPullTimeUpdateExclusions
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_the_describe_list_and_get_operations() {
        for operation in Operation::ALL {
            let name = operation.as_str();
            let looks_like_a_read = ["Describe", "List", "Get"]
                .iter()
                .any(|verb| name.starts_with(verb));
            assert_eq!(operation.is_read(), looks_like_a_read, "{name}");
        }
    }
}
