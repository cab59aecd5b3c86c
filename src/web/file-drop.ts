/**
 * Dropping files onto the conversation: while files are dragged over it the element is marked
 * (`data-drop="over"`, which the style outlines) and a drop hands the files on. Drags of other
 * things (text, links) are left to the browser.
 */

export interface DropHooks {
  /** Whether the conversation on screen takes files now. */
  accepts(): boolean;
  dropped(files: File[]): void;
}

export function fileDropTarget(el: HTMLElement, hooks: DropHooks): void {
  const carriesFiles = (e: DragEvent) => !!e.dataTransfer?.types.includes("Files");
  // dragenter/dragleave fire for every child crossed: count them to know when the drag left.
  let depth = 0;
  const reset = () => {
    depth = 0;
    delete el.dataset.drop;
  };
  el.addEventListener("dragenter", (e) => {
    if (!carriesFiles(e) || !hooks.accepts()) return;
    e.preventDefault();
    depth++;
    el.dataset.drop = "over";
  });
  el.addEventListener("dragover", (e) => {
    if (!carriesFiles(e) || !hooks.accepts()) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = "copy";
  });
  el.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) delete el.dataset.drop;
  });
  el.addEventListener("drop", (e) => {
    reset();
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length === 0 || !hooks.accepts()) return;
    e.preventDefault();
    hooks.dropped(files);
  });
}
