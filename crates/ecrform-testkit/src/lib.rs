//! Support for ecrform's tests; never a dependency of the shipped binary.
//!
//! The planner and the executor talk to registries only through the `Registry` port of
//! ecrform-plan. [`InMemoryRegistry`] implements that port with ECR's semantics in memory, so
//! that plan-then-apply round trips, partial failures, IAM propagation retries and the
//! parallelism limit can be tested quickly and deterministically, including the failures
//! neither ECR nor the local emulator can be made to produce on cue. It holds the registry-wide
//! settings too (replication, registry policy, scanning, pull-through cache rules, creation
//! templates, account settings), reports them the way ECR does, and can mark operations
//! unsupported the way the emulator answers those it lacks. [`ecr_error`] builds the errors ECR
//! answers with, for fault injection, and [`fixtures`] the ids, documents and states that
//! tests build their scenarios from. [`proxy`] puts latency, throttling and faults between the
//! real binary and the emulator. [`LoopbackEndpoint`] stands in for an endpoint that fails in
//! ways the emulator cannot be made to (an STS that refuses a role, a connection reset), and
//! [`mutate`] makes the deterministic mutants the fuzz tests feed to every parser.

mod ecr;
pub mod ecr_error;
pub mod emulator;
pub mod fixtures;
pub mod loopback;
pub mod mutate;
pub mod proxy;
pub mod registry;

pub use emulator::{Emulator, EmulatorError};
pub use loopback::{LoopbackAnswer, LoopbackEndpoint};
pub use proxy::{Proxy, ProxyConfig};
pub use registry::{EMULATOR_UNSUPPORTED, InMemoryRegistry, READ_OPERATION, RecordedCall};
