//! `server bench-media`: lesson media benchmarks (bench/media.sh), run against this server's
//! own port. One `BENCH_MEDIA_MB` (default 200) MB lesson video is fetched by an enrolled,
//! logged-in learner through the entitlement-checked media route, and the same file (a hard
//! link) through the plain static `ServeDir` at `/media/covers/`, side by side:
//!
//! 1. full-file throughput, best of 3 runs;
//! 2. latency of `BENCH_SEEKS` (default 500) random 64 KiB ranges, p50 and p99;
//! 3. this process's resident memory while `BENCH_CLIENTS` (default 50) clients stream the whole
//!    file at once through the media route: before, peak during, after. The clients run in the
//!    same process, so their buffers count too; every body is read chunk by chunk and dropped.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::accounts::model::{DisplayName, Email, Handle};
use app::backend::AppState;
use app::courses::model::{CourseState, Grant, MediaInfo, MediaKind};
use app::courses::store;
use rand::{Rng, RngCore};
use tokio::io::AsyncWriteExt;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const SEEK_BYTES: u64 = 64 * 1024;
/// Growth of the peak over the idle RSS that still counts as flat: buffering even one stream
/// whole would add the file's size, fifty would add fifty times that.
const FLAT_MIB: u64 = 64;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|v| *v > 0)
        .unwrap_or(default)
}

fn failed(what: &str, e: impl std::fmt::Debug) -> BoxError {
    format!("{what}: {e:?}").into()
}

/// This process's resident set in KiB (Linux).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Nearest-rank percentile of sorted samples, in milliseconds.
fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else {
        return 0.0;
    };
    let rank = ((sorted.len() as f64 * p).ceil() as usize).saturating_sub(1);
    sorted[rank.min(last)].as_secs_f64() * 1000.0
}

/// A video-looking file of `size` bytes (an MP4 `ftyp` head, then noise so nothing downstream
/// can shortcut it), written a MiB at a time.
async fn write_video(path: &std::path::Path, size: u64) -> Result<(), BoxError> {
    let mut out = tokio::fs::File::create(path).await?;
    let mut buf = vec![0u8; 1024 * 1024];
    let mut left = size;
    let mut first = true;
    while left > 0 {
        rand::rng().fill_bytes(&mut buf);
        if first {
            buf[..16].copy_from_slice(b"\0\0\0\x18ftypisom\0\0\0\0");
            first = false;
        }
        let n = left.min(buf.len() as u64) as usize;
        out.write_all(&buf[..n]).await?;
        left -= n as u64;
    }
    out.flush().await?;
    Ok(())
}

/// A published course whose lesson's media is a `size`-byte file, also placed under covers/.
/// Answers (course id, media path, static path).
async fn course_with_video(
    state: &AppState,
    size: u64,
) -> Result<(String, String, String), BoxError> {
    let db = &state.db;
    let creator = app::accounts::store::create_user(
        db,
        app::accounts::store::NewUser {
            email: &Email::parse("bench-media@bench.local").map_err(|e| failed("email", e))?,
            handle: &Handle::parse("bench_media").map_err(|e| failed("handle", e))?,
            display_name: &DisplayName::parse("Bench creator").map_err(|e| failed("name", e))?,
            password_hash: None,
            roles: &[app::accounts::model::Role::Creator],
            verified: true,
        },
    )
    .await
    .map_err(|e| failed("creator", e))?;
    let course = store::create(db, &creator.id, "Bench media course", "bench-media")
        .await
        .map_err(|e| failed("course", e))?;
    let lesson = store::create_lesson(db, &course, "s1", "A long video")
        .await
        .map_err(|e| failed("lesson", e))?;
    store::set_state(db, &course, CourseState::Published)
        .await
        .map_err(|e| failed("publish", e))?;

    let file = format!(
        "bench{}.mp4",
        rand::rng().random_range(100_000..1_000_000u32)
    );
    let lessons = state.settings.media_dir.join("lessons");
    tokio::fs::create_dir_all(&lessons).await?;
    let media_path = lessons.join(&file);
    write_video(&media_path, size).await?;
    // The same inode for both routes, so the page cache favours neither.
    let cover_path = state.settings.media_dir.join("covers").join(&file);
    if std::fs::hard_link(&media_path, &cover_path).is_err() {
        tokio::fs::copy(&media_path, &cover_path).await?;
    }
    let info = MediaInfo {
        file: file.clone(),
        kind: MediaKind::Video,
        mime: "video/mp4".into(),
        size: size as i64,
        name: "bench.mp4".into(),
    };
    store::set_media(db, &lesson, &info)
        .await
        .map_err(|e| failed("media", e))?;
    Ok((
        course,
        format!("/media/lessons/{lesson}/{file}"),
        format!("/media/covers/{file}"),
    ))
}

/// A learner signed up through the `sign_up` server function, with its session in `client`.
async fn sign_up(
    state: &AppState,
    base: &str,
    client: &reqwest::Client,
) -> Result<String, BoxError> {
    let html = client.get(format!("{base}/")).send().await?.text().await?;
    let marker = "name=\"csrf-token\" content=\"";
    let start = html.find(marker).ok_or("no CSRF token on the home page")? + marker.len();
    let csrf = html.get(start..start + 43).ok_or("short CSRF token")?;
    let email = "bench-learner@bench.local";
    let res = client
        .post(format!("{base}/api/sign_up"))
        .form(&[
            ("csrf", csrf),
            ("email", email),
            ("display_name", "Bench learner"),
            ("handle", "bench_learner"),
            ("password", "bench password 123"),
        ])
        .send()
        .await?;
    if !res.status().is_success() {
        return Err(format!("sign up answered {}", res.status()).into());
    }
    let email = Email::parse(email).map_err(|e| failed("email", e))?;
    let user = app::accounts::store::find_by_email(&state.db, &email)
        .await
        .map_err(|e| failed("learner", e))?
        .ok_or("learner not created")?;
    Ok(user.id)
}

/// Fetches `url` (optionally a range), reading the body chunk by chunk; answers its length.
async fn fetch(
    client: &reqwest::Client,
    url: &str,
    range: Option<String>,
) -> Result<u64, BoxError> {
    let mut req = client.get(url);
    if let Some(r) = range {
        req = req.header(reqwest::header::RANGE, r);
    }
    let mut res = req.send().await?;
    if !res.status().is_success() {
        return Err(format!("{url} answered {}", res.status()).into());
    }
    let mut n = 0u64;
    while let Some(chunk) = res.chunk().await? {
        n += chunk.len() as u64;
    }
    Ok(n)
}

async fn best_throughput(client: &reqwest::Client, url: &str, size: u64) -> Result<f64, BoxError> {
    let mut best = 0.0f64;
    for _ in 0..3 {
        let started = Instant::now();
        let n = fetch(client, url, None).await?;
        if n != size {
            return Err(format!("{url}: {n} bytes of {size}").into());
        }
        best = best.max(n as f64 / 1e6 / started.elapsed().as_secs_f64());
    }
    Ok(best)
}

async fn seek_latencies(
    client: &reqwest::Client,
    url: &str,
    offsets: &[u64],
) -> Result<(f64, f64), BoxError> {
    let mut times = Vec::with_capacity(offsets.len());
    for &at in offsets {
        let started = Instant::now();
        let n = fetch(
            client,
            url,
            Some(format!("bytes={at}-{}", at + SEEK_BYTES - 1)),
        )
        .await?;
        times.push(started.elapsed());
        if n != SEEK_BYTES {
            return Err(format!("{url}: a range answered {n} bytes").into());
        }
    }
    times.sort();
    Ok((percentile_ms(&times, 0.50), percentile_ms(&times, 0.99)))
}

pub async fn run(state: &AppState) -> Result<String, BoxError> {
    let size = env_u64("BENCH_MEDIA_MB", 200) * 1_000_000;
    let seeks = env_u64("BENCH_SEEKS", 500);
    let clients = env_u64("BENCH_CLIENTS", 50);
    let base = format!("http://{}", state.settings.addr);
    let (course, media, statik) = course_with_video(state, size).await?;
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    let learner = sign_up(state, &base, &client).await?;
    store::grant(&state.db, &course, &learner, Grant::Admin, Some("bench"))
        .await
        .map_err(|e| failed("grant", e))?;
    let (media, statik) = (format!("{base}{media}"), format!("{base}{statik}"));
    let mb = size / 1_000_000;
    let mut out = String::new();

    // 1. Whole-file throughput.
    let via_route = best_throughput(&client, &media, size).await?;
    let via_static = best_throughput(&client, &statik, size).await?;
    out.push_str(&format!(
        "| full {mb} MB file, best of 3 | {via_route:.0} MB/s | {via_static:.0} MB/s |\n"
    ));

    // 2. Seeks: the same random offsets for both.
    let offsets: Vec<u64> = (0..seeks)
        .map(|_| rand::rng().random_range(0..=size - SEEK_BYTES))
        .collect();
    let (r50, r99) = seek_latencies(&client, &media, &offsets).await?;
    let (s50, s99) = seek_latencies(&client, &statik, &offsets).await?;
    out.push_str(&format!(
        "| {seeks} random 64 KiB ranges, p50 / p99 | {r50:.2} / {r99:.2} ms | {s50:.2} / {s99:.2} ms |\n"
    ));

    // 3. Memory while many learners stream at once.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = rss_kib();
    let peak = Arc::new(AtomicU64::new(before));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let started = Instant::now();
    let streams: Vec<_> = (0..clients)
        .map(|_| {
            let (client, url) = (client.clone(), media.clone());
            tokio::spawn(async move { fetch(&client, &url, None).await })
        })
        .collect();
    let mut total = 0u64;
    for s in streams {
        total += s.await??;
    }
    let wall = started.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    sampler.await?;
    if total != size * clients {
        return Err(format!(
            "streams delivered {total} bytes, expected {}",
            size * clients
        )
        .into());
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = rss_kib();
    let peak = peak.load(Ordering::Relaxed);
    let growth = peak.saturating_sub(before) / 1024;
    let verdict = if growth <= FLAT_MIB { "pass" } else { "MISS" };
    out.push_str(&format!(
        "| {clients} concurrent full-file streams, aggregate | {:.0} MB/s ({:.1} s for {} GB) | – |\n",
        total as f64 / 1e6 / wall,
        wall,
        total / 1_000_000_000,
    ));
    out.push_str(&format!(
        "| process RSS during those streams: before / peak / after | {} / {} / {} MiB (peak +{growth} MiB, target ≤ +{FLAT_MIB} MiB: {verdict}) | – |\n",
        before / 1024,
        peak / 1024,
        after / 1024,
    ));
    Ok(out)
}
