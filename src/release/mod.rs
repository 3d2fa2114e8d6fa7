//! Helm-format release records: the model ([`Release`] and friends), the
//! `data.release` codec, and [`SecretStore`], which reads and writes the
//! `sh.helm.release.v1.<name>.v<revision>` Secrets exactly as helm v3 and v4
//! do, so either helm can take over a release tare made and the other way round.

pub mod codec;
pub mod gojson;
mod model;
mod store;
mod values;

pub use model::{
    APPLY_METHOD_CSA, APPLY_METHOD_SSA, ChartFile, ChartRecord, Dependency, GoTime, Hook,
    HookExecution, Info, Lock, Maintainer, Metadata, Release, Status, Values,
};
pub use store::{MAX_RECORD_BYTES, NotFound, SECRET_TYPE, SYSTEM_LABELS, SecretStore, secret_name};
pub use values::computed_values;
