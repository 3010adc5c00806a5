//! The integration suite: the real router on a real socket, over SQLite and over
//! PostgreSQL. Every test runs on both backends (see `both!`); each gets a fresh database.

mod booking;
mod catalog_edits;
mod charges_payments;
mod charges_quotes;
mod charges_schedules;
mod customer_records;
mod customer_side;
mod defects;
mod dispatch_ui;
mod front_office;
mod helpers;
mod hostile_auth;
mod hostile_http;
mod hostile_values;
mod installed_base;
mod labels;
mod loaners;
mod parts;
mod parts_io;
mod records;
mod requisitions;
mod service_flow;
mod sla;
mod staff_notices;
mod stocktakes;
mod transfer;

mod audit;
mod auth;
mod cli;
mod compat;
mod conventions;
mod crash;
mod hostile_openapi;
mod hostile_uploads;
mod imports;
mod jobs;
mod matrix;
mod network;
mod observability;
mod org_and_users;
mod request_list;
mod requests_ui;
mod site_zone;
mod web;
