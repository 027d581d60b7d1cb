//! Integration tests: the real router, real migrations, SQLite and PostgreSQL.

mod support;

mod access;
mod binary;
mod clients;
mod concurrency;
mod content;
mod durability;
mod errors;
mod feed;
mod http;
mod items;
mod limits;
mod listing;
mod live;
mod matrix;
mod openapi;
mod principals;
mod queries;
mod replicas;
mod rest;
mod revisions;
mod schema;
mod search;
mod security;
mod sharing;
mod shutdown;
mod sizes;
mod statements;
mod tabs;
mod trash;
mod versions;
