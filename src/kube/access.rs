//! "May I?": asks the API server whether the current credentials may do
//! something, so that a command can refuse (or skip a step) before it changes
//! anything instead of failing half-way with a 403.

use anyhow::{Context, Result};
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use kube::Client;
use kube::api::{Api, PostParams};

/// A verb on a resource, in a namespace or cluster-wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access<'a> {
    pub verb: &'a str,
    /// API group; "" for the core group.
    pub group: &'a str,
    /// Plural resource name.
    pub resource: &'a str,
    /// None for cluster-scoped resources (or all namespaces).
    pub namespace: Option<&'a str>,
}

impl Access<'_> {
    /// Whether the server allows it (a SelfSubjectAccessReview).
    pub async fn allowed(&self, client: &Client) -> Result<bool> {
        let review = SelfSubjectAccessReview {
            spec: SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    verb: Some(self.verb.into()),
                    group: Some(self.group.into()),
                    resource: Some(self.resource.into()),
                    namespace: self.namespace.map(str::to_string),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        let answer = Api::<SelfSubjectAccessReview>::all(client.clone())
            .create(&PostParams::default(), &review)
            .await
            .context("cannot ask the cluster which permissions these credentials have")?;
        Ok(answer.status.is_some_and(|status| status.allowed))
    }
}

impl std::fmt::Display for Access<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.verb, self.resource)?;
        if !self.group.is_empty() {
            write!(f, ".{}", self.group)?;
        }
        if let Some(namespace) = self.namespace {
            write!(f, " in {namespace}")?;
        }
        Ok(())
    }
}
