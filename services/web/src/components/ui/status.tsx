import type { ReactNode } from 'react';

/** A loading placeholder that keeps its space, so the page does not jump when data arrives. */
export function Loading({ label = 'Loading…', minHeight }: { label?: string; minHeight?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite" style={minHeight ? { minHeight } : undefined}>
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children}
    </div>
  );
}

export function Notice({
  tone = 'info',
  children,
}: {
  tone?: 'info' | 'success' | 'warning';
  children: ReactNode;
}) {
  return (
    <div className={`alert alert-${tone}`} role="status">
      {children}
    </div>
  );
}
