import React from 'react';
import type { PluginPageProps } from '@grafana/runtime';

/**
 * Stands in for Grafana's PluginPage in tests that look at the page header (@grafana/runtime's own
 * default renders the children only): title from pageNav, subtitle and actions, then the body.
 */
export function TestPluginPage({ pageNav, subTitle, actions, children }: PluginPageProps) {
  return (
    <div>
      <header aria-label="Page header">
        <h1>{pageNav?.text ?? 'Backup SLA'}</h1>
        {subTitle && <div data-testid="page-subtitle">{subTitle}</div>}
        {actions && <div data-testid="page-actions">{actions}</div>}
      </header>
      {children}
    </div>
  );
}
