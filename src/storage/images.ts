import sharp from 'sharp';

// libvips keeps recently opened files open by default: a staged file deleted after its upload
// would keep its disk space until evicted. Operations are still cached (bounded by memory).
sharp.cache({ files: 0 });

/** Raster formats sharp decodes; SVG is left out on purpose (it is a document, not a picture). */
const RASTER = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif', 'image/tiff']);
export const THUMBNAIL_TYPE = 'image/webp';
/** The contract's bound on a preview's longer side. */
export const THUMBNAIL_MAX_SIDE = 400;

export interface ImageFacts {
  width: number;
  height: number;
  /** Written to the path given, when the image could be decoded within the pixel limit. */
  thumbnailSize?: number;
}

export const isRaster = (mime: string): boolean => RASTER.has(mime);

/**
 * An image's size (as shown, EXIF rotation applied) from its header, and a thumbnail written to
 * `thumbnailPath`. Read from the staged file, never a buffer of it. An image over `maxPixels` (a
 * small file can claim a huge canvas) gets no thumbnail; one that does not decode gets neither,
 * and is kept as the file it is.
 */
export async function describeImage(
  path: string,
  maxPixels: number,
  thumbnailPath: string,
): Promise<ImageFacts | undefined> {
  let width: number;
  let height: number;
  try {
    const meta = await sharp(path, { limitInputPixels: false }).metadata();
    if (!meta.width || !meta.height) return undefined;
    const turned = (meta.orientation ?? 1) >= 5;
    width = turned ? meta.height : meta.width;
    height = turned ? meta.width : meta.height;
  } catch {
    return undefined;
  }
  if (width * height > maxPixels) return { width, height };
  try {
    const info = await sharp(path, { limitInputPixels: maxPixels })
      .rotate()
      .resize(THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 80 })
      .toFile(thumbnailPath);
    return { width, height, thumbnailSize: info.size };
  } catch {
    return { width, height };
  }
}
