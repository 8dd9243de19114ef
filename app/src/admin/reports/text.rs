//! Every sentence of the report queue (`/admin/reports`), in English and Simplified Chinese.

use super::ReportedKind;
use crate::i18n::{use_lang, Lang};

pub struct ReportsText {
    pub title: &'static str,
    pub nav: &'static str,
    pub intro: &'static str,
    pub empty: &'static str,
    pub comment: &'static str,
    pub review: &'static str,
    pub gone: &'static str,
    pub reported: &'static str,
    pub reasons: &'static str,
    pub no_reason: &'static str,
    pub first_reported: &'static str,
    pub status: &'static str,
    pub hidden_now: &'static str,
    pub visible_now: &'static str,
    pub author: &'static str,
    pub location: &'static str,
    pub content: &'static str,
    pub hide: &'static str,
    pub dismiss: &'static str,
    pub actions: &'static str,
    /// `(before, after)` a number of further reports whose reasons are not listed.
    pub more_reasons: (&'static str, &'static str),
    /// `(before, after)` a number of people.
    pub people: (&'static str, &'static str),
    /// `(before, after)` the number of reports an action resolved.
    pub hidden_done: (&'static str, &'static str),
    pub dismissed_done: (&'static str, &'static str),
    /// Word order of "comment by Ada": `true` puts the author first ("Ada 的评论").
    pub author_first: bool,
    pub by: &'static str,
    /// Between an action and the item it acts on, in button names ("Hide: Comment by Ada").
    pub sep: &'static str,
}

impl ReportsText {
    pub fn kind(&self, kind: ReportedKind) -> &'static str {
        match kind {
            ReportedKind::Comment => self.comment,
            ReportedKind::Review => self.review,
        }
    }

    /// "comment by Ada" / "Ada 的评论": names an item in headings and button labels.
    pub fn item(&self, kind: ReportedKind, author: &str) -> String {
        if self.author_first {
            format!("{author}{}{}", self.by, self.kind(kind))
        } else {
            format!("{} {} {author}", self.kind(kind), self.by)
        }
    }

    pub fn people(&self, n: u32) -> String {
        format!("{}{n}{}", self.people.0, self.people.1)
    }

    pub fn more_reasons(&self, n: u32) -> String {
        format!("{}{n}{}", self.more_reasons.0, self.more_reasons.1)
    }

    pub fn hidden_done(&self, n: u32) -> String {
        format!("{}{n}{}", self.hidden_done.0, self.hidden_done.1)
    }

    pub fn dismissed_done(&self, n: u32) -> String {
        format!("{}{n}{}", self.dismissed_done.0, self.dismissed_done.1)
    }
}

pub const EN: ReportsText = ReportsText {
    title: "Reports",
    nav: "Reports",
    intro: "Comments and reviews people reported, oldest first. Hide takes the content down and closes its reports; Dismiss closes the reports and keeps the content.",
    empty: "Nothing to review. New reports will appear here.",
    comment: "Comment",
    review: "Review",
    gone: "This content no longer exists.",
    reported: "Reported by",
    reasons: "Reasons",
    no_reason: "No reason given",
    first_reported: "First reported",
    status: "Status",
    hidden_now: "Already hidden",
    visible_now: "Visible",
    author: "Author",
    location: "Where",
    content: "Content",
    hide: "Hide",
    dismiss: "Dismiss",
    actions: "Actions",
    more_reasons: ("and ", " more"),
    people: ("", " people"),
    hidden_done: ("Hidden. Reports resolved: ", "."),
    dismissed_done: ("Dismissed; the content stays. Reports resolved: ", "."),
    author_first: false,
    by: "by",
    sep: ": ",
};

pub const ZH: ReportsText = ReportsText {
    title: "举报",
    nav: "举报",
    intro: "用户举报的评论和课程评价，最早的在前。“隐藏”会撤下内容并关闭相关举报；“驳回”只关闭举报，保留内容。",
    empty: "暂无待处理的举报。新的举报会显示在这里。",
    comment: "评论",
    review: "评价",
    gone: "该内容已不存在。",
    reported: "举报人数",
    reasons: "举报理由",
    no_reason: "未填写理由",
    first_reported: "首次举报",
    status: "状态",
    hidden_now: "已隐藏",
    visible_now: "公开可见",
    author: "作者",
    location: "所在位置",
    content: "内容",
    hide: "隐藏",
    dismiss: "驳回",
    actions: "操作",
    more_reasons: ("另有 ", " 条"),
    people: ("", " 人"),
    hidden_done: ("已隐藏。已处理举报：", " 条。"),
    dismissed_done: ("已驳回，内容保留。已处理举报：", " 条。"),
    author_first: true,
    by: " 的",
    sep: "：",
};

/// The report queue's sentences in the reader's language.
pub fn text() -> &'static ReportsText {
    match use_lang() {
        Lang::En => &EN,
        Lang::ZhCn => &ZH,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_named_in_each_languages_word_order() {
        assert_eq!(EN.item(ReportedKind::Comment, "Ada"), "Comment by Ada");
        assert_eq!(ZH.item(ReportedKind::Review, "Ada"), "Ada 的评价");
    }

    #[test]
    fn counts_sit_inside_their_sentences() {
        assert_eq!(EN.people(2), "2 people");
        assert_eq!(ZH.hidden_done(3), "已隐藏。已处理举报：3 条。");
    }
}
