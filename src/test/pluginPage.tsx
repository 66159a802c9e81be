import React from 'react';
import type { PluginPageProps } from '@grafana/runtime';

/**
 * Stands in for Grafana's PluginPage in tests that look at the page header (@grafana/runtime's own
 * default renders the children only): breadcrumbs from pageNav's parents, title, subtitle, actions,
 * then the body.
 */
export function TestPluginPage({ pageNav, subTitle, actions, children }: PluginPageProps) {
  const parents: Array<{ text: string; url?: string }> = [];
  for (let p = pageNav?.parentItem; p; p = p.parentItem) {
    parents.unshift({ text: p.text, url: p.url });
  }
  return (
    <div>
      <header aria-label="Page header">
        {parents.length > 0 && (
          <nav aria-label="Breadcrumbs">
            {parents.map((p) => (
              <a key={p.text} href={p.url}>
                {p.text}
              </a>
            ))}
          </nav>
        )}
        <h1>{pageNav?.text ?? 'Backup SLA'}</h1>
        {subTitle && <div data-testid="page-subtitle">{subTitle}</div>}
        {actions && <div data-testid="page-actions">{actions}</div>}
      </header>
      {children}
    </div>
  );
}
