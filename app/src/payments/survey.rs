//! The backer survey: after a campaign is funded its creator asks every paying backer a few
//! questions (a postal address, a T-shirt size, which time zone suits a live session), backers
//! answer from "My pledges", and the answers come out in the backer CSV export. Questions are
//! locked once anyone has answered, so every answer stays next to the question it was for.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::model::PledgeProblem;
use crate::error::AppError;
use crate::i18n::t;
use crate::ui::{error_of, CsrfField, FormError, FormStatus, SubmitButton};

pub const MAX_QUESTIONS: usize = 10;
pub const MAX_QUESTION_CHARS: usize = 300;
pub const MAX_ANSWER_CHARS: usize = 2000;

/// Questions typed one per line; blank lines are ignored.
pub fn parse_questions(text: &str) -> Result<Vec<String>, PledgeProblem> {
    let questions: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    if questions.is_empty()
        || questions.len() > MAX_QUESTIONS
        || questions
            .iter()
            .any(|q| q.chars().count() > MAX_QUESTION_CHARS)
    {
        return Err(PledgeProblem::SurveyInvalid);
    }
    Ok(questions)
}

/// One trimmed answer per question (missing answers are empty).
pub fn check_answers(
    questions: &[String],
    answers: &[String],
) -> Result<Vec<String>, PledgeProblem> {
    if answers.len() > questions.len() {
        return Err(PledgeProblem::SurveyInvalid);
    }
    let mut out: Vec<String> = answers.iter().map(|a| a.trim().to_string()).collect();
    if out.iter().any(|a| a.chars().count() > MAX_ANSWER_CHARS) {
        return Err(PledgeProblem::AnswerTooLong);
    }
    out.resize(questions.len(), String::new());
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyView {
    pub questions: Vec<String>,
    /// The viewer's answers, when they have answered.
    pub mine: Option<Vec<String>>,
    pub can_answer: bool,
    /// The creator (or an admin) may still change the questions.
    pub can_edit: bool,
    /// How many backers answered (for the creator; 0 for backers).
    pub responses: u64,
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use serde::Deserialize;

    use crate::accounts::model::{Role, Viewer};
    use crate::backend::db::Db;
    use crate::error::AppResult;
    use crate::payments::rules::is_backer;
    use crate::payments::store::{self, CampaignTerms};
    use crate::vars;

    pub async fn questions(db: &Db, campaign: &str) -> AppResult<Vec<String>> {
        let q: Option<Vec<String>> = db
            .row(
                "SELECT VALUE questions FROM type::record('survey', $c)",
                vars!("c" => campaign),
            )
            .await?;
        Ok(q.unwrap_or_default())
    }

    pub async fn responses(db: &Db, campaign: &str) -> AppResult<u64> {
        let n: Option<u64> = db
            .row(
                "SELECT VALUE count() FROM survey_answer \
                 WHERE campaign = type::record('campaign', $c) GROUP ALL",
                vars!("c" => campaign),
            )
            .await?;
        Ok(n.unwrap_or(0))
    }

    /// Whether `viewer` backs this campaign (`rules::is_backer`), and so is asked.
    pub async fn paid_backer(db: &Db, viewer: &str, campaign: &str) -> AppResult<bool> {
        let Some(terms) = store::terms(db, campaign).await? else {
            return Ok(false);
        };
        Ok(store::open_of(db, viewer, campaign)
            .await?
            .is_some_and(|p| is_backer(terms.mode, p.state)))
    }

    pub fn manages(terms: &CampaignTerms, viewer: &Viewer) -> bool {
        terms.creator == viewer.id || viewer.has(Role::Admin)
    }

    /// Every answer of a campaign by backer id, for the export.
    pub async fn answers_by_backer(
        db: &Db,
        campaign: &str,
    ) -> AppResult<std::collections::HashMap<String, Vec<String>>> {
        #[derive(Deserialize)]
        struct Row {
            backer: String,
            answers: Vec<String>,
        }
        let rows: Vec<Row> = db
            .rows(
                "SELECT record::id(backer) AS backer, answers FROM survey_answer \
                 WHERE campaign = type::record('campaign', $c)",
                vars!("c" => campaign),
            )
            .await?;
        Ok(rows.into_iter().map(|r| (r.backer, r.answers)).collect())
    }
}

/// The survey of a campaign as the viewer may see it: its creator and admins (to edit), paid
/// backers (to answer). Anyone else learns nothing, not even whether there is one.
#[server(endpoint = "survey")]
pub async fn load_survey(campaign_id: String) -> Result<SurveyView, AppError> {
    use crate::backend::request::{require_viewer, respond, state};
    respond(
        async {
            let viewer = require_viewer().await?;
            let db = &state()?.db;
            let terms = super::store::terms(db, &campaign_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let manages = ssr::manages(&terms, &viewer);
            let backs = ssr::paid_backer(db, &viewer.id, &terms.id).await?;
            if !manages && !backs {
                return Err(AppError::NotFound);
            }
            let questions = ssr::questions(db, &terms.id).await?;
            let responses = ssr::responses(db, &terms.id).await?;
            let mine: Option<Vec<String>> = db
                .row(
                    "SELECT VALUE answers FROM type::record('survey_answer', [$c, $u])",
                    crate::vars!("c" => &terms.id, "u" => &viewer.id),
                )
                .await?;
            Ok(SurveyView {
                can_answer: backs && !questions.is_empty(),
                can_edit: manages && terms.state.is_public() && responses == 0,
                responses: if manages { responses } else { 0 },
                questions,
                mine,
            })
        }
        .await,
    )
}

/// The creator sets the survey's questions (one per line) until the first answer comes in.
#[server(endpoint = "save_survey")]
pub async fn save_survey(
    csrf: String,
    campaign_id: String,
    questions: String,
) -> Result<(), AppError> {
    use crate::backend::request::{check_csrf, require_viewer, respond, state};
    use crate::payments::store::problem;
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let db = &state()?.db;
            let terms = super::store::terms(db, &campaign_id)
                .await?
                .filter(|t| ssr::manages(t, &viewer))
                .ok_or(AppError::NotFound)?;
            if !terms.state.is_public() {
                return Err(problem(PledgeProblem::CampaignNotLive));
            }
            let questions = parse_questions(&questions).map_err(problem)?;
            // Locked by the same query that writes, so an answer arriving meanwhile wins.
            let saved: Vec<serde_json::Value> = db
                .rows(
                    "LET $answered = array::len((SELECT VALUE id FROM survey_answer
                        WHERE campaign = type::record('campaign', $c) LIMIT 1));
                     IF $answered = 0 {
                        UPSERT type::record('survey', $c) SET campaign = type::record('campaign', $c),
                            questions = $q, updated_at = time::now() RETURN VALUE id
                     } ELSE { [] };",
                    crate::vars!("c" => &terms.id, "q" => questions),
                )
                .await?;
            if saved.is_empty() {
                return Err(problem(PledgeProblem::SurveyLocked));
            }
            Ok(())
        }
        .await,
    )
}

/// A paid backer answers (or changes their answers).
#[server(endpoint = "answer_survey")]
pub async fn answer_survey(
    csrf: String,
    campaign_id: String,
    answers: Vec<String>,
) -> Result<(), AppError> {
    use crate::backend::request::{check_csrf, require_viewer, respond, state};
    use crate::payments::store::problem;
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let db = &state()?.db;
            if !ssr::paid_backer(db, &viewer.id, &campaign_id).await? {
                return Err(AppError::NotFound);
            }
            let questions = ssr::questions(db, &campaign_id).await?;
            if questions.is_empty() {
                return Err(AppError::NotFound);
            }
            let answers = check_answers(&questions, &answers).map_err(problem)?;
            db.run(
                "UPSERT type::record('survey_answer', [$c, $u]) SET
                    campaign = type::record('campaign', $c), backer = type::record('user', $u),
                    answers = $a, at = time::now()",
                crate::vars!("c" => &campaign_id, "u" => &viewer.id, "a" => answers),
            )
            .await?;
            Ok(())
        }
        .await,
    )
}

/// The creator's side, on the ledger page: write the questions, see how many answered.
#[component]
pub fn SurveyEditor(campaign_id: String) -> impl IntoView {
    let p = t().pay;
    let save = ServerAction::<SaveSurvey>::new();
    let id = campaign_id.clone();
    let survey = Resource::new(
        move || save.version().get(),
        move |_| load_survey(id.clone()),
    );
    let saved = Signal::derive(move || {
        matches!(save.value().get(), Some(Ok(()))).then(|| p.survey_saved.to_string())
    });
    view! {
        <section aria-labelledby="survey-h" class="stack">
            <h2 id="survey-h">{p.survey_title}</h2>
            <Suspense fallback=move || view! { <p class="muted">{t().loading}</p> }>
                {move || {
                    let campaign_id = campaign_id.clone();
                    Suspend::new(async move {
                        match survey.await {
                            Ok(s) if s.can_edit => view! {
                                <ActionForm action=save attr:class="stack">
                                    <CsrfField/>
                                    <input type="hidden" name="campaign_id" value=campaign_id/>
                                    <div class="field">
                                        <label for="survey-questions">{p.survey_questions}</label>
                                        <textarea id="survey-questions" name="questions" rows="5" aria-describedby="survey-help">{s.questions.join("\n")}</textarea>
                                        <p id="survey-help" class="muted">{p.survey_help}</p>
                                    </div>
                                    <FormError error=error_of(save.value())/>
                                    <FormStatus message=saved/>
                                    <SubmitButton label=p.survey_save pending=save.pending()/>
                                </ActionForm>
                            }.into_any(),
                            Ok(s) => view! {
                                <ol>{s.questions.into_iter().map(|q| view! { <li>{q}</li> }).collect_view()}</ol>
                                <p class="muted">{format!("{} {}", p.survey_responses, s.responses)}</p>
                            }.into_any(),
                            Err(e) => view! { <p class="form-error" role="alert">{t().error(&e)}</p> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

/// The backer's side, on a paid pledge's card: answer the creator's questions.
#[component]
pub fn SurveyAnswers(campaign_id: String) -> impl IntoView {
    let p = t().pay;
    let answer = ServerAction::<AnswerSurvey>::new();
    let id = campaign_id.clone();
    let survey = Resource::new(
        move || answer.version().get(),
        move |_| load_survey(id.clone()),
    );
    let done = Signal::derive(move || {
        matches!(answer.value().get(), Some(Ok(()))).then(|| p.survey_thanks.to_string())
    });
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let campaign_id = campaign_id.clone();
                Suspend::new(async move {
                    survey.await.ok().filter(|s| s.can_answer).map(|s| {
                        let mine = s.mine.clone().unwrap_or_default();
                        let answered = s.mine.is_some();
                        view! {
                            <details class="survey" open=!answered>
                                <summary>{if answered { p.survey_answered } else { p.survey_open }}</summary>
                                <ActionForm action=answer attr:class="stack">
                                    <CsrfField/>
                                    <input type="hidden" name="campaign_id" value=campaign_id.clone()/>
                                    {s.questions.iter().enumerate().map(|(i, q)| {
                                        let field = format!("survey-{campaign_id}-{i}");
                                        view! {
                                            <div class="field">
                                                <label for=field.clone()>{q.clone()}</label>
                                                <textarea id=field name=format!("answers[{i}]") rows="2" maxlength="2000">{mine.get(i).cloned().unwrap_or_default()}</textarea>
                                            </div>
                                        }
                                    }).collect_view()}
                                    <FormError error=error_of(answer.value())/>
                                    <SubmitButton label=p.survey_send pending=answer.pending()/>
                                </ActionForm>
                            </details>
                            // Outside the (now folded) details, so the thanks stays in view.
                            <FormStatus message=done/>
                        }
                    })
                })
            }}
        </Suspense>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_are_lines_between_one_and_ten_of_sane_length() {
        assert_eq!(
            parse_questions("  Where should we post the book?\n\nT-shirt size?  \n").unwrap(),
            vec!["Where should we post the book?", "T-shirt size?"]
        );
        assert_eq!(parse_questions(" \n \n"), Err(PledgeProblem::SurveyInvalid));
        assert_eq!(
            parse_questions(&"q?\n".repeat(11)),
            Err(PledgeProblem::SurveyInvalid)
        );
        assert_eq!(
            parse_questions(&"x".repeat(301)),
            Err(PledgeProblem::SurveyInvalid)
        );
    }

    #[test]
    fn answers_line_up_with_questions() {
        let q = vec!["a".to_string(), "b".to_string()];
        assert_eq!(
            check_answers(&q, &[" one ".into()]).unwrap(),
            vec!["one".to_string(), String::new()]
        );
        assert_eq!(
            check_answers(&q, &["1".into(), "2".into(), "3".into()]),
            Err(PledgeProblem::SurveyInvalid)
        );
        assert_eq!(
            check_answers(&q, &["é".repeat(2001)]),
            Err(PledgeProblem::AnswerTooLong)
        );
    }
}
