//! Guardrail findings in every format: the section a plan ends with (text, Markdown, the
//! plan JSON's `findings`), the audit report (a pass/fail table per rule and repository),
//! and SARIF 2.1.0 for GitHub code scanning.
//!
//! A plan's section separates what the change introduces from what is there already, as
//! `ecrform_guardrails::compare` sorted them. Each entry of a plan's section may carry where
//! in the spec the finding is, which SARIF and the JSON report as a location.

use ecrform_guardrails::{Evaluation, Finding, Level, Outcome, RULES, Row, Rule, RuleId};
use serde::Serialize;
use serde_json::{Value, json};

/// Where in the spec a finding is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceLocation {
    /// As the user names the file (relative to where ecrform runs).
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// One finding as a report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownFinding {
    pub finding: Finding,
    pub location: Option<SourceLocation>,
}

/// The guardrails section of a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanFindings {
    /// `recommended`, `strict`, `none`.
    pub profile: String,
    /// Findings the change introduces.
    pub introduced: Vec<ShownFinding>,
    /// Findings that are there already.
    pub existing: Vec<ShownFinding>,
    /// Findings of the live state that the change resolves.
    pub resolved: Vec<Finding>,
}

impl PlanFindings {
    pub fn is_empty(&self) -> bool {
        self.introduced.is_empty() && self.existing.is_empty() && self.resolved.is_empty()
    }

    /// The findings shown (introduced, then existing).
    fn shown(&self) -> Vec<&Finding> {
        self.introduced
            .iter()
            .chain(&self.existing)
            .map(|shown| &shown.finding)
            .collect()
    }

    fn errors(&self) -> usize {
        self.introduced
            .iter()
            .chain(&self.existing)
            .filter(|shown| shown.finding.is_error())
            .count()
    }
}

/// The rules that `findings` fail, once each and in rule order: what a report explains.
fn failed_rules<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Vec<&'static Rule> {
    let failed: std::collections::BTreeSet<RuleId> =
        findings.into_iter().map(|finding| finding.rule).collect();
    RULES
        .iter()
        .filter(|rule| failed.contains(&rule.rule))
        .collect()
}

/// Why each failed rule matters and how to pass it, one line each, as text.
fn fixes_text(findings: &[&Finding], indent: &str) -> String {
    let rules = failed_rules(findings.iter().copied());
    if rules.is_empty() {
        return String::new();
    }
    let mut out = format!("{indent}Why and how to fix:\n");
    for rule in rules {
        out.push_str(&format!(
            "{indent}  {}: {}. Fix: {}\n",
            rule.id, rule.rationale, rule.fix
        ));
    }
    out
}

/// [`fixes_text`] as a Markdown list.
fn fixes_markdown(findings: &[&Finding]) -> String {
    let rules = failed_rules(findings.iter().copied());
    if rules.is_empty() {
        return String::new();
    }
    let mut out = String::from("**Why and how to fix**\n\n");
    for rule in rules {
        out.push_str(&format!(
            "- `{}`: {}. Fix: {}\n",
            rule.id,
            cell(rule.rationale),
            cell(rule.fix)
        ));
    }
    out.push('\n');
    out
}

fn finding_line(finding: &Finding) -> String {
    format!(
        "{:<7} [{}] {}: {}",
        finding.level.as_str(),
        finding.rule,
        finding.address(),
        finding.message
    )
}

/// The text section a plan ends with; empty when nothing was found.
pub fn plan_findings_text(findings: &PlanFindings) -> String {
    if findings.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "\nGuardrails ({}): {} introduced by this change, {} already there, {} resolved; {} \
         error(s)\n",
        findings.profile,
        findings.introduced.len(),
        findings.existing.len(),
        findings.resolved.len(),
        findings.errors()
    );
    let groups = [
        ("Introduced by this change:", &findings.introduced),
        ("Already there:", &findings.existing),
    ];
    for (heading, group) in groups {
        if group.is_empty() {
            continue;
        }
        out.push_str(&format!("  {heading}\n"));
        for shown in group {
            out.push_str(&format!("    {}\n", finding_line(&shown.finding)));
        }
    }
    out.push_str(&fixes_text(&findings.shown(), "  "));
    if !findings.resolved.is_empty() {
        out.push_str("  Resolved by this change:\n");
        for finding in &findings.resolved {
            out.push_str(&format!(
                "    [{}] {}: {}\n",
                finding.rule,
                finding.address(),
                finding.message
            ));
        }
    }
    out
}

/// Text that GitHub's Markdown shows as written inside a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn markdown_table(findings: &[ShownFinding]) -> String {
    let mut out = String::from("| level | rule | address | finding |\n| --- | --- | --- | --- |\n");
    for shown in findings {
        let finding = &shown.finding;
        out.push_str(&format!(
            "| {} | `{}` | `{}` | {} |\n",
            finding.level,
            finding.rule,
            finding.address(),
            cell(&finding.message)
        ));
    }
    out
}

/// How much of the guardrails section a plan comment has room for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingsDetail {
    /// Every finding, why and how to fix, what the change resolves.
    Full,
    /// The findings the change introduces; those already there and resolved counted.
    Introduced,
    /// The counts alone.
    Counts,
}

/// The Markdown section a plan comment ends with; empty when nothing was found.
pub fn plan_findings_markdown(findings: &PlanFindings) -> String {
    if findings.is_empty() {
        return String::new();
    }
    let (section, _) = plan_findings_comment_section(findings, FindingsDetail::Full);
    format!("\n{}\n", section.trim_end())
}

/// The guardrails section of a plan comment at a level of detail, and what it left out (for
/// the comment's "Shortened to fit" line). The comment layout calls this; the section is
/// self-contained (its own heading, one trailing newline after a blank line).
pub fn plan_findings_comment_section(
    findings: &PlanFindings,
    detail: FindingsDetail,
) -> (String, Option<String>) {
    if findings.is_empty() {
        return (String::new(), None);
    }
    let mut out = format!(
        "### Guardrails\n\nProfile `{}`: {} finding(s) introduced by this change, {} already \
         there, {} resolved.\n\n",
        findings.profile,
        findings.introduced.len(),
        findings.existing.len(),
        findings.resolved.len()
    );
    if findings.errors() > 0 {
        out.push_str(&format!(
            "> **Error:** {} finding(s) at error level; this plan cannot be applied.\n\n",
            findings.errors()
        ));
    }
    let shortened = match detail {
        FindingsDetail::Full => None,
        FindingsDetail::Introduced
            if findings.existing.is_empty() && findings.resolved.is_empty() =>
        {
            None
        }
        FindingsDetail::Introduced => {
            Some("guardrail findings already there or resolved counted, not listed".to_owned())
        }
        FindingsDetail::Counts => Some("guardrail findings counted, not listed".to_owned()),
    };
    if detail == FindingsDetail::Counts {
        return (finish_section(out), shortened);
    }
    if !findings.introduced.is_empty() {
        out.push_str("**Introduced by this change**\n\n");
        out.push_str(&markdown_table(&findings.introduced));
        out.push('\n');
    }
    if detail == FindingsDetail::Introduced {
        let introduced: Vec<&Finding> = findings.introduced.iter().map(|s| &s.finding).collect();
        out.push_str(&fixes_markdown(&introduced));
        return (finish_section(out), shortened);
    }
    if !findings.existing.is_empty() {
        out.push_str(&format!(
            "<details><summary>Already there ({})</summary>\n\n",
            findings.existing.len()
        ));
        out.push_str(&markdown_table(&findings.existing));
        out.push_str("\n</details>\n\n");
    }
    out.push_str(&fixes_markdown(&findings.shown()));
    if !findings.resolved.is_empty() {
        out.push_str("**Resolved by this change**\n\n");
        for finding in &findings.resolved {
            out.push_str(&format!(
                "- `{}` `{}`: {}\n",
                finding.rule,
                finding.address(),
                finding.message
            ));
        }
        out.push('\n');
    }
    (finish_section(out), shortened)
}

/// A section ends with one blank line, so that what follows starts a paragraph.
fn finish_section(mut out: String) -> String {
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push_str("\n\n");
    out
}

/// A finding in JSON: `rule`, `level`, `address`, `message`, then what the report adds.
#[derive(Debug, Serialize)]
struct FindingJson<'a> {
    rule: RuleId,
    level: Level,
    address: String,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<&'a SourceLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    introduced: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resolved: Option<bool>,
}

impl<'a> FindingJson<'a> {
    fn new(finding: &'a Finding, location: Option<&'a SourceLocation>) -> Self {
        FindingJson {
            rule: finding.rule,
            level: finding.level,
            address: finding.address(),
            message: &finding.message,
            location,
            introduced: None,
            resolved: None,
        }
    }
}

/// The plan JSON's `findings` (additive to the contract): every finding of the state after
/// the plan, with `introduced` telling the two groups apart, and `resolved` ones after them.
fn plan_findings_json(findings: &PlanFindings) -> Vec<FindingJson<'_>> {
    let mut all = Vec::new();
    for (introduced, group) in [(true, &findings.introduced), (false, &findings.existing)] {
        for shown in group {
            all.push(FindingJson {
                introduced: Some(introduced),
                ..FindingJson::new(&shown.finding, shown.location.as_ref())
            });
        }
    }
    for finding in &findings.resolved {
        all.push(FindingJson {
            resolved: Some(true),
            ..FindingJson::new(finding, None)
        });
    }
    all
}

/// The plan JSON with `findings` after the contract's keys (left out when there are none,
/// like `owned_elsewhere`); the plan's own keys keep their order.
pub fn render_json_with_findings(plan: &ecrform_plan::Plan, findings: &PlanFindings) -> String {
    if findings.is_empty() {
        return crate::render_json(plan);
    }
    #[derive(Serialize)]
    struct WithFindings<'a> {
        #[serde(flatten)]
        plan: &'a ecrform_plan::Plan,
        findings: Vec<FindingJson<'a>>,
    }
    let value = WithFindings {
        plan,
        findings: plan_findings_json(findings),
    };
    // As render_json: a plan serializes without fail; the empty object keeps this total.
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_else(|_| String::from("{}"));
    text.push('\n');
    text
}

/// What `audit` reports.
#[derive(Debug, Clone)]
pub struct AuditReport<'a> {
    pub profile: String,
    pub evaluation: &'a Evaluation,
}

/// The rows of the table: repositories with a judged rule, and registries with a
/// registry-wide one.
fn table_rows(evaluation: &Evaluation) -> Vec<&Row> {
    evaluation
        .table
        .iter()
        .filter(|row| {
            row.outcomes
                .values()
                .any(|outcome| !matches!(outcome, Outcome::NotApplicable | Outcome::Off))
        })
        .collect()
}

fn row_name(row: &Row) -> String {
    match &row.repository {
        Some(name) => format!("{}/{name}", row.registry),
        None => format!("{} (registry)", row.registry),
    }
}

fn audit_summary(report: &AuditReport<'_>) -> String {
    let evaluation = report.evaluation;
    format!(
        "Audit ({}): {} subject(s), {} error(s), {} warning(s), {} excepted.",
        report.profile,
        table_rows(evaluation).len(),
        evaluation.errors(),
        evaluation.warnings(),
        evaluation.excepted.len()
    )
}

/// The audit as text: a table with a column per rule (numbered, with the legend below), then
/// every finding.
pub fn render_audit_text(report: &AuditReport<'_>) -> String {
    let evaluation = report.evaluation;
    let rows = table_rows(evaluation);
    let width = rows
        .iter()
        .map(|row| row_name(row).len())
        .max()
        .unwrap_or(0)
        .max(10);
    let mut out = format!("{:<width$}", "REPOSITORY");
    for index in 1..=RULES.len() {
        out.push_str(&format!(" {index:>4}"));
    }
    out.push('\n');
    for row in &rows {
        out.push_str(&format!("{:<width$}", row_name(row)));
        for rule in RULES {
            let outcome = row
                .outcomes
                .get(&rule.rule)
                .copied()
                .unwrap_or(Outcome::NotApplicable);
            out.push_str(&format!(" {:>4}", outcome.as_str()));
        }
        out.push('\n');
    }
    out.push_str("\nRules:\n");
    for (index, rule) in RULES.iter().enumerate() {
        out.push_str(&format!("  {:>2} {}\n", index + 1, rule.id));
    }
    out.push_str(
        "pass: passes, FAIL: fails at error level, warn: fails at warning level, exc: \
                  fails with an exception, -: does not apply, ?: not read, off: rule off\n",
    );
    if !evaluation.findings.is_empty() {
        out.push_str("\nFindings:\n");
        for finding in &evaluation.findings {
            out.push_str(&format!("  {}\n", finding_line(finding)));
        }
        out.push('\n');
        out.push_str(&fixes_text(
            &evaluation.findings.iter().collect::<Vec<_>>(),
            "",
        ));
    }
    out.push('\n');
    out.push_str(&audit_summary(report));
    out.push('\n');
    out
}

/// The audit as Markdown: the same table with rule ids as headers, and the findings.
pub fn render_audit_markdown(report: &AuditReport<'_>) -> String {
    let evaluation = report.evaluation;
    let mut out = String::from("## ecrform audit\n\n");
    out.push_str(&audit_summary(report));
    out.push_str("\n\n| repository |");
    for rule in RULES {
        out.push_str(&format!(" `{}` |", rule.id));
    }
    out.push_str("\n| --- |");
    out.push_str(&" :---: |".repeat(RULES.len()));
    out.push('\n');
    for row in table_rows(evaluation) {
        out.push_str(&format!("| `{}` |", row_name(row)));
        for rule in RULES {
            let outcome = row
                .outcomes
                .get(&rule.rule)
                .copied()
                .unwrap_or(Outcome::NotApplicable);
            out.push_str(&format!(" {} |", outcome.as_str()));
        }
        out.push('\n');
    }
    if !evaluation.findings.is_empty() {
        out.push_str("\n**Findings**\n\n");
        out.push_str(&markdown_table(
            &evaluation
                .findings
                .iter()
                .map(|finding| ShownFinding {
                    finding: finding.clone(),
                    location: None,
                })
                .collect::<Vec<_>>(),
        ));
        out.push('\n');
        out.push_str(&fixes_markdown(
            &evaluation.findings.iter().collect::<Vec<_>>(),
        ));
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

/// A row's outcomes as `{"RULE": "status"}`, in rule order.
struct OutcomesJson<'a>(&'a std::collections::BTreeMap<RuleId, Outcome>);

impl Serialize for OutcomesJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(
            self.0
                .iter()
                .map(|(rule, outcome)| (rule.as_str(), outcome.status())),
        )
    }
}

/// The audit as JSON: the summary, every outcome per subject and rule, every finding.
pub fn render_audit_json(report: &AuditReport<'_>) -> String {
    #[derive(Serialize)]
    struct Summary {
        errors: usize,
        warnings: usize,
        excepted: usize,
    }
    #[derive(Serialize)]
    struct Result<'a> {
        registry: String,
        repository: Option<&'a str>,
        rules: OutcomesJson<'a>,
    }
    #[derive(Serialize)]
    struct Audit<'a> {
        format_version: u32,
        profile: &'a str,
        summary: Summary,
        results: Vec<Result<'a>>,
        findings: Vec<FindingJson<'a>>,
    }
    let evaluation = report.evaluation;
    let audit = Audit {
        format_version: 1,
        profile: &report.profile,
        summary: Summary {
            errors: evaluation.errors(),
            warnings: evaluation.warnings(),
            excepted: evaluation.excepted.len(),
        },
        results: table_rows(evaluation)
            .into_iter()
            .map(|row| Result {
                registry: row.registry.to_string(),
                repository: row.repository.as_ref().map(|name| name.as_str()),
                rules: OutcomesJson(&row.outcomes),
            })
            .collect(),
        findings: evaluation
            .findings
            .iter()
            .map(|finding| FindingJson::new(finding, None))
            .collect(),
    };
    // Every key is a string: serializing cannot fail; the empty object keeps this total.
    let mut text = serde_json::to_string_pretty(&audit).unwrap_or_else(|_| String::from("{}"));
    text.push('\n');
    text
}

/// One SARIF result: a guardrail finding, or a problem of the spec itself (`rule` `None`).
#[derive(Debug, Clone, PartialEq)]
pub struct SarifResult {
    /// `None`: a spec problem (reported under the rule id `spec`).
    pub finding: Option<Finding>,
    pub level: Level,
    pub message: String,
    pub location: Option<SourceLocation>,
    /// The address of what the result is about, for results without a file location.
    pub address: Option<String>,
}

impl SarifResult {
    pub fn of_finding(finding: &Finding, location: Option<SourceLocation>) -> Self {
        SarifResult {
            finding: Some(finding.clone()),
            level: finding.level,
            message: finding.message.clone(),
            location,
            address: Some(finding.address()),
        }
    }
}

/// The rule id of spec problems (what ECR would reject, unknown keys) in SARIF.
pub const SPEC_RULE_ID: &str = "spec";

/// SARIF 2.1.0: one run of the ecrform tool with every guardrail rule (and `spec`) as a
/// rule, and the results, each at its place in the spec where it has one.
pub fn render_sarif(results: &[SarifResult], version: &str) -> String {
    let mut rules: Vec<Value> = RULES
        .iter()
        .map(|rule| {
            json!({
                "id": rule.id,
                "name": rule.id,
                "shortDescription": {"text": rule.checks},
                "fullDescription": {"text": format!("{} ({})", rule.checks, rule.rationale)},
                "help": {"text": format!("{} Fix: {}", rule.rationale, rule.fix)},
                "defaultConfiguration": {"level": sarif_level(rule.recommended)},
                "properties": {"tags": rule.anchors},
            })
        })
        .collect();
    rules.push(json!({
        "id": SPEC_RULE_ID,
        "name": SPEC_RULE_ID,
        "shortDescription": {"text": "the spec is valid: what ECR would reject, unknown keys, wrong types"},
        "defaultConfiguration": {"level": "error"},
    }));
    let results: Vec<Value> = results
        .iter()
        .map(|result| {
            let rule_id = result
                .finding
                .as_ref()
                .map_or(SPEC_RULE_ID, |finding| finding.rule.as_str());
            let rule_index = RULES
                .iter()
                .position(|rule| rule.id == rule_id)
                .unwrap_or(RULES.len());
            let mut value = json!({
                "ruleId": rule_id,
                "ruleIndex": rule_index,
                "level": sarif_level(result.level),
                "message": {"text": result.message},
            });
            let mut location = serde_json::Map::new();
            if let Some(source) = &result.location {
                let mut physical =
                    json!({"artifactLocation": {"uri": source.file.replace('\\', "/")}});
                if let Some(line) = source.line {
                    physical["region"] = json!({"startLine": line});
                    if let Some(column) = source.column {
                        physical["region"]["startColumn"] = json!(column);
                    }
                }
                location.insert("physicalLocation".to_owned(), physical);
            }
            if let Some(address) = &result.address {
                location.insert(
                    "logicalLocations".to_owned(),
                    json!([{"fullyQualifiedName": address, "kind": "resource"}]),
                );
            }
            if !location.is_empty() {
                value["locations"] = json!([Value::Object(location)]);
            }
            value
        })
        .collect();
    let sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "ecrform",
                "version": version,
                "rules": rules,
            }},
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&sarif).unwrap_or_else(|_| String::from("{}"));
    text.push('\n');
    text
}

fn sarif_level(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Off => "none",
    }
}
