//! Image uploads from plain multipart forms (avatars, campaign covers): the CSRF field, a size
//! limit, and the real file type decided by the bytes, not the name.

use app::backend::request::CsrfToken;
use app::backend::security::constant_time_eq;
use axum::extract::Multipart;

/// Reads the form's `csrf` field and the image in `field`. Errors are short codes the page turns
/// into a sentence: `size`, `type`, `csrf`. The whole body is read even after deciding to refuse
/// it: answering while the browser is still uploading makes it see a reset connection instead
/// of our message.
pub async fn read_image_form(
    multipart: &mut Multipart,
    field_name: &str,
    max: usize,
    csrf: &CsrfToken,
) -> Result<(Vec<u8>, &'static str), &'static str> {
    let mut token_ok = false;
    let mut image: Option<Vec<u8>> = None;
    let mut refused: Option<&'static str> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            // The body was cut off by the size limit (or is not multipart at all).
            Err(_) => {
                refused.get_or_insert("size");
                break;
            }
        };
        match field.name() {
            Some("csrf") => {
                let value = field.text().await.unwrap_or_default();
                token_ok = constant_time_eq(&value, &csrf.0);
            }
            Some(name) if name == field_name => match read_limited(field, max).await {
                Ok(bytes) => image = Some(bytes),
                Err(outcome) => {
                    refused.get_or_insert(outcome);
                }
            },
            _ => {}
        }
    }
    if let Some(outcome) = refused {
        return Err(outcome);
    }
    if !token_ok {
        tracing::warn!(field_name, "upload with a bad CSRF token");
        return Err("csrf");
    }
    let bytes = image.filter(|b| !b.is_empty()).ok_or("type")?;
    let ext = image_extension(&bytes).ok_or("type")?;
    Ok((bytes, ext))
}

/// Writes an accepted image under `dir` with a fresh random name, records it with `record`
/// (which answers with the file it replaces), then deletes the replaced file. Returns `false` when
/// writing or recording failed.
pub async fn store_replacing<F, Fut>(
    dir: &std::path::Path,
    bytes: &[u8],
    ext: &str,
    record: F,
) -> bool
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<Option<String>, app::error::AppError>>,
{
    let file = format!("{}.{ext}", app::backend::security::random_token());
    if let Err(e) = tokio::fs::write(dir.join(&file), bytes).await {
        tracing::error!(error = %e, dir = %dir.display(), "writing an upload failed");
        return false;
    }
    match record(file).await {
        // Only plain file names written by us are ever deleted.
        Ok(Some(old)) if !old.contains('/') && !old.contains("..") => {
            let _ = tokio::fs::remove_file(dir.join(old)).await;
            true
        }
        Ok(_) => true,
        Err(_) => false,
    }
}

async fn read_limited(
    mut field: axum::extract::multipart::Field<'_>,
    max: usize,
) -> Result<Vec<u8>, &'static str> {
    let mut buf = Vec::new();
    let mut too_big = false;
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) if too_big => drop(chunk),
            Ok(Some(chunk)) if buf.len() + chunk.len() > max => {
                too_big = true;
                buf = Vec::new();
            }
            Ok(Some(chunk)) => buf.extend_from_slice(&chunk),
            Ok(None) if too_big => return Err("size"),
            Ok(None) => return Ok(buf),
            Err(_) => return Err("size"),
        }
    }
}

/// The extension for an accepted image format, decided by the file's bytes. Refuses formats we
/// do not accept and images whose header is corrupt or absurdly large.
pub fn image_extension(bytes: &[u8]) -> Option<&'static str> {
    use imagesize::ImageType;
    let ext = match imagesize::image_type(bytes).ok()? {
        ImageType::Png => "png",
        ImageType::Jpeg => "jpg",
        ImageType::Gif => "gif",
        ImageType::Webp => "webp",
        _ => return None,
    };
    let size = imagesize::blob_size(bytes).ok()?;
    (size.width > 0 && size.height > 0 && size.width <= 8192 && size.height <= 8192).then_some(ext)
}

#[cfg(test)]
mod tests {
    use super::image_extension;

    const PNG_1X1: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89,
    ];

    #[test]
    fn real_images_are_recognised_by_their_bytes() {
        assert_eq!(image_extension(PNG_1X1), Some("png"));
    }

    #[test]
    fn text_renamed_to_png_is_refused() {
        assert_eq!(image_extension(b"definitely not an image, just text"), None);
        assert_eq!(
            image_extension(b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
            None
        );
        assert_eq!(image_extension(&[]), None);
    }
}
