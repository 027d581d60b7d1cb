//! SIGTERM drains: the running binary stops accepting connections, lets an upload in flight
//! finish, and exits 0.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use quire::auth::{Keys, Role};
use quire::domain::CompanyId;

#[test]
fn sigterm_lets_an_upload_in_flight_finish_and_refuses_new_connections() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "shutdown-test-secret-0123456789";
    let mut server = Command::new(env!("CARGO_BIN_EXE_quire"))
        .arg("serve")
        .env("QUIRE_DATA_DIR", dir.path())
        .env("QUIRE_BIND", "127.0.0.1:0")
        .env("QUIRE_JWT_SECRET", secret)
        .env("QUIRE_SHUTDOWN_GRACE_SECS", "20")
        .env("QUIRE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting quire");
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let address = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| {
            line.strip_prefix("Quire is listening on http://")
                .map(str::to_owned)
        })
        .expect("the listening address");

    let company = CompanyId(uuid::Uuid::new_v4());
    let token = Keys::from_secret(secret.as_bytes())
        .mint_access("alice", &[(company, Role::Member)], 600, None)
        .unwrap();
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
        .args(["-TERM", &server.id().to_string()])
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

    let status = server.wait().unwrap();
    assert!(status.success(), "exit status {status}");
}
