//! `update` with its flags rather than a resources document on stdin.

use std::path::Path;

use super::Runsc;
use crate::cli::{self, Subcommand};
use crate::Error;

impl Runsc {
    /// `update` as `options` spells it: `--resources FILE` (a JSON
    /// `LinuxResources` runsc reads itself) and/or single limits such as
    /// `--memory` and `--pids-limit` (runsc 20260817). For the resources
    /// on stdin, use [`Runsc::update`].
    ///
    /// ```no_run
    /// # async fn demo(runsc: runsc::Runsc) -> Result<(), runsc::Error> {
    /// use runsc::cli::{ContainerId, Update};
    /// let mut update = Update::resources(ContainerId::new("c1")?, "/run/c1/resources.json");
    /// update.pids_limit = Some(64);
    /// runsc.update_with(update).await
    /// # }
    /// ```
    pub async fn update_with(&self, options: cli::Update) -> Result<(), Error> {
        if options.resources.as_deref() == Some(Path::new("-")) {
            return Err(Error::invalid(
                "update resources",
                "-",
                "`-` reads the resources from stdin; use Runsc::update, which writes them there",
            ));
        }
        self.checked(Subcommand::Update(options)).await.map(drop)
    }
}
