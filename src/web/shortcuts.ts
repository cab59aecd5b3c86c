/**
 * The chat's keyboard shortcuts, on the whole page: Ctrl-K (Cmd-K on a Mac) opens the quick
 * switcher, Alt-↑ and Alt-↓ go to the previous and next conversation.
 */
export interface ShortcutHooks {
  switcher(): void;
  step(by: 1 | -1): void;
}

/** Listens on `target` (the document) until the returned function is called. */
export function chatShortcuts(target: EventTarget, hooks: ShortcutHooks): () => void {
  const onKey = (e: Event) => {
    const k = e as KeyboardEvent;
    if (k.isComposing) return;
    if ((k.ctrlKey || k.metaKey) && !k.altKey && !k.shiftKey && k.key.toLowerCase() === "k") {
      k.preventDefault();
      hooks.switcher();
    } else if (
      k.altKey &&
      !k.ctrlKey &&
      !k.metaKey &&
      (k.key === "ArrowUp" || k.key === "ArrowDown")
    ) {
      k.preventDefault();
      hooks.step(k.key === "ArrowDown" ? 1 : -1);
    }
  };
  target.addEventListener("keydown", onKey);
  return () => target.removeEventListener("keydown", onKey);
}
