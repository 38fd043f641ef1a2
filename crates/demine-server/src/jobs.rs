//! Long work (risk build, plan, forecast, capacity, report) as jobs: started by a request that
//! answers at once (202 with the job's URL), run on their own thread so that they never hold
//! up other requests, polled for progress, and their result fetched when done. Jobs live in
//! memory: a restart forgets them (their effects on the registry, if any, are kept).

use demine_app::{Actor, AppError, Progress};
use serde::Serialize;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// What a finished job produced.
#[derive(Debug, Clone)]
pub struct Output {
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// A job as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobView {
    pub id: String,
    pub kind: String,
    /// `running`, `done` or `failed`.
    pub status: String,
    /// What it is doing now.
    pub stage: String,
    /// Units done of `total` in the current stage, when known.
    pub done: u64,
    pub total: u64,
    pub created_at: String,
    /// Where the result is, once done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// Why it failed (problem details).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<serde_json::Value>,
    #[serde(skip)]
    pub owner: String,
}

struct Job {
    view: JobView,
    output: Option<Output>,
}

/// The jobs of this server process.
#[derive(Clone, Default)]
pub struct Jobs {
    jobs: Arc<Mutex<HashMap<String, Job>>>,
    stopped: Arc<AtomicBool>,
}

/// A job's progress sink.
struct JobProgress {
    id: String,
    jobs: Jobs,
}

impl Progress for JobProgress {
    fn stage(&self, message: &str) {
        self.jobs.update(&self.id, |v| {
            v.stage = message.to_string();
            v.done = 0;
            v.total = 0;
        });
    }
    fn advance(&self, done: u64, total: u64) {
        self.jobs.update(&self.id, |v| {
            v.done = done;
            v.total = total;
        });
    }
}

/// The work of a job.
pub type Work =
    Box<dyn FnOnce(Box<dyn Progress>) -> Pin<Box<dyn Future<Output = Result<Output, AppError>> + Send>> + Send>;

impl Jobs {
    fn update(&self, id: &str, f: impl FnOnce(&mut JobView)) {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(j) = jobs.get_mut(id) {
            f(&mut j.view);
        }
    }

    /// Starts `work` for `owner`; returns the job as it stands.
    pub fn start(&self, kind: &str, owner: &Actor, work: Work) -> JobView {
        let id = uuid::Uuid::new_v4().to_string();
        let view = JobView {
            id: id.clone(),
            kind: kind.to_string(),
            status: "running".into(),
            stage: "starting".into(),
            done: 0,
            total: 0,
            created_at: demine_app::util::now_stamp(),
            result: None,
            error: None,
            owner: owner.name.clone(),
        };
        self.jobs.lock().unwrap_or_else(|e| e.into_inner()).insert(
            id.clone(),
            Job {
                view: view.clone(),
                output: None,
            },
        );
        let jobs = self.clone();
        let progress = Box::new(JobProgress {
            id: id.clone(),
            jobs: self.clone(),
        });
        // The job's own thread keeps its computing off the server's workers, but its I/O runs on
        // the server's runtime: a database connection it opens joins the shared pool, and must
        // not be bound to a runtime that ends with the job (the next request to take it would fail).
        let server_runtime = tokio::runtime::Handle::try_current();
        std::thread::spawn(move || {
            // A defect that panics ends the job as failed (an internal error, its cause in the
            // log) instead of leaving it running for ever.
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match server_runtime {
                Ok(handle) => handle.block_on(work(progress)),
                Err(_) => match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(rt) => rt.block_on(work(progress)),
                    Err(e) => Err(AppError::Internal(anyhow::anyhow!("starting the job: {e}"))),
                },
            }))
            .unwrap_or_else(|panic| {
                let cause = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Err(AppError::Internal(anyhow::anyhow!(
                    "the job stopped on a defect: {cause}"
                )))
            });
            jobs.finish(&id, result);
        });
        view
    }

    fn finish(&self, id: &str, result: Result<Output, AppError>) {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        let Some(j) = jobs.get_mut(id) else { return };
        match result {
            Ok(out) => {
                j.view.status = "done".into();
                j.view.stage = "done".into();
                j.view.result = Some(format!("/api/v1/jobs/{id}/result"));
                j.output = Some(out);
            }
            Err(e) => {
                let api = crate::error::ApiError::from(e);
                j.view.status = "failed".into();
                j.view.error = Some(serde_json::json!({
                    "title": api.0.title, "status": api.0.status.as_u16(), "detail": api.0.detail, "problems": api.0.problems,
                }));
            }
        }
    }

    /// A job the actor may see (its own; administrators see every job).
    pub fn view(&self, id: &str, actor: &Actor) -> Option<JobView> {
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        jobs.get(id)
            .filter(|j| j.view.owner == actor.name || actor.role == demine_app::Role::Admin)
            .map(|j| j.view.clone())
    }

    /// The result of a finished job the actor may see.
    pub fn output(&self, id: &str, actor: &Actor) -> Option<Output> {
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        jobs.get(id)
            .filter(|j| j.view.owner == actor.name || actor.role == demine_app::Role::Admin)
            .and_then(|j| j.output.clone())
    }

    /// The server is stopping: new jobs are not started.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A job that panics ends as failed, with an internal error and no internals, and the
    /// server goes on.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_job_that_panics_ends_as_failed() {
        let jobs = Jobs::default();
        let owner = Actor::local("tester");
        let view = jobs.start(
            "test",
            &owner,
            Box::new(|_progress| Box::pin(async move { panic!("index out of bounds") })),
        );
        for _ in 0..200 {
            let v = jobs.view(&view.id, &owner).unwrap();
            if v.status != "running" {
                assert_eq!(v.status, "failed");
                let error = v.error.unwrap();
                assert_eq!(error["status"], 500, "{error}");
                assert!(!error.to_string().contains("index out of bounds"), "{error}");
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("the job still runs");
    }

    /// A job's database connections join the server's pool and serve later requests: I/O a job
    /// opens must still work once the job has finished.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn io_opened_by_a_job_outlives_the_job() {
        let jobs = Jobs::default();
        let owner = Actor::local("tester");
        let kept: Arc<Mutex<Option<tokio::net::TcpListener>>> = Arc::default();
        let k = kept.clone();
        let view = jobs.start(
            "test",
            &owner,
            Box::new(move |_progress| {
                Box::pin(async move {
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                        .await
                        .map_err(|e| AppError::Internal(e.into()))?;
                    *k.lock().unwrap() = Some(listener);
                    Ok(Output {
                        content_type: "text/plain",
                        body: Vec::new(),
                    })
                })
            }),
        );
        while jobs.view(&view.id, &owner).is_some_and(|v| v.status == "running") {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert_eq!(jobs.view(&view.id, &owner).unwrap().status, "done");
        let listener = kept.lock().unwrap().take().unwrap();
        let addr = listener.local_addr().unwrap();
        let client = tokio::spawn(async move { tokio::net::TcpStream::connect(addr).await });
        let accepted = tokio::time::timeout(std::time::Duration::from_secs(10), listener.accept()).await;
        assert!(
            matches!(accepted, Ok(Ok(_))),
            "a listener the job opened no longer works: {accepted:?}"
        );
        client.await.unwrap().unwrap();
    }
}
