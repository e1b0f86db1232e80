//! The admin job-monitoring console: operators' view of customers, Instagram accounts, posts,
//! workflows, queues and workers, mounted by the api under `/admin`.
#![forbid(unsafe_code)]
