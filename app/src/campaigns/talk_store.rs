//! Updates, comments, reports and update-mail subscriptions (server only).

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::model::{Audience, CampaignMode, CommentView};
use super::store::COUNTED_PLEDGES;
use crate::backend::db::Db;
use crate::error::AppResult;
use crate::vars;

#[derive(Debug, Deserialize)]
pub struct UpdateRow {
    pub id: String,
    pub title: String,
    pub body_html: String,
    pub audience: Audience,
    pub created_at: DateTime<Utc>,
}

pub async fn updates(db: &Db, campaign: &str) -> AppResult<Vec<UpdateRow>> {
    Ok(db
        .rows(
            "SELECT record::id(id) AS id, title, body_html, audience, created_at FROM campaign_update \
             WHERE campaign = type::record('campaign', $c) ORDER BY created_at DESC LIMIT 50",
            vars!("c" => campaign),
        )
        .await?)
}

pub async fn create_update(
    db: &Db,
    campaign: &str,
    title: &str,
    body_html: &str,
    audience: Audience,
) -> AppResult<String> {
    let id: Option<String> = db
        .row(
            "CREATE campaign_update SET campaign = type::record('campaign', $c), title = $t, \
             body_html = $b, audience = $a RETURN VALUE record::id(id)",
            vars!("c" => campaign, "t" => title, "b" => body_html, "a" => audience),
        )
        .await?;
    id.ok_or(crate::error::AppError::Internal)
}

/// People to mail about an update: id, address, and the secret of their unsubscribe link
/// (created on first use). A backers-only update goes to backers alone (by
/// `payments::rules::is_backer`: its text is in the mail); a public one to everyone whose pledge
/// counts, a saved card included. Those who unsubscribed are left out.
pub async fn update_recipients(
    db: &Db,
    campaign: &str,
    mode: CampaignMode,
    audience: Audience,
) -> AppResult<Vec<(String, String, String)>> {
    let states = match audience {
        Audience::Backers => crate::payments::rules::backer_states(mode),
        Audience::Public => COUNTED_PLEDGES.to_vec(),
    };
    #[derive(Deserialize)]
    struct Row {
        id: String,
        email: String,
    }
    let backers: Vec<Row> = db
        .rows(
            "SELECT record::id(backer) AS id, backer.email AS email FROM pledge \
             WHERE campaign = type::record('campaign', $c) AND state IN $states",
            vars!("c" => campaign, "states" => states),
        )
        .await?;
    let mut out: Vec<(String, String, String)> = Vec::new();
    for b in backers {
        if out.iter().any(|(id, _, _)| id == &b.id) {
            continue;
        }
        #[derive(Deserialize)]
        struct Sub {
            token: String,
            active: bool,
        }
        let fresh = crate::backend::security::random_token();
        let sub: Option<Sub> = db
            .row(
                "LET $u = type::record('user', $uid); LET $c = type::record('campaign', $cid);
                 IF (SELECT VALUE id FROM subscription WHERE user = $u AND campaign = $c) = [] {
                    CREATE subscription SET user = $u, campaign = $c, token = $fresh;
                 };
                 SELECT token, active FROM subscription WHERE user = $u AND campaign = $c",
                vars!("uid" => b.id, "cid" => campaign, "fresh" => fresh),
            )
            .await?;
        if let Some(sub) = sub.filter(|s| s.active) {
            out.push((b.id, b.email, sub.token));
        }
    }
    Ok(out)
}

/// Turns off update mail for the subscription behind `token`. Returns the campaign's title.
pub async fn unsubscribe(db: &Db, token: &str) -> AppResult<Option<String>> {
    Ok(db
        .row(
            "UPDATE subscription SET active = false WHERE token = $t RETURN VALUE campaign.title",
            vars!("t" => token),
        )
        .await?)
}

/// Visible comments, from the counter kept with every comment write.
pub async fn comment_count(db: &Db, campaign: &str) -> AppResult<u64> {
    let n: Option<u64> = db
        .row(
            "SELECT VALUE comment_count FROM type::record('campaign', $c)",
            vars!("c" => campaign),
        )
        .await?;
    Ok(n.unwrap_or(0))
}

/// The newest `limit` threads (top-level comments and all their replies), oldest first inside a
/// thread. Hidden comments keep their place but lose their text unless `moderator`.
pub async fn comments(
    db: &Db,
    campaign: &str,
    mode: CampaignMode,
    creator: &str,
    moderator: bool,
    limit: usize,
) -> AppResult<Vec<CommentView>> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
        parent: Option<String>,
        author: String,
        author_handle: String,
        author_name: String,
        body: String,
        hidden: bool,
        created_at: DateTime<Utc>,
    }
    let fields = "record::id(id) AS id, (IF parent != NONE THEN record::id(parent) ELSE NONE END) AS parent, record::id(author) AS author, \
                  author.handle AS author_handle, author.display_name AS author_name, body, hidden, created_at";
    let mut rows: Vec<Row> = db
        .rows(
            &format!(
                "SELECT {fields} FROM comment WHERE campaign = type::record('campaign', $cid) \
                 AND parent = NONE ORDER BY created_at DESC LIMIT $limit"
            ),
            vars!("cid" => campaign, "limit" => limit),
        )
        .await?;
    let top_ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    // Through the parent index: only the replies of these threads are read.
    let replies: Vec<Row> = db
        .rows(
            &format!(
                "LET $parents = $tops.map(|$t| type::record('comment', $t));
                 SELECT {fields} FROM comment WHERE parent IN $parents ORDER BY created_at"
            ),
            vars!("cid" => campaign, "tops" => top_ids),
        )
        .await?;
    rows.extend(replies);
    let mut authors: Vec<&str> = rows.iter().map(|r| r.author.as_str()).collect();
    authors.sort_unstable();
    authors.dedup();
    let backers: Vec<String> = db
        .rows(
            // One indexed look-up per author (backer, campaign), not a scan of every pledge.
            "LET $camp = type::record('campaign', $c);
             RETURN $authors.filter(|$a| (SELECT VALUE id FROM pledge WHERE backer = type::record('user', $a)
                AND campaign = $camp AND state IN $states LIMIT 1) != []);",
            vars!("c" => campaign, "states" => crate::payments::rules::backer_states(mode),
                "authors" => authors),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| CommentView {
            is_backer: backers.contains(&r.author),
            is_creator: r.author == creator,
            body: if r.hidden && !moderator {
                String::new()
            } else {
                r.body
            },
            id: r.id,
            parent: r.parent,
            author_handle: r.author_handle,
            author_name: r.author_name,
            hidden: r.hidden,
            created_at: r.created_at,
        })
        .collect())
}

/// A comment's campaign and whether it is itself a reply (replies nest one level only).
pub async fn comment_target(db: &Db, id: &str) -> AppResult<Option<(String, bool)>> {
    #[derive(Deserialize)]
    struct Row {
        campaign: String,
        is_reply: bool,
    }
    let row: Option<Row> = db
        .row(
            "SELECT record::id(campaign) AS campaign, parent != NONE AS is_reply FROM type::record('comment', $id)",
            vars!("id" => id),
        )
        .await?;
    Ok(row.map(|r| (r.campaign, r.is_reply)))
}

pub async fn create_comment(
    db: &Db,
    campaign: &str,
    author: &str,
    parent: Option<&str>,
    body: &str,
) -> AppResult<String> {
    let id: Option<String> = db
        .row(
            "CREATE comment SET campaign = type::record('campaign', $c), author = type::record('user', $u), \
             parent = IF $p THEN type::record('comment', $p) ELSE NONE END, body = $b RETURN VALUE record::id(id)",
            vars!("c" => campaign, "u" => author, "p" => parent, "b" => body),
        )
        .await?;
    id.ok_or(crate::error::AppError::Internal)
}

pub async fn set_hidden(db: &Db, id: &str, hidden: bool) -> AppResult<()> {
    Ok(db
        .run(
            "UPDATE type::record('comment', $id) SET hidden = $h",
            vars!("id" => id, "h" => hidden),
        )
        .await?)
}

/// Whether an admin hid the comment when resolving reports on it (`/admin/reports`).
pub async fn hidden_by_moderation(db: &Db, id: &str) -> AppResult<bool> {
    let n: Option<i64> = db
        .row(
            "SELECT VALUE count() FROM report
             WHERE target = type::record('comment', $id) AND outcome = 'hidden' GROUP ALL",
            vars!("id" => id),
        )
        .await?;
    Ok(n.unwrap_or(0) > 0)
}

/// Records a report once per reporter; a second report by the same person is a no-op.
pub async fn report(db: &Db, target_comment: &str, reporter: &str, reason: &str) -> AppResult<()> {
    let result = db
        .run(
            "CREATE report SET target = type::record('comment', $t), reporter = type::record('user', $u), reason = $r",
            vars!("t" => target_comment, "u" => reporter, "r" => reason),
        )
        .await;
    match result {
        Err(e) if e.is_unique_violation("report_once") => Ok(()),
        other => Ok(other?),
    }
}
