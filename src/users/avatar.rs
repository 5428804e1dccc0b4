//! Avatars: an upload is checked (PNG, JPEG or WebP, at most 1 MB), decoded and re-encoded as a
//! small square PNG, which drops every metadata chunk (EXIF location, comments) of the original.

use image::{imageops::FilterType, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// The largest upload accepted.
pub const MAX_BYTES: usize = 1024 * 1024;
/// Side of the stored square, in pixels.
pub const SIDE: u32 = 128;

/// Why an upload was refused, in words for the form.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AvatarError {
    #[error("The image is larger than 1 MB. Choose a smaller file.")]
    TooLarge,
    #[error("Choose a PNG, JPEG or WebP image.")]
    NotAnImage,
    #[error("This image could not be read. Choose another PNG, JPEG or WebP file.")]
    Unreadable,
    #[error("This image is too large in pixels (at most 4000 × 4000). Choose a smaller picture.")]
    TooManyPixels,
}

/// The most pixels an upload may declare: checked from the header, before anything is decoded.
pub const MAX_PIXELS: u64 = 4000 * 4000;

/// Checks and re-encodes an upload: the centre square, scaled to [`SIDE`]², as PNG.
pub fn process(upload: &[u8]) -> Result<Vec<u8>, AvatarError> {
    if upload.len() > MAX_BYTES {
        return Err(AvatarError::TooLarge);
    }
    // The format comes from the bytes, never from the file name or the browser's claim.
    let format = image::guess_format(upload).map_err(|_| AvatarError::NotAnImage)?;
    if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP) {
        return Err(AvatarError::NotAnImage);
    }
    // The declared dimensions, read from the header alone, against the pixel budget.
    let (w, h) =
        ImageReader::with_format(Cursor::new(upload), format).into_dimensions().map_err(|_| AvatarError::Unreadable)?;
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(AvatarError::TooManyPixels);
    }
    let mut reader = ImageReader::with_format(Cursor::new(upload), format);
    // A small file can still claim huge dimensions (decompression bomb): cap what decoding may use.
    let mut limits = Limits::default();
    limits.max_image_width = Some(8000);
    limits.max_image_height = Some(8000);
    limits.max_alloc = Some(128 * 1024 * 1024);
    reader.limits(limits);
    let img = reader.decode().map_err(|_| AvatarError::Unreadable)?;
    let square = img.resize_to_fill(SIDE, SIDE, FilterType::Triangle);
    let mut out = Vec::new();
    image::DynamicImage::ImageRgba8(square.to_rgba8())
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .map_err(|_| AvatarError::Unreadable)?;
    Ok(out)
}

/// The neutral picture shown for users without an avatar.
pub const DEFAULT_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128"><rect width="128" height="128" fill="#d9dee4"/><circle cx="64" cy="50" r="24" fill="#9aa5b1"/><path d="M20 118c4-26 22-38 44-38s40 12 44 38z" fill="#9aa5b1"/></svg>"##;

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 10, 10]));
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(img).write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
        out
    }

    #[test]
    fn reencodes_to_a_small_square_png() {
        let out = process(&png(300, 120)).unwrap();
        let back = image::load_from_memory_with_format(&out, ImageFormat::Png).unwrap();
        assert_eq!((back.width(), back.height()), (SIDE, SIDE));
    }

    #[test]
    fn refuses_text_and_oversize() {
        assert_eq!(process(b"hello, not an image"), Err(AvatarError::NotAnImage));
        assert_eq!(process(&vec![0u8; MAX_BYTES + 1]), Err(AvatarError::TooLarge));
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
        assert_eq!(process(gif), Err(AvatarError::NotAnImage));
    }

    #[test]
    fn a_small_file_declaring_too_many_pixels_is_refused_before_decoding() {
        // 5000 × 4000 of one colour compresses to a few kilobytes: a decompression bomb.
        let bomb = png(5000, 4000);
        assert!(bomb.len() < MAX_BYTES, "{}", bomb.len());
        assert_eq!(process(&bomb), Err(AvatarError::TooManyPixels));
    }
}
