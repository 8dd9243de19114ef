//! The account mails, in the reader's language. Plain text: it renders everywhere and
//! carries no tracking.

use crate::i18n::Lang;

pub struct Mail {
    pub subject: &'static str,
    pub body: String,
}

pub fn verify(lang: Lang, name: &str, link: &str) -> Mail {
    match lang {
        Lang::En => Mail {
            subject: "Verify your email for Cohort",
            body: format!(
                "Hi {name},\n\nPlease confirm this address for your Cohort account by opening this link:\n\n{link}\n\n\
                 The link works once and expires in 48 hours. If you did not sign up, you can ignore this mail.\n\n— Cohort\n"
            ),
        },
        Lang::ZhCn => Mail {
            subject: "验证你的 Cohort 邮箱",
            body: format!(
                "{name}，你好：\n\n请打开以下链接，确认这是你的 Cohort 账户邮箱：\n\n{link}\n\n\
                 链接只能使用一次，48 小时内有效。如果你没有注册，请忽略这封邮件。\n\n— Cohort\n"
            ),
        },
    }
}

pub fn reset(lang: Lang, name: &str, link: &str) -> Mail {
    match lang {
        Lang::En => Mail {
            subject: "Reset your Cohort password",
            body: format!(
                "Hi {name},\n\nSomeone (hopefully you) asked to reset the password of your Cohort account. \
                 Choose a new password here:\n\n{link}\n\nThe link works once and expires in 1 hour. \
                 If you did not ask for this, ignore this mail: your password stays as it is.\n\n— Cohort\n"
            ),
        },
        Lang::ZhCn => Mail {
            subject: "重置你的 Cohort 密码",
            body: format!(
                "{name}，你好：\n\n有人（希望是你）申请重置你的 Cohort 账户密码。请在这里设置新密码：\n\n{link}\n\n\
                 链接只能使用一次，1 小时内有效。如果不是你本人操作，请忽略这封邮件，你的密码不会改变。\n\n— Cohort\n"
            ),
        },
    }
}

/// To the owner of an address someone tried to sign up with: sign-up answers the same whether
/// an address has an account or not, so the owner hears about it here instead.
pub fn signup_existing(lang: Lang, name: &str, login: &str, reset: &str) -> Mail {
    match lang {
        Lang::En => Mail {
            subject: "Someone tried to sign up with your email",
            body: format!(
                "Hi {name},\n\nSomeone (hopefully you) tried to create a new Cohort account with this address, \
                 which already has one. You can log in here:\n\n{login}\n\nForgot your password? Choose a new one here:\n\n{reset}\n\n\
                 If it was not you, you can ignore this mail: nothing changed.\n\n— Cohort\n"
            ),
        },
        Lang::ZhCn => Mail {
            subject: "有人尝试用你的邮箱注册",
            body: format!(
                "{name}，你好：\n\n有人（希望是你）尝试用这个邮箱创建新的 Cohort 账户，但该邮箱已有账户。你可以在这里登录：\n\n{login}\n\n\
                 忘记密码？可以在这里设置新密码：\n\n{reset}\n\n如果不是你本人操作，请忽略这封邮件，你的账户没有任何变化。\n\n— Cohort\n"
            ),
        },
    }
}
