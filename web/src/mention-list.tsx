import type { UserInfo } from './users.ts';

/** The suggestions under the composer while an `@name` is typed: an ARIA listbox the textarea controls. */
export function MentionList(props: { id: string; options: UserInfo[]; active: number; onPick: (u: UserInfo) => void }) {
  return (
    <div class="mention-list" id={props.id} role="listbox" aria-label="People to mention">
      {props.options.map((u, i) => (
        <div
          key={u.id}
          id={`${props.id}-${i}`}
          role="option"
          tabIndex={-1}
          aria-selected={i === props.active}
          class={i === props.active ? 'active' : ''}
          // mousedown, not click: the textarea keeps focus (and its caret)
          onMouseDown={(e) => {
            e.preventDefault();
            props.onPick(u);
          }}
        >
          <span class="mention-name">{u.name || u.id}</span>
          {u.name && <span class="muted small"> @{u.id}</span>}
        </div>
      ))}
    </div>
  );
}
