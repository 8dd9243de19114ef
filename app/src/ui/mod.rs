//! Layout and reusable components: header, footer, form pieces, the 404 page.

mod forms;
mod home;
mod layout;
pub mod request;
mod session;

pub use forms::{error_of, CsrfField, Field, FormError, FormStatus, SubmitButton, TextArea};
pub use home::HomePage;
pub use layout::{url_encode, ErrorPage, FocusOnNavigate, Footer, Header, NotFound};
pub use session::{use_session, SessionCtx};

/// This browser's CSRF token, read from `<meta name="csrf-token">` (the server put it there).
#[derive(Clone, Debug)]
pub struct Csrf(pub String);
