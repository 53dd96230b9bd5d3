import type { Attachment } from '../../sdk/index.ts';
import { fileSize } from './format-size.ts';
import type { ChatStore } from './store.ts';

/** A message's files: images as thumbnails that open the full image, other files as links with name and size. */
export function AttachmentList({ store, attachments }: { store: ChatStore; attachments: Attachment[] }) {
  if (attachments.length === 0) return null;
  return (
    <ul class="attachments" aria-label="Attachments">
      {attachments.map((a) => {
        // The token in the query: <img> and links send no Authorization header.
        const href = store.client.fileUrl(a);
        const image = a.file_type.startsWith('image/') && a.thumbnail_url;
        return (
          <li key={a.id}>
            {image ? (
              <a href={href} target="_blank" rel="noopener noreferrer" class="attachment-image">
                <img
                  src={store.client.fileUrl(a, { thumbnail: true })}
                  alt={a.file_name}
                  width={a.width ? Math.min(a.width, 240) : undefined}
                  loading="lazy"
                />
              </a>
            ) : (
              <a href={href} target="_blank" rel="noopener noreferrer" class="attachment-file" download={a.file_name}>
                <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true">
                  <path
                    d="M6 3h8l4 4v14H6z M14 3v4h4"
                    fill="none"
                    stroke="currentColor"
                    stroke-width="1.6"
                    stroke-linejoin="round"
                  />
                </svg>
                <span class="file-name">{a.file_name}</span>
                <span class="muted small">{fileSize(a.file_size)}</span>
              </a>
            )}
          </li>
        );
      })}
    </ul>
  );
}
