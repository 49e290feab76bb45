// Whether a key press belongs to the page's shortcuts (not typed into a
// field, not while a dialog or menu is open).

export function isShortcutTarget(e: KeyboardEvent): boolean {
  const el = e.target as HTMLElement | null;
  if (el && (['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName) || el.isContentEditable)) return false;
  if (document.querySelector('[role="dialog"], [role="menu"]')) return false;
  return true;
}
