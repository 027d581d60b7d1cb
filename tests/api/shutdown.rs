//! SIGTERM drains: the running binary stops accepting connections, lets an upload in flight
//! finish, and exits 0.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use quire::auth::Role;

use crate::binary::{Server, serve};

#[test]
fn sigterm_lets_an_upload_in_flight_finish_and_refuses_new_connections() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(
        serve(dir.path(), &[("QUIRE_SHUTDOWN_GRACE_SECS", "20")]),
        dir.path(),
    );
    let address = server.base.trim_start_matches("http://").to_owned();
    let company = server.company;
    let token = server.token("alice", Role::Member);
    let body = vec![b'x'; 20_000];
    let mut upload = TcpStream::connect(&address).unwrap();
    upload
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        upload,
        "POST /internal/services/files/v1/companies/{company}/files?filename=slow.bin HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    upload.write_all(&body[..10_000]).unwrap();
    upload.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));

    let killed = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        TcpStream::connect(&address).is_err(),
        "new connections are refused once draining"
    );

    upload.write_all(&body[10_000..]).unwrap();
    let mut answer = String::new();
    upload.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"size\":20000"), "{answer}");

    let status = server.wait();
    assert!(status.success(), "exit status {status}");
}
