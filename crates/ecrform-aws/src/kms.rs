//! Resolving KMS key references (aliases, alias ARNs, key ids) to key ARNs with DescribeKey,
//! so that a repository's encryption compares by key: `alias/a` and `alias/b` are different
//! keys however ECR reports them, and KMS without a key means the AWS managed key
//! (`alias/aws/ecr`). One DescribeKey per registry and reference, concurrently within the
//! registry's request bound.
//!
//! KMS's answer decides: a key ARN; no such key (`NotFoundException`), which the plan treats
//! as a key no repository can have; or no answer it may give (the credentials lack
//! kms:DescribeKey, the endpoint has no KMS), which is a warning on the read, and the key is
//! then compared by its name as before. Transport, credential and throttling failures fail
//! the read like any other.

use futures_util::future::join_all;

use ecrform_model::KmsKeys;
use ecrform_plan::{ErrorKind, RegistryError};

use crate::EcrRegistry;
use crate::error::classify;

/// What KMS said about one reference.
enum Described {
    Key(String),
    NoSuchKey,
    /// Not said: the reason, for the warning.
    Unknown(RegistryError),
}

/// Resolves `references` in `registry`'s KMS; the keys found and the warnings to print.
pub(crate) async fn resolve(
    registry: &EcrRegistry,
    references: impl IntoIterator<Item = String>,
) -> Result<(KmsKeys, Vec<String>), RegistryError> {
    let lookups = references.into_iter().map(|reference| async move {
        let described = describe(registry, &reference).await;
        (reference, described)
    });
    let mut keys = KmsKeys::new();
    let mut warnings = Vec::new();
    for (reference, described) in join_all(lookups).await {
        match described? {
            Described::Key(arn) => {
                keys.insert(reference, Some(arn));
            }
            Described::NoSuchKey => {
                keys.insert(reference, None);
            }
            Described::Unknown(error) => warnings.push(format!(
                "cannot describe KMS key {reference} in registry {} ({error}); its encryption \
                 is compared by the key's name only",
                registry.id
            )),
        }
    }
    Ok((keys, warnings))
}

async fn describe(registry: &EcrRegistry, reference: &str) -> Result<Described, RegistryError> {
    let _permit = registry.permits.acquire().await.ok();
    let answer = registry.kms.describe_key().key_id(reference).send().await;
    match answer {
        Ok(output) => match output.key_metadata().and_then(|key| key.arn()) {
            Some(arn) => Ok(Described::Key(arn.to_owned())),
            None => Ok(Described::Unknown(RegistryError::new(
                ErrorKind::UnreadableLiveValue,
                "DescribeKey",
                "KMS answered without the key's ARN",
            ))),
        },
        Err(error) => {
            let error = classify(&error);
            match error.kind {
                ErrorKind::NotFound(_) => Ok(Described::NoSuchKey),
                ErrorKind::AccessDenied | ErrorKind::Unsupported | ErrorKind::Invalid => {
                    Ok(Described::Unknown(error))
                }
                _ => Err(error),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::recorded::{Answer, RecordedEcr, described};
    use ecrform_plan::{ReadScope, Registry};

    const REGISTRY: &str = "123456789012/us-east-1";
    const KEY_A: &str =
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const KEY_B: &str =
        "arn:aws:kms:us-east-1:123456789012:key/ffffffff-12ab-34cd-56ef-1234567890ab";

    fn key(arn: &str) -> Answer {
        Answer::ok(json!({ "KeyMetadata": {
            "AWSAccountId": "123456789012",
            "KeyId": arn.rsplit('/').next().unwrap(),
            "Arn": arn,
            "Enabled": true,
            "KeyState": "Enabled",
            "KeyUsage": "ENCRYPT_DECRYPT"
        } }))
    }

    #[tokio::test(start_paused = true)]
    async fn each_reference_is_described_once_and_what_kms_cannot_say_is_a_warning() {
        let ecr = RecordedEcr::new();
        let mut kms_repository = described(REGISTRY, "app");
        // The local emulator keeps the alias a repository was created with.
        kms_repository["encryptionConfiguration"] =
            json!({ "encryptionType": "KMS", "kmsKey": "alias/b" });
        ecr.always(
            "DescribeRepositories",
            Answer::ok(json!({ "repositories": [kms_repository] })),
        )
        .always_for("DescribeKey", "alias/a", key(KEY_A))
        .always_for("DescribeKey", "alias/b", key(KEY_B))
        .always_for(
            "DescribeKey",
            "alias/gone",
            Answer::error("NotFoundException", "Alias arn:aws:kms:us-east-1:123456789012:alias/gone is not found."),
        )
        .always_for(
            "DescribeKey",
            "alias/secret",
            Answer::error(
                "AccessDeniedException",
                "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: kms:DescribeKey",
            ),
        );
        let scope = ReadScope {
            kms_keys: ["alias/a", "alias/gone", "alias/secret"]
                .map(str::to_owned)
                .into(),
            ..ReadScope::default()
        };

        let state = ecr.registry(REGISTRY, 3).read(&scope).await.unwrap();

        assert_eq!(
            state.kms_keys,
            KmsKeys::from([
                ("alias/a".to_owned(), Some(KEY_A.to_owned())),
                ("alias/b".to_owned(), Some(KEY_B.to_owned())),
                ("alias/gone".to_owned(), None),
            ])
        );
        assert_eq!(state.read_warnings.len(), 1, "{:?}", state.read_warnings);
        assert!(
            state.read_warnings[0].starts_with(
                "cannot describe KMS key alias/secret in registry 123456789012/us-east-1 \
                 (AccessDeniedException: "
            ),
            "{:?}",
            state.read_warnings
        );
        assert!(
            state.read_warnings[0].ends_with("its encryption is compared by the key's name only")
        );
        assert_eq!(ecr.count("DescribeKey"), 4);
        assert_eq!(
            ecr.received("DescribeKey")
                .iter()
                .filter(|body| body["KeyId"] == "alias/a")
                .count(),
            1
        );
    }

    #[tokio::test(start_paused = true)]
    async fn kms_throttling_past_the_retries_fails_the_read() {
        let ecr = RecordedEcr::new();
        ecr.always(
            "DescribeRepositories",
            Answer::ok(json!({ "repositories": [] })),
        )
        .always(
            "DescribeKey",
            Answer::error("ThrottlingException", "Rate exceeded"),
        );
        let scope = ReadScope {
            kms_keys: ["alias/a".to_owned()].into(),
            ..ReadScope::default()
        };

        let error = ecr.registry(REGISTRY, 2).read(&scope).await.unwrap_err();

        assert_eq!(error.kind, ErrorKind::Throttled);
    }
}
