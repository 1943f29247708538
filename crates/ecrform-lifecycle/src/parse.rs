//! Reading a lifecycle policy document into the typed model, with every check ECR makes when
//! the policy is put.
//!
//! ECR answers a bad policy with one terse `InvalidParameterException` at apply time; ecrform
//! must refuse the same documents at validate time, name every problem at once, and point at
//! the node to fix. So the reader never stops at the first problem: each rule is read into a
//! draft whose fields stay unset where the input is wrong, checks that span fields or rules run
//! on whatever the drafts did establish, and the typed rules are built only when nothing was
//! wrong. A problem with a missing key is reported at the object that should hold the key, so
//! every path names a node that exists in the document.

use std::collections::{BTreeMap, HashMap};

use ecrform_model::shown;
use ecrform_model::{DocumentError, PathSegment};
use serde_json::{Map, Value};

use crate::rule::{
    CountCriterion, CountType, LifecyclePolicyRules, MAX_PATTERN_WILDCARDS, MAX_POLICY_CHARS,
    MAX_RULES, MIN_DAYS_SINCE_TRANSITIONED, MIN_POLICY_CHARS, Rule, RuleAction, Selection,
    StorageClass, TagStatus,
};

const POLICY_KEYS: &[&str] = &["rules"];
const RULE_KEYS: &[&str] = &["rulePriority", "description", "selection", "action"];
const SELECTION_KEYS: &[&str] = &[
    "tagStatus",
    "tagPrefixList",
    "tagPatternList",
    "storageClass",
    "countType",
    "countUnit",
    "countNumber",
];
const ACTION_KEYS: &[&str] = &["type", "targetStorageClass"];

/// ECR reads these numbers as 32-bit signed integers; larger ones cannot be a valid priority or
/// count, and the model stores them in a `u32`.
const MAX_INTEGER: u64 = i32::MAX as u64;

/// Reads a lifecycle policy document into its rules (in ascending priority), or returns every
/// problem ECR would reject it for.
pub fn parse(document: &Value) -> Result<LifecyclePolicyRules, Vec<DocumentError>> {
    let mut reader = PolicyReader::default();
    let drafts = reader.read_policy(document);
    reader.check_across_rules(&drafts);
    reader.check_length(document);
    if !reader.errors.is_empty() {
        return Err(reader.errors);
    }
    let rules: Option<Vec<Rule>> = drafts.into_iter().map(RuleDraft::into_rule).collect();
    match rules {
        Some(mut rules) => {
            rules.sort_by_key(|rule| rule.priority);
            Ok(LifecyclePolicyRules { rules })
        }
        // Every field a draft leaves unset has already produced an error, so this is only a
        // guard against a reader bug silently dropping a rule.
        None => Err(vec![DocumentError::at_root(
            "the lifecycle policy could not be read into rules",
        )]),
    }
}

/// Whether a value was given for an optional key, and whether it was usable. JSON null is
/// reported and then treated as absent, so that one mistake yields one error.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Given<T> {
    Absent,
    Invalid,
    Valid(T),
}

impl<T> Given<T> {
    fn is_given(&self) -> bool {
        !matches!(self, Given::Absent)
    }
}

/// The action's `type` alone, known even when a transition's target is wrong, so that the
/// checks pairing count types with actions still run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ActionType {
    Expire,
    Transition,
}

#[derive(Debug)]
struct RuleDraft {
    index: usize,
    priority: Option<u32>,
    description: Option<String>,
    selection: Option<SelectionDraft>,
    action: Option<RuleAction>,
}

#[derive(Debug)]
struct SelectionDraft {
    tag_status: Option<TagStatus>,
    tag_prefixes: Given<Vec<String>>,
    tag_patterns: Given<Vec<String>>,
    storage_class: Given<StorageClass>,
    count_type: Option<CountType>,
    count_number: Option<u32>,
}

impl SelectionDraft {
    /// The storage class the rule applies to, when known: ECR's default is standard.
    fn storage_class(&self) -> Option<StorageClass> {
        match self.storage_class {
            Given::Absent => Some(StorageClass::Standard),
            Given::Valid(class) => Some(class),
            Given::Invalid => None,
        }
    }

    fn into_selection(self) -> Option<Selection> {
        let storage_class = self.storage_class()?;
        Some(Selection {
            tag_status: self.tag_status?,
            tag_prefixes: list_or_empty(self.tag_prefixes)?,
            tag_patterns: list_or_empty(self.tag_patterns)?,
            storage_class,
            count: CountCriterion::new(self.count_type?, self.count_number?),
        })
    }
}

fn list_or_empty(list: Given<Vec<String>>) -> Option<Vec<String>> {
    match list {
        Given::Absent => Some(Vec::new()),
        Given::Valid(list) => Some(list),
        Given::Invalid => None,
    }
}

impl RuleDraft {
    fn into_rule(self) -> Option<Rule> {
        Some(Rule {
            priority: self.priority?,
            description: self.description,
            selection: self.selection?.into_selection()?,
            action: self.action?,
        })
    }
}

#[derive(Debug, Default)]
struct PolicyReader {
    errors: Vec<DocumentError>,
}

impl PolicyReader {
    fn error(&mut self, path: Vec<PathSegment>, message: String) {
        self.errors.push(DocumentError::new(path, message));
    }

    fn read_policy(&mut self, document: &Value) -> Vec<RuleDraft> {
        let Some(policy) = document.as_object() else {
            self.error(
                Vec::new(),
                format!(
                    "a lifecycle policy must be a JSON object with a rules array, not {}",
                    describe(document)
                ),
            );
            return Vec::new();
        };
        self.reject_unknown_keys(policy, &[], "", "the policy", POLICY_KEYS);
        let rules_path = vec![key("rules")];
        match policy.get("rules") {
            None => {
                self.error(
                    Vec::new(),
                    "a lifecycle policy needs a rules array".to_owned(),
                );
                Vec::new()
            }
            Some(Value::Array(rules)) => {
                if rules.is_empty() {
                    self.error(
                        rules_path,
                        "rules must contain at least one rule".to_owned(),
                    );
                } else if rules.len() > MAX_RULES {
                    self.error(
                        rules_path,
                        format!(
                            "a lifecycle policy may have at most {MAX_RULES} rules, not {}",
                            rules.len()
                        ),
                    );
                }
                rules
                    .iter()
                    .enumerate()
                    .map(|(index, rule)| self.read_rule(index, rule))
                    .collect()
            }
            Some(other) => {
                self.error(
                    rules_path,
                    format!("rules must be an array of rules, not {}", describe(other)),
                );
                Vec::new()
            }
        }
    }

    fn read_rule(&mut self, index: usize, value: &Value) -> RuleDraft {
        let path = vec![key("rules"), PathSegment::Index(index)];
        let mut draft = RuleDraft {
            index,
            priority: None,
            description: None,
            selection: None,
            action: None,
        };
        let Some(rule) = value.as_object() else {
            self.error(
                path,
                format!(
                    "rule at index {index} must be an object, not {}",
                    describe(value)
                ),
            );
            return draft;
        };

        // The priority comes first because every other message names the rule by it.
        let unnamed = rule_label(index, None);
        draft.priority = match rule.get("rulePriority") {
            None => {
                self.error(path.clone(), format!("{unnamed}: rulePriority is required"));
                None
            }
            Some(value) => match whole_number(value) {
                Ok(priority) => Some(priority),
                Err(problem) => {
                    self.error(
                        child(&path, "rulePriority"),
                        format!("{unnamed}: rulePriority {problem}"),
                    );
                    None
                }
            },
        };
        let label = rule_label(index, draft.priority);
        self.reject_unknown_keys(rule, &path, &label, "the rule", RULE_KEYS);

        if let Some(value) = self.optional(rule, &path, &label, "description") {
            match value.as_str() {
                Some(text) => draft.description = Some(text.to_owned()),
                None => self.error(
                    child(&path, "description"),
                    format!(
                        "{label}: description must be a string, not {}",
                        describe(value)
                    ),
                ),
            }
        }

        let selection_path = child(&path, "selection");
        draft.selection = self
            .required_object(rule, &path, &label, "selection")
            .map(|selection| self.read_selection(selection, &selection_path, &label));

        let action_path = child(&path, "action");
        let action_type = match self.required_object(rule, &path, &label, "action") {
            Some(action) => {
                let (action_type, action) = self.read_action(action, &action_path, &label);
                draft.action = action;
                action_type
            }
            None => None,
        };

        if let Some(selection) = &draft.selection {
            self.check_rule_combinations(selection, action_type, &selection_path, &label);
        }
        draft
    }

    fn read_selection(
        &mut self,
        selection: &Map<String, Value>,
        path: &[PathSegment],
        label: &str,
    ) -> SelectionDraft {
        self.reject_unknown_keys(selection, path, label, "selection", SELECTION_KEYS);

        let tag_status = self.required_enum(
            selection,
            path,
            label,
            "tagStatus",
            "tagged, untagged or any",
            TagStatus::from_ecr,
        );
        let tag_prefixes = self.read_tag_list(selection, path, label, "tagPrefixList");
        let tag_patterns = self.read_tag_list(selection, path, label, "tagPatternList");
        match tag_status {
            Some(TagStatus::Tagged) => {
                if !tag_prefixes.is_given() && !tag_patterns.is_given() {
                    self.error(
                        path.to_vec(),
                        format!(
                            "{label}: tagStatus tagged needs a tagPrefixList or a tagPatternList"
                        ),
                    );
                } else if tag_prefixes.is_given() && tag_patterns.is_given() {
                    self.error(
                        child(path, "tagPatternList"),
                        format!(
                            "{label}: tagPrefixList and tagPatternList cannot be used together; keep one"
                        ),
                    );
                }
            }
            Some(status @ (TagStatus::Untagged | TagStatus::Any)) => {
                for (list_key, list) in [
                    ("tagPrefixList", &tag_prefixes),
                    ("tagPatternList", &tag_patterns),
                ] {
                    if list.is_given() {
                        self.error(
                            child(path, list_key),
                            format!(
                                "{label}: {list_key} is only allowed with tagStatus tagged, not {}",
                                status.as_str()
                            ),
                        );
                    }
                }
            }
            None => {}
        }

        let storage_class = match self.optional(selection, path, label, "storageClass") {
            None => Given::Absent,
            Some(value) => {
                match self.parse_enum(
                    value,
                    child(path, "storageClass"),
                    label,
                    "storageClass",
                    "standard or archive",
                    StorageClass::from_ecr,
                ) {
                    Some(class) => Given::Valid(class),
                    None => Given::Invalid,
                }
            }
        };

        let count_type = self.required_enum(
            selection,
            path,
            label,
            "countType",
            "imageCountMoreThan, sinceImagePushed, sinceImagePulled or sinceImageTransitioned",
            CountType::from_ecr,
        );
        match self.optional(selection, path, label, "countUnit") {
            None => {
                if let Some(count_type) = count_type.filter(|count_type| count_type.is_age()) {
                    self.error(
                        path.to_vec(),
                        format!(
                            "{label}: countUnit is required when countType is {}",
                            count_type.as_str()
                        ),
                    );
                }
            }
            Some(_) if count_type == Some(CountType::ImageCountMoreThan) => self.error(
                child(path, "countUnit"),
                format!("{label}: countUnit is not allowed when countType is imageCountMoreThan"),
            ),
            Some(value) => {
                if value.as_str() != Some("days") {
                    self.error(
                        child(path, "countUnit"),
                        format!("{label}: countUnit must be days, not {}", describe(value)),
                    );
                }
            }
        }
        let count_number = match selection.get("countNumber") {
            None => {
                self.error(path.to_vec(), format!("{label}: countNumber is required"));
                None
            }
            Some(value) => match whole_number(value) {
                Ok(number) => Some(number),
                Err(problem) => {
                    self.error(
                        child(path, "countNumber"),
                        format!("{label}: countNumber {problem}"),
                    );
                    None
                }
            },
        };

        SelectionDraft {
            tag_status,
            tag_prefixes,
            tag_patterns,
            storage_class,
            count_type,
            count_number,
        }
    }

    fn read_tag_list(
        &mut self,
        selection: &Map<String, Value>,
        path: &[PathSegment],
        label: &str,
        list_key: &str,
    ) -> Given<Vec<String>> {
        let Some(value) = self.optional(selection, path, label, list_key) else {
            return Given::Absent;
        };
        let list_path = child(path, list_key);
        let Some(entries) = value.as_array() else {
            self.error(
                list_path,
                format!(
                    "{label}: {list_key} must be an array of strings, not {}",
                    describe(value)
                ),
            );
            return Given::Invalid;
        };
        if entries.is_empty() {
            self.error(list_path, format!("{label}: {list_key} must not be empty"));
            return Given::Invalid;
        }
        let mut list = Vec::with_capacity(entries.len());
        let mut valid = true;
        for (position, entry) in entries.iter().enumerate() {
            let entry_path = || {
                let mut entry_path = list_path.clone();
                entry_path.push(PathSegment::Index(position));
                entry_path
            };
            let Some(text) = entry.as_str() else {
                self.error(
                    entry_path(),
                    format!(
                        "{label}: {list_key} entries must be strings, not {}",
                        describe(entry)
                    ),
                );
                valid = false;
                continue;
            };
            let wildcards = text.matches('*').count();
            if list_key == "tagPatternList" && wildcards > MAX_PATTERN_WILDCARDS {
                self.error(
                    entry_path(),
                    format!(
                        "{label}: tag pattern {} has {wildcards} wildcards; at most {MAX_PATTERN_WILDCARDS} are allowed",
                        quote(text)
                    ),
                );
                valid = false;
            }
            list.push(text.to_owned());
        }
        if valid {
            Given::Valid(list)
        } else {
            Given::Invalid
        }
    }

    /// Reads the action; returns its type even when the rest of it is wrong.
    fn read_action(
        &mut self,
        action: &Map<String, Value>,
        path: &[PathSegment],
        label: &str,
    ) -> (Option<ActionType>, Option<RuleAction>) {
        self.reject_unknown_keys(action, path, label, "action", ACTION_KEYS);
        let action_type = match action.get("type") {
            None => {
                self.error(path.to_vec(), format!("{label}: action type is required"));
                None
            }
            Some(value) => self.parse_enum(
                value,
                child(path, "type"),
                label,
                "action type",
                "expire or transition",
                |text| match text {
                    "expire" => Some(ActionType::Expire),
                    "transition" => Some(ActionType::Transition),
                    _ => None,
                },
            ),
        };
        let target = self.optional(action, path, label, "targetStorageClass");
        let target_path = child(path, "targetStorageClass");
        let rule_action = match (action_type, target) {
            (None, _) => None,
            (Some(ActionType::Expire), None) => Some(RuleAction::Expire),
            (Some(ActionType::Expire), Some(_)) => {
                self.error(
                    target_path,
                    format!(
                        "{label}: targetStorageClass is only allowed when action type is transition"
                    ),
                );
                None
            }
            (Some(ActionType::Transition), None) => {
                self.error(
                    path.to_vec(),
                    format!(
                        "{label}: targetStorageClass is required when action type is transition"
                    ),
                );
                None
            }
            (Some(ActionType::Transition), Some(value)) => {
                // Archive is the only class an image can move to; standard is where it starts.
                if value.as_str() == Some(StorageClass::Archive.as_str()) {
                    Some(RuleAction::Transition {
                        target: StorageClass::Archive,
                    })
                } else {
                    self.error(
                        target_path,
                        format!(
                            "{label}: targetStorageClass must be archive, not {}",
                            describe(value)
                        ),
                    );
                    None
                }
            }
        };
        (action_type, rule_action)
    }

    /// The checks that pair a rule's count type and storage class with its action.
    fn check_rule_combinations(
        &mut self,
        selection: &SelectionDraft,
        action_type: Option<ActionType>,
        path: &[PathSegment],
        label: &str,
    ) {
        let storage_class_path = || {
            if selection.storage_class.is_given() {
                child(path, "storageClass")
            } else {
                path.to_vec()
            }
        };
        match (selection.count_type, action_type) {
            (Some(CountType::SinceImagePulled), Some(ActionType::Expire)) => self.error(
                child(path, "countType"),
                format!(
                    "{label}: countType sinceImagePulled is only allowed with action type transition"
                ),
            ),
            (Some(CountType::SinceImageTransitioned), Some(ActionType::Transition)) => self.error(
                child(path, "countType"),
                format!(
                    "{label}: countType sinceImageTransitioned is only allowed with action type expire"
                ),
            ),
            _ => {}
        }
        if selection.count_type == Some(CountType::SinceImageTransitioned) {
            if selection.storage_class() == Some(StorageClass::Standard) {
                self.error(
                    storage_class_path(),
                    format!(
                        "{label}: countType sinceImageTransitioned is only allowed with storageClass archive"
                    ),
                );
            }
            if let Some(days) = selection
                .count_number
                .filter(|&days| days < MIN_DAYS_SINCE_TRANSITIONED)
            {
                self.error(
                    child(path, "countNumber"),
                    format!(
                        "{label}: countNumber must be at least {MIN_DAYS_SINCE_TRANSITIONED} when countType is sinceImageTransitioned, not {days}"
                    ),
                );
            }
        }
        if action_type == Some(ActionType::Transition)
            && selection.storage_class() == Some(StorageClass::Archive)
        {
            self.error(
                storage_class_path(),
                format!(
                    "{label}: action type transition is only allowed with storageClass standard"
                ),
            );
        }
    }

    /// The checks that look at several rules together: unique priorities, and per storage
    /// class one untagged rule, distinct prefix lists and `any` last. Rules whose priority,
    /// tag status or storage class could not be read take no part; their own errors stand.
    fn check_across_rules(&mut self, drafts: &[RuleDraft]) {
        let mut first_with_priority: HashMap<u32, usize> = HashMap::new();
        for draft in drafts {
            let Some(priority) = draft.priority else {
                continue;
            };
            match first_with_priority.get(&priority) {
                Some(&first) => self.error(
                    rule_path(draft.index, "rulePriority"),
                    format!(
                        "rules at index {first} and {} both have rulePriority {priority}; priorities must be unique",
                        draft.index
                    ),
                ),
                None => {
                    first_with_priority.insert(priority, draft.index);
                }
            }
        }

        struct Member<'a> {
            index: usize,
            priority: u32,
            tag_status: TagStatus,
            prefixes: Option<&'a [String]>,
        }
        let mut by_class: BTreeMap<StorageClass, Vec<Member<'_>>> = BTreeMap::new();
        for draft in drafts {
            let (Some(priority), Some(selection)) = (draft.priority, &draft.selection) else {
                continue;
            };
            let (Some(tag_status), Some(class)) = (selection.tag_status, selection.storage_class())
            else {
                continue;
            };
            let prefixes = match &selection.tag_prefixes {
                Given::Valid(list) => Some(list.as_slice()),
                _ => None,
            };
            by_class.entry(class).or_default().push(Member {
                index: draft.index,
                priority,
                tag_status,
                prefixes,
            });
        }

        for (class, mut members) in by_class {
            // Evaluation order, so that "already" in a message means an earlier rule.
            members.sort_by_key(|member| (member.priority, member.index));
            let class = class.as_str();

            let mut first_untagged: Option<u32> = None;
            let mut first_with_prefixes: HashMap<Vec<&str>, u32> = HashMap::new();
            for member in &members {
                let label = rule_label(member.index, Some(member.priority));
                if member.tag_status == TagStatus::Untagged {
                    match first_untagged {
                        Some(first) => self.error(
                            selection_path(member.index, "tagStatus"),
                            format!(
                                "{label}: only one rule per storage class may select untagged images, and rule {first} already does for storageClass {class}"
                            ),
                        ),
                        None => first_untagged = Some(member.priority),
                    }
                }
                if let (TagStatus::Tagged, Some(prefixes)) = (member.tag_status, member.prefixes) {
                    // The same prefixes in another order or repeated select the same images.
                    let mut prefix_set: Vec<&str> = prefixes.iter().map(String::as_str).collect();
                    prefix_set.sort_unstable();
                    prefix_set.dedup();
                    match first_with_prefixes.get(&prefix_set) {
                        Some(&first) => self.error(
                            selection_path(member.index, "tagPrefixList"),
                            format!(
                                "{label}: tagPrefixList {} is already used by rule {first}; tag prefixes must be unique within storageClass {class}",
                                Value::from(prefixes.to_vec())
                            ),
                        ),
                        None => {
                            first_with_prefixes.insert(prefix_set, member.priority);
                        }
                    }
                }
            }

            if let Some(last) = members.last() {
                let last_priority = last.priority;
                for member in &members {
                    if member.tag_status == TagStatus::Any && member.priority < last_priority {
                        let label = rule_label(member.index, Some(member.priority));
                        self.error(
                            selection_path(member.index, "tagStatus"),
                            format!(
                                "{label}: a rule with tagStatus any must have the highest rulePriority within storageClass {class}, but rule {last_priority} comes after it"
                            ),
                        );
                    }
                }
            }
        }
    }

    fn check_length(&mut self, document: &Value) {
        // ECR counts the characters of the text it is sent, and ecrform sends it minified.
        let chars = document.to_string().chars().count();
        if !(MIN_POLICY_CHARS..=MAX_POLICY_CHARS).contains(&chars) {
            self.error(
                Vec::new(),
                format!(
                    "the policy is {chars} characters long when minified; ECR accepts {MIN_POLICY_CHARS} to {MAX_POLICY_CHARS}"
                ),
            );
        }
    }

    fn reject_unknown_keys(
        &mut self,
        object: &Map<String, Value>,
        path: &[PathSegment],
        label: &str,
        place: &str,
        allowed: &[&str],
    ) {
        let prefix = if label.is_empty() {
            String::new()
        } else {
            format!("{label}: ")
        };
        for name in object
            .keys()
            .filter(|name| !allowed.contains(&name.as_str()))
        {
            let hint = match suggest(name, allowed) {
                Some(suggestion) => format!("did you mean {}?", quote(suggestion)),
                None => format!("expected one of {}", allowed.join(", ")),
            };
            self.error(
                child(path, name),
                format!("{prefix}unknown key {} in {place}; {hint}", quote(name)),
            );
        }
    }

    /// An optional key's value; null is reported (ECR never accepts it) and read as absent.
    fn optional<'a>(
        &mut self,
        object: &'a Map<String, Value>,
        path: &[PathSegment],
        label: &str,
        name: &str,
    ) -> Option<&'a Value> {
        match object.get(name) {
            Some(Value::Null) => {
                self.error(
                    child(path, name),
                    format!("{label}: {name} must not be null; leave the key out instead"),
                );
                None
            }
            other => other,
        }
    }

    fn required_object<'a>(
        &mut self,
        object: &'a Map<String, Value>,
        path: &[PathSegment],
        label: &str,
        name: &str,
    ) -> Option<&'a Map<String, Value>> {
        match object.get(name) {
            None => {
                self.error(path.to_vec(), format!("{label}: {name} is required"));
                None
            }
            Some(Value::Object(inner)) => Some(inner),
            Some(other) => {
                self.error(
                    child(path, name),
                    format!("{label}: {name} must be an object, not {}", describe(other)),
                );
                None
            }
        }
    }

    fn required_enum<T>(
        &mut self,
        object: &Map<String, Value>,
        path: &[PathSegment],
        label: &str,
        name: &str,
        expected: &str,
        from_ecr: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        match object.get(name) {
            None => {
                self.error(path.to_vec(), format!("{label}: {name} is required"));
                None
            }
            Some(value) => {
                self.parse_enum(value, child(path, name), label, name, expected, from_ecr)
            }
        }
    }

    fn parse_enum<T>(
        &mut self,
        value: &Value,
        path: Vec<PathSegment>,
        label: &str,
        name: &str,
        expected: &str,
        from_ecr: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let parsed = value.as_str().and_then(from_ecr);
        if parsed.is_none() {
            self.error(
                path,
                format!(
                    "{label}: {name} must be {expected}, not {}",
                    describe(value)
                ),
            );
        }
        parsed
    }
}

/// How messages name a rule: by its priority, as users think of rules, or by its position
/// when it has no usable priority.
fn rule_label(index: usize, priority: Option<u32>) -> String {
    match priority {
        Some(priority) => format!("rule {priority}"),
        None => format!("rule at index {index}"),
    }
}

/// A priority or count: a JSON integer from 1 to [`MAX_INTEGER`]. The error completes a
/// sentence that starts with the key's name.
fn whole_number(value: &Value) -> Result<u32, String> {
    if let Some(number) = value.as_u64() {
        return match u32::try_from(number) {
            Ok(0) => Err("must be at least 1, not 0".to_owned()),
            Ok(number) if u64::from(number) <= MAX_INTEGER => Ok(number),
            _ => Err(format!("must be at most {MAX_INTEGER}, not {number}")),
        };
    }
    if let Some(number) = value.as_i64() {
        return Err(format!("must be at least 1, not {number}"));
    }
    Err(format!("must be a whole number, not {}", describe(value)))
}

/// A JSON value as a message shows it: scalars as written (long ones cut), containers by
/// their kind.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => shown::cut(&number.to_string()).to_string(),
        Value::String(text) => quote(text),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// A string from the document, quoted and cut as every message cuts the values it quotes.
fn quote(text: &str) -> String {
    shown::quoted(text).to_string()
}

/// The allowed key closest to a misspelled one, if it is close enough to be what was meant.
fn suggest<'a>(name: &str, allowed: &[&'a str]) -> Option<&'a str> {
    // Long keys are not typos of these short names, and skipping them bounds the work.
    if name.chars().count() > 40 {
        return None;
    }
    let name = name.to_lowercase();
    allowed
        .iter()
        .map(|candidate| (edit_distance(&name, &candidate.to_lowercase()), *candidate))
        .filter(|&(distance, _)| distance <= 2)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, a_char) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, b_char) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(a_char != *b_char);
            let deletion = previous[j + 1] + 1;
            let insertion = current[j] + 1;
            current.push(substitution.min(deletion).min(insertion));
        }
        previous = current;
    }
    previous[b.len()]
}

fn key(name: &str) -> PathSegment {
    PathSegment::Key(name.to_owned())
}

fn child(path: &[PathSegment], name: &str) -> Vec<PathSegment> {
    let mut path = path.to_vec();
    path.push(key(name));
    path
}

fn rule_path(index: usize, name: &str) -> Vec<PathSegment> {
    vec![key("rules"), PathSegment::Index(index), key(name)]
}

fn selection_path(index: usize, name: &str) -> Vec<PathSegment> {
    vec![
        key("rules"),
        PathSegment::Index(index),
        key("selection"),
        key(name),
    ]
}

#[cfg(test)]
mod tests;
